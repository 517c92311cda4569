"""Summaries of ingest and build runs for people (rich), used by the CLI and the jobs."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def ingest_summary(out: Console, err: Console, result: Any) -> None:
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


def build_summary(out: Console, result: Any) -> None:
    """Print one build: inputs pinned, version committed, rows, time."""
    grid = Table(title=f"build {result.dataset}", show_header=False)
    grid.add_row("version committed", str(result.version))
    grid.add_row(
        "inputs", ", ".join(f"{a}={i.dataset}@{i.version}" for a, i in result.inputs.items())
    )
    grid.add_row("rows", f"{result.rows:,}")
    grid.add_row("time", f"{result.seconds:.1f} s")
    out.print(grid)
