"""lakeshelf.write: one Spark job, one delta-rs commit, nothing visible or referenced on failure."""

from __future__ import annotations

import glob
import json
import os
from urllib.parse import unquote

import pytest
from deltalake import DeltaTable

import lakeshelf
from helpers import commit_info, commit_path, log_listing


def referenced(uri, version=None):
    """Absolute paths of the data files a version references."""
    return {
        unquote(u.removeprefix("file://")) for u in DeltaTable(uri, version=version).file_uris()
    }


def parquet_files(uri):
    return {p for p in glob.glob(f"{uri}/**/*.parquet", recursive=True) if "/_staging/" not in p}


def test_append_and_overwrite_create_versions(spark, table):
    df = spark.range(100).selectExpr("id", "id * 2 as doubled")
    assert lakeshelf.write(df, table) == 0
    assert lakeshelf.write(df, table) == 1
    assert lakeshelf.read(table, spark=spark).count() == 200
    assert lakeshelf.write(df.limit(7), table, mode="overwrite") == 2
    assert lakeshelf.read(table, spark=spark).count() == 7
    assert lakeshelf.read(table, version=1, spark=spark).count() == 200


def test_commit_info_records_operation_engine_app_id_and_caller_metadata(spark, table):
    lakeshelf.write(spark.range(3), table, metadata={"run": "nightly-42", "rows": 3})
    info = commit_info(table, 0)
    ours = info["lakeshelf"]
    assert ours["engine"] == f"lakeshelf/{lakeshelf.__version__}"
    assert ours["operation"] == "WRITE" and ours["mode"] == "append"
    assert ours["sparkAppId"] == spark.sparkContext.applicationId
    assert ours["metadata"] == {"run": "nightly-42", "rows": 3}
    assert json.loads(info["userMetadata"]) == {"run": "nightly-42", "rows": 3}
    assert ours["metrics"]["numOutputRows"] == 3


def test_add_actions_carry_statistics_and_partition_values(spark, table):
    df = spark.range(20).selectExpr("id", "cast(id % 2 as int) as part", "cast(id as string) as s")
    lakeshelf.write(df, table, partition_by=["part"])
    with open(commit_path(table, 0)) as commit:
        adds = [json.loads(line)["add"] for line in commit if '"add"' in line]
    assert {a["partitionValues"]["part"] for a in adds} == {"0", "1"}
    for part in (0, 1):
        stats = [json.loads(a["stats"]) for a in adds if a["partitionValues"]["part"] == str(part)]
        assert sum(s["numRecords"] for s in stats) == 10
        assert all(s["nullCount"] == {"id": 0, "s": 0} for s in stats)
        assert min(s["minValues"]["id"] for s in stats) == part
        assert max(s["maxValues"]["id"] for s in stats) == 18 + part
    assert all(os.path.exists(os.path.join(table, a["path"])) for a in adds)


def test_failed_job_leaves_previous_version_and_no_referenced_or_stray_files(spark, table):
    from pyspark.sql import functions as F
    from pyspark.sql.types import LongType

    lakeshelf.write(spark.range(10), table)
    before = parquet_files(table)

    @F.udf(LongType())
    def explode_on_77(value):
        if value == 77:
            raise ValueError("bad row 77")
        return value

    bad = spark.range(100).select(explode_on_77("id").alias("id"))
    with pytest.raises(lakeshelf.WriteError, match="unchanged"):
        lakeshelf.write(bad, table)
    assert log_listing(table).latest == 0
    assert lakeshelf.read(table, spark=spark).count() == 10
    assert parquet_files(table) == before
    assert not glob.glob(f"{table}/_staging/*")


