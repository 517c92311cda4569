"""Writing a DataFrame as one new table version: Spark writes Parquet, delta-rs commits once.

The protocol of one write:

1. Spark's native Parquet writer writes the data into a private staging folder
   ``<table>/_staging/<txn>/``. Spark's output committer publishes only the files of successful
   task attempts there; failed and speculative attempts leave nothing behind in it.
2. The driver moves each staged file to its place in the table (``<partition dirs>/<unique name>``)
   and reads its Parquet footer for Delta statistics.
3. delta-rs commits ONE transaction with the add (and, for overwrite, remove) actions.

Nothing is visible before step 3. A failure in step 1 or 2 removes the staged and moved files; a
crash leaves only files no commit references, which vacuum removes.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote

from lakeshelf import log, storage
from lakeshelf.arrow_io import write_files
from lakeshelf.errors import (
    CommitConflictError,
    CommitUnknownError,
    LakeshelfError,
    SchemaMismatchError,
    UnsupportedFeatureError,
    WriteError,
)
from lakeshelf.faults import crash_point
from lakeshelf.leases import STAGING_DIR, write_lease
from lakeshelf.schema import describe_difference, to_delta, to_spark
from lakeshelf.snapshot import first_line, open_table
from lakeshelf.stats import file_stats
from lakeshelf.version import __version__

if TYPE_CHECKING:
    from deltalake import DeltaTable
    from pyspark.sql import DataFrame
    from pyspark.sql.types import StructType

log_ = logging.getLogger(__name__)

QUARANTINE_DIR = "_quarantine"  # data a quality gate refused, kept for inspection
APPEND_ATTEMPTS = 25  # commits an append tries before giving up to concurrent writers
HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"
ENGINE = f"lakeshelf/{__version__}"

#: Writer features lakeshelf's writes keep correct (anything else is refused).
SUPPORTED_WRITER_FEATURES = frozenset(
    {"appendOnly", "timestampNtz", "deletionVectors", "vacuumProtocolCheck", "invariants"}
)

Mode = Literal["append", "overwrite"]
SchemaMode = Literal["merge", "overwrite"]


@dataclass(frozen=True)
class StagedFile:
    """A data file moved into the table, ready to be committed."""

    path: str  # relative to the table root, not URI-encoded
    size: int
    partition_values: dict[str, str | None]
    stats: str
    num_records: int


def write(
    df: DataFrame,
    uri: str,
    *,
    mode: Mode = "append",
    partition_by: list[str] | str | None = None,
    metadata: dict[str, Any] | None = None,
    schema_mode: SchemaMode | None = None,
    app_transaction: tuple[str, int] | None = None,
    storage_options: dict[str, Any] | None = None,
    audit: Callable[[DataFrame], dict[str, Any]] | None = None,
) -> int:
    """Write ``df`` as one new version of the Delta table at ``uri`` (created if absent).

    Args:
        df: the data to write.
        uri: table location (local path or URI).
        mode: ``"append"`` adds the rows; ``"overwrite"`` replaces the table's contents.
        partition_by: partition columns of a new table (must match an existing table's).
        metadata: caller metadata recorded in the commit (JSON-serialisable).
        schema_mode: ``"merge"`` lets an append add new nullable columns; ``"overwrite"`` lets an
            overwrite replace the schema and partitioning. Otherwise the schema must match.
        app_transaction: ``(app_id, version)`` recorded atomically with the commit (Delta's
            idempotent-writer ``txn`` action).
        storage_options: credentials and endpoint for object storage.
        audit: called with a DataFrame over exactly the files about to be committed, before the
            commit (write-audit-publish). It returns a record stored in the commit under
            ``metadata["suite"]``, or raises to stop the publish: the files are then moved to
            ``<table>/_quarantine/<txn>/`` with the error's ``report`` and nothing is committed.

    Returns:
        The version this write committed.

    Raises:
        SchemaMismatchError: the data does not fit the table's schema or partitioning.
        UnsupportedFeatureError: the table uses a writer feature lakeshelf cannot keep correct.
        WriteError: the Spark job or file handling failed; the table is unchanged.
        CommitConflictError: a concurrent writer changed the table in a conflicting way.
    """
    from lakeshelf.session import apply_runtime_conf

    spark = apply_runtime_conf(df.sparkSession)
    plan = plan_write(uri, df.schema, mode, partition_by, schema_mode, storage_options)
    fs = storage.filesystem(plan.uri, storage_options)
    with write_lease(fs, plan.uri, plan.txn):  # vacuum spares this txn's files until it ends
        return _write_leased(df, spark, plan, fs, metadata, app_transaction, audit)


def _write_leased(
    df: DataFrame,
    spark: Any,
    plan: WritePlan,
    fs: Any,
    metadata: dict[str, Any] | None,
    app_transaction: tuple[str, int] | None,
    audit: Callable[[DataFrame], dict[str, Any]] | None,
) -> int:
    staging = storage.join(plan.uri, STAGING_DIR, plan.txn)
    moved: list[StagedFile] = []
    try:
        if storage.hadoop_can_open(spark, plan.uri):
            _spark_write(df, staging, plan.partitions)
            moved = _publish_staged(
                fs, plan.uri, staging, plan.txn, df.schema, plan.partitions, _timezone(spark)
            )
        else:  # e.g. s3:// without hadoop-aws: Python workers write through pyarrow and fsspec
            moved = write_files(df, plan)
        if audit is not None:
            try:
                record = audit(_staged_frame(spark, plan, moved))
            except Exception as exc:
                _quarantine_staged(fs, plan, moved, getattr(exc, "report", {"error": str(exc)}))
                moved = []
                raise
            metadata = {**(metadata or {}), "suite": record}
        version = commit_plan(
            plan,
            moved,
            metadata=metadata,
            app_transaction=app_transaction,
            spark_app_id=spark.sparkContext.applicationId,
        )
        crash_point("after-commit")
        return version
    except CommitUnknownError:  # the commit may reference the files: keep them
        raise
    except LakeshelfError:
        remove_files(fs, plan.uri, moved)
        raise
    except Exception as exc:
        remove_files(fs, plan.uri, moved)
        raise plan.failure(exc) from exc
    finally:
        _remove_tree(fs, staging)


@dataclass
class WritePlan:
    """A write checked against the table before any data moves."""

    uri: str
    mode: str
    table: DeltaTable | None
    read_version: int | None
    schema: StructType  # the table's schema after the write
    partitions: list[str]
    storage_options: dict[str, Any] | None
    replaces_layout: bool = False  # an overwrite that changes schema or partitioning
    txn: str = field(default_factory=lambda: uuid.uuid4().hex)

    def __getstate__(self) -> dict[str, Any]:
        # delta-rs handles cannot be pickled; the commit reopens the table at read_version.
        return {**self.__dict__, "table": None}

    def opened_table(self) -> DeltaTable | None:
        """The table as of ``read_version`` (None for a write that creates the table)."""
        if self.table is None and self.read_version is not None:
            self.table = open_table(self.uri, self.read_version, self.storage_options)
        return self.table

    def failure(self, exc: BaseException) -> WriteError:
        """The error for a failure before the commit."""
        at = f"version {self.read_version}" if self.read_version is not None else "no table"
        return WriteError(
            f"writing {self.uri} failed before its commit; the table is unchanged ({at}): "
            f"{storage.unreachable(exc, self.uri, self.storage_options)}{first_line(exc)}"
        )


def plan_write(
    uri: str,
    data_schema: StructType,
    mode: str,
    partition_by: list[str] | str | None,
    schema_mode: str | None,
    storage_options: dict[str, Any] | None,
) -> WritePlan:
    """Check a write of data with ``data_schema`` against the table at ``uri``.

    Raises:
        SchemaMismatchError, UnsupportedFeatureError: see :func:`write`.
    """
    if mode not in ("append", "overwrite"):
        raise SchemaMismatchError(f"mode must be 'append' or 'overwrite', got {mode!r}")
    if schema_mode not in (None, "merge", "overwrite"):
        raise SchemaMismatchError(
            f"schema_mode must be 'merge' or 'overwrite', got {schema_mode!r}"
        )
    uri = storage.normalize_uri(uri)
    storage.check_commit_safety(storage_options)
    partitions = [partition_by] if isinstance(partition_by, str) else list(partition_by or [])
    table = _open_existing(uri, storage_options)
    read_version = table.version() if table is not None else None
    target_schema = data_schema
    replaces = False
    if table is not None:
        check_writer_protocol(table, uri, mode)
        target_schema, partitions = _target_layout(
            table, data_schema, mode, partitions, schema_mode
        )
        replaces = mode == "overwrite" and (
            partitions != list(table.metadata().partition_columns)
            or target_schema != to_spark(table.schema().to_json())
        )
    missing = [c for c in partitions if c not in data_schema.names]
    if missing:
        raise SchemaMismatchError(
            f"partition column(s) {missing} are not in the data: {data_schema.names}"
        )
    return WritePlan(
        uri, mode, table, read_version, target_schema, partitions, storage_options, replaces
    )


def _staged_frame(spark: Any, plan: WritePlan, files: list[StagedFile]) -> DataFrame:
    """The rows of exactly ``files``, as readers will see them once committed."""
    from lakeshelf.read import snapshot_dataframe
    from lakeshelf.snapshot import DataFile, Snapshot

    data_files = [
        DataFile(storage.join(plan.uri, f.path), f.size, f.num_records, dict(f.partition_values))
        for f in files
    ]
    snapshot = Snapshot(plan.uri, -1, plan.schema.json(), plan.partitions, data_files)
    return snapshot_dataframe(spark, snapshot, plan.storage_options)


def _quarantine_staged(
    fs: Any, plan: WritePlan, files: list[StagedFile], report: dict[str, Any]
) -> None:
    """Keep refused files for inspection under ``_quarantine/<txn>/`` with the report."""
    folder = storage.join(plan.uri, QUARANTINE_DIR, plan.txn)
    for staged in files:
        target = storage.join(folder, staged.path)
        fs.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
        fs.mv(storage.join(plan.uri, staged.path), target)
    fs.makedirs(folder, exist_ok=True)
    with fs.open(storage.join(folder, "report.json"), "w") as handle:
        json.dump(report, handle, indent=2, default=str)


def check_writer_protocol(table: DeltaTable, uri: str, mode: str) -> None:
    """Refuse writes that would break a writer feature of the table."""
    protocol = table.protocol()
    config = table.metadata().configuration or {}
    problems = sorted(set(protocol.writer_features or []) - SUPPORTED_WRITER_FEATURES)
    if config.get("delta.columnMapping.mode", "none") != "none":
        problems.append("columnMapping")
    if any(key.startswith("delta.constraints.") for key in config):
        problems.append("checkConstraints")
    schema_text = table.schema().to_json()
    for marker, feature in (
        ("delta.generationExpression", "generatedColumns"),
        ("delta.identity", "identityColumns"),
    ):
        if marker in schema_text:
            problems.append(feature)
    if protocol.min_writer_version > 7:
        problems.append(f"writer version {protocol.min_writer_version}")
    if problems:
        raise UnsupportedFeatureError(
            f"{uri} uses Delta writer feature(s) {', '.join(sorted(set(problems)))} that lakeshelf"
            " cannot keep correct when writing; write to it with an engine that supports them."
        )
    if mode == "overwrite" and config.get("delta.appendOnly") == "true":
        raise UnsupportedFeatureError(f"{uri} is append-only (delta.appendOnly); overwrite refused")


def _open_existing(uri: str, storage_options: dict[str, Any] | None) -> DeltaTable | None:
    if log.list_log(uri, storage_options) is None:
        return None
    return open_table(uri, None, storage_options)


def _target_layout(
    table: DeltaTable,
    data_schema: StructType,
    mode: str,
    partitions: list[str],
    schema_mode: str | None,
) -> tuple[StructType, list[str]]:
    """The schema and partitioning the table has after this write; refuse what does not fit."""
    from pyspark.sql.types import StructType

    current = to_spark(table.schema().to_json())
    current_parts = list(table.metadata().partition_columns)
    replacing = mode == "overwrite" and schema_mode == "overwrite"
    if partitions and partitions != current_parts and not replacing:
        raise SchemaMismatchError(
            f"the table is partitioned by {current_parts}, the write asks for {partitions};"
            " to change partitioning, overwrite with schema_mode='overwrite'"
        )
    if replacing:
        return data_schema, partitions or []
    table_types = {f.name: f.dataType for f in current.fields}
    data_types = {f.name: f.dataType for f in data_schema.fields}
    if table_types == data_types:
        return current, current_parts
    added = [f for f in data_schema.fields if f.name not in table_types]
    compatible = all(data_types.get(n) == t for n, t in table_types.items())
    if schema_mode == "merge" and compatible:
        # Rows already in the table have no value for a new column, so it joins as nullable.
        from pyspark.sql.types import StructField

        nullable = [StructField(f.name, f.dataType, True, f.metadata) for f in added]
        return StructType(current.fields + nullable), current_parts
    hint = (
        "use schema_mode='merge' to add new nullable columns"
        if mode == "append"
        else "use schema_mode='overwrite' to replace the schema"
    )
    raise SchemaMismatchError(
        f"the data does not match the table's schema ({hint}):\n"
        + describe_difference(current, data_schema)
    )


def _spark_write(df: DataFrame, staging: str, partitions: list[str]) -> None:
    writer = df.write.mode("errorifexists").format("parquet").option("compression", "snappy")
    if partitions:
        writer = writer.partitionBy(*partitions)
    writer.save(storage.spark_path(staging))


def _publish_staged(
    fs: Any,
    uri: str,
    staging: str,
    txn: str,
    schema: StructType,
    partitions: list[str],
    timezone: str,
) -> list[StagedFile]:
    """Move the staged Parquet files into the table and compute their add-action fields."""
    staged = sorted(p for p in fs.find(staging) if p.endswith(".parquet"))
    types = {f.name: f.dataType.typeName() for f in schema.fields}
    data_columns = {
        f.name: _delta_type_name(f.dataType) for f in schema.fields if f.name not in partitions
    }
    plans = []
    for index, source in enumerate(staged):
        relative_dir = os.path.dirname(os.path.relpath(source, staging)).replace(os.sep, "/")
        relative_dir = "" if relative_dir == "." else relative_dir
        values = _partition_values(relative_dir, partitions, types, timezone)
        name = f"part-{index:05d}-{txn}.c000.snappy.parquet"
        relative = f"{relative_dir}/{name}" if relative_dir else name
        plans.append((source, relative, values))

    def publish(plan: tuple[str, str, dict[str, str | None]]) -> StagedFile:
        import pyarrow.parquet as pq

        source, relative, values = plan
        target = storage.join(uri, relative)
        fs.makedirs(os.path.dirname(target), exist_ok=True)
        fs.mv(source, target)
        with fs.open(target, "rb") as handle:
            metadata = pq.read_metadata(handle)
        return StagedFile(
            relative, fs.size(target), values, file_stats(metadata, data_columns), metadata.num_rows
        )

    with ThreadPoolExecutor(max_workers=min(16, max(1, len(plans)))) as pool:
        return list(pool.map(publish, plans))


def _delta_type_name(data_type: Any) -> str:
    name = data_type.simpleString()
    return {"int": "integer", "tinyint": "byte", "smallint": "short", "bigint": "long"}.get(
        name, name
    )


def _partition_values(
    relative_dir: str, partitions: list[str], types: dict[str, str], timezone: str
) -> dict[str, str | None]:
    """Delta partition values from Spark's ``col=value`` directory names."""
    values: dict[str, str | None] = {}
    segments = [s for s in relative_dir.split("/") if s]
    for name, segment in zip(partitions, segments, strict=True):
        key, _, raw = segment.partition("=")
        if unquote(key) != name:
            raise WriteError(f"unexpected partition directory {segment!r} for column {name!r}")
        value = None if raw == HIVE_NULL else unquote(raw)
        if value is not None and types[name] == "timestamp":
            value = _timestamp_to_utc(value, timezone)
        values[name] = value
    return values


def _timestamp_to_utc(text: str, timezone: str) -> str:
    # Spark names timestamp partitions in the session time zone; Delta stores them in UTC.
    import datetime as dt
    from zoneinfo import ZoneInfo

    local = dt.datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(timezone))
    return local.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


