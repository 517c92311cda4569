"""Reading a table version into a Spark DataFrame through Spark's native Parquet reader.

delta-rs resolves the snapshot (files, partition values, deletion vectors); Spark reads the files in
parallel. Partition values and deleted rows are attached by joining on the file name Spark reports
in ``_metadata``, so the data path stays a plain Parquet scan.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from lakeshelf.errors import ConfigError
from lakeshelf.table.files import partition_folder, partition_text
from lakeshelf.table.pinned import delta_spark_frame
from lakeshelf.table.schema import logical_type, physical_type
from lakeshelf.table.snapshot import Snapshot, load_snapshot
from lakeshelf.table.spark import (
    apply_runtime_conf,
    delta_spark_serves,
    hadoop_access,
    hadoop_can_open,
    int_conf,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lakeshelf.storage import Location

log = logging.getLogger(__name__)

_FILE = "__lakeshelf_file"
_ROW = "__lakeshelf_row"


def read(
    spark: SparkSession,
    table: Location,
    version: int | None = None,
    timestamp: str | dt.datetime | None = None,
) -> DataFrame:
    """Read one version of a Delta table as a Spark DataFrame.

    Returns:
        A DataFrame with the version's logical schema (column-mapped tables under their logical
        names, partition columns with their declared types, deleted rows removed).

    Raises:
        TableNotFoundError: no table at ``table``.
        VersionNotFoundError: the version or timestamp is outside the readable history.
        UnsupportedFeatureError: the table needs a reader feature lakeshelf does not honour.
    """
    snapshot = load_snapshot(table, version, timestamp)
    return snapshot_dataframe(apply_runtime_conf(spark), snapshot)


def snapshot_dataframe(
    spark: SparkSession, snapshot: Snapshot, engine: str | None = None
) -> DataFrame:
    """The rows of ``snapshot`` as a DataFrame (see :func:`read`).

    A committed version goes through delta-spark when the session runs it (partition pruning,
    deletion vectors and column mapping native to it; small partitioned versions planned from
    their file list, the others with data skipping: :mod:`lakeshelf.table.pinned`) unless
    ``engine`` is ``"lakeshelf"`` or the version is small (see :data:`SMALL_READ_CONF`).
    Otherwise Spark's Parquet reader reads the files, or Python workers where Spark's Hadoop
    layer cannot open them (``s3://`` without hadoop-aws: :mod:`lakeshelf.table.workers_read`).
    """
    from lakeshelf.table.workers_read import read_snapshot

    if not snapshot.files:
        return spark.createDataFrame([], logical_type(snapshot.schema))
    hadoop_access(spark, snapshot.location)
    if (
        snapshot.version >= 0
        and engine != "lakeshelf"
        and delta_spark_serves(spark)
        and not _too_small_for_delta_spark(spark, snapshot)
    ):
        try:
            return delta_spark_frame(spark, snapshot)
        except ConfigError:
            raise
        except Exception as exc:
            # delta-spark refuses a version when anything in the log is damaged, or when the
            # latest version needs a feature it lacks; lakeshelf's reader has already checked
            # exactly this version, which it reads.
            log.info("delta-spark cannot load %s: %s; lakeshelf reads it", snapshot, exc)
    if not hadoop_can_open(spark, snapshot.location):
        return read_snapshot(spark, snapshot)
    return _parquet_frame(spark, snapshot)


#: Versions of at most this many bytes of data files (default 32 MiB; 0: none) are read by
#: lakeshelf's reader even where delta-spark runs. delta-spark plans every query with Spark jobs
#: over the table's state (0.1-0.2 s on two cores, on tables it wrote itself too), which is more
#: than the whole scan of a small version, and more than skipping files could ever save there;
#: lakeshelf's reader plans from the snapshot it has already resolved, with the same partition
#: pruning, deletion vectors and column mapping.
SMALL_READ_CONF = "spark.lakeshelf.read.smallVersionBytes"
SMALL_READ_BYTES = 32 * 1024 * 1024


def _too_small_for_delta_spark(spark: SparkSession, snapshot: Snapshot) -> bool:
    return sum(f.size for f in snapshot.files) <= int_conf(spark, SMALL_READ_CONF, SMALL_READ_BYTES)


def _parquet_frame(spark: SparkSession, snapshot: Snapshot) -> DataFrame:
    """The snapshot's files read by Spark's Parquet reader.

    Partition values come from the folder names when every file sits in the folder its values
    name (lakeshelf's and delta-spark's layout for plain types): Spark then prunes partitions
    itself. Otherwise they are joined in by file name, like the rows deletion vectors remove.
    """
    from pyspark.sql import functions as F
    from pyspark.sql.types import StructField, StructType

    schema, mode = snapshot.schema, snapshot.column_mapping_mode
    data_fields = [f for f in schema.fields if f.name not in snapshot.partition_columns]
    physical = physical_type(StructType(data_fields), mode)
    by_folders = bool(snapshot.partition_columns) and _partitions_in_folders(snapshot)
    read_schema = physical
    if by_folders:
        types = {f.name: logical_type(f.dataType) for f in schema.fields}
        read_schema = StructType(
            physical.fields + [StructField(n, types[n], True) for n in snapshot.partition_columns]
        )
    frame = _files_frame(spark, snapshot, read_schema, by_folders)
    joins_partitions = bool(snapshot.partition_columns) and not by_folders
    if joins_partitions or snapshot.deleted_rows:
        key, key_of = _file_key(spark, snapshot)
        extra = [F.col(f"_metadata.{key}").alias(_FILE)]
        if snapshot.deleted_rows:
            extra.append(F.col("_metadata.row_index").alias(_ROW))
        frame = frame.select("*", *extra)
        if snapshot.deleted_rows:
            frame = frame.join(_deleted_frame(spark, snapshot, key_of), [_FILE, _ROW], "left_anti")
        if joins_partitions:
            frame = frame.join(F.broadcast(_partition_frame(spark, snapshot, key_of)), _FILE)
    return _logical_columns(frame, schema, data_fields, physical, mode)


#: Up to this many files a version is read as its table folder with the files picked by name.
_MAX_FILES_PICKED_BY_NAME = 20_000


def _files_frame(
    spark: SparkSession, snapshot: Snapshot, schema: Any, by_folders: bool
) -> DataFrame:
    """Spark's Parquet reader over exactly the snapshot's files, in ``schema``.

    The files are named one by one where Spark can look them up cheaply (:func:`_named_cheaply`):
    up to ``spark.sql.sources.parallelPartitionDiscovery.threshold`` files (32), and large files
    on a local disk (their lookups are kept on the driver). Otherwise, where Spark's own listing
    of the table folder finds every file of the snapshot (see :func:`_listed_from_root`), the
    folder is read and files are picked by name: one listing, partitions pruned and other
    versions' files dropped while Spark plans. Naming is preferred where cheap because the name
    filter is also evaluated on every row (a full scan of 3M rows in 48 files: 0.57 s with the
    filter, 0.27 s named). Partition values come from the folders where ``by_folders``.
    """
    from pyspark.errors import PySparkException
    from pyspark.sql import functions as F

    root = snapshot.location.spark_path()
    reader = spark.read.schema(schema)
    if by_folders:
        reader = reader.option("basePath", root)
    if not _named_cheaply(spark, snapshot) and _listed_from_root(snapshot, by_folders):
        # one SQL expression rather than Column.isin, which makes a Py4J call per name
        names = ", ".join(_sql_string(os.path.basename(f.path)) for f in snapshot.files)
        try:
            folder = spark.read.schema(schema).option("basePath", root).parquet(root)
            return folder.where(F.expr(f"_metadata.file_name IN ({names})"))
        except PySparkException as exc:  # e.g. earlier partition folders Spark cannot reconcile
            log.info("Spark cannot read %s as a folder (%s); naming its files", snapshot, exc)
    paths = [snapshot.location.spark_path(f.path) for f in snapshot.files]
    with _listing_on_driver(spark, snapshot, len(paths)):
        return reader.parquet(*paths)


_DISCOVERY_THRESHOLD = "spark.sql.sources.parallelPartitionDiscovery.threshold"


#: Past the discovery threshold, local files this small are read through the folder listing:
#: Spark's lookups of many tiny named files cost more than the name filter on their few rows
#: (300 appends of 10 rows: 0.26 s named, 0.06 s listed; 119 files of ~1 MB: named is faster).
_SMALL_FILE_BYTES = 256 * 1024


def _named_cheaply(spark: SparkSession, snapshot: Snapshot) -> bool:
    """True when naming the snapshot's files costs less than listing the folder and filtering."""
    files = len(snapshot.files)
    if files <= int(spark.conf.get(_DISCOVERY_THRESHOLD)):
        return True
    average = sum(f.size for f in snapshot.files) / files
    return snapshot.location.is_local and average >= _SMALL_FILE_BYTES


def _listed_from_root(snapshot: Snapshot, by_folders: bool) -> bool:
    """True when listing the table folder finds every file of ``snapshot``, by a unique name.

    That is when each file lies directly in its partition folder (or, unpartitioned, in the
    table folder) under a name Spark's listing does not hide (``_`` or ``.`` first).
    """
    if len(snapshot.files) > _MAX_FILES_PICKED_BY_NAME:
        return False
    if snapshot.partition_columns and not by_folders:
        return False
    root = snapshot.uri.rstrip("/") + "/"
    names = set()
    for data_file in snapshot.files:
        if not data_file.path.startswith(root):
            return False
        parts = data_file.path[len(root) :].split("/")
        if len(parts) != len(snapshot.partition_columns) + 1 or parts[-1][:1] in ("_", "."):
            return False
        names.add(parts[-1])
    return len(names) == len(snapshot.files)


def _sql_string(text: str) -> str:
    """``text`` as a Spark SQL string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


@contextlib.contextmanager
def _listing_on_driver(spark: SparkSession, snapshot: Snapshot, files: int) -> Iterator[None]:
    """Let Spark stat ``files`` named local files on the driver rather than in a Spark job."""
    before = spark.conf.get(_DISCOVERY_THRESHOLD)
    if not snapshot.location.is_local or files <= int(before):
        yield
        return
    spark.conf.set(_DISCOVERY_THRESHOLD, str(files))
    try:
        yield
    finally:
        spark.conf.set(_DISCOVERY_THRESHOLD, before)


#: Partition column types whose folder names Spark parses back to exactly the Delta value.
_FOLDER_SAFE_TYPES = {"string", "tinyint", "smallint", "int", "bigint", "date", "boolean"}


def _partitions_in_folders(snapshot: Snapshot) -> bool:
    """True when every file lies in the ``col=value`` folder its partition values name."""
    if snapshot.column_mapping_mode != "none":
        return False
    types = {f.name: f.dataType.simpleString() for f in snapshot.schema.fields}
    if any(types[n] not in _FOLDER_SAFE_TYPES for n in snapshot.partition_columns):
        return False
    root = snapshot.uri.rstrip("/") + "/"
    for data_file in snapshot.files:
        values = {n: partition_text(v) for n, v in data_file.partition_values.items()}
        folder = partition_folder(snapshot.partition_columns, values)
        if not data_file.path.startswith(root + folder + "/"):
            return False
        if "/" in data_file.path[len(root) + len(folder) + 1 :]:
            return False
    return True


def _logical_columns(
    frame: DataFrame, schema: Any, data_fields: list[Any], physical: Any, mode: str
) -> DataFrame:
    """``frame`` with the table's logical column names, types and order."""
    from pyspark.sql import functions as F

    columns = []
    for logical_field, physical_field in zip(data_fields, physical.fields, strict=True):
        column = F.col(f"`{physical_field.name}`")
        if mode != "none" and physical_field.dataType != logical_type(logical_field.dataType):
            column = column.cast(logical_type(logical_field.dataType))
        columns.append((logical_field.name, column))
    by_name = dict(columns)
    return frame.select(
        *(
            (by_name[f.name] if f.name in by_name else F.col(f"`{f.name}`")).alias(f.name)
            for f in schema.fields
        )
    )


def _file_key(spark: SparkSession, snapshot: Snapshot) -> tuple[str, Any]:
    """Which ``_metadata`` field identifies a file, and how to compute it for a snapshot file.

    File names are unique in tables written by lakeshelf, delta-spark and delta-rs, and comparing
    names avoids any question of path encoding. If two files share a name, the full path is used
    in the form Spark reports it (Hadoop's URI string).
    """
    names = [os.path.basename(f.path) for f in snapshot.files]
    if len(set(names)) == len(names):
        return "file_name", os.path.basename
    jvm = spark.sparkContext._jvm

    def hadoop_uri(path: str) -> str:
        return jvm.org.apache.hadoop.fs.Path(snapshot.location.spark_path(path)).toUri().toString()

    return "file_path", hadoop_uri


def _partition_frame(spark: SparkSession, snapshot: Snapshot, key_of: Any) -> DataFrame:
    from pyspark.sql.types import StringType, StructField, StructType

    fields = {f.name: f for f in snapshot.schema.fields}
    schema = StructType(
        [StructField(_FILE, StringType(), False)]
        + [
            StructField(name, logical_type(fields[name].dataType), True)
            for name in snapshot.partition_columns
        ]
    )
    rows = [
        (key_of(f.path), *(f.partition_values[name] for name in snapshot.partition_columns))
        for f in snapshot.files
    ]
    if any(isinstance(v, str) for row in rows for v in row[1:]):
        # Delta's string form (files not yet committed): let Spark cast to the declared types
        from pyspark.sql import functions as F

        as_text = StructType([StructField(f.name, StringType(), f.nullable) for f in schema.fields])
        frame = spark.createDataFrame(rows, as_text)
        return frame.select(
            F.col(_FILE),
            *(F.col(f"`{f.name}`").cast(f.dataType).alias(f.name) for f in schema.fields[1:]),
        )
    return spark.createDataFrame(rows, schema)


def _deleted_frame(spark: SparkSession, snapshot: Snapshot, key_of: Any) -> DataFrame:
    import pyarrow as pa

    keys: list[str] = []
    rows: list[int] = []
    for path, indexes in snapshot.deleted_rows.items():
        keys.extend([key_of(path)] * len(indexes))
        rows.extend(indexes)
    table = pa.table({_FILE: pa.array(keys, pa.string()), _ROW: pa.array(rows, pa.int64())})
    return spark.createDataFrame(table)
