"""Avro raw sources: loaded with the declared schema (spark-avro, or fastavro in Python workers),
schema drift judged per file, unreadable or truncated files quarantined with the reason."""

from __future__ import annotations

import datetime as dt
import io

import fastavro
import pytest

import lakeshelf
from lakeshelf.errors import DataRejectedError
from lakeshelf.pipeline import ingest
from lakeshelf.pipeline.parse_avro import SPARK_AVRO_CLASS
from lakeshelf.table.spark import jvm_has_class

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)
FIELDS = [
    {"name": "id", "type": "long"},
    {"name": "name", "type": ["null", "string"]},
    {"name": "at", "type": {"type": "long", "logicalType": "timestamp-micros"}},
    {"name": "score", "type": "double"},
]
DATASET = {
    "layer": "bronze",
    "source": {"path": "./raw/*.avro", "format": "avro"},
    "schema": {"id": "bigint", "name": "string", "at": "timestamp", "score": "double"},
    "max_bad_fraction": 0.5,
}


def avro_bytes(first: int, count: int, extra: bool = False, codec: str = "deflate") -> bytes:
    fields = FIELDS + ([{"name": "note", "type": ["null", "string"]}] if extra else [])
    schema = {"type": "record", "name": "point", "fields": fields}
    records = [
        {
            "id": i,
            "name": None if i % 7 == 0 else f"n{i}",
            "at": T0 + dt.timedelta(seconds=i),
            "score": i / 4,
            **({"note": f"extra {i}"} if extra else {}),
        }
        for i in range(first, first + count)
    ]
    sink = io.BytesIO()
    fastavro.writer(sink, schema, records, codec=codec, sync_interval=4096)
    return sink.getvalue()


def at(i: int) -> dt.datetime:
    """Row i's timestamp as Spark returns it in a UTC session (naive)."""
    return (T0 + dt.timedelta(seconds=i)).replace(tzinfo=None)


def expected(first: int, count: int) -> list[tuple]:
    return [
        (
            i,
            None if i % 7 == 0 else f"n{i}",
            (T0 + dt.timedelta(seconds=i)).replace(tzinfo=None),
            i / 4,
        )
        for i in range(first, first + count)
    ]


def loaded(spark, project, *columns):
    df = lakeshelf.read(project.table_uri("points"), spark=spark)
    return sorted(
        tuple(r) for r in df.select(*(columns or ("id", "name", "at", "score"))).collect()
    )


def test_avro_files_load_with_the_declared_schema_and_their_lines(spark, project_factory, raw):
    project = project_factory({"points": DATASET})
    raw("a.avro", avro_bytes(0, 3000))
    b = raw("b.avro", avro_bytes(3000, 5, codec="null"))  # uncompressed blocks

    result = ingest(project, "points", spark=spark)

    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3005, 3005, 0)
    assert loaded(spark, project) == expected(0, 3005)
    table = lakeshelf.read(project.table_uri("points"), spark=spark)
    assert table.where(f"_source_file = '{b}'").count() == 5
    assert ingest(project, "points", spark=spark).version is None  # exactly once


def test_avro_schema_drift_follows_the_policy(spark, project_factory, raw):
    project = project_factory({"points": DATASET})
    raw("a.avro", avro_bytes(0, 5))
    raw("b.avro", avro_bytes(5, 5, extra=True))
    with pytest.raises(
        DataRejectedError, match=r"(?s)b\.avro.*\+ note \(in the file, not declared\)"
    ):
        ingest(project, "points", spark=spark)

    project = project_factory({"points": {**DATASET, "schema_policy": "additive"}})
    ingest(project, "points", spark=spark)
    notes = loaded(spark, project, "id", "note")
    assert notes == [(i, None) for i in range(5)] + [(i, f"extra {i}") for i in range(5, 10)]


def test_unreadable_and_truncated_avro_files_are_quarantined_with_reasons(
    spark, project_factory, raw
):
    project = project_factory({"points": DATASET})
    raw("a.avro", avro_bytes(0, 40))
    garbage = raw("b.avro", b"this is not avro at all")
    whole = avro_bytes(1000, 20000)
    truncated = raw("c.avro", whole[: len(whole) // 2])  # header intact, blocks cut off

    result = ingest(project, "points", spark=spark)

    assert set(result.unreadable_files) == {str(garbage), str(truncated)}
    assert (result.rows_loaded, result.rows_quarantined) == (40, 2)
    assert loaded(spark, project) == expected(0, 40)
    malformed = lakeshelf.read(project.malformed_table("points").uri, spark=spark).collect()
    reasons = {r.source_file: r.reason for r in malformed}
    assert "not a readable Avro file" in reasons[str(garbage)]
    assert reasons[str(truncated)].startswith("unreadable file:")


def test_the_reader_in_use_is_spark_avro_where_the_session_has_it(spark):
    """CI's delta-spark pass reads with spark-avro; the own-engine pass with fastavro."""
    import os

    if os.environ.get("LAKESHELF_ENGINE") == "lakeshelf":
        assert not jvm_has_class(spark, SPARK_AVRO_CLASS)
    else:
        assert jvm_has_class(spark, SPARK_AVRO_CLASS)


def test_avro_on_s3(spark, project_factory, s3_server, s3_bucket):
    client = s3_server.client()
    bucket = s3_bucket.removeprefix("s3://")
    client.put_object(Bucket=bucket, Key="raw/a.avro", Body=avro_bytes(0, 50))
    client.put_object(Bucket=bucket, Key="raw/b.avro", Body=b"Obj\x01 cut short")
    source = {**DATASET["source"], "path": f"{s3_bucket}/raw/*.avro"}
    project = project_factory(
        {"points": {**DATASET, "source": source}},
        lake=f"{s3_bucket}/lake",
        storage_options=s3_server.storage_options,
    )
    result = ingest(project, "points", spark=spark)
    assert (result.rows_loaded, result.rows_quarantined) == (50, 1)
    assert list(result.unreadable_files) == [f"{s3_bucket}/raw/b.avro"]
    df = lakeshelf.read(
        project.table_uri("points"), spark=spark, storage_options=s3_server.storage_options
    )
    assert sorted(tuple(r) for r in df.select("id", "name", "at", "score").collect()) == expected(
        0, 50
    )
