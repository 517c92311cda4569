"""An HTTP proxy in front of the test S3 server that injects network faults into chosen requests.

Faults are armed per request pattern (method and a regex over the path) through the proxy itself:
``GET /__fault__/arm?mode=MODE&method=PUT&match=REGEX&times=N`` arms one, ``GET /__fault__/status``
returns JSON counts of the faults fired. Modes:

- ``drop-response``: forward the request, let the server act on it, then close the client's
  connection without a response (a commit whose response is lost after the PUT landed).
- ``hold``: do not forward; keep the client waiting (up to ``--hold-seconds``), then close the
  connection (a commit in flight when its writer is killed).

Usage: ``python tools/s3_fault_proxy.py --upstream http://127.0.0.1:PORT`` prints
``listening on http://127.0.0.1:<port>``. :class:`FaultProxy` runs it in its own process.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import threading
import time
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade"}


@dataclass
class Fault:
    mode: str
    method: str
    match: re.Pattern[str]
    times: int
    fired: int = 0


class Faults:
    """The armed faults, shared by the handler threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.armed: list[Fault] = []
        self.fired: dict[str, int] = {}

    def take(self, method: str, path: str) -> str | None:
        """The mode of the first armed fault matching this request (consuming one use)."""
        with self.lock:
            for fault in self.armed:
                wanted = fault.method == method and fault.match.search(path)
                if wanted and fault.fired < fault.times:
                    fault.fired += 1
                    self.fired[fault.mode] = self.fired.get(fault.mode, 0) + 1
                    return fault.mode
        return None


def make_handler(upstream: str, faults: Faults, hold_seconds: float) -> type:
    target = urlparse(upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # quiet
            return

        def _control(self) -> None:
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/__fault__/arm":
                with faults.lock:
                    faults.armed.append(
                        Fault(
                            query["mode"],
                            query.get("method", "PUT"),
                            re.compile(query["match"]),
                            int(query.get("times", "1")),
                        )
                    )
            body = json.dumps(faults.fired).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0], 16)
                    if size == 0:
                        self.rfile.readline()
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _forward(self) -> None:
            if self.path.startswith("/__fault__/"):
                self._control()
                return
            body = self._body()
            mode = faults.take(self.command, urlparse(self.path).path)
            if mode == "hold":
                time.sleep(hold_seconds)
                self.close_connection = True
                return
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            if body or self.command in ("PUT", "POST"):
                headers["Content-Length"] = str(len(body))
            connection = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
            try:
                connection.request(self.command, self.path, body=body, headers=headers)
                response = connection.getresponse()
                payload = response.read()
            finally:
                connection.close()
            if mode == "drop-response":  # the server acted; the client never hears of it
                self.close_connection = True
                return
            self.send_response_only(response.status, response.reason)
            head = self.command == "HEAD"  # its Content-Length is the object's size: keep it
            for key, value in response.getheaders():
                if key.lower() not in _HOP_BY_HOP and (head or key.lower() != "content-length"):
                    self.send_header(key, value)
            if not head:
                self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward

    return Handler


class FaultProxy:
    """This proxy in its own process on a free loopback port, in front of ``upstream``."""

    def __init__(self, upstream: str, hold_seconds: float = 30.0, port: int = 0) -> None:
        from tools.s3_server import start_listening

        arguments = [__file__, "--upstream", upstream, "--hold-seconds", str(hold_seconds)]
        self.process, self.endpoint = start_listening(
            [*arguments, "--port", str(port)], "the fault proxy"
        )

    def arm(self, mode: str, match: str, method: str = "PUT", times: int = 1) -> None:
        """Make the next ``times`` requests matching ``method`` and ``match`` fail with ``mode``."""
        from urllib.parse import urlencode

        query = urlencode({"mode": mode, "match": match, "method": method, "times": times})
        urllib.request.urlopen(f"{self.endpoint}/__fault__/arm?{query}", timeout=10).read()

    def fired(self) -> dict[str, int]:
        """How many times each mode has fired."""
        with urllib.request.urlopen(f"{self.endpoint}/__fault__/status", timeout=10) as answer:
            return json.loads(answer.read())

    @property
    def port(self) -> int:
        return int(self.endpoint.rsplit(":", 1)[-1])

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--hold-seconds", type=float, default=30.0)
    args = parser.parse_args()
    handler = make_handler(args.upstream, Faults(), args.hold_seconds)
    ThreadingHTTPServer.allow_reuse_address = True  # a restarted proxy takes the same port
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler)
    server.daemon_threads = True
    print(f"listening on http://127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
