"""Running a suite on exactly the data about to be published, failing closed.

A suite that cannot run (invalid expectation, GX error, missing column, timeout, unreadable data)
blocks exactly like a failing one, with the reason.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from typing import TYPE_CHECKING, Any

from lakeshelf.errors import ConfigError, GateFailedError
from lakeshelf.gate.results import Outcome, SuiteResult

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

log = logging.getLogger(__name__)
DEFAULT_TIMEOUT = float(os.environ.get("LAKESHELF_GATE_TIMEOUT", "1800"))
ENGINES = ("auto", "gx")


def run_suite(
    df: DataFrame, suite: dict[str, Any], timeout: float | None = None, engine: str | None = None
) -> SuiteResult:
    """Validate ``df`` against ``suite``; never raises for data problems.

    ``engine`` (default ``$LAKESHELF_GATE_ENGINE`` or ``auto``): ``auto`` evaluates the column-level
    expectations :mod:`lakeshelf.gate.aggregate` supports in one Spark aggregation and the rest
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
    from lakeshelf.gate import aggregate as gate_aggregate
    from lakeshelf.gate.gx import validate

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
        found = validate(persisted(), suite["name"], [items[index] for index in rest])
        outcomes.update(zip(rest, found, strict=True))
    return SuiteResult(suite["name"], [outcomes[index] for index in range(len(items))])


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
