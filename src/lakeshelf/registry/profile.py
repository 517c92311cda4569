"""Profiles: what each column of a version holds, computed by Spark in the fingerprint's pass.

Per column: rows, nulls, distinct values (HLL), and by kind
- numeric (integers, floats, decimals; dates as days and timestamps as seconds since the epoch):
  min, max, mean, standard deviation, and a KLL quantile sketch (Spark's ``kll_sketch_agg_double``,
  Apache DataSketches' binary format, mergeable; normalised rank error about 1.3% at k=200);
- categorical (strings, booleans): the top :data:`TOP_K` values with their counts
  (``approx_top_k``: exact while a column has fewer distinct values than it tracks), the rest
  counted in an "other" bucket, and the frequent-items sketch itself;
- anything else (binary, arrays, maps, structs): rows, nulls and distinct values only.

Sketches are kept as bytes, so two versions are compared later without reading their data
(:mod:`lakeshelf.observe`). All aggregates are SQL text in one ``DataFrame.agg``: a ``Column``
costs PySpark several Py4J round trips, which adds up on wide tables.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lakeshelf import timestamps

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

#: Values kept per categorical column; more distinct values go to the "other" bucket.
TOP_K = 50
#: Distinct values the frequent-items sketch tracks (its counts are exact below ~3/4 of this).
TOP_K_TRACKED = 10_000
#: KLL's accuracy parameter (Spark's default): about 1.3% normalised rank error, ~3 KB a column.
KLL_K = 200

NUMERIC_TYPES = ("tinyint", "smallint", "int", "bigint", "float", "double", "decimal")
CATEGORICAL_TYPES = ("string", "boolean")
TIME_TYPES = ("date", "timestamp", "timestamp_ntz")


@dataclass(frozen=True)
class ColumnProfile:
    """One column of one published version, as stored in ``<lake>/_registry/profiles``."""

    dataset: str
    version: int
    column: str
    type: str  # Spark's simpleString of the column type
    kind: str  # numeric | categorical | other
    row_count: int
    null_count: int
    distinct_count: int | None  # HLL estimate (about 1-2% error)
    min: str | None  # JSON text of the smallest value
    max: str | None
    mean: float | None
    stddev: float | None
    top_values: str | None  # JSON [[value, count], ...], most frequent first
    kll: bytes | None  # DataSketches KLL doubles sketch (numeric)
    hll: bytes | None  # DataSketches HLL sketch
    top_sketch: bytes | None  # Spark's approx_top_k_accumulate state (categorical)
    profiled_at: str

    @property
    def null_rate(self) -> float:
        """Share of rows that are null (0 for an empty version)."""
        return self.null_count / self.row_count if self.row_count else 0.0

    @property
    def top(self) -> list[tuple[Any, int]]:
        """The most frequent values with their counts."""
        return [(value, int(count)) for value, count in json.loads(self.top_values or "[]")]

    @property
    def other_count(self) -> int:
        """Non-null rows whose value is not among :attr:`top`."""
        return max(self.row_count - self.null_count - sum(c for _, c in self.top), 0)

    def metric(self, name: str) -> Any:
        """A scalar metric by name: rows, nulls, null_rate, distinct, min, max, mean, stddev."""
        values = {
            "rows": self.row_count,
            "nulls": self.null_count,
            "null_rate": self.null_rate,
            "distinct": self.distinct_count,
            "min": json.loads(self.min) if self.min is not None else None,
            "max": json.loads(self.max) if self.max is not None else None,
            "mean": self.mean,
            "stddev": self.stddev,
        }
        return values[name]


METRICS = ("rows", "nulls", "null_rate", "distinct", "min", "max", "mean", "stddev")


def kind_of(type_name: str) -> str:
    """numeric, categorical or other, for a Spark type's simpleString."""
    base = type_name.split("(", 1)[0]
    if base in NUMERIC_TYPES or base in TIME_TYPES:
        return "numeric"
    if base in CATEGORICAL_TYPES:
        return "categorical"
    return "other"


def _ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _as_number(name: str, type_name: str) -> str:
    """SQL for the column as a double: dates as days, timestamps as seconds since the epoch."""
    column = _ident(name)
    if type_name == "date":
        return f"CAST(unix_date({column}) AS DOUBLE)"
    if type_name.startswith("timestamp"):
        return f"CAST(unix_micros({column}) AS DOUBLE) / 1e6"
    return f"CAST({column} AS DOUBLE)"


def _distinct_input(name: str, type_name: str) -> str:
    """SQL HLL accepts for the column: integers and strings as they are, others hashed."""
    column = _ident(name)
    if type_name in ("tinyint", "smallint", "int", "bigint", "string"):
        return column
    if type_name == "boolean":
        return f"CAST({column} AS STRING)"
    hashable = f"to_json({column})" if "map<" in type_name else column
    return f"if({column} IS NULL, NULL, xxhash64({hashable}))"


