"""Drift and metric-history checks of a publish, judged by the gate before the commit.

The data judged is what the publish brings: the whole new version for an overwrite, the rows
added for an append (an ingest batch). It is profiled in one Spark pass and compared with the
stored profiles of published versions, so no earlier version is read. Each declared check
becomes one :class:`~lakeshelf.gate.Outcome` beside the suite's expectations: it blocks at
severity ``error`` and is recorded at ``warn``, and it fails closed (a check that cannot run
blocks with the reason).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lakeshelf.errors import ConfigError
from lakeshelf.gate import Outcome, SuiteResult, dataset_suite, enforce, run_suite
from lakeshelf.observe.drift import drift, thresholds_for
from lakeshelf.registry import staged_profiles, store
from lakeshelf.registry.profile import ColumnProfile, fingerprint_and_profile, profile

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lakeshelf.config import Project
    from lakeshelf.config.models import ChecksConfig, DriftConfig
    from lakeshelf.table.write import Audit

ENGINE = "lakeshelf"


def publish_audit(project: Project, name: str, what: str, *, appends: bool) -> Audit | None:
    """The audit a publish of ``name`` runs on its staged rows: suite, drift and checks together
    (None when the dataset declares none of them).

    The write calls it with exactly the rows about to be committed (write-audit-publish); all
    outcomes land in one result recorded in the commit and the registry, and any blocking one
    refuses the publish (:func:`lakeshelf.gate.enforce`). ``appends``: the staged rows are added
    to the latest version (an ingest batch), which is what the row-count check compares.

    Raises:
        ConfigError: the suite cannot be read (before anything is staged).
    """
    config = project.dataset(name)
    suite = dataset_suite(project, name)
    if suite is None and config.drift is None and config.checks is None:
        return None

    def audit(staged: DataFrame) -> dict[str, Any]:
        result = run_suite(staged, suite) if suite else SuiteResult(f"{name} checks", [])
        try:
            result.outcomes.extend(publish_outcomes(project, name, staged, appends))
        except Exception as exc:  # fail closed, like a suite that cannot run
            reason = f"drift and checks cannot run: {type(exc).__name__}: {exc}"
            result.outcomes.append(Outcome("lakeshelf_checks", {}, "error", False, error=reason))
        return enforce(result, what)

    return audit


def publish_outcomes(
    project: Project, dataset: str, staged: DataFrame, appends: bool
) -> list[Outcome]:
    """The outcomes of ``dataset``'s declared drift and checks on the ``staged`` rows."""
    config = project.dataset(dataset)
    if config.drift is None and config.checks is None:
        return []
    # with the fingerprint, in the same pass: the registration of a version that commits
    # exactly these files takes both instead of reading it again
    print_, candidate = fingerprint_and_profile(staged, dataset, -1)
    staged_profiles.remember(staged, print_, candidate)
    published = store.records(project.lake_location, dataset)
    spark, drift_config = staged.sparkSession, config.drift
    outcomes = []
    if drift_config is not None:
        outcomes.append(
            _guarded(
                "drift",
                lambda: _drift(project, dataset, drift_config, candidate, published, spark),
            )
        )
    if config.checks is not None:
        outcomes += _history_checks(
            project, dataset, config.checks, candidate, published, appends, spark
        )
    return outcomes


def _guarded(name: str, judge: Any) -> Outcome:
    """Run one check; one that cannot run blocks (fail closed) with the reason."""
    try:
        return judge()
    except Exception as exc:
        return Outcome(
            f"lakeshelf_{name}",
            {},
            "error",
            False,
            error=f"{type(exc).__name__}: {exc}",
            engine=ENGINE,
        )


