"""Listing raw files and their identity (path, size, and modification time or etag)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from lakeshelf import storage


@dataclass(frozen=True)
class RawFile:
    """One raw file as found in the source; two listings agree on it iff the file is unchanged."""

    path: str  # local absolute path, or URI for object storage
    size: int
    modified: str  # modification time (local) or etag (object storage), as text

    def as_record(self) -> dict[str, Any]:
        """JSON-serialisable form, as recorded in commits."""
        return asdict(self)


def list_raw_files(pattern: str, storage_options: dict[str, Any] | None = None) -> list[RawFile]:
    """The files matching ``pattern`` (a glob), sorted by path; folders are skipped."""
    fs = storage.filesystem(pattern, storage_options)
    local = storage.is_local(pattern)
    found = fs.glob(pattern, detail=True)
    files = []
    for name, info in sorted(found.items()):
        if info.get("type") == "directory":
            continue
        path = name if local else f"{pattern.split('://', 1)[0]}://{name}"
        modified = (
            info.get("ETag") or info.get("etag") or info.get("mtime") or info.get("LastModified")
        )
        files.append(RawFile(path, int(info.get("size") or 0), str(modified)))
    return files
