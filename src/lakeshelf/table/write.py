"""Writing a DataFrame as one new table version: Spark writes Parquet, delta-rs commits once.

The protocol of one write (plan, stage, audit, commit):

1. The write is planned against the table (:mod:`lakeshelf.table.plan`): schema, partitioning,
   writer features, the version it reads.
2. Spark's native Parquet writer writes the data into a private staging folder
   ``<table>/_staging/<txn>/``; its output committer publishes only the files of successful task
   attempts there. The driver moves each file to its place in the table and reads its footer for
   Delta statistics. (Without a Hadoop filesystem for the scheme, Python workers write the files
   into place instead: :mod:`lakeshelf.table.workers_write`. Rows already in Python, an Arrow
   table or a pandas DataFrame, are written into place by the driver with pyarrow: no Spark job.)
3. An optional audit sees exactly those files as the DataFrame readers will see; if it refuses,
   the files move to ``<table>/_refused/<txn>/`` with its report and nothing is committed.
4. delta-rs commits ONE transaction (:mod:`lakeshelf.table.commit`).

Nothing is visible before step 4. A failure before it removes the files of the attempt. From
step 2 until the commit ends, a lease (:mod:`lakeshelf.table.leases`) keeps vacuum away from
the files.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Literal

from lakeshelf.errors import CommitUnknownError, LakeshelfError, SchemaMismatchError, WriteError
from lakeshelf.faults import crash_point
from lakeshelf.table.commit import commit_files
from lakeshelf.table.files import (
    WrittenFile,
    data_file_name,
    delta_type_name,
    described,
    parse_partition_folder,
)
from lakeshelf.table.leases import STAGING_DIR, write_lease
from lakeshelf.table.plan import WritePlan, plan_write
from lakeshelf.table.refused import keep_refused
from lakeshelf.table.snapshot import DataFile, Snapshot
from lakeshelf.table.spark import (
    apply_runtime_conf,
    hadoop_access,
    hadoop_can_open,
    session_timezone,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

    from lakeshelf.storage import Location

log = logging.getLogger(__name__)

Mode = Literal["append", "overwrite"]
SchemaMode = Literal["merge", "overwrite"]
#: An audit sees the staged rows and returns the record to keep in the commit, or raises.
Audit = Callable[["DataFrame"], dict[str, Any]]


#: Rows already in Python: written by the driver with pyarrow (see :func:`write`).
LocalRows = Any  # pyarrow.Table | pyarrow.RecordBatchReader | pandas.DataFrame


def write(
    df: DataFrame | LocalRows,
    table: Location,
    *,
    mode: Mode = "append",
    partition_by: list[str] | str | None = None,
    metadata: dict[str, Any] | None = None,
    schema_mode: SchemaMode | None = None,
    app_transaction: tuple[str, int] | None = None,
    audit: Audit | None = None,
) -> int:
    """Write ``df`` as one new version of the Delta table at ``table`` (created if absent).

    Args:
        df: the data to write: a Spark DataFrame, or rows already in Python (a pyarrow Table or
            RecordBatchReader, or a pandas DataFrame), which the driver writes with pyarrow
            without a Spark job (a Spark job's fixed cost dwarfs a small append's data).
        table: the table's location.
        mode: ``"append"`` adds the rows; ``"overwrite"`` replaces the table's contents.
        partition_by: partition columns of a new table (must match an existing table's).
        metadata: caller metadata recorded in the commit (JSON-serialisable).
        schema_mode: ``"merge"`` lets an append add new nullable columns; ``"overwrite"`` lets an
            overwrite replace the schema and partitioning. Otherwise the schema must match.
        app_transaction: ``(app_id, version)`` recorded atomically with the commit (Delta's
            idempotent-writer ``txn`` action).
        audit: called with a DataFrame over exactly the files about to be committed, before the
            commit (write-audit-publish). It returns a record stored in the commit under
            ``metadata["suite"]``, or raises to stop the publish: the files are then kept under
            ``<table>/_refused/<txn>/`` with the error's ``report`` and nothing is committed.

    Returns:
        The version this write committed.

    Raises:
        SchemaMismatchError: the data does not fit the table's schema or partitioning.
        UnsupportedFeatureError: the table uses a writer feature lakeshelf cannot keep correct.
        WriteError: the Spark job or file handling failed; the table is unchanged.
        CommitConflictError: a concurrent writer changed the table in a conflicting way.
        CommitUnknownError: the commit's outcome cannot be read back; the files are kept.
    """
    rows = _local_rows(df)
    spark = None if rows is not None else apply_runtime_conf(df.sparkSession)
    plan = plan_write(
        table,
        _schema_of(df, rows),
        mode,
        partition_by,
        schema_mode,
        takes_table_types=rows is not None,
    )
    fs = table.filesystem()
    with write_lease(fs, table, plan.txn):  # vacuum spares this txn's files until it ends
        try:
            data = rows if rows is not None else df
            return _stage_audit_commit(data, spark, plan, fs, metadata, app_transaction, audit)
        finally:
            if rows is None:  # only Spark's writer stages
                _remove_tree(fs, table.path(STAGING_DIR, plan.txn))


def _local_rows(data: Any) -> Any:
    """``data`` as one pyarrow Table when it is rows already in Python; None for a Spark
    DataFrame."""
    import sys

    pa = sys.modules.get("pyarrow")
    if pa is not None and isinstance(data, pa.Table):
        return data
    if pa is not None and isinstance(data, pa.RecordBatchReader):
        return data.read_all()
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(data, pandas.DataFrame):
        import pyarrow as pa

        return pa.Table.from_pandas(data, preserve_index=False)
    return None


def _schema_of(df: Any, rows: Any) -> StructType:
    """The Spark schema of the data: a DataFrame's own, or that of Arrow rows as Spark would
    read them (nanosecond timestamps as microseconds, as Delta stores them).

    Raises:
        SchemaMismatchError: an Arrow type Delta has no type for (unsigned integers, for one).
    """
    if rows is None:
        return df.schema
    from pyspark.sql.pandas.types import from_arrow_schema

    try:
        return from_arrow_schema(rows.schema, prefer_timestamp_ntz=True)
    except Exception as exc:  # PySpark's error names the unsupported type
        raise SchemaMismatchError(f"the rows' types have no Delta type: {exc}") from None


def _stage_audit_commit(
    df: DataFrame | Any,
    spark: SparkSession | None,
    plan: WritePlan,
    fs: Any,
    metadata: dict[str, Any] | None,
    app_transaction: tuple[str, int] | None,
    audit: Audit | None,
) -> int:
    """Steps 2-4 under the write's lease; a failure removes the files (unless they may be in a
    commit whose outcome is unknown, or were kept as refused)."""
    written: list[WrittenFile] = []
    try:
        written = _stage(df, spark, plan, fs) if spark is not None else _write_rows(df, plan, fs)
        if audit is not None:
            audited = _audited(spark or _active_session(), plan, written, audit)
            metadata = {**(metadata or {}), "suite": audited}
        version = commit_files(
            plan,
            written,
            metadata=metadata,
            app_transaction=app_transaction,
            spark_app_id=spark.sparkContext.applicationId if spark is not None else None,
        )
        crash_point("after-commit")
        return version
    except CommitUnknownError:  # the commit may reference the files: keep them
        raise
    except _Refused as refused:  # its files are kept under _refused/
        if isinstance(refused.error, LakeshelfError):
            raise refused.error from None
        raise plan.failure(refused.error) from refused.error
    except LakeshelfError:
        remove_files(fs, plan.location, written)
        raise
    except Exception as exc:
        remove_files(fs, plan.location, written)
        raise plan.failure(exc) from exc


class _Refused(Exception):
    """The audit refused the staged files (already kept under ``_refused/``)."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def _stage(df: DataFrame, spark: SparkSession, plan: WritePlan, fs: Any) -> list[WrittenFile]:
    """Write the data files into the table folder, uncommitted."""
    hadoop_access(spark, plan.location)
    if not hadoop_can_open(spark, plan.location):
        from lakeshelf.table.workers_write import write_files

        return write_files(df, plan)  # e.g. s3:// without hadoop-aws
    staging = plan.location.path(STAGING_DIR, plan.txn)
    df = _one_file_per_partition_if_small(df, plan.partitions)
    writer = (
        df.write.mode("errorifexists")
        .format("parquet")
        .option("compression", "snappy")
        .options(**_STAGING_COMMITTER)
    )
    if plan.partitions:
        writer = writer.partitionBy(*plan.partitions)
    writer.save(plan.location.spark_path(staging))
    return _move_staged(fs, plan, staging, session_timezone(spark))


