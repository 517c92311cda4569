"""Profiles: what each column of a version holds, computed by Spark in the fingerprint's pass.

Per column: rows, nulls, distinct values (HLL), and by kind
- numeric (integers, floats, decimals; dates as days and timestamps as seconds since the epoch):
  min, max, mean, standard deviation, and a KLL quantile sketch (Spark's ``kll_sketch_agg_double``,
  Apache DataSketches' binary format, mergeable; normalised rank error about 1.3% at k=200);
- categorical (strings, booleans): the top :data:`TOP_K` values with their counts
  (``approx_top_k``: exact while a column has fewer distinct values than it tracks), the rest
  counted in an "other" bucket, and the frequent-items sketch itself;
- anything else (binary, arrays, maps, structs): rows, nulls and distinct values only.

Counts, nulls, min, max, mean and standard deviation are over every row; above
:data:`SKETCH_ROWS` rows the sketches see a uniform sample (:class:`Sampling`), which keeps a
profile's cost a fraction of one scan. Sketches are kept as bytes, so two versions are compared
later without reading their data (:mod:`lakeshelf.observe`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
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

    @cached_property  # a frozen dataclass may cache: the value lands in the instance's dict
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


#: Rows the sketches see at most (about); a larger version's sketches see a sample this big.
SKETCH_ROWS = 100_000
#: One in this many distinct values is followed through every row for the distinct count.
VALUE_SAMPLE = 256
SAMPLE_FLAG = "__lakeshelf_sampled"
SAMPLE_SEED = 20_261_125


@dataclass(frozen=True)
class Sampling:
    """Which rows a profile's sketches see: every row, or a seeded uniform sample of them.

    Counts, nulls, min, max, mean and standard deviation are always over every row, in the
    fingerprint's pass: Spark compiles those aggregates into its generated code. The sketches
    are imperative aggregates, which Spark calls row by row outside generated code, and one of
    them in a pass takes every other aggregate of the pass out of it too: profiling every row
    cost 7.6 scans of the version. So above :data:`SKETCH_ROWS` rows the sketches run in a
    second pass that keeps only a uniform random sample of about that many rows (plus the rows
    the distinct count follows) before aggregating. Its sampling error (~0.2% of rank) is far
    below KLL's own; top-value counts are scaled up by each column's share of values sampled;
    drift tests see the sample's size, so their p-values stay honest.

    The distinct count of a sampled version is the values the row sample saw plus an estimate
    of those it missed: one in :data:`VALUE_SAMPLE` values (by a hash of the value, independent
    of the row sample) is followed through every row, and the followed values the row sample
    missed, scaled up, estimate all it missed. That is unbiased, and exact when the row sample
    saw every value (low-cardinality columns).
    """

    rate: float  # share of rows the sketches see (1.0: all)

    @classmethod
    def for_rows(cls, rows: int) -> Sampling:
        """Every row up to :data:`SKETCH_ROWS` rows, else about that many."""
        return cls(1.0 if rows <= SKETCH_ROWS else SKETCH_ROWS / rows)

    @property
    def sampled(self) -> bool:
        """True when the sketches see a sample, not every row."""
        return self.rate < 1.0

    def over_sample(self, aggregate: str) -> str:
        """``aggregate`` restricted to the sampled rows."""
        return f"{aggregate} FILTER (WHERE {SAMPLE_FLAG})" if self.sampled else aggregate

    def sample_pass(self, df: DataFrame) -> DataFrame:
        """The rows of ``df`` the sampled sketches aggregate: the row sample, flagged, and the
        rows whose value in some column is followed for the distinct count."""
        followed = [_followed(f.name, f.dataType.simpleString()) for f in df.schema.fields]
        flagged = df.selectExpr("*", f"rand({SAMPLE_SEED}) < {self.rate!r} AS {SAMPLE_FLAG}")
        return flagged.where(" OR ".join([SAMPLE_FLAG, *followed]))


def _followed(name: str, type_name: str) -> str:
    """SQL: true when the column's value is one the distinct count follows through every row."""
    return f"pmod(xxhash64({_distinct_input(name, type_name)}), {VALUE_SAMPLE}) = 0"


