"""Deterministic splits: each row goes to a split by a hash of its key and a seed.

Spark's ``randomSplit`` draws per partition, so the same data split twice with the same seed
gives different rows as soon as the partitioning differs (another engine, cluster or run). Here
a row's place depends only on its key's values and the seed: xxhash64 of the seed and the key
columns (integers hashed as bigint and floats as double, as the fingerprint does, so the width
a reader gives a column does not matter), its low 53 bits read as a number u in [0, 1), and the
row goes to the split whose share of [0, 1) holds u, in the order the fractions are given. Rows
with equal keys always go together.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from lakeshelf.errors import ConfigError
from lakeshelf.names import check_label
from lakeshelf.registry.fingerprint import normalised

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

METHOD = "xxhash64(seed, key...) low 53 bits / 2^53, cumulative fractions in the given order"
_BITS = 53


class Split(dict):
    """The split DataFrames by name, with :attr:`params` to log with a model."""

    params: dict[str, Any]


def split(df: DataFrame, key: list[str] | str, fractions: dict[str, float], seed: int = 0) -> Split:
    """Split ``df`` into named parts by a hash of ``key`` and ``seed`` (see the module docstring).

    Returns:
        A dict of name -> DataFrame, with ``params`` ({"key", "fractions", "seed", "method"})
        for the manifest logged with a model.

    Raises:
        ConfigError: no key, a key column ``df`` lacks, fractions not positive or not summing
            to 1, or a split name that breaks the tag rule.
    """
    from pyspark.sql import functions as F

    keys = [key] if isinstance(key, str) else list(key)
    _check(df, keys, fractions, seed)
    types = {f.name: f.dataType for f in df.schema.fields}
    hashed = F.xxhash64(F.lit(int(seed)).cast("bigint"), *(normalised(k, types[k]) for k in keys))
    point = hashed.bitwiseAND(F.lit((1 << _BITS) - 1)).cast("double") / float(1 << _BITS)
    names = list(fractions)
    bounds, total = [], 0.0
    for name in names[:-1]:
        total += fractions[name]
        bounds.append((name, total))
    choice = F.lit(names[-1])
    for name, upper in reversed(bounds):
        choice = F.when(point < F.lit(upper), F.lit(name)).otherwise(choice)
    tagged = df.withColumn("__lakeshelf_split", choice)
    result = Split(
        (name, tagged.where(F.col("__lakeshelf_split") == name).drop("__lakeshelf_split"))
        for name in names
    )
    result.params = {
        "key": keys,
        "fractions": dict(fractions),
        "seed": int(seed),
        "method": METHOD,
    }
    return result


def _check(df: DataFrame, keys: list[str], fractions: dict[str, float], seed: int) -> None:
    if not keys:
        raise ConfigError("a split needs a key: the columns that identify a row")
    missing = [k for k in keys if k not in df.columns]
    if missing:
        raise ConfigError(f"split key {missing} not in the data's columns {df.columns}")
    if not fractions:
        raise ConfigError('a split needs fractions, e.g. {"train": 0.8, "test": 0.2}')
    for name, share in fractions.items():
        check_label(name, "split name")
        if not isinstance(share, (int, float)) or not 0 < share <= 1:
            raise ConfigError(f"split {name!r}: fraction {share!r} is not in (0, 1]")
    if not math.isclose(sum(fractions.values()), 1.0, abs_tol=1e-9):
        raise ConfigError(f"split fractions sum to {sum(fractions.values())}, not 1")
    if not isinstance(seed, int):
        raise ConfigError(f"split seed {seed!r} is not an integer")
