"""Content fingerprints: an order-independent hash of every row, computed by Spark in one pass.

Each row is hashed with Spark's xxhash64 over its columns in name order, with types normalised
(integers as bigint, floats as double, maps as their JSON text, since Spark cannot hash maps).
Two sums are kept (mod 2^64): of the row hashes, and of a salted re-hash of each row hash. The
first is linear, the second is not, so a change that cancels out in one sum does not in the
other. Row order and partitioning do not matter; duplicates and every value do. The fingerprint
is ``<row count>:<sum 1 mod 2^64>:<sum 2 mod 2^64>`` in hex.

Hashing the columns once and re-hashing the 64-bit result (rather than hashing all columns twice)
keeps the fingerprint near the cost of one scan (``make bench``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

_SALT = "lakeshelf-fingerprint-3"
_MOD = 1 << 64
_LIMB_BITS = 22  # three limbs cover 64 bits; their long sums cannot overflow below 2^41 rows


def fingerprint(df: DataFrame) -> str:
    """The fingerprint of ``df``'s rows (see the module docstring)."""
    from pyspark.sql import functions as F

    types = {field.name: field.dataType for field in df.schema.fields}
    columns = [_normalised(name, types[name]) for name in sorted(types)] or [F.lit(0)]
    row_hash = F.xxhash64(*columns)
    hashes = (row_hash, F.xxhash64(F.lit(_SALT), row_hash))
    limbs = [
        F.sum(F.shiftright(h, _LIMB_BITS * i).bitwiseAND((1 << _LIMB_BITS) - 1)).alias(f"h{n}_{i}")
        for n, h in enumerate(hashes)
        for i in range(3)
    ]
    totals = df.agg(F.count(F.lit(1)).alias("rows"), *limbs).collect()[0]
    a, b = (
        sum(int(totals[f"h{n}_{i}"] or 0) << (_LIMB_BITS * i) for i in range(3)) for n in range(2)
    )
    return _format(totals["rows"], a, b)


def _format(rows: int, a: Any, b: Any) -> str:
    return f"{rows}:{int(a or 0) % _MOD:016x}:{int(b or 0) % _MOD:016x}"


def _normalised(name: str, data_type: Any) -> Column:
    from pyspark.sql import functions as F
    from pyspark.sql.types import (
        ByteType,
        FloatType,
        IntegerType,
        MapType,
        ShortType,
    )

    column = F.col(f"`{name}`")
    if isinstance(data_type, (ByteType, ShortType, IntegerType)):
        return column.cast("bigint")
    if isinstance(data_type, FloatType):
        return column.cast("double")
    if isinstance(data_type, MapType) or "map<" in data_type.simpleString():
        return F.to_json(column)
    return column
