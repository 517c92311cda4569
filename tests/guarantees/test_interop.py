"""Interop with Delta Lake's own engine, live: delta-spark writes, lakeshelf reads every version on
both engines; lakeshelf writes, delta-spark reads; both append to one table at once.

These run in the session the suite runs (delta-spark when its jars resolve). Under
``LAKESHELF_ENGINE=lakeshelf`` (CI's own-engine pass) they are skipped: they need delta-spark.
"""

from __future__ import annotations

import threading

import pytest

import lakeshelf
from lakeshelf.table.spark import delta_spark_serves

pytestmark = pytest.mark.slow


@pytest.fixture
def delta_spark(spark):
    """The suite's session, which must run delta-spark (skipped on an own-engine pass)."""
    import os

    if os.environ.get("LAKESHELF_ENGINE") == "lakeshelf":
        pytest.skip("an own-engine pass: delta-spark is not loaded by design")
    assert delta_spark_serves(spark), "delta-spark's jars did not load (see the session's note)"
    return spark


def rows_of(frame) -> list[tuple]:
    columns = sorted(frame.columns)
    return sorted(
        (tuple(r) for r in frame.select(*columns).collect()),
        key=lambda r: tuple((v is None, str(v)) for v in r),
    )


def agree_on_every_version(spark, path: str) -> int:
    """delta-spark, lakeshelf on delta-spark and lakeshelf's own reader give the same rows."""
    latest = lakeshelf.history(path)[0].version
    for version in range(latest + 1):
        reference = spark.read.format("delta").option("versionAsOf", version).load(path)
        want = rows_of(reference)
        assert rows_of(lakeshelf.read(path, version=version, spark=spark)) == want, version
        own = lakeshelf.read(path, version=version, spark=spark, engine="lakeshelf")
        assert rows_of(own) == want, f"own engine, version {version}"
    return latest


def test_delta_spark_dml_every_version_reads_the_same_on_both_engines(delta_spark, tmp_path):
    spark, path = delta_spark, str(tmp_path / "dml")
    spark.range(20).selectExpr("id", "id % 4 AS part", "CAST(id AS STRING) AS name").write.format(
        "delta"
    ).partitionBy("part").save(path)
    spark.sql(
        f"ALTER TABLE delta.`{path}` SET TBLPROPERTIES ('delta.enableDeletionVectors' = 'true',"
        " 'delta.enableChangeDataFeed' = 'true')"
    )
    spark.range(20, 30).selectExpr(
        "id", "id % 4 AS part", "CAST(id AS STRING) AS name"
    ).write.format("delta").mode("append").save(path)
    spark.sql(f"DELETE FROM delta.`{path}` WHERE id % 5 = 0")
    spark.sql(f"UPDATE delta.`{path}` SET name = concat(name, '!') WHERE id < 8")
    spark.sql(
        f"MERGE INTO delta.`{path}` t USING (SELECT id, id % 4 AS part, 'merged' AS name"
        " FROM range(25, 35)) s ON t.id = s.id"
        " WHEN MATCHED THEN UPDATE SET name = s.name WHEN NOT MATCHED THEN INSERT *"
    )
    spark.sql(f"OPTIMIZE delta.`{path}`")
    spark.range(3).selectExpr("id", "id % 4 AS part", "'over' AS name").write.format("delta").mode(
        "overwrite"
    ).save(path)
    assert agree_on_every_version(spark, path) == 7
    assert "deletionVectors" in lakeshelf.detail(path, version=3).reader_features


def test_delta_spark_column_mapping_and_schema_evolution_read_the_same(delta_spark, tmp_path):
    spark, path = delta_spark, str(tmp_path / "mapped")
    spark.sql(
        f"CREATE TABLE delta.`{path}` (id BIGINT, name STRING) USING delta TBLPROPERTIES"
        " ('delta.columnMapping.mode' = 'name')"
    )
    spark.sql(f"INSERT INTO delta.`{path}` VALUES (1, 'a'), (2, 'b')")
    spark.sql(f"ALTER TABLE delta.`{path}` RENAME COLUMN name TO label")
    spark.sql(f"ALTER TABLE delta.`{path}` ADD COLUMNS (score DOUBLE)")
    spark.sql(f"INSERT INTO delta.`{path}` VALUES (3, 'c', 0.5)")
    wider = spark.createDataFrame(
        [(4, "d", 1.5, True)], "id long, label string, score double, ok boolean"
    )
    wider.write.format("delta").mode("append").option("mergeSchema", "true").save(path)
    spark.sql(f"ALTER TABLE delta.`{path}` DROP COLUMN score")
    assert agree_on_every_version(spark, path) == 6
    assert lakeshelf.read(path, spark=spark).columns == ["id", "label", "ok"]