def _drift(
    project: Project,
    dataset: str,
    config: DriftConfig,
    candidate: list[ColumnProfile],
    published: list[store.VersionRecord],
    spark: SparkSession,
) -> Outcome:
    kwargs: dict[str, Any] = {"baseline": config.baseline}
    if config.baseline == "previous" and not published:
        return Outcome(
            "lakeshelf_drift",
            kwargs,
            config.severity,
            True,
            observed_value="first version: no baseline yet",
            engine=ENGINE,
        )
    version = _baseline_version(project, dataset, config.baseline, published)
    pinned = f"{dataset}@{version}"
    report = drift(
        stored_profile(project, dataset, version, spark),
        candidate,
        thresholds_for(project, dataset),
        reference_name=pinned,
        current_name="this publish",
    )
    kwargs["reference"] = pinned
    drifted = [c.column for c in report.compared if c.drifted]
    return Outcome(
        "lakeshelf_drift",
        kwargs,
        config.severity,
        not report.drifted,
        element_count=len(report.compared),
        unexpected_count=len(drifted),
        observed_value={"share": round(report.share, 4), "drifted_columns": drifted},
        examples=[
            {
                "column": c.column,
                "method": c.method,
                "statistic": c.statistic,
                "threshold": c.threshold,
            }
            for c in report.compared
            if c.drifted
        ][:10],
        engine=ENGINE,
    )


def _baseline_version(
    project: Project, dataset: str, baseline: str, published: list[store.VersionRecord]
) -> int:
    """The published version ``baseline`` names: previous, a tag, N, @N or vN."""
    if baseline == "previous":
        return published[-1].version
    text = baseline.split("@", 1)[-1].removeprefix("v")
    if text.isdigit():
        version = int(text)
    else:
        event = store.tags(project.lake_location).get(text)
        if event is None or event.dataset != dataset or event.version is None:
            raise ConfigError(f"drift baseline {baseline!r}: no tag {text!r} on {dataset}")
        version = int(event.version)
    if version not in {r.version for r in published}:
        raise ConfigError(f"drift baseline {baseline!r}: {dataset}@{version} was never published")
    return version


def stored_profile(
    project: Project,
    dataset: str,
    version: int,
    spark: SparkSession | Callable[[], SparkSession] | None,
) -> list[ColumnProfile]:
    """The stored profile of a published version, by column; a version published before
    profiles existed is profiled once (one Spark pass; ``spark`` or a function that starts it)
    and its profile stored.

    Raises:
        ConfigError: the profile is missing and ``spark`` is None.
    """
    lake = project.lake_location
    found = store.profiles(lake, dataset, {version})
    if found:
        return found
    if spark is None:
        raise ConfigError(f"{dataset}@{version} has no stored profile; computing it needs Spark")
    from lakeshelf.table import load_snapshot, snapshot_dataframe

    session = spark() if callable(spark) else spark
    snapshot = load_snapshot(project.table(dataset), version)
    computed = profile(
        snapshot_dataframe(session, snapshot), dataset, version, snapshot.num_records
    )
    store.register_profile(lake, dataset, version, computed)
    return sorted(computed, key=lambda p: p.column)  # as the store returns them


def _history_checks(
    project: Project,
    dataset: str,
    checks: ChecksConfig,
    candidate: list[ColumnProfile],
    published: list[store.VersionRecord],
    appends: bool,
    spark: SparkSession,
) -> list[Outcome]:
    previous: list[ColumnProfile] = []
    if published and (checks.null_rate or checks.new_categories):
        previous = stored_profile(project, dataset, published[-1].version, spark)
    outcomes = []
    if checks.row_count:
        rule = checks.row_count
        outcomes.append(
            _guarded("row_count", lambda: _row_count(rule, candidate, published, appends))
        )
    if checks.null_rate:
        rule_n = checks.null_rate
        outcomes.append(_guarded("null_rate", lambda: _null_rate(rule_n, candidate, previous)))
    if checks.new_categories:
        rule_c = checks.new_categories
        outcomes.append(
            _guarded(
                "new_categories",
                lambda: _new_categories(rule_c, candidate, previous),
            )
        )
    if checks.schema_change:
        rule_s = checks.schema_change
        outcomes.append(
            _guarded(
                "schema_change",
                lambda: _schema_change(rule_s, candidate, published),
            )
        )
    return outcomes