def _timezone(spark: Any) -> str:
    return spark.conf.get("spark.sql.session.timeZone") or "UTC"


def commit_plan(
    plan: WritePlan,
    files: list[StagedFile],
    *,
    metadata: dict[str, Any] | None = None,
    app_transaction: tuple[str, int] | None = None,
    spark_app_id: str | None = None,
) -> int:
    """Commit ``files`` (already in the table's folder) as one new version; return it.

    Raises:
        CommitConflictError: a concurrent writer created or changed the table in a conflicting way.
    """
    from deltalake.transaction import (
        AddAction,
        CommitProperties,
        Transaction,
        create_table_with_add_actions,
    )

    uri, table = plan.uri, plan.opened_table()
    _check_not_null(plan, files)
    crash_point("before-commit")
    now = int(time.time() * 1000)
    adds = [AddAction(f.path, f.size, f.partition_values, now, True, f.stats) for f in files]
    transactions = [Transaction(*app_transaction)] if app_transaction else None
    info = _commit_info(plan, files, metadata, spark_app_id)
    # delta-rs makes one attempt; lakeshelf decides about every retry. A commit whose response was
    # lost may have landed, and delta-rs would rebase it onto itself and commit it twice; so after
    # any failure lakeshelf first looks for its transaction id in the log. An append that lost the
    # race for a version is re-planned onto the winner (appends do not conflict). An overwrite is
    # never retried: it replaces exactly the version it read.
    properties = CommitProperties(
        custom_metadata=info, app_transactions=transactions, max_commit_retries=0
    )
    partitions = plan.partitions or None

    def create(mode: str) -> None:
        create_table_with_add_actions(
            uri,
            to_delta(plan.schema),
            adds,
            mode=mode,
            partition_by=partitions,
            storage_options=plan.storage_options,
            commit_properties=properties,
            post_commithook_properties=log.commit_hooks(),
        )

    if table is None:
        try:
            create("error")
            return log.find_commit(uri, plan.txn, -1, plan.storage_options)
        except Exception as exc:
            if log.list_log(uri, plan.storage_options) is None:
                raise
            landed = _landed(plan)
            if landed is not None:
                return landed
            if plan.mode != "append":
                raise CommitConflictError(
                    f"another writer created {uri} while this write ran; nothing was committed,"
                    " re-run the write"
                ) from exc
        # Another writer created the table first: append to it, if the data still fits.
        plan = _replanned_append(plan)
        table = plan.opened_table()
    assert plan.read_version is not None
    if plan.mode == "overwrite":
        table.update_incremental()
        if table.version() != plan.read_version:
            raise _overwrite_conflict(plan, table.version())
    if plan.replaces_layout:
        # delta-rs's write transaction cannot change partitioning; CREATE OR REPLACE can.
        try:
            create("overwrite")
        except Exception as exc:
            raise CommitConflictError(
                f"replacing the schema of {uri} failed, nothing was committed: {first_line(exc)}"
            ) from exc
        return log.find_commit(uri, plan.txn, plan.read_version, plan.storage_options)
    if plan.mode == "append":
        _add_new_columns(plan, table)
    for attempt in range(1, APPEND_ATTEMPTS + 1):
        try:
            table.create_write_transaction(
                adds,
                plan.mode,
                to_delta(plan.schema),
                partition_by=partitions,
                commit_properties=properties,
                post_commithook_properties=log.commit_hooks(),
            )
            break
        except Exception as exc:
            landed = _landed(plan)
            if landed is not None:  # the commit's response was lost after it landed
                return landed
            listing = log.list_log(uri, plan.storage_options)
            latest = listing.latest if listing else plan.read_version
            if latest == plan.read_version:
                raise CommitConflictError(
                    f"the commit to {uri} failed, nothing was committed; re-run the write:"
                    f" {storage.unreachable(exc, uri, plan.storage_options)}{first_line(exc)}"
                ) from exc
            if plan.mode == "overwrite":
                raise _overwrite_conflict(plan, latest) from exc
            if attempt == APPEND_ATTEMPTS:
                raise CommitConflictError(
                    f"the append to {uri} lost to concurrent commits {APPEND_ATTEMPTS} times,"
                    f" nothing was committed; re-run the write: {first_line(exc)}"
                ) from exc
            # Another writer committed first (or an overwrite removed files this append's
            # snapshot had): the rows do not depend on them, so append onto the latest version.
            plan = _replanned_append(plan)
            table = plan.opened_table()
    return log.find_commit(uri, plan.txn, plan.read_version, plan.storage_options)


