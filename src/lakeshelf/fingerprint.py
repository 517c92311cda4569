"""Content fingerprints: an order-independent hash of every row, computed by Spark in one pass.

Each row is hashed twice with Spark's xxhash64 (the second salted), over its columns in name order
with types normalised (integers as bigint, floats as double, maps as their JSON text, since Spark
cannot hash maps). The per-row hashes are summed as exact decimals, so row order and partitioning
do not matter while duplicates and every value do. The fingerprint is
``<row count>:<sum 1 mod 2^64>:<sum 2 mod 2^64>`` in hex.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

_SALT = "lakeshelf-fingerprint-2"
_MOD = 1 << 64


def fingerprint(df: DataFrame) -> str:
    """The fingerprint of ``df``'s rows (see the module docstring)."""
    from pyspark.sql import functions as F

    columns = [_normalised(df, name) for name in sorted(df.columns)] or [F.lit(0)]
    first = F.xxhash64(*columns)
    second = F.xxhash64(F.lit(_SALT), *columns)
    totals = df.agg(
        F.count(F.lit(1)).alias("rows"),
        F.sum(first.cast("decimal(38,0)")).alias("a"),
        F.sum(second.cast("decimal(38,0)")).alias("b"),
    ).collect()[0]
    return _format(totals["rows"], totals["a"], totals["b"])


def _format(rows: int, a: Any, b: Any) -> str:
    return f"{rows}:{int(a or 0) % _MOD:016x}:{int(b or 0) % _MOD:016x}"


def _normalised(df: DataFrame, name: str) -> Column:
    from pyspark.sql import functions as F
    from pyspark.sql.types import (
        ByteType,
        FloatType,
        IntegerType,
        MapType,
        ShortType,
    )

    column = F.col(f"`{name}`")
    data_type = df.schema[name].dataType
    if isinstance(data_type, (ByteType, ShortType, IntegerType)):
        return column.cast("bigint")
    if isinstance(data_type, FloatType):
        return column.cast("double")
    if isinstance(data_type, MapType) or "map<" in data_type.simpleString():
        return F.to_json(column)
    return column
