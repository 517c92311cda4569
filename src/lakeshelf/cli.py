"""The ``lakeshelf`` command line.

Errors lakeshelf raises print as one red line on stderr and exit with the error's code (2 for usage
and configuration, 1 for failed gates and verification); ``--debug`` shows the traceback.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from lakeshelf import report
from lakeshelf.errors import LakeshelfError
from lakeshelf.refs import parse_ref

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Versioned, quality-gated datasets on Spark.",
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)
_state = {"debug": False}

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
) -> None:
    _state["debug"] = debug


@app.command()
def show(
    ref: Annotated[str, typer.Argument(help="TABLE, TABLE@VERSION or TABLE@TIMESTAMP")],
    limit: Annotated[int, typer.Option(help="Rows to print.")] = 20,
    as_json: JsonFlag = False,
) -> None:
    """Print rows of a table version."""
    from lakeshelf.read import read

    target = parse_ref(ref)
    rows = read(target.table, version=target.version, timestamp=target.timestamp).limit(limit)
    records = [r.asDict(recursive=True) for r in rows.collect()]
    if as_json:
        out.print_json(json.dumps(records, default=_json_default))
        return
    grid = Table(*rows.columns, title=str(target))
    for record in records:
        grid.add_row(*(_cell(v) for v in record.values()))
    out.print(grid)


@app.command()
def history(
    table: Annotated[str, typer.Argument(help="Table location.")],
    limit: Annotated[int | None, typer.Option(help="Newest N commits only.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List a table's versions, newest first."""
    from lakeshelf.ops import history as table_history

    entries = table_history(table, limit=limit)
    if as_json:
        out.print_json(json.dumps([dataclasses.asdict(e) for e in entries], default=_json_default))
        return
    grid = Table("version", "timestamp", "operation", "parameters", "rows", title=table)
    for e in entries:
        grid.add_row(
            str(e.version),
            e.timestamp,
            e.operation,
            _cell(e.parameters),
            _cell(e.metrics.get("numOutputRows", "")),
        )
    out.print(grid)


@app.command()
def detail(
    ref: Annotated[str, typer.Argument(help="TABLE or TABLE@VERSION")],
    as_json: JsonFlag = False,
) -> None:
    """Schema, partitioning, protocol and size of a version."""
    from lakeshelf.ops import detail as table_detail

    target = parse_ref(ref)
    info = table_detail(target.table, version=_version_of(target))
    data = dataclasses.asdict(info)
    data["schema"] = json.loads(data.pop("schema_json"))
    if as_json:
        out.print_json(json.dumps(data, default=_json_default))
        return
    grid = Table("property", "value", title=str(target))
    for key, value in data.items():
        grid.add_row(key, _cell(value))
    out.print(grid)


@app.command()
def restore(ref: Annotated[str, typer.Argument(help="TABLE@VERSION or TABLE@TIMESTAMP")]) -> None:
    """Commit a new version equal to an earlier one."""
    from lakeshelf.ops import restore as restore_table

    target = parse_ref(ref)
    if target.version is None and target.timestamp is None:
        raise LakeshelfError(f"{ref!r} names no version: use TABLE@VERSION or TABLE@TIMESTAMP")
    version = restore_table(target.table, version=target.version, timestamp=target.timestamp)
    out.print(f"restored {target} as version {version}")


ConfOption = Annotated[
    str | None,
    typer.Option("--conf", help="Configuration folder (default $LAKESHELF_CONF or ./conf)."),
]


@app.command()
def ingest(
    dataset: Annotated[str, typer.Argument(help="Bronze dataset to load.")],
    conf: ConfOption = None,
) -> None:
    """Load new raw files of a bronze dataset as one new version."""
    from lakeshelf.config import check_config_name, load_project
    from lakeshelf.ingest import ingest as run_ingest

    check_config_name(dataset)
    project = load_project(conf)
    project.dataset(dataset)
    with err.status(f"ingesting {dataset}") as status:
        result = run_ingest(project, dataset, progress=lambda m: status.update(f"{dataset}: {m}"))
    report.ingest_summary(out, err, result)


@app.command()
def build(
    dataset: Annotated[str, typer.Argument(help="Silver or gold dataset to build.")],
    conf: ConfOption = None,
) -> None:
    """Build a derived dataset from exact versions of its inputs."""
    from lakeshelf.config import check_config_name, load_project
    from lakeshelf.transform import build as run_build

    check_config_name(dataset)
    project = load_project(conf)
    project.dataset(dataset)
    with err.status(f"building {dataset}") as status:
        result = run_build(project, dataset, progress=lambda m: status.update(f"{dataset}: {m}"))
    report.build_summary(out, result)


@app.command()
def run(conf: ConfOption = None) -> None:
    """Ingest and build every dataset, inputs first."""
    from lakeshelf.config import load_project
    from lakeshelf.ingest import IngestResult
    from lakeshelf.pipeline import run as run_pipeline

    project = load_project(conf)
    with err.status("running the pipeline") as status:
        results = run_pipeline(project, progress=lambda m: status.update(m))
    for result in results:
        if isinstance(result, IngestResult):
            report.ingest_summary(out, err, result)
        else:
            report.build_summary(out, result)


def _version_of(target: Any) -> int | None:
    if target.timestamp is None:
        return target.version
    from lakeshelf.snapshot import resolve_version

    return resolve_version(target.table, timestamp=target.timestamp)


def _cell(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=_json_default)
    return "null" if value is None else str(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    return str(value)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``lakeshelf`` console script (and of the jobs in ``jobs/``)."""
    try:
        app(args=argv, standalone_mode=False)
    except LakeshelfError as exc:
        if _state["debug"]:
            raise
        err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(1)
    except Exception as exc:
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):  # typer's (click's) usage errors
            exc.show()
            sys.exit(2)
        if _state["debug"]:
            raise
        err.print(
            f"[red]internal error:[/red] {type(exc).__name__}: {exc} (re-run with --debug for the"
            " traceback)",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
