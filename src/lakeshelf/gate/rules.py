"""Great Expectations' rules, restated: the SQL conditions and checks GX 1.x applies on Spark.

:mod:`lakeshelf.gate.aggregate` builds its one-pass aggregation from these; the differential
tests (``tests/gate/test_gate_differential.py``) hold them to GX's own results.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import TYPE_CHECKING, Any

from lakeshelf.gate.results import Outcome, plain

if TYPE_CHECKING:
    from pyspark.sql import Row


def map_condition(kind: str, kwargs: dict[str, Any], col: str, data_type: Any) -> str | None:
    """The unexpected condition GX builds for ``kind``, as SQL (None: leave it to GX)."""
    from pyspark.sql.types import BooleanType, StringType

    if kind == "expect_column_values_to_not_be_null":
        return f"{col} IS NULL"
    if kind == "expect_column_values_to_be_null":
        return f"{col} IS NOT NULL"
    if kind == "expect_column_values_to_be_between":
        if not numeric(data_type) or between_test(kwargs, integers=False) is None:
            return None
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        expected = sql_range(col, low, high, kwargs.get("strict_min"), kwargs.get("strict_max"))
        return None if expected is None else f"{col} IS NOT NULL AND NOT ({expected})"
    if kind.endswith("_in_set"):
        values = kwargs.get("value_set")
        if not isinstance(values, list):
            return None
        if numeric(data_type):
            comparable = all(is_number(v) for v in values)
        elif isinstance(data_type, StringType):
            comparable = all(isinstance(v, str) for v in values)
        elif isinstance(data_type, BooleanType):
            comparable = all(isinstance(v, bool) for v in values)
        else:
            comparable = False
        literals = [literal(v) for v in values]
        if not comparable or None in literals:
            return None
        # Column.isin([]) is false for every row, as GX's empty set is.
        inside = f"{col} IN ({', '.join(literals)})" if literals else "false"
        negated = "" if kind.endswith("not_be_in_set") else "NOT "
        return f"{col} IS NOT NULL AND {negated}({inside})"
    regex = kwargs.get("regex")
    pattern = literal(regex) if isinstance(regex, str) else None
    if pattern is None or not isinstance(data_type, StringType):
        return None
    negated = "" if "not_match" in kind else "NOT "
    return f"{col} IS NOT NULL AND {negated}({col} RLIKE {pattern})"


def decimal_mean(total: Decimal | None, count: int, scale: int) -> Decimal | None:
    """Spark's avg of a decimal column: rounded half-up to ``scale`` digits."""
    if total is None or not count:
        return None
    with localcontext() as context:
        context.prec = 80
        return (total / count).quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)


def judge_metric(
    test: Callable[[Any], bool], item: dict[str, Any], observe: Callable[[Row], Any]
) -> Callable[[Row], Outcome]:
    """GX's ``_validate_metric_value_between``: a null or NaN observation fails."""

    def judge(row: Row) -> Outcome:
        value = observe(row)
        if isinstance(value, Decimal):
            value = float(value)  # GX serialises Decimal metrics to float before comparing
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return observed_outcome(item, False, None)
        return observed_outcome(item, test(value), value)

    return judge


def between_test(kwargs: dict[str, Any], integers: bool) -> Callable[[Any], bool] | None:
    """The bounds check GX applies, or None when the arguments are not plain numbers."""
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    strict_low, strict_high = kwargs.get("strict_min", False), kwargs.get("strict_max", False)
    accept = is_integer if integers else is_number
    if any(v is not None and not accept(v) for v in (low, high)):
        return None
    if not isinstance(strict_low, bool) or not isinstance(strict_high, bool):
        return None
    if (low is None and high is None) or inverted(low, high):
        return None  # GX raises for these; let it say so

    def test(value: Any) -> bool:
        above = low is None or (value > low if strict_low else value >= low)
        below = high is None or (value < high if strict_high else value <= high)
        return bool(above and below)

    return test


def sql_range(col: str, low: Any, high: Any, strict_low: Any, strict_high: Any) -> str | None:
    """GX's between condition as SQL (None for a bound without an exact literal)."""
    bounds = []
    for value, strict, op in ((low, strict_low, ">"), (high, strict_high, "<")):
        if value is None:
            continue
        text = literal(value)
        if text is None:
            return None
        bounds.append(f"{col} {op if strict else op + '='} {text}")
    return " AND ".join(bounds)


def mostly_met(considered: int, unexpected: int, mostly: float) -> bool:
    if considered == 0:
        return True  # vacuously true, as in GX
    return (float(considered) - float(unexpected)) / float(considered) >= mostly


def counted_outcome(
    item: dict[str, Any], success: bool, rows: int, unexpected: int | None
) -> Outcome:
    return Outcome(
        type=item["type"],
        kwargs=item.get("kwargs") or {},
        severity=(item.get("meta") or {}).get("severity", "error"),
        success=success,
        element_count=rows,
        unexpected_count=unexpected,
        engine="lakeshelf",
    )


def observed_outcome(item: dict[str, Any], success: bool, value: Any) -> Outcome:
    return Outcome(
        type=item["type"],
        kwargs=item.get("kwargs") or {},
        severity=(item.get("meta") or {}).get("severity", "error"),
        success=bool(success),
        observed_value=plain(value),
        engine="lakeshelf",
    )


def plain_column(types: dict[str, Any], column: Any) -> bool:
    """A top-level column spelled exactly as in the data (nested or odd names go to GX)."""
    return isinstance(column, str) and column in types and not set(column) & {".", "`"}


def literal(value: Any) -> str | None:
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


def numeric(data_type: Any) -> bool:
    from pyspark.sql.types import NumericType

    return isinstance(data_type, NumericType)


def is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def inverted(low: Any, high: Any) -> bool:
    return low is not None and high is not None and low > high


def ident(name: str) -> str:
    """A column or alias name quoted for SQL (names with backticks never get here)."""
    return f"`{name}`"


def column_key(column: str) -> str:
    """A column's name made safe for an alias."""
    return column.encode().hex()
