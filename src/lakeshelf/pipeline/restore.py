"""Restoring to an earlier version; for a dataset, a publish like any other, gated and registered.

The restored version's rows are exactly the earlier version's, and they are checked against the
dataset's suite *today* before the commit: a version that the current suite refuses is not
published again. The new version is registered with the gate's result and the version it restores.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lakeshelf.errors import ConfigError
from lakeshelf.gate import dataset_suite, enforce, run_suite
from lakeshelf.observe.recorded import record_drift
from lakeshelf.pipeline.lineage_events import publish_run
from lakeshelf.registry import Resolved, parse_ref, register_pending, resolve_dataset
from lakeshelf.table import restore

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakeshelf.config import Project


@dataclass(frozen=True)
class RestoreResult:
    """What a dataset restore committed."""

    restored: Resolved  # the earlier version
    version: int  # the new version, equal in contents
    suite: str | None  # the suite that passed it, None without one


def restore_dataset(
    project: Project, ref: str, *, spark: SparkSession | None = None
) -> RestoreResult:
    """Commit a new version of a dataset equal to the version ``ref`` names; gate and register it.

    Raises:
        ConfigError: ``ref`` names no version (use ``NAME@AT``), or an unknown dataset or tag.
        GateFailedError: the dataset's suite refuses the restored rows; nothing is committed.
    """
    parsed = parse_ref(ref)
    if parsed.version is None and parsed.tag is None and parsed.timestamp is None:
        raise ConfigError(f"{ref!r} names no version: use DATASET@VERSION, @TAG or @TIMESTAMP")
    pinned = resolve_dataset(ref, project, "restore")
    with publish_run(project, pinned.dataset or "", "restore") as run:
        result = _restore(project, pinned, spark)
        run.published(result.version, [(pinned.dataset or "", pinned.version)])
    return result


def _restore(project: Project, pinned: Resolved, spark: SparkSession | None) -> RestoreResult:
    """Commit ``pinned``'s rows as a new version of its dataset, gated, and register it."""
    suite = dataset_suite(project, pinned.dataset or "")
    metadata = {"dataset": pinned.dataset, "configHash": project.config_hashes.get(pinned.dataset)}
    from lakeshelf.session import spark_session

    if suite is not None:
        from lakeshelf.table import read

        spark = spark or spark_session(conf=project.lake.spark)
        rows = read(spark, pinned.location, pinned.version)
        metadata["suite"] = enforce(run_suite(rows, suite), f"restore of {pinned}")
    version = restore(pinned.location, version=pinned.version, metadata=metadata)
    dataset = pinned.dataset or ""
    register_pending(project, dataset, spark or (lambda: spark_session(conf=project.lake.spark)))
    record_drift(project, dataset)
    return RestoreResult(pinned, version, suite["name"] if suite else None)
