"""Row-level diff of two versions of a table, checked against counts worked out by hand."""

from __future__ import annotations

import json

import pytest

import lakeshelf
from helpers import run

BEFORE = [(1, "ann", 10.0), (2, "bob", 5.0), (3, "cy", None), (4, "dee", 1.0)]
# 1 unchanged; 2 amount changed; 3 name changed (null amount stays null); 4 removed; 5 added
AFTER = [(1, "ann", 10.0), (2, "bob", 6.0), (3, "cyd", None), (5, "eve", 2.0)]


@pytest.fixture
def versions(spark, table):
    schema = "id INT, name STRING, amount DOUBLE"
    lakeshelf.write(spark.createDataFrame(BEFORE, schema), table, mode="overwrite")
    lakeshelf.write(spark.createDataFrame(AFTER, schema), table, mode="overwrite")
    return table


def test_keyed_diff_counts_and_rows(versions, spark):
    result = lakeshelf.diff(f"{versions}@0", f"{versions}@1", key="id", spark=spark)
    assert result.summary.as_json() == {
        "added": 1,
        "removed": 1,
        "changed": 2,
        "unchanged": 1,
        "columns_changed": {"name": 1, "amount": 1},
    }
    assert [r.id for r in result.added.collect()] == [5]
    assert [r.id for r in result.removed.collect()] == [4]
    changed = {r.id: (r.amount__before, r.amount__after) for r in result.changed.collect()}
    assert changed == {2: (5.0, 6.0), 3: (None, None)}


def test_keyed_diff_sees_columns_only_one_side_has(versions, spark):
    # version 2 drops amount and adds tier, set on row 1 only
    rows = [(1, "ann", "gold"), (2, "bob", None), (3, "cyd", None), (5, "eve", None)]
    after = spark.createDataFrame(rows, "id INT, name STRING, tier STRING")
    lakeshelf.write(after, versions, mode="overwrite", schema_mode="overwrite")
    result = lakeshelf.diff(f"{versions}@1", f"{versions}@2", key="id", spark=spark)
    # amount was 10.0, 6.0, null, 2.0: three values gone; tier is new on row 1
    assert result.summary.columns_changed == {"name": 0, "amount": 3, "tier": 1}
    assert (result.summary.changed, result.summary.unchanged) == (3, 1)
    changed = {
        r.id: (r.amount__before, r.amount__after, r.tier__after) for r in result.changed.collect()
    }
    assert changed == {1: (10.0, None, "gold"), 2: (6.0, None, None), 5: (2.0, None, None)}


def test_unkeyed_diff_compares_whole_rows(versions, spark):
    summary = lakeshelf.diff(f"{versions}@0", f"{versions}@1", spark=spark).summary
    # without a key a changed row is one removed and one added
    assert (summary.added, summary.removed, summary.changed, summary.unchanged) == (3, 3, None, 1)
    # per column: values with no equal on the other side, counted on both sides
    assert summary.columns_changed == {"id": 2, "name": 4, "amount": 4}


def test_diff_command_json_examples_and_bad_keys(versions, spark, monkeypatch, capsys):
    args = ["diff", f"{versions}@0", f"{versions}@1", "--key", "id"]
    code, out, _ = run(monkeypatch, capsys, *args, "--json")
    assert code == 0
    assert json.loads(out) == {
        "added": 1,
        "removed": 1,
        "changed": 2,
        "unchanged": 1,
        "columns_changed": {"name": 1, "amount": 1},
    }
    code, out, _ = run(monkeypatch, capsys, *args)
    assert code == 0 and "eve" in out and "dee" in out and "amount (1)" in out
    code, _, err = run(monkeypatch, capsys, *args[:3], "--key", "name,missing")
    assert code == 2 and "missing" in err
    dup = spark.createDataFrame(
        [(1, "a", 1.0), (1, "b", 2.0)], "id INT, name STRING, amount DOUBLE"
    )
    lakeshelf.write(dup, versions, mode="overwrite")
    code, _, err = run(monkeypatch, capsys, "diff", f"{versions}@1", f"{versions}@2", "--key", "id")
    assert code == 2 and "not unique" in err
