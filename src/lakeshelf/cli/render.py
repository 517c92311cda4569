"""What the CLI prints: rich tables and summaries for people, JSON for programs."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from lakeshelf import timestamps

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


def fits(headers: list[str], rows: list[list[str]], width: int) -> bool:
    """True when a table of ``rows`` under ``headers`` fits ``width`` columns unwrapped."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(text)) for w, text in zip(widths, row, strict=True)]
    return sum(widths) + 3 * len(widths) + 1 <= width


def records_vertical(title: str, headers: list[str], rows: list[list[str]]) -> Group:
    """Rows as blocks, one field per line (as psql's expanded display): readable at any width."""
    label = max((len(h) for h in headers), default=0)
    blocks: list[Any] = [Text(title, style="bold")]
    for number, row in enumerate(rows, 1):
        blocks.append(Text(f"-[ row {number} ]" + "-" * max(label - 8, 4), style="dim"))
        for header, text in zip(headers, row, strict=True):
            line = Text(header.ljust(label), style="cyan")
            line.append(" | ")
            line.append(text)
            blocks.append(line)
    if not rows:
        blocks.append(Text("(no rows)", style="dim"))
    return Group(*blocks)


#: Terminals at least this wide show each commit's parameters in ``history``.
HISTORY_WIDE = 120


def history_table(title: str, entries: list[dict[str, Any]], *, wide: bool) -> Table:
    """A table's commits: full UTC timestamps, rows, gate and pins; parameters when ``wide``."""
    grid = Table(title=title)
    grid.add_column("version", justify="right")
    grid.add_column("committed (UTC)", no_wrap=True)
    grid.add_column("operation", no_wrap=True)
    if wide:
        grid.add_column("parameters")
    grid.add_column("rows", justify="right")
    grid.add_column("gate")
    grid.add_column("tags and pins")
    for e in entries:
        rows = e["metrics"].get("numOutputRows")
        cells = [str(e["version"]), timestamps.display(e["timestamp"]), e["operation"]]
        if wide:
            cells.append(parameters_text(e["parameters"]))
        pins = [*(f"tag {t}" for t in e.get("tags", [])), *e.get("kept_by", [])]
        cells += [
            "" if rows is None else f"{int(rows):,}",
            e.get("gate") or "",
            "\n".join(dict.fromkeys(pins)),
        ]
        grid.add_row(*cells)
    return grid


def parameters_text(parameters: dict[str, Any]) -> str:
    """A commit's parameters as ``key: value`` lines (JSON-encoded values decoded)."""
    lines = []
    for key, value in sorted(parameters.items()):
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        if value in (None, "", [], {}):
            continue
        text = value if isinstance(value, str) else json.dumps(value, default=json_default)
        lines.append(f"{key}: {text}")
    return "\n".join(lines)


def schema_table(title: str, schema: dict[str, Any]) -> Table:
    """A Spark schema (its JSON form) as a table: column, type, nullable."""
    grid = Table("column", "type", "nullable", title=title)
    for field in schema.get("fields", []):
        kind = field["type"]
        text = kind if isinstance(kind, str) else json.dumps(kind, default=json_default)
        grid.add_row(field["name"], text, "yes" if field.get("nullable", True) else "no")
    return grid


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
