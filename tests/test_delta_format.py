"""format("delta") on a session without delta-spark: the standard Delta API, same tables."""

from __future__ import annotations

import pytest

import lakeshelf


def test_write_and_read_through_the_standard_api(spark, table):
    df = spark.range(50).selectExpr(
        "id", "cast(id % 3 as string) as p", "current_timestamp() as ts"
    )
    df.write.format("delta").mode("append").option("partitionBy", "p").save(table)
    df.limit(5).write.format("delta").mode("append").save(table)
    assert lakeshelf.detail(table).partition_columns == ["p"]
    assert spark.read.format("delta").load(table).count() == 55
    assert spark.read.format("delta").option("versionAsOf", 0).load(table).count() == 50
    native = lakeshelf.read(table, spark=spark)
    got = sorted(
        map(tuple, spark.read.format("delta").load(table).select(*native.columns).collect())
    )
    assert got == sorted(map(tuple, native.collect()))


def test_overwrite_and_schema_options(spark, table):
    spark.range(10).write.format("delta").mode("append").save(table)
    spark.range(3).write.format("delta").mode("overwrite").save(table)
    assert lakeshelf.read(table, spark=spark).count() == 3
    wider = spark.range(2).selectExpr("id", "'x' as extra")
    with pytest.raises(Exception, match=r"mergeSchema|schema_mode"):
        wider.write.format("delta").mode("append").save(table)
    wider.write.format("delta").mode("append").option("mergeSchema", "true").save(table)
    assert "extra" in lakeshelf.read(table, spark=spark).columns
    other = spark.range(2).selectExpr("cast(id as string) as name")
    other.write.format("delta").mode("overwrite").option("overwriteSchema", "true").save(table)
    assert lakeshelf.read(table, spark=spark).columns == ["name"]


def test_tables_written_by_the_format_read_in_delta_rs(spark, table):
    from deltalake import DeltaTable

    spark.range(20).selectExpr("id", "id % 2 as p").write.format("delta").mode("append").option(
        "partitionBy", "p"
    ).save(table)
    arrow = DeltaTable(table).to_pyarrow_table()
    assert sorted(arrow.column("id").to_pylist()) == list(range(20))


def test_failed_write_through_the_format_commits_nothing(spark, table):
    from pyspark.sql import functions as F
    from pyspark.sql.types import LongType

    spark.range(3).write.format("delta").mode("append").save(table)

    @F.udf(LongType())
    def boom(value):
        raise ValueError("no")

    with pytest.raises(Exception, match="no"):  # Spark wraps the worker error in its own type
        spark.range(10).select(boom("id").alias("id")).write.format("delta").mode("append").save(
            table
        )
    assert lakeshelf.history(table)[0].version == 0
    assert lakeshelf.read(table, spark=spark).count() == 3
