"""Shared fixtures: one local Spark session per run, the golden tables, independent readers."""

from __future__ import annotations

import glob
import os
import shutil
from pathlib import Path

import pytest

from helpers import REPO  # also puts the repository on sys.path (tools/)

GOLDEN = Path(os.environ.get("LAKESHELF_GOLDEN", REPO.parent / "shared" / "golden"))


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """Local Spark with two cores; each task may be attempted twice, so retries are exercised."""
    import lakeshelf

    warehouse = tmp_path_factory.mktemp("warehouse")
    session = lakeshelf.spark_session(
        "lakeshelf-tests",
        master="local[2,2]",
        conf={
            "spark.sql.warehouse.dir": str(warehouse),
            "spark.driver.memory": "2g",
            "spark.sql.shuffle.partitions": "4",
            # the suite's tables are tiny: read them through delta-spark, as large ones are
            # (tests/table/test_read.py tests the small-version rule itself)
            "spark.lakeshelf.read.smallVersionBytes": "0",
        },
    )
    yield session
    session.stop()


@pytest.fixture
def table(tmp_path) -> str:
    """A fresh location for a table."""
    return str(tmp_path / "table")


@pytest.fixture(scope="session")
def golden() -> Path:
    """The reference tables written by delta-spark (see ../shared/golden/EXPECTED.md)."""
    if not (GOLDEN / "EXPECTED.md").exists():
        pytest.fail(f"golden tables not found at {GOLDEN}: CI places shared/ beside the repository")
    return GOLDEN


@pytest.fixture
def golden_copy(golden, tmp_path):
    """Copy a golden table to a writable folder."""

    def copy(name: str) -> str:
        target = tmp_path / name
        shutil.copytree(golden / name, target)
        return str(target)

    return copy


@pytest.fixture(scope="session")
def duckdb_con():
    """A DuckDB connection with the delta extension from duckdb-extension-delta loaded."""
    import duckdb
    import duckdb_extension_delta

    pattern = os.path.join(
        os.path.dirname(duckdb_extension_delta.__file__), "**", "*.duckdb_extension*"
    )
    extension = sorted(glob.glob(pattern, recursive=True))[0]
    con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
    con.execute(f"LOAD '{extension}'")
    return con


@pytest.fixture
def project_factory(tmp_path):
    """Write a configuration folder under tmp_path and load it: factory(datasets, **lake)."""
    import yaml

    from lakeshelf.config import load_project

    def make(datasets: dict[str, dict], **lake_settings):
        conf = tmp_path / "conf"
        (conf / "datasets").mkdir(parents=True, exist_ok=True)
        settings = {"lake": "./lake", **lake_settings}
        (conf / "lakeshelf.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
        for name, body in datasets.items():
            (conf / "datasets" / f"{name}.yaml").write_text(
                yaml.safe_dump({"name": name, **body}, sort_keys=False)
            )
        return load_project(conf)

    return make


@pytest.fixture
def raw(tmp_path):
    """Write a raw file under tmp_path/raw: raw('flights/a.csv', text_or_bytes) -> path."""

    def put(relative: str, content: str | bytes) -> Path:
        path = tmp_path / "raw" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return put


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 server in its own process on a free loopback port, stopped after the run."""
    from tools.s3_server import S3Server

    server = S3Server()
    yield server
    server.stop()


@pytest.fixture
def s3_bucket(s3_server, request) -> str:
    """A fresh bucket on the test server; returns ``s3://<bucket>``."""
    import re
    import uuid

    name = re.sub(r"[^a-z0-9-]", "-", request.node.name.lower())[:40].strip("-")
    bucket = f"{name}-{uuid.uuid4().hex[:8]}"
    s3_server.client().create_bucket(Bucket=bucket)
    return f"s3://{bucket}"
