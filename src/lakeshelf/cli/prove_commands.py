"""Commands that prove what a version is: reproduce (rebuild and compare) and diff."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from lakeshelf.cli.app import ConfOption, JsonFlag, app
from lakeshelf.cli.render import cell, err, out, print_json
from lakeshelf.errors import LakeshelfError


class NotReproduced(LakeshelfError):
    """The rebuild differs from the published version (exit 1)."""


@app.command()
def reproduce(
    ref: Annotated[str, typer.Argument(help="DATASET@AT of a published version")],
    into: Annotated[
        str | None, typer.Option(help="Scratch location for the rebuild (default: in the lake).")
    ] = None,
    allow_code_change: Annotated[
        bool,
        typer.Option(
            "--allow-code-change", help="Rebuild even if the transform or config changed."
        ),
    ] = False,
    conf: ConfOption = None,
) -> None:
    """Rebuild a version from its recorded inputs: exit 0 identical, 1 different, 2 code changed."""
    from lakeshelf.config import load_project
    from lakeshelf.pipeline import reproduce as rebuild
    from lakeshelf.session import spark_session

    project = load_project(conf)
    with err.status(f"rebuilding {ref} from its recorded inputs"):
        result = rebuild(
            project,
            ref,
            spark_session(conf=project.lake.spark),
            into=into,
            allow_code_change=allow_code_change,
        )
    if result.code_changes:
        changed = " and ".join(result.code_changes)
        out.print(f"[yellow]rebuilt with a changed {changed} (--allow-code-change)[/yellow]")
    out.print(
        f"{result.ref} rebuilt into {result.into} (fingerprints of {result.compared})\n"
        f"  published: {result.registered}\n  rebuilt:   {result.rebuilt}",
        highlight=False,
    )
    if not result.identical:
        for column, count in result.columns_differing.items():
            out.print(f"  {column}: {count} value(s) differ", highlight=False)
        raise NotReproduced(f"the rebuild of {result.ref} differs from what was published")
    out.print("[green]identical[/green]")


@app.command()
def diff(
    first: Annotated[str, typer.Argument(help="DATASET@AT or TABLE_PATH@AT (before)")],
    second: Annotated[str, typer.Argument(help="DATASET@AT or TABLE_PATH@AT (after)")],
    key: Annotated[
        str | None, typer.Option(help="Comma-separated columns that identify a row.")
    ] = None,
    as_json: JsonFlag = False,
    conf: ConfOption = None,
) -> None:
    """Rows added, removed and (with --key) changed between two versions, with examples."""
    from lakeshelf.registry.diff import EXAMPLES
    from lakeshelf.registry.provenance import diff_versions
    from lakeshelf.session import spark_session

    columns = [c.strip() for c in key.split(",") if c.strip()] if key else None
    with err.status(f"comparing {first} with {second}"):
        result = diff_versions(first, second, spark_session(), key=columns, conf=conf)
    summary = result.summary
    if as_json:
        print_json(summary.as_json())
        return
    grid = Table("added", "removed", "changed", "unchanged", title=f"{first} -> {second}")
    grid.add_row(
        str(summary.added), str(summary.removed), cell(summary.changed), str(summary.unchanged)
    )
    out.print(grid)
    changed_columns = {c: n for c, n in summary.columns_changed.items() if n}
    if changed_columns:
        out.print(
            "columns changed: " + ", ".join(f"{c} ({n})" for c, n in changed_columns.items()),
            highlight=False,
        )
    for label, frame in (("added", result.added), ("removed", result.removed)):
        rows = frame.limit(EXAMPLES).collect() if getattr(summary, label) else []
        if rows:
            examples = Table(*frame.columns, title=f"{label} (first {len(rows)})")
            for row in rows:
                examples.add_row(*(cell(v) for v in row))
            out.print(examples)
