"""Table data as pyarrow on the driver, with no Arrow scanner threads left behind.

The registry and other bookkeeping tables are read without Spark. delta-rs's
``to_pyarrow_table`` / ``to_pyarrow_dataset`` (and pyarrow's own ``pq.read_table`` on a buffer)
run Arrow's dataset scanner, whose threads can outlive the call and abort the interpreter at exit
("terminate called without an active exception", exit 134: apache/arrow#34314, #45214;
delta-io/delta-rs#2184). A process that did its work must exit with its own code, so
:func:`snapshot_arrow` reads each data file of a resolved snapshot with
``pyarrow.parquet.ParquetFile``, which decodes in the calling thread and leaves nothing running.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from lakeshelf.errors import UnsupportedFeatureError

if TYPE_CHECKING:
    import pyarrow as pa

    from lakeshelf.table.snapshot import DataFile, Snapshot

#: Files read at once (I/O bound on object storage; the pool is joined before returning).
READ_THREADS = 8


def arrow_table(result: Any) -> pa.Table:
    """A pyarrow Table from a delta-rs (arro3) result, read through the Arrow C stream.

    ``pa.table()`` would first probe for a pandas DataFrame, and importing pandas costs about
    half a second on every CLI command that only reads the log.
    """
    import pyarrow as pa

    return pa.RecordBatchReader.from_stream(result).read_all()


def arrow_schema(snapshot: Snapshot) -> pa.Schema:
    """The Arrow schema of a snapshot's table (delta-rs's conversion)."""
    import pyarrow as pa
    from deltalake import Schema

    return pa.schema(Schema.from_json(snapshot.schema_json).to_arrow())


def snapshot_arrow(snapshot: Snapshot, columns: list[str] | None = None) -> pa.Table:
    """The rows of ``snapshot`` as one pyarrow Table in its table's Arrow schema.

    Partition values are attached and rows removed by deletion vectors are dropped. ``columns``
    reads only those columns (in that order).

    Raises:
        UnsupportedFeatureError: the table uses column mapping (not needed for the small tables
            this reader serves; read such tables through Spark).
    """
    import pyarrow as pa

    if snapshot.column_mapping_mode != "none":
        raise UnsupportedFeatureError(
            f"{snapshot.uri} uses column mapping; read it with lakeshelf.read (Spark)"
        )
    schema = arrow_schema(snapshot)
    if columns is not None:
        schema = pa.schema([schema.field(name) for name in columns])
    if not snapshot.files:
        return schema.empty_table()
    fs = snapshot.location.filesystem()

    def read(data_file: DataFile) -> pa.Table:
        return _read_file(fs, snapshot, data_file, schema)

    with ThreadPoolExecutor(max_workers=min(READ_THREADS, len(snapshot.files))) as pool:
        parts = list(pool.map(read, snapshot.files))
    return pa.concat_tables(parts)


def _read_file(fs: Any, snapshot: Snapshot, data_file: DataFile, schema: pa.Schema) -> pa.Table:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    data_names = [n for n in schema.names if n not in snapshot.partition_columns]
    with fs.open(data_file.path, "rb") as handle:
        parquet = pq.ParquetFile(handle)
        present = [n for n in data_names if n in parquet.schema_arrow.names]
        table = parquet.read(columns=present, use_threads=False)
    rows = table.num_rows
    columns = []
    for field in schema:
        if field.name in snapshot.partition_columns:
            value = data_file.partition_values.get(field.name)
            columns.append(pa.array([value] * rows, field.type))
        elif field.name in present:  # a column added after this file was written reads as null
            columns.append(table.column(field.name).cast(field.type))
        else:
            columns.append(pa.nulls(rows, field.type))
    result = pa.Table.from_arrays(columns, schema=schema)
    deleted = snapshot.deleted_rows.get(data_file.path)
    if deleted:
        keep = np.ones(rows, dtype=bool)
        keep[np.asarray(deleted, dtype=np.int64)] = False
        result = result.filter(pa.array(keep))
    return result
