"""Where a write keeps the files its audit refused: ``<table>/_refused/<txn>/`` with the report.

A refused publish commits nothing; its data files stay for inspection beside a ``report.json``
saying why. Lakes written before the folder got this name keep them in ``_quarantine/<txn>/``,
which :func:`refused_publishes` still lists. (Malformed raw *rows* are a different thing: they
live in the dataset's ``__malformed`` table.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lakeshelf.table.delta_log import entry_mtime

if TYPE_CHECKING:
    from lakeshelf.storage import Location
    from lakeshelf.table.files import WrittenFile

REFUSED_DIR = "_refused"
LEGACY_REFUSED_DIR = "_quarantine"
REPORT = "report.json"


@dataclass(frozen=True)
class RefusedPublish:
    """The files of one refused publish and why they were refused."""

    txn: str
    folder: str
    refused_at: float  # epoch seconds (the report's modification time)
    report: dict[str, Any]


def keep_refused(
    table: Location, txn: str, files: list[WrittenFile], report: dict[str, Any]
) -> str:
    """Move a refused write's files (in the table folder) to ``_refused/<txn>/``; return it."""
    fs = table.filesystem()
    folder = table.path(REFUSED_DIR, txn)
    for written in files:
        target = f"{folder}/{written.path}"
        fs.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
        fs.mv(table.path(written.path), target)
    fs.makedirs(folder, exist_ok=True)
    with fs.open(f"{folder}/{REPORT}", "w") as handle:
        json.dump(report, handle, indent=2, default=str)
    return folder


def refused_publishes(table: Location) -> list[RefusedPublish]:
    """Every refused publish kept beside ``table``, oldest first (old folder name included)."""
    fs = table.filesystem()
    found = []
    for name in (REFUSED_DIR, LEGACY_REFUSED_DIR):
        try:
            folders = fs.ls(table.path(name), detail=False)
        except FileNotFoundError:
            continue
        for folder in folders:
            report_path = f"{folder.rstrip('/')}/{REPORT}"
            try:
                info = fs.info(report_path)
                with fs.open(report_path, "r") as handle:
                    report = json.load(handle)
            except (FileNotFoundError, ValueError):
                continue
            txn = folder.rstrip("/").rsplit("/", 1)[-1]
            found.append(RefusedPublish(txn, table.fsspec_path(folder), entry_mtime(info), report))
    return sorted(found, key=lambda r: r.refused_at)
