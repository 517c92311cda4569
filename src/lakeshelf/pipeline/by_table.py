"""Library calls given only a table's location: a dataset's table is handled as its dataset.

Restoring or compacting a dataset's table commits a version its registry must record, so these
find the project that holds the table (``conf``, ``$LAKESHELF_CONF`` or ``./conf``) and act
through the dataset; any other table is handled as it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lakeshelf.errors import ConfigError
from lakeshelf.observe.recorded import record_drift
from lakeshelf.pipeline.restore import restore_dataset
from lakeshelf.registry import dataset_of, optimize_dataset
from lakeshelf.table import OptimizeResult, optimize, restore, undo_doubled_compaction

if TYPE_CHECKING:
    import os

    from pyspark.sql import SparkSession

    from lakeshelf.config import Project
    from lakeshelf.storage import Location


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
    why = (
        "restoring it outside its project would publish a version no suite checked and the"
        " registry never records"
    )
    project = _project_holding(table, dataset, conf, why, f"lakeshelf restore {dataset}@VERSION")
    at = version if version is not None else _timestamp_text(timestamp)
    if at is None:
        raise ConfigError("restore needs a version or a timestamp to restore to")
    return restore_dataset(project, f"{dataset}@{at}").version


def _timestamp_text(timestamp: str | dt.datetime | None) -> str | None:
    if timestamp is None:
        return None
    from lakeshelf import timestamps

    try:
        return timestamps.parse(timestamp).isoformat()
    except ValueError as exc:
        raise ConfigError(f"{timestamp!r} is not an ISO-8601 timestamp") from exc


def optimize_table(
    table: Location,
    spark: SparkSession | Callable[[], SparkSession],
    *,
    z_order: list[str] | None = None,
    target_size: int | None = None,
    conf: str | os.PathLike[str] | Project | None = None,
) -> OptimizeResult:
    """Compact ``table``; a dataset's table as :func:`optimize_dataset` does, with its project
    from ``conf`` (default ``$LAKESHELF_CONF`` or ``./conf``) and ``spark`` for its fingerprint.

    Raises:
        ConfigError: the table is a dataset's and no project holding it can be found.
    """
    dataset = dataset_of(table)
    if dataset is None:
        result = optimize(table, target_size=target_size, z_order=z_order)
        undo_doubled_compaction(table, result.version)
        return result
    why = "compacting it outside its project would leave its latest publish unregistered"
    project = _project_holding(table, dataset, conf, why, f"lakeshelf optimize {dataset}")
    target_mb = None if target_size is None else max(1, target_size // (1024 * 1024))
    return optimize_registered(project, dataset, spark, z_order=z_order, target_file_mb=target_mb)


def optimize_registered(
    project: Project,
    dataset: str,
    spark: SparkSession | Callable[[], SparkSession],
    *,
    z_order: list[str] | None = None,
    target_file_mb: int | None = None,
) -> OptimizeResult:
    """:func:`lakeshelf.registry.optimize_dataset`, with the compacted version's drift recorded
    as a publish records it (:func:`lakeshelf.observe.recorded.record_drift`)."""
    result = optimize_dataset(
        project, dataset, spark, z_order=z_order, target_file_mb=target_file_mb
    )
    record_drift(project, dataset)
    return result


def _project_holding(table: Location, dataset: str, conf: Any, why: str, command: str) -> Project:
    """The project (``conf``, ``$LAKESHELF_CONF`` or ``./conf``) whose ``dataset`` is ``table``.

    Args:
        why: what going on without the project would do, for the message.
        command: the CLI command that does the same with the project.

    Raises:
        ConfigError: no such project can be loaded, or it does not hold the table.
    """
    from lakeshelf.config import project_of

    problem = (
        f"{table} is the table of dataset {dataset!r}; {why}. Pass conf= (or set"
        f" LAKESHELF_CONF) to its project, or run: {command} --conf DIR"
    )
    try:
        project = project_of(conf)
    except ConfigError as exc:
        raise ConfigError(f"{problem} ({exc})") from None
    if dataset not in project.datasets or project.table(dataset).uri != table.uri:
        raise ConfigError(f"{problem} ({project.conf_dir} does not hold it)")
    return project