def _write_rows(rows: Any, plan: WritePlan, fs: Any) -> list[WrittenFile]:
    """Write Arrow rows into the table folder from the driver: one file per partition value
    (one if unpartitioned), uncommitted, in the table's column types."""
    import pyarrow as pa
    from pyspark.sql.pandas.types import to_arrow_schema

    from lakeshelf.table.workers_write import write_table

    target = to_arrow_schema(plan.schema, timezone="UTC", prefers_large_types=False)
    # nullable here: nulls in NOT NULL columns are refused by name at the commit, as for Spark
    target = pa.schema([field.with_nullable(True) for field in target])
    try:
        rows = rows.select(target.names).cast(target)
    except Exception as exc:  # pyarrow names the column it cannot convert
        raise SchemaMismatchError(f"the rows do not fit {plan.uri}'s schema: {exc}") from None
    return write_table(fs, plan, rows, plan.schema) if rows.num_rows else []


def _active_session() -> SparkSession:
    """The Spark session an audit of rows written from Python runs in.

    Raises:
        WriteError: there is none (an audit reads the staged files with Spark).
    """
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is None:
        raise WriteError(
            "an audit reads the staged rows with Spark: start a session first"
            " (lakeshelf.spark_session())"
        )
    return active


#: Hadoop committer settings for the staging write (write options reach the job's Hadoop conf).
#: Algorithm 2 moves each task's files into the output folder when the task commits, where the
#: default moves them twice (task, then job): on object stores every move is a copy. Its one
#: weakness, a failed job leaving part of its output, cannot show: the output is this write's
#: private staging folder, removed on failure, and the Delta commit is the atomic step.
_STAGING_COMMITTER = {
    "mapreduce.fileoutputcommitter.algorithm.version": "2",
    "mapreduce.fileoutputcommitter.marksuccessfuljobs": "false",
}

