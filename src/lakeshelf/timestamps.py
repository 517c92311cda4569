"""The one timestamp parser and formatter: ISO-8601 text <-> aware UTC datetimes.

Refs (``name@2026-11-01T10:00:00Z``), time-travel reads and registry records all go through
:func:`parse`; naive values are taken as UTC.
"""

from __future__ import annotations

import datetime as dt


def parse(value: str | dt.datetime) -> dt.datetime:
    """An aware UTC datetime from ISO-8601 text or a datetime.

    Raises:
        ValueError: the text is not an ISO-8601 timestamp.
    """
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
        value = dt.datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


def now() -> dt.datetime:
    """The current time, aware UTC."""
    return dt.datetime.now(dt.timezone.utc)


def now_iso(timespec: str = "milliseconds") -> str:
    """The current time as ISO-8601 UTC text."""
    return now().isoformat(timespec=timespec)


def from_millis(millis: float) -> dt.datetime:
    """An aware UTC datetime from epoch milliseconds."""
    return dt.datetime.fromtimestamp(millis / 1000, dt.timezone.utc)


def iso_millis(millis: float) -> str:
    """Epoch milliseconds as ISO-8601 UTC text with millisecond precision."""
    return from_millis(millis).isoformat(timespec="milliseconds")


def iso_seconds(seconds: float) -> str:
    """Epoch seconds as ISO-8601 UTC text with millisecond precision."""
    return iso_millis(seconds * 1000)


def display(iso: str) -> str:
    """ISO-8601 UTC text as people read it where the column says UTC: ``2026-11-25
    13:02:29.466`` (text that is not UTC is left as it is)."""
    for suffix in ("+00:00", "Z"):
        if iso.endswith(suffix):
            return iso.removesuffix(suffix).replace("T", " ")
    return iso
