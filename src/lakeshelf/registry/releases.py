"""Releases: a named, consistent set of dataset versions, pinned together in one registry commit.

A release is what a training job reads: its lockfile names every dataset version with its
fingerprint and table, so the job reads exactly those and anyone can prove them unchanged later.
Like a tag, a release pins its versions and their whole lineage through vacuum
(:mod:`lakeshelf.registry.kept`); release names follow the tag rule; a release never moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lakeshelf.config import project_of
from lakeshelf.errors import ConfigError
from lakeshelf.names import check_label
from lakeshelf.registry import store
from lakeshelf.registry.fingerprint import Verification, fingerprint
from lakeshelf.registry.resolve import resolve_dataset
from lakeshelf.storage import Location

if TYPE_CHECKING:
    import os

    from pyspark.sql import DataFrame, SparkSession

    from lakeshelf.config import Project


@dataclass(frozen=True)
class Release:
    """A release and its dataset versions."""

    name: str
    created: str
    user: str
    entries: list[store.ReleaseEntry]

    def lockfile(self) -> dict[str, Any]:
        """``{"release", "created", "datasets": [{"dataset", "version", "fingerprint",
        "table"}]}``: what a training job reads and logs."""
        return {
            "release": self.name,
            "created": self.created,
            "datasets": [
                {
                    "dataset": e.dataset,
                    "version": e.version,
                    "fingerprint": e.fingerprint,
                    "table": e.table_uri,
                }
                for e in self.entries
            ],
        }


def create_release(project: Project, name: str, refs: list[str]) -> Release:
    """Pin the published versions ``refs`` name (one per dataset) as release ``name``, in one
    registry commit: all of them or none.

    Raises:
        ConfigError: no refs, a bad name or ref, two versions of one dataset, or the name is
            taken.
        LakeshelfError: a ref names a version that was never published.
    """
    check_label(name)
    if not refs:
        raise ConfigError("a release needs at least one DATASET@AT")
    lake = project.lake_location
    pinned = []
    for ref in refs:
        resolved = resolve_dataset(ref, project, "release create")
        pinned.append(store.record_of(lake, resolved.dataset or "", resolved.version))
    datasets = [r.dataset for r in pinned]
    repeated = sorted({d for d in datasets if datasets.count(d) > 1})
    if repeated:
        raise ConfigError(f"a release holds one version per dataset; {repeated} appear twice")
    return _release(name, store.create_release(lake, name, pinned))


def get_release(project: Project, name: str) -> Release:
    """Release ``name``.

    Raises:
        ConfigError: no such release (the message lists the known ones).
    """
    found = store.releases(project.lake_location)
    if name not in found:
        known = ", ".join(sorted(found)) or "none"
        raise ConfigError(f"no release {name!r} (releases: {known})")
    return _release(name, found[name])


def list_releases(project: Project) -> list[Release]:
    """Every current release, oldest first."""
    found = store.releases(project.lake_location)
    return sorted((_release(n, e) for n, e in found.items()), key=lambda r: r.created)


def remove_release(project: Project, name: str) -> Release:
    """Remove release ``name``: its versions stay, pinned only by what else pins them.

    Raises:
        ConfigError: no such release.
    """
    return _release(name, store.remove_release(project.lake_location, name))


def verify_release(project: Project, name: str, spark: SparkSession) -> list[Verification]:
    """Recompute the fingerprint of every version in release ``name`` (each ``ref`` is
    ``dataset@version``; ``registered`` is the fingerprint the release recorded)."""
    return [
        Verification(
            f"{entry.dataset}@{entry.version}",
            entry.fingerprint or "",
            fingerprint(_frame(project, entry, spark)),
        )
        for entry in get_release(project, name).entries
    ]


def read_release(
    name: str,
    conf: str | os.PathLike[str] | Project | None = None,
    spark: SparkSession | None = None,
) -> dict[str, DataFrame]:
    """The DataFrames of release ``name``, by dataset: exactly the versions it pins.

    Raises:
        ConfigError: no such release.
    """
    from lakeshelf.session import spark_session

    project = project_of(conf)
    session = spark or spark_session(conf=project.lake.spark)
    return {
        entry.dataset or "": _frame(project, entry, session)
        for entry in get_release(project, name).entries
    }


def _frame(project: Project, entry: store.ReleaseEntry, spark: SparkSession) -> DataFrame:
    """The rows of one released version, read from the table the release recorded."""
    from lakeshelf.table import read

    table = Location(entry.table_uri or "", project.lake_location.options)
    return read(spark, table, entry.version)


def _release(name: str, entries: list[store.ReleaseEntry]) -> Release:
    first = entries[0]
    return Release(name, first.at, first.user, entries)