def _replanned_append(plan: WritePlan) -> WritePlan:
    """``plan`` as an append to the table's latest version, same transaction id and files.

    Raises:
        SchemaMismatchError: a concurrent writer changed the table so that the data no longer fits.
    """
    fresh = plan_write(plan.uri, plan.schema, "append", plan.partitions, None, plan.storage_options)
    return replace(fresh, txn=plan.txn)


def _overwrite_conflict(plan: WritePlan, latest: int) -> CommitConflictError:
    return CommitConflictError(
        f"{plan.uri} moved from version {plan.read_version} to {latest} while this overwrite ran;"
        " an overwrite must not discard rows it never saw, so nothing was committed. Re-run the"
        " write."
    )


def _landed(plan: WritePlan) -> int | None:
    """The version holding this write's commit if it is in the log (None if it is not)."""
    after = -1 if plan.read_version is None else plan.read_version
    try:
        return log.landed(plan.uri, plan.txn, after, plan.storage_options)
    except Exception as exc:
        raise CommitUnknownError(
            f"the commit to {plan.uri} failed and its log cannot be read to tell whether it"
            f" landed: {storage.unreachable(exc, plan.uri, plan.storage_options)}"
            f"{first_line(exc)}. Its data files were kept; re-running the job is safe."
        ) from exc


