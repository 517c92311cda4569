"""``lakeshelf site build`` and ``lakeshelf ui``: the catalog as a static site or served live."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from lakeshelf.cli.app import ConfOption, app
from lakeshelf.cli.render import err, out

site_app = typer.Typer(no_args_is_help=True, help="The lake's catalog as a static site.")
app.add_typer(site_app, name="site")


@site_app.command("build")
def build(
    out_dir: Annotated[
        str | None,
        typer.Option("--out", help="Folder to write the site to (default <project>/site)."),
    ] = None,
    conf: ConfOption = None,
) -> None:
    """Write a self-contained site of every dataset, version, comparison and refused publish."""
    from lakeshelf.site import build_site

    columns = (TextColumn("site"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("pages", total=None)
        built = build_site(
            conf,
            out_dir,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    grid = Table(title="site build", show_header=False)
    grid.add_row("datasets", str(built.datasets))
    grid.add_row("versions", f"{built.versions:,}")
    grid.add_row("pages", f"{built.pages:,}")
    grid.add_row("time", f"{built.seconds:.1f} s")
    out.print(grid)
    out.print(f"open {built.index.resolve().as_uri()}", highlight=False)


@app.command()
def ui(
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (loopback by default).")
    ] = "127.0.0.1",
    conf: ConfOption = None,
) -> None:
    """Serve the catalog from the live registry (a refresh shows new versions)."""
    from lakeshelf.site.serve import make_server

    server = make_server(conf, port, host)
    bound_host, bound_port = server.server_address[:2]
    out.print(
        f"serving the lake at http://{bound_host}:{bound_port}/ (Ctrl-C stops)", highlight=False
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        out.print("stopped", highlight=False)
    finally:
        server.server_close()
