"""Committing exactly once: the one retry loop table writes and registry appends share.

delta-rs is asked for one attempt per try (``max_commit_retries=0``): after a lost response it
would rebase the commit that already landed onto itself and commit it a second time. So after any
failed attempt lakeshelf first looks for the attempt's transaction id in the log. Found, the
commit landed and only its answer was lost; not found, the loop decides: a commit that may move
onto a newer version (an append) is rebased and tried again, one that may not (an overwrite, a
replacement) fails with a conflict, and a failure with no newer version is no race at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from lakeshelf.errors import CommitConflictError, CommitUnknownError, first_line
from lakeshelf.table.commit_info import parse
from lakeshelf.table.delta_log import latest_version, list_log, read_commit_info

if TYPE_CHECKING:
    from lakeshelf.storage import Location

#: Attempts of one commit against concurrent writers before giving up.
ATTEMPTS = 25


def find_commit(table: Location, txn_id: str, after: int) -> int:
    """The newest version after ``after`` whose lakeshelf block carries ``txn_id``.

    delta-rs does not return the version a transaction committed, and concurrent writers may have
    committed after it, so the version is found by the id lakeshelf put in the commit.

    Raises:
        LookupError: no such commit (the transaction did not commit).
    """
    listing = list_log(table)
    latest = listing.latest if listing else -1
    for version in range(latest, after, -1):
        record = parse(read_commit_info(table, version))
        if record is not None and record.txn_id == txn_id:
            return version
    raise LookupError(f"no commit of transaction {txn_id} in {table} after version {after}")


def landed(table: Location, txn_id: str, after: int) -> int | None:
    """The version holding ``txn_id``'s commit, or None if it is not in the log.

    Raises:
        CommitUnknownError: the log cannot be read, so whether the commit landed is unknown.
    """
    try:
        return find_commit(table, txn_id, after)
    except LookupError:
        return None
    except Exception as exc:
        raise CommitUnknownError(
            f"the commit to {table} failed and its log cannot be read to tell whether it"
            f" landed: {table.unreachable(exc)}{first_line(exc)}. Its data files were kept;"
            " re-running the job is safe."
        ) from exc


def commit_with_retry(
    table: Location,
    txn_id: str,
    read_version: int,
    attempt: Callable[[], None],
    *,
    rebase: Callable[[int], int] | None = None,
    done_elsewhere: Callable[[], bool] | None = None,
    conflict: Callable[[int], str] | None = None,
    attempts: int = ATTEMPTS,
) -> int:
    """Commit through ``attempt`` exactly once and return the version it landed as.

    Args:
        table: the table committed to.
        txn_id: the id in the commit's lakeshelf block.
        read_version: the version the commit was planned against (-1: no table yet).
        attempt: one delta-rs commit attempt, without delta-rs's own retries.
        rebase: re-plan onto the newest version (given) and return the version now read;
            None for a commit that must not move (it fails with a conflict instead).
        done_elsewhere: true when another process already did this commit's work (registry
            registrations carry a Delta ``txn`` for this), which then counts as done.
        conflict: the message for a commit that must not move, given the newest version.
        attempts: how many attempts before giving up.

    Raises:
        CommitConflictError: nothing was committed (a conflict, or attempts exhausted).
        CommitUnknownError: the log cannot be read to tell whether the commit landed.
    """
    for number in range(1, attempts + 1):
        try:
            attempt()
            return find_commit(table, txn_id, read_version)
        except Exception as exc:
            found = landed(table, txn_id, read_version)
            if found is not None:  # the commit's response was lost after it landed
                return found
            if done_elsewhere is not None and done_elsewhere():
                return latest_version(table)
            latest = latest_version(table)
            if latest == read_version:
                raise CommitConflictError(
                    f"the commit to {table} failed, nothing was committed; re-run the write:"
                    f" {table.unreachable(exc)}{first_line(exc)}"
                ) from exc
            if rebase is None:
                message = conflict(latest) if conflict else f"{table} moved to version {latest}"
                raise CommitConflictError(message) from exc
            if number == attempts:
                raise CommitConflictError(
                    f"the commit to {table} lost to concurrent commits {attempts} times,"
                    f" nothing was committed; re-run the write: {first_line(exc)}"
                ) from exc
            read_version = rebase(latest)
    raise AssertionError("unreachable: the loop returns or raises")
