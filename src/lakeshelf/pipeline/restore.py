"""Restoring to an earlier version; for a dataset, a publish like any other, gated and registered.

The restored version's rows are exactly the earlier version's, and they are checked against the
dataset's suite *today* before the commit: a version that the current suite refuses is not
published again. The new version is registered with the gate's result and the version it restores.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lakeshelf.errors import ConfigError
from lakeshelf.gate import dataset_suite, enforce, run_suite
from lakeshelf.registry import Resolved, dataset_of, parse_ref, register_pending, resolve_dataset
from lakeshelf.table import restore

if TYPE_CHECKING:
    import os

    from pyspark.sql import SparkSession

    from lakeshelf.config import Project
    from lakeshelf.storage import Location


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
    return RestoreResult(pinned, version, suite["name"] if suite else None)


def restore_table(
    table: Location,
    *,
    version: int | None = None,
    timestamp: str | dt.datetime | None = None,
    metadata: dict[str, Any] | None = None,
    conf: str | os.PathLike[str] | Project | None = None,
) -> int:
    """Commit a new version of ``table`` equal to an earlier one; return it.

    A dataset's table is restored as a publish (:func:`restore_dataset`), with the project from
    ``conf`` (default ``$LAKESHELF_CONF`` or ``./conf``); other tables are restored as they are.

    Raises:
        ConfigError: the table is a dataset's and no project holding it can be found.
        GateFailedError: the dataset's suite refuses the restored rows; nothing is committed.
        VersionNotFoundError: the target is outside the readable history.
    """
    dataset = dataset_of(table)
    if dataset is None:
        return restore(table, version=version, timestamp=timestamp, metadata=metadata)
    project = _project_holding(table, dataset, conf)
    at = version if version is not None else _timestamp_text(timestamp)
    if at is None:
        raise ConfigError("restore needs a version or a timestamp to restore to")
    return restore_dataset(project, f"{dataset}@{at}").version


def _project_holding(table: Location, dataset: str, conf: Any) -> Project:
    from lakeshelf.config import project_of

    problem = (
        f"{table} is the table of dataset {dataset!r}; restoring it outside its project would"
        " publish a version no suite checked and the registry never records. Pass conf= (or set"
        f" LAKESHELF_CONF) to its project, or run: lakeshelf restore {dataset}@VERSION --conf DIR"
    )
    try:
        project = project_of(conf)
    except ConfigError as exc:
        raise ConfigError(f"{problem} ({exc})") from None
    if dataset not in project.datasets or project.table(dataset).uri != table.uri:
        raise ConfigError(f"{problem} ({project.conf_dir} does not hold it)")
    return project


def _timestamp_text(timestamp: str | dt.datetime | None) -> str | None:
    if timestamp is None:
        return None
    from lakeshelf import timestamps

    try:
        return timestamps.parse(timestamp).isoformat()
    except ValueError as exc:
        raise ConfigError(f"{timestamp!r} is not an ISO-8601 timestamp") from exc
