"""lakeshelf's Python API: the functions ``import lakeshelf`` offers, composed from the rooms.

Each takes a table location (a path or URI) plus ``storage_options`` in delta-rs's keys, as it
always has, and turns them into one :class:`lakeshelf.storage.Location` at this boundary.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from lakeshelf import table as tables
from lakeshelf.storage import Location

if TYPE_CHECKING:
    import os

    import pandas as pd
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

    from lakeshelf.config import Project
    from lakeshelf.observe import DriftReport
    from lakeshelf.pipeline import Reproduction
    from lakeshelf.registry import Validation, Verification
    from lakeshelf.registry.diff import Diff
    from lakeshelf.registry.profile import ColumnProfile
    from lakeshelf.table import Audit, HistoryEntry, OptimizeResult, TableDetail


def write(
    df: DataFrame | pa.Table | pd.DataFrame,
    uri: str | os.PathLike[str],
    *,
    mode: str = "append",
    partition_by: list[str] | str | None = None,
    metadata: dict[str, Any] | None = None,
    schema_mode: str | None = None,
    app_transaction: tuple[str, int] | None = None,
    storage_options: dict[str, Any] | None = None,
    audit: Audit | None = None,
) -> int:
    """Write ``df`` as one new version of the Delta table at ``uri``; return the version.

    ``df`` is a Spark DataFrame, or rows already in Python (a pyarrow Table or RecordBatchReader,
    a pandas DataFrame), which the driver writes with pyarrow, without a Spark job: a small
    append costs about what a direct delta-rs commit does. See :func:`lakeshelf.table.write`
    for the arguments and errors.
    """
    return tables.write(
        df,
        Location.of(uri, storage_options),
        mode=mode,  # type: ignore[arg-type]
        partition_by=partition_by,
        metadata=metadata,
        schema_mode=schema_mode,  # type: ignore[arg-type]
        app_transaction=app_transaction,
        audit=audit,
    )


def read(
    uri: str | os.PathLike[str],
    *,
    version: int | None = None,
    timestamp: str | dt.datetime | None = None,
    spark: SparkSession | None = None,
    storage_options: dict[str, Any] | None = None,
    engine: str | None = None,
) -> DataFrame:
    """Read one version of a Delta table as a Spark DataFrame.

    Args:
        uri: table location (local path or URI).
        version: version number to read.
        timestamp: read the latest version committed at or before this time (ISO-8601 or datetime).
        spark: session to use; the active one (or a new local one) if None.
        storage_options: credentials and endpoint for object storage.
        engine: ``"lakeshelf"`` reads with lakeshelf's own reader even where delta-spark runs;
            by default delta-spark reads when the session runs it.

    Raises:
        TableNotFoundError, VersionNotFoundError, UnsupportedFeatureError: before a JVM starts.
            lakeshelf refuses what its own reader cannot honour on either engine, so whether a
            version reads never depends on the engine that serves it.
    """
    from lakeshelf.session import spark_session

    snapshot = tables.load_snapshot(Location.of(uri, storage_options), version, timestamp)
    spark = tables.apply_runtime_conf(spark) if spark is not None else spark_session()
    return tables.snapshot_dataframe(spark, snapshot, engine)


def history(
    uri: str | os.PathLike[str],
    *,
    limit: int | None = None,
    storage_options: dict[str, Any] | None = None,
) -> list[HistoryEntry]:
    """The table's commits, newest first."""
    return tables.history(Location.of(uri, storage_options), limit=limit)


def detail(
    uri: str | os.PathLike[str],
    *,
    version: int | None = None,
    storage_options: dict[str, Any] | None = None,
) -> TableDetail:
    """Schema, partitioning, protocol and size of a version (latest by default)."""
    return tables.detail(Location.of(uri, storage_options), version=version)


def restore(
    uri: str | os.PathLike[str],
    *,
    version: int | None = None,
    timestamp: str | dt.datetime | None = None,
    metadata: dict[str, Any] | None = None,
    storage_options: dict[str, Any] | None = None,
    conf: str | os.PathLike[str] | Project | None = None,
) -> int:
    """Commit a new version equal to an earlier one; return it.

    A dataset's table is restored as a publish: its suite checks the rows and the registry records
    the new version, with the project from ``conf`` (default ``$LAKESHELF_CONF`` or ``./conf``).
    Other tables are restored as they are (:func:`lakeshelf.pipeline.restore_table`).

    Raises:
        ConfigError: the table is a dataset's and no project holding it can be found.
        GateFailedError: the dataset's suite refuses the restored rows; nothing is committed.
        VersionNotFoundError: the target is outside the readable history.
    """
    from lakeshelf.pipeline import restore_table

    return restore_table(
        Location.of(uri, storage_options),
        version=version,
        timestamp=timestamp,
        metadata=metadata,
        conf=conf,
    )


