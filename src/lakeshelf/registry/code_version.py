"""What produced a version: the code version (git) and content hashes."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path
from typing import Any


def code_version(folder: Path) -> dict[str, Any]:
    """The git commit of ``folder`` and whether its work tree has uncommitted changes.

    Returns ``{"commit": None, "dirty": None}`` outside a git work tree.
    """

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no") if commit else None
    return {"commit": commit, "dirty": None if status is None else bool(status)}


def sha256_text(text: str) -> str:
    """Hex SHA-256 of ``text`` (UTF-8)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
