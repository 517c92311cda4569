"""The lakeshelf command: output, exit codes (0 ok, 1 failure, 2 usage), no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import lakeshelf
from helpers import run


@pytest.fixture
def two_versions(spark, table):
    lakeshelf.write(spark.range(3).selectExpr("id", "'a' as tag"), table)
    lakeshelf.write(spark.range(3, 5).selectExpr("id", "'b' as tag"), table)
    return table


def test_show_json_prints_rows_of_the_version(monkeypatch, capsys, two_versions):
    code, out, _ = run(monkeypatch, capsys, "show", f"{two_versions}@0", "--json")
    assert code == 0
    assert sorted(r["id"] for r in json.loads(out)) == [0, 1, 2]
    code, out, _ = run(
        monkeypatch, capsys, "show", f"{two_versions}@v1", "--json", "--limit", "100"
    )
    assert sorted(r["id"] for r in json.loads(out)) == [0, 1, 2, 3, 4]


def test_history_and_detail_json(monkeypatch, capsys, two_versions):
    code, out, _ = run(monkeypatch, capsys, "history", two_versions, "--json")
    assert code == 0 and [e["version"] for e in json.loads(out)] == [1, 0]
    code, out, _ = run(monkeypatch, capsys, "detail", f"{two_versions}@0", "--json")
    data = json.loads(out)
    assert code == 0 and data["version"] == 0 and data["num_rows"] == 3
    assert [f["name"] for f in data["schema"]["fields"]] == ["id", "tag"]


def test_restore_prints_the_new_version(monkeypatch, capsys, two_versions):
    code, out, _ = run(monkeypatch, capsys, "restore", f"{two_versions}@0")
    assert code == 0 and "as version 2" in out
    assert lakeshelf.read(two_versions).count() == 3


def test_missing_version_is_exit_2_with_one_line_and_no_traceback(
    monkeypatch, capsys, two_versions
):
    code, out, err = run(monkeypatch, capsys, "show", f"{two_versions}@9")
    assert code == 2
    assert "version 9" in err and "0..1" in err
    assert "Traceback" not in err and out == ""


def test_unsupported_feature_is_exit_1(monkeypatch, capsys, golden_copy):
    from helpers import add_features

    uri = golden_copy("snapshot-data3")
    add_features(uri, reader=["fancyFuture"], writer=["fancyFuture"])
    code, _, err = run(monkeypatch, capsys, "show", uri)
    assert code == 1 and "fancyFuture" in err


def console(*args):
    return subprocess.run(
        [sys.executable, "-m", "lakeshelf.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_console_usage_errors_exit_2_before_spark_starts(tmp_path):
    result = console("show", f"{tmp_path}@2026-13-45T00:00")
    assert result.returncode == 2
    assert "ISO-8601" in result.stderr and "Traceback" not in result.stderr
    assert console("no-such-command").returncode == 2
    missing = console("history", str(tmp_path / "none"))
    assert missing.returncode == 2 and "no Delta table" in missing.stderr


def test_help_is_fast_and_lists_commands():
    result = console("--help")
    assert result.returncode == 0
    for command in ("show", "history", "detail", "restore"):
        assert command in result.stdout
    probe = subprocess.run(
        [sys.executable, "-c", "import lakeshelf.cli.main, sys; print('pyspark' in sys.modules)"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.stdout.strip() == "False"


ORDERS = {
    "layer": "bronze",
    "source": {"path": "./raw/o/*.csv", "format": "csv", "options": {"header": True}},
    "schema": {"id": "int", "amount": "double"},
    "max_bad_fraction": 0.2,
}


def test_ingest_build_and_run_print_summaries(monkeypatch, capsys, project_factory, raw, tmp_path):
    (tmp_path / "conf" / "sql").mkdir(parents=True)
    (tmp_path / "conf" / "sql" / "t.sql").write_text("SELECT SUM(amount) AS total FROM o")
    project = project_factory(
        {"o": ORDERS, "t": {"layer": "gold", "inputs": {"o": "o@latest"}, "transform": "sql/t.sql"}}
    )
    raw("o/1.csv", "id,amount\n1,2.5\n2,3.5\n")
    conf = str(project.conf_dir)
    code, out, _ = run(monkeypatch, capsys, "ingest", "o", "--conf", conf)
    assert code == 0 and "version committed" in out and "rows loaded" in out
    code, out, _ = run(monkeypatch, capsys, "build", "t", "--conf", conf)
    assert code == 0 and "o=o@0" in out
    code, out, _ = run(monkeypatch, capsys, "run", "--conf", conf)
    assert code == 0 and "nothing new" in out and "build t" in out


def test_rejected_data_exits_1_and_config_errors_exit_2(monkeypatch, capsys, project_factory, raw):
    project = project_factory({"o": ORDERS})
    raw("o/1.csv", "id,amount\n1,2.5\nx,y\n")
    conf = str(project.conf_dir)
    code, _, err = run(monkeypatch, capsys, "ingest", "o", "--conf", conf)
    assert code == 1 and "max_bad_fraction" in err and "Traceback" not in err
    for bad in ("../o", "ghost"):
        code, _, err = run(monkeypatch, capsys, "ingest", bad, "--conf", conf)
        assert code == 2 and "dataset" in err
    code, _, err = run(monkeypatch, capsys, "build", "o", "--conf", conf)
    assert code == 2 and "bronze" in err


HOSTILE = ("../o", "/abs/o", "s3://bucket/o", "", "a b", "o/../../x")


@pytest.mark.parametrize("bad", HOSTILE)
def test_hostile_names_and_refs_exit_2_before_touching_storage(monkeypatch, capsys, tmp_path, bad):
    conf = tmp_path / "conf"
    (conf / "datasets").mkdir(parents=True)
    (conf / "lakeshelf.yaml").write_text("lake: ./lake\n")
    commands = [
        ["ingest", bad],
        ["build", bad],
        ["vacuum", bad],
        ["untag", bad],
        ["tag", f"{bad}@1", "t"],
        ["tag", "o@1", bad],
        ["verify", f"{bad}@1"],
        ["manifest", f"{bad}@1"],
        ["lineage", f"{bad}@1"],
    ]
    for args in commands:
        code, _, err = run(monkeypatch, capsys, *args, "--conf", str(conf))
        assert code == 2, (args, err)
        assert "Traceback" not in err and "internal error" not in err, (args, err)
    assert not (tmp_path / "lake").exists() and not (tmp_path.parent / "o").exists()


def test_a_dataset_table_never_resolves_outside_the_lake(project_factory):
    from lakeshelf.config import DatasetConfig
    from lakeshelf.errors import ConfigError

    project = project_factory({})
    forged = DatasetConfig.model_construct(name="../../escape", layer="bronze")
    project.datasets["../../escape"] = forged  # bypassing the loader's validation
    with pytest.raises(ConfigError):
        project.table_uri("../../escape")
    sneaky = DatasetConfig.model_construct(name="ok", layer="../..")
    project.datasets["ok"] = sneaky
    with pytest.raises(ConfigError, match="layer"):
        project.table_uri("ok")


@pytest.mark.parametrize("tag", ["2026-11-01", "_x", "latest", "v4"])
def test_tag_refuses_names_a_ref_could_not_read_back(monkeypatch, capsys, tmp_path, tag):
    """Such tags used to be set, then read as a timestamp or a version, or refused as a ref."""
    conf = tmp_path / "conf"
    (conf / "datasets").mkdir(parents=True)
    (conf / "lakeshelf.yaml").write_text("lake: ./lake\n")
    code, _, err = run(monkeypatch, capsys, "tag", "o@4", tag, "--conf", str(conf))
    assert code == 2 and "must start with a letter" in err and "Traceback" not in err
    assert not (tmp_path / "lake").exists()
