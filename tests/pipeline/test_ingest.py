"""Extract + load: incremental, exactly once, malformed rows quarantined, counts reconciled."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import lakeshelf
from helpers import commit_info, log_listing
from lakeshelf.errors import DataRejectedError
from lakeshelf.pipeline import ingest

CSV = {
    "layer": "bronze",
    "source": {
        "path": "./raw/in/*.csv",
        "format": "csv",
        "options": {"header": True, "nullValue": "NA"},
    },
    "schema": {"id": "int", "name": "string", "amount": "double", "day": "date"},
    "max_bad_fraction": 0.5,
}
GOOD = "id,name,amount,day\n1,ann,1.5,2026-01-01\n2,bob,NA,2026-01-02\n"


def rows(spark, uri, *columns, **at):
    df = lakeshelf.read(uri, spark=spark, **at)
    return sorted(tuple(r) for r in df.select(*(columns or df.columns)).collect())


def test_loads_new_files_once_with_ingestion_columns(spark, project_factory, raw):
    project = project_factory({"things": CSV})
    raw("in/a.csv", GOOD)
    first = ingest(project, "things", spark=spark)
    assert (first.version, first.rows_read, first.rows_loaded, first.rows_quarantined) == (
        0,
        2,
        2,
        0,
    )
    uri = project.table_uri("things")
    df = lakeshelf.read(uri, spark=spark)
    assert df.columns == [
        "id",
        "name",
        "amount",
        "day",
        "_source_file",
        "_ingested_at",
        "_batch_id",
    ]
    assert {r._source_file for r in df.collect()} == {str(raw("in/a.csv", GOOD))}
    assert rows(spark, uri, "id", "name", "amount") == [(1, "ann", 1.5), (2, "bob", None)]

    again = ingest(project, "things", spark=spark)
    assert again.version is None and again.already_loaded == 1
    assert log_listing(uri).latest == 0

    raw("in/b.csv", "id,name,amount,day\n3,cy,3.0,2026-01-03\n")
    third = ingest(project, "things", spark=spark)
    assert third.version == 1 and third.files == [
        str(raw("in/b.csv", "id,name,amount,day\n3,cy,3.0,2026-01-03\n"))
    ]
    assert [r[0] for r in rows(spark, uri, "id")] == [1, 2, 3]
    assert rows(spark, uri, "_batch_id") == [(1,), (1,), (2,)]


def test_json_lines_and_parquet_sources(spark, project_factory, raw, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = {"id": "int", "name": "string"}
    json_cfg = {
        "layer": "bronze",
        "source": {"path": "./raw/j/*.jsonl", "format": "json"},
        "schema": schema,
    }
    parquet_cfg = {
        "layer": "bronze",
        "source": {"path": "./raw/p/*.parquet", "format": "parquet"},
        "schema": schema,
    }
    project = project_factory({"j": json_cfg, "p": parquet_cfg})
    raw("j/1.jsonl", '{"id": 1, "name": "a"}\n{"id": 2}\n')
    (tmp_path / "raw" / "p").mkdir(parents=True)
    pq.write_table(
        pa.table({"id": pa.array([5, 6], pa.int32()), "name": ["e", "f"]}),
        tmp_path / "raw/p/x.parquet",
    )
    assert ingest(project, "j", spark=spark).rows_loaded == 2
    assert rows(spark, project.table_uri("j"), "id", "name") == [(1, "a"), (2, None)]
    assert ingest(project, "p", spark=spark).rows_loaded == 2
    assert rows(spark, project.table_uri("p"), "id", "name") == [(5, "e"), (6, "f")]


def test_malformed_csv_rows_are_quarantined_with_line_and_reason(spark, project_factory, raw):
    project = project_factory({"things": {**CSV, "max_bad_fraction": 0.7}})
    text = (
        "id,name,amount,day\n"
        "1,ann,1.5,2026-01-01\n"  # line 2 good
        "x,bob,2.0,2026-01-02\n"  # line 3 bad int
        "3,cy\n"  # line 4 too few fields
        '4,"dee,4.0,2026-01-04\n'  # line 5 bad quoting
        "5,eve,5.0,2026-01-05,extra\n"  # line 6 too many fields
        "6,fay,6.0,2026-01-06\n"  # line 7 good
    )
    path = raw("in/a.csv", text.encode() + b"7,g\xe9,7.0,2026-01-07\n8,hal,8.0,2026-01-08\n")
    result = ingest(project, "things", spark=spark)
    assert result.rows_read == 8
    assert (result.rows_loaded, result.rows_quarantined) == (3, 5)  # lines 2, 7, 9 are good
    assert result.rows_loaded + result.rows_quarantined == result.rows_read
    quarantined = {
        r.line: r
        for r in lakeshelf.read(project.malformed_table("things").uri, spark=spark).collect()
    }
    assert sorted(quarantined) == [3, 4, 5, 6, 8]
    assert all(r.source_file == str(path) and r.batch_id == 1 for r in quarantined.values())
    assert quarantined[3].raw == "x,bob,2.0,2026-01-02"
    assert "column id" in quarantined[3].reason and "'x'" in quarantined[3].reason
    assert quarantined[4].reason == "expected 4 fields, found 2"
    assert "expected 4 fields" in quarantined[5].reason or "quot" in quarantined[5].reason
    assert quarantined[6].reason == "expected 4 fields, found 5"
    assert quarantined[8].reason.startswith("not valid UTF-8 text")
    assert quarantined[8].raw == "7,g\ufffd,7.0,2026-01-07"
    assert [r[0] for r in rows(spark, project.table_uri("things"), "id")] == [1, 6, 8]


def test_malformed_json_lines_are_quarantined(spark, project_factory, raw):
    cfg = {
        "layer": "bronze",
        "source": {"path": "./raw/j/*.jsonl", "format": "json"},
        "schema": {"id": "int", "name": "string"},
        "max_bad_fraction": 0.9,
    }
    project = project_factory({"j": cfg})
    raw("j/1.jsonl", '{"id": 1, "name": "a"}\n{"id": "two"}\nnot json\n[1, 2]\n')
    result = ingest(project, "j", spark=spark)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 1, 3)
    reasons = {
        r.line: r.reason
        for r in lakeshelf.read(project.malformed_table("j").uri, spark=spark).collect()
    }
    assert "field id" in reasons[2]
    assert reasons[3].startswith("invalid JSON")
    assert "must be an object" in reasons[4]


def test_too_many_bad_rows_commit_nothing_and_leave_files_unloaded(spark, project_factory, raw):
    project = project_factory({"things": {**CSV, "max_bad_fraction": 0.1}})
    raw("in/a.csv", "id,name,amount,day\n1,ann,1.5,2026-01-01\nbad,row,x,y\n")
    with pytest.raises(DataRejectedError, match="max_bad_fraction") as info:
        ingest(project, "things", spark=spark)
    assert "a.csv:3" in str(info.value)
    assert log_listing(project.table_uri("things")) is None
    assert log_listing(project.malformed_table("things").uri) is None
    raw("in/a.csv", GOOD)  # fixed at the source: the next run loads it
    assert ingest(project, "things", spark=spark).rows_loaded == 2


def test_empty_header_only_files_and_changed_files_are_reported(spark, project_factory, raw):
    project = project_factory({"things": CSV})
    raw("in/a.csv", GOOD)
    raw("in/empty.csv", "")
    raw("in/header.csv", "id,name,amount,day\n")
    result = ingest(project, "things", spark=spark)
    assert result.rows_loaded == 2
    assert any("empty.csv is empty" in n for n in result.notes)
    assert any("header.csv has a header and no rows" in n for n in result.notes)
    raw("in/a.csv", GOOD + "9,zed,9.0,2026-01-09\n")  # changed after loading
    second = ingest(project, "things", spark=spark)
    assert second.version is None
    assert second.changed_files == [str(raw("in/a.csv", GOOD + "9,zed,9.0,2026-01-09\n"))]
    assert any("changed after it was loaded" in n for n in second.notes)
    assert lakeshelf.read(project.table_uri("things"), spark=spark).count() == 2


def test_strict_policy_refuses_drift_with_a_readable_diff(spark, project_factory, raw):
    project = project_factory({"things": CSV})
    raw("in/a.csv", "id,name,amount,day,colour\n1,ann,1.5,2026-01-01,red\n")
    raw("in/b.csv", "id,name,day\n2,bob,2026-01-02\n")
    with pytest.raises(DataRejectedError) as info:
        ingest(project, "things", spark=spark)
    message = str(info.value)
    assert "+ colour (in the file, not declared)" in message
    assert "- amount (declared, missing from the file)" in message
    assert log_listing(project.table_uri("things")) is None


def test_additive_policy_adds_new_columns_and_records_it(spark, project_factory, raw):
    project = project_factory({"things": {**CSV, "schema_policy": "additive"}})
    raw("in/a.csv", GOOD)
    ingest(project, "things", spark=spark)
    raw("in/b.csv", "id,name,amount,day,colour\n3,cy,3.0,2026-01-03,red\n")
    result = ingest(project, "things", spark=spark)
    assert result.new_columns == ["colour"]
    uri = project.table_uri("things")
    assert [e.operation for e in lakeshelf.history(uri)][:2] == ["WRITE", "ADD COLUMNS"]
    assert rows(spark, uri, "id", "colour") == [(1, None), (2, None), (3, "red")]


def test_columns_in_a_different_order_are_matched_by_header(spark, project_factory, raw):
    project = project_factory({"things": CSV})
    raw("in/a.csv", "day,amount,name,id\n2026-01-01,1.5,ann,1\n")
    ingest(project, "things", spark=spark)
    assert rows(spark, project.table_uri("things"), "id", "name", "amount") == [(1, "ann", 1.5)]


def run_cli_crashing(project, dataset, point):
    env = {**os.environ, "LAKESHELF_CRASH_AT": point}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "lakeshelf.cli.main",
            "ingest",
            dataset,
            "--conf",
            str(project.conf_dir),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
@pytest.mark.parametrize("point", ["before-commit", "after-commit"])
def test_crash_then_rerun_loads_every_file_exactly_once(spark, project_factory, raw, point):
    project = project_factory({"things": CSV})
    raw("in/a.csv", GOOD)
    crashed = run_cli_crashing(project, "things", point)
    assert crashed.returncode == 137, crashed.stderr[-2000:]
    uri = project.table_uri("things")
    committed = log_listing(uri) is not None
    assert committed == (point == "after-commit")
    raw("in/b.csv", "id,name,amount,day\n3,cy,3.0,2026-01-03\n")
    ingest(project, "things", spark=spark)
    assert [r[0] for r in rows(spark, uri, "id")] == [1, 2, 3]
    assert ingest(project, "things", spark=spark).version is None


@pytest.mark.slow
def test_crash_between_quarantine_and_data_commit_quarantines_once(spark, project_factory, raw):
    project = project_factory({"things": CSV})
    raw("in/a.csv", GOOD + "bad,row,x,2026-01-09\n")
    crashed = run_cli_crashing(project, "things", "after-quarantine")
    assert crashed.returncode == 137, crashed.stderr[-2000:]
    assert log_listing(project.table_uri("things")) is None
    assert lakeshelf.read(project.malformed_table("things").uri, spark=spark).count() == 1
    raw("in/b.csv", "id,name,amount,day\n3,cy,3.0,2026-01-03\n")  # arrives before the re-run
    finishing = ingest(project, "things", spark=spark)
    assert finishing.batch_id == 1 and len(finishing.files) == 1
    assert lakeshelf.read(project.malformed_table("things").uri, spark=spark).count() == 1
    nxt = ingest(project, "things", spark=spark)
    assert nxt.batch_id == 2
    assert [r[0] for r in rows(spark, project.table_uri("things"), "id")] == [1, 2, 3]
    info = commit_info(project.table_uri("things"), 0)
    assert json.dumps(info["lakeshelf"]["metadata"]["ingest"]["files"]).count("a.csv") == 1


@pytest.mark.slow
def test_sigkill_while_data_files_are_written_then_rerun_loads_exactly_once(
    spark, project_factory, raw
):
    from helpers import kill_ingest_when

    project = project_factory({"things": CSV})
    body = "".join(f"{i},n{i},{i}.5,2026-01-01\n" for i in range(400_000))
    raw("in/big.csv", "id,name,amount,day\n" + body)
    staging = os.path.join(project.table_uri("things"), "_staging")

    def writing() -> bool:  # Spark's output committer has started writing task files
        return any("_temporary" in folder for folder, _, _ in os.walk(staging))

    kill_ingest_when(project.conf_dir, "things", writing)

    uri = project.table_uri("things")
    assert log_listing(uri) is None  # killed mid-write: no version
    first = ingest(project, "things", spark=spark)
    assert first.version == 0 and first.rows_loaded == 400_000
    assert ingest(project, "things", spark=spark).version is None
    df = lakeshelf.read(uri, spark=spark)
    assert df.count() == 400_000 and df.select("id").distinct().count() == 400_000