def aggregates(df: DataFrame) -> list[tuple[str, str]]:
    """(alias, SQL aggregate) pairs that profile every column of ``df`` in one pass."""
    out: list[tuple[str, str]] = []
    for index, field in enumerate(df.schema.fields):
        type_name = field.dataType.simpleString()
        kind, column, key = kind_of(type_name), _ident(field.name), f"p{index}"
        out.append((f"{key}_nulls", f"count_if({column} IS NULL)"))
        out.append((f"{key}_hll", f"hll_sketch_agg({_distinct_input(field.name, type_name)})"))
        if kind == "other":
            continue
        if kind == "numeric" or type_name == "boolean":
            # not for strings: Spark's min and max of strings take ~0.6 s per column per 5M
            # rows, more than the rest of the profile together
            out.append((f"{key}_min", f"min({column})"))
            out.append((f"{key}_max", f"max({column})"))
        if kind == "numeric":
            number = _as_number(field.name, type_name)
            out.append((f"{key}_mean", f"avg({number})"))
            out.append((f"{key}_stddev", f"stddev_samp({number})"))
            out.append((f"{key}_kll", f"kll_sketch_agg_double({number}, {KLL_K})"))
        else:
            text = f"CAST({column} AS STRING)"
            out.append((f"{key}_top", f"approx_top_k_accumulate({text}, {TOP_K_TRACKED})"))
    return out


def finish_sql(df: DataFrame) -> list[tuple[str, str]]:
    """(alias, SQL) over the aggregated row that turns sketch states into stored values."""
    out: list[tuple[str, str]] = []
    for index, field in enumerate(df.schema.fields):
        key = f"p{index}"
        out.append((f"{key}_distinct", f"hll_sketch_estimate({key}_hll)"))
        if kind_of(field.dataType.simpleString()) == "categorical":
            out.append((f"{key}_topk", f"approx_top_k_estimate({key}_top, {TOP_K})"))
    return out


def profiles_of(
    df: DataFrame, row: dict[str, Any], rows: int, dataset: str, version: int, at: str
) -> list[ColumnProfile]:
    """The profiles of ``df``'s columns from its aggregated and finished ``row``."""
    result = []
    for index, field in enumerate(df.schema.fields):
        key, type_name = f"p{index}", field.dataType.simpleString()
        kind = kind_of(type_name)
        top = row.get(f"{key}_topk")
        result.append(
            ColumnProfile(
                dataset=dataset,
                version=version,
                column=field.name,
                type=type_name,
                kind=kind,
                row_count=rows,
                null_count=int(row[f"{key}_nulls"] or 0),
                distinct_count=_int(row.get(f"{key}_distinct")),
                min=_json(row.get(f"{key}_min")),
                max=_json(row.get(f"{key}_max")),
                mean=_float(row.get(f"{key}_mean")),
                stddev=_float(row.get(f"{key}_stddev")),
                top_values=(
                    json.dumps(
                        [[_plain(i["item"]), int(i["count"])] for i in top if i["item"] is not None]
                    )
                    if top is not None
                    else None
                ),
                kll=_bytes(row.get(f"{key}_kll")),
                hll=_bytes(row.get(f"{key}_hll")),
                top_sketch=_bytes(row[f"{key}_top"]["sketch"]) if row.get(f"{key}_top") else None,
                profiled_at=at,
            )
        )
    return result


def fingerprint_and_profile(
    df: DataFrame, dataset: str, version: int
) -> tuple[str, list[ColumnProfile]]:
    """The fingerprint of ``df`` and the profile of its columns, from one Spark pass."""
    from lakeshelf.registry.fingerprint import fingerprint_with

    print_, values = fingerprint_with(df, aggregates(df), finish_sql(df))
    rows = int(print_.split(":", 1)[0])
    return print_, profiles_of(df, values, rows, dataset, version, timestamps.now_iso())


def profile(df: DataFrame, dataset: str, version: int) -> list[ColumnProfile]:
    """The profile of ``df``'s columns (one Spark pass), for data not yet committed."""
    from pyspark.sql import functions as F

    aggregated = df.agg(
        F.count(F.lit(1)).alias("__rows"), *(F.expr(sql).alias(a) for a, sql in aggregates(df))
    )
    finish = finish_sql(df)
    if finish:
        aggregated = aggregated.selectExpr("*", *(f"{sql} AS {alias}" for alias, sql in finish))
    values = aggregated.collect()[0].asDict()
    return profiles_of(df, values, int(values["__rows"]), dataset, version, timestamps.now_iso())


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _float(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _bytes(value: Any) -> bytes | None:
    return None if value is None else bytes(value)


def _plain(value: Any) -> Any:
    """A value JSON can hold: numbers and strings as they are, anything else as its text."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(_plain(value))
