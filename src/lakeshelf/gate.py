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
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakeshelf.errors import ConfigError, GateFailedError
from lakeshelf.gate_result import Outcome, SuiteResult, plain

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

log = logging.getLogger(__name__)
DEFAULT_TIMEOUT = float(os.environ.get("LAKESHELF_GATE_TIMEOUT", "1800"))
ENGINES = ("auto", "gx")


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


def run_suite(
    df: DataFrame, suite: dict[str, Any], timeout: float | None = None, engine: str | None = None
) -> SuiteResult:
    """Validate ``df`` against ``suite``; never raises for data problems.

    ``engine`` (default ``$LAKESHELF_GATE_ENGINE`` or ``auto``): ``auto`` evaluates the column-level
    expectations :mod:`lakeshelf.gate_aggregate` supports in one Spark aggregation and the rest
    in Great Expectations; ``gx`` runs every expectation in GX. A suite that cannot run yields
    blocking outcomes carrying the reason (fail closed).
    """
    engine = engine or os.environ.get("LAKESHELF_GATE_ENGINE", "auto")
    if engine not in ENGINES:
        raise ConfigError(f"gate engine {engine!r} is not one of {', '.join(ENGINES)}")
    spark = df.sparkSession
    group = f"lakeshelf-gate-{uuid.uuid4().hex}"
    box: dict[str, Any] = {}
    cached: list[DataFrame] = []

    def work() -> None:
        try:
            spark.sparkContext.setJobGroup(group, "lakeshelf quality gate", interruptOnCancel=True)
            box["result"] = _evaluate(df, suite, engine, cached)
        except BaseException as exc:  # fail closed on anything the suite run raises
            box["error"] = exc

    thread = threading.Thread(target=work, name="lakeshelf-gate", daemon=True)
    thread.start()
    try:
        thread.join(timeout or DEFAULT_TIMEOUT)
    finally:
        if not thread.is_alive():
            for frame in cached:
                frame.unpersist()
    if thread.is_alive():
        spark.sparkContext.cancelJobGroup(group)
        thread.join(30)
        return _cannot_run(suite, f"timed out after {timeout or DEFAULT_TIMEOUT:.0f} s")
    if "error" in box:
        log.debug("suite %s raised", suite.get("name"), exc_info=box["error"])
        return _cannot_run(suite, f"{type(box['error']).__name__}: {box['error']}")
    return box["result"]


def _evaluate(
    df: DataFrame, suite: dict[str, Any], engine: str, cached: list[DataFrame]
) -> SuiteResult:
    """Supported expectations in one aggregation, the others (or all, for ``gx``) in GX."""
    from lakeshelf import gate_aggregate

    def persisted() -> DataFrame:  # GX's metrics scan the data many times
        if not cached:
            cached.append(df.persist())
        return cached[0]

    items = suite["expectations"]
    aggregation, planned = gate_aggregate.plan(df, items) if engine == "auto" else (None, [])
    # When GX will run too, the aggregation's scan fills the cache GX reads.
    frame = persisted() if len(planned) < len(items) else df
    try:
        outcomes = gate_aggregate.evaluate(frame, aggregation, planned)
    except Exception:  # e.g. a regex Java rejects: GX isolates and names the culprit
        log.debug("one-aggregation evaluation failed; running the suite in GX", exc_info=True)
        outcomes = {}
    rest = [index for index in range(len(items)) if index not in outcomes]
    if rest:
        found = _validate(persisted(), suite["name"], [items[index] for index in rest])
        outcomes.update(zip(rest, found, strict=True))
    return SuiteResult(suite["name"], [outcomes[index] for index in range(len(items))])


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


def _validate(df: DataFrame, name: str, items: list[dict[str, Any]]) -> list[Outcome]:
    """Outcomes of ``items`` (in order) evaluated by Great Expectations."""
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

    def severity(item: dict[str, Any]) -> str:
        return (item.get("meta") or {}).get("severity", "error")

    try:  # one run computes the metrics of all expectations together
        # GX returns results grouped by domain, not in suite order: match them back by id.
        ids = [str(uuid.uuid4()) for _ in items]
        tagged = [{**item, "id": key} for item, key in zip(items, ids, strict=True)]
        whole = gx.ExpectationSuite(name=name, expectations=tagged)
        results = batch.validate(whole, result_format="SUMMARY").results
        by_id = {result.expectation_config.id: result for result in results}
        if sorted(by_id) == sorted(ids):
            return [_outcome(i, severity(i), by_id[k]) for i, k in zip(items, ids, strict=True)]
    except Exception:
        log.debug("suite %s failed as a whole; running expectations one by one", name)
    outcomes: list[Outcome] = []
    for item in items:  # isolate the expectation that cannot run, keep the others' results
        try:
            single = gx.ExpectationSuite(name=name, expectations=[item])
            result = batch.validate(single, result_format="SUMMARY").results[0]
        except Exception as exc:
            kwargs = item.get("kwargs", {})
            outcomes.append(Outcome(item["type"], kwargs, severity(item), False, error=str(exc)))
            continue
        outcomes.append(_outcome(item, severity(item), result))
    return outcomes


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
        observed_value=plain(details.get("observed_value")),
        examples=[plain(v) for v in examples],
        error=error,
    )
