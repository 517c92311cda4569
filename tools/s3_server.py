"""A local S3-compatible HTTP server for tests and demos: moto's server, one request at a time.

moto's S3 handler checks ``If-None-Match: *`` and then stores the object as two separate steps,
and its stock server handles requests on concurrent threads, so two conditional PUTs of one key
could both succeed. Delta commits on S3 rely on exactly that precondition (put-if-absent), so this
server serialises request handling with one lock; ``tests/test_s3_server.py`` proves that many
concurrent conditional PUTs of one key have exactly one winner.

Usage: ``python tools/s3_server.py --port 0`` prints ``listening on http://127.0.0.1:<port>``
once it accepts connections.
"""

from __future__ import annotations

import argparse
import threading
from collections.abc import Callable, Iterable
from typing import Any


class Serialised:
    """WSGI middleware: one request inside the wrapped application at a time."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self.lock:
            return list(self.app(environ, start_response))  # the whole response, under the lock


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    args = parser.parse_args()

    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(
        args.host, args.port, Serialised(app), threaded=True, request_handler=MotoRequestHandler
    )
    print(f"listening on http://{args.host}:{server.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
