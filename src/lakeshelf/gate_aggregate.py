"""Column-level expectations evaluated in one Spark aggregation, with Great Expectations' rules.

GX runs every metric of a suite as Spark jobs of its own (about 11-18x one scan for a 7-expectation
suite on 5M rows). For the common column-level types below, this module computes all metrics of a
suite in ONE pass over the data and decides each expectation exactly as GX 1.x does on Spark.

Uniqueness needs more than one pass in general. For the first integer column checked for
uniqueness, the pass is grouped by 64-value words of that column (``value >> 6``, folded modulo
2^20 so memory stays bounded) and ORs one bit per row into its word: a word's set bits equal its
rows exactly when its values are distinct. The summed set bits equal the non-null rows only if
the column is unique; words folded together can only lower the sum, never raise it. So equality
proves uniqueness at the cost of one pass (exact for any ids, fastest within a 67M-wide range);
anything less, or a non-integer column, is settled by an exact grouped count, GX's own rule:
every row whose value occurs more than once.

Anything else runs in GX: other types, row conditions, suite parameters, a column the data lacks,
and argument or column types GX would coerce or refuse (for example a numeric range on a string
column). ``plan`` declines those and the gate hands them to GX. tests/test_gate_differential.py
shows both evaluators give the same success, counts and observed values for every supported type.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import TYPE_CHECKING, Any

from lakeshelf.gate_result import Outcome, plain

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, Row

EXAMPLES = 10
_COMMON = {"column", "mostly"}
_BETWEEN = {"min_value", "max_value", "strict_min", "strict_max"}
MAP_KWARGS: dict[str, set[str]] = {
    "expect_column_values_to_not_be_null": _COMMON,
    "expect_column_values_to_be_null": _COMMON,
    "expect_column_values_to_be_between": _COMMON | _BETWEEN,
    "expect_column_values_to_be_in_set": _COMMON | {"value_set"},
    "expect_column_values_to_not_be_in_set": _COMMON | {"value_set"},
    "expect_column_values_to_match_regex": _COMMON | {"regex"},
    "expect_column_values_to_not_match_regex": _COMMON | {"regex"},
    "expect_column_values_to_be_unique": _COMMON,
}
AGGREGATE_KWARGS: dict[str, set[str]] = {
    "expect_column_min_to_be_between": {"column"} | _BETWEEN,
    "expect_column_max_to_be_between": {"column"} | _BETWEEN,
    "expect_column_mean_to_be_between": {"column"} | _BETWEEN,
    "expect_table_row_count_to_be_between": _BETWEEN,
    "expect_table_row_count_to_equal": {"value"},
}
SUPPORTED = frozenset(MAP_KWARGS) | frozenset(AGGREGATE_KWARGS)


WORDS = 1 << 20  # 64-value words kept apart; more distinct words fold together (see above)


class Aggregation:
    """Named aggregates computed per word of the uniqueness column, combined: one Spark job.

    Each metric has a partial (per bucket) and a final (over the partials); names dedupe metrics
    shared by several expectations, such as a column's null count.
    """

    def __init__(self) -> None:
        self.partials: dict[str, Column] = {}
        self.finals: dict[str, Column] = {}
        self.word_column: str | None = None
        self.count_if("_rows", None)

    def count_if(self, name: str, condition: Column | None) -> str:
        """Rows where ``condition`` is true (all rows for None)."""
        from pyspark.sql import functions as F

        counted = F.count(F.lit(1)) if condition is None else F.count_if(condition)
        return self._add(name, counted, lambda c: F.coalesce(F.sum(c), F.lit(0)))

    def nulls(self, column: str) -> str:
        from pyspark.sql import functions as F

        return self.count_if(f"_nulls_{_key(column)}", F.col(f"`{column}`").isNull())

    def extreme(self, name: str, column: str, smallest: bool) -> str:
        from pyspark.sql import functions as F

        pick = F.min if smallest else F.max
        return self._add(name, pick(F.col(f"`{column}`")), pick)

    def sum(self, name: str, value: Column) -> str:
        from pyspark.sql import functions as F

        return self._add(name, F.sum(value), F.sum)

    def distinct_bits(self, column: str) -> str | None:
        """Set bits of integer ``column``'s words: equals its non-null rows iff it is unique.

        None if another column already groups this aggregation.
        """
        from pyspark.sql import functions as F

        if self.word_column not in (None, column):
            return None
        self.word_column = column
        col = F.col(f"`{column}`")
        offset = col.cast("long").bitwiseAND(63).cast("int")
        bit = F.call_function("shiftleft", F.lit(1).cast("long"), offset)  # a column shift
        return self._add(
            "_bits", F.bit_or(bit), lambda c: F.coalesce(F.sum(F.bit_count(c)), F.lit(0))
        )

    def run(self, df: DataFrame) -> Row:
        """One job: the partials grouped by word, combined into one row of finals."""
        from pyspark.sql import functions as F

        if self.word_column is None:  # the partials of one group are the finals
            return df.agg(*self.partials.values()).collect()[0]
        word = F.shiftright(F.col(f"`{self.word_column}`").cast("long"), 6)
        key = F.pmod(word, F.lit(WORDS))
        per_word = df.groupBy(key.alias("_word")).agg(*self.partials.values())
        return per_word.agg(*self.finals.values()).collect()[0]

    def _add(self, name: str, partial: Column, final: Callable[[Column], Column]) -> str:
        from pyspark.sql import functions as F

        if name not in self.partials:
            self.partials[name] = partial.alias(name)
            self.finals[name] = final(F.col(name)).alias(name)
        return name


@dataclass
class Planned:
    """One expectation this module evaluates: how to judge the aggregated values."""

    index: int
    item: dict[str, Any]
    judge: Callable[[Row], Outcome]
    unexpected_rows: Callable[[], DataFrame] | None = None  # rows to sample examples from


def plan(df: DataFrame, items: list[dict[str, Any]]) -> tuple[Aggregation, list[Planned]]:
    """The metrics to compute and the expectations of ``items`` this module evaluates.

    Expectations missing from the returned list (matched by ``index``) go to GX.
    """
    aggregation = Aggregation()
    types = {field.name: field.dataType for field in df.schema.fields}  # one schema lookup
    planned = []
    for index, item in enumerate(items):
        kind, kwargs = item.get("type"), item.get("kwargs") or {}
        allowed = MAP_KWARGS.get(kind) or AGGREGATE_KWARGS.get(kind)
        if allowed is None or not set(kwargs) <= allowed:
            continue
        column = kwargs.get("column")
        if column is not None and not _plain_column(types, column):
            continue
        built = _plan_one(df, aggregation, index, item, types.get(column))
        if built is not None:
            planned.append(built)
    return aggregation, planned


def evaluate(df: DataFrame, aggregation: Aggregation, planned: list[Planned]) -> dict[int, Outcome]:
    """Run the planned expectations (see the module docstring for the jobs it takes).

    Examples of unexpected values are sampled (``limit``) only for the expectations that failed.
    """
    if not planned:
        return {}
    values = aggregation.run(df)
    outcomes = {}
    for p in planned:
        outcome = p.judge(values)
        if not outcome.success and outcome.unexpected_count and p.unexpected_rows is not None:
            rows = p.unexpected_rows().limit(EXAMPLES).collect()
            outcome.examples = [plain(row[0]) for row in rows]
        outcomes[p.index] = outcome
    return outcomes


def _plan_one(
    df: DataFrame,
    aggregation: Aggregation,
    index: int,
    item: dict[str, Any],
    data_type: Any,
) -> Planned | None:
    from pyspark.sql import functions as F

    kind, kwargs = item["type"], item.get("kwargs") or {}
    column = kwargs.get("column")
    col = F.col(f"`{column}`") if column is not None else None
    if kind in MAP_KWARGS:
        mostly = kwargs.get("mostly", 1.0)
        if not _is_number(mostly) or not 0 <= mostly <= 1:
            return None
        if kind == "expect_column_values_to_be_unique":
            return _unique(df, aggregation, index, item, column, data_type, mostly)
        condition = _map_condition(kind, kwargs, col, data_type)
        if condition is None:
            return None
        return _map(df, aggregation, index, item, column, condition, mostly)
    if kind == "expect_table_row_count_to_equal":
        value = kwargs.get("value")
        if not _is_integer(value):
            return None
        return Planned(
            index, item, lambda row: _observed(item, row["_rows"] == value, row["_rows"])
        )
    test = _between_test(kwargs, integers=kind.startswith("expect_table_row_count"))
    if test is None:
        return None
    if kind == "expect_table_row_count_to_be_between":
        return Planned(index, item, _judge_metric(test, item, lambda row: row["_rows"]))
    observe = _column_metric(aggregation, index, kind, column, data_type)
    return None if observe is None else Planned(index, item, _judge_metric(test, item, observe))


def _map_condition(kind: str, kwargs: dict[str, Any], col: Column, data_type: Any) -> Column | None:
    """The unexpected condition GX builds for ``kind`` (None: leave it to GX)."""
    from pyspark.sql.types import BooleanType, StringType

    if kind == "expect_column_values_to_not_be_null":
        return col.isNull()
    if kind == "expect_column_values_to_be_null":
        return col.isNotNull()
    considered = col.isNotNull()
    if kind == "expect_column_values_to_be_between":
        if not _numeric(data_type):
            return None
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        if _between_test(kwargs, integers=False) is None:
            return None
        expected = _range(col, low, high, kwargs.get("strict_min"), kwargs.get("strict_max"))
        return considered & ~expected
    if kind.endswith("_in_set"):
        values = kwargs.get("value_set")
        if not isinstance(values, list):
            return None
        if _numeric(data_type):
            comparable = all(_is_number(v) for v in values)
        elif isinstance(data_type, StringType):
            comparable = all(isinstance(v, str) for v in values)
        elif isinstance(data_type, BooleanType):
            comparable = all(isinstance(v, bool) for v in values)
        else:
            comparable = False
        if not comparable:
            return None
        inside = _in_list(kwargs["column"], values)
        if inside is None:
            return None
        return considered & (inside if kind.endswith("not_be_in_set") else ~inside)
    regex = kwargs.get("regex")
    if not isinstance(regex, str) or not isinstance(data_type, StringType):
        return None
    return considered & (col.rlike(regex) if "not_match" in kind else ~col.rlike(regex))


def _map(
    df: DataFrame,
    aggregation: Aggregation,
    index: int,
    item: dict[str, Any],
    column: str,
    unexpected: Column,
    mostly: float,
) -> Planned:
    over_all_rows = item["type"].endswith(("to_not_be_null", "to_be_null"))
    counted = aggregation.count_if(f"_unexpected_{index}", unexpected)
    nulls = aggregation.nulls(column)

    def judge(row: Row) -> Outcome:
        rows, unexpected_count = row["_rows"], row[counted]
        considered = rows if over_all_rows else rows - row[nulls]
        success = _mostly(considered, unexpected_count, mostly)
        # GX reports no unexpected count for an empty batch (its uniqueness check reports 0).
        return _counted(item, success, rows, unexpected_count if rows else None)

    return Planned(index, item, judge, lambda: df.where(unexpected).select(f"`{column}`"))


def _unique(
    df: DataFrame,
    aggregation: Aggregation,
    index: int,
    item: dict[str, Any],
    column: str,
    data_type: Any,
    mostly: float,
) -> Planned:
    """GX counts every row whose value occurs more than once, nulls skipped."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import ByteType, IntegerType, LongType, ShortType

    col = F.col(f"`{column}`")
    nulls = aggregation.nulls(column)
    integral = isinstance(data_type, (ByteType, ShortType, IntegerType, LongType))
    bits = aggregation.distinct_bits(column) if integral else None
    duplicates = df.where(col.isNotNull()).groupBy(col).count().where("count > 1")

    def judge(row: Row) -> Outcome:
        rows = row["_rows"]
        considered = rows - row[nulls]
        if bits is not None and row[bits] == considered:
            unexpected_count = 0  # proven unique without the grouped count
        else:
            unexpected_count = int(duplicates.agg(F.sum("count")).collect()[0][0] or 0)
        return _counted(item, _mostly(considered, unexpected_count, mostly), rows, unexpected_count)

    return Planned(index, item, judge, lambda: duplicates.select(col))


