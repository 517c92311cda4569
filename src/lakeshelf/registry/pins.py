"""Pins: tags on published versions, which versions they keep, and vacuum that keeps them.

A pin is lineage-closed: a tag keeps its version and, transitively, every input version its
lineage records, so a pinned derived version can always be rebuilt from its sources. Pins are
computed from the current tags and the registry's lineage each time, so removing a tag releases
exactly what no other pin still needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lakeshelf.names import check_label
from lakeshelf.registry import store
from lakeshelf.registry.history import pins
from lakeshelf.registry.resolve import resolve_dataset
from lakeshelf.registry.store import TagEvent
from lakeshelf.table import CleanupResult, vacuum

if TYPE_CHECKING:
    from lakeshelf.config import Project


def pinned_versions(project: Project, dataset: str) -> list[int]:
    """The versions of ``dataset`` that pins keep, directly or as inputs, oldest first."""
    name = project.dataset(dataset).name
    return sorted(version for (kept, version) in pins(project) if kept == name)


def vacuum_dataset(
    project: Project,
    dataset: str,
    *,
    retain_hours: float = 168,
    log_retain_hours: float = 720,
    dry_run: bool = False,
) -> CleanupResult:
    """Vacuum a dataset's table: old files and commits go, pinned versions stay readable."""
    return vacuum(
        project.table(dataset),
        pinned=pinned_versions(project, dataset),
        retain_hours=retain_hours,
        log_retain_hours=log_retain_hours,
        dry_run=dry_run,
    )


def tag_version(project: Project, ref: str, name: str, *, force: bool = False) -> TagEvent:
    """Pin the published version ``ref`` names under tag ``name`` (moving it needs ``force``).

    Raises:
        ConfigError: the tag name breaks the rule, the ref is not a dataset's, or the tag exists
            and ``force`` is not given.
        LakeshelfError: the version was never published.
    """
    check_label(name)
    pinned = resolve_dataset(ref, project, "tag")
    lake = project.lake_location
    store.record_of(lake, pinned.dataset or "", pinned.version)  # only published versions
    return store.set_tag(lake, name, pinned.dataset or "", pinned.version, force=force)
