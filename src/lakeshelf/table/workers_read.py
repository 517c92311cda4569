"""Data files read by Python workers, for storage Spark's Hadoop layer lacks, and for the
``format("delta")`` data source: partition values attached, deleted rows dropped, physical
(column-mapped) names turned into logical ones."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from lakeshelf.spark_tasks import per_item

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

    from lakeshelf.table.snapshot import DataFile, Snapshot

#: Files smaller than this are grouped into one Spark partition when reading.
TARGET_SPLIT_BYTES = 128 * 1024 * 1024


def file_splits(snapshot: Snapshot) -> list[list[DataFile]]:
    """The snapshot's files grouped for Spark tasks of about :data:`TARGET_SPLIT_BYTES`."""
    splits: list[list[DataFile]] = []
    group: list[DataFile] = []
    size = 0
    for data_file in sorted(snapshot.files, key=lambda f: f.path):
        group.append(data_file)
        size += data_file.size
        if size >= TARGET_SPLIT_BYTES:
            splits.append(group)
            group, size = [], 0
    if group or not splits:
        splits.append(group)
    return splits


def read_snapshot(spark: SparkSession, snapshot: Snapshot) -> DataFrame:
    """The rows of ``snapshot`` read by Python workers, one Spark partition per file group."""
    from lakeshelf.table.schema import logical_type

    schema = logical_type(snapshot.schema)
    splits = file_splits(snapshot)
    return per_item(spark, splits, lambda files: read_files(snapshot, files, schema), schema)


def read_files(snapshot: Snapshot, files: list[DataFile], schema: StructType) -> Iterator[Any]:
    """Arrow batches of ``files`` of ``snapshot`` in ``schema``: partition values attached,
    deleted rows dropped. Runs in Python workers; opens files through fsspec."""
    import pyarrow.parquet as pq
    from pyspark.sql.pandas.types import to_arrow_schema
    from pyspark.sql.types import StructType

    from lakeshelf.table.schema import physical_type

    target = to_arrow_schema(schema, timezone="UTC")
    data_fields = [f for f in snapshot.schema.fields if f.name not in snapshot.partition_columns]
    physical = physical_type(StructType(data_fields), snapshot.column_mapping_mode)
    fs = snapshot.location.filesystem()
    for data_file in files:
        with fs.open(data_file.path, "rb") as handle:
            parquet = pq.ParquetFile(handle)
            deleted = snapshot.deleted_rows.get(data_file.path)
            present = set(parquet.schema_arrow.names)
            wanted = [f.name for f in physical.fields if f.name in present]
            offset = 0
            for batch in parquet.iter_batches(columns=wanted, batch_size=65536):
                rows = batch.num_rows
                if deleted is not None:
                    batch = _drop_rows(batch, deleted, offset)
                offset += rows
                yield _to_target(batch, data_file, data_fields, physical, target)


def _drop_rows(batch: Any, deleted: list[int], offset: int) -> Any:
    import numpy as np

    keep = np.ones(batch.num_rows, dtype=bool)
    local = np.asarray(deleted, dtype=np.int64) - offset
    local = local[(local >= 0) & (local < batch.num_rows)]
    keep[local] = False
    return batch.filter(keep)


def _to_target(
    batch: Any, data_file: DataFile, data_fields: list[Any], physical: StructType, target: Any
) -> Any:
    """Rename physical columns to logical ones, add partition columns, cast to Spark's schema."""
    import pyarrow as pa

    columns = {}
    for logical_field, physical_field in zip(data_fields, physical.fields, strict=True):
        field = target.field(logical_field.name)
        if physical_field.name in batch.schema.names:
            columns[logical_field.name] = _renamed(batch.column(physical_field.name), field.type)
        else:
            columns[logical_field.name] = pa.nulls(batch.num_rows, field.type)
    for name, value in data_file.partition_values.items():
        columns[name] = pa.array([value] * batch.num_rows, target.field(name).type)
    return pa.RecordBatch.from_arrays([columns[f.name] for f in target], schema=target)


def _renamed(array: Any, target_type: Any) -> Any:
    """Cast ``array`` to ``target_type``, matching struct fields by position (column mapping)."""
    import pyarrow as pa

    mask = array.is_null() if array.null_count else None
    if pa.types.is_struct(target_type) and pa.types.is_struct(array.type):
        children = [
            _renamed(array.field(i), target_type.field(i).type)
            for i in range(target_type.num_fields)
        ]
        return pa.StructArray.from_arrays(children, fields=list(target_type), mask=mask)
    if pa.types.is_list(target_type) and pa.types.is_list(array.type):
        values = _renamed(array.values, target_type.value_type)
        return pa.ListArray.from_arrays(array.offsets, values, type=target_type, mask=mask)
    if pa.types.is_map(target_type) and pa.types.is_map(array.type):
        keys = _renamed(array.keys, target_type.key_type)
        items = _renamed(array.items, target_type.item_type)
        return pa.MapArray.from_arrays(array.offsets, keys, items, type=target_type, mask=mask)
    return array.cast(target_type) if array.type != target_type else array
