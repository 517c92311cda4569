"""lakeshelf.read: versions and timestamps resolve exactly, or fail naming what exists."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from deltalake import DeltaTable
from tools.spark_metrics import files_scanned

import lakeshelf
from helpers import READ_ENGINES, commit_path
from lakeshelf.table.spark import delta_spark_serves

T0 = dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def three_versions(spark, table):
    """Versions 0, 1, 2 holding 1, 2, 3 rows, committed at T0, T0+1h, T0+2h."""
    for n in range(3):
        lakeshelf.write(spark.range(n, n + 1), table)
        stamp = (T0 + dt.timedelta(hours=n)).timestamp()
        os.utime(commit_path(table, n), (stamp, stamp))
    return table


def count(spark, uri, **at):
    return lakeshelf.read(uri, spark=spark, **at).count()


def test_read_by_version_and_latest(spark, three_versions):
    assert [count(spark, three_versions, version=v) for v in range(3)] == [1, 2, 3]
    assert count(spark, three_versions) == 3


def test_read_by_timestamp_takes_latest_version_at_or_before(spark, three_versions):
    uri = three_versions
    assert count(spark, uri, timestamp=T0) == 1
    assert count(spark, uri, timestamp="2026-03-01T10:59:59Z") == 1
    assert count(spark, uri, timestamp="2026-03-01T11:00:00Z") == 2
    assert count(spark, uri, timestamp="2026-03-01T13:30:00+02:00") == 2  # 11:30 UTC
    assert count(spark, uri, timestamp=dt.datetime(2026, 3, 2)) == 3  # naive means UTC


def test_version_outside_history_names_the_range(spark, three_versions):
    with pytest.raises(lakeshelf.VersionNotFoundError) as info:
        lakeshelf.read(three_versions, version=7, spark=spark)
    message = str(info.value)
    assert "version 7" in message and "0..2" in message and "2026-03-01T10:00:00" in message


def test_read_by_timestamp_before_first_commit_names_earliest_version(spark, three_versions):
    with pytest.raises(lakeshelf.VersionNotFoundError, match="before the table was created"):
        lakeshelf.read(three_versions, timestamp="2026-02-28T00:00:00Z", spark=spark)


def test_timestamp_in_the_future_is_refused(spark, three_versions):
    future = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)
    with pytest.raises(lakeshelf.VersionNotFoundError, match="future"):
        lakeshelf.read(three_versions, timestamp=future, spark=spark)


def test_cleaned_up_history_is_refused_not_clamped(spark, three_versions):
    uri = three_versions
    DeltaTable(uri).create_checkpoint()  # checkpoint at version 2
    for version in (0, 1):
        os.remove(commit_path(uri, version))
    with pytest.raises(lakeshelf.VersionNotFoundError, match="removed by log cleanup"):
        lakeshelf.read(uri, version=0, spark=spark)
    # delta-rs alone would answer with the earliest surviving version here; lakeshelf refuses.
    with pytest.raises(lakeshelf.VersionNotFoundError, match="removed by log cleanup"):
        lakeshelf.read(uri, timestamp=T0 + dt.timedelta(minutes=30), spark=spark)
    assert count(spark, uri, version=2) == 3


def test_missing_table_and_bad_arguments(spark, tmp_path, three_versions):
    with pytest.raises(lakeshelf.TableNotFoundError, match="no Delta table"):
        lakeshelf.read(str(tmp_path / "nothing"), spark=spark)
    with pytest.raises(lakeshelf.VersionNotFoundError, match="not a timestamp"):
        lakeshelf.read(three_versions, timestamp="last tuesday", spark=spark)
    with pytest.raises(lakeshelf.VersionNotFoundError, match="not both"):
        lakeshelf.read(three_versions, version=1, timestamp=T0, spark=spark)


def test_delta_format_time_travel_options(spark, three_versions):
    def delta():
        return spark.read.format("delta")

    assert delta().option("versionAsOf", 1).load(three_versions).count() == 2
    assert delta().option("timestampAsOf", "2026-03-01T11:30:00Z").load(three_versions).count() == 2
    assert spark.read.format("delta").load(three_versions).count() == 3


@pytest.mark.parametrize("engine", READ_ENGINES)
def test_partition_filter_reads_only_matching_partitions(spark, table, engine):
    """Both engines prune: a filter on the partition column opens that partition's files only."""
    rows = spark.range(400).selectExpr("id", "cast(id % 4 as int) AS month")
    lakeshelf.write(rows.repartition(2), table, partition_by=["month"])
    files = DeltaTable(table).file_uris()
    in_march = [f for f in files if "/month=3/" in f]
    assert 0 < len(in_march) < len(files)

    march = lakeshelf.read(table, spark=spark, engine=engine).where("month = 3")
    assert files_scanned(march) == len(in_march)
    assert sorted(r.id for r in march.collect()) == list(range(3, 400, 4))
    everything = lakeshelf.read(table, spark=spark, engine=engine)
    assert files_scanned(everything) == len(files)