def _column_metric(
    aggregation: Aggregation, index: int, kind: str, column: str, data_type: Any
) -> Callable[[Row], Any] | None:
    """How to read the min, max or mean GX would observe (None: leave it to GX)."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import DecimalType, DoubleType, FloatType, IntegerType, LongType

    if kind == "expect_column_mean_to_be_between":
        # GX's Spark mean() accepts exactly these types and raises for the others.
        if type(data_type) not in (DecimalType, IntegerType, DoubleType, FloatType, LongType):
            return None
        col = F.col(f"`{column}`")
        if isinstance(data_type, DecimalType):
            total = aggregation.sum(f"_sum_{_key(column)}", col)
            count = aggregation.count_if(f"_count_{_key(column)}", col.isNotNull())
            scale = data_type.scale + 4  # Spark's avg(decimal(p, s)) is decimal(p + 4, s + 4)
            return lambda row: _decimal_mean(row[total], row[count], scale)
        total = aggregation.sum(f"_dsum_{_key(column)}", col.cast("double"))
        count = aggregation.count_if(f"_count_{_key(column)}", col.isNotNull())
        return lambda row: row[total] / row[count] if row[count] else None
    if not _numeric(data_type):
        return None
    smallest = kind == "expect_column_min_to_be_between"
    name = aggregation.extreme(f"_{'min' if smallest else 'max'}_{_key(column)}", column, smallest)
    return lambda row: row[name]


def _decimal_mean(total: Decimal | None, count: int, scale: int) -> Decimal | None:
    """Spark's avg of a decimal column: rounded half-up to ``scale`` digits."""
    if total is None or not count:
        return None
    with localcontext() as context:
        context.prec = 80
        return (total / count).quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)


