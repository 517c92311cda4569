"""The README's first command: the demo pipeline runs and its time-travel read is right."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from helpers import REPO

pytestmark = pytest.mark.slow


def test_demo_runs_and_reads_the_features_as_of_month_three(tmp_path):
    shutil.copytree(REPO / "conf", tmp_path / "conf")  # its lake and raw files land in tmp_path
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "jobs" / "demo.py"),
            "--conf",
            str(tmp_path / "conf"),
            "--months",
            "4",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "(after month 3): 77,911 rows, months [1, 2, 3]" in done.stdout, done.stdout[-2000:]
    assert (tmp_path / "lake").is_dir() and not (REPO / "conf" / "lake").exists()
    # the seasons: each month's drift against January, and the report of the last month
    assert "drift of each month's flights against January" in done.stdout
    assert re.search(r"^\s+4\s+\d+ of \d+ ", done.stdout, re.MULTILINE), done.stdout[-2000:]
    report = tmp_path / "lake" / "reports" / "drift.html"
    assert f"drift report (2013-04 against January): {report}" in done.stdout
    assert "dep_delay" in report.read_text()
    # March's features pinned, inputs vacuumed with zero retention, rebuilt identical
    assert "vacuumed the inputs with zero retention" in done.stdout
    assert "kept: pinned by trained-v1 through flight_features@" in done.stdout
    assert "reproduce flight_features@trained-v1 from its pinned inputs: identical" in done.stdout
    site = tmp_path / "site" / "index.html"  # the demo ends with the catalog site
    assert f"{site.as_uri()}" in done.stdout
    lake_page = site.read_text()
    for name in ("flights_raw", "flights_clean", "flight_features", "weather_raw"):
        assert f'href="d/{name}/index.html"' in lake_page
    assert "trained-v1" in lake_page
    features = (tmp_path / "site" / "d" / "flight_features" / "v3.html").read_text()
    assert "flights_clean@3" in features  # lineage to its input version
