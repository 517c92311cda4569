"""A local S3-compatible HTTP server for tests and demos: moto's server, one request at a time.

moto's S3 handler checks ``If-None-Match: *`` and then stores the object as two separate steps,
and its stock server handles requests on concurrent threads, so two conditional PUTs of one key
could both succeed. Delta commits on S3 rely on exactly that precondition (put-if-absent), so this
server serialises request handling with one lock; ``tests/test_s3_server.py`` proves that many
concurrent conditional PUTs of one key have exactly one winner.

Usage: ``python tools/s3_server.py --port 0`` prints ``listening on http://127.0.0.1:<port>``
once it accepts connections. :class:`S3Server` runs it in its own process for tests and
benchmarks.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
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


def start_listening(arguments: list[str], what: str) -> tuple[subprocess.Popen, str]:
    """Start ``python ARGUMENTS`` and wait for its ``listening on URL`` line; return both."""
    process = subprocess.Popen(
        [sys.executable, *arguments], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    line = process.stdout.readline() if process.stdout else ""
    if not line.startswith("listening on "):
        process.kill()
        raise RuntimeError(f"{what} did not start: {line!r}")
    return process, line.split()[-1]


class S3Server:
    """This server running in its own process on a free loopback port, with fixed test keys."""

    ACCESS_KEY = "AKIALAKESHELFTEST01"
    SECRET_KEY = "lakeshelf-test-secret-9f4b2c"

    def __init__(self) -> None:
        self.process, self.endpoint = start_listening([__file__, "--port", "0"], "the S3 server")

    @property
    def storage_options(self) -> dict[str, str]:
        """lakeshelf/delta-rs storage options that reach this server."""
        return {
            "aws_access_key_id": self.ACCESS_KEY,
            "aws_secret_access_key": self.SECRET_KEY,
            "aws_endpoint_url": self.endpoint,
            "aws_region": "us-east-1",
            "aws_allow_http": "true",
        }

    def client(self) -> Any:
        """A boto3 S3 client for this server (bucket setup, listings, raw PUTs)."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.ACCESS_KEY,
            aws_secret_access_key=self.SECRET_KEY,
            region_name="us-east-1",
            config=Config(max_pool_connections=64),
        )

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


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
