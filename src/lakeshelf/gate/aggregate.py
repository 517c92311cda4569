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
column). ``plan`` declines those and the gate hands them to GX. tests/gate/test_gate_differential.py
shows both evaluators give the same success, counts and observed values for every supported type.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lakeshelf.gate.results import Outcome, plain
from lakeshelf.gate.rules import (
    between_test,
    column_key,
    counted_outcome,
    decimal_mean,
    ident,
    is_integer,
    is_number,
    judge_metric,
    map_condition,
    mostly_met,
    numeric,
    observed_outcome,
    plain_column,
)

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
        return self.count_if(f"_nulls_{column_key(column)}", f"{ident(column)} IS NULL")

    def extreme(self, name: str, column: str, smallest: bool) -> str:
        pick = "min" if smallest else "max"
        return self._add(name, f"{pick}({ident(column)})", pick + "({})")

    def sum(self, name: str, value: str) -> str:
        return self._add(name, f"sum({value})", "sum({})")

    def distinct_bits(self, column: str) -> str | None:
        """Set bits of integer ``column``'s words: equals its non-null rows iff it is unique.

        None if another column already groups this aggregation.
        """
        if self.word_column not in (None, column):
            return None
        self.word_column = column
        offset = f"CAST(CAST({ident(column)} AS BIGINT) & 63 AS INT)"
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
        key = f"pmod(shiftright(CAST({ident(self.word_column)} AS BIGINT), 6), {WORDS})"
        per_word = df.groupBy(F.expr(key)).agg(*(F.expr(p) for p in self.partials.values()))
        return per_word.selectExpr(*self.finals.values()).collect()[0]

    def _add(self, name: str, partial: str, final: str) -> str:
        if name not in self.partials:
            self.partials[name] = f"{partial} AS {ident(name)}"
            self.finals[name] = f"{final.format(ident(name))} AS {ident(name)}"
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
        if column is not None and not plain_column(types, column):
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
        if not is_number(mostly) or not 0 <= mostly <= 1:
            return None
        if kind == "expect_column_values_to_be_unique":
            return _unique(df, aggregation, index, item, column, data_type, mostly)
        condition = map_condition(kind, kwargs, ident(column), data_type)
        if condition is None:
            return None
        return _map(df, aggregation, index, item, column, condition, mostly)
    if kind == "expect_table_row_count_to_equal":
        value = kwargs.get("value")
        if not is_integer(value):
            return None
        return Planned(
            index, item, lambda row: observed_outcome(item, row["_rows"] == value, row["_rows"])
        )
    test = between_test(kwargs, integers=kind.startswith("expect_table_row_count"))
    if test is None:
        return None
    if kind == "expect_table_row_count_to_be_between":
        return Planned(index, item, judge_metric(test, item, lambda row: row["_rows"]))
    observe = _column_metric(aggregation, kind, column, data_type)
    return None if observe is None else Planned(index, item, judge_metric(test, item, observe))


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
        success = mostly_met(considered, unexpected_count, mostly)
        # GX reports no unexpected count for an empty batch (its uniqueness check reports 0).
        return counted_outcome(item, success, rows, unexpected_count if rows else None)

    return Planned(index, item, judge, lambda: df.where(unexpected).select(ident(column)))


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

    col = ident(column)
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
        success = mostly_met(considered, unexpected_count, mostly)
        return counted_outcome(item, success, rows, unexpected_count)

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
        col = ident(column)
        count = aggregation.count_if(f"_count_{column_key(column)}", f"{col} IS NOT NULL")
        if isinstance(data_type, DecimalType):
            total = aggregation.sum(f"_sum_{column_key(column)}", col)
            scale = data_type.scale + 4  # Spark's avg(decimal(p, s)) is decimal(p + 4, s + 4)
            return lambda row: decimal_mean(row[total], row[count], scale)
        total = aggregation.sum(f"_dsum_{column_key(column)}", f"CAST({col} AS DOUBLE)")
        return lambda row: row[total] / row[count] if row[count] else None
    if not numeric(data_type):
        return None
    smallest = kind == "expect_column_min_to_be_between"
    label = f"_{'min' if smallest else 'max'}_{column_key(column)}"
    name = aggregation.extreme(label, column, smallest)
    return lambda row: row[name]
