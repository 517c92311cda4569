"""The ``lakeshelf`` command line.

Errors lakeshelf raises print as one red line on stderr and exit with the error's code (2 for usage
and configuration, 1 for failed gates and verification); ``--debug`` shows the traceback.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import sys
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from lakeshelf import report
from lakeshelf.errors import ConfigError, GateFailedError, LakeshelfError
from lakeshelf.gate import dataset_suite
from lakeshelf.refs import parse_ref

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Versioned, quality-gated datasets on Spark.",
    pretty_exceptions_enable=False,
)
out = Console(soft_wrap=True)  # paths and refs in messages stay on one line
err = Console(stderr=True)
_state = {"debug": False}

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
ConfOption = Annotated[
    str | None,
    typer.Option("--conf", help="Configuration folder (default $LAKESHELF_CONF or ./conf)."),
]


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
) -> None:
    _state["debug"] = debug


@app.command()
def show(
    ref: Annotated[str, typer.Argument(help="DATASET[@AT] or TABLE_PATH[@AT]")],
    limit: Annotated[int, typer.Option(help="Rows to print.")] = 20,
    as_json: JsonFlag = False,
    conf: ConfOption = None,
) -> None:
    """Print rows of a version (AT: N, vN, latest, a tag, or an ISO-8601 timestamp)."""
    from lakeshelf.read import read

    pinned = _resolve(ref, conf)
    rows = read(pinned.uri, version=pinned.version, storage_options=pinned.storage_options).limit(
        limit
    )
    records = [r.asDict(recursive=True) for r in rows.collect()]
    if as_json:
        out.print_json(json.dumps(records, default=_json_default))
        return
    grid = Table(*rows.columns, title=str(pinned))
    for record in records:
        grid.add_row(*(_cell(v) for v in record.values()))
    out.print(grid)


@app.command()
def history(
    table: Annotated[str, typer.Argument(help="Dataset name or table location.")],
    limit: Annotated[int | None, typer.Option(help="Newest N commits only.")] = None,
    as_json: JsonFlag = False,
    conf: ConfOption = None,
) -> None:
    """List a table's versions, newest first, with tags and registry state for datasets."""
    from lakeshelf import registry
    from lakeshelf.ops import history as table_history

    pinned = _resolve(table, conf)
    entries = [
        dataclasses.asdict(e)
        for e in table_history(pinned.uri, limit=limit, storage_options=pinned.storage_options)
    ]
    if pinned.dataset is not None:
        project = _load(conf)
        options = project.lake.storage_options or None
        published = {
            r.version: r for r in registry.records(project.lake_uri, pinned.dataset, options)
        }
        tagged: dict[int, list[str]] = {}
        for name, event in registry.tags(project.lake_uri, options).items():
            if event.dataset == pinned.dataset:
                tagged.setdefault(int(event.version), []).append(name)
        for entry in entries:
            record = published.get(entry["version"])
            entry["registered"] = record is not None
            entry["gate"] = _gate_state(record)
            entry["tags"] = sorted(tagged.get(entry["version"], []))
    if as_json:
        out.print_json(json.dumps(entries, default=_json_default))
        return
    grid = Table(
        "version", "timestamp", "operation", "parameters", "rows", "gate", "tags", title=table
    )
    for e in entries:
        grid.add_row(
            str(e["version"]),
            e["timestamp"],
            e["operation"],
            _cell(e["parameters"]),
            _cell(e["metrics"].get("numOutputRows", "")),
            e.get("gate") or "",
            ", ".join(e.get("tags", [])),
        )
    out.print(grid)


@app.command()
def detail(
    ref: Annotated[str, typer.Argument(help="DATASET[@AT] or TABLE_PATH[@AT]")],
    as_json: JsonFlag = False,
    conf: ConfOption = None,
) -> None:
    """Schema, partitioning, protocol and size of a version."""
    from lakeshelf.ops import detail as table_detail

    pinned = _resolve(ref, conf)
    data = dataclasses.asdict(
        table_detail(pinned.uri, version=pinned.version, storage_options=pinned.storage_options)
    )
    data["schema"] = json.loads(data.pop("schema_json"))
    if as_json:
        out.print_json(json.dumps(data, default=_json_default))
        return
    grid = Table("property", "value", title=str(pinned))
    for key, value in data.items():
        grid.add_row(key, _cell(value))
    out.print(grid)


