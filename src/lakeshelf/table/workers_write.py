"""Data files written by Python workers, for storage Spark's Hadoop layer lacks.

Spark reaches ``s3://`` only through hadoop-aws (s3a). Without it, lakeshelf still runs the data
path in Spark: executors write Parquet with pyarrow over fsspec (``mapInArrow``), and the driver
commits through delta-rs as on local disk; :mod:`lakeshelf.table.workers_read` reads the same
way. The ``format("delta")`` data source uses the same task-side functions. Locations travel
inside the pickled task function, never in query plans or Spark options, so credentials do not
show in the Spark UI or in logs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from lakeshelf.table.files import (
    WrittenFile,
    data_file_name,
    delta_type_name,
    described,
    partition_folder,
    partition_text,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame
    from pyspark.sql.types import StructType

    from lakeshelf.table.plan import WritePlan

#: A task starts a new file once its buffered rows reach this many bytes (in Arrow memory).
TARGET_FILE_BYTES = 128 * 1024 * 1024
_WRITTEN_FIELDS = (
    ("path", "string"),
    ("size", "long"),
    ("partition_values", "string"),
    ("stats", "string"),
    ("num_records", "long"),
)


def write_files(df: DataFrame, plan: WritePlan) -> list[WrittenFile]:
    """Write ``df``'s rows as Parquet files into the table folder; return them, uncommitted.

    A failed task attempt may leave files behind; they are never referenced by a commit and
    vacuum removes them.
    """
    schema = df.schema

    def write_partition(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa

        fs = plan.location.filesystem()
        pending: list[Any] = []
        size = 0
        for batch in batches:
            if batch.num_rows:
                pending.append(batch)
                size += batch.nbytes
            if pending and size >= TARGET_FILE_BYTES:
                yield _as_batch(write_table(fs, plan, pa.Table.from_batches(pending), schema))
                pending, size = [], 0
        if pending:
            yield _as_batch(write_table(fs, plan, pa.Table.from_batches(pending), schema))

    ddl = ", ".join(f"{name} {kind}" for name, kind in _WRITTEN_FIELDS)
    return [
        WrittenFile(r.path, r.size, json.loads(r.partition_values), r.stats, r.num_records)
        for r in df.mapInArrow(write_partition, ddl).collect()
    ]


def write_table(fs: Any, plan: WritePlan, table: Any, schema: StructType) -> list[WrittenFile]:
    """Write one Arrow table's rows as one file per partition value; runs in a Python worker."""
    import pyarrow.parquet as pq

    partitions = plan.partitions
    types = {f.name: f.dataType for f in schema.fields}
    data_columns = {n: delta_type_name(t) for n, t in types.items() if n not in partitions}
    written = []
    for key, rows in _partition_groups(table, partitions):
        values = {name: partition_text(value) for name, value in key.items()}
        folder = partition_folder(partitions, values)
        name = data_file_name(plan.txn)
        relative = f"{folder}/{name}" if folder else name
        target = plan.location.path(relative)
        fs.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
        with fs.open(target, "wb") as handle:
            pq.write_table(rows.drop_columns(partitions), handle, compression="snappy")
        written.append(described(fs, plan.location, relative, values, data_columns))
    return written


def _partition_groups(table: Any, partitions: list[str]) -> list[tuple[dict[str, Any], Any]]:
    import pyarrow.compute as pc

    if not partitions:
        return [({}, table)]
    groups = []
    for key in table.select(partitions).group_by(partitions).aggregate([]).to_pylist():
        mask = None
        for name, value in key.items():
            cond = pc.is_null(table[name]) if value is None else pc.equal(table[name], value)
            mask = cond if mask is None else pc.and_(mask, cond)
        groups.append((key, table.filter(mask)))
    return groups


def _as_batch(files: list[WrittenFile]) -> Any:
    import pyarrow as pa

    types = {"string": pa.string(), "long": pa.int64()}
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
        schema=pa.schema([(name, types[kind]) for name, kind in _WRITTEN_FIELDS]),
    )
