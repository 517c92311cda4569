"""Reads of small committed versions through delta-spark, pinned to the version's file list
(lakeshelf.table.pinned): no planning job per query, the same rows as ``format("delta")``."""

from __future__ import annotations

import itertools
import shutil

import pytest
from deltalake import DeltaTable
from tools.spark_metrics import files_scanned

import lakeshelf
from lakeshelf.errors import ConfigError
from lakeshelf.table import pinned
from lakeshelf.table.spark import delta_spark_serves

LIMIT = "spark.lakeshelf.read.pinnedPlanFiles"


@pytest.fixture
def delta_spark(spark):
    if not delta_spark_serves(spark):
        pytest.skip("the pinned read is delta-spark's relation over a fixed file list")
    return spark


@pytest.fixture
def by_month(delta_spark, table) -> str:
    """400 rows in four month partitions."""
    rows = delta_spark.range(400).selectExpr("id", "cast(id % 4 as int) AS month")
    lakeshelf.write(rows.repartition(2), table, partition_by=["month"])
    return table


@pytest.fixture
def pinned_limit(spark):
    """Set spark.lakeshelf.read.pinnedPlanFiles for one test."""
    before = spark.conf.get(LIMIT, None)

    def set_limit(files: int | str) -> None:
        spark.conf.set(LIMIT, str(files))

    yield set_limit
    if before is None:
        spark.conf.unset(LIMIT)
    else:
        spark.conf.set(LIMIT, before)


def plan_of(frame) -> str:
    return frame._jdf.queryExecution().executedPlan().toString()


_groups = itertools.count()


def jobs_run_by(spark, action) -> list:
    """The Spark jobs (JobInfo) that ``action()`` started, in a job group of its own."""
    group = f"measured-{next(_groups)}"
    spark.sparkContext.setJobGroup(group, "measured")
    try:
        action()
        tracker = spark.sparkContext.statusTracker()
        jobs = [tracker.getJobInfo(j) for j in tracker.getJobIdsForGroup(group)]
        return [job for job in jobs if job is not None]
    finally:
        spark.sparkContext.setLocalProperty("spark.jobGroup.id", None)


def planning_jobs(spark, frame) -> list:
    """The Spark jobs that planning ``frame`` (not running it) started."""
    return jobs_run_by(spark, lambda: plan_of(frame))


def test_partition_filter_on_a_small_version_is_planned_without_a_spark_job(delta_spark, by_month):
    """The pinned relation prunes partitions in the driver; format("delta") runs a job to plan
    the same filter (which is what the pinned read saves)."""
    spark = delta_spark
    pinned_read = lakeshelf.read(by_month, spark=spark)
    planned_read = spark.read.format("delta").load(by_month)
    for frame in (pinned_read, planned_read):
        frame.count()  # versions resolved and states loaded before the measured planning

    assert "TahoeBatchFileIndex" in plan_of(pinned_read)
    assert planning_jobs(spark, pinned_read.where("month = 3")) == []
    assert planning_jobs(spark, planned_read.where("month = 3")) != []

    march = pinned_read.where("month = 3")
    files = DeltaTable(by_month).file_uris()
    in_march = [f for f in files if "/month=3/" in f]
    assert 0 < len(in_march) < len(files)
    assert files_scanned(march) == len(in_march)
    assert sorted(r.id for r in march.collect()) == list(range(3, 400, 4))


def test_every_version_reads_the_rows_format_delta_reads(delta_spark, tmp_path):
    """Pinned and planned reads agree on a table with deletion vectors, column mapping, a
    renamed and a dropped column, an overwrite, on every version and under a filter."""
    spark, path = delta_spark, str(tmp_path / "dml")
    spark.sql(
        f"CREATE TABLE delta.`{path}` (id BIGINT, part INT, name STRING) USING delta"
        " PARTITIONED BY (part) TBLPROPERTIES ('delta.enableDeletionVectors' = 'true',"
        " 'delta.columnMapping.mode' = 'name')"
    )
    spark.sql(f"INSERT INTO delta.`{path}` SELECT id, id % 3, CAST(id AS STRING) FROM range(60)")
    spark.sql(f"DELETE FROM delta.`{path}` WHERE id % 7 = 0")
    spark.sql(f"ALTER TABLE delta.`{path}` RENAME COLUMN name TO label")
    spark.sql(f"UPDATE delta.`{path}` SET label = 'u' WHERE id < 10")
    spark.sql(f"ALTER TABLE delta.`{path}` DROP COLUMN label")
    spark.sql(f"INSERT INTO delta.`{path}` SELECT id, id % 3 FROM range(100, 110)")
    assert "deletionVectors" in lakeshelf.detail(path, version=2).reader_features

    latest = lakeshelf.history(path)[0].version
    for version in range(1, latest + 1):
        ours = lakeshelf.read(path, version=version, spark=spark)
        theirs = spark.read.format("delta").option("versionAsOf", version).load(path)
        assert "TahoeBatchFileIndex" in plan_of(ours), version
        assert ours.columns == theirs.columns
        assert sorted(ours.collect()) == sorted(theirs.collect()), version
        where = "part = 1 AND id > 20"
        assert sorted(ours.where(where).collect()) == sorted(theirs.where(where).collect())


