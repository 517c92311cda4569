"""Data files a write adds: their names, their partition folders and their add-action fields.

One rule names every data file lakeshelf writes, ``part-<token>-<txn>.c000.snappy.parquet``, on
every path (Spark's writer, Python workers, ``format("delta")``): the transaction id in the name
is how vacuum tells a running write's files from a dead writer's. One encoder turns partition
values into Delta's text form and into ``col=value`` folders, and one decoder reads Spark's.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from lakeshelf.errors import WriteError
from lakeshelf.table.stats import file_stats

if TYPE_CHECKING:
    from lakeshelf.storage import Location

HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"
# Characters Spark percent-encodes in partition folder names.
_SPARK_ESCAPED = set("\"#%'*/:=?\\\x7f{[]^") | {chr(c) for c in range(32)}


@dataclass(frozen=True)
class WrittenFile:
    """A data file written into the table's folder, not yet committed."""

    path: str  # relative to the table root, not URI-encoded
    size: int
    partition_values: dict[str, str | None]  # Delta's text form
    stats: str
    num_records: int


def data_file_name(txn: str) -> str:
    """A new data file's name: unique, and carrying the writing transaction's id."""
    return f"part-{uuid.uuid4().hex[:16]}-{txn}.c000.snappy.parquet"


def partition_text(value: Any) -> str | None:
    """Delta's text form of a partition value (None stays None)."""
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


def partition_folder(partitions: list[str], values: dict[str, str | None]) -> str:
    """The ``col=value/...`` folder of a file with ``values`` (Delta text) as Spark names it."""
    return "/".join(f"{_escape(n)}={_escape_value(values[n])}" for n in partitions)


def parse_partition_folder(
    relative_dir: str, partitions: list[str], types: dict[str, str], timezone: str
) -> dict[str, str | None]:
    """Delta partition values (text) from Spark's ``col=value`` folder names.

    Raises:
        WriteError: a folder does not name the expected partition column.
    """
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


def delta_type_name(data_type: Any) -> str:
    """The Delta type name of a Spark type, as statistics are keyed."""
    name = data_type.simpleString()
    return {"int": "integer", "tinyint": "byte", "smallint": "short", "bigint": "long"}.get(
        name, name
    )


def described(
    fs: Any,
    table: Location,
    relative: str,
    values: dict[str, str | None],
    data_columns: dict[str, str],
) -> WrittenFile:
    """The add-action fields of a file already in the table folder, from its Parquet footer."""
    import pyarrow.parquet as pq

    target = table.path(relative)
    with fs.open(target, "rb") as handle:
        metadata = pq.read_metadata(handle)
    stats = file_stats(metadata, data_columns)
    return WrittenFile(relative, fs.size(target), values, stats, metadata.num_rows)


def _escape(text: str) -> str:
    return "".join(f"%{ord(c):02X}" if c in _SPARK_ESCAPED else c for c in text)


def _escape_value(value: str | None) -> str:
    # Delta stores an empty string partition value as null: its protocol has no other encoding.
    return HIVE_NULL if value is None or value == "" else _escape(value)


def _timestamp_to_utc(text: str, timezone: str) -> str:
    # Spark names timestamp partitions in the session time zone; Delta stores them in UTC.
    from zoneinfo import ZoneInfo

    local = dt.datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(timezone))
    return local.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
