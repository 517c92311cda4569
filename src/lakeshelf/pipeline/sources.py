"""Listing raw files and their identity (path, size, and modification time or etag)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lakeshelf.storage import Location


@dataclass(frozen=True)
class RawFile:
    """One raw file as found in the source; two listings agree on it iff the file is unchanged."""

    path: str  # local absolute path, or URI for object storage
    size: int
    modified: str  # modification time (local) or etag (object storage), as text

    def as_record(self) -> dict[str, Any]:
        """JSON-serialisable form, as recorded in commits."""
        return asdict(self)


def list_raw_files(pattern: Location) -> list[RawFile]:
    """The files matching ``pattern`` (a glob location), sorted by path; folders are skipped."""
    found = pattern.filesystem().glob(pattern.uri, detail=True)
    files = []
    for name, info in sorted(found.items()):
        if info.get("type") == "directory":
            continue
        modified = (
            info.get("ETag") or info.get("etag") or info.get("mtime") or info.get("LastModified")
        )
        files.append(RawFile(pattern.fsspec_path(name), int(info.get("size") or 0), str(modified)))
    return files
