"""Compacting a dataset is a registered publish of the same rows; tags and vacuum keep working."""

from __future__ import annotations

import pytest
from deltalake import DeltaTable

import lakeshelf
from helpers import run, sorted_rows
from lakeshelf import registry
from lakeshelf.errors import ConfigError
from lakeshelf.pipeline import ingest

DROPS = 4


def points_project(project_factory, **compaction):
    dataset = {
        "layer": "bronze",
        "source": {"path": "./raw/*.csv", "format": "csv", "options": {"header": True}},
        "schema": {"id": "int", "kind": "string"},
        "partition_by": ["kind"],
    }
    if compaction:
        dataset["compaction"] = compaction
    return project_factory({"points": dataset})


def ingest_drops(spark, project, raw, drops=DROPS):
    for n in range(drops):
        raw(f"d{n}.csv", f"id,kind\n{2 * n},a\n{2 * n + 1},b\n")
        ingest(project, "points", spark=spark)


def test_cli_optimize_registers_the_same_rows_and_keeps_tags(
    spark, project_factory, raw, monkeypatch, capsys
):
    project = points_project(project_factory)
    ingest_drops(spark, project, raw)
    table = project.table_uri("points")
    assert len(DeltaTable(table).file_uris()) == 2 * DROPS
    conf = str(project.conf_dir)
    assert run(monkeypatch, capsys, "tag", "points@1", "early", "--conf", conf)[0] == 0
    latest = registry.record_of(project.lake_location, "points", DROPS - 1)

    code, out, err = run(monkeypatch, capsys, "optimize", "points", "--conf", conf)

    assert code == 0, err
    assert f"compacted points@{DROPS - 1} into version {DROPS}: {2 * DROPS} file(s) -> 2" in out
    record = registry.record_of(project.lake_location, "points", DROPS)
    assert record.fingerprint == latest.fingerprint and record.row_count == 2 * DROPS
    assert record.config_hash == latest.config_hash
    assert run(monkeypatch, capsys, "verify", f"points@{DROPS}", "--conf", conf)[0] == 0
    early = sorted_rows(lakeshelf.read(table, version=1, spark=spark))
    code, _, err = run(
        monkeypatch, capsys, "vacuum", "points", "--retain-hours", "0", "--conf", conf
    )
    assert code == 0, err
    assert sorted_rows(lakeshelf.read(table, version=1, spark=spark)) == early  # pinned
    assert len(DeltaTable(table).file_uris()) == 2
    assert run(monkeypatch, capsys, "verify", "points@early", "--conf", conf)[0] == 0
    code, out, _ = run(monkeypatch, capsys, "optimize", "points", "--conf", conf)
    assert code == 0 and "nothing to compact in points" in out
    assert registry.records(project.lake_location, "points")[-1].version == DROPS


def test_a_compaction_policy_compacts_after_the_publish_that_makes_it_due(
    spark, project_factory, raw
):
    project = points_project(project_factory, after_files=4)
    ingest_drops(spark, project, raw, drops=2)  # 4 files: not yet due
    assert [r.version for r in registry.records(project.lake_location, "points")] == [0, 1]
    ingest_drops(spark, project, raw, drops=3)  # the third drop makes 6 files: compacted
    versions = [r.version for r in registry.records(project.lake_location, "points")]
    assert versions == [0, 1, 2, 3]
    assert lakeshelf.history(project.table_uri("points"))[0].operation == "OPTIMIZE"
    assert len(DeltaTable(project.table_uri("points")).file_uris()) == 2


def test_library_optimize_of_a_dataset_table_needs_its_project(
    spark, project_factory, raw, tmp_path
):
    project = points_project(project_factory)
    ingest_drops(spark, project, raw, drops=2)
    table = project.table_uri("points")
    with pytest.raises(ConfigError, match="dataset 'points'"):
        lakeshelf.optimize(table, conf=tmp_path / "elsewhere")
    assert DeltaTable(table).version() == 1
    result = lakeshelf.optimize(table, conf=project.conf_dir)
    assert result.version == 2
    assert registry.record_of(project.lake_location, "points", 2).row_count == 4
