"""What people read in a terminal, pinned by golden files at 80 and 160 columns: ``show``
(a table when it fits, a block per row when it does not, ``--columns``), ``history`` (full UTC
timestamps, parameters as lines when wide) and ``detail`` (the schema as a table).

Run with ``LAKESHELF_UPDATE_GOLDEN=1`` to rewrite the files after a deliberate change.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from pathlib import Path

import pytest

import lakeshelf
from helpers import run

GOLDEN = Path(__file__).parent / "golden"
STAMP = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?")


@pytest.fixture(scope="module")
def orders(spark):
    """A two-version table at a path of fixed length (so rendered widths never vary)."""
    folder = Path("/tmp") / f"lakeshelf-golden-{uuid.uuid4().hex[:8]}"
    uri = str(folder / "orders")
    rows = [
        (1, "ann", 10.5, "first order, paid by card", "2026-01-02"),
        (2, "bob", 5.0, "second order, paid in cash at the counter", "2026-01-03"),
    ]
    frame = spark.createDataFrame(
        rows, "id int, customer string, amount double, note string, day string"
    )
    lakeshelf.write(frame, uri)
    lakeshelf.write(
        frame.where("id = 1").selectExpr("id + 2 AS id", "customer", "amount", "note", "day"),
        uri,
        mode="append",
    )
    yield uri
    shutil.rmtree(folder, ignore_errors=True)


def rendered(monkeypatch, capsys, width: int, uri: str, *args: str) -> str:
    from lakeshelf.cli import render

    monkeypatch.setattr(render.out, "width", width)  # a terminal this wide
    code, out, err = run(monkeypatch, capsys, *args)
    assert code == 0, err
    text = STAMP.sub(lambda m: "2026-01-01 00:00:00.000"[: len(m[0])], out.replace(uri, "<orders>"))
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


def check(name: str, text: str) -> None:
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("LAKESHELF_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text(), f"{name} changed; see {path}"


@pytest.mark.parametrize("width", [80, 160])
def test_show_is_a_table_when_it_fits_and_a_block_per_row_when_not(
    monkeypatch, capsys, orders, width
):
    text = rendered(monkeypatch, capsys, width, orders, "show", f"{orders}@0")
    check(f"show-{width}", text)
    assert max(len(line) for line in text.splitlines()) <= width
    assert ("-[ row 1 ]" in text) == (width == 80)


def test_show_columns_selects_and_an_unknown_column_is_a_usage_error(monkeypatch, capsys, orders):
    text = rendered(
        monkeypatch, capsys, 80, orders, "show", f"{orders}@1", "--columns", "id,amount"
    )
    check("show-columns-80", text)
    code, _, err = run(monkeypatch, capsys, "show", f"{orders}@1", "--columns", "id,nope")
    assert code == 2 and "has no column nope" in err and "Traceback" not in err


@pytest.mark.parametrize("width", [80, 160])
def test_history_shows_full_timestamps_and_readable_parameters(monkeypatch, capsys, orders, width):
    text = rendered(monkeypatch, capsys, width, orders, "history", orders)
    check(f"history-{width}", text)
    assert max(len(line) for line in text.splitlines()) <= width
    assert text.count("2026-01-01 00:00:00.000") == 2  # every commit time, to the millisecond
    assert ("mode: " in text) == (width == 160)


@pytest.mark.parametrize("width", [80, 160])
def test_detail_prints_the_schema_as_a_table(monkeypatch, capsys, orders, width):
    text = rendered(monkeypatch, capsys, width, orders, "detail", f"{orders}@0")
    lines = text.splitlines()
    schema = "\n".join(lines[: lines.index(next(x for x in lines if x.startswith("└"))) + 1])
    check(f"detail-schema-{width}", schema + "\n")
    assert "│ amount   │ double  │ yes" in schema
