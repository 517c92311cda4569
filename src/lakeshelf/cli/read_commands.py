"""Commands that read: show, history, detail, validate, verify, manifest, lineage."""

from __future__ import annotations

import dataclasses
import json
from typing import Annotated, Any

import typer
from rich.table import Table

from lakeshelf.cli.app import ConfOption, JsonFlag, app
from lakeshelf.cli.render import (
    HISTORY_WIDE,
    cell,
    err,
    fits,
    history_table,
    out,
    print_json,
    records_vertical,
    schema_table,
)
from lakeshelf.errors import ConfigError, GateFailedError, LakeshelfError


class VerificationFailed(LakeshelfError):
    """The recomputed fingerprint differs from the registered one."""


@app.command()
def show(
    ref: Annotated[str, typer.Argument(help="DATASET[@AT] or TABLE_PATH[@AT]")],
    limit: Annotated[int, typer.Option(help="Rows to print.")] = 20,
    columns: Annotated[
        str | None, typer.Option("--columns", help="Only these columns, comma-separated.")
    ] = None,
    vertical: Annotated[
        bool, typer.Option("--vertical", help="One block per row (the default when too wide).")
    ] = False,
    as_json: JsonFlag = False,
    conf: ConfOption = None,
) -> None:
    """Print rows of a version (AT: N, vN, latest, a tag, or an ISO-8601 timestamp).

    Rows too wide for the terminal print one block per row, a field per line.
    """
    from lakeshelf.registry import resolve_in
    from lakeshelf.session import spark_session
    from lakeshelf.table import load_snapshot, snapshot_dataframe

    pinned = resolve_in(ref, conf)
    snapshot = load_snapshot(pinned.location, pinned.version)  # errors before a JVM starts
    rows = snapshot_dataframe(spark_session(), snapshot)
    if columns:
        rows = rows.select(*_known_columns(columns, rows.columns, str(pinned)))
    records = [r.asDict(recursive=True) for r in rows.limit(limit).collect()]
    if as_json:
        print_json(records)
        return
    texts = [[cell(v) for v in record.values()] for record in records]
    if vertical or not fits(rows.columns, texts, out.width):
        out.print(records_vertical(str(pinned), rows.columns, texts))
        return
    grid = Table(*rows.columns, title=str(pinned))
    for text in texts:
        grid.add_row(*text)
    out.print(grid)


def _known_columns(wanted: str, present: list[str], what: str) -> list[str]:
    chosen = [c.strip() for c in wanted.split(",") if c.strip()]
    unknown = [c for c in chosen if c not in present]
    if unknown:
        raise ConfigError(
            f"{what} has no column {', '.join(unknown)} (its columns: {', '.join(present)})"
        )
    return chosen


@app.command()
def history(
    table: Annotated[str, typer.Argument(help="Dataset name or table location.")],
    limit: Annotated[int | None, typer.Option(help="Newest N commits only.")] = None,
    as_json: JsonFlag = False,
    conf: ConfOption = None,
) -> None:
    """List a table's versions, newest first, with tags and registry state for datasets."""
    from lakeshelf.config import project_of
    from lakeshelf.registry import dataset_history, resolve_in
    from lakeshelf.table import history as table_history

    pinned = resolve_in(table, conf)
    if pinned.dataset is None:
        entries = [dataclasses.asdict(e) for e in table_history(pinned.location, limit=limit)]
    else:
        entries = [
            {
                **dataclasses.asdict(v.entry),
                "registered": v.registered,
                "gate": v.gate,
                "tags": v.tags,
                "kept_by": v.kept_by,
            }
            for v in dataset_history(project_of(conf), pinned.dataset, limit)
        ]
    if as_json:
        print_json(entries)
        return
    out.print(history_table(table, entries, wide=out.width >= HISTORY_WIDE))


@app.command()
def detail(
    ref: Annotated[str, typer.Argument(help="DATASET[@AT] or TABLE_PATH[@AT]")],
    as_json: JsonFlag = False,
    conf: ConfOption = None,
) -> None:
    """Schema, partitioning, protocol and size of a version."""
    from lakeshelf.registry import resolve_in
    from lakeshelf.table import detail as table_detail

    pinned = resolve_in(ref, conf)
    data: dict[str, Any] = dataclasses.asdict(table_detail(pinned.location, version=pinned.version))
    data["schema"] = json.loads(data.pop("schema_json"))
    if as_json:
        print_json(data)
        return
    out.print(schema_table(f"{pinned}: schema", data.pop("schema")))
    grid = Table("property", "value", title=str(pinned))
    for key, value in data.items():
        grid.add_row(key, cell(value))
    out.print(grid)


