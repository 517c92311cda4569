"""A version read again is not replayed again, and never served stale.

Snapshots are kept by table, version and the identity of the version's commit file, so what
changes under a kept snapshot (a table re-created in place, files vacuumed) is still seen.
"""

from __future__ import annotations

import shutil

import pyarrow as pa
import pytest
from deltalake import write_deltalake

import lakeshelf
from lakeshelf.storage import Location
from lakeshelf.table import snapshot as snapshots


def _write(uri: str, values: list[int], mode: str = "append") -> None:
    write_deltalake(uri, pa.table({"n": values}), mode=mode)


@pytest.fixture
def replays(monkeypatch):
    """The versions whose log delta-rs replayed, in order."""
    seen: list[int | None] = []
    real = snapshots.open_table

    def open_table(table, version=None):
        seen.append(version)
        return real(table, version)

    monkeypatch.setattr(snapshots, "open_table", open_table)
    return seen


def test_a_version_read_again_is_not_replayed(tmp_path, replays):
    uri = str(tmp_path / "t")
    _write(uri, [1])
    _write(uri, [2, 3])
    first = snapshots.load_snapshot(Location.of(uri))
    again = Location.of(uri)
    second = snapshots.load_snapshot(again)
    assert replays == [1]
    assert second.files == first.files and second.version == 1
    assert second.location is again  # the caller's location, with the caller's credentials
    assert snapshots.load_snapshot(Location.of(uri), version=0).num_records == 1
    assert replays == [1, 0]


def test_a_new_commit_is_read_not_the_kept_latest(tmp_path, replays):
    uri = str(tmp_path / "t")
    _write(uri, [1])
    assert snapshots.load_snapshot(Location.of(uri)).num_records == 1
    _write(uri, [2, 3])
    assert snapshots.load_snapshot(Location.of(uri)).num_records == 3
    assert replays == [0, 1]


def test_a_table_recreated_in_place_is_read_afresh(tmp_path):
    uri = str(tmp_path / "t")
    _write(uri, [1])
    before = snapshots.load_snapshot(Location.of(uri))
    shutil.rmtree(uri)
    _write(uri, [7, 8, 9])  # version 0 again, other files
    after = snapshots.load_snapshot(Location.of(uri))
    assert after.version == before.version == 0
    assert after.num_records == 3
    assert {f.path for f in after.files}.isdisjoint(f.path for f in before.files)


def test_files_vacuumed_after_a_read_are_still_refused(tmp_path):
    uri = str(tmp_path / "t")
    _write(uri, [1])
    _write(uri, [2], mode="overwrite")
    old = snapshots.load_snapshot(Location.of(uri), version=0)
    for data_file in old.files:  # what vacuum removes: files no longer in the latest version
        Location.of(data_file.path).filesystem().rm(data_file.path)
    with pytest.raises(lakeshelf.VersionNotFoundError, match="vacuumed"):
        snapshots.load_snapshot(Location.of(uri), version=0)
