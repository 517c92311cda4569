"""The lakeshelf command: output, exit codes (0 ok, 1 failure, 2 usage), no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import lakeshelf
from lakeshelf import cli


def run(monkeypatch, capsys, *args):
    monkeypatch.setattr(sys, "argv", ["lakeshelf", *args])
    code = 0
    try:
        cli.main()
    except SystemExit as exc:
        code = exc.code or 0
    captured = capsys.readouterr()
    return code, captured.out, captured.err


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
    from test_protocol import add_features

    uri = golden_copy("snapshot-data3")
    add_features(uri, reader=["fancyFuture"], writer=["fancyFuture"])
    code, _, err = run(monkeypatch, capsys, "show", uri)
    assert code == 1 and "fancyFuture" in err


def console(*args):
    return subprocess.run(
        [sys.executable, "-m", "lakeshelf.cli", *args], capture_output=True, text=True, timeout=120
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
        [sys.executable, "-c", "import lakeshelf.cli, sys; print('pyspark' in sys.modules)"],
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
