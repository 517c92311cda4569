"""Profiles of dataset versions from the registry, drift between refs, metrics across versions.

A version published before profiles existed has none stored: :func:`version_profile` computes
it from the version's rows (one Spark pass) and stores it, so it is computed once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lakeshelf.config.models import DriftConfig
from lakeshelf.errors import ConfigError, LakeshelfError
from lakeshelf.observe.drift import DriftReport, Thresholds, drift
from lakeshelf.registry import resolve_dataset, store
from lakeshelf.registry.profile import METRICS, ColumnProfile

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakeshelf.config import Project
    from lakeshelf.registry import Resolved


def version_profile(
    project: Project,
    ref: str,
    spark: SparkSession | Callable[[], SparkSession] | None = None,
) -> tuple[Resolved, list[ColumnProfile]]:
    """The profile of a published dataset version, computed and stored if it has none yet.

    ``spark`` (or a function that starts it) is needed only to compute a missing profile.

    Raises:
        ConfigError: a bad ref, or a missing profile and no way to start Spark.
        LakeshelfError: the version was never published.
    """
    from lakeshelf.observe.checks import stored_profile

    pinned = resolve_dataset(ref, project, "profile")
    assert pinned.dataset is not None
    found = store.profiles(project.lake_location, pinned.dataset, {pinned.version})
    if found:
        return pinned, found
    store.record_of(project.lake_location, pinned.dataset, pinned.version)  # published only
    return pinned, stored_profile(project, pinned.dataset, pinned.version, spark)


def drift_between(
    project: Project,
    reference: str,
    current: str,
    thresholds: Thresholds | None = None,
    spark: SparkSession | Callable[[], SparkSession] | None = None,
) -> DriftReport:
    """Drift of ``current`` against ``reference`` (dataset refs), from their stored profiles."""
    ref_pinned, ref_profile = version_profile(project, reference, spark)
    cur_pinned, cur_profile = version_profile(project, current, spark)
    return drift(
        ref_profile,
        cur_profile,
        thresholds,
        reference_name=str(ref_pinned),
        current_name=str(cur_pinned),
    )


@dataclass(frozen=True)
class MetricPoint:
    """One metric of one column of one version."""

    dataset: str
    version: int
    commit_timestamp: str
    column: str
    metric: str
    value: Any


def metric_history(
    project: Project, dataset: str, column: str | None = None, metric: str | None = None
) -> list[MetricPoint]:
    """A dataset's profile metrics across its published versions, oldest first.

    ``column`` and ``metric`` (one of :data:`METRICS`) narrow it. Reads only stored profiles
    (no sketches, no data).

    Raises:
        ConfigError: unknown dataset or metric.
    """
    name = project.dataset(dataset).name
    if metric is not None and metric not in METRICS:
        raise ConfigError(f"unknown metric {metric!r}: use one of {', '.join(METRICS)}")
    lake = project.lake_location
    committed = {r.version: r.commit_timestamp for r in store.records(lake, name)}
    profiles = store.profiles(lake, name, with_sketches=False)
    if column is not None and profiles and column not in {p.column for p in profiles}:
        raise LakeshelfError(f"{name} has no profiled column {column!r}")
    points = []
    for item in profiles:
        if column is not None and item.column != column:
            continue
        for name_ in [metric] if metric else METRICS:
            points.append(
                MetricPoint(
                    name,
                    item.version,
                    committed.get(item.version, ""),
                    item.column,
                    name_,
                    item.metric(name_),
                )
            )
    return points


def baseline_ref(project: Project, current: str, baseline: str | None) -> str:
    """The reference ref for ``current``: ``baseline`` (a tag, @N, or a full ref), or the
    dataset's configured baseline; ``previous`` is the published version before ``current``.

    Raises:
        ConfigError: ``current`` has no earlier published version to compare with.
    """
    pinned = resolve_dataset(current, project, "drift")
    assert pinned.dataset is not None
    chosen = baseline or (project.dataset(pinned.dataset).drift or DriftConfig()).baseline
    if chosen != "previous":
        return chosen if "@" in chosen else f"{pinned.dataset}@{chosen}"
    earlier = [
        r.version
        for r in store.records(project.lake_location, pinned.dataset)
        if r.version < pinned.version
    ]
    if not earlier:
        raise ConfigError(f"{pinned} is the first published version: name a version to compare")
    return f"{pinned.dataset}@{earlier[-1]}"


def dataset_drift(
    project: Project,
    current: str,
    reference: str | None = None,
    *,
    baseline: str | None = None,
    spark: SparkSession | Callable[[], SparkSession] | None = None,
    **thresholds: float | None,
) -> DriftReport:
    """Drift of ``current`` against ``reference``, or against ``baseline`` (a tag, N or a ref;
    default the dataset's ``drift.baseline``, ``previous`` unless configured), judged with the
    dataset's thresholds overridden by ``thresholds`` that are not None.

    Raises:
        ConfigError: both or neither of ``reference`` and a usable baseline, bad refs or methods.
    """
    from lakeshelf.observe.drift import thresholds_for

    if reference is not None and baseline is not None:
        raise ConfigError("give a reference version or --baseline, not both")
    reference = reference or baseline_ref(project, current, baseline)
    dataset = resolve_dataset(current, project, "drift").dataset or ""
    limits = thresholds_for(project, dataset, **thresholds)
    return drift_between(project, reference, current, limits, spark)
