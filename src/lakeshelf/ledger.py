"""Which raw files a bronze table has already loaded.

The record lives in the table's own commits: each ingest commit carries the identities of the files
it loaded in ``commitInfo.lakeshelf.metadata.ingest.files``, in the same atomic commit as the data
and Delta's ``txn`` action for the ingest's app id. So "loaded" and "committed" cannot disagree,
whatever point a crash hits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lakeshelf import log


@dataclass
class Ledger:
    """Loaded files (path -> identity record) and the last committed batch id."""

    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    last_batch: int = 0


def ingest_record(info: dict[str, Any] | None) -> dict[str, Any] | None:
    """The ingest record of a commit (``None`` if the commit is not an ingest)."""
    ours = (info or {}).get("lakeshelf") or {}
    return (ours.get("metadata") or {}).get("ingest")


def read_ledger(uri: str, storage_options: dict[str, Any] | None = None) -> Ledger:
    """Replay the ingest records of the table at ``uri`` (empty if it does not exist)."""
    ledger = Ledger()
    listing = log.list_log(uri, storage_options)
    if listing is None:
        return ledger
    for version in sorted(listing.commits):
        record = ingest_record(log.read_commit_info(uri, version, storage_options))
        if record is None:
            continue
        for item in record.get("files", []):
            ledger.files[item["path"]] = item
        ledger.last_batch = max(ledger.last_batch, int(record.get("batchId", 0)))
    return ledger


def batch_files(uri: str, batch: int, storage_options: dict[str, Any] | None = None) -> list[dict]:
    """The file records of batch ``batch`` in the table at ``uri`` (empty if none)."""
    listing = log.list_log(uri, storage_options)
    for version in sorted(listing.commits if listing else [], reverse=True):
        record = ingest_record(log.read_commit_info(uri, version, storage_options))
        if record and int(record.get("batchId", -1)) == batch:
            return list(record.get("files", []))
    return []
