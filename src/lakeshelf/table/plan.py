"""Planning a write: the data's schema and partitioning checked against the table before any data
moves, with the version the write reads from."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from lakeshelf.errors import SchemaMismatchError, WriteError, first_line
from lakeshelf.table.delta_log import list_log, open_table
from lakeshelf.table.protocol import check_writer_protocol
from lakeshelf.table.schema import describe_difference, to_spark

if TYPE_CHECKING:
    from deltalake import DeltaTable
    from pyspark.sql.types import StructType

    from lakeshelf.storage import Location


@dataclass
class WritePlan:
    """A write checked against the table before any data moves."""

    location: Location
    mode: str
    table: DeltaTable | None
    read_version: int | None
    schema: StructType  # the table's schema after the write
    partitions: list[str]
    replaces_layout: bool = False  # an overwrite that changes schema or partitioning
    txn: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def uri(self) -> str:
        """The table's location as text."""
        return self.location.uri

    def __getstate__(self) -> dict[str, Any]:
        # delta-rs handles cannot be pickled; the commit reopens the table at read_version.
        return {**self.__dict__, "table": None}

    def opened_table(self) -> DeltaTable | None:
        """The table as of ``read_version`` (None for a write that creates the table)."""
        if self.table is None and self.read_version is not None:
            self.table = open_table(self.location, self.read_version)
        return self.table

    def failure(self, exc: BaseException) -> WriteError:
        """The error for a failure before the commit."""
        at = f"version {self.read_version}" if self.read_version is not None else "no table"
        return WriteError(
            f"writing {self.uri} failed before its commit; the table is unchanged ({at}): "
            f"{self.location.unreachable(exc)}{first_line(exc)}"
        )


def plan_write(
    table: Location,
    data_schema: StructType,
    mode: str,
    partition_by: list[str] | str | None,
    schema_mode: str | None,
    *,
    takes_table_types: bool = False,
) -> WritePlan:
    """Check a write of data with ``data_schema`` against ``table``.

    ``takes_table_types``: the data is cast to the table's column types where it has exactly
    the table's columns (rows from Python, whose integer widths and time units are the
    library's, not the user's choice); its values are checked when cast.

    Raises:
        SchemaMismatchError: bad mode, or the data does not fit the schema or partitioning.
        UnsupportedFeatureError: the table uses a writer feature lakeshelf cannot keep correct.
        ConfigError: unsafe storage options (see :meth:`Location.delta_rs_options`).
    """
    if mode not in ("append", "overwrite"):
        raise SchemaMismatchError(f"mode must be 'append' or 'overwrite', got {mode!r}")
    if schema_mode not in (None, "merge", "overwrite"):
        raise SchemaMismatchError(
            f"schema_mode must be 'merge' or 'overwrite', got {schema_mode!r}"
        )
    table.delta_rs_options()  # refuse unsafe commit settings before any data moves
    partitions = [partition_by] if isinstance(partition_by, str) else list(partition_by or [])
    existing = open_table(table, None) if list_log(table) is not None else None
    target_schema, replaces = data_schema, False
    if existing is not None:
        check_writer_protocol(existing, table.uri, mode)
        target_schema, partitions = _target_layout(
            existing, data_schema, mode, partitions, schema_mode, takes_table_types
        )
        replaces = mode == "overwrite" and (
            partitions != list(existing.metadata().partition_columns)
            or target_schema != to_spark(existing.schema().to_json())
        )
    missing = [c for c in partitions if c not in data_schema.names]
    if missing:
        raise SchemaMismatchError(
            f"partition column(s) {missing} are not in the data: {data_schema.names}"
        )
    read_version = existing.version() if existing is not None else None
    return WritePlan(table, mode, existing, read_version, target_schema, partitions, replaces)


def replanned_append(plan: WritePlan) -> WritePlan:
    """``plan`` as an append to the table's latest version, same transaction id and files.

    Raises:
        SchemaMismatchError: a concurrent writer changed the table so that the data no longer fits.
    """
    fresh = plan_write(plan.location, plan.schema, "append", plan.partitions, None)
    return replace(fresh, txn=plan.txn)


def _target_layout(
    table: DeltaTable,
    data_schema: StructType,
    mode: str,
    partitions: list[str],
    schema_mode: str | None,
    takes_table_types: bool = False,
) -> tuple[StructType, list[str]]:
    """The schema and partitioning the table has after this write; refuse what does not fit."""
    from pyspark.sql.types import StructField, StructType

    current = to_spark(table.schema().to_json())
    current_parts = list(table.metadata().partition_columns)
    replacing = mode == "overwrite" and schema_mode == "overwrite"
    if takes_table_types and not replacing and set(data_schema.names) == set(current.names):
        data_schema = current
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
