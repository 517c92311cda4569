"""Releases: a consistent set of dataset versions pinned in one registry commit, its lockfile,
verification, reading it back, its pins through lineage, and logging it with MLflow."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import lakeshelf
from helpers import run
from lakeshelf.pipeline import build, ingest
from lakeshelf.registry import pinned_versions, records
from lakeshelf.storage import Location
from lakeshelf.table import load_snapshot

ORDERS = {
    "layer": "bronze",
    "source": {"path": "./raw/orders/*.csv", "format": "csv", "options": {"header": True}},
    "schema": {"id": "int", "customer": "string", "amount": "double"},
}
TOTALS = {"layer": "gold", "inputs": {"orders": "orders@latest"}, "transform": "sql/totals.sql"}


@pytest.fixture
def shop(project_factory, raw, tmp_path, spark):
    """orders@0..1 and totals@0..1, each totals built from the orders before it."""
    (tmp_path / "conf" / "sql").mkdir(parents=True)
    (tmp_path / "conf" / "sql" / "totals.sql").write_text(
        "SELECT customer, SUM(amount) AS total FROM orders GROUP BY customer"
    )
    project = project_factory({"orders": ORDERS, "totals": TOTALS})
    raw("orders/1.csv", "id,customer,amount\n1,ann,10\n2,bob,5\n")
    ingest(project, "orders", spark=spark)
    build(project, "totals", spark=spark)
    raw("orders/2.csv", "id,customer,amount\n3,cy,7\n")
    ingest(project, "orders", spark=spark)
    build(project, "totals", spark=spark)
    return project


def lakeshelf_cli(monkeypatch, capsys, project, *args):
    return run(monkeypatch, capsys, *args, "--conf", str(project.conf_dir))


def test_release_lockfile_list_read_and_pins(shop, spark, monkeypatch, capsys):
    code, out, err = lakeshelf_cli(
        monkeypatch, capsys, shop, "release", "create", "r1", "totals@0", "orders@1"
    )
    assert code == 0, err
    code, out, _ = lakeshelf_cli(monkeypatch, capsys, shop, "release", "show", "r1")
    lock = json.loads(out)
    assert code == 0 and set(lock) == {"release", "created", "datasets"}
    by_name = {d["dataset"]: d for d in lock["datasets"]}
    registered = {(r.dataset, r.version): r for r in records(shop.lake_location)}
    assert by_name["totals"] == {
        "dataset": "totals",
        "version": 0,
        "fingerprint": registered[("totals", 0)].fingerprint,
        "table": shop.table_uri("totals"),
    }
    assert by_name["orders"]["version"] == 1
    code, out, _ = lakeshelf_cli(monkeypatch, capsys, shop, "release", "list")
    assert code == 0 and "r1" in out and "totals@0" in out

    frames = lakeshelf.read_release("r1", str(shop.conf_dir), spark)
    assert {n: f.count() for n, f in frames.items()} == {"orders": 3, "totals": 2}

    # pinned with their lineage: totals@0 keeps orders@0, and orders@1 is pinned itself
    assert pinned_versions(shop, "orders") == [0, 1] and pinned_versions(shop, "totals") == [0]
    code, out, _ = lakeshelf_cli(monkeypatch, capsys, shop, "history", "orders", "--json")
    kept = {e["version"]: e["kept_by"] for e in json.loads(out)}
    assert kept == {0: ["pinned by release r1 through totals@0"], 1: ["pinned by release r1"]}

    code, _, _ = lakeshelf_cli(monkeypatch, capsys, shop, "release", "remove", "r1")
    assert code == 0 and pinned_versions(shop, "orders") == []
    code, _, err = lakeshelf_cli(monkeypatch, capsys, shop, "release", "show", "r1")
    assert code == 2 and "no release 'r1'" in err


def test_release_create_is_all_or_nothing_and_names_follow_the_tag_rule(shop, monkeypatch, capsys):
    def create(*args):
        return lakeshelf_cli(monkeypatch, capsys, shop, "release", "create", *args)

    code, _, err = create("r1", "totals@0", "orders@9")  # orders@9 was never published
    assert code != 0 and "orders" in err
    assert lakeshelf_cli(monkeypatch, capsys, shop, "release", "show", "r1")[0] == 2  # nothing
    code, _, err = create("r1", "totals@0", "totals@1")
    assert code == 2 and "one version per dataset" in err
    code, _, err = create("bad name", "totals@0")
    assert code == 2
    assert create("r1", "totals@0")[0] == 0
    code, _, err = create("r1", "totals@1")
    assert code == 2 and "exists" in err


def test_release_verify_and_mlflow_logging(shop, spark, monkeypatch, capsys, tmp_path):
    assert lakeshelf_cli(monkeypatch, capsys, shop, "release", "create", "r2", "orders@0")[0] == 0
    code, out, _ = lakeshelf_cli(monkeypatch, capsys, shop, "release", "verify", "r2")
    assert code == 0 and "orders@0: identical" in out

    mlflow = pytest.importorskip("mlflow")
    from lakeshelf.mlflow_input import log_release

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    mlflow.set_tracking_uri((tmp_path / "mlruns").as_uri())
    with mlflow.start_run() as mlrun:
        lock = log_release("r2", str(shop.conf_dir))
    stored = mlflow.MlflowClient().get_run(mlrun.info.run_id)
    (entry,) = stored.inputs.dataset_inputs
    tags = {tag.key: tag.value for tag in entry.tags}
    assert tags["lakeshelf.release"] == "r2" and tags["lakeshelf.version"] == "0"
    artifact = mlflow.artifacts.load_dict(f"{mlrun.info.artifact_uri}/lakeshelf/release-r2.json")
    assert artifact == lock

    # a data file of orders@0 itself (the table holds orders@1's too)
    data_file = load_snapshot(Location.of(shop.table_uri("orders")), 0).files[0].path
    table = pq.read_table(data_file)
    amounts = [a + 1 for a in table.column("amount").to_pylist()]
    pq.write_table(table.set_column(2, "amount", pa.array(amounts)), data_file)
    code, out, err = lakeshelf_cli(monkeypatch, capsys, shop, "release", "verify", "r2")
    assert code == 1 and "DIFFERENT" in out and "orders@0" in err
