"""The site's static files: its stylesheet and script (package data) and plotly.js."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

#: The files every site has in ``assets/``.
ASSET_NAMES = ("site.css", "site.js", "plotly.min.js")


def asset(name: str) -> bytes:
    """One of the site's assets: ``site.css``, ``site.js`` or ``plotly.min.js``.

    plotly.js comes from the plotly package itself (its own vendored bundle), so the version
    drawing the charts is the one the dependency pins.
    """
    if name == "plotly.min.js":
        from plotly.offline import get_plotlyjs

        return get_plotlyjs().encode("utf-8")
    return resources.files("lakeshelf.site").joinpath("assets", name).read_bytes()


def write_assets(folder: Path) -> None:
    """Write every asset into ``folder``."""
    for name in ASSET_NAMES:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(asset(name))
