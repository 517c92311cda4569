"""Drift and metric-history checks in the gate: evaluated before the commit, recorded, blocking
at severity error."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lakeshelf import registry
from lakeshelf.errors import GateFailedError
from lakeshelf.pipeline import ingest
from lakeshelf.table import latest_version


def orders_config(**gate) -> dict:
    return {
        "layer": "bronze",
        "source": {"path": "./raw/orders/*.csv", "format": "csv", "options": {"header": True}},
        "schema": {"id": "int", "carrier": "string", "amount": "double"},
        **gate,
    }


def batch(seed: int, mean: float, carriers: list[str], rows: int = 300, nulls: int = 0) -> str:
    rng = np.random.default_rng(seed)
    lines = ["id,carrier,amount"]
    for i in range(rows):
        amount = "" if i < nulls else f"{rng.normal(mean, 2):.4f}"
        lines.append(f"{seed * 10_000 + i},{carriers[i % len(carriers)]},{amount}")
    return "\n".join(lines) + "\n"


def outcomes_of(project, version: int) -> dict[str, dict]:
    record = registry.record_of(project.lake_location, "orders", version)
    return {o["type"]: o for o in json.loads(record.suite_result)}


def test_drift_of_error_severity_blocks_and_commits_nothing(project_factory, raw, spark):
    project = project_factory({"orders": orders_config(drift={"severity": "error"})})
    raw("orders/1.csv", batch(1, 10, ["ua", "dl"]))
    ingest(project, "orders", spark=spark)
    assert outcomes_of(project, 0)["lakeshelf_drift"]["success"]  # first version: no baseline
    raw("orders/2.csv", batch(2, 40, ["ua", "dl"]))
    with pytest.raises(GateFailedError, match="lakeshelf_drift") as refused:
        ingest(project, "orders", spark=spark)
    assert "amount" in str(refused.value)
    assert latest_version(project.table("orders")) == 0


def test_drift_of_warn_severity_publishes_and_is_recorded(project_factory, raw, spark):
    project = project_factory({"orders": orders_config(drift={"severity": "warn"})})
    raw("orders/1.csv", batch(1, 10, ["ua", "dl"]))
    ingest(project, "orders", spark=spark)
    raw("orders/2.csv", batch(2, 40, ["ua", "dl"]))
    ingest(project, "orders", spark=spark)
    drift = outcomes_of(project, 1)["lakeshelf_drift"]
    assert not drift["success"] and drift["severity"] == "warn"
    assert drift["kwargs"]["reference"] == "orders@0"
    assert "amount" in drift["observed_value"]["drifted_columns"]
    history = registry.dataset_history(project, "orders", None)
    assert [v.gate for v in history if v.entry.version == 1] == ["passed (1 warning(s))"]


def test_same_distribution_passes_the_drift_gate(project_factory, raw, spark):
    drift = {"severity": "error", "ignore": ["id"]}  # new ids in every batch: a key, not data
    project = project_factory({"orders": orders_config(drift=drift)})
    raw("orders/1.csv", batch(1, 10, ["ua", "dl"]))
    ingest(project, "orders", spark=spark)
    raw("orders/2.csv", batch(2, 10, ["ua", "dl"]))
    ingest(project, "orders", spark=spark)
    outcome = outcomes_of(project, 1)["lakeshelf_drift"]
    assert outcome["success"] and outcome["element_count"] == 2  # carrier and amount


def test_history_checks_block_what_they_name(project_factory, raw, spark):
    checks = {
        "row_count": {"max_change": 0.5, "window": 3},
        "null_rate": {"max_increase": 0.1},
        "new_categories": {"columns": ["carrier"]},
        "schema_change": {},
    }
    project = project_factory({"orders": orders_config(checks=checks)})
    raw("orders/1.csv", batch(1, 10, ["ua", "dl"]))
    ingest(project, "orders", spark=spark)
    raw("orders/2.csv", batch(2, 10, ["ua", "dl"]))
    ingest(project, "orders", spark=spark)
    passed = outcomes_of(project, 1)
    assert all(passed[f"lakeshelf_{c}"]["success"] for c in checks)
    assert passed["lakeshelf_row_count"]["observed_value"]["trailing_mean"] == 300

    raw("orders/3.csv", batch(3, 10, ["ua", "dl"], rows=40))  # far fewer rows than usual
    with pytest.raises(GateFailedError, match="lakeshelf_row_count"):
        ingest(project, "orders", spark=spark)
    (project.root / "raw/orders/3.csv").unlink()
    raw("orders/4.csv", batch(4, 10, ["ua", "dl", "b6"], nulls=90))
    with pytest.raises(GateFailedError) as refused:
        ingest(project, "orders", spark=spark)
    message = str(refused.value)
    assert "lakeshelf_null_rate" in message and "lakeshelf_new_categories" in message
    assert "b6" in message
    assert latest_version(project.table("orders")) == 1


def test_validation_report_carries_the_checks_recorded_at_publish(
    project_factory, raw, spark, monkeypatch, capsys, tmp_path
):
    from helpers import run

    project = project_factory({"orders": orders_config(suite="orders", drift={"severity": "warn"})})
    suite = {
        "name": "orders",
        "expectations": [
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "id"}}
        ],
    }
    (project.conf_dir / "suites").mkdir()
    (project.conf_dir / "suites" / "orders.json").write_text(json.dumps(suite))
    raw("orders/1.csv", batch(1, 10, ["ua", "dl"]))
    ingest(project, "orders", spark=spark)
    raw("orders/2.csv", batch(2, 40, ["ua", "dl"]))
    ingest(project, "orders", spark=spark)
    junit = tmp_path / "report.xml"
    code, out, err = run(
        monkeypatch,
        capsys,
        "validate",
        "orders@1",
        "--junit",
        str(junit),
        "--conf",
        str(project.conf_dir),
    )
    assert code == 0, err  # the drift was a warning at publish; the suite passes
    assert "lakeshelf_drift" in out and "lakeshelf_drift" in junit.read_text()


def test_row_count_of_appends_ignores_versions_that_added_no_rows():
    from types import SimpleNamespace

    from lakeshelf.config.models import RowCountCheck
    from lakeshelf.observe.checks import _row_count

    # 300 rows, 300 more, a compaction (same rows), 300 more: three batches of 300
    published = [SimpleNamespace(row_count=n) for n in (300, 600, 600, 900)]
    candidate = [SimpleNamespace(row_count=280)]
    rule = RowCountCheck(max_change=0.1, window=3)
    outcome = _row_count(rule, candidate, published, appends=True)
    assert outcome.success and outcome.observed_value["trailing_mean"] == 300
    overwrite = _row_count(rule, candidate, published, appends=False)
    assert not overwrite.success and overwrite.observed_value["trailing_mean"] == 700


def test_a_version_of_exactly_the_judged_rows_is_registered_with_their_profile(
    project_factory, raw, spark
):
    """The first batch's version holds exactly the staged files: it is registered with the
    fingerprint and profile the gate computed before the commit. The second batch's version
    also holds the first batch's files: it is profiled from its own files after its commit.
    Both fingerprints are those of the versions as read back."""
    import datetime as dt

    import lakeshelf
    from lakeshelf.registry import store
    from lakeshelf.registry.fingerprint import fingerprint

    project = project_factory({"orders": orders_config(drift={"severity": "warn"})})
    for seed in (1, 2):
        raw(f"orders/{seed}.csv", batch(seed, 10, ["ua", "dl"]))
        ingest(project, "orders", spark=spark)
    lake, table = project.lake_location, project.table("orders").uri
    profiled_before_commit = []
    for version, rows in ((0, 300), (1, 600)):
        record = registry.record_of(lake, "orders", version)
        read_back = lakeshelf.read(table, version=version, spark=spark)
        assert record.fingerprint == fingerprint(read_back)
        columns = store.profiles(lake, "orders", {version})
        assert {c.row_count for c in columns} == {rows}
        assert {c.version for c in columns} == {version}
        profiled = dt.datetime.fromisoformat(columns[0].profiled_at)
        profiled_before_commit.append(profiled < dt.datetime.fromisoformat(record.commit_timestamp))
    assert profiled_before_commit == [True, False]
