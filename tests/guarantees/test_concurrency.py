"""Concurrent writers on local disk and S3: appends land exactly once, conflicts fail clearly."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from deltalake import DeltaTable

import lakeshelf
from helpers import log_listing
from lakeshelf.errors import CommitConflictError, SchemaMismatchError

pytestmark = pytest.mark.slow


def values(writer: int, append: int) -> list[int]:
    """Distinct ids per (writer, append), a different count each, so sums identify them."""
    return [writer * 100_000 + append * 1_000 + i for i in range(writer + append + 1)]


def stress(spark, uri, options, writers, appends):
    lakeshelf.write(spark.range(0), uri, storage_options=options)  # version 0, empty

    def writer(w: int) -> list[int]:
        versions = []
        for a in range(appends):
            frame = spark.createDataFrame([(v,) for v in values(w, a)], "id long")
            versions.append(lakeshelf.write(frame, uri, storage_options=options))
        return versions

    with ThreadPoolExecutor(writers) as pool:
        landed = [v for vs in pool.map(writer, range(writers)) for v in vs]
    expected = [v for w in range(writers) for a in range(appends) for v in values(w, a)]
    assert sorted(landed) == list(range(1, writers * appends + 1))  # distinct, no gaps
    assert log_listing(uri, options).latest == writers * appends
    table = lakeshelf.read(uri, spark=spark, storage_options=options)
    got = sorted(r.id for r in table.collect())
    assert got == sorted(expected)  # nothing lost, nothing doubled


def test_concurrent_appends_local(spark, tmp_path):
    stress(spark, str(tmp_path / "t"), None, writers=4, appends=4)


def test_concurrent_appends_s3(spark, s3_server, s3_bucket):
    stress(spark, f"{s3_bucket}/t", s3_server.storage_options, writers=3, appends=3)


def test_overwrite_racing_appends_never_loses_an_append_silently(spark, tmp_path):
    uri = str(tmp_path / "t")
    lakeshelf.write(spark.createDataFrame([(0,)], "id long"), uri)
    appended: dict[int, list[int]] = {}
    overwritten: dict[int, list[int]] = {}
    refused = []

    def appender():
        for a in range(6):
            ids = values(1, a)
            frame = spark.createDataFrame([(i,) for i in ids], "id long")
            appended[lakeshelf.write(frame, uri)] = ids

    def overwriter():
        for o in range(3):
            ids = values(2, o)
            frame = spark.createDataFrame([(i,) for i in ids], "id long")
            try:
                overwritten[lakeshelf.write(frame, uri, mode="overwrite")] = ids
            except CommitConflictError as exc:
                assert "overwrite must not discard rows it never saw" in str(exc)
                refused.append(o)

    threads = [threading.Thread(target=appender), threading.Thread(target=overwriter)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    last = max(overwritten, default=0)
    expected = list(overwritten.get(last, [0]))
    expected += [i for version, ids in appended.items() if version > last for i in ids]
    got = sorted(r.id for r in lakeshelf.read(uri, spark=spark).collect())
    assert got == sorted(expected)
    assert len(appended) == 6 and len(overwritten) + len(refused) == 3


def test_stale_overwrite_is_refused_not_rebased(spark, tmp_path):
    """The last line of defence when an append lands between the overwrite's check and commit."""
    from deltalake import DeltaTable
    from deltalake.transaction import CommitProperties

    uri = str(tmp_path / "t")
    lakeshelf.write(spark.createDataFrame([(1,)], "id long"), uri)
    stale = DeltaTable(uri)
    lakeshelf.write(spark.createDataFrame([(2,)], "id long"), uri)
    with pytest.raises(Exception, match=r"(?i)failed to commit"):
        stale.create_write_transaction(
            [],
            "overwrite",
            stale.schema(),
            commit_properties=CommitProperties(max_commit_retries=0),
        )
    assert DeltaTable(uri).version() == 1


def test_two_writers_creating_one_table_both_land(spark, tmp_path):
    uri = str(tmp_path / "t")
    barrier = threading.Barrier(2, timeout=60)

    def audit(staged):
        barrier.wait()  # both have planned "create" and staged their files; now both commit
        return {}

    def write(ids):
        frame = spark.createDataFrame([(i,) for i in ids], "id long")
        return lakeshelf.write(frame, uri, audit=audit)

    with ThreadPoolExecutor(2) as pool:
        versions = sorted(pool.map(write, [[1, 2], [3]]))
    assert versions == [0, 1]
    assert sorted(r.id for r in lakeshelf.read(uri, spark=spark).collect()) == [1, 2, 3]


def test_overwrite_refused_when_an_append_lands_before_its_commit(spark, tmp_path):
    """Deterministic: the audit (between plan and commit) lets another writer append first."""
    uri = str(tmp_path / "t")
    lakeshelf.write(spark.createDataFrame([(1,)], "id long"), uri)

    def append_meanwhile(staged):
        lakeshelf.write(spark.createDataFrame([(2,)], "id long"), uri)
        return {}

    frame = spark.createDataFrame([(9,)], "id long")
    with pytest.raises(CommitConflictError, match="moved from version 0 to 1"):
        lakeshelf.write(frame, uri, mode="overwrite", audit=append_meanwhile)
    assert sorted(r.id for r in lakeshelf.read(uri, spark=spark).collect()) == [1, 2]
    assert log_listing(uri).latest == 1


def test_append_refused_by_delta_rs_after_an_overwrite_is_replanned_and_lands(spark, tmp_path):
    """delta-rs refuses an append whose snapshot lost files to a concurrent overwrite; lakeshelf
    re-plans it onto the new version instead of failing (deterministic: overwrite in the audit)."""
    uri = str(tmp_path / "t")
    lakeshelf.write(spark.createDataFrame([(1,)], "id long"), uri)

    def overwrite_meanwhile(staged):
        lakeshelf.write(spark.createDataFrame([(5,)], "id long"), uri, mode="overwrite")
        return {}

    frame = spark.createDataFrame([(7,)], "id long")
    assert lakeshelf.write(frame, uri, audit=overwrite_meanwhile) == 2
    assert sorted(r.id for r in lakeshelf.read(uri, spark=spark).collect()) == [5, 7]


def test_append_racing_a_schema_change_fails_clearly_and_commits_nothing(spark, tmp_path):
    uri = str(tmp_path / "t")
    lakeshelf.write(spark.range(3).selectExpr("id", "'a' as tag"), uri)

    def schema_changes_meanwhile(staged):  # runs after the append planned, before its commit
        replacement = spark.range(2).selectExpr("cast(id as string) as id", "'b' as tag")
        lakeshelf.write(replacement, uri, mode="overwrite", schema_mode="overwrite")
        return {}

    with pytest.raises(SchemaMismatchError, match="does not match the table's schema"):
        lakeshelf.write(
            spark.range(3, 6).selectExpr("id", "'c' as tag"), uri, audit=schema_changes_meanwhile
        )
    assert log_listing(uri).latest == 1  # only the schema change landed
    after = lakeshelf.read(uri, spark=spark)
    assert dict(after.dtypes)["id"] == "string" and sorted(r.tag for r in after.collect()) == [
        "b",
        "b",
    ]
    on_disk = {p.name for p in (tmp_path / "t").glob("*.parquet")}
    committed = {
        p.rsplit("/", 1)[-1] for v in (0, 1) for p in DeltaTable(uri, version=v).file_uris()
    }
    assert on_disk == committed  # the refused append left no files behind
