"""profile, drift and metrics on a published dataset, through the CLI and the library."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest

from helpers import run
from lakeshelf import registry
from lakeshelf.observe import metric_history
from lakeshelf.pipeline import ingest
from lakeshelf.registry.store import profiles, profiles_table

ORDERS = {
    "layer": "bronze",
    "source": {"path": "./raw/orders/*.csv", "format": "csv", "options": {"header": True}},
    "schema": {"id": "int", "carrier": "string", "amount": "double"},
}


def batch(start: int, mean: float, carriers: list[str], rows: int = 300) -> str:
    rng = np.random.default_rng(start)
    lines = ["id,carrier,amount"] + [
        f"{start + i},{carriers[i % len(carriers)]},{rng.normal(mean, 2):.4f}" for i in range(rows)
    ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def orders(project_factory, raw, spark):
    project = project_factory({"orders": ORDERS})
    raw("orders/1.csv", batch(0, 10, ["ua", "dl"]))
    ingest(project, "orders", spark=spark)
    raw("orders/2.csv", batch(1000, 40, ["ua", "dl", "b6"]))
    ingest(project, "orders", spark=spark)
    return project


def test_every_publish_records_a_profile(orders):
    stored = profiles(orders.lake_location, "orders")
    for record in registry.records(orders.lake_location, "orders"):
        schema = [f["name"] for f in json.loads(record.schema_json)["fields"]]
        assert sorted(p.column for p in stored if p.version == record.version) == sorted(schema)
    amount = {p.version: p for p in stored if p.column == "amount"}
    assert amount[0].row_count == 300 and amount[1].row_count == 600
    assert amount[1].kll and amount[0].mean == pytest.approx(10, abs=0.5)


def test_drift_command_finds_the_shift_and_exits_1(orders, monkeypatch, capsys, tmp_path):
    conf = str(orders.conf_dir)
    code, out, err = run(
        monkeypatch, capsys, "drift", "orders@0", "orders@1", "--json", "--conf", conf
    )
    assert code == 1, err
    report = json.loads(out)
    columns = {c["column"]: c for c in report["columns"]}
    assert columns["amount"]["drifted"] and columns["amount"]["method"] == "ks"
    assert columns["carrier"]["drifted"]  # b6 appears
    assert report["reference"] == "orders@0" and report["current"] == "orders@1"
    assert report["drifted"] is True and "drifted from orders@0" in err

    code, out, _ = run(
        monkeypatch, capsys, "drift", "orders@0", "orders@0", "--json", "--conf", conf
    )
    assert code == 0 and json.loads(out)["drifted_columns"] == 0


def test_drift_against_a_tagged_baseline_writes_an_offline_report(
    orders, monkeypatch, capsys, tmp_path
):
    conf = str(orders.conf_dir)
    assert run(monkeypatch, capsys, "tag", "orders@0", "jan", "--conf", conf)[0] == 0
    report = tmp_path / "drift.html"
    code, out, err = run(
        monkeypatch,
        capsys,
        "drift",
        "orders@1",
        "--baseline",
        "jan",
        "--html",
        str(report),
        "--conf",
        conf,
    )
    assert code == 1 and "orders@1 against orders@0" in out and "report:" in err
    html = report.read_text()
    assert "Plotly" in html and "amount" in html
    # nothing is loaded from elsewhere: scripts are inline and the markup names no other origin
    assert not re.search(r"<script[^>]+src=", html)
    markup = re.sub(r"<script>.*?</script>", "", html, flags=re.DOTALL)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", markup)


def test_drift_usage_errors_exit_2(orders, monkeypatch, capsys):
    conf = str(orders.conf_dir)
    code, _, err = run(monkeypatch, capsys, "drift", "orders@0", "--conf", conf)
    assert code == 2 and "first published version" in err
    code, _, err = run(monkeypatch, capsys, "drift", "orders@0", "orders@7", "--conf", conf)
    assert code == 2


def test_metrics_and_profile_commands(orders, monkeypatch, capsys):
    conf = str(orders.conf_dir)
    code, out, _ = run(
        monkeypatch,
        capsys,
        "metrics",
        "orders",
        "--column",
        "amount",
        "--metric",
        "rows",
        "--json",
        "--conf",
        conf,
    )
    assert code == 0
    assert [(p["version"], p["value"]) for p in json.loads(out)] == [(0, 300), (1, 600)]
    points = metric_history(orders, "orders", "carrier", "distinct")
    assert [p.value for p in points] == [2, 3]
    code, out, err = run(
        monkeypatch, capsys, "metrics", "orders", "--metric", "bogus", "--conf", conf
    )
    assert code == 2 and "unknown metric" in err

    code, out, _ = run(monkeypatch, capsys, "profile", "orders@1", "--json", "--conf", conf)
    carrier = next(c for c in json.loads(out) if c["column"] == "carrier")
    assert carrier["distinct_count"] == 3 and dict(json.loads(carrier["top_values"]))["b6"] == 100


def test_profile_of_a_version_published_before_profiles_is_computed_once(
    orders, monkeypatch, capsys
):
    shutil.rmtree(profiles_table(orders.lake_location).path())
    assert profiles(orders.lake_location, "orders") == []
    code, out, err = run(
        monkeypatch, capsys, "profile", "orders@0", "--json", "--conf", str(orders.conf_dir)
    )
    assert code == 0, err
    assert {c["column"] for c in json.loads(out)} >= {"id", "carrier", "amount"}
    assert {p.version for p in profiles(orders.lake_location, "orders")} == {0}


def test_python_api_profile_drift_and_metrics(orders):
    import lakeshelf

    conf = orders.conf_dir
    columns = {c.column: c for c in lakeshelf.profile("orders@1", conf)}
    assert columns["amount"].row_count == 600
    report = lakeshelf.drift("orders@1", baseline="0", conf=conf)
    assert report.reference == "orders@0" and report.drifted
    relaxed = lakeshelf.drift("orders@1", "orders@0", conf=conf, share=1.0)
    assert relaxed.share_threshold == 1.0 and relaxed.drifted == (relaxed.share == 1.0)
    assert relaxed.drifted_columns == report.drifted_columns
    frame = lakeshelf.metrics("orders", "amount", "rows", conf=conf)
    assert list(frame.columns) == [
        "dataset",
        "version",
        "commit_timestamp",
        "column",
        "metric",
        "value",
    ]
    assert frame["value"].tolist() == [300, 600]


def test_each_publish_records_its_drift_against_the_version_before(orders):
    """The second ingest records orders@1 against orders@0: the statistics drift computes."""
    from lakeshelf.observe.drift import column_metrics
    from lakeshelf.registry import store

    recorded = store.drift_metrics(orders.lake_location, "orders")
    assert sorted(recorded) == [1]  # the first version has nothing before it
    by_column = {row.column: row for row in recorded[1]}
    stored = {(p.version, p.column): p for p in profiles(orders.lake_location, "orders")}
    # every column both versions have (ingest's own too: what is ignored is judged when read)
    assert sorted(by_column) == sorted(
        c for v, c in stored if v == 1 and stored[(v, c)].kind != "other"
    )
    for column, row in by_column.items():
        assert row.reference == 0
        expected = column_metrics(stored[(0, column)], stored[(1, column)])
        assert {k: v for k, v in row.statistics.items() if k in expected} == expected
