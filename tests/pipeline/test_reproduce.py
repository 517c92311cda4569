"""Lineage-closed pins and `lakeshelf reproduce`: a tagged gold version keeps its whole lineage
through vacuum with zero retention, and rebuilds identical from it; changed code is refused."""

from __future__ import annotations

import json

import pytest

import lakeshelf
from helpers import run
from lakeshelf.errors import LakeshelfError
from lakeshelf.pipeline import build, ingest
from lakeshelf.registry import pinned_versions, vacuum_dataset

ORDERS = {
    "layer": "bronze",
    "source": {"path": "./raw/orders/*.csv", "format": "csv", "options": {"header": True}},
    "schema": {"id": "int", "customer": "string", "amount": "double"},
}
CLEAN = {"layer": "silver", "inputs": {"orders": "orders@latest"}, "transform": "sql/clean.sql"}
TOTALS = {"layer": "gold", "inputs": {"clean": "clean@latest"}, "transform": "sql/totals.sql"}
TOTALS_SQL = "SELECT customer, SUM(amount) AS total, COUNT(*) AS n FROM clean GROUP BY customer"


@pytest.fixture
def chain(project_factory, raw, tmp_path, spark):
    """orders (bronze) -> clean (silver) -> totals (gold), each published twice; totals@0 is
    tagged trained-v1."""
    sql = tmp_path / "conf" / "sql"
    sql.mkdir(parents=True)
    (sql / "clean.sql").write_text("SELECT id, lower(customer) AS customer, amount FROM orders")
    (sql / "totals.sql").write_text(TOTALS_SQL)
    project = project_factory({"orders": ORDERS, "clean": CLEAN, "totals": TOTALS})
    raw("orders/1.csv", "id,customer,amount\n1,Ann,10\n2,bob,5\n3,ANN,1.5\n")
    for batch in range(2):
        if batch:
            raw("orders/2.csv", "id,customer,amount\n4,cy,7\n5,Bob,2\n")
        ingest(project, "orders", spark=spark)
        build(project, "clean", spark=spark)
        build(project, "totals", spark=spark)
    run_ok = lakeshelf.registry.tag_version(project, "totals@0", "trained-v1")
    assert run_ok.version == 0
    return project


def conf(project) -> str:
    return str(project.conf_dir)


def vacuum_everything(project) -> None:
    for name in ("orders", "clean", "totals"):
        vacuum_dataset(project, name, retain_hours=0, log_retain_hours=0)


def test_a_tag_keeps_its_whole_lineage_so_it_reproduces_after_zero_retention_vacuum(
    chain, spark, monkeypatch, capsys
):
    assert {n: pinned_versions(chain, n) for n in ("orders", "clean", "totals")} == {
        "orders": [0],
        "clean": [0],
        "totals": [0],
    }
    vacuum_everything(chain)
    for name in ("orders", "clean", "totals"):  # every version the tag needs is still readable
        assert lakeshelf.read(chain.table_uri(name), version=0, spark=spark).count() > 0
    code, out, _ = run(monkeypatch, capsys, "history", "clean", "--json", "--conf", conf(chain))
    kept = {e["version"]: e["kept_by"] for e in json.loads(out)}
    assert code == 0 and kept[0] == ["pinned by trained-v1 through totals@0"] and kept[1] == []
    code, out, _ = run(monkeypatch, capsys, "history", "totals", "--conf", conf(chain))
    assert code == 0 and "trained-v1" in out

    before = lakeshelf.detail(chain.table_uri("totals")).version
    code, out, err = run(
        monkeypatch, capsys, "reproduce", "totals@trained-v1", "--conf", conf(chain)
    )
    assert code == 0, err
    assert "identical" in out
    assert chain.lake_location.child("_reproduce").uri in out  # a scratch table
    assert lakeshelf.detail(chain.table_uri("totals")).version == before  # totals is untouched

    code, _, _ = run(monkeypatch, capsys, "untag", "trained-v1", "--conf", conf(chain))
    assert code == 0 and pinned_versions(chain, "clean") == []
    vacuum_everything(chain)
    with pytest.raises(LakeshelfError, match="vacuumed"):
        lakeshelf.read(chain.table_uri("clean"), version=0, spark=spark).count()
    code, _, err = run(monkeypatch, capsys, "reproduce", "totals@0", "--conf", conf(chain))
    assert code != 0 and "vacuumed" in err


def test_reproduce_refuses_changed_code_and_writes_only_to_scratch(
    chain, spark, monkeypatch, capsys, tmp_path
):
    (tmp_path / "conf" / "sql" / "totals.sql").write_text(
        TOTALS_SQL.replace("SUM(amount)", "SUM(amount) + 1")
    )
    code, _, err = run(monkeypatch, capsys, "reproduce", "totals@0", "--conf", conf(chain))
    assert code == 2 and "transform" in err and "--allow-code-change" in err
    assert "Check out" in err
    args = ["reproduce", "totals@0", "--allow-code-change", "--conf", conf(chain)]
    code, out, err = run(monkeypatch, capsys, *args)
    assert code == 1 and "changed transform" in out
    assert "total: 4 value(s) differ" in out
    result = lakeshelf.reproduce("totals@0", conf(chain), allow_code_change=True, spark=spark)
    assert not result.identical and result.code_changes == ["transform"]
    # two customers, each total changed: 2 published values and 2 rebuilt ones unmatched
    assert result.columns_differing == {"total": 4}

    # the rebuild never writes into a dataset's table, and only into an empty location
    args = ["reproduce", "totals@1", "--into", chain.table_uri("clean"), "--conf", conf(chain)]
    code, _, err = run(monkeypatch, capsys, *args)
    assert code == 2 and "scratch" in err
    # a bronze version rebuilds from its raw files while they are there, and says when not
    code, out, err = run(monkeypatch, capsys, "reproduce", "orders@1", "--conf", conf(chain))
    assert code == 0 and "identical" in out and "_ingested_at" in out, err
    (tmp_path / "raw" / "orders" / "2.csv").unlink()
    code, _, err = run(monkeypatch, capsys, "reproduce", "orders@1", "--conf", conf(chain))
    assert code == 1 and "1 of 2 raw files are gone" in err and "2.csv" in err
    assert run(monkeypatch, capsys, "reproduce", "orders@0", "--conf", conf(chain))[0] == 0
    into = str(tmp_path / "rebuilt")
    args = ["reproduce", "clean@1", "--into", into, "--conf", conf(chain)]
    assert run(monkeypatch, capsys, *args)[0] == 0
    assert lakeshelf.detail(into).version == 0
    code, _, err = run(monkeypatch, capsys, *args)  # the location now holds a table
    assert code == 2 and "empty location" in err