def test_lakeshelf_writes_on_a_delta_spark_deletion_vector_table_stay_correct(
    delta_spark, tmp_path
):
    spark, path = delta_spark, str(tmp_path / "dv")
    spark.sql(
        f"CREATE TABLE delta.`{path}` (id BIGINT) USING delta"
        " TBLPROPERTIES ('delta.enableDeletionVectors' = 'true')"
    )
    spark.range(10).write.format("delta").mode("append").save(path)
    spark.sql(f"DELETE FROM delta.`{path}` WHERE id < 3")
    assert lakeshelf.write(spark.range(10, 12), path) == 3
    after_append = sorted(r.id for r in spark.read.format("delta").load(path).collect())
    assert after_append == [*range(3, 10), 10, 11]
    with pytest.raises(lakeshelf.UnsupportedFeatureError, match="deletion vectors"):
        lakeshelf.optimize(path)  # delta-rs would bring the deleted rows back
    lakeshelf.write(spark.range(100, 103), path, mode="overwrite")
    assert sorted(r.id for r in spark.read.format("delta").load(path).collect()) == [100, 101, 102]
    assert agree_on_every_version(spark, path) == 4


def test_lakeshelf_versions_read_the_same_in_delta_spark(delta_spark, tmp_path):
    """Restores and pinned vacuum included; the awkward values live in tests/table/test_types."""
    from lakeshelf.storage import Location
    from lakeshelf.table import vacuum

    spark, path = delta_spark, str(tmp_path / "ours")
    lakeshelf.write(spark.range(5).selectExpr("id", "id % 2 AS p"), path, partition_by="p")
    lakeshelf.write(spark.range(5, 8).selectExpr("id", "id % 2 AS p"), path)
    lakeshelf.write(spark.range(50, 52).selectExpr("id", "id % 2 AS p"), path, mode="overwrite")
    lakeshelf.restore(path, version=1)
    lakeshelf.write(spark.range(8, 10).selectExpr("id", "id % 2 AS p"), path)
    assert lakeshelf.optimize(path).version == 5
    expected = {0: range(5), 1: range(8), 2: range(50, 52), 3: range(8), 4: range(10), 5: range(10)}

    def delta_spark_ids(version: int) -> list[int]:
        got = spark.read.format("delta").option("versionAsOf", version).load(path)
        return sorted(r.id for r in got.collect())

    for version, ids in expected.items():
        assert delta_spark_ids(version) == list(ids), version
    vacuum(Location.of(path), pinned=[0], retain_hours=0)  # v0 pinned, v5 latest: both stay
    for version in (0, 5):
        assert delta_spark_ids(version) == list(expected[version]), version


def test_lakeshelf_and_delta_spark_appending_at_once_lose_and_double_nothing(delta_spark, tmp_path):
    spark, path = delta_spark, str(tmp_path / "both")
    spark.range(1).selectExpr("id", "'seed' AS writer").write.format("delta").save(path)
    errors: list[BaseException] = []

    def ours(n: int) -> None:
        frame = spark.createDataFrame([(1000 + n, "lakeshelf")], "id long, writer string")
        lakeshelf.write(frame, path)

    def theirs(n: int) -> None:
        frame = spark.createDataFrame([(2000 + n, "delta-spark")], "id long, writer string")
        frame.write.format("delta").mode("append").save(path)

    def appender(write, count: int) -> None:
        try:
            for n in range(count):
                write(n)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=appender, args=(ours, 6)),
        threading.Thread(target=appender, args=(theirs, 6)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    assert not errors, errors
    ids = sorted(r.id for r in spark.read.format("delta").load(path).collect())
    assert ids == [0, *range(1000, 1006), *range(2000, 2006)]
    assert lakeshelf.history(path)[0].version == 12  # one version per append, none lost


def test_delta_spark_reaches_an_s3_lake_with_the_projects_storage_options(
    delta_spark, s3_server, s3_bucket, tmp_path
):
    """s3:// through hadoop-aws (s3a) against the test server, options from conf/lakeshelf.yaml."""
    import yaml

    conf = tmp_path / "conf"
    (conf / "datasets").mkdir(parents=True)
    settings = {"lake": f"{s3_bucket}/lake", "storage_options": s3_server.storage_options}
    (conf / "lakeshelf.yaml").write_text(yaml.safe_dump(settings))
    lakeshelf.prepare_session(delta_spark, conf=str(conf))
    table = f"{s3_bucket}/lake/silver/events"
    frame = delta_spark.range(6).selectExpr("id", "id % 2 AS p")
    frame.write.format("delta").partitionBy("p").save(table)
    lakeshelf.write(
        delta_spark.range(6, 8).selectExpr("id", "id % 2 AS p"),
        table,
        storage_options=s3_server.storage_options,
    )
    back = delta_spark.read.format("delta").load(table)
    assert sorted(r.id for r in back.collect()) == list(range(8))
    ours = lakeshelf.read(
        table, version=0, spark=delta_spark, storage_options=s3_server.storage_options
    )
    assert sorted(r.id for r in ours.collect()) == list(range(6))