def test_retried_task_attempts_commit_each_row_exactly_once(spark, table):
    from pyspark import TaskContext
    from pyspark.sql import functions as F
    from pyspark.sql.types import LongType

    @F.udf(LongType())
    def fail_first_attempt(value):
        context = TaskContext.get()
        if context.attemptNumber() == 0 and value % 250 == 249:
            raise RuntimeError("first attempt dies after writing some rows")
        return value

    df = spark.range(0, 1000, numPartitions=4).select(fail_first_attempt("id").alias("id"))
    version = lakeshelf.write(df, table)
    got = sorted(r.id for r in lakeshelf.read(table, spark=spark).collect())
    assert got == list(range(1000))
    committed = referenced(table, version)
    assert all(os.path.exists(p) for p in committed)
    assert parquet_files(table) == committed


def test_append_with_different_schema_is_refused_with_a_diff(spark, table):
    lakeshelf.write(spark.range(3), table)
    other = spark.range(3).selectExpr("cast(id as string) as id", "1 as extra")
    with pytest.raises(lakeshelf.SchemaMismatchError) as info:
        lakeshelf.write(other, table)
    assert "id: table has bigint, data has string" in str(info.value)
    assert "+ extra" in str(info.value)
    assert log_listing(table).latest == 0


def test_merge_adds_nullable_columns(spark, table):
    lakeshelf.write(spark.range(3), table)
    version = lakeshelf.write(
        spark.range(3, 5).selectExpr("id", "'x' as tag"), table, schema_mode="merge"
    )
    assert version == 2
    assert [h.operation for h in lakeshelf.history(table)] == ["WRITE", "ADD COLUMNS", "WRITE"]
    assert lakeshelf.read(table, version=1, spark=spark).count() == 3
    got = sorted((r.id, r.tag) for r in lakeshelf.read(table, spark=spark).collect())
    assert got == [(0, None), (1, None), (2, None), (3, "x"), (4, "x")]
    assert lakeshelf.read(table, version=0, spark=spark).columns == ["id"]


def test_overwrite_schema_and_partitioning_needs_schema_mode_overwrite(spark, table):
    lakeshelf.write(spark.range(4).selectExpr("id", "id % 2 as p"), table, partition_by="p")
    new = spark.range(3).selectExpr("cast(id as string) as name", "id % 3 as q")
    with pytest.raises(lakeshelf.SchemaMismatchError):
        lakeshelf.write(new, table, mode="overwrite", partition_by="q")
    lakeshelf.write(new, table, mode="overwrite", partition_by="q", schema_mode="overwrite")
    assert lakeshelf.detail(table).partition_columns == ["q"]
    assert sorted(lakeshelf.read(table, spark=spark).columns) == ["name", "q"]
    assert sorted(lakeshelf.read(table, version=0, spark=spark).columns) == ["id", "p"]


def test_partition_mismatch_on_append_is_refused(spark, table):
    lakeshelf.write(spark.range(4).selectExpr("id", "id % 2 as p"), table, partition_by="p")
    with pytest.raises(lakeshelf.SchemaMismatchError, match="partitioned by"):
        lakeshelf.write(spark.range(4).selectExpr("id", "id % 2 as p"), table, partition_by="id")


def test_empty_dataframe_creates_a_version_with_the_schema(spark, table):
    empty = spark.range(0).selectExpr("id", "cast(id as string) as s")
    assert lakeshelf.write(empty, table) == 0
    df = lakeshelf.read(table, spark=spark)
    assert df.count() == 0 and df.columns == ["id", "s"]


def test_app_transaction_is_recorded_with_the_commit(spark, table):
    lakeshelf.write(spark.range(2), table, app_transaction=("ingest-flights", 7))
    dt = DeltaTable(table)
    assert dt.transaction_version("ingest-flights") == 7


def test_writing_to_a_column_mapped_table_is_refused(spark, golden_copy):
    uri = golden_copy("table-with-columnmapping-mode-name")
    df = lakeshelf.read(uri, spark=spark)
    with pytest.raises(lakeshelf.UnsupportedFeatureError, match="columnMapping"):
        lakeshelf.write(df, uri)
    assert log_listing(uri).latest == 0


