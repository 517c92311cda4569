"""Raw files that cannot be read (truncated gzip, corrupt or truncated Parquet): each is quarantined
whole with the reason, the rest of the batch loads per max_bad_fraction, nothing is lost."""

from __future__ import annotations

import gzip

import pytest

import lakeshelf
from helpers import log_listing
from lakeshelf.errors import DataRejectedError
from lakeshelf.pipeline import ingest

CSV_GZ = {
    "layer": "bronze",
    "source": {"path": "./raw/in/*.csv.gz", "format": "csv", "options": {"header": True}},
    "schema": {"id": "int", "name": "string"},
    "max_bad_fraction": 0.5,
}
PARQUET = {
    "layer": "bronze",
    "source": {"path": "./raw/p/*.parquet", "format": "parquet"},
    "schema": {"id": "long", "name": "string"},
    "max_bad_fraction": 0.5,
}


def csv_text(first: int, count: int) -> str:
    return "id,name\n" + "".join(f"{i},n{i}\n" for i in range(first, first + count))


def parquet_bytes(first: int, count: int) -> bytes:
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    ids = list(range(first, first + count))
    pq.write_table(pa.table({"id": ids, "name": [f"n{i}" for i in ids]}), sink)
    return sink.getvalue()


def quarantined(spark, project, name):
    df = lakeshelf.read(project.malformed_table(name).uri, spark=spark)
    return sorted((r.source_file, r.line, r.reason) for r in df.collect())


def test_truncated_gzip_is_quarantined_whole_and_the_rest_loads(spark, project_factory, raw):
    project = project_factory({"g": CSV_GZ})
    good = raw("in/a.csv.gz", gzip.compress(csv_text(0, 50).encode()))
    whole = gzip.compress(csv_text(1000, 20000).encode())
    broken = raw("in/b part.csv.gz", whole[: len(whole) // 2])  # a space: Spark encodes it

    result = ingest(project, "g", spark=spark)

    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (51, 50, 1)
    assert list(result.unreadable_files) == [str(broken)]
    assert any("could not be read" in note for note in result.notes)
    loaded = lakeshelf.read(project.table_uri("g"), spark=spark)
    assert sorted(r.id for r in loaded.collect()) == list(range(50))
    assert {r._source_file for r in loaded.collect()} == {str(good)}  # no half of the bad file
    [(source, line, reason)] = quarantined(spark, project, "g")
    assert source == str(broken) and line is None
    assert reason.startswith("unreadable file:") and "end of input stream" in reason.lower()

    again = ingest(project, "g", spark=spark)  # recorded as handled: not re-quarantined
    assert again.version is None and again.already_loaded == 2


def test_corrupt_and_truncated_parquet_are_quarantined_with_reasons(spark, project_factory, raw):
    project = project_factory({"p": PARQUET})
    good = parquet_bytes(0, 40)
    raw("p/a.parquet", good)
    truncated = raw("p/b.parquet", parquet_bytes(100, 500)[:300])  # no footer
    damaged = bytearray(parquet_bytes(200, 500))
    damaged[4:200] = b"\xff" * 196  # data pages destroyed, footer intact
    corrupt = raw("p/c.parquet", bytes(damaged))

    result = ingest(project, "p", spark=spark)

    assert set(result.unreadable_files) == {str(truncated), str(corrupt)}
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (42, 40, 2)
    loaded = lakeshelf.read(project.table_uri("p"), spark=spark)
    assert sorted(r.id for r in loaded.collect()) == list(range(40))
    reasons = {source: reason for source, _, reason in quarantined(spark, project, "p")}
    assert "not a readable Parquet file" in reasons[str(truncated)]
    assert reasons[str(corrupt)].startswith("unreadable file:")


def test_unreadable_files_beyond_max_bad_fraction_commit_nothing(spark, project_factory, raw):
    project = project_factory({"p": {**PARQUET, "max_bad_fraction": 0.0}})
    raw("p/a.parquet", parquet_bytes(0, 10))
    raw("p/b.parquet", b"PAR1 this is not parquet PAR1")
    with pytest.raises(DataRejectedError, match="unreadable file") as refused:
        ingest(project, "p", spark=spark)
    assert "b.parquet" in str(refused.value)
    assert log_listing(project.table_uri("p")) is None
    assert log_listing(project.malformed_table("p").uri) is None


def test_a_batch_of_only_unreadable_files_is_refused_with_each_reason(spark, project_factory, raw):
    project = project_factory({"p": PARQUET})
    raw("p/a.parquet", parquet_bytes(0, 10)[:50])
    raw("p/b.parquet", b"")
    with pytest.raises(DataRejectedError) as refused:
        ingest(project, "p", spark=spark)
    message = str(refused.value)
    assert "2 of 2 rows" in message and "a.parquet" in message and "b.parquet" in message
    assert log_listing(project.table_uri("p")) is None
