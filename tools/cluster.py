"""A real Spark standalone cluster (one master, N workers) on 127.0.0.1, from the pyspark package.

Uses the ``spark-class`` launcher that pyspark ships; nothing is downloaded. ``make cluster-up``
and ``make cluster-down`` run this module; tests use :class:`StandaloneCluster` directly.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

STATE = Path(".cluster")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def spark_bin(name: str) -> str:
    """Path of a launcher script shipped in the pyspark package."""
    import pyspark

    return str(Path(pyspark.__file__).parent / "bin" / name)


class StandaloneCluster:
    """Start and stop a master and workers as separate processes."""

    def __init__(self, workdir: Path, workers: int = 2, cores: int = 1, memory: str = "1g") -> None:
        self.workdir = Path(workdir)
        self.workers, self.cores, self.memory = workers, cores, memory
        self.port, self.ui_port = free_port(), free_port()
        self.processes: list[subprocess.Popen] = []

    @property
    def url(self) -> str:
        """The master URL to pass to spark-submit."""
        return f"spark://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90) -> StandaloneCluster:
        """Start the master and workers; return when every worker is registered."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_LOG_DIR": str(self.workdir)}
        master = [
            "org.apache.spark.deploy.master.Master",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--webui-port",
            str(self.ui_port),
        ]
        self._spawn(master, "master", env)
        for number in range(self.workers):
            worker = [
                "org.apache.spark.deploy.worker.Worker",
                self.url,
                "--host",
                "127.0.0.1",
                "--cores",
                str(self.cores),
                "--memory",
                self.memory,
                "--webui-port",
                "0",
                "--work-dir",
                str(self.workdir / f"worker-{number}"),
            ]
            self._spawn(worker, f"worker-{number}", env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.alive_workers() >= self.workers:
                return self
            if any(p.poll() is not None for p in self.processes):
                break
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"cluster did not start; see logs in {self.workdir}")

    def alive_workers(self) -> int:
        """Workers the master reports alive (0 if the master is not answering yet)."""
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{self.ui_port}/json/", timeout=2
            ) as reply:
                return int(json.load(reply).get("aliveworkers", 0))
        except OSError:
            return 0

    def stop(self) -> None:
        """Stop every process of the cluster."""
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()

    def _spawn(self, args: list[str], name: str, env: dict[str, str]) -> None:
        log = open(self.workdir / f"{name}.log", "wb")  # noqa: SIM115 - lives as long as the process
        self.processes.append(
            subprocess.Popen(
                [spark_bin("spark-class"), *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["up", "down"])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    pids = STATE / "pids"
    if args.action == "up":
        cluster = StandaloneCluster(STATE / "work", workers=args.workers).start()
        pids.write_text(" ".join(str(p.pid) for p in cluster.processes))
        (STATE / "url").write_text(cluster.url)
        print(
            f"master {cluster.url} (web UI http://127.0.0.1:{cluster.ui_port}), "
            f"{cluster.workers} workers; submit with --master {cluster.url}"
        )
        return 0
    if pids.exists():
        for pid in pids.read_text().split():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(int(pid), signal.SIGTERM)
        pids.unlink()
        print("cluster stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
