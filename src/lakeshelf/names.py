"""The one rule for names people give things: datasets, tags and releases.

Names become parts of paths and of refs (``NAME@AT``), so they are checked in one place and the
rule agrees with what :func:`lakeshelf.registry.parse_ref` can read back:

- a dataset name is letters, digits, ``_`` and ``-``;
- a tag or release name (a *label*) also starts with a letter and cannot be read as anything
  else after ``@``: not ``latest``, not a version (``3``, ``v3``), not a timestamp (those start
  with a digit). So every label that can be set can be read.
"""

from __future__ import annotations

import re

from lakeshelf.errors import ConfigError

NAME = re.compile(r"^[A-Za-z0-9_-]+$")
LABEL = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
VERSION = re.compile(r"^v?(\d+)$")
LATEST = "latest"
#: Columns ingest adds to every bronze row: where it came from, when, in which batch.
INGEST_COLUMNS = ("_source_file", "_ingested_at", "_batch_id")


def check_name(value: object, what: str = "dataset name") -> str:
    """``value`` if it is a valid dataset name.

    Raises:
        ConfigError: it is not text of letters, digits, ``_`` and ``-``.
    """
    if not isinstance(value, str) or not NAME.match(value):
        raise ConfigError(f"{what} {value!r} may contain only letters, digits, '_' and '-'")
    return value


def is_label(value: str) -> bool:
    """True when ``value`` is a valid tag or release name (see the module docstring)."""
    return bool(LABEL.match(value)) and value != LATEST and not VERSION.match(value)


def check_label(value: object, what: str = "tag name") -> str:
    """``value`` if it is a valid tag or release name.

    Raises:
        ConfigError: it breaks the rule; the message states the rule.
    """
    if not isinstance(value, str) or not is_label(value):
        raise ConfigError(
            f"{what} {value!r} cannot be used: it must start with a letter, contain only letters,"
            " digits, '_' and '-', and not read as 'latest' or a version (3, v3), so that"
            f" NAME@{value} can be read back"
        )
    return value