@app.command()
def restore(
    ref: Annotated[str, typer.Argument(help="DATASET@AT or TABLE_PATH@AT")],
    conf: ConfOption = None,
) -> None:
    """Commit a new version equal to an earlier one (registered for datasets)."""
    from lakeshelf.ops import restore as restore_table

    if "@" not in ref:
        raise ConfigError(f"{ref!r} names no version: use DATASET@VERSION, @TAG or @TIMESTAMP")
    pinned = _resolve(ref, conf)
    project = _load(conf) if pinned.dataset is not None else None
    rules = dataset_suite(project, pinned.dataset) if project else None
    if rules is not None:
        from lakeshelf.gate import enforce, run_suite
        from lakeshelf.read import read

        # the restored version's rows are exactly these: gate them before the commit
        enforce(
            run_suite(
                read(pinned.uri, version=pinned.version, storage_options=pinned.storage_options),
                rules,
            ),
            f"restore of {pinned}",
        )
    version = restore_table(
        pinned.uri, version=pinned.version, storage_options=pinned.storage_options
    )
    if project is not None:
        from lakeshelf.publish import register_pending

        register_pending(project, pinned.dataset)
    out.print(f"restored {pinned} as version {version}")


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

    from lakeshelf.gate import load_suite, run_suite
    from lakeshelf.gate_report import write_html, write_junit
    from lakeshelf.read import read

    pinned = _resolve(ref, conf)
    if suite is not None:
        rules = load_suite(Path(suite))
    elif pinned.dataset is not None:
        rules = dataset_suite(_load(conf), pinned.dataset)
    else:
        rules = None
    if rules is None:
        raise ConfigError(f"{ref}: no suite configured for it; pass --suite FILE")
    with err.status(f"validating {pinned}"):
        result = run_suite(
            read(pinned.uri, version=pinned.version, storage_options=pinned.storage_options), rules
        )
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
def vacuum(
    dataset: Annotated[str, typer.Argument(help="Dataset name.")],
    retain_hours: Annotated[float, typer.Option(help="Keep data files newer than this.")] = 168,
    log_retain_hours: Annotated[
        float, typer.Option(help="Keep commit files newer than this.")
    ] = 720,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List, remove nothing.")] = False,
    conf: ConfOption = None,
) -> None:
    """Remove old data and commit files that no tagged (pinned) version needs."""
    from lakeshelf import registry
    from lakeshelf.vacuum import vacuum as run_vacuum

    project = _load(conf)
    name = project.dataset(dataset).name
    options = project.lake.storage_options or None
    pinned = sorted(
        {
            int(e.version)
            for e in registry.tags(project.lake_uri, options).values()
            if e.dataset == name
        }
    )
    result = run_vacuum(
        project.table_uri(name),
        pinned=pinned,
        retain_hours=retain_hours,
        log_retain_hours=log_retain_hours,
        dry_run=dry_run,
        storage_options=options,
    )
    verb = "would remove" if dry_run else "removed"
    for path in result.removed_files + result.removed_log_files:
        out.print(f"  {verb} {path}", highlight=False)
    out.print(
        f"{verb} {len(result.removed_files)} data file(s) and {len(result.removed_log_files)} log"
        f" file(s); kept pinned versions {pinned or 'none'}; versions from {result.log_floor} on"
        " stay readable where their files are kept"
    )


@app.command()
def tag(
    ref: Annotated[str, typer.Argument(help="DATASET@AT to pin")],
    name: Annotated[str, typer.Argument(help="Tag name")],
    force: Annotated[bool, typer.Option("--force", help="Move the tag if it exists.")] = False,
    conf: ConfOption = None,
) -> None:
    """Pin a published version under a tag name (moving a tag needs --force)."""
    from lakeshelf import registry
    from lakeshelf.config import check_config_name
    from lakeshelf.resolve import resolve_dataset

    check_config_name(name, "tag name")
    project = _load(conf)
    pinned = resolve_dataset(ref, project, "tag")
    options = project.lake.storage_options or None
    registry.record_of(project.lake_uri, pinned.dataset, pinned.version, options)
    event = registry.set_tag(
        project.lake_uri, name, pinned.dataset, pinned.version, force=force, storage_options=options
    )
    moved = f" (moved from version {event.previous_version})" if event.action == "move" else ""
    out.print(f"tag {name} -> {pinned}{moved}")


