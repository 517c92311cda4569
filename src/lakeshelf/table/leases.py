"""Write leases: a write in progress tells vacuum which data files are not orphans.

A write moves its data files into the table folder before its commit (and, with a quality gate,
before its audit). Until the commit they look exactly like a crashed writer's leftovers. So every
write first records ``<table>/_staging/<txn>.lease``, holds it until its commit has landed or
failed, and names its data files with its transaction id; vacuum spares every file carrying the id
of a live lease. A lease older than :data:`LEASE_HOURS` is stale (its writer died) and protects
nothing; vacuum removes it along with that writer's staging folder.

A compaction cannot name its files (delta-rs does): its lease's id starts with
:data:`OPTIMIZE_LEASE_PREFIX`, and while it is live vacuum spares every file written since the
lease was taken.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from lakeshelf.table.delta_log import entry_mtime

if TYPE_CHECKING:
    from lakeshelf.storage import Location

LEASE_HOURS = 24.0
STAGING_DIR = "_staging"
OPTIMIZE_LEASE_PREFIX = "optimize-"
_SUFFIX = ".lease"

log = logging.getLogger(__name__)


def lease_path(table: Location, txn: str) -> str:
    """Where the lease of transaction ``txn`` on ``table`` lives."""
    return table.path(STAGING_DIR, f"{txn}{_SUFFIX}")


def acquire(fs: Any, table: Location, txn: str) -> None:
    """Record a live lease for ``txn`` (before any of its files enter the table folder)."""
    fs.makedirs(table.path(STAGING_DIR), exist_ok=True)
    with fs.open(lease_path(table, txn), "w") as handle:
        json.dump({"txn": txn, "host": socket.gethostname(), "pid": os.getpid()}, handle)


def release(fs: Any, table: Location, txn: str) -> None:
    """Drop the lease of ``txn`` (after its commit landed or failed)."""
    path = lease_path(table, txn)
    try:
        fs.rm(path)
    except FileNotFoundError:
        pass
    except Exception:  # a leftover lease only delays vacuum of this txn's files
        log.warning("could not release write lease %s", path)


@contextmanager
def write_lease(fs: Any, table: Location, txn: str) -> Iterator[None]:
    """Hold a lease for ``txn`` while the block runs (released however it ends)."""
    acquire(fs, table, txn)
    try:
        yield
    finally:
        release(fs, table, txn)


def live_leases(fs: Any, table: Location) -> tuple[set[str], list[str]]:
    """Transaction ids with a live lease, and the staging paths dead writers left.

    A lease is live until it is :data:`LEASE_HOURS` old. Left behind are stale leases and every
    staging folder whose transaction has no live lease (writers remove both before they end).
    """
    now = time.time()
    live: set[str] = set()
    stale: list[str] = []
    try:
        entries = fs.ls(table.path(STAGING_DIR), detail=True)
    except FileNotFoundError:
        return live, stale
    for entry in entries:
        name = entry["name"].rstrip("/").rsplit("/", 1)[-1]
        old = now - entry_mtime(entry) > LEASE_HOURS * 3600
        if name.endswith(_SUFFIX) and not old:
            live.add(name.removesuffix(_SUFFIX))
        elif old or entry.get("type") == "directory":
            stale.append(table.path(STAGING_DIR, name))
    # a staging folder belongs to a live writer while its lease is live
    stale = [p for p in stale if p.rsplit("/", 1)[-1].removesuffix(_SUFFIX) not in live]
    return live, stale


def compaction_since(fs: Any, table: Location) -> float | None:
    """When the oldest live compaction's lease was taken (epoch seconds), None if there is none."""
    leases = _live_compaction_leases(fs, table)
    return leases[0][0] if leases else None


def earlier_compaction(fs: Any, table: Location, txn: str) -> dict[str, Any] | None:
    """The lease of a live compaction of ``table`` taken before ``txn``'s, if there is one.

    Compactions are ordered by (lease time, transaction id): of any set of compactions that hold
    leases at once, exactly the first finds none before it. A lease of this host whose process
    is gone is stale and ignored.
    """
    for _, other, path in _live_compaction_leases(fs, table):
        if other == txn:
            return None
        holder = _holder(fs, path)
        if holder is not None and not _gone(holder):
            return {**holder, "txn": other}
    return None


def _live_compaction_leases(fs: Any, table: Location) -> list[tuple[float, str, str]]:
    """(lease time, transaction id, path) of every live compaction lease, oldest first."""
    now = time.time()
    try:
        entries = fs.ls(table.path(STAGING_DIR), detail=True)
    except FileNotFoundError:
        return []
    return sorted(
        (entry_mtime(entry), name.removesuffix(_SUFFIX), entry["name"])
        for entry in entries
        if (name := entry["name"].rstrip("/").rsplit("/", 1)[-1]).startswith(OPTIMIZE_LEASE_PREFIX)
        and name.endswith(_SUFFIX)
        and now - entry_mtime(entry) <= LEASE_HOURS * 3600
    )


def _holder(fs: Any, path: str) -> dict[str, Any] | None:
    try:
        with fs.open(path, "r") as handle:
            return dict(json.load(handle))
    except (FileNotFoundError, ValueError):  # released meanwhile, or being written
        return None


def _gone(holder: dict[str, Any]) -> bool:
    """True when the lease's process ran on this host and no longer exists."""
    if holder.get("host") != socket.gethostname():
        return False
    try:
        os.kill(int(holder.get("pid", -1)), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, ValueError, OverflowError):
        return False
    return False
