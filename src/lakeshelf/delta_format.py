"""The ``delta`` format for Spark sessions without delta-spark: a Spark Python data source.

``spark.read.format("delta").option("versionAsOf", 3).load(uri)`` and
``df.write.format("delta").mode("append").save(uri)`` run through this module, so code written for
delta-spark runs unchanged. Rows cross between the JVM and Python workers as Arrow batches, which
costs more than :func:`lakeshelf.read` / :func:`lakeshelf.write` (native Parquet in the JVM): use
those for large data. Options follow delta-spark's names: ``versionAsOf``, ``timestampAsOf``,
``partitionBy`` (comma-separated, as ``DataFrameWriter.partitionBy`` is not available to Python
sources), ``mergeSchema``, ``overwriteSchema``, ``userMetadata``.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pyspark.sql.datasource import (
    DataSource,
    DataSourceArrowWriter,
    DataSourceReader,
    InputPartition,
    WriterCommitMessage,
)
from pyspark.sql.types import StructType

FORMAT = "delta"
#: Files smaller than this are grouped into one Spark partition when reading.
TARGET_SPLIT_BYTES = 128 * 1024 * 1024
_SPARK_ESCAPED = set("\"#%'*/:=?\\\x7f{[]^") | {chr(c) for c in range(32)}


def register(spark: Any) -> None:
    """Register the ``delta`` Python data source on ``spark``."""
    spark.dataSource.register(DeltaDataSource)


class DeltaDataSource(DataSource):
    """Spark Python data source for Delta tables, backed by lakeshelf's table layer."""

    @classmethod
    def name(cls) -> str:
        return FORMAT

    def schema(self) -> StructType:
        from lakeshelf.schema import logical_type

        return logical_type(self._snapshot().schema)

    def reader(self, schema: StructType) -> DataSourceReader:
        return DeltaReader(self._snapshot(), schema)

    def writer(self, schema: StructType, overwrite: bool) -> DeltaWriter:
        from lakeshelf.write import plan_write

        options = self.options
        partitions = [c.strip() for c in options.get("partitionby", "").split(",") if c.strip()]
        if options.get("partitionby", "").startswith("["):
            partitions = json.loads(options["partitionby"])
        schema_mode = None
        if _flag(options, "overwriteschema"):
            schema_mode = "overwrite"
        elif _flag(options, "mergeschema"):
            schema_mode = "merge"
        plan = plan_write(
            _path(options),
            schema,
            "overwrite" if overwrite else "append",
            partitions,
            schema_mode,
            None,
        )
        metadata = {"userMetadata": options["usermetadata"]} if "usermetadata" in options else None
        from lakeshelf import leases, storage

        # held from here (driver) until commit() or abort(): vacuum spares the tasks' files
        leases.acquire(storage.filesystem(plan.uri, plan.storage_options), plan.uri, plan.txn)
        return DeltaWriter(plan, schema, metadata)

    def _snapshot(self) -> Any:
        from lakeshelf.snapshot import load_snapshot

        if not hasattr(self, "_cached_snapshot"):
            version = self.options.get("versionasof")
            self._cached_snapshot = load_snapshot(
                _path(self.options),
                version=int(version) if version is not None else None,
                timestamp=self.options.get("timestampasof"),
            )
        return self._cached_snapshot


@dataclass(frozen=True)
class FileSplit(InputPartition):
    """A group of data files one Spark task reads."""

    files: list[Any]


class DeltaReader(DataSourceReader):
    """Reads a snapshot's files with pyarrow in the Python workers."""

    def __init__(self, snapshot: Any, schema: StructType) -> None:
        self.snapshot = snapshot
        self.schema = schema

    def partitions(self) -> Sequence[InputPartition]:
        splits: list[InputPartition] = []
        group: list[Any] = []
        size = 0
        for data_file in sorted(self.snapshot.files, key=lambda f: f.path):
            group.append(data_file)
            size += data_file.size
            if size >= TARGET_SPLIT_BYTES:
                splits.append(FileSplit(group))
                group, size = [], 0
        if group or not splits:
            splits.append(FileSplit(group))
        return splits

    def read(self, partition: InputPartition) -> Iterator[Any]:
        # The data source reads with the standard AWS environment variables on object storage.
        return read_files(self.snapshot, partition.files, self.schema, None)


