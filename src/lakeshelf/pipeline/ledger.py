"""Which raw files a bronze table has already loaded.

The record lives in the table's own commits: each ingest commit carries the identities of the files
it loaded in its ingest entry (:attr:`lakeshelf.table.CommitRecord.ingest`), in the same atomic
commit as the data and Delta's ``txn`` action for the ingest's app id. So "loaded" and
"committed" cannot disagree, whatever point a crash hits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lakeshelf.table import list_log, read_record

if TYPE_CHECKING:
    from lakeshelf.storage import Location


@dataclass
class Ledger:
    """Loaded files (path -> identity record) and the last committed batch id."""

    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    last_batch: int = 0


def _ingest_entries(table: Location, newest_first: bool = False) -> list[dict[str, Any]]:
    listing = list_log(table)
    versions = sorted(listing.commits if listing else [], reverse=newest_first)
    entries = []
    for version in versions:
        record = read_record(table, version)
        if record is not None and record.ingest is not None:
            entries.append(record.ingest)
    return entries


def read_ledger(table: Location) -> Ledger:
    """Replay the ingest entries of ``table`` (empty if it does not exist)."""
    ledger = Ledger()
    for entry in _ingest_entries(table):
        for item in entry.get("files", []):
            ledger.files[item["path"]] = item
        ledger.last_batch = max(ledger.last_batch, int(entry.get("batchId", 0)))
    return ledger


def batch_files(table: Location, batch: int) -> list[dict[str, Any]]:
    """The file records of batch ``batch`` in ``table`` (empty if none)."""
    for entry in _ingest_entries(table, newest_first=True):
        if int(entry.get("batchId", -1)) == batch:
            return list(entry.get("files", []))
    return []
