"""A damaged Delta log fails loudly (DamagedLogError, exit 1) and never reads a wrong snapshot:
every version that still reads gives exactly the rows it had."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from deltalake import DeltaTable

import lakeshelf
from lakeshelf.errors import DamagedLogError

VERSIONS = 9  # versions 0..8, each appending ids [10v, 10v + 10); checkpoint at 6


@pytest.fixture(scope="module")
def pristine(spark, tmp_path_factory) -> Path:
    uri = tmp_path_factory.mktemp("damaged") / "table"
    for v in range(7):
        lakeshelf.write(spark.range(v * 10, v * 10 + 10), str(uri))
    DeltaTable(str(uri)).create_checkpoint()
    for v in range(7, VERSIONS):
        lakeshelf.write(spark.range(v * 10, v * 10 + 10), str(uri))
    return uri


def commit(log: Path, v: int) -> Path:
    return log / f"{v:020d}.json"


def checkpoint(log: Path) -> Path:
    return next(log.glob("*.checkpoint.parquet"))


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


DAMAGES = {
    # name: (damage, versions that must refuse, versions that must still read exactly)
    "commit missing after the checkpoint": (
        lambda log: commit(log, 7).unlink(),
        [None, 7, 8],
        [0, 5, 6],
    ),
    "commit missing before the checkpoint": (
        lambda log: commit(log, 3).unlink(),
        [3, 4, 5],
        [None, 6, 7, 8, 2],
    ),
    "truncated checkpoint": (lambda log: truncate(checkpoint(log)), [None, 6, 8], [0, 5]),
    "_last_checkpoint names a missing checkpoint": (
        lambda log: (log / "_last_checkpoint").write_text(json.dumps({"version": 8, "size": 9})),
        [None],
        [0, 5, 7],
    ),
    "stale _last_checkpoint": (
        lambda log: (log / "_last_checkpoint").write_text(json.dumps({"version": 2, "size": 9})),
        [5],
        [None, 7, 8],
    ),
    "truncated latest commit": (lambda log: truncate(commit(log, 8)), [None, 8], [0, 7]),
}


@pytest.mark.parametrize("name", list(DAMAGES))
def test_damaged_log_refuses_or_reads_exactly(spark, pristine, tmp_path, name):
    damage, refused, readable = DAMAGES[name]
    uri = tmp_path / "table"
    shutil.copytree(pristine, uri)
    damage(uri / "_delta_log")
    for version in refused:
        with pytest.raises(DamagedLogError, match="damaged") as failed:
            lakeshelf.read(str(uri), version=version, spark=spark).count()
        assert failed.value.exit_code == 1 and "_delta_log" in str(failed.value)
    for version in readable:
        last = VERSIONS - 1 if version is None else version
        ids = sorted(r.id for r in lakeshelf.read(str(uri), version=version, spark=spark).collect())
        assert ids == list(range((last + 1) * 10)), f"version {version} read a wrong snapshot"


def test_cli_reports_a_damaged_log_in_one_line_with_exit_1(pristine, tmp_path, monkeypatch, capsys):
    from helpers import run

    uri = tmp_path / "table"
    shutil.copytree(pristine, uri)
    commit(uri / "_delta_log", 7).unlink()
    code, _, err = run(monkeypatch, capsys, "show", str(uri))
    assert code == 1 and "damaged" in err and "Traceback" not in err
