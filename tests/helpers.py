"""Helpers the test packages share (``tests/`` is on ``sys.path`` through its conftest)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from lakeshelf.storage import Location
from lakeshelf.table import delta_log

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # tools/ (test servers, the cluster) import from here


def log_listing(uri: str, options: dict[str, Any] | None = None) -> delta_log.LogListing | None:
    """The log listing of the table at ``uri``."""
    return delta_log.list_log(Location.of(uri, options))


def commit_info(uri: str, version: int, options: dict[str, Any] | None = None) -> dict | None:
    """The raw ``commitInfo`` of one commit of the table at ``uri``."""
    return delta_log.read_commit_info(Location.of(uri, options), version)


def commit_path(uri: str, version: int) -> str:
    """The commit file of ``version`` of the table at ``uri``."""
    return delta_log.commit_file(Location.of(uri), version)


def run(monkeypatch, capsys, *args):
    """The lakeshelf command in this process: (exit code, stdout, stderr)."""
    from lakeshelf.cli.main import main

    monkeypatch.setattr(sys, "argv", ["lakeshelf", *args])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code or 0
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def add_features(uri: str, reader: list[str], writer: list[str]) -> None:
    """Commit a protocol upgrade to table features (reader 3 / writer 7) as another engine would."""
    protocol = {
        "minReaderVersion": 3,
        "minWriterVersion": 7,
        "readerFeatures": reader,
        "writerFeatures": writer,
    }
    listing = log_listing(uri)
    assert listing is not None
    with open(commit_path(uri, listing.latest + 1), "w") as handle:
        handle.write(
            json.dumps({"commitInfo": {"timestamp": 1, "operation": "SET TBLPROPERTIES"}}) + "\n"
        )
        handle.write(json.dumps({"protocol": protocol}) + "\n")


def spark_submit(
    master: str, job: str, *args: str, options: tuple[str, ...] = ()
) -> subprocess.CompletedProcess:
    """Run a job from jobs/ (or a script at an absolute path) with spark-submit and ``options``;
    executors use this interpreter."""
    from tools.cluster import spark_bin

    command = [
        spark_bin("spark-submit"),
        "--master",
        master,
        "--conf",
        f"spark.pyspark.python={sys.executable}",
        "--conf",
        f"spark.pyspark.driver.python={sys.executable}",
        "--conf",
        "spark.executor.memory=1g",
        "--conf",
        "spark.cores.max=2",
        *options,
        str(REPO / "jobs" / job),
        *args,
    ]
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"}
    return subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)


def kill_ingest_when(conf_dir, dataset: str, ready, timeout: float = 240) -> None:
    """Run ``lakeshelf ingest DATASET`` in its own process group and SIGKILL the whole job (its
    JVM too) as soon as ``ready()`` is true; fail if the job ends first or ``ready`` never is."""
    job = subprocess.Popen(
        [sys.executable, "-m", "lakeshelf.cli.main", "ingest", dataset, "--conf", str(conf_dir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + timeout
        while not ready():
            assert job.poll() is None, "the job ended before the moment to kill it"
            assert time.monotonic() < deadline, "the moment to kill the job never came"
            time.sleep(0.01)
    finally:
        os.killpg(job.pid, signal.SIGKILL)
        job.wait(30)


#: lakeshelf.read's engines: the session's (delta-spark where it runs) and lakeshelf's own reader.
READ_ENGINES = (None, "lakeshelf")


def sorted_rows(df) -> list[tuple]:
    """A DataFrame's rows as sorted tuples of Python values (None first)."""
    found = [tuple(r) for r in df.collect()]
    return sorted(found, key=lambda r: tuple((v is not None, v) for v in r))
