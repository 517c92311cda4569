"""Every Delta type and awkward partition values round-trip, and two independent readers agree."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from deltalake import DeltaTable

import lakeshelf
from helpers import READ_ENGINES

SCHEMA = (
    "b tinyint, s smallint, i int, l bigint, f float, d double, dec decimal(10,2),"
    " big decimal(38,18), str string, bin binary, flag boolean, day date, ts timestamp,"
    " ntz timestamp_ntz, arr array<int>, m map<string,int>,"
    " st struct<x:int, tags:array<string>, inner:struct<y:double>>"
)
UTC = dt.timezone.utc
ROWS = [
    (
        1,
        2,
        3,
        4,
        1.5,
        2.25,
        Decimal("12345678.90"),
        Decimal("3.141592653589793238"),
        "ünïcødé 🚀",
        b"\x00\xffbin",
        True,
        dt.date(2026, 11, 1),
        dt.datetime(2026, 11, 1, 10, 0, 0, 123456, tzinfo=UTC),
        dt.datetime(2026, 11, 1, 10, 0, 0, 654321),
        [1, None, 3],
        {"a": 1, "b": None},
        (7, ["x", None], (0.5,)),
    ),
    (
        -128,
        -32768,
        -2147483648,
        -9223372036854775808,
        float("-inf"),
        float("inf"),
        Decimal("-99999999.99"),
        Decimal("0E-18"),
        "",
        b"",
        False,
        dt.date(1, 1, 1),
        dt.datetime(1970, 1, 1, tzinfo=UTC),
        dt.datetime(9999, 12, 31, 23, 59, 59, 999999),
        [],
        {},
        (None, [], None),
    ),
    (None,) * 17,
]


def normalize(value):
    """One comparable form for values from Spark, pyarrow and DuckDB."""
    if isinstance(value, dt.datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, dict):
        return tuple(sorted((k, normalize(v)) for k, v in value.items()))
    if (
        isinstance(value, list)
        and value
        and all(isinstance(x, tuple) and len(x) == 2 for x in value)
    ):
        return tuple(sorted((k, normalize(v)) for k, v in value))  # pyarrow map
    if isinstance(value, (list, tuple)):
        return tuple(normalize(v) for v in value)
    if hasattr(value, "asDict"):
        return tuple(normalize(v) for v in value)
    return value


def struct_values(value):
    """Structs arrive as Rows (Spark) or dicts (pyarrow, DuckDB): compare field values in order."""
    if isinstance(value, dict) and set(value) >= {"x", "tags", "inner"}:
        inner = value["inner"]
        return (
            value["x"],
            value["tags"],
            tuple(inner.values()) if isinstance(inner, dict) else inner,
        )
    return value


def table_rows(records, columns):
    return sorted(
        (tuple(normalize(struct_values(r[c])) for c in columns) for r in records),
        key=repr,
    )


@pytest.fixture
def all_types(spark, table):
    df = spark.createDataFrame(ROWS, SCHEMA)
    lakeshelf.write(df, table)
    return table, df


def test_every_type_round_trips_through_lakeshelf(spark, all_types):
    uri, df = all_types
    for engine in READ_ENGINES:
        back = lakeshelf.read(uri, spark=spark, engine=engine)
        assert back.schema.simpleString() == df.schema.simpleString(), engine
        assert table_rows([r.asDict() for r in back.collect()], back.columns) == table_rows(
            [r.asDict() for r in df.collect()], df.columns
        ), engine


def test_delta_rs_reads_every_type_identically(spark, all_types):
    uri, df = all_types
    expected = table_rows([r.asDict() for r in df.collect()], df.columns)
    arrow = DeltaTable(uri).to_pyarrow_table().to_pylist()
    assert table_rows(arrow, df.columns) == expected


def test_duckdb_reads_every_type_identically(spark, all_types, duckdb_con):
    uri, df = all_types
    expected = table_rows([r.asDict() for r in df.collect()], df.columns)
    cursor = duckdb_con.execute(f"SELECT * FROM delta_scan('{uri}')")
    names = [c[0] for c in cursor.description]
    got = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    assert table_rows(got, df.columns) == expected


def test_timestamps_are_int64_microseconds_in_parquet(all_types):
    import glob

    import pyarrow.parquet as pq

    uri, _ = all_types
    files = glob.glob(f"{uri}/*.parquet")
    schema = pq.read_schema(files[0])
    assert str(schema.field("ts").type) == "timestamp[us, tz=UTC]"
    assert str(schema.field("ntz").type) == "timestamp[us]"


AWKWARD = ["a b", "x=y", "s/l", "p%c", "ünï", " ", "", None, "q?*[]{}", "tab\tnew", "#hash", "a:b"]


def test_awkward_partition_values_round_trip_and_agree(spark, table, duckdb_con):
    df = spark.createDataFrame([(i, v) for i, v in enumerate(AWKWARD)], "id long, p string")
    lakeshelf.write(df, table, partition_by="p")
    # Delta stores an empty-string partition value as null: every reader returns null for it.
    expected = sorted((i, None if v == "" else v) for i, v in enumerate(AWKWARD))
    for engine in READ_ENGINES:
        back = lakeshelf.read(table, spark=spark, engine=engine)
        assert sorted(tuple(r) for r in back.collect()) == expected, engine
        for value, count in (("a b", 1), ("x=y", 1), ("ünï", 1), (None, 2)):  # "" is null too
            hits = back.where(back.p.isNull() if value is None else back.p == value)
            assert [r.p for r in hits.collect()] == [value] * count, (engine, value)
    arrow = DeltaTable(table).to_pyarrow_table().to_pylist()
    assert sorted((r["id"], r["p"]) for r in arrow) == expected
    duck = duckdb_con.execute(f"SELECT id, p FROM delta_scan('{table}')").fetchall()
    assert sorted(duck) == expected


def test_typed_partition_columns_keep_their_types(spark, table, duckdb_con):
    df = spark.createDataFrame(
        [
            (
                1,
                7,
                dt.date(2026, 1, 31),
                True,
                Decimal("1.50"),
                dt.datetime(2026, 1, 1, 5, 30, tzinfo=UTC),
            ),
            (2, None, None, None, None, None),
        ],
        "id long, n int, day date, flag boolean, amount decimal(5,2), ts timestamp",
    )
    lakeshelf.write(df, table, partition_by=["n", "day", "flag", "amount", "ts"])
    want = table_rows([r.asDict() for r in df.collect()], df.columns)
    for engine in READ_ENGINES:
        back = lakeshelf.read(table, spark=spark, engine=engine)
        assert back.schema.simpleString() == df.schema.simpleString(), engine
        assert table_rows([r.asDict() for r in back.collect()], df.columns) == want, engine
    arrow = DeltaTable(table).to_pyarrow_table().to_pylist()
    assert table_rows(arrow, df.columns) == want
    cursor = duckdb_con.execute(f"SELECT * FROM delta_scan('{table}')")
    names = [c[0] for c in cursor.description]
    duck = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    assert table_rows(duck, df.columns) == want


def test_versions_agree_across_readers(spark, table, duckdb_con):
    for n in range(3):
        lakeshelf.write(
            spark.range(n * 10, n * 10 + 10), table, mode="append" if n else "overwrite"
        )
    lakeshelf.write(spark.range(100, 105), table, mode="overwrite")
    for version in range(4):
        ours = sorted(r.id for r in lakeshelf.read(table, version=version, spark=spark).collect())
        own = lakeshelf.read(table, version=version, spark=spark, engine="lakeshelf")
        assert sorted(r.id for r in own.collect()) == ours, version
        rs = sorted(DeltaTable(table, version=version).to_pyarrow_table().column("id").to_pylist())
        duck = sorted(
            r[0]
            for r in duckdb_con.execute(
                f"SELECT id FROM delta_scan('{table}', version => {version})"
            ).fetchall()
        )
        assert ours == rs == duck, version
