"""Quality gate: GX suites run on exactly the staged data; failing suites publish nothing."""

from __future__ import annotations

import glob
import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

import lakeshelf
from helpers import commit_info, log_listing
from lakeshelf import registry
from lakeshelf.errors import ConfigError, GateFailedError
from lakeshelf.gate import load_suite, run_suite
from lakeshelf.pipeline import ingest


def suite(*expectations):
    return {"name": "checks", "expectations": list(expectations)}


def expect(kind, severity=None, **kwargs):
    item = {"type": f"expect_{kind}", "kwargs": kwargs}
    if severity:
        item["meta"] = {"severity": severity}
    return item


def test_outcomes_carry_counts_examples_and_severity(spark):
    df = spark.createDataFrame([(1, "a"), (2, None), (30, "c")], "id int, s string")
    result = run_suite(
        df,
        suite(
            expect("column_values_to_be_between", column="id", min_value=0, max_value=10),
            expect("column_values_to_not_be_null", severity="warn", column="s"),
            expect("table_row_count_to_be_between", min_value=1, max_value=10),
        ),
    )
    between, nulls, count = result.outcomes
    assert not between.success and between.blocking
    assert (between.unexpected_count, between.element_count, between.examples) == (1, 3, [30])
    assert not nulls.success and not nulls.blocking  # warn records without blocking
    assert count.success and count.observed_value == 3
    assert not result.passed
    assert "1 of 3 rows unexpected; e.g. [30]" in result.failure_message()


def test_a_suite_that_cannot_run_fails_closed(spark):
    df = spark.createDataFrame([(1,)], "id int")
    missing = run_suite(df, suite(expect("column_values_to_not_be_null", column="nope")))
    assert not missing.passed and missing.outcomes[0].error
    bogus = run_suite(df, suite({"type": "expect_the_moon", "kwargs": {}}))
    assert not bogus.passed and bogus.outcomes[0].error
    slow = run_suite(df, suite(expect("table_row_count_to_be_between", min_value=1)), timeout=0.01)
    assert not slow.passed and "timed out" in slow.outcomes[0].error


def test_empty_batch_follows_the_suite(spark):
    empty = spark.createDataFrame([], "id int")
    assert run_suite(empty, suite(expect("column_values_to_not_be_null", column="id"))).passed
    assert not run_suite(empty, suite(expect("table_row_count_to_be_between", min_value=1))).passed


def test_load_suite_errors(tmp_path):
    with pytest.raises(ConfigError, match="cannot be read"):
        load_suite(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text('{"expectations": [{"kwargs": {}}]}')
    with pytest.raises(ConfigError, match=r"expectations\[0\]"):
        load_suite(tmp_path / "bad.json")


ORDERS = {
    "layer": "bronze",
    "source": {"path": "./raw/o/*.csv", "format": "csv", "options": {"header": True}},
    "schema": {"id": "int", "amount": "double"},
    "suite": "orders",
}
ORDERS_SUITE = suite(
    expect("column_values_to_be_between", column="amount", min_value=0, max_value=100)
)


@pytest.fixture
def gated(project_factory, tmp_path):
    (tmp_path / "conf" / "suites").mkdir(parents=True)
    (tmp_path / "conf" / "suites" / "orders.json").write_text(json.dumps(ORDERS_SUITE))
    return project_factory({"o": ORDERS})


def test_failing_publish_commits_nothing_and_keeps_staged_files(spark, gated, raw):
    raw("o/1.csv", "id,amount\n1,5\n2,500\n")
    with pytest.raises(GateFailedError, match="amount") as info:
        ingest(gated, "o", spark=spark)
    assert "1 of 2 rows unexpected" in str(info.value)
    uri = gated.table_uri("o")
    assert log_listing(uri) is None
    assert registry.records(gated.lake_location, "o") == []
    kept = glob.glob(f"{uri}/_refused/*/**/*.parquet", recursive=True)
    report = json.loads(Path(glob.glob(f"{uri}/_refused/*/report.json")[0]).read_text())
    assert kept and report["passed"] is False
    assert report["result"][0]["unexpected_count"] == 1


def test_passing_publish_records_the_suite_result(spark, gated, raw):
    raw("o/1.csv", "id,amount\n1,5\n2,50\n")
    result = ingest(gated, "o", spark=spark)
    info = commit_info(gated.table_uri("o"), result.version)
    assert info["lakeshelf"]["metadata"]["suite"]["passed"] is True
    record = registry.record_of(gated.lake_location, "o", result.version)
    assert record.suite_name == "checks" and json.loads(record.suite_result)[0]["success"]


def test_validate_cli_exit_codes_and_reports(spark, gated, raw, tmp_path, monkeypatch, capsys):
    from helpers import run

    raw("o/1.csv", "id,amount\n1,5\n2,50\n")
    ingest(gated, "o", spark=spark)
    conf = str(gated.conf_dir)
    junit, page = tmp_path / "j.xml", tmp_path / "r.html"
    code, _, _ = run(
        monkeypatch,
        capsys,
        "validate",
        "o@0",
        "--conf",
        conf,
        "--junit",
        str(junit),
        "--html",
        str(page),
    )
    assert code == 0
    cases = ET.parse(junit).getroot().findall(".//testcase")
    assert len(cases) == 1 and not cases[0].findall("failure")
    assert "PASSED" in page.read_text()
    strict = tmp_path / "strict.json"
    strict.write_text(
        json.dumps(
            suite(
                expect("column_values_to_be_between", column="amount", min_value=0, max_value=10),
                expect("column_values_to_be_unique", column="id"),
            )
        )
    )
    code, _, err = run(
        monkeypatch,
        capsys,
        "validate",
        "o@0",
        "--conf",
        conf,
        "--suite",
        str(strict),
        "--junit",
        str(junit),
    )
    assert code == 1 and "amount" in err
    cases = ET.parse(junit).getroot().findall(".//testcase")
    assert [bool(c.findall("failure")) for c in cases] == [True, False]
    code, _, err = run(
        monkeypatch, capsys, "validate", "o@0", "--conf", conf, "--suite", "nope.json"
    )
    assert code == 2 and "cannot be read" in err
    assert lakeshelf.read(gated.table_uri("o"), spark=spark).count() == 2


def test_history_shows_gate_results_and_restore_is_gated(spark, gated, raw, monkeypatch, capsys):
    from pyspark.sql import functions as F

    from helpers import run

    raw("o/1.csv", "id,amount\n1,5\n")
    ingest(gated, "o", spark=spark)
    uri, conf = gated.table_uri("o"), str(gated.conf_dir)
    bad = lakeshelf.read(uri, spark=spark).withColumn("amount", F.lit(999.0))
    lakeshelf.write(bad, uri)  # v1 written around the gate, e.g. by another tool
    code, _, err = run(monkeypatch, capsys, "restore", "o@1", "--conf", conf)
    assert code == 1 and "restore of o@1" in err
    assert log_listing(uri).latest == 1  # nothing committed
    code, out, _ = run(monkeypatch, capsys, "history", "o", "--json", "--conf", conf)
    assert code == 0 and json.loads(out)[-1]["gate"] == "passed"
    assert lakeshelf.manifest("o@0", conf)["suite_name"] == "checks"
