"""Which published versions pins keep, and why: a tag's or a release's versions and,
transitively, every input version their lineage records (so a pinned derived version can be
rebuilt from its sources). Pure: it is given the registry's records, tags and releases."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from lakeshelf.registry.store import ReleaseEntry, TagEvent, VersionRecord


@dataclass(frozen=True)
class Pin:
    """Why a version is kept: the tag or release that pins it, and the pinned version it is an
    input of."""

    name: str  # the tag's or the release's name
    kind: str  # tag | release
    through: str | None  # "dataset@version" pinned, None when the pin is on this version

    def __str__(self) -> str:
        by = self.name if self.kind == "tag" else f"release {self.name}"
        return f"pinned by {by}" + (f" through {self.through}" if self.through else "")


def pins_of(
    records: Iterable[VersionRecord],
    tags: dict[str, TagEvent],
    releases: dict[str, list[ReleaseEntry]],
) -> dict[tuple[str, int], list[Pin]]:
    """Every kept version, ``(dataset, version)``, with the pins that keep it: each tag's and
    each release's versions, and every version their lineage reaches (from the registry's
    ``records``, current ``tags`` and ``releases``; :func:`lakeshelf.registry.history.pins` reads
    them)."""
    inputs_of = {(r.dataset, r.version): [(d, v) for _, d, v in r.inputs] for r in records}
    roots = [
        (tag, "tag", (event.dataset, int(event.version)))
        for tag, event in sorted(tags.items())
        if event.version is not None
    ]
    roots += [
        (name, "release", (e.dataset or "", int(e.version or 0)))
        for name, entries in sorted(releases.items())
        for e in entries
    ]
    kept: dict[tuple[str, int], list[Pin]] = {}
    for name, kind, root in roots:
        for version in _closure(root, inputs_of):
            through = None if version == root else f"{root[0]}@{root[1]}"
            kept.setdefault(version, []).append(Pin(name, kind, through))
    return kept


def _closure(
    root: tuple[str, int], inputs_of: dict[tuple[str, int], list[tuple[str, int]]]
) -> list[tuple[str, int]]:
    """``root`` and every version its lineage reaches, each once."""
    seen, queue = {root}, deque([root])
    while queue:
        for found in inputs_of.get(queue.popleft(), []):
            if found not in seen:
                seen.add(found)
                queue.append(found)
    return sorted(seen)