@app.command()
def validate(
    ref: Annotated[str, typer.Argument(help="DATASET@AT or TABLE_PATH@AT")],
    suite: Annotated[
        str | None, typer.Option(help="Suite JSON file (default: the dataset's suite).")
    ] = None,
    junit: Annotated[str | None, typer.Option(help="Write JUnit XML here.")] = None,
    html_report: Annotated[
        str | None, typer.Option("--html", help="Write an HTML report here.")
    ] = None,
    conf: ConfOption = None,
) -> None:
    """Validate an existing version against a quality suite: exit 0 pass, 1 fail, 2 usage."""
    from pathlib import Path

    from lakeshelf.gate import write_html, write_junit
    from lakeshelf.registry import validate as validate_version
    from lakeshelf.session import spark_session

    with err.status(f"validating {ref}"):
        checked = validate_version(ref, conf=conf, suite=suite, spark=spark_session())
    result, pinned = checked.result, checked.pinned
    if junit:
        write_junit(result, str(pinned), Path(junit))
    if html_report:
        write_html(result, str(pinned), Path(html_report))
    grid = Table("result", "expectation", "details", title=f"{result.suite} on {pinned}")
    for outcome in result.outcomes:
        state = "pass" if outcome.success else ("FAIL" if outcome.blocking else "warn")
        grid.add_row(state, outcome.type, "" if outcome.success else outcome.describe())
    out.print(grid)
    if not result.passed:
        raise GateFailedError(f"{pinned} failed suite {result.suite}:\n{result.failure_message()}")


@app.command()
def verify(ref: Annotated[str, typer.Argument(help="DATASET@AT")], conf: ConfOption = None) -> None:
    """Recompute a version's content fingerprint: exit 0 identical, 1 different."""
    from lakeshelf.registry import verify as verify_version
    from lakeshelf.session import spark_session

    with err.status(f"recomputing the fingerprint of {ref}"):
        result = verify_version(ref, conf, spark_session())
    out.print(f"{result.ref}\n  registered: {result.registered}\n  recomputed: {result.recomputed}")
    if not result.identical:
        raise VerificationFailed(f"{result.ref} differs from what was published")
    out.print("[green]identical[/green]")


@app.command()
def manifest(
    ref: Annotated[str, typer.Argument(help="DATASET@AT")], conf: ConfOption = None
) -> None:
    """Print the version's manifest (JSON) for ML code to log with a model."""
    from lakeshelf.registry import manifest as version_manifest

    print_json(version_manifest(ref, conf))


@app.command()
def lineage(
    ref: Annotated[str, typer.Argument(help="DATASET@AT")], conf: ConfOption = None
) -> None:
    """Print the dataset versions a version was built from, recursively (JSON)."""
    from lakeshelf.registry import lineage as version_lineage

    print_json(version_lineage(ref, conf))


@app.command()
def engine(
    packages_only: Annotated[
        bool, typer.Option("--packages", help="Print only the Maven coordinates.")
    ] = False,
    submit_args: Annotated[
        bool, typer.Option("--submit-args", help="Print spark-submit arguments that load them.")
    ] = False,
) -> None:
    """Which engine serves Delta tables here, and the jars it uses (fetched on first use)."""
    from lakeshelf.session import engines

    if packages_only:
        out.print(",".join(engines.packages()), highlight=False)
        return
    if submit_args:
        out.print(" ".join(engines.submit_args()), highlight=False, soft_wrap=True)
        return
    chosen = engines.select()
    if chosen.note:
        err.print(chosen.note, highlight=False, soft_wrap=True)
    out.print(f"engine: {chosen.name}", highlight=False)
    out.print(f"packages: {', '.join(engines.packages())}", highlight=False, soft_wrap=True)
    out.print(f"jars: {len(chosen.jars)} in {engines.cache_dir()}", highlight=False)
