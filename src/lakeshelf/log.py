"""Direct, read-only views of a table's ``_delta_log`` folder.

delta-rs owns the log; lakeshelf reads it directly only for what delta-rs does not expose in the
form lakeshelf needs: which versions are still readable (to refuse, rather than clamp, a version
outside the history), commit-file times (Delta's rule for timestamp time travel), and a single
commit's ``commitInfo`` (to find the version a write produced).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from lakeshelf import storage


def commit_hooks() -> Any:
    """Post-commit hook settings for every lakeshelf commit: checkpoints yes, log cleanup no.

    delta-rs deletes expired commit files after checkpoints by default; that would silently make
    pinned versions unreadable, so lakeshelf cleans logs only through its pin-aware cleanup.
    """
    from deltalake.transaction import PostCommitHookProperties

    return PostCommitHookProperties(create_checkpoint=True, cleanup_expired_logs=False)


_COMMIT = re.compile(r"^(\d{20})\.json$")
_CHECKPOINT = re.compile(r"^(\d{20})\.checkpoint(\.\d+\.\d+)?(\.[0-9a-f-]+)?\.parquet$")


@dataclass(frozen=True)
class LogListing:
    """The commit and checkpoint files present in a table's log."""

    commits: dict[int, float]  # version -> commit file modification time (epoch seconds)
    checkpoints: dict[int, float]  # version -> checkpoint modification time

    @property
    def latest(self) -> int:
        """The newest committed version."""
        return max(self.commits)

    @property
    def earliest(self) -> int:
        """The oldest version that can still be reconstructed from the files present."""
        if 0 in self.commits:
            return 0
        candidates = [v for v in self.checkpoints if v <= self.latest]
        return min(candidates) if candidates else min(self.commits)

    def commit_time(self, version: int) -> float:
        """Modification time of the version's commit file, or of its checkpoint if that is gone."""
        return self.commits.get(version, self.checkpoints.get(version, 0.0))


def log_dir(uri: str) -> str:
    """The ``_delta_log`` folder of the table at ``uri``."""
    return storage.join(uri, "_delta_log")


def commit_file(uri: str, version: int) -> str:
    """Path of the commit file for ``version``."""
    return storage.join(log_dir(uri), f"{version:020d}.json")


def list_log(uri: str, storage_options: dict[str, Any] | None = None) -> LogListing | None:
    """List the log of the table at ``uri``; None if there is no log (no table)."""
    fs = storage.filesystem(uri, storage_options)
    try:
        entries = fs.ls(log_dir(uri), detail=True)
    except (FileNotFoundError, NotADirectoryError):  # e.g. a path to a file: no table
        return None
    commits: dict[int, float] = {}
    checkpoints: dict[int, float] = {}
    for entry in entries:
        name = entry["name"].rstrip("/").rsplit("/", 1)[-1]
        mtime = entry_mtime(entry)
        if match := _COMMIT.match(name):
            commits[int(match.group(1))] = mtime
        elif match := _CHECKPOINT.match(name):
            checkpoints[int(match.group(1))] = mtime
    return LogListing(commits, checkpoints) if commits else None


def read_commit_info(
    uri: str, version: int, storage_options: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """The ``commitInfo`` action of one commit, or None if the commit has none or is gone."""
    fs = storage.filesystem(uri, storage_options)
    try:
        with fs.open(commit_file(uri, version), "rb") as handle:
            for line in handle:
                if b'"commitInfo"' in line:
                    action = json.loads(line)
                    if "commitInfo" in action:
                        return action["commitInfo"]
    except FileNotFoundError:
        return None
    return None


def entry_mtime(entry: dict[str, Any]) -> float:
    """Modification time (epoch seconds) of an fsspec listing entry."""
    value = entry.get("mtime", entry.get("LastModified", entry.get("last_modified", 0.0)))
    return value.timestamp() if hasattr(value, "timestamp") else float(value or 0.0)


def committed_rows(
    uri: str, version: int, storage_options: dict[str, Any] | None = None
) -> int | None:
    """Rows a lakeshelf write committed in ``version`` (None if the commit does not say)."""
    info = read_commit_info(uri, version, storage_options) or {}
    rows = ((info.get("lakeshelf") or {}).get("metrics") or {}).get("numOutputRows")
    return None if rows is None else int(rows)


def find_commit(
    uri: str, txn_id: str, after: int, storage_options: dict[str, Any] | None = None
) -> int:
    """The newest version after ``after`` whose commitInfo carries lakeshelf ``txn_id``.

    delta-rs does not return the version a transaction committed, and concurrent writers may have
    committed after it, so the version is found by the id lakeshelf put in the commit.

    Raises:
        LookupError: no such commit (the transaction did not commit).
    """
    listing = list_log(uri, storage_options)
    latest = listing.latest if listing else -1
    for version in range(latest, after, -1):
        info = read_commit_info(uri, version, storage_options) or {}
        if (info.get("lakeshelf") or {}).get("txnId") == txn_id:
            return version
    raise LookupError(f"no commit of transaction {txn_id} in {uri} after version {after}")


def landed(
    uri: str, txn_id: str, after: int, storage_options: dict[str, Any] | None = None
) -> int | None:
    """The version holding ``txn_id``'s commit after ``after``, or None if it is not in the log.

    Asked after a failed commit attempt: the attempt may have landed with its response lost.
    """
    try:
        return find_commit(uri, txn_id, after, storage_options)
    except LookupError:
        return None
