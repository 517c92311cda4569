"""Registry: every published version recorded; tags; verify; manifests; copy-proof timestamps."""

from __future__ import annotations

import datetime as dt
import glob
import json
import os
import shutil
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import lakeshelf
from lakeshelf import registry
from lakeshelf.config import load_project
from lakeshelf.errors import ConfigError, LakeshelfError
from lakeshelf.pipeline import build, ingest
from lakeshelf.registry import lineage, manifest, resolve, verify

ORDERS = {
    "layer": "bronze",
    "source": {"path": "./raw/orders/*.csv", "format": "csv", "options": {"header": True}},
    "schema": {"id": "int", "customer": "string", "amount": "double"},
}
TOTALS = {"layer": "gold", "inputs": {"orders": "orders@latest"}, "transform": "sql/totals.sql"}


@pytest.fixture
def shop(project_factory, raw, tmp_path, spark):
    (tmp_path / "conf" / "sql").mkdir(parents=True)
    (tmp_path / "conf" / "sql" / "totals.sql").write_text(
        "SELECT customer, SUM(amount) AS total FROM orders GROUP BY customer"
    )
    project = project_factory({"orders": ORDERS, "totals": TOTALS})
    raw("orders/1.csv", "id,customer,amount\n1,ann,10\n2,bob,5\n")
    ingest(project, "orders", spark=spark)
    build(project, "totals", spark=spark)
    return project


def conf(project):
    return str(project.conf_dir)


def test_publishing_registers_each_version_with_provenance(shop, spark):
    orders = registry.records(shop.lake_location, "orders")
    assert [r.version for r in orders] == [0]
    record = orders[0]
    assert record.row_count == 2 and record.fingerprint.startswith("2:")
    assert record.table_uri == shop.table_uri("orders")
    assert [f["name"] for f in json.loads(record.schema_json)["fields"]][:3] == [
        "id",
        "customer",
        "amount",
    ]
    assert len(record.schema_hash) == 64 and record.config_hash == shop.config_hashes["orders"]
    assert record.spark_app_id == spark.sparkContext.applicationId
    assert record.user and record.host
    totals = registry.record_of(shop.lake_location, "totals", 0)
    assert json.loads(totals.lineage)["orders"]["version"] == 0


def test_manifest_has_what_ml_code_logs(shop):
    data = manifest("totals@0", conf(shop))
    for key in (
        "dataset",
        "table_uri",
        "version",
        "commit_timestamp",
        "row_count",
        "schema",
        "schema_hash",
        "fingerprint",
        "suite_result",
        "lineage",
        "code_version",
    ):
        assert key in data
    assert data["lineage"]["orders"] == {
        "dataset": "orders",
        "table": shop.table_uri("orders"),
        "version": 0,
    }
    assert lakeshelf.read(data["table_uri"], version=data["version"]).count() == data["row_count"]


def test_tags_pin_move_explicitly_and_resolve(shop, spark, raw):
    registry.set_tag(shop.lake_location, "trained", "orders", 0)
    raw("orders/2.csv", "id,customer,amount\n3,cy,1\n")
    ingest(shop, "orders", spark=spark)
    assert resolve("orders@trained", shop).version == 0
    assert resolve("orders@latest", shop).version == 1
    with pytest.raises(ConfigError, match="--force"):
        registry.set_tag(shop.lake_location, "trained", "orders", 1)
    moved = registry.set_tag(shop.lake_location, "trained", "orders", 1, force=True)
    assert (moved.action, moved.previous_version) == ("move", 0)
    assert resolve("orders@trained", shop).version == 1
    registry.remove_tag(shop.lake_location, "trained")
    with pytest.raises(ConfigError, match="no tag 'trained'"):
        resolve("orders@trained", shop)
    with pytest.raises(ConfigError):
        registry.set_tag(shop.lake_location, "v3", "orders", 1)
    with pytest.raises(ConfigError):
        registry.set_tag(shop.lake_location, "../x", "orders", 1)


