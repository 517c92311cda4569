"""A table's Delta log: opened with delta-rs, and read directly where delta-rs falls short.

delta-rs owns the log (:func:`open_table`, with its errors translated: no table, a damaged log, an
unsupported feature). lakeshelf reads the ``_delta_log`` folder directly only for what delta-rs
does not expose in the form lakeshelf needs: which versions are still readable (to refuse, rather
than clamp, a version outside the history), commit-file times (Delta's rule for timestamp time
travel), and a single commit's ``commitInfo`` (to find the version a write produced).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lakeshelf.errors import (
    DamagedLogError,
    TableNotFoundError,
    UnsupportedFeatureError,
    VersionNotFoundError,
    first_line,
)

if TYPE_CHECKING:
    from deltalake import DeltaTable

    from lakeshelf.storage import Location

_COMMIT = re.compile(r"^(\d{20})\.json$")
_CHECKPOINT = re.compile(r"^(\d{20})\.checkpoint(\.\d+\.\d+)?(\.[0-9a-f-]+)?\.parquet$")


def commit_hooks() -> Any:
    """Post-commit hook settings for every lakeshelf commit: checkpoints yes, log cleanup no.

    delta-rs deletes expired commit files after checkpoints by default; that would silently make
    pinned versions unreadable, so lakeshelf cleans logs only through its pin-aware cleanup.
    """
    from deltalake.transaction import PostCommitHookProperties

    return PostCommitHookProperties(create_checkpoint=True, cleanup_expired_logs=False)


@dataclass(frozen=True)
class LogListing:
    """The commit and checkpoint files present in a table's log."""

    commits: dict[int, float]  # version -> commit file modification time (epoch seconds)
    checkpoints: dict[int, float]  # version -> checkpoint modification time
    #: version -> what tells this commit file from any other written under its name (the
    #: object store's ETag, else modification time and size): a table re-created in place
    #: has the same names and other identities
    identities: dict[int, str] = field(default_factory=dict)

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


def log_dir(table: Location) -> str:
    """The ``_delta_log`` folder of ``table``."""
    return table.path("_delta_log")


def commit_file(table: Location, version: int) -> str:
    """Path of the commit file for ``version``."""
    return table.path("_delta_log", f"{version:020d}.json")


def list_log(table: Location) -> LogListing | None:
    """List the log of ``table``; None if there is no log (no table)."""
    try:
        entries = table.filesystem().ls(log_dir(table), detail=True)
    except (FileNotFoundError, NotADirectoryError):  # e.g. a path to a file: no table
        return None
    return log_listing(entries)


def log_listing(entries: Iterable[dict[str, Any]]) -> LogListing | None:
    """The listing made of fsspec listing ``entries`` of the files in a ``_delta_log`` folder;
    None if they hold no commit."""
    commits: dict[int, float] = {}
    checkpoints: dict[int, float] = {}
    identities: dict[int, str] = {}
    for entry in entries:
        name = entry["name"].rstrip("/").rsplit("/", 1)[-1]
        mtime = entry_mtime(entry)
        if match := _COMMIT.match(name):
            commits[int(match.group(1))] = mtime
            identities[int(match.group(1))] = str(
                entry.get("ETag") or f"{mtime!r}:{entry.get('size')}"
            )
        elif match := _CHECKPOINT.match(name):
            checkpoints[int(match.group(1))] = mtime
    return LogListing(commits, checkpoints, identities) if commits else None


def latest_version(table: Location) -> int:
    """The newest committed version of ``table`` (-1 when there is no table)."""
    listing = list_log(table)
    return listing.latest if listing else -1


def read_commit_info(table: Location, version: int) -> dict[str, Any] | None:
    """The ``commitInfo`` action of one commit, or None if the commit has none or is gone."""
    try:
        with table.filesystem().open(commit_file(table, version), "rb") as handle:
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


def open_table(table: Location, version: int | None = None) -> DeltaTable:
    """A delta-rs DeltaTable for ``table`` at ``version`` (latest if None), errors translated."""
    from deltalake import DeltaTable

    options = table.delta_rs_options()
    try:
        return DeltaTable(table.uri, version=version, storage_options=options)
    except Exception as exc:
        if list_log(table) is None:
            raise TableNotFoundError(f"no Delta table at {table}") from exc
        if "unsupported" in str(exc).lower():
            raise UnsupportedFeatureError(
                f"{table} uses a Delta feature lakeshelf cannot read ({first_line(exc)}); reading"
                " it could return wrong rows, so lakeshelf refuses."
            ) from exc
        if _LOG_DAMAGE.search(str(exc)):
            at = "its latest version" if version is None else f"version {version}"
            raise DamagedLogError(
                f"the Delta log of {table} is damaged and {at} cannot be reconstructed safely"
                f" ({first_line(exc)}); lakeshelf refuses rather than read a wrong snapshot."
                " Restore the missing or damaged files under _delta_log/ from a backup or the"
                " source copy; versions the damage does not touch still read."
            ) from exc
        raise VersionNotFoundError(
            f"cannot load version {version} of {table}: {table.unreachable(exc)}{first_line(exc)}"
        ) from exc


# delta-rs's words for a log it cannot replay (as opposed to a version that does not exist)
_LOG_DAMAGE = re.compile(
    r"checkpoint|gap|contiguous|corrupt|json error|parquet error|truncated|logsegment",
    re.IGNORECASE,
)