def read_files(
    snapshot: Any, files: list[Any], schema: StructType, storage_options: dict[str, Any] | None
) -> Iterator[Any]:
    """Arrow batches of ``files`` of ``snapshot`` in ``schema``: partition values attached,
    deleted rows dropped. Runs in Python workers; opens files through fsspec."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pyspark.sql.pandas.types import to_arrow_schema

    from lakeshelf import storage
    from lakeshelf.schema import physical_type

    target = to_arrow_schema(schema, timezone="UTC")
    data_fields = [f for f in snapshot.schema.fields if f.name not in snapshot.partition_columns]
    physical = physical_type(StructType(data_fields), snapshot.column_mapping_mode)
    fs = storage.filesystem(snapshot.uri, storage_options)
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
                yield _to_target(batch, data_file, data_fields, physical, target, pa)


class DeltaWriter(DataSourceArrowWriter):
    """Each task writes Parquet files into the table folder; the driver commits them once."""

    def __init__(self, plan: Any, schema: StructType, metadata: dict[str, Any] | None) -> None:
        self.plan = plan
        self.schema = schema
        self.metadata = metadata

    def write(self, iterator: Iterator[Any]) -> WriterCommitMessage:
        import pyarrow as pa

        from lakeshelf import storage

        batches = [b for b in iterator if b.num_rows]
        fs = storage.filesystem(self.plan.uri, self.plan.storage_options)
        if not batches:
            return DeltaCommitMessage([])
        table = pa.Table.from_batches(batches)
        return DeltaCommitMessage(write_files(fs, self.plan, table, self.schema))

    def commit(self, messages: list[WriterCommitMessage | None]) -> None:
        from lakeshelf import leases, storage
        from lakeshelf.write import commit_plan

        files = [f for m in messages if m is not None for f in m.files]
        fs = storage.filesystem(self.plan.uri, self.plan.storage_options)
        try:
            commit_plan(self.plan, files, metadata=self.metadata)
        finally:
            leases.release(fs, self.plan.uri, self.plan.txn)

    def abort(self, messages: list[WriterCommitMessage | None]) -> None:
        from lakeshelf import leases, storage
        from lakeshelf.write import remove_files

        files = [f for m in messages if m is not None for f in m.files]
        fs = storage.filesystem(self.plan.uri, self.plan.storage_options)
        remove_files(fs, self.plan.uri, files)
        leases.release(fs, self.plan.uri, self.plan.txn)


@dataclass
class DeltaCommitMessage(WriterCommitMessage):
    """The files one task wrote."""

    files: list[Any]


def write_files(fs: Any, plan: Any, table: Any, schema: StructType) -> list[Any]:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from lakeshelf import storage
    from lakeshelf.stats import file_stats
    from lakeshelf.write import StagedFile, _delta_type_name

    partitions = plan.partitions
    types = {f.name: f.dataType for f in schema.fields}
    data_columns = {n: _delta_type_name(t) for n, t in types.items() if n not in partitions}
    groups = [({}, table)]
    if partitions:
        keys = table.select(partitions).group_by(partitions).aggregate([]).to_pylist()
        groups = []
        for key in keys:
            mask = None
            for name, value in key.items():
                cond = pc.is_null(table[name]) if value is None else pc.equal(table[name], value)
                mask = cond if mask is None else pc.and_(mask, cond)
            groups.append((key, table.filter(mask)))
    written = []
    for key, rows in groups:
        values = {n: _partition_string(v, types[n]) for n, v in key.items()}
        directory = "/".join(f"{_escape(n)}={_escape_value(values[n])}" for n in partitions)
        name = f"part-{uuid.uuid4().hex[:12]}-{plan.txn}.c000.snappy.parquet"
        relative = f"{directory}/{name}" if directory else name
        target = storage.join(plan.uri, relative)
        fs.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
        with fs.open(target, "wb") as handle:
            pq.write_table(rows.drop_columns(partitions), handle, compression="snappy")
        with fs.open(target, "rb") as handle:
            metadata = pq.read_metadata(handle)
        written.append(
            StagedFile(
                relative,
                fs.size(target),
                values,
                file_stats(metadata, data_columns),
                metadata.num_rows,
            )
        )
    return written


def _partition_string(value: Any, data_type: Any) -> str | None:
    """Delta's string form of a partition value (empty string means null in Delta)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _escape(text: str) -> str:
    return "".join(f"%{ord(c):02X}" if c in _SPARK_ESCAPED else c for c in text)


