"""The MLflow helper logs a registered version as a run input (runs when mlflow is installed)."""

from __future__ import annotations

import json

import pytest

from lakeshelf.pipeline import ingest

mlflow = pytest.importorskip("mlflow")

ORDERS = {
    "layer": "bronze",
    "source": {"path": "./raw/orders/*.csv", "format": "csv", "options": {"header": True}},
    "schema": {"id": "int", "amount": "double"},
}


def test_log_input_records_table_version_and_fingerprint(
    project_factory, raw, spark, tmp_path, monkeypatch
):
    from lakeshelf.mlflow_input import log_input

    project = project_factory({"orders": ORDERS})
    raw("orders/1.csv", "id,amount\n1,10\n2,5\n")
    ingest(project, "orders", spark=spark)
    raw("orders/2.csv", "id,amount\n3,7\n")
    ingest(project, "orders", spark=spark)

    # A real tracking store on disk (MLflow's file store; its database store needs SQLAlchemy).
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    mlflow.set_tracking_uri((tmp_path / "mlruns").as_uri())
    with mlflow.start_run() as run:
        logged = log_input("orders@0", conf=str(project.conf_dir))
    stored = mlflow.MlflowClient().get_run(run.info.run_id)

    (entry,) = stored.inputs.dataset_inputs
    source = json.loads(entry.dataset.source)
    assert (entry.dataset.name, source["delta_table_version"]) == ("orders", 0)
    assert source["path"] == project.table_uri("orders")
    tags = {tag.key: tag.value for tag in entry.tags}
    assert tags["lakeshelf.fingerprint"] == logged["fingerprint"]
    assert logged["fingerprint"].startswith("2:")  # version 0, not the latest (3 rows)
    assert tags["mlflow.data.context"] == "training"
    artifact = mlflow.artifacts.load_dict(f"{run.info.artifact_uri}/lakeshelf/orders@v0.json")
    assert artifact["version"] == 0 and artifact["row_count"] == 2
