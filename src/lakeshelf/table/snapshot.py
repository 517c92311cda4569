"""Describing exactly which data one table version holds.

A :class:`Snapshot` is everything a reader needs to return the rows of one version: its schema and
partitioning, its data files with their partition values, the rows deletion vectors remove, and
the column mapping mode. delta-rs replays the log; this module adds the checks that keep reads
exact: versions outside the readable history are refused (:mod:`lakeshelf.table.versions`),
reader features lakeshelf does not honour are refused by name, a damaged log is named as such,
and a version whose files were vacuumed is refused rather than read partially.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from lakeshelf.errors import TableNotFoundError, UnsupportedFeatureError, VersionNotFoundError
from lakeshelf.table.arrow import arrow_table
from lakeshelf.table.delta_log import LogListing, list_log, log_dir, log_listing, open_table
from lakeshelf.table.protocol import check_reader_protocol
from lakeshelf.table.versions import parse_time, readable_version, version_at_time

if TYPE_CHECKING:
    from deltalake import DeltaTable
    from pyspark.sql.types import StructType

    from lakeshelf.storage import Location


@dataclass(frozen=True)
class DataFile:
    """One data file of a snapshot."""

    path: str  # absolute location
    size: int
    num_records: int | None
    partition_values: dict[str, Any]  # logical partition column -> typed value (or Delta text)


@dataclass(frozen=True)
class Snapshot:
    """The contents of one version of a table (version -1: files not yet committed)."""

    location: Location
    version: int
    schema_json: str
    partition_columns: list[str]
    files: list[DataFile]
    column_mapping_mode: str = "none"
    deleted_rows: dict[str, list[int]] = field(default_factory=dict)  # path -> row indexes

    @property
    def uri(self) -> str:
        """The table's location as text."""
        return self.location.uri

    @property
    def num_records(self) -> int | None:
        """The version's row count as its log records it (None when a file's stats lack it)."""
        total = 0
        for data_file in self.files:
            if data_file.num_records is None:
                return None
            total += data_file.num_records
        return total - sum(len(rows) for rows in self.deleted_rows.values())

    @property
    def schema(self) -> StructType:
        """The version's logical schema as a Spark StructType (with Delta field metadata)."""
        from lakeshelf.table.schema import to_spark

        return to_spark(self.schema_json)


def resolve_version(
    table: Location, version: int | None = None, timestamp: str | dt.datetime | None = None
) -> int:
    """The version a read of ``table`` refers to: ``version``, the one for ``timestamp`` (the
    latest committed at or before it, by commit-file times), or the latest.

    Raises:
        TableNotFoundError: no Delta table at ``table``.
        VersionNotFoundError: the version or timestamp is outside the readable history; the message
            names the versions and times that exist.
    """
    return _resolved(table, version, timestamp)[0]


def _resolved(
    table: Location,
    version: int | None,
    timestamp: str | dt.datetime | None,
    listing: LogListing | None = None,
) -> tuple[int, LogListing]:
    """:func:`resolve_version`, and the log listing it resolved the version in (``listing``
    if given, else the log listed now)."""
    if version is not None and timestamp is not None:
        raise VersionNotFoundError("give a version or a timestamp, not both")
    listing = listing or list_log(table)
    if listing is None:
        raise TableNotFoundError(
            f"no Delta table at {table} (no _delta_log with commits): check the path, or write to"
            " it first"
        )
    if version is not None:
        return readable_version(listing, table.uri, version), listing
    if timestamp is not None:
        return version_at_time(listing, table.uri, parse_time(timestamp)), listing
    return listing.latest, listing


def load_snapshot(
    table: Location, version: int | None = None, timestamp: str | dt.datetime | None = None
) -> Snapshot:
    """Resolve a version of ``table`` and describe its data files.

    Raises:
        TableNotFoundError, VersionNotFoundError: see :func:`resolve_version`; also for
            vacuumed versions.
        UnsupportedFeatureError: the table needs a reader feature lakeshelf does not honour.
        DamagedLogError: the log cannot be replayed safely.
    """
    # one listing of the whole table serves the log's versions and the data files' presence
    # (on an object store, a request per listing)
    present = _files_under(table)
    log = log_dir(table)
    in_log = [e for path, e in present.items() if path.rsplit("/", 1)[0] == log]
    resolved, listing = _resolved(table, version, timestamp, log_listing(in_log))
    key = (table.uri, resolved, listing.identities.get(resolved, ""))
    snapshot = _kept(key)
    if snapshot is None:
        delta_table = open_table(table, resolved)
        check_reader_protocol(delta_table, table.uri)
        snapshot = describe(delta_table, table, resolved)
        _remember(key, snapshot)
    else:
        snapshot = dataclasses.replace(snapshot, location=table)  # the caller's credentials
    _check_files_present(snapshot, present)
    return snapshot


#: Snapshots described lately, by table, version and the identity of the version's commit file.
#: A committed version never changes (a table re-created in place has new commit files), so a
#: process that reads a version again skips replaying its log: on an object store that is a
#: request per commit file, the largest part of planning a small read (delta-spark keeps its
#: snapshots for the same reason). Each read still lists the log and the table's files.
_DESCRIBED: OrderedDict[tuple[str, int, str], Snapshot] = OrderedDict()
_DESCRIBED_LOCK = threading.Lock()
#: At most this many snapshots are kept, and none of more than this many files.
_DESCRIBED_MAX, _DESCRIBED_MAX_FILES = 16, 100_000