def _add_new_columns(plan: WritePlan, table: DeltaTable) -> None:
    """Commit an additive schema change before the data (delta-rs keeps the old schema on append).

    The change is its own version, ``ADD COLUMNS`` in the history: readers of it see the previous
    rows with the new columns null, never rows of the write in progress.
    """
    from deltalake.transaction import CommitProperties

    existing = set(to_spark(table.schema().to_json()).names)
    added = [f for f in to_delta(plan.schema).fields if f.name not in existing]
    if not added:
        return
    info = {
        "clientVersion": ENGINE,
        "lakeshelf": {
            "engine": ENGINE,
            "txnId": f"{plan.txn}-schema",
            "operation": "ADD COLUMNS",
            "columns": [f.name for f in added],
            "commitTimestamp": int(time.time() * 1000),
        },
    }
    table.alter.add_columns(
        added,
        commit_properties=CommitProperties(custom_metadata=info),
        post_commithook_properties=log.commit_hooks(),
    )
    table.update_incremental()


def _check_not_null(plan: WritePlan, files: list[StagedFile]) -> None:
    """Refuse nulls in NOT NULL columns, using the null counts the footers already gave us."""
    required = [
        f.name for f in plan.schema.fields if not f.nullable and f.name not in plan.partitions
    ]
    for staged in files:
        counts = json.loads(staged.stats).get("nullCount", {})
        bad = [name for name in required if counts.get(name, 0) > 0]
        if bad:
            raise SchemaMismatchError(
                f"column(s) {bad} of {plan.uri} are NOT NULL but the data has nulls; nothing was"
                " committed"
            )


