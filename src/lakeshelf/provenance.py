"""What ML code asks of a published version: its manifest, proof it is unchanged, its lineage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lakeshelf import registry
from lakeshelf.resolve import Resolved, resolve_dataset

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakeshelf.config import Project


@dataclass(frozen=True)
class Verification:
    """A fingerprint recomputed from the time-travelled version against the registered one."""

    ref: str
    registered: str
    recomputed: str

    @property
    def identical(self) -> bool:
        """True when the version's data is exactly what was published."""
        return self.registered == self.recomputed


def _project(conf: str | None) -> Project:
    from lakeshelf.config import load_project

    return load_project(conf)


def _dataset_ref(ref: str, project: Project) -> Resolved:
    return resolve_dataset(ref, project)


def manifest(ref: str, conf: str | None = None) -> dict[str, Any]:
    """The registry record of a dataset version, as JSON-ready data to log with a model.

    Args:
        ref: ``name``, ``name@N``, ``name@TAG``, ``name@<timestamp>``.
        conf: configuration folder (default ``$LAKESHELF_CONF`` or ``./conf``).

    Raises:
        ConfigError: bad ref or unknown dataset or tag.
        LakeshelfError: the version was never published.
    """
    project = _project(conf)
    pinned = _dataset_ref(ref, project)
    options = project.lake.storage_options or None
    record = registry.record_of(project.lake_uri, pinned.dataset or "", pinned.version, options)
    data = record.as_manifest()
    data["tags"] = sorted(
        name
        for name, event in registry.tags(project.lake_uri, options).items()
        if (event.dataset, event.version) == (record.dataset, record.version)
    )
    return data


def verify(ref: str, conf: str | None = None, spark: SparkSession | None = None) -> Verification:
    """Recompute a version's fingerprint from the table and compare it with the registry's."""
    from lakeshelf.fingerprint import fingerprint
    from lakeshelf.read import read

    project = _project(conf)
    pinned = _dataset_ref(ref, project)
    options = project.lake.storage_options or None
    record = registry.record_of(project.lake_uri, pinned.dataset or "", pinned.version, options)
    frame = read(pinned.uri, version=pinned.version, spark=spark, storage_options=options)
    return Verification(str(pinned), record.fingerprint, fingerprint(frame))


def lineage(ref: str, conf: str | None = None) -> dict[str, Any]:
    """The inputs (dataset versions) a version was built from, recursively."""
    import json

    project = _project(conf)
    pinned = _dataset_ref(ref, project)
    options = project.lake.storage_options or None

    def walk(dataset: str, version: int) -> dict[str, Any]:
        record = registry.record_of(project.lake_uri, dataset, version, options)
        inputs = json.loads(record.lineage) if record.lineage else {}
        return {
            "dataset": dataset,
            "version": version,
            "fingerprint": record.fingerprint,
            "inputs": {a: walk(i["dataset"], i["version"]) for a, i in inputs.items()},
        }

    return walk(pinned.dataset or "", pinned.version)