def test_large_and_unpartitioned_versions_keep_delta_statistics_skipping(
    delta_spark, table, pinned_limit
):
    """Pinned, every file of the partition is opened for a data-column filter (row groups are
    skipped, files are not); above the limit, and on unpartitioned tables, format("delta")
    skips files by their statistics."""
    spark = delta_spark
    for start in range(0, 1000, 200):  # five files of ids start..start+199, one partition
        lakeshelf.write(
            spark.range(start, start + 200).selectExpr("id", "0 AS p"), table, partition_by=["p"]
        )
    narrow = "id BETWEEN 420 AND 430"

    pinned_limit(5)
    kept = lakeshelf.read(table, spark=spark).where(narrow)
    assert "TahoeBatchFileIndex" in plan_of(kept) and files_scanned(kept) == 5
    pinned_limit(4)
    skipped = lakeshelf.read(table, spark=spark).where(narrow)
    assert "TahoeBatchFileIndex" not in plan_of(skipped) and files_scanned(skipped) == 1
    pinned_limit(0)  # 0 turns pinning off
    assert "TahoeBatchFileIndex" not in plan_of(lakeshelf.read(table, spark=spark))
    assert sorted(kept.collect()) == sorted(skipped.collect()) == [(i, 0) for i in range(420, 431)]

    pinned_limit(128)
    flat = f"{table}-flat"
    for start in range(0, 1000, 200):
        lakeshelf.write(spark.range(start, start + 200), flat)
    unpartitioned = lakeshelf.read(flat, spark=spark).where(narrow)
    assert "TahoeBatchFileIndex" not in plan_of(unpartitioned)
    assert files_scanned(unpartitioned) == 1


def test_a_version_delta_spark_cannot_pin_is_read_through_format_delta(
    delta_spark, by_month, monkeypatch
):
    """An internal delta-spark API that moved (py4j answers a missing method with an error)
    costs the pinning, not the read."""

    def moved(*_args):
        raise AttributeError("createDataFrame does not exist in the JVM")

    monkeypatch.setattr(pinned, "_resolve", moved)
    frame = lakeshelf.read(by_month, spark=delta_spark)
    assert "TahoeBatchFileIndex" not in plan_of(frame)
    assert sorted(r.id for r in frame.where("month = 1").collect()) == list(range(1, 400, 4))


def test_a_table_written_again_at_the_same_path_is_not_served_from_the_cache(delta_spark, table):
    """Version 0 of a deleted and rewritten table is other files: the cache keys on them."""
    spark = delta_spark

    def write(first: int, last: int) -> None:
        rows = spark.range(first, last).selectExpr("id", "id % 2 AS p")
        lakeshelf.write(rows, table, partition_by=["p"])

    write(0, 5)
    assert sorted(r.id for r in lakeshelf.read(table, spark=spark).collect()) == list(range(5))
    shutil.rmtree(table)
    write(100, 103)
    again = lakeshelf.read(table, spark=spark, version=0)
    assert "TahoeBatchFileIndex" in plan_of(again)
    assert sorted(r.id for r in again.collect()) == [100, 101, 102]


def test_a_pinned_read_leaves_the_tables_current_state_cached_for_format_delta(
    delta_spark, by_month
):
    """Pinning the latest version must not release the state format("delta") plans from:
    loading and planning its partition filter runs no more stages after a pinned read."""
    spark = delta_spark

    def stages_to_plan_a_format_delta_read() -> int:
        def load_and_plan() -> None:
            plan_of(spark.read.format("delta").load(by_month).where("month = 3"))

        return sum(len(job.stageIds) for job in jobs_run_by(spark, load_and_plan))

    stages_to_plan_a_format_delta_read()
    before = stages_to_plan_a_format_delta_read()
    pinned.forget()
    assert "TahoeBatchFileIndex" in plan_of(lakeshelf.read(by_month, spark=spark))
    assert 0 < stages_to_plan_a_format_delta_read() <= before


@pytest.mark.parametrize("setting", ["many", "-1", "1.5"])
def test_a_read_setting_that_is_not_a_whole_number_is_a_config_error(
    delta_spark, by_month, pinned_limit, setting
):
    """A mistyped tuning knob is reported by name (exit 2), not silently read another way."""
    pinned_limit(setting)
    with pytest.raises(ConfigError, match=f"{LIMIT} is '{setting}'"):
        lakeshelf.read(by_month, spark=delta_spark)
