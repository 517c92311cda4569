"""A version read through delta-spark, its queries planned from its file list in memory.

``spark.read.format("delta").option("versionAsOf", n)`` plans every query that touches the
DataFrame with Spark jobs over the version's state: a partition filter or a statistics check
runs as a job over the table's files (0.07-0.15 s on two cores, on tables delta-spark wrote
itself too), which is most of a partition-filtered read. A version never changes, so lakeshelf
asks delta-spark once per process for the version's files (``Snapshot.allFiles``) and reads
through delta-spark's own relation over exactly those files (``DeltaLog.createDataFrame``, the
pinned file index delta-spark's MERGE, UPDATE and DELETE read their files through). Partition
filters are applied to that list in the driver, with no job. Deletion vectors, column mapping
and the Parquet reading itself stay delta-spark's.

What this gives up is skipping files by their Delta statistics, which delta-spark does per query
once it knows the filter. Measured on two cores, a local table of 5,000,000 rows, 24 month
partitions, for a selective filter on a clustered non-partition column:

- 47 files: pinned 0.15 s, delta-spark's per-query planning 0.20 s;
- 263 files: pinned 0.22 s, delta-spark 0.17 s;
- 1,223 files: pinned 0.63 s, delta-spark 0.16 s.

Partition-filtered and full reads were faster pinned up to 263 files. So partitioned versions
of at most :data:`PINNED_FILES` files (``spark.lakeshelf.read.pinnedPlanFiles``; 0 turns this
off) are read pinned. Unpartitioned versions, and larger ones, keep delta-spark's planning with
its statistics skipping: without partitions there is nothing to prune, and skipping is all a
selective filter has (a Z-ordered table is such a case). A Z-ordered partitioned table read
mostly by selective data filters is better served with the setting at 0.

``createDataFrame`` and ``getSnapshotAt`` are delta-spark's internal Scala API, not its public
one. Should a delta-spark release change them, the read falls back to ``format("delta")``.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from lakeshelf.table.spark import int_conf

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lakeshelf.table.snapshot import Snapshot

log = logging.getLogger(__name__)

PINNED_FILES_CONF = "spark.lakeshelf.read.pinnedPlanFiles"
PINNED_FILES = 128
#: Resolved versions kept per process (each a delta-spark snapshot's metadata and file list).
_KEPT = 16
_resolved: OrderedDict[tuple[str, str, int, int], tuple[Any, Any, Any]] = OrderedDict()
_lock = threading.Lock()


def delta_spark_frame(spark: SparkSession, snapshot: Snapshot) -> DataFrame:
    """The rows of committed ``snapshot`` read by delta-spark: pinned to its file list when it
    is partitioned and has at most :data:`PINNED_FILES` files, else through ``format("delta")``.

    Raises:
        Exception: whatever delta-spark raises for a version it cannot load (callers fall back
            to lakeshelf's reader).
    """
    path = snapshot.location.spark_path()
    limit = int_conf(spark, PINNED_FILES_CONF, PINNED_FILES)
    if snapshot.partition_columns and 0 < len(snapshot.files) <= limit:
        try:
            return _pinned_frame(spark, snapshot)
        except Exception as exc:  # an internal API that moved, or a version it cannot pin
            log.info("delta-spark cannot pin %s: %s; it plans the read per query", snapshot, exc)
    return spark.read.format("delta").option("versionAsOf", snapshot.version).load(path)


def _pinned_frame(spark: SparkSession, snapshot: Snapshot) -> DataFrame:
    from pyspark.sql import DataFrame

    # the files name the version's content: a table deleted and written again at the same path
    # has the same version numbers but other files
    names = _file_names(f.path for f in snapshot.files)
    application = spark.sparkContext.applicationId
    key = (application, snapshot.location.spark_path(), snapshot.version, hash(tuple(names)))
    delta_log, descriptor, files = _resolve(spark, key, names)
    none = spark._jvm.scala.Option.apply(None)
    return DataFrame(delta_log.createDataFrame(descriptor, files, False, none), spark)


def _resolve(
    spark: SparkSession, key: tuple[str, str, int, int], names: list[str]
) -> tuple[Any, Any, Any]:
    """(DeltaLog, Snapshot, Seq[AddFile]) of the version ``key`` names (application, path,
    version, content), resolved once per process and Spark application.

    Raises:
        RuntimeError: delta-spark's files of the version are not ``names`` (the file names
            lakeshelf's log replay found), even after its cached log of the table is dropped.
    """
    _, path, version, _ = key
    with _lock:
        if key in _resolved:
            _resolved.move_to_end(key)
            return _resolved[key]
    jvm = spark._jvm
    delta_log, descriptor, files = _delta_spark_files(spark, path, version)
    if _listed_names(files) != names:
        # delta-spark keeps one DeltaLog per path: a table deleted and written again there
        # reads as the old one until that is dropped
        jvm.org.apache.spark.sql.delta.DeltaLog.invalidateCache(
            spark._jsparkSession, jvm.org.apache.hadoop.fs.Path(path)
        )
        delta_log, descriptor, files = _delta_spark_files(spark, path, version)
        if _listed_names(files) != names:
            raise RuntimeError(f"delta-spark's files of version {version} differ from the log's")
    with _lock:
        _resolved[key] = (delta_log, descriptor, files)
        while len(_resolved) > _KEPT:
            _resolved.popitem(last=False)
    return delta_log, descriptor, files


def _delta_spark_files(spark: SparkSession, path: str, version: int) -> tuple[Any, Any, Any]:
    jvm = spark._jvm
    none = jvm.scala.Option.apply(None)
    delta_log = jvm.org.apache.spark.sql.delta.DeltaLog.forTable(spark._jsparkSession, path)
    # lakeshelf keeps pinned versions readable past delta's deleted-file retention (its vacuum
    # spares them), so time travel is not limited to that window here either
    descriptor = delta_log.getSnapshotAt(version, none, none, False)
    files = jvm.scala.collection.immutable.ArraySeq.unsafeWrapArray(descriptor.allFiles().collect())
    descriptor.metadata(), descriptor.protocol()  # loaded before the state is released
    if not descriptor.equals(delta_log.unsafeVolatileSnapshot()):
        # the file list is all later queries need; the table's current snapshot stays cached:
        # format("delta") reads of the latest version plan from its state (measured: uncaching
        # it made each of them replay the log, 0.16 s -> 0.38 s for a partition filter)
        descriptor.uncache()
    return delta_log, descriptor, files


def _listed_names(files: Any) -> list[str]:
    """The sorted file names of delta-spark's ``Seq[AddFile]``."""
    return _file_names(files.apply(i).path() for i in range(files.size()))


def _file_names(paths: Iterable[str]) -> list[str]:
    """The sorted file names (last path segment, unquoted) of a version's data files."""
    return sorted(unquote(str(p).rsplit("/", 1)[-1]) for p in paths)


def forget() -> None:
    """Drop the resolved versions (tests; a process that deleted tables it had read)."""
    with _lock:
        _resolved.clear()
