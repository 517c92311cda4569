"""Tagged versions survive vacuum and log cleanup; others fail saying they were vacuumed."""

from __future__ import annotations

import pytest
from deltalake import DeltaTable

import lakeshelf
from helpers import commit_path
from lakeshelf import registry
from lakeshelf.errors import VersionNotFoundError
from lakeshelf.pipeline import build
from lakeshelf.registry import verify
from lakeshelf.storage import Location
from lakeshelf.table import cleanup_log, vacuum

NUMBERS = {"layer": "gold", "inputs": {"src": "src@latest"}, "transform": "sql/n.sql"}
SRC = {
    "layer": "bronze",
    "source": {"path": "./raw/s/*.csv", "format": "csv", "options": {"header": True}},
    "schema": {"id": "int"},
}


@pytest.fixture
def ten_overwrites(spark, project_factory, raw, tmp_path):
    from lakeshelf.pipeline import ingest

    (tmp_path / "conf" / "sql").mkdir(parents=True)
    (tmp_path / "conf" / "sql" / "n.sql").write_text("SELECT id, id * 2 AS twice FROM src")
    project = project_factory({"src": SRC, "numbers": NUMBERS})
    raw("s/0.csv", "id\n1\n2\n")
    ingest(project, "src", spark=spark)
    build(project, "numbers", spark=spark)  # v0, published and registered
    registry.set_tag(project.lake_location, "keep", "numbers", 0)
    uri = project.table_uri("numbers")
    for n in range(10):
        lakeshelf.write(
            spark.range(n, n + 3).selectExpr("cast(id as int) id", "cast(id * 2 as int) twice"),
            uri,
            mode="overwrite",
        )
    return project


def test_pinned_version_survives_vacuum_and_log_cleanup(spark, ten_overwrites, monkeypatch, capsys):
    from helpers import run

    project = ten_overwrites
    uri = project.table_uri("numbers")
    code, out, _ = run(
        monkeypatch,
        capsys,
        "vacuum",
        "numbers",
        "--retain-hours",
        "0",
        "--log-retain-hours",
        "0",
        "--conf",
        str(project.conf_dir),
    )
    assert code == 0 and "kept pinned versions [0]" in out
    assert sorted(r.id for r in lakeshelf.read(uri, version=0, spark=spark).collect()) == [1, 2]
    assert verify("numbers@keep", str(project.conf_dir), spark).identical
    with pytest.raises(VersionNotFoundError, match="was vacuumed"):
        lakeshelf.read(uri, version=5, spark=spark)
    assert lakeshelf.read(uri, spark=spark).count() == 3  # latest untouched
    assert "VACUUM" in " ".join(e.operation for e in lakeshelf.history(uri))


def test_log_cleanup_keeps_the_checkpoint_before_the_oldest_pin(spark, table):
    for n in range(4):
        lakeshelf.write(spark.range(n, n + 1), table)
    DeltaTable(table).create_checkpoint()  # at version 3
    for n in range(4, 8):
        lakeshelf.write(spark.range(n, n + 1), table)
    removed, floor = cleanup_log(Location.of(table), pinned=[5], retain_hours=0)
    assert floor == 3
    assert sorted(removed) == [commit_path(table, v) for v in range(3)]
    assert lakeshelf.read(table, version=5, spark=spark).count() == 6
    assert lakeshelf.read(table, version=3, spark=spark).count() == 4
    with pytest.raises(VersionNotFoundError, match="removed by log cleanup"):
        lakeshelf.read(table, version=1, spark=spark)


def test_nothing_below_a_pin_without_an_earlier_checkpoint_is_removed(spark, table):
    for n in range(3):
        lakeshelf.write(spark.range(n, n + 1), table)
    DeltaTable(table).create_checkpoint()
    removed, floor = cleanup_log(Location.of(table), pinned=[0], retain_hours=0)
    assert (removed, floor) == ([], 0)


def test_dry_run_removes_nothing(spark, table):
    lakeshelf.write(spark.range(3), table)
    lakeshelf.write(spark.range(2), table, mode="overwrite")
    result = vacuum(Location.of(table), pinned=[], retain_hours=0, log_retain_hours=0, dry_run=True)
    assert result.removed_files
    assert lakeshelf.read(table, version=0, spark=spark).count() == 3


def test_vacuum_during_an_audit_spares_the_files_being_published(spark, table):
    lakeshelf.write(spark.range(5), table)
    removed_meanwhile = []

    def audit_while_vacuuming(staged):
        # an untracked file: nothing references the staged files yet, only the write's lease
        result = vacuum(Location.of(table), pinned=[], retain_hours=0, log_retain_hours=0)
        removed_meanwhile.extend(result.removed_files)
        return {"rows": staged.count()}

    version = lakeshelf.write(spark.range(5, 12), table, audit=audit_while_vacuuming)
    assert removed_meanwhile == []
    assert sorted(r.id for r in lakeshelf.read(table, version=version).collect()) == list(range(12))


def test_vacuum_removes_a_crashed_writers_files_once_its_lease_is_stale(spark, table, tmp_path):
    import os
    import subprocess
    import sys
    import time

    from lakeshelf.table.leases import LEASE_HOURS

    lakeshelf.write(spark.range(3), table)
    crash = (
        "import lakeshelf; s = lakeshelf.spark_session(master='local[1]');"
        f" lakeshelf.write(s.range(100, 110), {table!r})"
    )
    env = {**os.environ, "LAKESHELF_CRASH_AT": "before-commit"}
    died = subprocess.run([sys.executable, "-c", crash], env=env, capture_output=True, timeout=300)
    assert died.returncode == 137

    def data() -> list[str]:
        return sorted(p.name for p in (tmp_path / "table").glob("*.parquet"))

    referenced = set(_referenced_names(table))
    orphans = [n for n in data() if n not in referenced]
    assert orphans, "the crashed write left its data files"
    leases = list((tmp_path / "table" / "_staging").glob("*.lease"))
    assert len(leases) == 1

    # a live lease: the writer might still be auditing, so its files stay
    assert vacuum(Location.of(table), pinned=[], retain_hours=0).removed_files == []
    assert set(orphans) <= set(data())

    stale = time.time() - (LEASE_HOURS + 1) * 3600
    os.utime(leases[0], (stale, stale))
    result = vacuum(Location.of(table), pinned=[], retain_hours=0)
    assert sorted(result.removed_files) == orphans
    assert not set(orphans) & set(data()) and not leases[0].exists()
    assert sorted(r.id for r in lakeshelf.read(table, spark=spark).collect()) == [0, 1, 2]
    assert "VACUUM" in [e.operation for e in lakeshelf.history(table)]


def _referenced_names(uri):
    return [p.rsplit("/", 1)[-1] for p in DeltaTable(uri).file_uris()]


def test_writes_release_their_leases_whether_they_commit_or_fail(spark, table, tmp_path):
    lakeshelf.write(spark.range(3), table)
    spark.range(3, 5).write.format("delta").mode("append").save(table)
    with pytest.raises(lakeshelf.errors.SchemaMismatchError):
        lakeshelf.write(spark.range(2).selectExpr("'x' as id"), table)
    assert list((tmp_path / "table" / "_staging").glob("*")) == []
    assert lakeshelf.read(table, spark=spark).count() == 5
