"""history, restore and detail."""

from __future__ import annotations

import pytest

import lakeshelf


def test_history_lists_versions_newest_first_with_metrics(spark, table):
    lakeshelf.write(spark.range(5), table, metadata={"note": "first"})
    lakeshelf.write(spark.range(3), table, mode="overwrite")
    entries = lakeshelf.history(table)
    assert [e.version for e in entries] == [1, 0]
    assert entries[0].parameters["mode"] == "overwrite"
    assert entries[0].metrics["numOutputRows"] == 3
    assert entries[1].user_metadata == {"note": "first"}
    assert entries[0].engine == f"lakeshelf/{lakeshelf.__version__}"
    assert entries[0].timestamp >= entries[1].timestamp
    assert len(lakeshelf.history(table, limit=1)) == 1


def test_history_of_a_delta_spark_table(golden):
    entries = lakeshelf.history(str(golden / "basic-with-inserts-overwrite-restore"))
    assert [e.version for e in entries] == [3, 2, 1, 0]
    assert entries[0].operation == "RESTORE"


def test_history_read_from_commit_files_equals_delta_rs_s_on_every_golden_table(
    golden, monkeypatch
):
    """history() reads each commit's commitInfo without replaying the log into a table state;
    on every table delta-spark wrote, its entries are exactly those of delta-rs's history."""
    from lakeshelf.storage import Location
    from lakeshelf.table import operations
    from lakeshelf.table.delta_log import open_table

    tables = sorted(p for p in golden.iterdir() if (p / "_delta_log").is_dir())
    assert len(tables) >= 9
    expected = {
        path.name: [operations._entry(i) for i in open_table(Location.of(str(path))).history()]
        for path in tables
    }

    def replayed(*args, **kwargs):
        raise AssertionError("history replayed the log into a table state")

    monkeypatch.setattr(operations, "open_table", replayed)
    for path in tables:
        location = Location.of(str(path))
        assert operations.history(location) == expected[path.name], path.name
        assert operations.history(location, limit=2) == expected[path.name][:2]


def test_restore_commits_a_new_version_equal_to_the_target(spark, table):
    lakeshelf.write(spark.range(5), table)
    lakeshelf.write(spark.range(100, 103), table, mode="overwrite")
    new_version = lakeshelf.restore(table, version=0)
    assert new_version == 2
    assert sorted(r.id for r in lakeshelf.read(table, spark=spark).collect()) == list(range(5))
    assert lakeshelf.history(table)[0].operation == "RESTORE"
    assert lakeshelf.history(table)[0].parameters["restoredVersion"] == 0


def test_restore_outside_history_is_refused(spark, table):
    lakeshelf.write(spark.range(5), table)
    with pytest.raises(lakeshelf.VersionNotFoundError):
        lakeshelf.restore(table, version=9)


def test_detail_reports_schema_partitioning_protocol_and_size(spark, table):
    df = spark.range(10).selectExpr("id", "id % 2 as p")
    lakeshelf.write(df, table, partition_by="p")
    info = lakeshelf.detail(table)
    assert info.version == 0
    assert info.partition_columns == ["p"]
    assert info.num_rows == 10 and info.num_files >= 2 and info.size_bytes > 0
    assert (info.min_reader_version, info.min_writer_version) == (1, 2)
    assert '"name":"id"' in info.schema_json


def test_detail_of_a_deletion_vector_table_names_the_feature(golden):
    info = lakeshelf.detail(str(golden / "dv-partitioned-with-checkpoint"))
    assert "deletionVectors" in info.reader_features
    assert info.version == 15
