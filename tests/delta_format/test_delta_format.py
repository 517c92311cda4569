"""format("delta") on a session without delta-spark: the standard Delta API, same tables.

With delta-spark's jars loaded, ``format("delta")`` is delta-spark's (tests/guarantees/
test_interop.py); the tests of lakeshelf's own data source then run in the own-engine pass
(``LAKESHELF_ENGINE=lakeshelf``, part of ``make test``) and in a session without the jars.
"""

from __future__ import annotations

import pytest

import lakeshelf
from lakeshelf.table.spark import jvm_delta_available


@pytest.fixture
def spark(spark):
    """The suite's session, where ``format("delta")`` must be lakeshelf's own data source."""
    if jvm_delta_available(spark):
        pytest.skip("format('delta') is delta-spark's here; the own-engine pass runs this")
    return spark


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


def test_s3_lake_from_the_project_config_works_through_the_standard_api(
    spark, s3_server, s3_bucket, tmp_path
):  # delta-spark's side: tests/guarantees/test_interop.py
    """format("delta") on an s3:// lake takes the project's storage options (no AWS variables)."""
    import yaml

    conf = tmp_path / "conf"
    (conf / "datasets").mkdir(parents=True)
    lake = f"{s3_bucket}/lake"
    settings = {"lake": lake, "storage_options": s3_server.storage_options}
    (conf / "lakeshelf.yaml").write_text(yaml.safe_dump(settings))
    table = f"{lake}/silver/events"
    frame = spark.range(6).selectExpr("id", "id % 2 as p")
    frame.write.format("delta").mode("append").option("conf", str(conf)).option(
        "partitionBy", "p"
    ).save(table)
    back = spark.read.format("delta").option("conf", str(conf)).load(table)
    assert sorted(r.id for r in back.collect()) == list(range(6))
    again = spark.read.format("delta").option("conf", str(conf)).option("versionAsOf", 0)
    assert again.load(table).count() == 6


def test_a_session_lakeshelf_did_not_build_reads_and_writes_the_format(tmp_path):
    """Spark finds lakeshelf's data source by itself (pyspark_lakeshelf): no registration call."""
    import subprocess
    import sys

    table = str(tmp_path / "t")
    script = (
        "from pyspark.sql import SparkSession\n"
        "s = SparkSession.builder.master('local[1]').getOrCreate()\n"
        f"s.range(4).write.format('delta').mode('append').save({table!r})\n"
        f"print('rows', s.read.format('delta').load({table!r}).count())\n"
    )
    env = {**__import__("os").environ, "PYSPARK_PYTHON": sys.executable}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, env=env
    )
    assert "rows 4" in done.stdout, done.stderr[-2000:]
    assert lakeshelf.detail(table).num_rows == 4