def _judge_metric(
    test: Callable[[Any], bool], item: dict[str, Any], observe: Callable[[Row], Any]
) -> Callable[[Row], Outcome]:
    """GX's ``_validate_metric_value_between``: a null or NaN observation fails."""

    def judge(row: Row) -> Outcome:
        value = observe(row)
        if isinstance(value, Decimal):
            value = float(value)  # GX serialises Decimal metrics to float before comparing
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return _observed(item, False, None)
        return _observed(item, test(value), value)

    return judge


def _between_test(kwargs: dict[str, Any], integers: bool) -> Callable[[Any], bool] | None:
    """The bounds check GX applies, or None when the arguments are not plain numbers."""
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    strict_low, strict_high = kwargs.get("strict_min", False), kwargs.get("strict_max", False)
    accept = _is_integer if integers else _is_number
    if any(v is not None and not accept(v) for v in (low, high)):
        return None
    if not isinstance(strict_low, bool) or not isinstance(strict_high, bool):
        return None
    if (low is None and high is None) or _inverted(low, high):
        return None  # GX raises for these; let it say so

    def test(value: Any) -> bool:
        above = low is None or (value > low if strict_low else value >= low)
        below = high is None or (value < high if strict_high else value <= high)
        return bool(above and below)

    return test


def _range(col: Column, low: Any, high: Any, strict_low: Any, strict_high: Any) -> Column:
    from pyspark.sql import functions as F

    above = (col > F.lit(low)) if strict_low else (col >= F.lit(low))
    below = (col < F.lit(high)) if strict_high else (col <= F.lit(high))
    if low is None:
        return below
    if high is None:
        return above
    return above & below


