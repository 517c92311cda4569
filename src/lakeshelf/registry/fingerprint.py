"""Content fingerprints: an order-independent hash of every row, computed by Spark in one pass.

Each row is hashed with Spark's xxhash64 over its columns in name order, with types normalised
(integers as bigint, floats as double, maps as their JSON text, since Spark cannot hash maps).
The row hashes are combined two ways: their sum mod 2^64 and their XOR. Both are independent of
row order and partitioning; duplicates and every value change them; and a change that cancels
out in the sum (arithmetic) is independent of one that cancels out in the XOR (bitwise). The
fingerprint is ``<row count>:<sum>:<xor>``, both in 16 hex digits.

Spark (ANSI mode) raises on a long overflow, so the sum is taken over 32-bit halves of each hash
with ``try_sum``; only a version of more than 2^31 rows overflows those, and is then summed again
over 22-bit thirds (safe to 2^41 rows). Hashing once and aggregating three columns keeps the
fingerprint near the cost of one scan (``make bench``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

_MOD = 1 << 64
_FAST_LIMB_BITS = 32  # two limbs; their sums cannot overflow below 2^31 rows
_WIDE_LIMB_BITS = 22  # three limbs; their sums cannot overflow below 2^41 rows


@dataclass(frozen=True)
class Verification:
    """A fingerprint recomputed from the time-travelled version against the registered one."""

    ref: str
    registered: str
    recomputed: str

    @property
    def identical(self) -> bool:
        """True when the version's data is exactly what was published."""
        return self.registered == self.recomputed


def fingerprint(df: DataFrame) -> str:
    """The fingerprint of ``df``'s rows (see the module docstring)."""
    return fingerprint_with(df, [], [])[0]


def fingerprint_with(
    df: DataFrame,
    aggregates: list[tuple[str, str]],
    finish: list[tuple[str, str]],
) -> tuple[str, dict[str, Any]]:
    """The fingerprint of ``df`` and, in the same pass, more aggregates over it.

    ``aggregates`` and ``finish`` are as in :func:`aggregate_once`. Returns the fingerprint and
    a dict of the aggregates' and finish's values by alias.
    """
    from pyspark.sql import functions as F

    row_hash = _row_hash(df)
    limbs = _limbs(row_hash, _FAST_LIMB_BITS, F.try_sum)
    totals = aggregate_once(
        df,
        [
            F.count(F.lit(1)).alias("__rows"),
            F.bit_xor(row_hash).alias("__xor"),
            *(limb.alias(f"__limb{i}") for i, limb in enumerate(limbs)),
        ],
        aggregates,
        finish,
    )
    rows, xor = totals["__rows"], totals["__xor"]
    sums = [totals[f"__limb{i}"] for i in range(len(limbs))]
    if any(value is None for value in sums) and rows:
        sums = list(df.agg(*_limbs(row_hash, _WIDE_LIMB_BITS, F.sum)).collect()[0])
        bits = _WIDE_LIMB_BITS
    else:
        bits = _FAST_LIMB_BITS
    total = sum(int(value or 0) << (bits * i) for i, value in enumerate(sums))
    extra = {k: v for k, v in totals.items() if not k.startswith("__")}
    return f"{rows}:{total % _MOD:016x}:{int(xor or 0) % _MOD:016x}", extra


def aggregate_once(
    df: DataFrame,
    columns: list[Column],
    aggregates: list[tuple[str, str]],
    finish: list[tuple[str, str]],
) -> dict[str, Any]:
    """Aggregates over ``df`` in one Spark job, as a dict by alias.

    ``columns`` are aggregate Columns; ``aggregates`` (alias, SQL aggregate over ``df``);
    ``finish`` (alias, SQL over the aggregated row, for example a sketch's estimate). SQL text,
    not Columns: a Column costs PySpark several Py4J round trips, which adds up on wide tables.
    """
    from pyspark.sql import functions as F

    aggregated = df.agg(*columns, *(F.expr(sql).alias(alias) for alias, sql in aggregates))
    if finish:
        aggregated = aggregated.selectExpr("*", *(f"{sql} AS {alias}" for alias, sql in finish))
    return aggregated.collect()[0].asDict()


def _row_hash(df: DataFrame) -> Column:
    from pyspark.sql import functions as F

    types = {field.name: field.dataType for field in df.schema.fields}
    columns = [normalised(name, types[name]) for name in sorted(types)] or [F.lit(0)]
    return F.xxhash64(*columns)


def _limbs(row_hash: Column, bits: int, summed: Any) -> list[Column]:
    """Sums of ``bits``-wide unsigned slices of the hash, which together cover its 64 bits."""
    from pyspark.sql import functions as F

    count = -(-64 // bits)
    mask = (1 << bits) - 1
    return [summed(F.shiftright(row_hash, bits * i).bitwiseAND(mask)) for i in range(count)]


def normalised(name: str, data_type: Any) -> Column:
    """Column ``name`` in the type it is hashed as (integers as bigint, floats as double, maps
    as JSON), so equal values hash alike whatever width a reader gives them."""
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