def forget() -> None:
    """Drop every kept snapshot (the next read of each version replays its log)."""
    with _DESCRIBED_LOCK:
        _DESCRIBED.clear()


def _kept(key: tuple[str, int, str]) -> Snapshot | None:
    """The snapshot kept under ``key`` (None without one, or without the commit's identity)."""
    if not key[2]:
        return None
    with _DESCRIBED_LOCK:
        snapshot = _DESCRIBED.get(key)
        if snapshot is not None:
            _DESCRIBED.move_to_end(key)
        return snapshot


def _remember(key: tuple[str, int, str], snapshot: Snapshot) -> None:
    if not key[2] or len(snapshot.files) > _DESCRIBED_MAX_FILES:
        return
    with _DESCRIBED_LOCK:
        _DESCRIBED[key] = snapshot
        while len(_DESCRIBED) > _DESCRIBED_MAX:
            _DESCRIBED.popitem(last=False)


def describe(delta_table: DeltaTable, table: Location, version: int) -> Snapshot:
    """The snapshot of an opened delta-rs table."""
    metadata = delta_table.metadata()
    schema_json = delta_table.schema().to_json()
    partition_columns = list(metadata.partition_columns)
    mode = (metadata.configuration or {}).get("delta.columnMapping.mode", "none")
    actions = arrow_table(delta_table.get_add_actions(flatten=True))
    physical = _partition_physical_names(schema_json, partition_columns, mode)
    records = actions.column("num_records").to_pylist()
    sizes = actions.column("size_bytes").to_pylist()
    paths = [_absolute(table.uri, p) for p in actions.column("path").to_pylist()]
    part_values = {
        name: _partition_column(actions, name, physical[name]) for name in partition_columns
    }
    files = [
        DataFile(
            path=paths[i],
            size=int(sizes[i]),
            num_records=records[i],
            partition_values={name: part_values[name][i] for name in partition_columns},
        )
        for i in range(actions.num_rows)
    ]
    deleted: dict[str, list[int]] = {}
    if "deletionVectors" in (delta_table.protocol().reader_features or []):
        deleted = _deleted_rows(delta_table, table.uri)
        unmatched = set(deleted) - {f.path for f in files}
        if unmatched:  # applying them to the wrong files would return deleted rows
            raise UnsupportedFeatureError(
                f"deletion vectors of {table} name files outside the snapshot"
                f" ({sorted(unmatched)[:3]}); refusing to read"
            )
    return Snapshot(table, version, schema_json, partition_columns, files, mode, deleted)


def _partition_column(actions: Any, name: str, physical: str) -> list[Any]:
    for candidate in (name, physical):
        if f"partition.{candidate}" in actions.column_names:
            return actions.column(f"partition.{candidate}").to_pylist()
    return [None] * actions.num_rows


def _files_under(table: Location) -> dict[str, dict[str, Any]]:
    """Every file under the table's folder, by path in the location's form, with its listing
    entry (empty when there is no such folder)."""
    try:
        found = table.filesystem().find(table.uri, detail=True)
    except (FileNotFoundError, NotADirectoryError):
        return {}
    return {table.fsspec_path(p.rstrip("/")): entry for p, entry in found.items()}


def _check_files_present(snapshot: Snapshot, present: dict[str, Any]) -> None:
    """Refuse a version whose data files were vacuumed (reading it would fail or be partial).

    ``present``: the files under the table's folder, by path (:func:`_files_under`).
    """
    missing = [f.path for f in snapshot.files if f.path not in present]
    if missing:
        raise VersionNotFoundError(
            f"version {snapshot.version} of {snapshot.uri} was vacuumed: {len(missing)} of"
            f" {len(snapshot.files)} data files are gone (e.g. {missing[0]}). Versions pinned by a"
            " tag survive vacuum; tag versions you need to keep."
        )


def _partition_physical_names(schema_json: str, columns: list[str], mode: str) -> dict[str, str]:
    fields = {f["name"]: f for f in json.loads(schema_json)["fields"]}
    return {
        name: (fields[name].get("metadata") or {}).get("delta.columnMapping.physicalName", name)
        if mode != "none"
        else name
        for name in columns
    }


def _absolute(uri: str, path: str) -> str:
    parsed = urlparse(path)
    if parsed.scheme and len(parsed.scheme) > 1:
        return unquote(parsed.path) if parsed.scheme == "file" else path
    return f"{uri.rstrip('/')}/{unquote(path).lstrip('/')}"


def _deleted_rows(delta_table: DeltaTable, uri: str) -> dict[str, list[int]]:
    import numpy as np

    vectors = arrow_table(delta_table.deletion_vectors())
    # delta-rs names files under its canonical table URI (symlinks resolved); key them by the
    # path relative to that root so they match the snapshot's files.
    root = delta_table.table_uri.rstrip("/") + "/"
    deleted: dict[str, list[int]] = {}
    for file_uri, keep in zip(
        vectors.column("filepath").to_pylist(),
        vectors.column("selection_vector").to_numpy(zero_copy_only=False),
        strict=True,
    ):
        removed = np.flatnonzero(~np.asarray(keep, dtype=bool))
        if removed.size:
            relative = file_uri[len(root) :] if file_uri.startswith(root) else file_uri
            deleted[_absolute(uri, relative)] = removed.tolist()
    return deleted