def test_appending_to_a_delta_spark_table_keeps_its_history(spark, golden_copy):
    uri = golden_copy("snapshot-data3")
    df = spark.createDataFrame([(100, "lakeshelf")], "col1 int, col2 string")
    assert lakeshelf.write(df, uri) == 4
    assert lakeshelf.read(uri, spark=spark).count() == 31
    assert lakeshelf.read(uri, version=3, spark=spark).count() == 30


def test_nulls_in_a_not_null_column_are_refused(spark, table):
    lakeshelf.write(spark.range(3), table)  # spark.range's id is NOT NULL
    with_null = spark.createDataFrame([(1,), (None,)], "id long")
    with pytest.raises(lakeshelf.SchemaMismatchError, match="NOT NULL"):
        lakeshelf.write(with_null, table)
    assert log_listing(table).latest == 0
    assert parquet_files(table) == referenced(table)


def test_small_writes_leave_one_file_per_partition(spark, table):
    """A 10-row append is one file, not one per Spark task; a partitioned one, one per value."""
    rows = spark.createDataFrame([(i, i % 2) for i in range(10)], "id long, p int").repartition(4)
    lakeshelf.write(rows.drop("p"), table)
    assert len(DeltaTable(table).file_uris()) == 1
    partitioned = table + "_p"
    lakeshelf.write(rows, partitioned, partition_by="p")
    files = DeltaTable(partitioned).file_uris()
    assert sorted(f.split("/")[-2] for f in files) == ["p=0", "p=1"]


def test_writes_above_the_small_write_size_keep_spark_s_parallelism(spark, table):
    spark.conf.set("spark.lakeshelf.write.smallWriteBytes", "100")  # 100 rows are 800 bytes
    try:
        lakeshelf.write(spark.range(0, 100, numPartitions=3), table)
        spark.conf.set("spark.lakeshelf.write.smallWriteBytes", "0")  # off: even for unknown sizes
        rows = spark.createDataFrame([(i,) for i in range(10)], "id long").repartition(2)
        lakeshelf.write(rows, table)
    finally:
        spark.conf.unset("spark.lakeshelf.write.smallWriteBytes")
    assert len(DeltaTable(table).file_uris()) == 3 + 2


def test_arrow_rows_append_to_a_spark_written_table_without_a_spark_job(spark, table):
    """Rows already in Python are written by the driver: one file, no Spark job, and the
    version reads back the same through lakeshelf, delta-spark's format and delta-rs."""
    import pyarrow as pa

    lakeshelf.write(spark.range(5).selectExpr("id", "if(id > 9, NULL, id * 2) AS v"), table)
    rows = pa.table({"id": pa.array([10, 11, 12], pa.int64()), "v": pa.array([20, None, 24])})
    tracker = spark.sparkContext.statusTracker()
    jobs_before = len(tracker.getJobIdsForGroup(None))
    version = lakeshelf.write(rows, table)
    assert len(tracker.getJobIdsForGroup(None)) == jobs_before  # the driver wrote it
    assert version == 1
    added = referenced(table, 1) - referenced(table, 0)
    assert len(added) == 1
    expected = [(i, i * 2) for i in range(5)] + [(10, 20), (11, None), (12, 24)]
    assert sorted(tuple(r) for r in lakeshelf.read(table, spark=spark).collect()) == sorted(
        expected, key=lambda r: r[0]
    )
    by_format = spark.read.format("delta").option("versionAsOf", 1).load(table)
    assert sorted(tuple(r) for r in by_format.collect()) == sorted(expected, key=lambda r: r[0])
    assert DeltaTable(table).to_pyarrow_table().num_rows == 8
    assert commit_info(table, 1)["lakeshelf"]["metrics"]["numOutputRows"] == 3


