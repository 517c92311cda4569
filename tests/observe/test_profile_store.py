"""The registry's profiles table: idempotent per version, compacted as it grows, read by dataset."""

from __future__ import annotations

import dataclasses

from lakeshelf.registry import store
from lakeshelf.registry.profile import profile
from lakeshelf.registry.registration import PROFILE_FILES_BEFORE_COMPACTION, compact_profiles_if_due
from lakeshelf.storage import Location
from lakeshelf.table import history


def test_profiles_are_kept_once_per_version_and_compacted_as_they_grow(spark, tmp_path):
    lake = Location.of(str(tmp_path / "lake"))
    columns = profile(spark.range(10).selectExpr("id", "cast(id AS string) AS s"), "a", 0)
    versions = PROFILE_FILES_BEFORE_COMPACTION + 5
    for version in range(versions):
        for dataset in ("a",) if version % 10 else ("a", "b"):
            rows = [dataclasses.replace(c, dataset=dataset, version=version) for c in columns]
            if store.register_profile(lake, dataset, version, rows):
                compact_profiles_if_due(lake)
    assert not store.register_profile(lake, "a", 3, columns)  # already there: not added twice
    table = store.profiles_table(lake)
    operations = [e.operation for e in history(table)]
    assert "OPTIMIZE" in operations
    stored = store.profiles(lake, "a", with_sketches=False)
    assert [(p.version, p.column) for p in stored] == [
        (v, c) for v in range(versions) for c in ("id", "s")
    ]
    assert all(p.kll is None for p in stored)  # scalars only
    assert {p.version for p in store.profiles(lake, "b")} == set(range(0, versions, 10))
    with_sketches = store.profiles(lake, "a", {7})
    assert [p.column for p in with_sketches] == ["id", "s"] and with_sketches[0].kll
