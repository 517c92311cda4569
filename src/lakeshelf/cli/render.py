"""What the CLI prints: rich tables and summaries for people, JSON for programs."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from rich.console import Console
from rich.table import Table

out = Console(soft_wrap=True)  # paths and refs in messages stay on one line
err = Console(stderr=True)


def print_json(data: Any) -> None:
    """``data`` as indented JSON on stdout (dates as ISO-8601, bytes as hex)."""
    out.print_json(json.dumps(data, default=json_default))


def cell(value: Any) -> str:
    """A value as table text: JSON for containers, ``null`` for None."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=json_default)
    return "null" if value is None else str(value)


def json_default(value: Any) -> Any:
    """JSON for what the json module cannot encode."""
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    return str(value)


def ingest_summary(result: Any) -> None:
    """Print one ingest run: files, rows read/loaded/quarantined, version, time, and notes."""
    grid = Table(title=f"ingest {result.dataset}", show_header=False)
    if result.version is None:
        grid.add_row("result", f"nothing new ({result.already_loaded} file(s) already loaded)")
    else:
        grid.add_row("version committed", str(result.version))
        grid.add_row("batch", str(result.batch_id))
    grid.add_row("files loaded", str(len(result.files)))
    grid.add_row("rows read", f"{result.rows_read:,}")
    grid.add_row("rows loaded", f"{result.rows_loaded:,}")
    quarantined = f"{result.rows_quarantined:,}"
    if result.rows_quarantined:
        quarantined += f" -> {result.quarantine_table} (version {result.quarantine_version})"
    grid.add_row("rows quarantined", quarantined)
    grid.add_row("time", f"{result.seconds:.1f} s")
    out.print(grid)
    for note in result.notes:
        err.print(f"[yellow]note:[/yellow] {note}", highlight=False, soft_wrap=True)


def build_summary(result: Any) -> None:
    """Print one build: inputs pinned, version committed, rows, time."""
    grid = Table(title=f"build {result.dataset}", show_header=False)
    grid.add_row("version committed", str(result.version))
    grid.add_row(
        "inputs", ", ".join(f"{a}={i.dataset}@{i.version}" for a, i in result.inputs.items())
    )
    grid.add_row("rows", f"{result.rows:,}")
    grid.add_row("time", f"{result.seconds:.1f} s")
    out.print(grid)