def exact_aggregates(df: DataFrame) -> list[tuple[str, str]]:
    """(alias, SQL aggregate) pairs over every row: nulls, and min, max, mean and standard
    deviation where they apply. All compile into Spark's generated code."""
    out: list[tuple[str, str]] = []
    for index, field in enumerate(df.schema.fields):
        type_name = field.dataType.simpleString()
        kind, column, key = kind_of(type_name), _ident(field.name), f"p{index}"
        out.append((f"{key}_nulls", f"count_if({column} IS NULL)"))
        if kind == "numeric" or type_name == "boolean":
            # not for strings: Spark's min and max of strings take ~0.6 s per column per 5M
            # rows, more than the rest of the profile together
            out.append((f"{key}_min", f"min({column})"))
            out.append((f"{key}_max", f"max({column})"))
        if kind == "numeric":
            number = _as_number(field.name, type_name)
            out.append((f"{key}_mean", f"avg({number})"))
            out.append((f"{key}_stddev", f"stddev_samp({number})"))
    return out


def sketch_aggregates(df: DataFrame, sampling: Sampling) -> list[tuple[str, str]]:
    """(alias, SQL aggregate) pairs for the sketches: distinct values (HLL), KLL for numbers,
    frequent items for strings and booleans; over the sample when ``sampling`` is sampled."""
    out: list[tuple[str, str]] = []
    for index, field in enumerate(df.schema.fields):
        type_name = field.dataType.simpleString()
        kind, column, key = kind_of(type_name), _ident(field.name), f"p{index}"
        value = _distinct_input(field.name, type_name)
        out.append((f"{key}_hll", sampling.over_sample(f"hll_sketch_agg({value})")))
        if sampling.sampled:
            followed = _followed(field.name, type_name)
            hll = f"hll_sketch_agg({value})"
            out.append((f"{key}_hll_followed", f"{hll} FILTER (WHERE {followed})"))
            out.append((f"{key}_hll_both", f"{hll} FILTER (WHERE {SAMPLE_FLAG} AND {followed})"))
        if kind == "numeric":
            kll = f"kll_sketch_agg_double({_as_number(field.name, type_name)}, {KLL_K})"
            out.append((f"{key}_kll", sampling.over_sample(kll)))
        elif kind == "categorical":
            top = f"approx_top_k_accumulate(CAST({column} AS STRING), {TOP_K_TRACKED})"
            out.append((f"{key}_top", sampling.over_sample(top)))
            if sampling.sampled:
                out.append((f"{key}_seen", f"count_if({SAMPLE_FLAG} AND {column} IS NOT NULL)"))
    return out


def finish_sql(df: DataFrame, sampling: Sampling) -> list[tuple[str, str]]:
    """(alias, SQL) over the sketches' aggregated row that turns sketch states into values."""
    out: list[tuple[str, str]] = []
    for index, field in enumerate(df.schema.fields):
        key = f"p{index}"
        out.append((f"{key}_distinct", f"hll_sketch_estimate({key}_hll)"))
        if sampling.sampled:
            out.append((f"{key}_followed", f"hll_sketch_estimate({key}_hll_followed)"))
            out.append((f"{key}_both", f"hll_sketch_estimate({key}_hll_both)"))
        if kind_of(field.dataType.simpleString()) == "categorical":
            out.append((f"{key}_topk", f"approx_top_k_estimate({key}_top, {TOP_K})"))
    return out


def profiles_of(
    df: DataFrame,
    row: dict[str, Any],
    rows: int,
    sampling: Sampling,
    version_key: tuple[str, int],
) -> list[ColumnProfile]:
    """The profiles of ``df``'s columns (of dataset and version ``version_key``) from its
    aggregated and finished ``row``."""
    at = timestamps.now_iso()
    result = []
    for index, field in enumerate(df.schema.fields):
        key, type_name = f"p{index}", field.dataType.simpleString()
        nulls = int(row[f"{key}_nulls"] or 0)
        result.append(
            ColumnProfile(
                dataset=version_key[0],
                version=version_key[1],
                column=field.name,
                type=type_name,
                kind=kind_of(type_name),
                row_count=rows,
                null_count=nulls,
                distinct_count=_distinct(row, key, sampling),
                min=_json(row.get(f"{key}_min")),
                max=_json(row.get(f"{key}_max")),
                mean=_float(row.get(f"{key}_mean")),
                stddev=_float(row.get(f"{key}_stddev")),
                top_values=_top_values(row, key, rows - nulls),
                kll=_bytes(row.get(f"{key}_kll")),
                # a sample's HLL would merge into a wrong count: kept only when exact
                hll=None if sampling.sampled else _bytes(row.get(f"{key}_hll")),
                top_sketch=_bytes(row[f"{key}_top"]["sketch"]) if row.get(f"{key}_top") else None,
                profiled_at=at,
            )
        )
    return result


