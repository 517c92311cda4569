"""Delta per-file statistics (numRecords, minValues, maxValues, nullCount) from Parquet footers.

Reading the footer costs one small read per file and no data scan. Statistics are written for
top-level columns of types where Delta readers use them for data skipping; a column whose footer
lacks statistics in any row group is left out (absent statistics are always safe).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
from typing import Any

#: Strings longer than this keep only a (safe) truncated minimum, as delta-spark does.
STRING_PREFIX = 32


def file_stats(metadata: Any, columns: dict[str, str]) -> str:
    """Delta statistics JSON for one Parquet file.

    Args:
        metadata: the file's ``pyarrow.parquet.FileMetaData``.
        columns: top-level data column name -> Delta type name (``long``, ``string``,
            ``timestamp``, ``decimal(10,2)``, ...). Partition columns are not in the file.

    Returns:
        The ``stats`` string of the add action.
    """
    mins: dict[str, Any] = {}
    maxs: dict[str, Any] = {}
    nulls: dict[str, int] = {}
    schema = metadata.schema
    leaf_index = {schema.column(i).path: i for i in range(len(schema))}
    for name, type_name in columns.items():
        index = leaf_index.get(name)
        if index is None:  # nested column or missing: no top-level leaf
            continue
        merged = _merge_row_groups(metadata, index)
        if merged is None:
            continue
        low, high, null_count = merged
        nulls[name] = null_count
        if low is None or high is None:
            continue
        low_json, high_json = _to_json(low, type_name, "min"), _to_json(high, type_name, "max")
        if low_json is not None:
            mins[name] = low_json
        if high_json is not None:
            maxs[name] = high_json
    stats = {
        "numRecords": metadata.num_rows,
        "minValues": mins,
        "maxValues": maxs,
        "nullCount": nulls,
    }
    return json.dumps(stats, separators=(",", ":"), ensure_ascii=False)


def _merge_row_groups(metadata: Any, index: int) -> tuple[Any, Any, int] | None:
    low = high = None
    null_count = 0
    for rg in range(metadata.num_row_groups):
        stats = metadata.row_group(rg).column(index).statistics
        if stats is None or not stats.has_null_count:
            return None
        null_count += stats.null_count
        if not stats.has_min_max:
            if metadata.row_group(rg).num_rows > stats.null_count:
                return low, None, null_count  # values exist but bounds unknown
            continue
        low = stats.min if low is None else min(low, stats.min)
        high = stats.max if high is None else max(high, stats.max)
    return low, high, null_count


def _to_json(value: Any, type_name: str, side: str) -> Any:
    """A statistic in Delta's JSON form, or None when it must be left out."""
    if type_name in ("byte", "short", "integer", "long"):
        return int(value)
    if type_name in ("float", "double"):
        value = float(value)
        return None if math.isnan(value) or math.isinf(value) else value
    if type_name.startswith("decimal"):
        # JSON numbers through float would lose digits; stats must never be wrong, so skip them.
        return None if not isinstance(value, decimal.Decimal) else _exact_decimal(value)
    if type_name == "string":
        text = value if isinstance(value, str) else value.decode("utf-8", "replace")
        if len(text) <= STRING_PREFIX:
            return text
        return text[:STRING_PREFIX] if side == "min" else None
    if type_name == "date":
        return value.isoformat() if isinstance(value, dt.date) else None
    if type_name in ("timestamp", "timestamp_ntz"):
        return _timestamp(value, side, utc=type_name == "timestamp")
    return None  # boolean, binary, nested: no skipping statistics


def _exact_decimal(value: decimal.Decimal) -> float | None:
    as_float = float(value)
    return as_float if decimal.Decimal(repr(as_float)) == value else None


def _timestamp(value: Any, side: str, *, utc: bool) -> str | None:
    if not isinstance(value, dt.datetime):
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    # Delta keeps millisecond precision: round the minimum down and the maximum up so the bounds
    # still contain every value.
    micros = value.microsecond % 1000
    try:
        if micros and side == "max":
            value = value + dt.timedelta(microseconds=1000 - micros)
        else:
            value = value - dt.timedelta(microseconds=micros)
    except OverflowError:  # the rounded bound is past year 9999: leave it out
        return None
    text = value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}"
    return text + ("Z" if utc else "")