def _escape_value(value: str | None) -> str:
    from lakeshelf.write import HIVE_NULL

    return HIVE_NULL if value is None or value == "" else _escape(value)


def _drop_rows(batch: Any, deleted: list[int], offset: int) -> Any:
    import numpy as np

    keep = np.ones(batch.num_rows, dtype=bool)
    local = np.asarray(deleted, dtype=np.int64) - offset
    local = local[(local >= 0) & (local < batch.num_rows)]
    keep[local] = False
    return batch.filter(keep)


def _to_target(
    batch: Any, data_file: Any, data_fields: list[Any], physical: StructType, target: Any, pa: Any
) -> Any:
    """Rename physical columns to logical ones, add partition columns, cast to Spark's schema."""
    columns = {}
    for logical_field, physical_field in zip(data_fields, physical.fields, strict=True):
        field = target.field(logical_field.name)
        if physical_field.name in batch.schema.names:
            array = batch.column(physical_field.name)
            columns[logical_field.name] = _rename(array, field.type, pa)
        else:
            columns[logical_field.name] = pa.nulls(batch.num_rows, field.type)
    for name, value in data_file.partition_values.items():
        field_type = target.field(name).type
        columns[name] = pa.array([value] * batch.num_rows, field_type)
    arrays = [columns[f.name] for f in target]
    return pa.RecordBatch.from_arrays(arrays, schema=target)


def _rename(array: Any, target_type: Any, pa: Any) -> Any:
    """Cast ``array`` to ``target_type``, matching struct fields by position (column mapping)."""
    if pa.types.is_struct(target_type) and pa.types.is_struct(array.type):
        children = [
            _rename(array.field(i), target_type.field(i).type, pa)
            for i in range(target_type.num_fields)
        ]
        return pa.StructArray.from_arrays(
            children, fields=list(target_type), mask=array.is_null() if array.null_count else None
        )
    if pa.types.is_list(target_type) and pa.types.is_list(array.type):
        values = _rename(array.values, target_type.value_type, pa)
        return pa.ListArray.from_arrays(
            array.offsets,
            values,
            type=target_type,
            mask=array.is_null() if array.null_count else None,
        )
    if pa.types.is_map(target_type) and pa.types.is_map(array.type):
        keys = _rename(array.keys, target_type.key_type, pa)
        items = _rename(array.items, target_type.item_type, pa)
        return pa.MapArray.from_arrays(
            array.offsets,
            keys,
            items,
            type=target_type,
            mask=array.is_null() if array.null_count else None,
        )
    return array.cast(target_type) if array.type != target_type else array


def _path(options: Any) -> str:
    path = options.get("path")
    if not path:
        raise ValueError("format('delta') needs a table path: .load(path) or .save(path)")
    return path


def _flag(options: Any, name: str) -> bool:
    return str(options.get(name, "false")).lower() == "true"
