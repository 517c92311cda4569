"""A dataset's history: every commit of its table, with what the registry knows of each."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lakeshelf.registry import store
from lakeshelf.registry.kept import Pin, pins_of
from lakeshelf.table import HistoryEntry, history

if TYPE_CHECKING:
    from lakeshelf.config import Project


@dataclass(frozen=True)
class DatasetVersion:
    """One commit of a dataset's table and its registry state."""

    entry: HistoryEntry
    registered: bool
    gate: str | None  # how the version fared at its gate, None if it is not registered
    tags: list[str] = field(default_factory=list)
    kept_by: list[str] = field(default_factory=list)  # why vacuum keeps it ("pinned by T ...")


def dataset_history(
    project: Project, dataset: str, limit: int | None = None
) -> list[DatasetVersion]:
    """The dataset's commits, newest first, each with its registry record's gate state, tags
    and the pins that keep it."""
    name = project.dataset(dataset).name
    lake = project.lake_location
    published = {r.version: r for r in store.records(lake, name)}
    kept = {version: found for (kept, version), found in pins(project).items() if kept == name}
    return [
        DatasetVersion(
            entry,
            entry.version in published,
            gate_state(published.get(entry.version)),
            sorted(
                p.name for p in kept.get(entry.version, []) if p.kind == "tag" and p.through is None
            ),
            [str(p) for p in kept.get(entry.version, [])],
        )
        for entry in history(project.table(name), limit=limit)
    ]


def gate_state(record: store.VersionRecord | None) -> str | None:
    """How a registered version fared at its gate (None if it is not registered)."""
    return record.gate_state if record is not None else None


def pins(project: Project) -> dict[tuple[str, int], list[Pin]]:
    """Every version the project's tags and releases keep, with the pins that keep it
    (:func:`lakeshelf.registry.kept.pins_of` over the registry as it is now)."""
    lake = project.lake_location
    return pins_of(store.records(lake), store.tags(lake), store.releases(lake))
