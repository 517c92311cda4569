"""Deterministic splits: the same rows land in the same split whatever the partitioning,
order, column width or run; Spark's randomSplit is the contrast."""

from __future__ import annotations

import json

import pytest

import lakeshelf
from lakeshelf.errors import ConfigError

FRACTIONS = {"train": 0.7, "valid": 0.1, "test": 0.2}


def ids(frame) -> set[int]:
    return {r.id for r in frame.select("id").collect()}


def test_a_split_depends_only_on_key_and_seed(spark):
    data = spark.range(20_000).selectExpr("id", "id % 97 AS shop", "rand(1) AS x")
    first = lakeshelf.split(data, key="id", fractions=FRACTIONS, seed=7)
    again = lakeshelf.split(
        data.repartition(7).orderBy("x").selectExpr("cast(id AS int) AS id", "shop", "x"),
        key=["id"],
        fractions=FRACTIONS,
        seed=7,
    )
    parts = {name: ids(frame) for name, frame in first.items()}
    assert parts == {name: ids(frame) for name, frame in again.items()}  # int or bigint alike
    assert set().union(*parts.values()) == set(range(20_000))  # every row once
    assert sum(len(p) for p in parts.values()) == 20_000
    for name, share in FRACTIONS.items():
        assert abs(len(parts[name]) / 20_000 - share) < 0.02
    other_seed = lakeshelf.split(data, key="id", fractions=FRACTIONS, seed=8)
    assert ids(other_seed["test"]) != parts["test"]
    assert first.params == {
        "key": ["id"],
        "fractions": FRACTIONS,
        "seed": 7,
        "method": first.params["method"],
    }
    json.dumps(first.params)


def test_rows_with_one_key_stay_together(spark):
    data = spark.range(5_000).selectExpr("id", "id % 50 AS shop")
    parts = lakeshelf.split(data, key="shop", fractions={"a": 0.5, "b": 0.5}, seed=1)
    shops = [{r.shop for r in parts[n].select("shop").distinct().collect()} for n in ("a", "b")]
    assert not shops[0] & shops[1] and len(shops[0] | shops[1]) == 50


@pytest.mark.parametrize(
    ("key", "fractions", "message"),
    [
        ([], {"a": 1.0}, "needs a key"),
        (["nope"], {"a": 1.0}, "not in the data"),
        (["id"], {"a": 0.5, "b": 0.4}, "sum to"),
        (["id"], {"a": 0.0, "b": 1.0}, "not in \\(0, 1\\]"),
        (["id"], {"7": 1.0}, "split name"),
    ],
)
def test_bad_splits_are_refused_by_name(spark, key, fractions, message):
    with pytest.raises(ConfigError, match=message):
        lakeshelf.split(spark.range(3), key=key, fractions=fractions)
