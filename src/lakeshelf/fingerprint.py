"""Content fingerprints: an order-independent hash of every row, computed by Spark in one pass.

Each row is hashed twice with Spark's xxhash64 (the second salted), over its columns in name order
with types normalised (integers as bigint, floats as double, maps as their JSON text, since Spark
cannot hash maps). The per-row hashes are summed (mod 2^64), so row order and partitioning do not
matter while duplicates and every value do. The fingerprint is
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
    hashes = (F.xxhash64(*columns), F.xxhash64(F.lit(_SALT), *columns))
    # Sum each 64-bit hash as four 16-bit limbs: plain long sums that cannot overflow below 2^47
    # rows, and far cheaper than exact decimal sums. Recombined, they give the sum mod 2^64.
    limbs = [
        F.sum(F.shiftright(h, 16 * i).bitwiseAND(0xFFFF)).alias(f"h{n}_{i}")
        for n, h in enumerate(hashes)
        for i in range(4)
    ]
    totals = df.agg(F.count(F.lit(1)).alias("rows"), *limbs).collect()[0]
    a, b = (sum(int(totals[f"h{n}_{i}"] or 0) << (16 * i) for i in range(4)) for n in range(2))
    return _format(totals["rows"], a, b)


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
