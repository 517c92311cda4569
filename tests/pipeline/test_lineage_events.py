"""OpenLineage events of publishes, received by a real HTTP server on loopback and by the file
transport, checked against the spec's RunEvent schema; nothing is sent when not configured."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jsonschema
import pytest

from lakeshelf.errors import GateFailedError
from lakeshelf.pipeline import build, ingest, restore_dataset
from lakeshelf.pipeline.lineage_events import configured, dataset_name

SCHEMA = json.loads(
    (Path(__file__).parent / "data" / "openlineage_run_event.schema.json").read_text()
)
SECRET = "ol-test-secret-7c1f0e"
ORDERS = {
    "layer": "bronze",
    "source": {"path": "./raw/orders/*.csv", "format": "csv", "options": {"header": True}},
    "schema": {"id": "int", "customer": "string", "amount": "double"},
    "suite": "orders",
}
SUITE = {
    "name": "orders",
    "expectations": [
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "amount", "min_value": 0, "max_value": 100},
        }
    ],
}
TOTALS = {"layer": "gold", "inputs": {"orders": "orders@latest"}, "transform": "sql/totals.sql"}


class Receiver:
    """An OpenLineage HTTP endpoint on a free loopback port that keeps what it is sent."""

    def __init__(self) -> None:
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((self.path, dict(self.headers), json.loads(body)))
                self.send_response(201)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def events(self) -> list[dict]:
        return [body for _, _, body in self.received]


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No OpenLineage configuration anywhere, and a secret in the environment."""
    for key in list(__import__("os").environ):
        if key.startswith("OPENLINEAGE"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)


@pytest.fixture
def receiver(clean_env, monkeypatch):
    server = Receiver()
    monkeypatch.setenv("OPENLINEAGE_URL", server.url)
    yield server
    server.server.shutdown()


@pytest.fixture
def shop(project_factory, tmp_path, raw):
    (tmp_path / "conf" / "sql").mkdir(parents=True)
    (tmp_path / "conf" / "sql" / "totals.sql").write_text(
        "SELECT customer, SUM(amount) AS total FROM orders GROUP BY customer"
    )
    (tmp_path / "conf" / "suites").mkdir(parents=True)
    (tmp_path / "conf" / "suites" / "orders.json").write_text(json.dumps(SUITE))
    raw("orders/1.csv", "id,customer,amount\n1,ann,10\n2,bob,5\n")
    return project_factory({"orders": ORDERS, "totals": TOTALS})


def by_job(events: list[dict]) -> dict[str, list[dict]]:
    """Each job's events in order; a job run twice has its second run's under "<name>#2"."""
    runs: dict[str, list[dict]] = {}
    names: dict[str, str] = {}
    for event in events:
        run_id, job = event["run"]["runId"], event["job"]["name"]
        if run_id not in names:
            taken = sum(1 for n in names.values() if n.split("#")[0] == job)
            names[run_id] = job if not taken else f"{job}#{taken + 1}"
        runs.setdefault(names[run_id], []).append(event)
    return runs


def test_every_publish_emits_start_and_complete_with_versions_schema_and_assertions(
    receiver, shop, spark, raw
):
    ingest(shop, "orders", spark=spark)
    build(shop, "totals", spark=spark)
    raw("orders/2.csv", "id,customer,amount\n3,cy,7\n")
    ingest(shop, "orders", spark=spark)
    restore_dataset(shop, "orders@0", spark=spark)
    assert {path for path, _, _ in receiver.received} == {"/api/v1/lineage"}
    events = receiver.events()
    for event in events:
        jsonschema.validate(event, SCHEMA, format_checker=jsonschema.FormatChecker())
        assert SECRET not in json.dumps(event)
    runs = by_job(events)
    assert set(runs) == {"orders.ingest", "totals.build", "orders.ingest#2", "orders.restore"}
    for run in runs.values():
        assert [e["eventType"] for e in run] == ["START", "COMPLETE"]
        assert len({e["run"]["runId"] for e in run}) == 1
        assert run[0]["job"]["namespace"] == "lakeshelf"

    ingested = runs["orders.ingest"][1]
    (output,) = ingested["outputs"]
    assert (output["namespace"], output["name"]) == dataset_name(shop.table_uri("orders"))
    assert output["facets"]["version"]["datasetVersion"] == "0"
    assert [f["name"] for f in output["facets"]["schema"]["fields"]][:3] == [
        "id",
        "customer",
        "amount",
    ]
    (assertion,) = output["facets"]["dataQualityAssertions"]["assertions"]
    assert assertion == {
        "assertion": "expect_column_values_to_be_between",
        "success": True,
        "column": "amount",
        "severity": "error",
        "params": {"min_value": 0, "max_value": 100},
    }
    assert output["outputFacets"]["outputStatistics"]["rowCount"] == 2
    assert ingested["inputs"][0]["namespace"] == "file"  # the raw files

    built = runs["totals.build"][1]
    (source,) = built["inputs"]
    assert source["name"] == dataset_name(shop.table_uri("orders"))[1]
    assert source["facets"]["version"]["datasetVersion"] == "0"
    assert source["inputFacets"]["dataQualityAssertions"]["assertions"][0]["success"] is True
    assert built["outputs"][0]["facets"]["version"]["datasetVersion"] == "0"
    restored = runs["orders.restore"][1]
    assert restored["inputs"][0]["facets"]["version"]["datasetVersion"] == "0"
    assert restored["outputs"][0]["facets"]["version"]["datasetVersion"] == "2"


def test_a_refused_publish_emits_fail_with_the_failed_assertions(receiver, shop, spark, raw):
    raw("orders/1.csv", "id,customer,amount\n1,ann,10\n2,bob,500\n")
    with pytest.raises(GateFailedError):
        ingest(shop, "orders", spark=spark)
    start, fail = receiver.events()
    assert (start["eventType"], fail["eventType"]) == ("START", "FAIL")
    jsonschema.validate(fail, SCHEMA, format_checker=jsonschema.FormatChecker())
    assert "failed quality suite" in fail["run"]["facets"]["errorMessage"]["message"]
    (assertion,) = fail["outputs"][0]["facets"]["dataQualityAssertions"]["assertions"]
    assert assertion["success"] is False and "version" not in fail["outputs"][0]["facets"]


def test_nothing_is_sent_unless_configured_and_the_file_transport_works(
    clean_env, shop, spark, monkeypatch, tmp_path
):
    listener = Receiver()  # listening, but nobody is told about it
    assert not configured()
    ingest(shop, "orders", spark=spark)
    assert listener.received == []
    listener.server.shutdown()

    events_file = tmp_path / "events.jsonl"
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__TYPE", "file")
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__LOG_FILE_PATH", str(events_file))
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__APPEND", "true")
    assert configured()
    build(shop, "totals", spark=spark)
    events = [json.loads(line) for line in events_file.read_text().splitlines() if line]
    assert [e["eventType"] for e in events] == ["START", "COMPLETE"]
    assert events[1]["job"]["name"] == "totals.build"

    monkeypatch.setenv("OPENLINEAGE_DISABLED", "true")
    assert not configured()
