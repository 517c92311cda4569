"""A small lake the site tests share: orders (bronze, with a suite) -> clean -> totals (gold),
published twice, one refused publish, a tag and a release. Built once per module."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

ORDERS = {
    "layer": "bronze",
    "source": {"path": "./raw/orders/*.csv", "format": "csv", "options": {"header": True}},
    "schema": {"id": "int", "customer": "string", "amount": "double"},
    "suite": "orders",
}
CLEAN = {"layer": "silver", "inputs": {"orders": "orders@latest"}, "transform": "sql/clean.sql"}
TOTALS = {"layer": "gold", "inputs": {"clean": "clean@latest"}, "transform": "sql/totals.sql"}
SUITE = {
    "name": "orders",
    "expectations": [
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "amount", "min_value": 0, "max_value": 1000},
        },
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "customer"}},
    ],
}


def write_conf(root: Path) -> Path:
    """The configuration folder of the shared lake under ``root``."""
    conf = root / "conf"
    for folder in ("datasets", "sql", "suites"):
        (conf / folder).mkdir(parents=True, exist_ok=True)
    (conf / "lakeshelf.yaml").write_text("lake: ./lake\n")
    for name, body in {"orders": ORDERS, "clean": CLEAN, "totals": TOTALS}.items():
        (conf / "datasets" / f"{name}.yaml").write_text(yaml.safe_dump({"name": name, **body}))
    (conf / "sql" / "clean.sql").write_text(
        "SELECT id, lower(customer) AS customer, amount FROM orders"
    )
    (conf / "sql" / "totals.sql").write_text(
        "SELECT customer, SUM(amount) AS total, COUNT(*) AS n FROM clean GROUP BY customer"
    )
    (conf / "suites" / "orders.json").write_text(json.dumps(SUITE))
    return conf


def add_orders(root: Path, name: str, rows: list[tuple[int, str, float]]) -> None:
    """One raw CSV batch of orders."""
    folder = root / "raw" / "orders"
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["id,customer,amount", *(f"{i},{c},{a}" for i, c, a in rows)]
    (folder / name).write_text("\n".join(lines) + "\n")


@pytest.fixture
def orders_batch():
    """add_orders, for tests that publish more (``orders_batch(root, name, rows)``)."""
    return add_orders


@pytest.fixture(scope="module")
def shop(tmp_path_factory, spark):
    """The shared lake's project, with every page's subject in it."""
    from lakeshelf.config import load_project
    from lakeshelf.errors import GateFailedError
    from lakeshelf.pipeline import build, ingest
    from lakeshelf.registry import tag_version
    from lakeshelf.registry.releases import create_release

    root = tmp_path_factory.mktemp("shop")
    project = load_project(write_conf(root))
    add_orders(root, "1.csv", [(1, "Ann", 10.0), (2, "bob", 5.0), (3, "ANN", 1.5)])
    for batch in range(2):
        if batch:
            add_orders(root, "2.csv", [(4, "cy", 700.0), (5, "Bob", 650.0), (6, "dee", 900.0)])
        ingest(project, "orders", spark=spark)
        build(project, "clean", spark=spark)
        build(project, "totals", spark=spark)
    add_orders(root, "3.csv", [(7, "eve", 5000.0)])  # beyond the suite's 1000: refused
    with pytest.raises(GateFailedError):
        ingest(project, "orders", spark=spark)
    (root / "raw" / "orders" / "3.csv").unlink()
    tag_version(project, "totals@1", "trained-v1")
    create_release(project, "r1", ["totals@1", "orders@0"])
    return project