def optimize(
    uri: str | os.PathLike[str],
    *,
    z_order: list[str] | None = None,
    target_size: int | None = None,
    storage_options: dict[str, Any] | None = None,
    conf: str | os.PathLike[str] | Project | None = None,
) -> OptimizeResult:
    """Compact the latest version's small files into fewer files of about ``target_size`` bytes
    (optionally Z-ordered by ``z_order``) in one commit that changes no rows.

    A dataset's table is compacted as a publish of the same rows, registered with the project from
    ``conf`` (:func:`lakeshelf.pipeline.optimize_table`). Earlier versions stay readable.

    Raises:
        ConfigError: the table is a dataset's and no project holding it can be found.
        UnsupportedFeatureError: the table uses a feature compaction cannot keep (deletion vectors).
    """
    from lakeshelf.pipeline import optimize_table
    from lakeshelf.session import spark_session

    return optimize_table(
        Location.of(uri, storage_options),
        spark_session,
        z_order=z_order,
        target_size=target_size,
        conf=conf,
    )


def validate(
    ref: str,
    *,
    conf: str | os.PathLike[str] | Project | None = None,
    suite: str | os.PathLike[str] | None = None,
    spark: SparkSession | None = None,
) -> Validation:
    """Validate an existing version (``DATASET@AT`` or ``PATH@AT``) against a suite.

    See :func:`lakeshelf.registry.validate`; ``spark`` defaults to :func:`spark_session`'s.
    """
    from lakeshelf.registry import validate as validate_version
    from lakeshelf.session import spark_session

    return validate_version(ref, conf=conf, suite=suite, spark=spark or spark_session())


def verify(
    ref: str,
    conf: str | os.PathLike[str] | Project | None = None,
    spark: SparkSession | None = None,
) -> Verification:
    """Recompute a published version's fingerprint and compare it with the registry's.

    See :func:`lakeshelf.registry.verify`; ``spark`` defaults to :func:`spark_session`'s.
    """
    from lakeshelf.registry import verify as verify_version
    from lakeshelf.session import spark_session

    return verify_version(ref, conf, spark or spark_session())


def profile(
    ref: str,
    conf: str | os.PathLike[str] | Project | None = None,
    spark: SparkSession | None = None,
) -> list[ColumnProfile]:
    """The stored profile of a published dataset version (``DATASET@AT``), one entry per column.

    Versions published before profiles existed are profiled once (a Spark pass; ``spark``
    defaults to :func:`spark_session`'s) and stored.
    """
    from lakeshelf.config import project_of
    from lakeshelf.observe import version_profile
    from lakeshelf.session import spark_session

    return version_profile(project_of(conf), ref, spark or spark_session)[1]


def drift(
    current: str,
    reference: str | None = None,
    *,
    baseline: str | None = None,
    conf: str | os.PathLike[str] | Project | None = None,
    **thresholds: float,
) -> DriftReport:
    """Drift of ``current`` against ``reference`` or ``baseline`` (dataset refs), from their
    stored profiles. See :func:`lakeshelf.observe.versions.dataset_drift`."""
    from lakeshelf.config import project_of
    from lakeshelf.observe.versions import dataset_drift
    from lakeshelf.session import spark_session

    return dataset_drift(
        project_of(conf), current, reference, baseline=baseline, spark=spark_session, **thresholds
    )


def metrics(
    name: str,
    column: str | None = None,
    metric: str | None = None,
    conf: str | os.PathLike[str] | Project | None = None,
) -> pd.DataFrame:
    """A dataset's profile metrics across its published versions, as a pandas DataFrame with
    columns dataset, version, commit_timestamp, column, metric, value (oldest first)."""
    import dataclasses

    import pandas as pd

    from lakeshelf.config import project_of
    from lakeshelf.observe import metric_history

    points = metric_history(project_of(conf), name, column, metric)
    names = ["dataset", "version", "commit_timestamp", "column", "metric", "value"]
    return pd.DataFrame([dataclasses.asdict(p) for p in points], columns=names)


def reproduce(
    ref: str,
    conf: str | os.PathLike[str] | Project | None = None,
    *,
    into: str | None = None,
    allow_code_change: bool = False,
    spark: SparkSession | None = None,
) -> Reproduction:
    """Rebuild a derived version from its recorded inputs into a scratch table and compare
    fingerprints (:func:`lakeshelf.pipeline.reproduce`)."""
    from lakeshelf.config import project_of
    from lakeshelf.pipeline import reproduce as rebuild
    from lakeshelf.session import spark_session

    project = project_of(conf)
    return rebuild(
        project,
        ref,
        spark or spark_session(conf=project.lake.spark),
        into=into,
        allow_code_change=allow_code_change,
    )


def diff(
    first: str,
    second: str,
    key: list[str] | str | None = None,
    conf: str | os.PathLike[str] | Project | None = None,
    spark: SparkSession | None = None,
) -> Diff:
    """Rows added, removed and (with ``key``) changed from version ``first`` to ``second``: the
    summary (``.summary``, JSON via ``.summary.as_json()``) and the differing rows as DataFrames
    (``.added``, ``.removed``, ``.changed``). See :mod:`lakeshelf.registry.diff`."""
    from lakeshelf.registry.provenance import diff_versions
    from lakeshelf.session import spark_session

    columns = [key] if isinstance(key, str) else key
    return diff_versions(first, second, spark or spark_session(), key=columns, conf=conf)
