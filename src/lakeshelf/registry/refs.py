"""Parsing references to table versions: ``TABLE``, ``TABLE@N``, ``TABLE@vN``, ``TABLE@latest``,
``TABLE@<ISO-8601 timestamp>`` and ``TABLE@TAG``. TABLE is a dataset name or a table location.

Parsing imports neither pyspark nor deltalake, so bad references fail before a JVM starts. What
reads as a tag is exactly what :func:`lakeshelf.names.check_label` lets a tag be called.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lakeshelf import timestamps
from lakeshelf.errors import ConfigError
from lakeshelf.names import LATEST, VERSION, is_label


@dataclass(frozen=True)
class Ref:
    """A table plus an optional version, timestamp or tag (none of them means latest)."""

    table: str
    version: int | None = None
    timestamp: dt.datetime | None = None
    tag: str | None = None

    def __str__(self) -> str:
        if self.version is not None:
            return f"{self.table}@{self.version}"
        if self.timestamp is not None:
            return f"{self.table}@{self.timestamp.isoformat()}"
        if self.tag is not None:
            return f"{self.table}@{self.tag}"
        return self.table


def parse_ref(text: str) -> Ref:
    """Parse ``TABLE[@AT]``.

    Raises:
        ConfigError: the reference is empty or its ``@`` part is not a version, ``latest``, an
            ISO-8601 timestamp or a tag name.
    """
    if not text or not text.strip():
        raise ConfigError("empty reference: give TABLE or TABLE@VERSION")
    table, sep, at = text.rpartition("@")
    if not sep:
        return Ref(text)
    if not table:
        raise ConfigError(f"reference {text!r} has no table before '@'")
    if at == LATEST:
        return Ref(table)
    if match := VERSION.match(at):
        return Ref(table, version=int(match.group(1)))
    if is_label(at):
        return Ref(table, tag=at)
    try:
        return Ref(table, timestamp=timestamps.parse(at))
    except ValueError:
        raise ConfigError(
            f"cannot read {at!r} in {text!r}: use a version (3 or v3), 'latest', a tag, or an"
            " ISO-8601 timestamp such as 2026-11-01T10:00:00Z"
        ) from None