@app.command()
def untag(name: Annotated[str, typer.Argument(help="Tag name")], conf: ConfOption = None) -> None:
    """Remove a tag (the version stays; it is just no longer pinned by this name)."""
    from lakeshelf import registry

    project = _load(conf)
    event = registry.remove_tag(project.lake_uri, name, project.lake.storage_options or None)
    out.print(f"removed tag {name} (was {event.dataset}@{event.previous_version})")


@app.command()
def verify(ref: Annotated[str, typer.Argument(help="DATASET@AT")], conf: ConfOption = None) -> None:
    """Recompute a version's content fingerprint: exit 0 identical, 1 different."""
    from lakeshelf.provenance import verify as verify_version

    result = verify_version(ref, conf)
    out.print(f"{result.ref}\n  registered: {result.registered}\n  recomputed: {result.recomputed}")
    if not result.identical:
        raise VerificationFailed(f"{result.ref} differs from what was published")
    out.print("[green]identical[/green]")


@app.command()
def manifest(
    ref: Annotated[str, typer.Argument(help="DATASET@AT")], conf: ConfOption = None
) -> None:
    """Print the version's manifest (JSON) for ML code to log with a model."""
    from lakeshelf.provenance import manifest as version_manifest

    out.print_json(json.dumps(version_manifest(ref, conf), default=_json_default))


@app.command()
def lineage(
    ref: Annotated[str, typer.Argument(help="DATASET@AT")], conf: ConfOption = None
) -> None:
    """Print the dataset versions a version was built from, recursively (JSON)."""
    from lakeshelf.provenance import lineage as version_lineage

    out.print_json(json.dumps(version_lineage(ref, conf)))


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


def _gate_state(record: Any) -> str | None:
    """How a registered version fared at its gate: passed, passed with warnings, or no suite."""
    if record is None:
        return None
    if not record.suite_name:
        return "no suite"
    outcomes = json.loads(record.suite_result or "[]")
    warned = sum(1 for o in outcomes if not o.get("success"))
    return f"passed ({warned} warning(s))" if warned else "passed"


class VerificationFailed(LakeshelfError):
    """The recomputed fingerprint differs from the registered one."""


def _load(conf: str | None) -> Any:
    from lakeshelf.config import load_project

    return load_project(conf)


def _resolve(ref: str, conf: str | None) -> Any:
    from lakeshelf.resolve import is_location, resolve

    parsed = parse_ref(ref)
    return resolve(parsed, None if is_location(parsed.table) else _load(conf))


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


def console(argv: list[str] | None = None) -> NoReturn:
    """Entry point of the ``lakeshelf`` script and the jobs: run a command, end with its code.

    The process ends with exactly the command's exit code (0 ok, 1 failed, 2 usage), whatever a
    third-party library leaves running: threads of native libraries (Arrow's scanners, for one)
    can abort an interpreter's teardown with SIGABRT (exit 134) after the work is done, and an
    orchestrator would read that as a failure. So output is flushed, logging is shut down, a
    Spark session this process runs is stopped, and the process exits at once.
    """
    code = 0
    try:
        main(argv)
    except SystemExit as exc:
        code = exit_status(exc.code)
    end_process(code)


def exit_status(code: object) -> int:
    """The process exit status ``sys.exit(code)`` means (None is 0, text is 1, as Python does)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def end_process(code: int) -> NoReturn:
    """Stop this process's Spark session if it has one, flush everything, exit with ``code``."""
    import logging
    import os

    pyspark_sql = sys.modules.get("pyspark.sql")
    if pyspark_sql is not None:
        session = pyspark_sql.SparkSession.getActiveSession()
        if session is not None:
            with contextlib.suppress(Exception):  # the exit code is the command's
                session.stop()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed pipe: nothing more to say on it
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    console()
