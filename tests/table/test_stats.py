"""Delta statistics from Parquet footers are exact where given and omitted where unsafe."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq

from lakeshelf.table.stats import file_stats


def footer(table: pa.Table, row_group_size: int | None = None):
    sink = io.BytesIO()
    pq.write_table(table, sink, row_group_size=row_group_size)
    return pq.read_metadata(io.BytesIO(sink.getvalue()))


def test_min_max_null_count_span_row_groups():
    table = pa.table({"n": [5, None, 1, 9, None, 3]})
    stats = json.loads(file_stats(footer(table, row_group_size=2), {"n": "long"}))
    assert stats == {
        "numRecords": 6,
        "minValues": {"n": 1},
        "maxValues": {"n": 9},
        "nullCount": {"n": 2},
    }


def test_timestamp_bounds_round_outward_to_milliseconds():
    utc = dt.timezone.utc
    values = [
        dt.datetime(2026, 1, 1, 0, 0, 0, 1500, tzinfo=utc),
        dt.datetime(2026, 1, 1, 0, 0, 1, 2500, tzinfo=utc),
    ]
    table = pa.table({"ts": pa.array(values, pa.timestamp("us", tz="UTC"))})
    stats = json.loads(file_stats(footer(table), {"ts": "timestamp"}))
    assert stats["minValues"]["ts"] == "2026-01-01T00:00:00.001Z"
    assert stats["maxValues"]["ts"] == "2026-01-01T00:00:01.003Z"


def test_long_strings_keep_only_a_safe_minimum():
    long = "z" * 40
    stats = json.loads(file_stats(footer(pa.table({"s": ["a" * 40, long]})), {"s": "string"}))
    assert stats["minValues"]["s"] == "a" * 32
    assert "s" not in stats["maxValues"]


def test_unsafe_values_are_left_out():
    table = pa.table(
        {
            "f": pa.array([float("nan"), 1.0]),
            "dec": pa.array(
                [Decimal("0.1"), Decimal("12345678901234567.89")], pa.decimal128(20, 2)
            ),
            "flag": [True, False],
        }
    )
    stats = json.loads(
        file_stats(footer(table), {"f": "double", "dec": "decimal(20,2)", "flag": "boolean"})
    )
    assert "flag" not in stats["minValues"]
    assert stats["nullCount"]["flag"] == 0
    # a decimal whose float form is inexact must not be written as a (wrong) bound
    assert "dec" not in stats["maxValues"]
    assert stats["minValues"]["dec"] == 0.1