#: Spark setting: writes whose planned size is at most this many bytes go out as one file per
#: partition value (one file if unpartitioned) instead of one per Spark task; 0 turns the layout
#: rules below off. 16 MiB of Spark's in-memory estimate is a few MiB of Parquet: one task
#: writes it in well under a second, while larger writes keep their parallelism.
SMALL_WRITE_CONF = "spark.lakeshelf.write.smallWriteBytes"
SMALL_WRITE_BYTES = 16 * 1024 * 1024
#: Spark estimates data it cannot size at Long.MaxValue bytes, scaled down by projections;
#: nothing a write really holds comes near a pebibyte.
_UNKNOWN_SIZE = 2**50


def _one_file_per_partition_if_small(df: DataFrame, partitions: list[str]) -> DataFrame:
    """``df`` arranged so a small write leaves one file per partition value.

    Many small appends otherwise leave a file per task each (two for 10 rows on two cores),
    which slows every later read. Small is Spark's own size estimate of the optimized plan:

    - known and small: one task writes everything (Spark's writer sorts by partition values);
    - known and large: unchanged, Spark's parallelism stands;
    - unknown (rows from Python lists or RDDs, Python UDFs): a rebalance by the partition
      columns, which adaptive execution coalesces to as few tasks as the data needs (Spark's
      "optimized write"; it costs a shuffle, which for data Spark cannot size is the price
      of not guessing).
    """
    limit = int(df.sparkSession.conf.get(SMALL_WRITE_CONF, None) or SMALL_WRITE_BYTES)
    if limit <= 0:
        return df
    try:
        size = df._jdf.queryExecution().optimizedPlan().stats().sizeInBytes()
        estimate = size if isinstance(size, int) else int(size.toString())  # Py4J: int or BigInt
    except Exception:  # Spark Connect or a plan Spark cannot size
        estimate = _UNKNOWN_SIZE
    if estimate >= _UNKNOWN_SIZE:
        return df.hint("rebalance", *partitions)
    return df.coalesce(1) if estimate <= limit else df


