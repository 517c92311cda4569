"""The ``delta`` format for Spark sessions without delta-spark: a Spark Python data source.

``spark.read.format("delta").option("versionAsOf", 3).load(uri)`` and
``df.write.format("delta").mode("append").save(uri)`` run through this module, so code written for
delta-spark runs unchanged. It is a thin face over :mod:`lakeshelf.table`: snapshots, file
splits, task-side reads and writes, and commits all live there. Options follow delta-spark's
names: ``versionAsOf``, ``timestampAsOf``, ``partitionBy`` (comma-separated, as
``DataFrameWriter.partitionBy`` is not available to Python sources), ``mergeSchema``,
``overwriteSchema``, ``userMetadata``.

Storage options: a path inside the lake of the configured project (``.option("conf", DIR)``,
``$LAKESHELF_CONF`` or ``./conf``) is reached with the project's ``storage_options``; other paths
with the standard AWS environment variables.
"""

from __future__ import annotations

import json
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

from lakeshelf.storage import Location
from lakeshelf.table import leases, load_snapshot
from lakeshelf.table.commit import commit_files
from lakeshelf.table.plan import WritePlan, plan_write
from lakeshelf.table.schema import logical_type
from lakeshelf.table.workers_read import file_splits, read_files
from lakeshelf.table.workers_write import write_table
from lakeshelf.table.write import remove_files

FORMAT = "delta"


def register(spark: Any) -> None:
    """Register the ``delta`` Python data source on ``spark``."""
    spark.dataSource.register(DeltaDataSource)


class DeltaDataSource(DataSource):
    """Spark Python data source for Delta tables, backed by lakeshelf's table layer."""

    @classmethod
    def name(cls) -> str:
        return FORMAT

    def schema(self) -> StructType:
        return logical_type(self._snapshot().schema)

    def reader(self, schema: StructType) -> DataSourceReader:
        return DeltaReader(self._snapshot(), schema)

    def writer(self, schema: StructType, overwrite: bool) -> DeltaWriter:
        options = self.options
        partitions = [c.strip() for c in options.get("partitionby", "").split(",") if c.strip()]
        if options.get("partitionby", "").startswith("["):
            partitions = json.loads(options["partitionby"])
        schema_mode = None
        if _flag(options, "overwriteschema"):
            schema_mode = "overwrite"
        elif _flag(options, "mergeschema"):
            schema_mode = "merge"
        mode = "overwrite" if overwrite else "append"
        plan = plan_write(table_location(options), schema, mode, partitions, schema_mode)
        metadata = {"userMetadata": options["usermetadata"]} if "usermetadata" in options else None
        # held from here (driver) until commit() or abort(): vacuum spares the tasks' files
        leases.acquire(plan.location.filesystem(), plan.location, plan.txn)
        return DeltaWriter(plan, schema, metadata)

    def _snapshot(self) -> Any:
        if not hasattr(self, "_cached_snapshot"):
            version = self.options.get("versionasof")
            self._cached_snapshot = load_snapshot(
                table_location(self.options),
                version=int(version) if version is not None else None,
                timestamp=self.options.get("timestampasof"),
            )
        return self._cached_snapshot


def table_location(options: Any) -> Location:
    """The table the options name, with the project's storage options inside its lake."""
    from lakeshelf.config import conf_dir_from, load_project

    path = options.get("path")
    if not path:
        raise ValueError("format('delta') needs a table path: .load(path) or .save(path)")
    conf_dir = conf_dir_from(options.get("conf"))
    if (conf_dir / "lakeshelf.yaml").is_file():
        lake = load_project(conf_dir).lake_location
        if lake.contains(path):
            return Location.of(path, lake.options)
    return Location.of(path)


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
        return [FileSplit(files) for files in file_splits(self.snapshot)]

    def read(self, partition: InputPartition) -> Iterator[Any]:
        return read_files(self.snapshot, partition.files, self.schema)


class DeltaWriter(DataSourceArrowWriter):
    """Each task writes Parquet files into the table folder; the driver commits them once."""

    def __init__(
        self, plan: WritePlan, schema: StructType, metadata: dict[str, Any] | None
    ) -> None:
        self.plan = plan
        self.schema = schema
        self.metadata = metadata

    def write(self, iterator: Iterator[Any]) -> WriterCommitMessage:
        import pyarrow as pa

        batches = [b for b in iterator if b.num_rows]
        if not batches:
            return DeltaCommitMessage([])
        fs = self.plan.location.filesystem()
        return DeltaCommitMessage(
            write_table(fs, self.plan, pa.Table.from_batches(batches), self.schema)
        )

    def commit(self, messages: list[WriterCommitMessage | None]) -> None:
        files = [f for m in messages if m is not None for f in m.files]
        try:
            commit_files(self.plan, files, metadata=self.metadata)
        finally:
            leases.release(self.plan.location.filesystem(), self.plan.location, self.plan.txn)

    def abort(self, messages: list[WriterCommitMessage | None]) -> None:
        files = [f for m in messages if m is not None for f in m.files]
        fs = self.plan.location.filesystem()
        remove_files(fs, self.plan.location, files)
        leases.release(fs, self.plan.location, self.plan.txn)


@dataclass
class DeltaCommitMessage(WriterCommitMessage):
    """The files one task wrote."""

    files: list[Any]


def _flag(options: Any, name: str) -> bool:
    return str(options.get(name, "false")).lower() == "true"