def _distinct(row: dict[str, Any], key: str, sampling: Sampling) -> int | None:
    """The column's distinct count: the HLL estimate, or (sampled) the values the row sample
    saw plus those it missed, estimated from the values followed through every row."""
    seen = _int(row.get(f"{key}_distinct"))
    if not sampling.sampled or seen is None:
        return seen
    missed = max(int(row[f"{key}_followed"] or 0) - int(row[f"{key}_both"] or 0), 0)
    return seen + missed * VALUE_SAMPLE


def _top_values(row: dict[str, Any], key: str, non_null: int) -> str | None:
    """JSON [[value, count], ...]: counts of a sampled column scaled to all its values."""
    top = row.get(f"{key}_topk")
    if top is None:
        return None
    seen = row.get(f"{key}_seen")
    scale = non_null / seen if seen else 1.0
    return json.dumps(
        [[_plain(i["item"]), round(int(i["count"]) * scale)] for i in top if i["item"] is not None]
    )


#: A profile's pass over every row: given (alias, SQL) aggregates and finish expressions, it
#: returns the row count and their values by alias (whatever else it computes alongside).
FirstPass = Callable[[list[tuple[str, str]], list[tuple[str, str]]], tuple[int, dict[str, Any]]]


def fingerprint_and_profile(
    df: DataFrame, dataset: str, version: int, rows: int | None = None
) -> tuple[str, list[ColumnProfile]]:
    """The fingerprint of ``df`` and the profile of its columns (one Spark pass, two above
    :data:`SKETCH_ROWS` rows: see :class:`Sampling`).

    ``rows``: the row count if known (a version's log records it), which sets the sampling;
    otherwise Spark counts first (cheap for Parquet: footers only).
    """
    from lakeshelf.registry.fingerprint import fingerprint_with

    prints: list[str] = []

    def with_fingerprint(
        aggregates: list[tuple[str, str]], finish: list[tuple[str, str]]
    ) -> tuple[int, dict[str, Any]]:
        print_, found = fingerprint_with(df, aggregates, finish)
        prints.append(print_)
        return int(print_.split(":", 1)[0]), found

    profiled = _profile(df, rows, (dataset, version), with_fingerprint)
    return prints[0], profiled


def profile(
    df: DataFrame, dataset: str, version: int, rows: int | None = None
) -> list[ColumnProfile]:
    """The profile of ``df``'s columns, for data not yet committed; ``rows`` as in
    :func:`fingerprint_and_profile`."""
    from pyspark.sql import functions as F

    from lakeshelf.registry.fingerprint import aggregate_once

    def counting(
        aggregates: list[tuple[str, str]], finish: list[tuple[str, str]]
    ) -> tuple[int, dict[str, Any]]:
        found = aggregate_once(df, [F.count(F.lit(1)).alias("__rows")], aggregates, finish)
        return int(found.pop("__rows")), found

    return _profile(df, rows, (dataset, version), counting)


def _profile(
    df: DataFrame, rows: int | None, version_key: tuple[str, int], first_pass: FirstPass
) -> list[ColumnProfile]:
    """Profile ``df``: every aggregate in ``first_pass``, or the sketches in a second, sampled
    one (:class:`Sampling`)."""
    from lakeshelf.registry.fingerprint import aggregate_once

    sampling = Sampling.for_rows(df.count() if rows is None else rows)
    exact, sketches = exact_aggregates(df), sketch_aggregates(df, sampling)
    finish = finish_sql(df, sampling)
    if not sampling.sampled:
        counted, values = first_pass(exact + sketches, finish)
    else:
        counted, values = first_pass(exact, [])
        values.update(aggregate_once(sampling.sample_pass(df), [], sketches, finish))
    return profiles_of(df, values, counted, sampling, version_key)


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
