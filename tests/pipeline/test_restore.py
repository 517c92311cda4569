"""Restoring a dataset is a publish: gated by its suite and registered, from Python or the CLI."""

from __future__ import annotations

import json

import pytest

import lakeshelf
from helpers import run
from lakeshelf import registry
from lakeshelf.errors import ConfigError, GateFailedError
from lakeshelf.pipeline import ingest


@pytest.fixture
def points(spark, project_factory, raw, tmp_path):
    """Dataset ``points`` with a suite that refuses ids above 10; v0 ids 1-2, v1 adds id 3."""
    suites = tmp_path / "conf" / "suites"
    suites.mkdir(parents=True)
    suite = {
        "name": "points",
        "expectations": [
            {"type": "expect_column_max_to_be_between", "kwargs": {"column": "id", "max_value": 10}}
        ],
    }
    (suites / "points.json").write_text(json.dumps(suite))
    project = project_factory(
        {
            "points": {
                "layer": "bronze",
                "source": {"path": "./raw/*.csv", "format": "csv", "options": {"header": True}},
                "schema": {"id": "int"},
                "suite": "points",
            }
        }
    )
    for name, body in (("a.csv", "id\n1\n2\n"), ("b.csv", "id\n3\n")):
        raw(name, body)
        ingest(project, "points", spark=spark)
    return project


def test_library_restore_of_a_dataset_table_is_gated_and_registered(spark, points):
    table = points.table_uri("points")
    version = lakeshelf.restore(table, version=0, conf=points.conf_dir)
    assert version == 2
    record = registry.record_of(points.lake_location, "points", 2)
    assert record.suite_name == "points" and record.row_count == 2
    assert lakeshelf.read(table, spark=spark).count() == 2
    profiled = {p.version: p for p in registry.store.profiles(points.lake_location, "points")}
    assert (profiled[2].row_count, profiled[2].min, profiled[2].max) == (2, "1", "2")
    assert profiled[2].mean == profiled[0].mean == 1.5  # the restored rows are version 0's


def test_library_restore_of_a_dataset_table_outside_its_project_is_refused(points, tmp_path):
    with pytest.raises(ConfigError, match="dataset 'points'"):
        lakeshelf.restore(points.table_uri("points"), version=0, conf=tmp_path / "elsewhere")
    assert lakeshelf.history(points.table_uri("points"))[0].version == 1  # nothing committed


def test_restore_refused_by_todays_suite_commits_nothing(spark, points):
    suite = points.conf_dir / "suites" / "points.json"
    strict = json.loads(suite.read_text())
    strict["expectations"][0]["kwargs"]["max_value"] = 1  # v0 has id 2: refused now
    suite.write_text(json.dumps(strict))
    with pytest.raises(GateFailedError, match="restore of points@0"):
        lakeshelf.restore(points.table_uri("points"), version=0, conf=points.conf_dir)
    assert lakeshelf.history(points.table_uri("points"))[0].version == 1


def test_cli_restore_by_path_or_name_registers_the_new_version(monkeypatch, capsys, points):
    conf = str(points.conf_dir)
    code, out, _ = run(monkeypatch, capsys, "restore", "points@0", "--conf", conf)
    assert code == 0 and "as version 2" in out
    path_ref = f"{points.table_uri('points')}@1"
    code, out, _ = run(monkeypatch, capsys, "restore", path_ref, "--conf", conf)
    assert code == 0 and "as version 3" in out
    versions = [r.version for r in registry.records(points.lake_location, "points")]
    assert versions == [0, 1, 2, 3]