def test_pandas_rows_go_to_their_partitions_in_the_table_s_types(spark, table):
    import pandas as pd

    lakeshelf.write(
        spark.range(4).selectExpr("cast(id AS int) AS part", "if(id > 9, NULL, string(id)) AS s"),
        table,
        partition_by="part",
    )
    lakeshelf.write(pd.DataFrame({"part": [1, 1, 2], "s": ["x", "y", None]}), table)
    added = referenced(table, 1) - referenced(table, 0)
    assert sorted(os.path.basename(os.path.dirname(p)) for p in added) == ["part=1", "part=2"]
    frame = lakeshelf.read(table, spark=spark)
    assert dict(frame.dtypes) == {"part": "int", "s": "string"}  # int64 rows, int column
    assert sorted(tuple(r) for r in frame.where("part = 1").collect()) == [
        (1, "1"),
        (1, "x"),
        (1, "y"),
    ]
    assert [tuple(r) for r in frame.where("part = 2 AND s IS NULL").collect()] == [(2, None)]


def test_arrow_rows_that_do_not_fit_the_table_are_refused_before_anything_is_written(spark, table):
    import pyarrow as pa

    from lakeshelf.errors import SchemaMismatchError

    lakeshelf.write(spark.range(3).selectExpr("id", "cast(id AS string) AS s"), table)
    before = parquet_files(table)
    with pytest.raises(SchemaMismatchError, match="schema"):
        lakeshelf.write(pa.table({"id": [1], "s": [1.5], "extra": [True]}), table)
    with pytest.raises(SchemaMismatchError, match="do not fit"):
        lakeshelf.write(pa.table({"id": ["not a number"], "s": ["a"]}), table)
    with pytest.raises(SchemaMismatchError, match="null"):  # id is NOT NULL
        lakeshelf.write(pa.table({"id": pa.array([None], pa.int64()), "s": ["a"]}), table)
    assert parquet_files(table) == before and DeltaTable(table).version() == 0


def test_arrow_rows_are_audited_and_committed_exactly_once(spark, table):
    import pyarrow as pa

    from lakeshelf.errors import GateFailedError

    rows = pa.table({"id": pa.array([1, 2], pa.int64())})

    def refuse(staged):
        assert staged.count() == 2  # the audit sees exactly the staged rows, through Spark
        raise GateFailedError("refused")

    with pytest.raises(GateFailedError):
        lakeshelf.write(rows, table, audit=refuse)
    assert not os.path.exists(os.path.join(table, "_delta_log"))
    assert glob.glob(f"{table}/_refused/*/*.parquet")
    assert lakeshelf.write(rows, table, app_transaction=("feed", 7), audit=lambda s: {"ok": 1}) == 0
    assert DeltaTable(table).transaction_version("feed") == 7


def test_arrow_timestamps_keep_their_meaning_and_unsigned_types_are_refused(spark, table):
    """An instant (with a time zone) stays a Delta timestamp, a wall-clock time (without one)
    becomes timestamp_ntz with the table feature it needs; nanoseconds become microseconds."""
    import datetime as dt

    import pyarrow as pa

    from lakeshelf.errors import SchemaMismatchError

    instant = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.timezone.utc)
    rows = pa.table(
        {
            "at": pa.array([instant], pa.timestamp("us", tz="Europe/Paris")),
            "wall": pa.array([dt.datetime(2026, 1, 1, 12, 0)], pa.timestamp("ns")),
        }
    )
    lakeshelf.write(rows, table)
    assert "timestampNtz" in (DeltaTable(table).protocol().reader_features or [])
    frame = lakeshelf.read(table, spark=spark)
    assert dict(frame.dtypes) == {"at": "timestamp", "wall": "timestamp_ntz"}
    row = frame.selectExpr("unix_micros(at) AS at", "string(wall) AS wall").first()
    assert row.at == int(instant.timestamp() * 1_000_000)
    assert row.wall == "2026-01-01 12:00:00"
    with pytest.raises(SchemaMismatchError, match="uint32"):
        lakeshelf.write(pa.table({"u": pa.array([1], pa.uint32())}), table + "-unsigned")
