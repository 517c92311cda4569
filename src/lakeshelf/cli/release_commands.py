"""``lakeshelf release``: create, show, verify, list and remove releases."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from lakeshelf.cli.app import ConfOption, app
from lakeshelf.cli.render import err, out, print_json
from lakeshelf.errors import LakeshelfError

release_app = typer.Typer(
    no_args_is_help=True,
    help="Named sets of dataset versions, pinned together for training.",
)
app.add_typer(release_app, name="release")


class ReleaseChanged(LakeshelfError):
    """A release's data differs from what it recorded (exit 1)."""


@release_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="Release name (the tag rule applies).")],
    refs: Annotated[list[str], typer.Argument(help="DATASET@AT of each dataset version.")],
    conf: ConfOption = None,
) -> None:
    """Pin a consistent set of dataset versions in one registry commit (all or nothing)."""
    from lakeshelf.config import load_project
    from lakeshelf.names import check_label
    from lakeshelf.registry.releases import create_release

    check_label(name)
    release = create_release(load_project(conf), name, refs)
    pinned = ", ".join(f"{e.dataset}@{e.version}" for e in release.entries)
    out.print(f"release {name}: {pinned}", highlight=False)


@release_app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="Release name.")], conf: ConfOption = None
) -> None:
    """Print the release's lockfile (JSON) for a training job."""
    from lakeshelf.config import load_project
    from lakeshelf.registry.releases import get_release

    print_json(get_release(load_project(conf), name).lockfile())


@release_app.command("verify")
def verify(
    name: Annotated[str, typer.Argument(help="Release name.")], conf: ConfOption = None
) -> None:
    """Recompute every fingerprint of the release: exit 0 identical, 1 not."""
    from lakeshelf.config import load_project
    from lakeshelf.registry.releases import verify_release
    from lakeshelf.session import spark_session

    project = load_project(conf)
    with err.status(f"verifying release {name}"):
        checks = verify_release(project, name, spark_session(conf=project.lake.spark))
    for check in checks:
        state = "[green]identical[/green]" if check.identical else "[red]DIFFERENT[/red]"
        out.print(f"{check.ref}: {state}")
    changed = [c.ref for c in checks if not c.identical]
    if changed:
        raise ReleaseChanged(f"release {name}: {', '.join(changed)} differ from what it recorded")


@release_app.command("list")
def list_(conf: ConfOption = None) -> None:
    """List the releases, oldest first."""
    from lakeshelf.config import load_project
    from lakeshelf.registry.releases import list_releases

    grid = Table("release", "created", "by", "datasets")
    for release in list_releases(load_project(conf)):
        versions = ", ".join(f"{e.dataset}@{e.version}" for e in release.entries)
        grid.add_row(release.name, release.created, release.user, versions)
    out.print(grid)


@release_app.command("remove")
def remove(
    name: Annotated[str, typer.Argument(help="Release name.")], conf: ConfOption = None
) -> None:
    """Remove a release (its versions stay; they are no longer pinned by it)."""
    from lakeshelf.config import load_project
    from lakeshelf.registry.releases import remove_release

    release = remove_release(load_project(conf), name)
    out.print(f"removed release {name} ({len(release.entries)} dataset version(s))")
