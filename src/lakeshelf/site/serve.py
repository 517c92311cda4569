"""``lakeshelf ui``: the site's pages served from the live registry.

Each request reads the registry afresh, so a refresh shows versions published since; any two
versions can be compared (a static build holds only consecutive comparisons). It listens on
loopback by default and serves nothing but the pages and their assets.
"""

from __future__ import annotations

import html
import os
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from lakeshelf.config import project_of
from lakeshelf.errors import LakeshelfError, first_line
from lakeshelf.site import pages
from lakeshelf.site.lake import LakeView
from lakeshelf.site.static import ASSET_NAMES, asset

if TYPE_CHECKING:
    from lakeshelf.config import Project

_TYPES = {".css": "text/css", ".js": "text/javascript", ".html": "text/html"}


def make_server(
    conf: str | os.PathLike[str] | Project | None = None,
    port: int = 8000,
    host: str = "127.0.0.1",
) -> ThreadingHTTPServer:
    """A server for the project's pages, bound but not yet serving (``serve_forever``).

    Port 0 picks a free port (``server.server_address`` tells which).
    """
    project = project_of(conf)
    assets = {name: asset(name) for name in ASSET_NAMES}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = unquote(urlsplit(self.path).path).lstrip("/")
            if path.startswith(pages.ASSETS + "/") and path.split("/", 1)[1] in assets:
                self._send(HTTPStatus.OK, assets[path.split("/", 1)[1]], path)
                return
            target = pages.route(path)
            if target is None:
                self._send(HTTPStatus.NOT_FOUND, _missing(f"no page at /{path}"), ".html")
                return
            try:
                page = pages.render(LakeView(project), target, live=True)
            except LakeshelfError as exc:
                self._send(HTTPStatus.NOT_FOUND, _missing(first_line(exc)), ".html")
                return
            self._send(HTTPStatus.OK, page.encode("utf-8"), ".html")

        def _send(self, status: HTTPStatus, body: bytes, path: str) -> None:
            suffix = os.path.splitext(path)[1] or ".html"
            self.send_response(status)
            self.send_header("Content-Type", _TYPES.get(suffix, "text/html") + "; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store" if suffix == ".html" else "max-age=3600")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # requests are not news; errors reach the page

    return ThreadingHTTPServer((host, port), Handler)


def _missing(reason: str) -> bytes:
    return (
        "<!doctype html><meta charset='utf-8'><title>Not found · lakeshelf</title>"
        f"<p>{html.escape(reason)}.</p><p><a href='/index.html'>Back to the lake</a></p>"
    ).encode()
