"""Compaction: fewer files, the same rows in every version, a vacuum meanwhile harmless."""

from __future__ import annotations

import json

import pytest
from deltalake import DeltaTable
from tools.spark_metrics import files_scanned

import lakeshelf
from helpers import READ_ENGINES, commit_path, sorted_rows
from lakeshelf.storage import Location
from lakeshelf.table import vacuum
from lakeshelf.table.leases import OPTIMIZE_LEASE_PREFIX, write_lease
from lakeshelf.table.spark import delta_spark_serves

APPENDS = 12


@pytest.fixture
def small_appends(spark, table):
    """A table partitioned by ``p`` built by APPENDS appends of 10 rows each (two files each)."""
    for n in range(APPENDS):
        batch = spark.range(n * 10, n * 10 + 10).selectExpr("id", "id % 2 AS p", "'x' || id AS s")
        lakeshelf.write(batch, table, partition_by="p")
    return table


def test_optimize_compacts_to_one_file_per_partition_and_changes_no_rows(spark, small_appends):
    def version(number):
        return sorted_rows(lakeshelf.read(small_appends, version=number, spark=spark))

    before = {v: version(v) for v in (0, 5, 11)}
    assert len(DeltaTable(small_appends).file_uris()) == 2 * APPENDS

    result = lakeshelf.optimize(small_appends)

    assert (result.read_version, result.version) == (APPENDS - 1, APPENDS)
    assert (result.files_removed, result.files_added) == (2 * APPENDS, 2)
    assert len(DeltaTable(small_appends).file_uris()) == 2
    for engine in READ_ENGINES:
        latest = lakeshelf.read(small_appends, spark=spark, engine=engine)
        assert sorted_rows(latest) == before[11], engine
        assert files_scanned(latest) == 2, engine
    for number, expected in before.items():  # earlier versions read their own files
        assert version(number) == expected
    with open(commit_path(small_appends, APPENDS)) as log:
        actions = [json.loads(line) for line in log]
    changes = [a[k]["dataChange"] for a in actions for k in ("add", "remove") if k in a]
    assert changes and not any(changes)  # no reader or change feed sees new data
    assert lakeshelf.history(small_appends)[0].operation == "OPTIMIZE"


def test_optimize_with_nothing_to_compact_commits_nothing(spark, table):
    lakeshelf.write(spark.range(10), table)
    result = lakeshelf.optimize(table)
    assert result.version is None and result.files_removed == 0
    assert DeltaTable(table).version() == 0


def test_z_order_clusters_files_so_a_selective_filter_skips(spark, table):
    for n in range(6):  # every append spans the whole id range: no file can be skipped
        batch = spark.range(0, 6000).where(f"id % 6 = {n}").selectExpr("id", "id * 2 AS v")
        lakeshelf.write(batch, table)
    narrow = lakeshelf.read(table, spark=spark).where("id BETWEEN 10 AND 20")
    assert files_scanned(narrow) == 6 or not delta_spark_serves(spark)
    result = lakeshelf.optimize(table, z_order=["id"], target_size=8000)
    assert result.z_order == ["id"] and result.files_added > 1
    narrow = lakeshelf.read(table, spark=spark).where("id BETWEEN 10 AND 20")
    assert [r.id for r in narrow.orderBy("id").collect()] == list(range(10, 21))
    if delta_spark_serves(spark):  # data skipping from statistics is delta-spark's
        assert files_scanned(narrow) < result.files_added


def test_a_vacuum_during_a_compaction_spares_the_files_it_has_not_committed(spark, table):
    lakeshelf.write(spark.range(5), table)
    location = Location.of(table)
    fs = location.filesystem()
    with write_lease(fs, location, f"{OPTIMIZE_LEASE_PREFIX}test"):
        written = f"{table}/part-00001-from-a-running-compaction.parquet"  # named by delta-rs
        fs.pipe(written, b"PAR1")
        assert vacuum(location, pinned=[], retain_hours=0).removed_files == []
    assert fs.exists(written)
    assert vacuum(location, pinned=[], retain_hours=0).removed_files == [
        "part-00001-from-a-running-compaction.parquet"
    ]


def three_appends(table: str) -> None:
    import pyarrow as pa
    from deltalake import write_deltalake

    for start in (0, 5, 10):
        write_deltalake(table, pa.table({"id": list(range(start, start + 5))}), mode="append")


def row_count(table: str, version: int | None = None) -> int:
    return DeltaTable(table, version=version).to_pyarrow_table().num_rows


def test_a_compaction_waits_its_turn_behind_a_live_one(table):
    """Compactions of one table run one at a time: a live earlier compaction lease refuses a
    second (nothing done); the lease of a process that is gone does not."""
    import os
    import time

    three_appends(table)
    location = Location.of(table)
    fs = location.filesystem()
    other = f"{OPTIMIZE_LEASE_PREFIX}earlier"
    with write_lease(fs, location, other):
        earlier = time.time() - 60
        lease = f"{table}/_staging/{other}.lease"
        os.utime(lease, (earlier, earlier))
        with pytest.raises(lakeshelf.CommitConflictError, match="another compaction"):
            lakeshelf.optimize(table)
        assert DeltaTable(table).version() == 2
        with open(lease, "w") as handle:  # the same lease, held by a process that is gone
            json.dump({"txn": other, "host": os.uname().nodename, "pid": 2**22 + 7}, handle)
        os.utime(lease, (earlier, earlier))
        assert lakeshelf.optimize(table).version == 3
    assert row_count(table) == 15


def test_concurrent_compactions_never_double_rows(table):
    """delta-rs commits a compaction that lost its race on top of the winner (the rows twice);
    lakeshelf's compactions of one table started together leave every row once."""
    import threading

    three_appends(table)
    outcomes: list[object] = []

    def compact() -> None:
        try:
            outcomes.append(lakeshelf.optimize(table).version)
        except lakeshelf.CommitConflictError as refused:
            outcomes.append(refused)

    threads = [threading.Thread(target=compact) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 3 and any(isinstance(o, int) for o in outcomes)
    latest = DeltaTable(table).version()
    assert [row_count(table, v) for v in range(latest + 1)] == [5, 10, 15] + [15] * (latest - 2)


def test_a_compaction_that_raced_another_engine_is_undone(table):
    """If another engine compacts the same files meanwhile and delta-rs commits lakeshelf's
    compaction on top, the doubled version is restored over at once and the error says so."""
    from lakeshelf.table import undo_doubled_compaction

    three_appends(table)
    planned_before = DeltaTable(table)  # a compaction planned at version 2 ...
    DeltaTable(table).optimize.compact()  # ... another engine's compaction lands as 3 ...
    planned_before.optimize.compact()  # ... and delta-rs commits the first on top, as 4
    assert row_count(table, 4) == 30  # the delta-rs behaviour this guards against

    with pytest.raises(lakeshelf.LakeshelfError, match="restored version 3 as version 5"):
        undo_doubled_compaction(Location.of(table), 4)
    assert row_count(table) == 15
    assert sorted(DeltaTable(table).to_pyarrow_table().column("id").to_pylist()) == list(range(15))
