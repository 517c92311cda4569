"""Which version a read means, by number or by time, refused (never clamped) when it lies
outside the readable history. Pure functions of a log listing; the caller lists the log
(:func:`lakeshelf.table.snapshot.resolve_version`).

Times are resolved by one rule wherever they come from: the newest version committed at or
before the time. Tables use their commit files' times (Delta's rule, strictly increasing); the
registry uses the commit times it recorded, which survive a copy of the lake.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from lakeshelf import timestamps
from lakeshelf.errors import VersionNotFoundError

if TYPE_CHECKING:
    from lakeshelf.table.delta_log import LogListing


def parse_time(value: str | dt.datetime) -> dt.datetime:
    """An aware UTC datetime for a read's ``timestamp``.

    Raises:
        VersionNotFoundError: the text is not ISO-8601.
    """
    try:
        return timestamps.parse(value)
    except ValueError as exc:
        raise VersionNotFoundError(
            f"{value!r} is not a timestamp: use ISO-8601, e.g. 2026-11-01T10:00:00Z"
        ) from exc


def version_at(times: Sequence[tuple[int, float]], when: dt.datetime) -> int | None:
    """The newest version whose time (epoch seconds) is at or before ``when``.

    Returns None when every version is later than ``when``.

    Raises:
        VersionNotFoundError: ``when`` is in the future (no version can be known for it yet).
    """
    seconds = when.timestamp()
    if seconds > time.time() + 1:
        raise VersionNotFoundError(f"{when.isoformat()} is in the future")
    chosen = None
    for version, stamp in sorted(times):
        if stamp <= seconds:
            chosen = version
        else:
            break
    return chosen


def readable_version(listing: LogListing, table: str, version: object) -> int:
    """``version`` if the log still holds it.

    Raises:
        VersionNotFoundError: not a whole number, or outside the readable history (the message
            names the versions and times that exist).
    """
    if not isinstance(version, int) or isinstance(version, bool):
        raise VersionNotFoundError(f"version must be a whole number, got {version!r}")
    if not listing.earliest <= version <= listing.latest:
        raise VersionNotFoundError(
            f"version {version} of {table} does not exist: {available(listing)}"
            + _cleaned_hint(listing, version)
        )
    return version


def commit_times(listing: LogListing) -> list[tuple[int, float]]:
    """(version, commit time) for each readable version, made strictly increasing as Delta does."""
    result: list[tuple[int, float]] = []
    previous = float("-inf")
    for version in range(listing.earliest, listing.latest + 1):
        stamp = max(listing.commit_time(version), previous + 0.001)
        result.append((version, stamp))
        previous = stamp
    return result


def available(listing: LogListing) -> str:
    """The readable versions and their times, for messages."""
    times = commit_times(listing)
    return (
        f"readable versions are {listing.earliest}..{listing.latest}, committed"
        f" {timestamps.iso_seconds(times[0][1])} .. {timestamps.iso_seconds(times[-1][1])}"
    )


def _cleaned_hint(listing: LogListing, version: int) -> str:
    if 0 <= version < listing.earliest:
        return (
            f"; versions before {listing.earliest} were removed by log cleanup (their commit files"
            " are gone)"
        )
    return ""


def version_at_time(listing: LogListing, table: str, when: dt.datetime) -> int:
    """The version committed at or before ``when``, by the commit files' times (Delta's rule).

    Raises:
        VersionNotFoundError: ``when`` is in the future or before the readable history.
    """
    try:
        chosen = version_at(commit_times(listing), when)
    except VersionNotFoundError as exc:
        raise VersionNotFoundError(f"{exc}; {available(listing)}") from None
    if chosen is None:
        reason = (
            "it is before the table was created"
            if listing.earliest == 0
            else f"history before version {listing.earliest} was removed by log cleanup"
        )
        raise VersionNotFoundError(
            f"no version of {table} at {when.isoformat()}: {reason}; {available(listing)}"
        )
    return chosen
