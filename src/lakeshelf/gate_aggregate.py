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
    from pyspark.sql import DataFrame, Row

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

    Each metric has a partial (per bucket) and a final (over the partials), both Spark SQL text;
    names dedupe metrics shared by several expectations, such as a column's null count.
    Expressions are SQL text rather than ``Column`` objects because every ``Column`` operation
    costs PySpark several Py4J round trips (about 0.2 s for a 7-expectation suite).
    """

    def __init__(self) -> None:
        self.partials: dict[str, str] = {}
        self.finals: dict[str, str] = {}
        self.word_column: str | None = None
        self.count_if("_rows", None)

    def count_if(self, name: str, condition: str | None) -> str:
        """Rows where ``condition`` is true (all rows for None)."""
        counted = "count(1)" if condition is None else f"count_if({condition})"
        return self._add(name, counted, "coalesce(sum({}), 0)")

    def nulls(self, column: str) -> str:
        return self.count_if(f"_nulls_{_key(column)}", f"{_ident(column)} IS NULL")

    def extreme(self, name: str, column: str, smallest: bool) -> str:
        pick = "min" if smallest else "max"
        return self._add(name, f"{pick}({_ident(column)})", pick + "({})")

    def sum(self, name: str, value: str) -> str:
        return self._add(name, f"sum({value})", "sum({})")

    def distinct_bits(self, column: str) -> str | None:
        """Set bits of integer ``column``'s words: equals its non-null rows iff it is unique.

        None if another column already groups this aggregation.
        """
        if self.word_column not in (None, column):
            return None
        self.word_column = column
        offset = f"CAST(CAST({_ident(column)} AS BIGINT) & 63 AS INT)"
        return self._add(
            "_bits",
            f"bit_or(shiftleft(CAST(1 AS BIGINT), {offset}))",
            "coalesce(sum(bit_count({})), 0)",
        )

    def run(self, df: DataFrame) -> Row:
        """One job: the partials grouped by word, combined into one row of finals."""
        from pyspark.sql import functions as F

        if self.word_column is None:  # the partials of one group are the finals
            return df.selectExpr(*self.partials.values()).collect()[0]
        key = f"pmod(shiftright(CAST({_ident(self.word_column)} AS BIGINT), 6), {WORDS})"
        per_word = df.groupBy(F.expr(key)).agg(*(F.expr(p) for p in self.partials.values()))
        return per_word.selectExpr(*self.finals.values()).collect()[0]

    def _add(self, name: str, partial: str, final: str) -> str:
        if name not in self.partials:
            self.partials[name] = f"{partial} AS {_ident(name)}"
            self.finals[name] = f"{final.format(_ident(name))} AS {_ident(name)}"
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
    escapes = df.sparkSession.conf.get("spark.sql.parser.escapedStringLiterals", "false")
    if escapes.lower() != "false":
        return aggregation, []  # string literals below assume the default escapes
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
    kind, kwargs = item["type"], item.get("kwargs") or {}
    column = kwargs.get("column")
    if kind in MAP_KWARGS:
        mostly = kwargs.get("mostly", 1.0)
        if not _is_number(mostly) or not 0 <= mostly <= 1:
            return None
        if kind == "expect_column_values_to_be_unique":
            return _unique(df, aggregation, index, item, column, data_type, mostly)
        condition = _map_condition(kind, kwargs, _ident(column), data_type)
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
    observe = _column_metric(aggregation, kind, column, data_type)
    return None if observe is None else Planned(index, item, _judge_metric(test, item, observe))


def _map_condition(kind: str, kwargs: dict[str, Any], col: str, data_type: Any) -> str | None:
    """The unexpected condition GX builds for ``kind``, as SQL (None: leave it to GX)."""
    from pyspark.sql.types import BooleanType, StringType

    if kind == "expect_column_values_to_not_be_null":
        return f"{col} IS NULL"
    if kind == "expect_column_values_to_be_null":
        return f"{col} IS NOT NULL"
    if kind == "expect_column_values_to_be_between":
        if not _numeric(data_type) or _between_test(kwargs, integers=False) is None:
            return None
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        expected = _range(col, low, high, kwargs.get("strict_min"), kwargs.get("strict_max"))
        return None if expected is None else f"{col} IS NOT NULL AND NOT ({expected})"
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
        literals = [_literal(v) for v in values]
        if not comparable or None in literals:
            return None
        # Column.isin([]) is false for every row, as GX's empty set is.
        inside = f"{col} IN ({', '.join(literals)})" if literals else "false"
        negated = "" if kind.endswith("not_be_in_set") else "NOT "
        return f"{col} IS NOT NULL AND {negated}({inside})"
    regex = kwargs.get("regex")
    pattern = _literal(regex) if isinstance(regex, str) else None
    if pattern is None or not isinstance(data_type, StringType):
        return None
    negated = "" if "not_match" in kind else "NOT "
    return f"{col} IS NOT NULL AND {negated}({col} RLIKE {pattern})"


def _map(
    df: DataFrame,
    aggregation: Aggregation,
    index: int,
    item: dict[str, Any],
    column: str,
    unexpected: str,
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

    return Planned(index, item, judge, lambda: df.where(unexpected).select(_ident(column)))


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
    from pyspark.sql.types import ByteType, IntegerType, LongType, ShortType

    col = _ident(column)
    nulls = aggregation.nulls(column)
    integral = isinstance(data_type, (ByteType, ShortType, IntegerType, LongType))
    bits = aggregation.distinct_bits(column) if integral else None

    def duplicates() -> DataFrame:
        return df.where(f"{col} IS NOT NULL").groupBy(col).count().where("count > 1")

    def judge(row: Row) -> Outcome:
        rows = row["_rows"]
        considered = rows - row[nulls]
        if bits is not None and row[bits] == considered:
            unexpected_count = 0  # proven unique without the grouped count
        else:
            unexpected_count = int(duplicates().selectExpr("sum(count)").collect()[0][0] or 0)
        return _counted(item, _mostly(considered, unexpected_count, mostly), rows, unexpected_count)

    return Planned(index, item, judge, lambda: duplicates().select(col))


def _column_metric(
    aggregation: Aggregation, kind: str, column: str, data_type: Any
) -> Callable[[Row], Any] | None:
    """How to read the min, max or mean GX would observe (None: leave it to GX)."""
    from pyspark.sql.types import DecimalType, DoubleType, FloatType, IntegerType, LongType

    if kind == "expect_column_mean_to_be_between":
        # GX's Spark mean() accepts exactly these types and raises for the others.
        if type(data_type) not in (DecimalType, IntegerType, DoubleType, FloatType, LongType):
            return None
        col = _ident(column)
        count = aggregation.count_if(f"_count_{_key(column)}", f"{col} IS NOT NULL")
        if isinstance(data_type, DecimalType):
            total = aggregation.sum(f"_sum_{_key(column)}", col)
            scale = data_type.scale + 4  # Spark's avg(decimal(p, s)) is decimal(p + 4, s + 4)
            return lambda row: _decimal_mean(row[total], row[count], scale)
        total = aggregation.sum(f"_dsum_{_key(column)}", f"CAST({col} AS DOUBLE)")
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


def _range(col: str, low: Any, high: Any, strict_low: Any, strict_high: Any) -> str | None:
    """GX's between condition as SQL (None for a bound without an exact literal)."""
    bounds = []
    for value, strict, op in ((low, strict_low, ">"), (high, strict_high, "<")):
        if value is None:
            continue
        literal = _literal(value)
        if literal is None:
            return None
        bounds.append(f"{col} {op if strict else op + '='} {literal}")
    return " AND ".join(bounds)


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


def _literal(value: Any) -> str | None:
    """``value`` as a Spark SQL literal of the type ``F.lit`` would give it (so Spark coerces
    exactly as for GX's Column expressions); None when there is none (NaN, infinities, huge
    integers, other types). Strings assume Spark's default parser escapes
    (``spark.sql.parser.escapedStringLiterals`` false, checked by ``plan``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if not -(2**63) <= value < 2**63:
            return None
        return str(value) if -(2**31) <= value < 2**31 else f"{value}L"
    if isinstance(value, float):
        return f"CAST('{value!r}' AS DOUBLE)" if math.isfinite(value) else None
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace("'", "\\'")
        return f"'{escaped}'"
    return None


def _numeric(data_type: Any) -> bool:
    from pyspark.sql.types import NumericType

    return isinstance(data_type, NumericType)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _inverted(low: Any, high: Any) -> bool:
    return low is not None and high is not None and low > high


def _ident(name: str) -> str:
    """A column or alias name quoted for SQL (names with backticks never get here)."""
    return f"`{name}`"


def _key(column: str) -> str:
    """A column's name made safe for an alias."""
    return column.encode().hex()
