"""Drift recorded at publish: each published version against the published version before it.

Drift between two versions is computed from their stored profiles alone, but it still costs a
few milliseconds a pair (decoding sketches, the statistics); a history, a site or a monitor
that shows every version's drift would pay that for every pair every time. So after a version
is registered its statistics against the version before it are recorded once in the
registry's drift table (``<lake>/_registry/drift``, as Databricks keeps a drift-metrics table
beside its profile-metrics table). Only the statistics are stored: whether they count as drift
is judged when they are read, by the thresholds configured then.

Recording is idempotent and catches up: :func:`record_drift` records every registered version
that has none yet, so a run that died after registering leaves nothing missing for long, and
lakes registered before this existed are filled in by their next publish.
"""

from __future__ import annotations

import logging
from itertools import pairwise
from typing import TYPE_CHECKING

from lakeshelf import timestamps
from lakeshelf.observe.drift import column_metrics, comparable
from lakeshelf.registry import store

if TYPE_CHECKING:
    from lakeshelf.config import Project
    from lakeshelf.registry.profile import ColumnProfile

log = logging.getLogger(__name__)


def record_drift(project: Project, dataset: str) -> list[int]:
    """Record the drift statistics of every registered version of ``dataset`` newer than the
    last one recorded, each against the published version before it; return those versions.

    A version without a previous published version, or whose profile (or its predecessor's)
    is missing, gets no row. Recording is derived data: a failure is logged, never raised, so
    it cannot fail the publish that calls it (the drift is then computed when it is read).
    """
    try:
        return _record(project, dataset)
    except Exception as exc:  # derived data: the publish stands, readers compute it instead
        log.warning("drift of %s not recorded: %s: %s", dataset, type(exc).__name__, exc)
        return []


def _record(project: Project, dataset: str) -> list[int]:
    lake = project.lake_location
    done = store.recorded_drift_through(lake, dataset)
    versions = [r.version for r in store.records(lake, dataset)]
    pairs = [(a, b) for a, b in pairwise(versions) if b > done]
    if not pairs:
        return []
    wanted = {v for pair in pairs for v in pair}
    by_version: dict[int, list[ColumnProfile]] = {}
    for column in store.profiles(lake, dataset, wanted):
        by_version.setdefault(column.version, []).append(column)
    at = timestamps.now_iso()
    rows = [
        row
        for reference, version in pairs
        for row in pair_rows(dataset, reference, version, by_version, at)
    ]
    store.register_drift(lake, dataset, rows)
    return sorted({row.version for row in rows})


def pair_rows(
    dataset: str,
    reference: int,
    version: int,
    profiles: dict[int, list[ColumnProfile]],
    at: str,
) -> list[store.DriftMetrics]:
    """The drift rows of ``dataset@version`` against ``@reference``: one per column both
    versions have with comparable kinds (none when either profile is missing)."""
    before = {p.column: p for p in profiles.get(reference, [])}
    rows = []
    for after in profiles.get(version, []):
        previous = before.get(after.column)
        if previous is None or not comparable(previous, after):
            continue
        statistics = column_metrics(previous, after)
        rows.append(
            store.DriftMetrics(
                dataset=dataset,
                version=version,
                reference=reference,
                column=after.column,
                **{name: statistics.get(name) for name in store.STATISTICS},
                recorded_at=at,
            )
        )
    return rows