def _rows(candidate: list[ColumnProfile]) -> int:
    return candidate[0].row_count if candidate else 0


def _row_count(
    rule: Any, candidate: list[ColumnProfile], published: list[Any], appends: bool
) -> Outcome:
    counts = [r.row_count for r in published]
    if appends:  # rows each version added; a compaction (or a restore) added none
        counts = [b - a for a, b in zip([0, *counts], counts, strict=False) if b > a]
    window = counts[-rule.window :]
    kwargs = {"max_change": rule.max_change, "window": rule.window, "appends": appends}
    rows = _rows(candidate)
    if not window:
        return Outcome(
            "lakeshelf_row_count",
            kwargs,
            rule.severity,
            True,
            observed_value={"rows": rows, "trailing_mean": None},
            engine=ENGINE,
        )
    mean = sum(window) / len(window)
    change = abs(rows - mean) / mean if mean else (0.0 if rows == 0 else float("inf"))
    return Outcome(
        "lakeshelf_row_count",
        kwargs,
        rule.severity,
        change <= rule.max_change,
        observed_value={
            "rows": rows,
            "trailing_mean": mean,
            "change": round(change, 4) if change != float("inf") else "inf",
        },
        engine=ENGINE,
    )


def _null_rate(rule: Any, candidate: list[ColumnProfile], previous: list[ColumnProfile]) -> Outcome:
    before = {p.column: p.null_rate for p in previous}
    jumps = {
        p.column: round(p.null_rate - before[p.column], 4)
        for p in candidate
        if p.column in before
        and (not rule.columns or p.column in rule.columns)
        and p.null_rate - before[p.column] > rule.max_increase
    }
    return Outcome(
        "lakeshelf_null_rate",
        {"max_increase": rule.max_increase, "columns": rule.columns},
        rule.severity,
        not jumps,
        element_count=len(candidate),
        unexpected_count=len(jumps),
        observed_value=jumps,
        engine=ENGINE,
    )


def _new_categories(
    rule: Any, candidate: list[ColumnProfile], previous: list[ColumnProfile]
) -> Outcome:
    before = {p.column: p for p in previous if p.kind == "categorical"}
    found: dict[str, list[Any]] = {}
    for p in candidate:
        old = before.get(p.column)
        if (
            old is None
            or p.kind != "categorical"
            or (rule.columns and p.column not in rule.columns)
        ):
            continue
        if old.other_count:  # the previous version had more values than it lists
            continue
        known = {json.dumps(v) for v, _ in old.top}
        new = [v for v, _ in p.top if json.dumps(v) not in known]
        if new:
            found[p.column] = new[:10]
    return Outcome(
        "lakeshelf_new_categories",
        {"columns": rule.columns},
        rule.severity,
        not found,
        unexpected_count=sum(len(v) for v in found.values()),
        observed_value=found,
        examples=[f"{c}={v!r}" for c, vs in found.items() for v in vs][:10],
        engine=ENGINE,
    )


def _schema_change(rule: Any, candidate: list[ColumnProfile], published: list[Any]) -> Outcome:
    if not published:
        return Outcome(
            "lakeshelf_schema_change",
            {},
            rule.severity,
            True,
            observed_value="first version",
            engine=ENGINE,
        )
    from pyspark.sql.types import StructType

    fields = StructType.fromJson(json.loads(published[-1].schema_json)).fields
    before = {f.name: f.dataType.simpleString() for f in fields}
    after = {p.column: p.type for p in candidate}
    change = {
        "added": sorted(set(after) - set(before)),
        "removed": sorted(set(before) - set(after)),
        "retyped": sorted(c for c in set(after) & set(before) if after[c] != before[c]),
    }
    return Outcome(
        "lakeshelf_schema_change",
        {},
        rule.severity,
        not any(change.values()),
        observed_value=change,
        engine=ENGINE,
    )
