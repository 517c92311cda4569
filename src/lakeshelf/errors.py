"""lakeshelf's error types.

Every error lakeshelf raises on purpose derives from :class:`LakeshelfError`. Messages say what was
tried and what to do; the CLI prints them as one line and maps them to exit codes via ``exit_code``.
"""

from __future__ import annotations


class LakeshelfError(Exception):
    """Root of lakeshelf's errors. ``exit_code`` is what the CLI exits with."""

    exit_code = 1


class ConfigError(LakeshelfError):
    """A configuration file, option or argument is invalid (a usage error)."""

    exit_code = 2


class TableNotFoundError(LakeshelfError):
    """No Delta table exists at the given location."""

    exit_code = 2


class VersionNotFoundError(LakeshelfError):
    """A version or timestamp lies outside the table's readable history."""

    exit_code = 2


class DamagedLogError(LakeshelfError):
    """The table's Delta log is damaged (a missing commit, a corrupt checkpoint or commit file, a
    ``_last_checkpoint`` that points nowhere); lakeshelf refuses to guess a snapshot."""


class UnsupportedFeatureError(LakeshelfError):
    """The table uses a Delta feature lakeshelf cannot honour; reading or writing could be wrong."""


class SchemaMismatchError(LakeshelfError):
    """Data written to a table does not match its schema or partitioning."""

    exit_code = 2


class WriteError(LakeshelfError):
    """A write failed before its commit; the table is unchanged."""


class CommitConflictError(LakeshelfError):
    """Another writer committed a conflicting change; the write was not committed."""


class CommitUnknownError(LakeshelfError):
    """A commit failed in a way that leaves open whether it landed (the store stopped answering).

    Its data files are kept, since the commit may reference them; re-running the job is safe
    (ingest skips files a landed commit recorded; vacuum removes files no commit references).
    """


class DataRejectedError(LakeshelfError):
    """Raw data was refused (schema drift, too many malformed rows); nothing was committed."""


class GateFailedError(LakeshelfError):
    """A quality suite blocked a publish (or a validation failed); nothing was committed."""

    def __init__(self, message: str, report: dict | None = None) -> None:
        super().__init__(message)
        self.report = report or {}


def first_line(exc: BaseException) -> str:
    """The first non-empty line of an exception's message (for one-line errors)."""
    for line in str(exc).splitlines():
        if line.strip():
            return line.strip()
    return type(exc).__name__