def _commit_info(
    plan: WritePlan,
    files: list[StagedFile],
    metadata: dict[str, Any] | None,
    spark_app_id: str | None,
) -> dict[str, Any]:
    info: dict[str, Any] = {
        "clientVersion": ENGINE,
        "lakeshelf": {
            "engine": ENGINE,
            "txnId": plan.txn,
            "sparkAppId": spark_app_id,
            "operation": "WRITE",
            "mode": plan.mode,
            "partitionBy": plan.partitions,
            "commitTimestamp": int(time.time() * 1000),
            "metrics": {
                "numFiles": len(files),
                "numOutputRows": sum(f.num_records for f in files),
                "numOutputBytes": sum(f.size for f in files),
            },
            "metadata": metadata or {},
        },
    }
    if metadata:
        info["userMetadata"] = json.dumps(metadata, sort_keys=True, default=str)
    return info


def remove_files(fs: Any, uri: str, files: list[StagedFile]) -> None:
    """Delete uncommitted data files (best effort; leftovers are unreferenced)."""
    for staged in files:
        try:
            fs.rm(storage.join(uri, staged.path))
        except FileNotFoundError:
            pass
        except Exception:  # best effort: an orphan file is unreferenced and vacuum removes it
            log_.warning("could not remove uncommitted file %s", staged.path)


def _remove_tree(fs: Any, path: str) -> None:
    try:
        fs.rm(path, recursive=True)
    except FileNotFoundError:
        pass
    except Exception:
        log_.warning("could not remove staging folder %s", path)
