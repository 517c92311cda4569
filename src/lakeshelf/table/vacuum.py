"""Removing old data files and commit files without breaking pinned versions or running writes.

Data files: delta-rs's vacuum in full mode (files removed by commits and files no commit
references, such as a crashed writer's) with ``keep_versions`` set to the pinned versions, so every
file a pinned version references survives whatever the retention. delta-rs lists the candidates
(dry run) and lakeshelf deletes them, because a candidate may belong to a write that is staged or
being audited: the order below (candidates, then live write leases, then the latest snapshot) never
deletes a file that a running write holds or that a commit landing meanwhile references.

Commit files: delta-rs's log cleanup has no notion of pinned versions (it deletes every expired
commit before the latest checkpoint), so lakeshelf disables it on its commits and cleans the log
itself: nothing at or after the newest checkpoint that precedes the oldest pinned version is
removed, which keeps every pinned version (and the latest) reconstructible.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lakeshelf.table import commit_info
from lakeshelf.table.arrow import arrow_table
from lakeshelf.table.delta_log import (
    commit_file,
    commit_hooks,
    entry_mtime,
    list_log,
    log_dir,
    open_table,
)
from lakeshelf.table.leases import compaction_since, live_leases

if TYPE_CHECKING:
    from lakeshelf.storage import Location


@dataclass
class CleanupResult:
    """What a vacuum removed (or would remove) and what it kept for pinned versions."""

    removed_files: list[str] = field(default_factory=list)
    removed_log_files: list[str] = field(default_factory=list)
    pinned_versions: list[int] = field(default_factory=list)
    log_floor: int | None = None  # versions below this are no longer readable
    dry_run: bool = False


def vacuum(
    table: Location,
    *,
    pinned: list[int],
    retain_hours: float = 168,
    log_retain_hours: float = 720,
    dry_run: bool = False,
) -> CleanupResult:
    """Vacuum data files older than ``retain_hours`` and clean the log; ``pinned`` stay readable."""
    fs = table.filesystem()
    candidates = open_table(table, None).vacuum(
        retention_hours=int(retain_hours),
        dry_run=True,
        enforce_retention_duration=False,
        keep_versions=sorted(pinned) or None,
        full=True,
    )
    held, stale = live_leases(fs, table)  # after the listing: see the module docstring
    compacting_since = compaction_since(fs, table)
    latest = open_table(table, None)  # after the leases
    referenced = _referenced(latest)
    doomed = sorted(
        path
        for path in candidates
        if path not in referenced
        and not any(txn in path for txn in held)
        and not _written_since(fs, table.path(path), compacting_since)
    )
    if not dry_run:
        for path in doomed:
            _remove(fs, table.path(path))
        for path in stale:
            _remove(fs, path, recursive=True)
        _record(latest, doomed, pinned, retain_hours)
    result = CleanupResult(doomed, pinned_versions=sorted(pinned), dry_run=dry_run)
    result.removed_log_files, result.log_floor = cleanup_log(
        table, pinned=pinned, retain_hours=log_retain_hours, dry_run=dry_run
    )
    return result


#: Clock difference between the machine holding a lease and the store's file times.
_CLOCK_SLACK_SECONDS = 300


def _written_since(fs: Any, path: str, since: float | None) -> bool:
    """True when a compaction is running and ``path`` may be one of its uncommitted files."""
    if since is None:
        return False
    try:
        return entry_mtime(fs.info(path)) >= since - _CLOCK_SLACK_SECONDS
    except FileNotFoundError:
        return False


def _referenced(table: Any) -> set[str]:
    """Relative paths of the data files ``table`` (a delta-rs snapshot) references."""

    actions = arrow_table(table.get_add_actions(flatten=True))
    return set(actions.column("path").to_pylist())


def _record(table: Any, removed: list[str], pinned: list[int], retain_hours: float) -> None:
    """Record the vacuum in ``table``'s history as a commit without data changes."""
    from deltalake.transaction import CommitProperties

    info = commit_info.build(
        "VACUUM",
        uuid.uuid4().hex,
        metrics={"numDeletedFiles": len(removed)},
        retainHours=retain_hours,
        **{commit_info.PINNED_VERSIONS: sorted(pinned)},
    )
    table.create_write_transaction(
        [],
        "append",
        table.schema(),
        partition_by=list(table.metadata().partition_columns) or None,
        commit_properties=CommitProperties(custom_metadata=info),
        post_commithook_properties=commit_hooks(),
    )


def _remove(fs: Any, path: str, recursive: bool = False) -> None:
    with contextlib.suppress(FileNotFoundError):
        fs.rm(path, recursive=recursive)


def cleanup_log(
    table: Location, *, pinned: list[int], retain_hours: float = 720, dry_run: bool = False
) -> tuple[list[str], int]:
    """Delete expired commit and checkpoint files that no pinned or latest version needs.

    Returns:
        The files removed (or that would be) and the oldest version still readable afterwards.
    """
    listing = list_log(table)
    if listing is None:
        return [], 0
    oldest_needed = min([*pinned, listing.latest])
    starts = [v for v in listing.checkpoints if v <= oldest_needed]
    floor = max(starts) if starts else listing.earliest
    cutoff = time.time() - retain_hours * 3600
    doomed = [
        commit_file(table, v)
        for v, mtime in listing.commits.items()
        if v < floor and mtime <= cutoff
    ]
    fs = table.filesystem()
    for entry in fs.ls(log_dir(table), detail=True):
        name = entry["name"].rsplit("/", 1)[-1]
        is_checkpoint = ".checkpoint" in name and name[:20].isdigit()
        if is_checkpoint and int(name[:20]) < floor and entry_mtime(entry) <= cutoff:
            doomed.append(f"{log_dir(table)}/{name}")
    if not dry_run:
        for path in doomed:
            fs.rm(path)
    return sorted(doomed), floor
