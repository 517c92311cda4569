"""Transform: inputs pinned before running, lineage recorded, rebuilds from lineage identical."""

from __future__ import annotations

import subprocess

import pytest

import lakeshelf
from helpers import log_listing
from lakeshelf.errors import ConfigError
from lakeshelf.pipeline import build, dependency_order, ingest, recorded_lineage, reproduce, run
from lakeshelf.registry.store import profiles

ORDERS = {
    "layer": "bronze",
    "source": {"path": "./raw/orders/*.csv", "format": "csv", "options": {"header": True}},
    "schema": {"id": "int", "customer": "string", "amount": "double"},
}
TOTALS = {
    "layer": "gold",
    "inputs": {"orders": "orders@latest"},
    "transform": "sql/totals.sql",
}
TOTALS_SQL = "SELECT customer, SUM(amount) AS total, COUNT(*) AS n FROM orders GROUP BY customer"


@pytest.fixture
def shop(project_factory, raw, tmp_path):
    def make(**datasets):
        (tmp_path / "conf" / "sql").mkdir(parents=True, exist_ok=True)
        (tmp_path / "conf" / "sql" / "totals.sql").write_text(TOTALS_SQL)
        return project_factory({"orders": ORDERS, "totals": TOTALS, **datasets})

    raw("orders/1.csv", "id,customer,amount\n1,ann,10\n2,bob,5\n3,ann,1\n")
    return make


def table(spark, uri, **at):
    return sorted(tuple(r) for r in lakeshelf.read(uri, spark=spark, **at).collect())


def test_build_records_exact_input_versions_and_hashes(spark, shop):
    project = shop()
    ingest(project, "orders", spark=spark)
    result = build(project, "totals", spark=spark)
    assert result.version == 0 and result.rows == 2
    assert table(spark, result.table) == [("ann", 11.0, 2), ("bob", 5.0, 1)]
    lineage = recorded_lineage(project, "totals", 0)
    assert lineage["inputs"]["orders"]["dataset"] == "orders"
    assert lineage["inputs"]["orders"]["version"] == 0
    assert lineage["configHash"] == project.config_hashes["totals"]
    assert lineage["transform"] == "sql/totals.sql" and len(lineage["transformHash"]) == 64
    profiled = {p.column: p for p in profiles(project.lake_location, "totals")}
    assert sorted(profiled) == ["customer", "n", "total"]
    assert profiled["total"].mean == 8.0
    assert sorted(profiled["customer"].top) == [("ann", 1), ("bob", 1)]


def test_rebuild_from_recorded_inputs_gives_identical_rows(spark, shop, raw):
    project = shop()
    ingest(project, "orders", spark=spark)
    build(project, "totals", spark=spark)
    raw("orders/2.csv", "id,customer,amount\n4,cy,7\n5,bob,2\n")
    ingest(project, "orders", spark=spark)
    build(project, "totals", spark=spark)
    uri = project.table_uri("totals")
    rebuild = reproduce(project, "totals@0", spark)
    assert rebuild.identical and rebuild.into != uri
    assert table(spark, rebuild.into) == table(spark, uri, version=0)
    assert table(spark, rebuild.into) != table(spark, uri, version=1)
    assert recorded_lineage(project, "totals", 1)["inputs"]["orders"]["version"] == 1


def test_input_pinned_to_a_version(spark, shop, raw):
    project = shop(
        pinned={"layer": "gold", "inputs": {"orders": "orders@0"}, "transform": "sql/totals.sql"}
    )
    ingest(project, "orders", spark=spark)
    raw("orders/2.csv", "id,customer,amount\n4,cy,7\n")
    ingest(project, "orders", spark=spark)
    assert build(project, "pinned", spark=spark).inputs["orders"].version == 0
    assert [r[0] for r in table(spark, project.table_uri("pinned"))] == ["ann", "bob"]


def test_python_transform(spark, shop, tmp_path, monkeypatch):
    module = tmp_path / "shop_transforms.py"
    module.write_text(
        "def big_orders(spark, inputs):\n"
        "    return inputs['orders'].where('amount >= 5').select('id', 'amount')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    project = shop(
        big={
            "layer": "silver",
            "inputs": {"orders": "orders@latest"},
            "transform": "python: shop_transforms:big_orders",
        }
    )
    ingest(project, "orders", spark=spark)
    build(project, "big", spark=spark)
    assert table(spark, project.table_uri("big")) == [(1, 10.0), (2, 5.0)]
    assert "def big_orders" not in str(recorded_lineage(project, "big", 0))  # hashed, not copied


def test_merge_by_key_and_append(spark, shop, raw, tmp_path):
    (tmp_path / "conf" / "sql").mkdir(parents=True, exist_ok=True)
    (tmp_path / "conf" / "sql" / "latest.sql").write_text("SELECT id, customer, amount FROM orders")
    merged = {
        "layer": "silver",
        "inputs": {"orders": "orders@latest"},
        "transform": "sql/latest.sql",
        "write_mode": "merge",
        "merge_keys": ["id"],
    }
    appended = {**merged, "write_mode": "append", "merge_keys": []}
    project = shop(merged=merged, appended=appended)
    ingest(project, "orders", spark=spark)
    build(project, "merged", spark=spark)
    build(project, "appended", spark=spark)
    raw("orders/2.csv", "id,customer,amount\n1,ann,99\n4,cy,7\n")
    ingest(project, "orders", spark=spark)
    build(project, "merged", spark=spark)
    got = {
        r.id: r.amount for r in lakeshelf.read(project.table_uri("merged"), spark=spark).collect()
    }
    assert sorted(got) == [1, 2, 3, 4]
    assert lakeshelf.read(project.table_uri("appended"), spark=spark).count() == 3


def test_code_version_is_recorded_with_dirty_flag(spark, shop, tmp_path):
    project = shop()
    git = ["git", "-C", str(tmp_path), "-c", "user.email=t@e", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "conf"], check=True)
    subprocess.run([*git, "commit", "-qm", "conf"], check=True)
    head = subprocess.run(
        [*git, "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    ingest(project, "orders", spark=spark)
    build(project, "totals", spark=spark)
    assert recorded_lineage(project, "totals", 0)["code"] == {"commit": head, "dirty": False}
    (tmp_path / "conf" / "sql" / "totals.sql").write_text(TOTALS_SQL + " -- edited")
    build(project, "totals", spark=spark)
    assert recorded_lineage(project, "totals", 1)["code"] == {"commit": head, "dirty": True}


def test_dependency_order_and_errors(shop):
    project = shop(
        a={"layer": "silver", "inputs": {"t": "totals@latest"}, "transform": "sql/totals.sql"}
    )
    order = dependency_order(project)
    assert order.index("orders") < order.index("totals") < order.index("a")
    unknown = shop(
        z={"layer": "silver", "inputs": {"q": "ghost@latest"}, "transform": "sql/totals.sql"}
    )
    with pytest.raises(ConfigError, match="ghost"):
        dependency_order(unknown)
    loop = shop(
        z={"layer": "silver", "inputs": {"y": "y@latest"}, "transform": "sql/totals.sql"},
        y={"layer": "silver", "inputs": {"z": "z@latest"}, "transform": "sql/totals.sql"},
    )
    with pytest.raises(ConfigError, match="cycle"):
        dependency_order(loop)


def test_run_ingests_and_builds_everything_in_order(spark, shop):
    project = shop()
    results = run(project, spark=spark)
    assert [r.dataset for r in results] == ["orders", "totals"]
    assert log_listing(project.table_uri("totals")).latest == 0
    rerun = run(project, spark=spark)
    assert rerun[0].version is None  # nothing new to ingest