@pytest.mark.parametrize("engine", READ_ENGINES)
def test_each_version_reads_only_its_own_files_from_shared_folders(spark, table, engine):
    """An overwrite leaves the earlier files in the same partition folders until vacuum; each
    version reads exactly its own files and rows, with and without a partition filter."""
    by_month = "cast(id % 4 as int) AS month"
    lakeshelf.write(spark.range(40).selectExpr("id", by_month), table, partition_by=["month"])
    later = spark.range(100, 140).selectExpr("id", by_month)
    lakeshelf.write(later, table, partition_by=["month"], mode="overwrite")
    files = {v: DeltaTable(table, version=v).file_uris() for v in (0, 1)}
    assert not set(files[0]) & set(files[1]) and all(os.path.exists(f) for f in files[0])

    for version, ids in ((0, range(40)), (1, range(100, 140))):
        frame = lakeshelf.read(table, version=version, spark=spark, engine=engine)
        assert sorted(r.id for r in frame.collect()) == list(ids)
        assert files_scanned(frame) == len(files[version])
        march = frame.where("month = 3")
        assert sorted(r.id for r in march.collect()) == [i for i in ids if i % 4 == 3]
        assert files_scanned(march) == len([f for f in files[version] if "/month=3/" in f])


def _served_by_delta_spark(frame) -> bool:
    plan = frame._jdf.queryExecution().executedPlan().toString()
    return "DeltaFileIndex" in plan or "TahoeBatchFileIndex" in plan


def test_small_versions_are_read_without_delta_spark_planning(spark, table):
    """Up to spark.lakeshelf.read.smallVersionBytes of data a version is read by lakeshelf's
    reader (delta-spark's planning jobs cost more than its whole scan); above it, delta-spark
    reads (tests/table/test_pinned_read.py covers how). Both give the same rows."""
    if not delta_spark_serves(spark):
        pytest.skip("the rule chooses between delta-spark and lakeshelf's reader")
    for start in range(0, 1000, 200):
        lakeshelf.write(spark.range(start, start + 200), table)
    size = sum(os.path.getsize(f) for f in DeltaTable(table).file_uris())
    key = "spark.lakeshelf.read.smallVersionBytes"
    before = spark.conf.get(key)
    try:
        spark.conf.set(key, str(size))
        small = lakeshelf.read(table, spark=spark).where("id BETWEEN 420 AND 430")
        assert not _served_by_delta_spark(small)
        assert files_scanned(small) == 5  # row groups, not files, are skipped here
        spark.conf.set(key, str(size - 1))
        large = lakeshelf.read(table, spark=spark).where("id BETWEEN 420 AND 430")
        assert _served_by_delta_spark(large)
        assert sorted(small.collect()) == sorted(large.collect()) == [(i,) for i in range(420, 431)]
    finally:
        spark.conf.set(key, before)
