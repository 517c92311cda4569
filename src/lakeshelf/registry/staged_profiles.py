"""Profiles of staged rows, kept for the registration of the version that commits exactly them.

A publish whose dataset declares ``drift`` or ``checks`` profiles the staged rows before the
commit (the gate judges them), in the fingerprint's pass. When the version then committed holds
exactly those files (an overwrite, or the first write of a table), its registration in the same
process takes that fingerprint and profile instead of reading the version twice more. Anything
else (an append, whose version also holds earlier files; deletion vectors; another process)
finds nothing here and is profiled from the version's own files.

The key is what Spark reads: the frame's input files, column names and types. Only a handful
of recent entries are kept; a missed entry costs a recomputation, never a wrong profile.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from lakeshelf.registry.profile import ColumnProfile

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

#: Staged profiles kept per process (a publish registers right after its commit).
KEPT = 4

_Key = tuple[tuple[str, ...], str]
_kept: OrderedDict[_Key, tuple[str, list[ColumnProfile]]] = OrderedDict()
_lock = threading.Lock()


def remember(staged: DataFrame, fingerprint: str, profiles: list[ColumnProfile]) -> None:
    """Keep the fingerprint and profile of the ``staged`` rows for their registration."""
    key = _key_of(staged)
    if key is None:
        return
    with _lock:
        _kept[key] = (fingerprint, profiles)
        _kept.move_to_end(key)
        while len(_kept) > KEPT:
            _kept.popitem(last=False)


def recall(
    version_rows: DataFrame, files: int, dataset: str, version: int
) -> tuple[str, list[ColumnProfile]] | None:
    """The fingerprint and profile (as ``dataset@version``) kept for rows that read exactly
    what ``version_rows`` reads, a version of ``files`` data files without deleted rows;
    None when nothing kept matches."""
    with _lock:
        if not _kept:
            return None  # no Spark call when nothing was staged in this process
    key = _key_of(version_rows)
    if key is None or len(key[0]) != files:
        return None
    with _lock:
        found = _kept.pop(key, None)
    if found is None:
        return None
    fingerprint, profiles = found
    as_version = [dataclasses.replace(p, dataset=dataset, version=version) for p in profiles]
    return fingerprint, as_version


def _key_of(frame: DataFrame) -> _Key | None:
    """(input files, column names and types) of ``frame``; None when Spark names no files
    (rows read by lakeshelf's Python workers). Nullability and field metadata are left out:
    readers differ in them, the rows do not."""
    files = tuple(sorted({_normalised(path) for path in frame.inputFiles()}))
    return (files, frame.schema.simpleString()) if files else None


def _normalised(uri: str) -> str:
    """``uri`` as one text per file: readers write ``file:/x``, ``file:///x`` and escapes."""
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}{unquote(parts.path)}"
