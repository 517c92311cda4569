"""Which published versions pins keep, and why: a tag's version and, transitively, every input
version its lineage records (so a pinned derived version can be rebuilt from its sources)."""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lakeshelf.registry import store

if TYPE_CHECKING:
    from lakeshelf.config import Project


@dataclass(frozen=True)
class Pin:
    """Why a version is kept: the tag that pins it, and the tagged version it is an input of."""

    tag: str
    through: str | None  # "dataset@version" tagged, None when the tag is on this version

    def __str__(self) -> str:
        return f"pinned by {self.tag}" + (f" through {self.through}" if self.through else "")


def pins(project: Project) -> dict[tuple[str, int], list[Pin]]:
    """Every kept version, ``(dataset, version)``, with the pins that keep it (by tag name)."""
    lake = project.lake_location
    inputs_of = {(r.dataset, r.version): _inputs(r.lineage) for r in store.records(lake)}
    kept: dict[tuple[str, int], list[Pin]] = {}
    for tag, event in sorted(store.tags(lake).items()):
        if event.version is None:
            continue
        root = (event.dataset, int(event.version))
        for version in _closure(root, inputs_of):
            through = None if version == root else f"{root[0]}@{root[1]}"
            kept.setdefault(version, []).append(Pin(tag, through))
    return kept


def _inputs(lineage: str | None) -> list[tuple[str, int]]:
    """The input versions a registry record's lineage names."""
    recorded = json.loads(lineage) if lineage else {}
    return [(i["dataset"], int(i["version"])) for i in recorded.values()]


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
