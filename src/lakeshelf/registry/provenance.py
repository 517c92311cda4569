"""What ML code asks of a published version: its manifest, proof it is unchanged, its lineage,
and what changed between two versions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lakeshelf.config import project_of
from lakeshelf.registry import store
from lakeshelf.registry.diff import Diff, diff_rows
from lakeshelf.registry.fingerprint import Verification, fingerprint
from lakeshelf.registry.resolve import Resolved, resolve_dataset, resolve_in

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakeshelf.config import Project


def manifest(
    ref: str, conf: str | Project | None = None, split: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The registry record of a dataset version, as JSON-ready data to log with a model.

    Args:
        ref: ``name``, ``name@N``, ``name@TAG``, ``name@<timestamp>``.
        conf: configuration folder (default ``$LAKESHELF_CONF`` or ``./conf``) or a project.
        split: the ``params`` of a :func:`lakeshelf.split` of this version, kept under "split".

    Raises:
        ConfigError: bad ref or unknown dataset or tag.
        LakeshelfError: the version was never published.
    """
    project = project_of(conf)
    record, _ = _registered(ref, project)
    data = record.as_manifest()
    data["tags"] = sorted(
        name
        for name, event in store.tags(project.lake_location).items()
        if (event.dataset, event.version) == (record.dataset, record.version)
    )
    if split is not None:
        data["split"] = split
    return data


def verify(ref: str, conf: str | Project | None, spark: SparkSession) -> Verification:
    """Recompute a version's fingerprint from the table and compare it with the registry's."""
    from lakeshelf.table import read

    project = project_of(conf)
    record, pinned = _registered(ref, project)
    frame = read(spark, pinned.location, pinned.version)
    return Verification(str(pinned), record.fingerprint, fingerprint(frame))


def lineage(ref: str, conf: str | Project | None = None) -> dict[str, Any]:
    """The inputs (dataset versions) a version was built from, recursively."""
    project = project_of(conf)
    lake = project.lake_location

    def walk(dataset: str, version: int) -> dict[str, Any]:
        record = store.record_of(lake, dataset, version)
        return {
            "dataset": dataset,
            "version": version,
            "fingerprint": record.fingerprint,
            "inputs": {alias: walk(name, at) for alias, name, at in record.inputs},
        }

    pinned = resolve_dataset(ref, project)
    return walk(pinned.dataset or "", pinned.version)


def diff_versions(
    first: str,
    second: str,
    spark: SparkSession,
    *,
    key: list[str] | None = None,
    conf: str | Project | None = None,
) -> Diff:
    """The row-level diff from version ``first`` to ``second`` (refs: ``name@AT``, ``PATH@AT``).

    Raises:
        ConfigError: a bad ref, or a key missing or not unique (:func:`diff_rows`).
    """
    from lakeshelf.table import read

    a, b = resolve_in(first, conf), resolve_in(second, conf)
    return diff_rows(read(spark, a.location, a.version), read(spark, b.location, b.version), key)


def _registered(ref: str, project: Project) -> tuple[store.VersionRecord, Resolved]:
    pinned = resolve_dataset(ref, project)
    return store.record_of(project.lake_location, pinned.dataset or "", pinned.version), pinned