def test_verify_passes_then_detects_tampering(shop, spark, monkeypatch, capsys):
    from helpers import run

    assert verify("orders@0", conf(shop), spark).identical
    data_file = glob.glob(f"{shop.table_uri('orders')}/*.parquet")[0]
    table = pq.read_table(data_file)
    amounts = table.column("amount").to_pylist()
    tampered = table.set_column(
        2, "amount", pa.array([a + 1 if a is not None else 1.0 for a in amounts])
    )
    pq.write_table(tampered, data_file)
    result = verify("orders@0", conf(shop), spark)
    assert not result.identical and result.registered != result.recomputed
    code, out, err = run(monkeypatch, capsys, "verify", "orders@0", "--conf", conf(shop))
    assert code == 1 and result.registered in out and "differs" in err


def test_lineage_is_recursive(shop):
    tree = lineage("totals@0", conf(shop))
    assert tree["inputs"]["orders"]["dataset"] == "orders"
    assert tree["inputs"]["orders"]["inputs"] == {}


def test_version_committed_before_a_crash_is_registered_by_the_next_run(shop, spark):
    uri = shop.table_uri("orders")
    frame = lakeshelf.read(uri, spark=spark).limit(1)
    lakeshelf.write(frame, uri)  # committed, never registered (as after a crash)
    assert [r.version for r in registry.records(shop.lake_location, "orders")] == [0]
    ingest(shop, "orders", spark=spark)  # nothing new to load, but it catches up
    assert [r.version for r in registry.records(shop.lake_location, "orders")] == [0, 1]


def test_timestamp_refs_survive_a_copy_of_the_lake(shop, spark, raw, tmp_path):
    time.sleep(1.1)
    between = dt.datetime.now(dt.timezone.utc)
    time.sleep(1.1)
    raw("orders/2.csv", "id,customer,amount\n3,cy,1\n")
    ingest(shop, "orders", spark=spark)
    assert resolve(f"orders@{between.isoformat()}", shop).version == 0

    copy = tmp_path / "copy"
    shutil.copytree(tmp_path / "conf", copy / "conf")
    shutil.copytree(tmp_path / "lake", copy / "lake")
    later = time.time() + 5
    for folder, _, names in os.walk(copy / "lake"):  # a restore from backup: file times are new
        for name in names:
            os.utime(os.path.join(folder, name), (later - 10, later - 10))
    copied = load_project(copy / "conf")
    assert resolve(f"orders@{between.isoformat()}", copied).version == 0
    assert [r.version for r in registry.records(copied.lake_location, "orders")] == [0, 1]


def test_dataset_refs_need_a_project_and_known_names(shop):
    with pytest.raises(ConfigError, match="--conf"):
        resolve("orders@0")
    with pytest.raises(ConfigError, match="unknown dataset"):
        resolve("ghost@0", shop)
    with pytest.raises(LakeshelfError, match="never published"):
        registry.record_of(shop.lake_location, "orders", 7)


def test_cli_tag_verify_manifest_exit_codes(shop, monkeypatch, capsys):
    from helpers import run

    code, out, _ = run(monkeypatch, capsys, "tag", "orders@0", "golden", "--conf", conf(shop))
    assert code == 0 and "golden" in out
    code, out, _ = run(monkeypatch, capsys, "verify", "orders@golden", "--conf", conf(shop))
    assert code == 0 and "identical" in out
    code, out, _ = run(monkeypatch, capsys, "manifest", "orders@golden", "--conf", conf(shop))
    assert code == 0 and json.loads(out)["tags"] == ["golden"]
    code, out, _ = run(monkeypatch, capsys, "history", "orders", "--json", "--conf", conf(shop))
    assert code == 0 and json.loads(out)[0]["tags"] == ["golden"]
    code, _, err = run(monkeypatch, capsys, "manifest", "orders@nope", "--conf", conf(shop))
    assert code == 2 and "no tag" in err
    code, out, _ = run(monkeypatch, capsys, "untag", "golden", "--conf", conf(shop))
    assert code == 0


def test_manifest_keeps_the_split_a_model_was_trained_on(shop, spark):
    orders = lakeshelf.read(shop.table_uri("orders"), spark=spark)
    parts = lakeshelf.split(orders, key="id", fractions={"train": 0.5, "test": 0.5}, seed=3)
    record = manifest("orders@0", conf(shop), split=parts.params)
    assert record["split"] == parts.params and record["version"] == 0
    assert "split" not in manifest("orders@0", conf(shop))
