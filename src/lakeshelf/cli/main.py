"""The ``lakeshelf`` command: its entry points, exact exit codes, and the commands that publish.

Errors lakeshelf raises print as one red line on stderr and exit with the error's code (2 for usage
and configuration, 1 for failed gates and verification); ``--debug`` shows the traceback. The
commands that read live in :mod:`lakeshelf.cli.read_commands`.
"""

from __future__ import annotations

import contextlib
import sys
from typing import Annotated, NoReturn

import typer

from lakeshelf.cli import (  # noqa: F401  (their commands register on the app)
    observe_commands,
    prove_commands,
    read_commands,
    release_commands,
    site_commands,
)
from lakeshelf.cli.app import ConfOption, app, state
from lakeshelf.cli.render import build_summary, err, ingest_summary, out
from lakeshelf.errors import LakeshelfError


@app.command()
def ingest(
    dataset: Annotated[str, typer.Argument(help="Bronze dataset to load.")],
    conf: ConfOption = None,
) -> None:
    """Load new raw files of a bronze dataset as one new version."""
    from lakeshelf.config import load_project
    from lakeshelf.names import check_name
    from lakeshelf.pipeline import ingest as run_ingest

    check_name(dataset)
    project = load_project(conf)
    project.dataset(dataset)
    with err.status(f"ingesting {dataset}") as status:
        result = run_ingest(project, dataset, progress=lambda m: status.update(f"{dataset}: {m}"))
    ingest_summary(result)


@app.command()
def build(
    dataset: Annotated[str, typer.Argument(help="Silver or gold dataset to build.")],
    conf: ConfOption = None,
) -> None:
    """Build a derived dataset from exact versions of its inputs."""
    from lakeshelf.config import load_project
    from lakeshelf.names import check_name
    from lakeshelf.pipeline import build as run_build

    check_name(dataset)
    project = load_project(conf)
    project.dataset(dataset)
    with err.status(f"building {dataset}") as status:
        result = run_build(project, dataset, progress=lambda m: status.update(f"{dataset}: {m}"))
    build_summary(result)


@app.command()
def run(conf: ConfOption = None) -> None:
    """Ingest and build every dataset, inputs first."""
    from lakeshelf.config import load_project
    from lakeshelf.pipeline import IngestResult
    from lakeshelf.pipeline import run as run_pipeline

    project = load_project(conf)
    with err.status("running the pipeline") as status:
        results = run_pipeline(project, progress=lambda m: status.update(m))
    for result in results:
        if isinstance(result, IngestResult):
            ingest_summary(result)
        else:
            build_summary(result)


@app.command()
def restore(
    ref: Annotated[str, typer.Argument(help="DATASET@AT or TABLE_PATH@AT")],
    conf: ConfOption = None,
) -> None:
    """Commit a new version equal to an earlier one (gated and registered for datasets)."""
    from lakeshelf.config import project_of
    from lakeshelf.errors import ConfigError
    from lakeshelf.registry import is_location, parse_ref

    parsed = parse_ref(ref)
    if parsed.version is None and parsed.tag is None and parsed.timestamp is None:
        raise ConfigError(f"{ref!r} names no version: use DATASET@VERSION, @TAG or @TIMESTAMP")
    if is_location(parsed.table):
        from lakeshelf.pipeline import restore_table
        from lakeshelf.registry import resolve

        pinned = resolve(parsed)
        version = restore_table(pinned.location, version=pinned.version, conf=conf)
        out.print(f"restored {pinned} as version {version}")
        return
    from lakeshelf.pipeline import restore_dataset

    result = restore_dataset(project_of(conf), ref)
    out.print(f"restored {result.restored} as version {result.version}")


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
    from lakeshelf.config import load_project
    from lakeshelf.registry import vacuum_dataset

    result = vacuum_dataset(
        load_project(conf),
        dataset,
        retain_hours=retain_hours,
        log_retain_hours=log_retain_hours,
        dry_run=dry_run,
    )
    verb = "would remove" if dry_run else "removed"
    for path in result.removed_files + result.removed_log_files:
        out.print(f"  {verb} {path}", highlight=False)
    out.print(
        f"{verb} {len(result.removed_files)} data file(s) and {len(result.removed_log_files)} log"
        f" file(s); kept pinned versions {result.pinned_versions or 'none'}; versions from"
        f" {result.log_floor} on stay readable where their files are kept"
    )


@app.command()
def optimize(
    dataset: Annotated[str, typer.Argument(help="Dataset name.")],
    z_order: Annotated[
        str | None, typer.Option("--z-order", help="Comma-separated columns to cluster by.")
    ] = None,
    target_file_mb: Annotated[
        int | None, typer.Option(min=1, help="Size compacted files aim for (MiB).")
    ] = None,
    conf: ConfOption = None,
) -> None:
    """Compact the dataset's small files into fewer, larger ones (same rows, a new version)."""
    from lakeshelf.config import load_project
    from lakeshelf.pipeline.by_table import optimize_registered
    from lakeshelf.session import spark_session

    project = load_project(conf)
    columns = [c.strip() for c in z_order.split(",") if c.strip()] if z_order else None
    result = optimize_registered(
        project,
        dataset,
        lambda: spark_session(conf=project.lake.spark),
        z_order=columns,
        target_file_mb=target_file_mb,
    )
    if result.version is None:
        out.print(f"nothing to compact in {dataset}: no partition has more than one small file")
        return
    clustered = f", Z-ordered by {', '.join(result.z_order)}" if result.z_order else ""
    out.print(
        f"compacted {dataset}@{result.read_version} into version {result.version}:"
        f" {result.files_removed} file(s) -> {result.files_added}{clustered}"
    )


@app.command()
def tag(
    ref: Annotated[str, typer.Argument(help="DATASET@AT to pin")],
    name: Annotated[str, typer.Argument(help="Tag name")],
    force: Annotated[bool, typer.Option("--force", help="Move the tag if it exists.")] = False,
    conf: ConfOption = None,
) -> None:
    """Pin a published version under a tag name (moving a tag needs --force)."""
    from lakeshelf.config import load_project
    from lakeshelf.names import check_label
    from lakeshelf.registry import tag_version

    check_label(name)  # before the project or any storage is touched
    event = tag_version(load_project(conf), ref, name, force=force)
    moved = f" (moved from version {event.previous_version})" if event.action == "move" else ""
    out.print(f"tag {name} -> {event.dataset}@{event.version}{moved}")


@app.command()
def untag(name: Annotated[str, typer.Argument(help="Tag name")], conf: ConfOption = None) -> None:
    """Remove a tag (the version stays; it is just no longer pinned by this name)."""
    from lakeshelf.config import load_project
    from lakeshelf.registry import remove_tag

    event = remove_tag(load_project(conf).lake_location, name)
    out.print(f"removed tag {name} (was {event.dataset}@{event.previous_version})")


def main(argv: list[str] | None = None) -> None:
    """Run one command; raise ``SystemExit`` with its exit code (for callers in this process)."""
    try:
        app(args=argv, standalone_mode=False)
    except LakeshelfError as exc:
        if state["debug"]:
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
        if state["debug"]:
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
