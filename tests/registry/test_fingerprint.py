"""Fingerprints are order-independent, sensitive to every value and duplicate, type-normalised."""

from __future__ import annotations

from lakeshelf.registry.fingerprint import fingerprint


def test_order_and_partitioning_do_not_matter(spark):
    df = spark.range(1000).selectExpr("id", "cast(id % 7 as string) as s", "id * 0.5 as d")
    shuffled = df.orderBy("s", "d").repartition(5)
    assert fingerprint(df) == fingerprint(shuffled)
    assert fingerprint(df.select("d", "s", "id")) == fingerprint(df)
    assert fingerprint(df).startswith("1000:")


def test_every_value_and_duplicate_changes_it(spark):
    df = spark.range(100).selectExpr("id", "cast(id as string) as s")
    base = fingerprint(df)
    assert fingerprint(df.selectExpr("id", "if(id = 42, 'x', s) as s")) != base
    assert fingerprint(df.union(df.where("id = 3"))) != base
    assert fingerprint(df.where("id != 3").union(df.where("id = 4"))) != base  # same count
    assert fingerprint(df.selectExpr("id", "if(id = 1, null, s) as s")) != base


def test_integer_widths_normalised_and_nested_types_hashed(spark):
    narrow = spark.createDataFrame([(1, 2.5)], "n int, f float")
    wide = spark.createDataFrame([(1, 2.5)], "n bigint, f double")
    assert fingerprint(narrow) == fingerprint(wide)
    nested = spark.createDataFrame(
        [([1, 2], {"a": 1}, (3, "x"))],
        "arr array<int>, m map<string,int>, st struct<i:int,s:string>",
    )
    other = spark.createDataFrame(
        [([1, 2], {"a": 2}, (3, "x"))],
        "arr array<int>, m map<string,int>, st struct<i:int,s:string>",
    )
    assert fingerprint(nested) != fingerprint(other)


def test_empty_frame(spark):
    assert fingerprint(spark.range(0)) == "0:0000000000000000:0000000000000000"


def test_sum_overflow_recomputes_with_narrower_limbs(spark, monkeypatch):
    """More than 2^31 rows overflow the 32-bit limb sums; 62-bit limbs overflow at a few rows."""
    from pyspark.sql import functions as F

    import lakeshelf.registry.fingerprint as fp

    df = spark.range(64).selectExpr("id", "cast(id as string) as s")
    expected = fingerprint(df)
    wide = df.agg(*fp._limbs(fp._row_hash(df), 62, F.try_sum)).collect()[0]
    assert None in list(wide)  # the overflow really happens with 62-bit limbs
    monkeypatch.setattr(fp, "_FAST_LIMB_BITS", 62)
    assert fingerprint(df) == expected
