"""Write leases: a write in progress tells vacuum which data files are not orphans.

A write moves its data files into the table folder before its commit (and, with a quality gate,
before its audit). Until the commit they look exactly like a crashed writer's leftovers. So every
write first records ``<table>/_staging/<txn>.lease``, holds it until its commit has landed or
failed, and names its data files with its transaction id; vacuum spares every file carrying the id
of a live lease. A lease older than :data:`LEASE_HOURS` is stale (its writer died) and protects
nothing; vacuum removes it along with that writer's staging folder.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from lakeshelf import storage
from lakeshelf.log import entry_mtime

LEASE_HOURS = 24.0
STAGING_DIR = "_staging"
_SUFFIX = ".lease"

log_ = logging.getLogger(__name__)


def lease_path(uri: str, txn: str) -> str:
    """Where the lease of transaction ``txn`` on the table at ``uri`` lives."""
    return storage.join(uri, STAGING_DIR, f"{txn}{_SUFFIX}")


def acquire(fs: Any, uri: str, txn: str) -> None:
    """Record a live lease for ``txn`` (before any of its files enter the table folder)."""
    fs.makedirs(storage.join(uri, STAGING_DIR), exist_ok=True)
    with fs.open(lease_path(uri, txn), "w") as handle:
        json.dump({"txn": txn, "host": socket.gethostname(), "pid": os.getpid()}, handle)


def release(fs: Any, uri: str, txn: str) -> None:
    """Drop the lease of ``txn`` (after its commit landed or failed)."""
    path = lease_path(uri, txn)
    try:
        fs.rm(path)
    except FileNotFoundError:
        pass
    except Exception:  # a leftover lease only delays vacuum of this txn's files
        log_.warning("could not release write lease %s", path)


@contextmanager
def write_lease(fs: Any, uri: str, txn: str) -> Iterator[None]:
    """Hold a lease for ``txn`` while the block runs (released however it ends)."""
    acquire(fs, uri, txn)
    try:
        yield
    finally:
        release(fs, uri, txn)


def live_leases(fs: Any, uri: str) -> tuple[set[str], list[str]]:
    """Transaction ids with a live lease, and the staging paths dead writers left.

    A lease is live until it is :data:`LEASE_HOURS` old. Left behind are stale leases and every
    staging folder whose transaction has no live lease (writers remove both before they end).
    """
    now = time.time()
    live: set[str] = set()
    stale: list[str] = []
    try:
        entries = fs.ls(storage.join(uri, STAGING_DIR), detail=True)
    except FileNotFoundError:
        return live, stale
    for entry in entries:
        name = entry["name"].rstrip("/").rsplit("/", 1)[-1]
        old = now - entry_mtime(entry) > LEASE_HOURS * 3600
        if name.endswith(_SUFFIX) and not old:
            live.add(name.removesuffix(_SUFFIX))
        elif old or entry.get("type") == "directory":
            stale.append(storage.join(uri, STAGING_DIR, name))
    # a staging folder belongs to a live writer while its lease is live
    stale = [p for p in stale if p.rsplit("/", 1)[-1].removesuffix(_SUFFIX) not in live]
    return live, stale