def _move_staged(fs: Any, plan: WritePlan, staging: str, timezone: str) -> list[WrittenFile]:
    """Move the staged Parquet files into the table and describe them for the commit."""
    staged = sorted(p for p in fs.find(staging) if p.endswith(".parquet"))
    types = {f.name: f.dataType.typeName() for f in plan.schema.fields}
    data_columns = {
        f.name: delta_type_name(f.dataType)
        for f in plan.schema.fields
        if f.name not in plan.partitions
    }

    listed_root = staging.split("://", 1)[-1].rstrip("/") + "/"  # fsspec lists without a scheme

    def move(source: str) -> WrittenFile:
        folder = os.path.dirname(source.split("://", 1)[-1].removeprefix(listed_root))
        values = parse_partition_folder(folder, plan.partitions, types, timezone)
        name = data_file_name(plan.txn)
        relative = f"{folder}/{name}" if folder else name
        target = plan.location.path(relative)
        fs.makedirs(os.path.dirname(target), exist_ok=True)
        fs.mv(plan.location.fsspec_path(source), target)
        return described(fs, plan.location, relative, values, data_columns)

    with ThreadPoolExecutor(max_workers=min(16, max(1, len(staged)))) as pool:
        return list(pool.map(move, staged))


def _audited(
    spark: SparkSession, plan: WritePlan, written: list[WrittenFile], audit: Audit
) -> dict[str, Any]:
    """The audit's record of exactly ``written``; refused files are kept under ``_refused/``."""
    try:
        return audit(staged_frame(spark, plan, written))
    except Exception as exc:
        report = getattr(exc, "report", None) or {"error": str(exc)}
        keep_refused(plan.location, plan.txn, written, report)
        raise _Refused(exc) from exc


def staged_frame(spark: SparkSession, plan: WritePlan, files: list[WrittenFile]) -> DataFrame:
    """The rows of exactly ``files``, as readers will see them once committed."""
    from lakeshelf.table.read import snapshot_dataframe

    data_files = [
        DataFile(plan.location.path(f.path), f.size, f.num_records, dict(f.partition_values))
        for f in files
    ]
    snapshot = Snapshot(plan.location, -1, plan.schema.json(), plan.partitions, data_files)
    return snapshot_dataframe(spark, snapshot)


def remove_files(fs: Any, table: Location, files: list[WrittenFile]) -> None:
    """Delete uncommitted data files (best effort; leftovers are unreferenced)."""
    for written in files:
        try:
            fs.rm(table.path(written.path))
        except FileNotFoundError:
            pass
        except Exception:  # best effort: an orphan file is unreferenced and vacuum removes it
            log.warning("could not remove uncommitted file %s", written.path)


def _remove_tree(fs: Any, path: str) -> None:
    try:
        fs.rm(path, recursive=True)
    except FileNotFoundError:
        pass
    except Exception:
        log.warning("could not remove staging folder %s", path)
