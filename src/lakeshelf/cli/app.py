"""The typer app the commands register on, and the options they share."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Versioned, quality-gated datasets on Spark.",
    pretty_exceptions_enable=False,
)
state = {"debug": False}

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
ConfOption = Annotated[
    str | None,
    typer.Option("--conf", help="Configuration folder (default $LAKESHELF_CONF or ./conf)."),
]


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
) -> None:
    state["debug"] = debug
