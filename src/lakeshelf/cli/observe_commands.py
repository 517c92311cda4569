"""Commands that observe data: profile, drift, metrics."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from lakeshelf.cli.app import ConfOption, JsonFlag, app
from lakeshelf.cli.render import cell, err, out, print_json
from lakeshelf.errors import LakeshelfError


class DriftFound(LakeshelfError):
    """Drift beyond the thresholds (exit 1)."""


@app.command()
def profile(
    ref: Annotated[str, typer.Argument(help="DATASET[@AT]")],
    as_json: JsonFlag = False,
    conf: ConfOption = None,
) -> None:
    """Print a version's profile (computed and stored once for versions published before)."""
    import dataclasses

    from lakeshelf.config import project_of
    from lakeshelf.observe import version_profile
    from lakeshelf.session import spark_session

    with err.status(f"profiling {ref}"):
        pinned, columns = version_profile(project_of(conf), ref, spark_session)
    if as_json:
        sketches = ("kll", "hll", "top_sketch")
        print_json(
            [{k: v for k, v in dataclasses.asdict(c).items() if k not in sketches} for c in columns]
        )
        return
    grid = Table(
        "column",
        "type",
        "rows",
        "nulls",
        "distinct",
        "min",
        "max",
        "mean",
        "stddev",
        "top values",
        title=str(pinned),
    )
    for c in columns:
        top = ", ".join(f"{v}: {n}" for v, n in c.top[:3])
        grid.add_row(
            c.column,
            c.type,
            str(c.row_count),
            str(c.null_count),
            cell(c.distinct_count),
            cell(c.metric("min")),
            cell(c.metric("max")),
            _number(c.mean),
            _number(c.stddev),
            top,
        )
    out.print(grid)


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"


@app.command()
def drift(
    refs: Annotated[
        list[str], typer.Argument(help="REFERENCE CURRENT, or CURRENT with --baseline")
    ],
    baseline: Annotated[
        str | None,
        typer.Option(
            help="Compare CURRENT with this tag, @N or ref (default: the dataset's drift.baseline)."
        ),
    ] = None,
    psi: Annotated[float | None, typer.Option(help="PSI threshold (default 0.2).")] = None,
    js: Annotated[float | None, typer.Option(help="Jensen-Shannon threshold (0.1).")] = None,
    wasserstein: Annotated[
        float | None, typer.Option(help="Normalised Wasserstein threshold (0.1).")
    ] = None,
    ks: Annotated[float | None, typer.Option(help="KS p-value threshold (0.05).")] = None,
    chisquare: Annotated[float | None, typer.Option(help="Chi-square p-value threshold.")] = None,
    share: Annotated[
        float | None, typer.Option(help="Share of drifted columns for dataset drift (0.5).")
    ] = None,
    as_json: JsonFlag = False,
    html_report: Annotated[
        str | None, typer.Option("--html", help="Write the HTML report here.")
    ] = None,
    conf: ConfOption = None,
) -> None:
    """Drift between two versions from their profiles: exit 0 none, 1 drift, 2 usage."""
    from pathlib import Path

    from lakeshelf.config import project_of
    from lakeshelf.errors import ConfigError
    from lakeshelf.observe import version_profile, write_drift_html
    from lakeshelf.observe.versions import dataset_drift
    from lakeshelf.session import spark_session

    if not 1 <= len(refs) <= 2:
        raise ConfigError(
            "give REFERENCE CURRENT, or CURRENT (with --baseline or a configured one)"
        )
    project = project_of(conf)
    reference, current = (None, refs[0]) if len(refs) == 1 else refs
    report = dataset_drift(
        project,
        current,
        reference,
        baseline=baseline,
        spark=spark_session,
        psi=psi,
        js=js,
        wasserstein=wasserstein,
        ks=ks,
        chisquare=chisquare,
        share=share,
    )
    if html_report:
        _, before = version_profile(project, report.reference)
        _, after = version_profile(project, report.current)
        err.print(f"report: {write_drift_html(report, before, after, Path(html_report))}")
    if as_json:
        print_json(report.as_json())
    else:
        _print_drift(report)
    if report.drifted:
        raise DriftFound(
            f"{report.current} drifted from {report.reference}: {report.drifted_columns} of"
            f" {len(report.compared)} columns ({report.share:.0%})"
        )


def _print_drift(report) -> None:
    grid = Table(
        "column",
        "status",
        "method",
        "statistic",
        "limit",
        "drifted",
        "nulls",
        title=f"{report.current} against {report.reference}",
    )
    for c in report.columns:
        nulls = "" if c.null_rate_current is None else f"{c.null_rate_current:.1%}"
        grid.add_row(
            c.column,
            c.status,
            c.method or "",
            _short(c.statistic),
            _short(c.threshold),
            "[red]yes[/red]" if c.drifted else "no",
            nulls,
        )
    out.print(grid)
    verdict = "[red]drifted[/red]" if report.drifted else "[green]no drift[/green]"
    out.print(
        f"{report.drifted_columns} of {len(report.compared)} columns drifted"
        f" ({report.share:.0%}): {verdict}"
    )


def _short(value: float | None) -> str:
    return "" if value is None else f"{value:.3g}"


@app.command()
def metrics(
    name: Annotated[str, typer.Argument(help="Dataset name")],
    column: Annotated[str | None, typer.Option(help="Only this column.")] = None,
    metric: Annotated[
        str | None,
        typer.Option(
            help="Only this metric: rows, nulls, null_rate, distinct, min, max, mean, stddev."
        ),
    ] = None,
    as_json: JsonFlag = False,
    conf: ConfOption = None,
) -> None:
    """A profile metric across a dataset's published versions, oldest first."""
    import dataclasses

    from lakeshelf.config import project_of
    from lakeshelf.observe import metric_history

    points = metric_history(project_of(conf), name, column, metric)
    if as_json:
        print_json([dataclasses.asdict(p) for p in points])
        return
    grid = Table("version", "committed", "column", "metric", "value", title=name)
    for p in points:
        value = _number(p.value) if isinstance(p.value, float) else cell(p.value)
        grid.add_row(str(p.version), p.commit_timestamp, p.column, p.metric, value)
    out.print(grid)
