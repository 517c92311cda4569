"""The quality gate: Great Expectations suites run on exactly the data about to be published.

Suites are GX 1.x expectation suites stored as JSON (``conf/suites/<name>.json``):
``{"name": ..., "expectations": [{"type": "expect_...", "kwargs": {...}, "meta": {...}}]}``.
``meta.severity: warn`` records a failure without blocking; the default, ``error``, blocks.

The gate fails closed: a suite that cannot run (invalid expectation, GX error, missing column,
timeout, unreadable data) blocks exactly like a failing one, with the reason.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakeshelf.errors import ConfigError, GateFailedError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

log = logging.getLogger(__name__)
DEFAULT_TIMEOUT = float(os.environ.get("LAKESHELF_GATE_TIMEOUT", "1800"))


@dataclass
class Outcome:
    """The result of one expectation."""

    type: str
    kwargs: dict[str, Any]
    severity: str
    success: bool
    element_count: int | None = None
    unexpected_count: int | None = None
    observed_value: Any = None
    examples: list[Any] = field(default_factory=list)
    error: str | None = None

    @property
    def blocking(self) -> bool:
        """True when this outcome stops a publish."""
        return not self.success and self.severity != "warn"

    def describe(self) -> str:
        """One line for people: what failed, with counts and example values."""
        target = self.kwargs.get("column") or self.kwargs.get("column_list") or "table"
        if self.error:
            return f"{self.type} on {target}: could not run: {self.error}"
        counts = (
            f"{self.unexpected_count} of {self.element_count} rows unexpected"
            if self.unexpected_count is not None
            else f"observed {self.observed_value!r}"
        )
        examples = f"; e.g. {self.examples[:5]!r}" if self.examples else ""
        return f"{self.type} on {target}: {counts}{examples}"


@dataclass
class SuiteResult:
    """All outcomes of one suite run."""

    suite: str
    outcomes: list[Outcome]

    @property
    def passed(self) -> bool:
        """True when no blocking expectation failed."""
        return not any(o.blocking for o in self.outcomes)

    def as_record(self) -> dict[str, Any]:
        """JSON-ready form recorded in the commit and the registry."""
        return {
            "name": self.suite,
            "passed": self.passed,
            "result": [asdict(o) for o in self.outcomes],
        }

    def failure_message(self) -> str:
        """Which expectations blocked, with counts and examples."""
        lines = [f"  - {o.describe()}" for o in self.outcomes if o.blocking]
        warned = [
            f"  ~ {o.describe()} (severity warn)"
            for o in self.outcomes
            if not o.success and not o.blocking
        ]
        return "\n".join(lines + warned)


def load_suite(path: Path) -> dict[str, Any]:
    """Read a suite file.

    Raises:
        ConfigError: missing file, not JSON, or not a suite (``name`` and ``expectations``).
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"suite {path} cannot be read: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"suite {path} is not JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("expectations"), list):
        raise ConfigError(f"suite {path}: expected {{'name': ..., 'expectations': [...]}}")
    for index, item in enumerate(data["expectations"]):
        if not isinstance(item, dict) or not str(item.get("type", "")).startswith("expect_"):
            raise ConfigError(f"suite {path}: expectations[{index}] needs a 'type' like expect_...")
        severity = (item.get("meta") or {}).get("severity", "error")
        if severity not in ("error", "warn"):
            raise ConfigError(
                f"suite {path}: expectations[{index}].meta.severity must be error or warn"
            )
    data.setdefault("name", Path(path).stem)
    return data


def run_suite(df: DataFrame, suite: dict[str, Any], timeout: float | None = None) -> SuiteResult:
    """Validate ``df`` against ``suite`` with Great Expectations; never raises for data problems.

    A suite that cannot run yields blocking outcomes carrying the reason (fail closed).
    """
    spark = df.sparkSession
    df = df.persist()  # the suite's metrics scan the data many times
    group = f"lakeshelf-gate-{uuid.uuid4().hex}"
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            spark.sparkContext.setJobGroup(group, "lakeshelf quality gate", interruptOnCancel=True)
            box["result"] = _validate(df, suite)
        except BaseException as exc:  # fail closed on anything the suite run raises
            box["error"] = exc

    thread = threading.Thread(target=work, name="lakeshelf-gate", daemon=True)
    thread.start()
    try:
        thread.join(timeout or DEFAULT_TIMEOUT)
    finally:
        if not thread.is_alive():
            df.unpersist()
    if thread.is_alive():
        spark.sparkContext.cancelJobGroup(group)
        thread.join(30)
        return _cannot_run(suite, f"timed out after {timeout or DEFAULT_TIMEOUT:.0f} s")
    if "error" in box:
        log.debug("suite %s raised", suite.get("name"), exc_info=box["error"])
        return _cannot_run(suite, f"{type(box['error']).__name__}: {box['error']}")
    return box["result"]


