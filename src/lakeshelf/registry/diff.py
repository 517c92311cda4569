"""Row-level differences between two sets of rows (two versions of a table, or a version and its
rebuild): rows added, removed and, given a key, changed, with per-column change counts.

With a key, rows are matched by it (a full outer join, one Spark pass for the counts): a row
whose key is only in the second set is added, only in the first removed, in both with any
other column different (nulls equal to nulls) changed. A column only one side has is null on
the other, as Delta reads rows written before a column was added: a matched row changed in
it when its value there is not null. Without a key rows are compared as
whole values (multisets: a duplicate counts), so a changed row is one removed and one added,
and a column's count is how many of its values, on either side, have no equal on the other.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from lakeshelf.errors import ConfigError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

#: Rows of each kind the CLI shows as examples.
EXAMPLES = 5


@dataclass(frozen=True)
class DiffSummary:
    """Counts of a diff; ``changed`` is None without a key (a change is a removal and an add)."""

    added: int
    removed: int
    changed: int | None
    unchanged: int
    columns_changed: dict[str, int]

    def as_json(self) -> dict[str, Any]:
        """``{"added", "removed", "changed", "unchanged", "columns_changed"}``."""
        return asdict(self)

    @property
    def identical(self) -> bool:
        """True when nothing was added, removed or changed."""
        return not (self.added or self.removed or self.changed)


@dataclass(frozen=True)
class Diff:
    """A diff's counts and its differing rows (lazy DataFrames). ``changed`` holds the key and,
    for each other column ``c``, ``c__before`` and ``c__after``; None without a key."""

    summary: DiffSummary
    added: DataFrame
    removed: DataFrame
    changed: DataFrame | None


def diff_rows(before: DataFrame, after: DataFrame, key: list[str] | None = None) -> Diff:
    """What changed from ``before`` to ``after`` (see the module docstring).

    Raises:
        ConfigError: a key column is missing, or the key is not unique on a side.
    """
    if key:
        return _keyed(before, after, key)
    return _unkeyed(before, after)


def _unkeyed(before: DataFrame, after: DataFrame) -> Diff:
    common = [c for c in before.columns if c in after.columns]
    added, removed = after.exceptAll(before), before.exceptAll(after)
    added_count, removed_count = added.count(), removed.count()
    columns = {c: _unmatched_values(before.select(c), after.select(c)) for c in common}
    for only in [c for c in before.columns if c not in common]:
        columns[only] = before.count()
    for only in [c for c in after.columns if c not in common]:
        columns[only] = after.count()
    summary = DiffSummary(added_count, removed_count, None, before.count() - removed_count, columns)
    return Diff(summary, added, removed, None)


def _unmatched_values(before: DataFrame, after: DataFrame) -> int:
    """Values of one column, on either side, with no equal value on the other (as multisets)."""
    return after.exceptAll(before).count() + before.exceptAll(after).count()


def _keyed(before: DataFrame, after: DataFrame, key: list[str]) -> Diff:
    from pyspark.sql import functions as F

    for side, frame in (("first", before), ("second", after)):
        missing = [k for k in key if k not in frame.columns]
        if missing:
            raise ConfigError(f"key column(s) {missing} are not in the {side} version")
        duplicated = frame.groupBy(*key).count().where("count > 1").count()
        if duplicated:
            raise ConfigError(
                f"the key ({', '.join(key)}) is not unique in the {side} version:"
                f" {duplicated} key value(s) repeat; name columns that identify a row"
            )
    values = [c for c in dict.fromkeys([*before.columns, *after.columns]) if c not in key]
    left = before.select(
        *key, *(_value(before, after, c).alias(f"{c}__before") for c in values)
    ).withColumn("__in_before", F.lit(True))
    right = after.select(
        *key, *(_value(after, before, c).alias(f"{c}__after") for c in values)
    ).withColumn("__in_after", F.lit(True))
    joined = left.join(right, key, "full_outer")
    both = F.col("__in_before").isNotNull() & F.col("__in_after").isNotNull()
    differs = {c: ~_col(f"{c}__before").eqNullSafe(_col(f"{c}__after")) for c in values}
    any_differs = F.lit(False)
    for condition in differs.values():
        any_differs = any_differs | condition
    counts = joined.agg(
        F.count_if(F.col("__in_before").isNull()).alias("added"),
        F.count_if(F.col("__in_after").isNull()).alias("removed"),
        F.count_if(both & any_differs).alias("changed"),
        F.count_if(both & ~any_differs).alias("unchanged"),
        *(F.count_if(both & d).alias(f"column_{i}") for i, d in enumerate(differs.values())),
    ).collect()[0]
    summary = DiffSummary(
        counts["added"],
        counts["removed"],
        counts["changed"],
        counts["unchanged"],
        {c: counts[f"column_{i}"] for i, c in enumerate(values)},
    )
    added = after.join(before.select(*key), key, "left_anti")
    removed = before.join(after.select(*key), key, "left_anti")
    changed = joined.where(both & any_differs).drop("__in_before", "__in_after")
    return Diff(summary, added, removed, changed)


def _value(side: DataFrame, other: DataFrame, name: str) -> Any:
    """Column ``name`` of ``side``; null (of ``other``'s type) where only ``other`` has it, as
    Delta reads rows written before a column was added."""
    from pyspark.sql import functions as F

    if name in side.columns:
        return _col(name)
    return F.lit(None).cast(other.schema[name].dataType)


def _col(name: str) -> Any:
    """The column called ``name``, whatever characters it holds (dots, backticks)."""
    from pyspark.sql import functions as F

    return F.col("`" + name.replace("`", "``") + "`")
