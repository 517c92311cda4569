"""Data files through pyarrow and fsspec in Python workers, for storage Spark's Hadoop layer lacks.

Spark reaches ``s3://`` only through hadoop-aws (s3a), whose jars come from Maven Central. Without
them, lakeshelf still runs the data path in Spark: executors write and read Parquet with pyarrow
over fsspec (``mapInArrow``, Arrow batches in and out), and the driver commits through delta-rs as
on local disk. Credentials travel inside the pickled task function, never in query plans or Spark
options, so they do not show in the Spark UI or in logs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from lakeshelf import storage

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lakeshelf.snapshot import Snapshot
    from lakeshelf.write import StagedFile, WritePlan

#: A task starts a new file once its buffered rows reach this many bytes (in Arrow memory).
TARGET_FILE_BYTES = 128 * 1024 * 1024
_WRITTEN = "path string, size long, partition_values string, stats string, num_records long"


def write_files(df: DataFrame, plan: WritePlan) -> list[StagedFile]:
    """Write ``df``'s rows as Parquet files into the table folder; return them, uncommitted.

    File names carry the write's transaction id. A failed task attempt may leave files behind;
    they are never referenced by a commit and vacuum removes them.
    """
    from lakeshelf.delta_format import write_files as write_table
    from lakeshelf.write import StagedFile

    schema = df.schema

    def write_partition(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa

        fs = storage.filesystem(plan.uri, plan.storage_options)
        pending: list[Any] = []
        size = 0
        for batch in batches:
            if batch.num_rows:
                pending.append(batch)
                size += batch.nbytes
            if pending and size >= TARGET_FILE_BYTES:
                yield _described(write_table(fs, plan, pa.Table.from_batches(pending), schema))
                pending, size = [], 0
        if pending:
            yield _described(write_table(fs, plan, pa.Table.from_batches(pending), schema))

    rows = df.mapInArrow(write_partition, _WRITTEN).collect()
    return [
        StagedFile(row.path, row.size, json.loads(row.partition_values), row.stats, row.num_records)
        for row in rows
    ]


def _described(files: list[StagedFile]) -> Any:
    import pyarrow as pa

    return pa.RecordBatch.from_pylist(
        [
            {
                "path": f.path,
                "size": f.size,
                "partition_values": json.dumps(f.partition_values),
                "stats": f.stats,
                "num_records": f.num_records,
            }
            for f in files
        ],
        schema=pa.schema(
            [
                ("path", pa.string()),
                ("size", pa.int64()),
                ("partition_values", pa.string()),
                ("stats", pa.string()),
                ("num_records", pa.int64()),
            ]
        ),
    )


def read_snapshot(
    spark: SparkSession, snapshot: Snapshot, storage_options: dict[str, Any] | None
) -> DataFrame:
    """The rows of ``snapshot`` read by Python workers, one Spark partition per file group."""
    from lakeshelf.delta_format import DeltaReader, read_files
    from lakeshelf.schema import logical_type

    schema = logical_type(snapshot.schema)
    splits = [split.files for split in DeltaReader(snapshot, schema).partitions()]
    return per_item(
        spark, splits, lambda files: read_files(snapshot, files, schema, storage_options), schema
    )


def per_item(
    spark: SparkSession,
    items: list[Any],
    read: Callable[[Any], Iterator[Any]],
    schema: Any,
) -> DataFrame:
    """The Arrow batches ``read(item)`` yields for every item, one Spark partition per item.

    ``items`` and ``read`` travel to the workers inside the pickled task.
    """

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        for batch in batches:
            for index in batch.column(0).to_pylist():
                yield from read(items[index])

    indexes = spark.range(0, len(items), 1, numPartitions=max(1, len(items)))
    return indexes.mapInArrow(run, schema)