def suite_path(conf_dir: Path, name: str) -> Path:
    """Where suite ``name`` of a project lives: ``conf/suites/<name>.json``."""
    return Path(conf_dir) / "suites" / f"{name}.json"


def dataset_suite(project: Any, name: str) -> dict[str, Any] | None:
    """The loaded suite of dataset ``name`` (None if it has none); ConfigError if unreadable."""
    configured = project.dataset(name).suite
    return load_suite(suite_path(project.conf_dir, configured)) if configured else None


def auditor(suite: dict[str, Any], what: str) -> Any:
    """A ``write(audit=...)`` callable that runs ``suite`` and blocks on failure."""

    def audit(staged: DataFrame) -> dict[str, Any]:
        return enforce(run_suite(staged, suite), what)

    return audit


def enforce(result: SuiteResult, what: str) -> dict[str, Any]:
    """Return the result's record, or raise GateFailedError if it blocks."""
    record = result.as_record()
    if not result.passed:
        raise GateFailedError(
            f"{what} failed quality suite {result.suite}; nothing was published:\n"
            + result.failure_message(),
            record,
        )
    return record


def _cannot_run(suite: dict[str, Any], reason: str) -> SuiteResult:
    return SuiteResult(
        suite.get("name", "suite"),
        [Outcome("suite", {}, "error", False, error=f"the suite cannot run: {reason}")],
    )


def _validate(df: DataFrame, suite: dict[str, Any]) -> SuiteResult:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    context = gx.get_context(mode="ephemeral")
    with contextlib.suppress(Exception):  # progress bars are cosmetic; older configs lack them
        context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    source = context.data_sources.add_spark(name=f"lakeshelf-{uuid.uuid4().hex[:8]}")
    asset = source.add_dataframe_asset(name="staged")
    batch = asset.add_batch_definition_whole_dataframe("all").get_batch(
        batch_parameters={"dataframe": df}
    )
    items = suite["expectations"]

    def severity(item: dict[str, Any]) -> str:
        return (item.get("meta") or {}).get("severity", "error")

    try:  # one run computes the metrics of all expectations together
        whole = gx.ExpectationSuite(name=suite["name"], expectations=items)
        results = batch.validate(whole, result_format="SUMMARY").results
        if len(results) == len(items):
            return SuiteResult(
                suite["name"],
                [_outcome(i, severity(i), r) for i, r in zip(items, results, strict=True)],
            )
    except Exception:
        log.debug("suite %s failed as a whole; running expectations one by one", suite["name"])
    outcomes: list[Outcome] = []
    for item in items:  # isolate the expectation that cannot run, keep the others' results
        try:
            single = gx.ExpectationSuite(name=suite["name"], expectations=[item])
            result = batch.validate(single, result_format="SUMMARY").results[0]
        except Exception as exc:
            kwargs = item.get("kwargs", {})
            outcomes.append(Outcome(item["type"], kwargs, severity(item), False, error=str(exc)))
            continue
        outcomes.append(_outcome(item, severity(item), result))
    return SuiteResult(suite["name"], outcomes)


def _outcome(item: dict[str, Any], severity: str, result: Any) -> Outcome:
    details = result.result or {}
    info = result.exception_info or {}
    error = None
    if info.get("raised_exception"):
        error = info.get("exception_message") or "GX raised an exception"
    elif not result.success and not details:
        error = "no result (is the column missing?)"
    examples = [v for v in details.get("partial_unexpected_list", [])][:10]
    return Outcome(
        type=item["type"],
        kwargs=item.get("kwargs", {}),
        severity=severity,
        success=bool(result.success) and error is None,
        element_count=details.get("element_count"),
        unexpected_count=details.get("unexpected_count"),
        observed_value=_plain(details.get("observed_value")),
        examples=[_plain(v) for v in examples],
        error=error,
    )


def _plain(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except TypeError:
        return str(value)