def _mostly(considered: int, unexpected: int, mostly: float) -> bool:
    if considered == 0:
        return True  # vacuously true, as in GX
    return (float(considered) - float(unexpected)) / float(considered) >= mostly


def _counted(item: dict[str, Any], success: bool, rows: int, unexpected: int | None) -> Outcome:
    return Outcome(
        type=item["type"],
        kwargs=item.get("kwargs") or {},
        severity=(item.get("meta") or {}).get("severity", "error"),
        success=success,
        element_count=rows,
        unexpected_count=unexpected,
        engine="lakeshelf",
    )


def _observed(item: dict[str, Any], success: bool, value: Any) -> Outcome:
    return Outcome(
        type=item["type"],
        kwargs=item.get("kwargs") or {},
        severity=(item.get("meta") or {}).get("severity", "error"),
        success=bool(success),
        observed_value=plain(value),
        engine="lakeshelf",
    )


def _plain_column(types: dict[str, Any], column: Any) -> bool:
    """A top-level column spelled exactly as in the data (nested or odd names go to GX)."""
    return isinstance(column, str) and column in types and not set(column) & {".", "`"}


def _in_list(column: str, values: list[Any]) -> Column | None:
    """``col.isin(values)`` as one SQL expression.

    ``Column.isin`` costs a Py4J round trip per value (a 365-value set took ~0.2 s per run); the
    literals here have the types ``F.lit`` would give them, so Spark coerces exactly as for GX's
    ``isin``. None for values without such a literal (NaN, infinities, huge integers).
    """
    from pyspark.sql import functions as F

    literals = []
    for value in values:
        if isinstance(value, bool):
            literals.append("true" if value else "false")
        elif isinstance(value, int):
            if not -(2**63) <= value < 2**63:
                return None
            literals.append(str(value) if -(2**31) <= value < 2**31 else f"{value}L")
        elif isinstance(value, float):
            if not math.isfinite(value):
                return None
            literals.append(f"CAST('{value!r}' AS DOUBLE)")
        elif isinstance(value, str):
            escaped = value.replace("\\", "\\\\").replace("'", "\\'")
            literals.append(f"'{escaped}'")
        else:
            return None
    if not literals:
        return F.col(f"`{column}`").isin([])
    return F.expr(f"`{column}` IN ({', '.join(literals)})")


def _numeric(data_type: Any) -> bool:
    from pyspark.sql.types import NumericType

    return isinstance(data_type, NumericType)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _inverted(low: Any, high: Any) -> bool:
    return low is not None and high is not None and low > high


def _key(column: str) -> str:
    """A column's name made safe for an alias."""
    return column.encode().hex()
