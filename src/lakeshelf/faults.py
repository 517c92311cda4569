"""Crash points for tests of exactly-once behaviour.

``LAKESHELF_CRASH_AT=<point>`` makes the process exit immediately at that point, without cleanup,
as a SIGKILL or machine loss would. Points: ``before-commit`` (data files written, no commit yet)
``after-commit`` (committed, nothing after the commit has run) and ``after-quarantine`` (an ingest
committed its malformed rows, not yet its data).
"""

from __future__ import annotations

import os

POINTS = ("before-commit", "after-commit", "after-quarantine")


def crash_point(name: str) -> None:
    """Exit the process at once if ``LAKESHELF_CRASH_AT`` names this point."""
    if os.environ.get("LAKESHELF_CRASH_AT") == name:
        os._exit(137)
