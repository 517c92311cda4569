"""Resolving a table version and describing exactly which data it holds.

A :class:`Snapshot` is everything a reader needs to return the rows of one version: its schema and
partitioning, its data files with their partition values, the rows deletion vectors remove, and
the column mapping mode. delta-rs replays the log; this module adds the checks that keep reads
exact: versions and timestamps outside the readable history are refused (never clamped), and
reader features lakeshelf does not honour are refused by name.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from lakeshelf import log, storage
from lakeshelf.errors import (
    DamagedLogError,
    TableNotFoundError,
    UnsupportedFeatureError,
    VersionNotFoundError,
)

if TYPE_CHECKING:
    from deltalake import DeltaTable
    from pyspark.sql.types import StructType

#: Reader features whose semantics lakeshelf's read path implements.
SUPPORTED_READER_FEATURES = frozenset(
    {"columnMapping", "deletionVectors", "timestampNtz", "v2Checkpoint", "vacuumProtocolCheck"}
)
MAX_READER_VERSION = 3


@dataclass(frozen=True)
class DataFile:
    """One data file of a snapshot."""

    path: str  # absolute location
    size: int
    num_records: int | None
    partition_values: dict[str, Any]  # logical partition column -> typed value


@dataclass(frozen=True)
class Snapshot:
    """The contents of one version of a table."""

    uri: str
    version: int
    schema_json: str
    partition_columns: list[str]
    files: list[DataFile]
    column_mapping_mode: str = "none"
    deleted_rows: dict[str, list[int]] = field(default_factory=dict)  # path -> row indexes

    @property
    def schema(self) -> StructType:
        """The version's logical schema as a Spark StructType (with Delta field metadata)."""
        from lakeshelf.schema import to_spark

        return to_spark(self.schema_json)


def parse_timestamp(value: str | dt.datetime) -> dt.datetime:
    """An aware UTC datetime from an ISO-8601 string or datetime; naive values are taken as UTC."""
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError as exc:
            raise VersionNotFoundError(
                f"{value!r} is not a timestamp: use ISO-8601, e.g. 2026-11-01T10:00:00Z"
            ) from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


def resolve_version(
    uri: str,
    version: int | None = None,
    timestamp: str | dt.datetime | None = None,
    storage_options: dict[str, Any] | None = None,
) -> int:
    """The version a read of ``uri`` refers to.

    Args:
        uri: table location.
        version: an exact version number.
        timestamp: a point in time; the result is the latest version committed at or before it
            (Delta's rule, using commit-file times).
        storage_options: credentials and endpoint for object storage.

    Returns:
        ``version`` if it is readable, the version for ``timestamp``, or the latest version.

    Raises:
        TableNotFoundError: no Delta table at ``uri``.
        VersionNotFoundError: the version or timestamp is outside the readable history; the message
            names the versions and times that exist.
    """
    if version is not None and timestamp is not None:
        raise VersionNotFoundError("give a version or a timestamp, not both")
    listing = _listing(uri, storage_options)
    if version is not None:
        if not isinstance(version, int) or isinstance(version, bool):
            raise VersionNotFoundError(f"version must be a whole number, got {version!r}")
        if not listing.earliest <= version <= listing.latest:
            raise VersionNotFoundError(
                f"version {version} of {uri} does not exist: {_available(listing)}"
                + _cleaned_hint(listing, version)
            )
        return version
    if timestamp is not None:
        return _version_at(uri, listing, parse_timestamp(timestamp))
    return listing.latest


def load_snapshot(
    uri: str,
    version: int | None = None,
    timestamp: str | dt.datetime | None = None,
    storage_options: dict[str, Any] | None = None,
) -> Snapshot:
    """Resolve a version of ``uri`` and describe its data files.

    Raises:
        TableNotFoundError, VersionNotFoundError: see :func:`resolve_version`.
        UnsupportedFeatureError: the table needs a reader feature lakeshelf does not honour.
    """
    uri = storage.normalize_uri(uri)
    resolved = resolve_version(uri, version, timestamp, storage_options)
    table = open_table(uri, resolved, storage_options)
    check_reader_protocol(table, uri)
    snapshot = _describe(table, uri, resolved)
    _check_files_present(snapshot, storage_options)
    return snapshot


def _check_files_present(snapshot: Snapshot, storage_options: dict[str, Any] | None) -> None:
    """Refuse a version whose data files were vacuumed (reading it would fail or be partial)."""
    if not snapshot.files:
        return
    fs = storage.filesystem(snapshot.uri, storage_options)
    present = {p.rstrip("/") for p in fs.find(snapshot.uri)}
    if not storage.is_local(snapshot.uri):
        scheme = snapshot.uri.split("://", 1)[0]
        present = {f"{scheme}://{p}" for p in present}
    missing = [f.path for f in snapshot.files if f.path not in present]
    if missing:
        raise VersionNotFoundError(
            f"version {snapshot.version} of {snapshot.uri} was vacuumed: {len(missing)} of"
            f" {len(snapshot.files)} data files are gone (e.g. {missing[0]}). Versions pinned by a"
            " tag survive vacuum; tag versions you need to keep."
        )


def open_table(
    uri: str, version: int | None = None, storage_options: dict[str, Any] | None = None
) -> DeltaTable:
    """A delta-rs DeltaTable for ``uri`` at ``version`` (latest if None), errors translated."""
    from deltalake import DeltaTable

    storage.check_commit_safety(storage_options)
    try:
        return DeltaTable(uri, version=version, storage_options=storage_options)
    except Exception as exc:
        if log.list_log(uri, storage_options) is None:
            raise TableNotFoundError(f"no Delta table at {uri}") from exc
        if "unsupported" in str(exc).lower():
            raise UnsupportedFeatureError(
                f"{uri} uses a Delta feature lakeshelf cannot read ({first_line(exc)}); reading it"
                " could return wrong rows, so lakeshelf refuses."
            ) from exc
        if _LOG_DAMAGE.search(str(exc)):
            at = "its latest version" if version is None else f"version {version}"
            raise DamagedLogError(
                f"the Delta log of {uri} is damaged and {at} cannot be reconstructed safely"
                f" ({first_line(exc)}); lakeshelf refuses rather than read a wrong snapshot."
                " Restore the missing or damaged files under _delta_log/ from a backup or the"
                " source copy; versions the damage does not touch still read."
            ) from exc
        raise VersionNotFoundError(
            f"cannot load version {version} of {uri}: "
            f"{storage.unreachable(exc, uri, storage_options)}{first_line(exc)}"
        ) from exc


# delta-rs's words for a log it cannot replay (as opposed to a version that does not exist)
_LOG_DAMAGE = re.compile(
    r"checkpoint|gap|contiguous|corrupt|json error|parquet error|truncated|logsegment",
    re.IGNORECASE,
)


def check_reader_protocol(table: DeltaTable, uri: str) -> None:
    """Refuse tables whose reader protocol needs something lakeshelf does not implement."""
    protocol = table.protocol()
    if protocol.min_reader_version > MAX_READER_VERSION:
        raise UnsupportedFeatureError(
            f"{uri} needs Delta reader version {protocol.min_reader_version}; lakeshelf reads up to"
            f" {MAX_READER_VERSION}. Read it with an engine that supports it."
        )
    unknown = sorted(set(protocol.reader_features or []) - SUPPORTED_READER_FEATURES)
    if unknown:
        raise UnsupportedFeatureError(
            f"{uri} uses Delta reader feature(s) {', '.join(unknown)}, which lakeshelf does not"
            " implement; reading it could return wrong rows, so lakeshelf refuses."
        )


def arrow_table(result: Any) -> Any:
    """A pyarrow Table from a delta-rs (arro3) result, read through the Arrow C stream.

    ``pa.table()`` would first probe for a pandas DataFrame, and importing pandas costs about
    half a second on every CLI command that only reads the log.
    """
    import pyarrow as pa

    return pa.RecordBatchReader.from_stream(result).read_all()


def first_line(exc: BaseException) -> str:
    """The first non-empty line of an exception's message."""
    for line in str(exc).splitlines():
        if line.strip():
            return line.strip()
    return type(exc).__name__


def _listing(uri: str, storage_options: dict[str, Any] | None) -> log.LogListing:
    listing = log.list_log(uri, storage_options)
    if listing is None:
        raise TableNotFoundError(
            f"no Delta table at {uri} (no _delta_log with commits): check the path, or write to it"
            " first"
        )
    return listing


def _iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).isoformat(timespec="milliseconds")


def commit_times(listing: log.LogListing) -> list[tuple[int, float]]:
    """(version, commit time) for each readable version, made strictly increasing as Delta does."""
    result: list[tuple[int, float]] = []
    previous = float("-inf")
    for version in range(listing.earliest, listing.latest + 1):
        stamp = max(listing.commit_time(version), previous + 0.001)
        result.append((version, stamp))
        previous = stamp
    return result


def _available(listing: log.LogListing) -> str:
    times = commit_times(listing)
    return (
        f"readable versions are {listing.earliest}..{listing.latest}, committed"
        f" {_iso(times[0][1])} .. {_iso(times[-1][1])}"
    )


def _cleaned_hint(listing: log.LogListing, version: int) -> str:
    if 0 <= version < listing.earliest:
        return (
            f"; versions before {listing.earliest} were removed by log cleanup (their commit files"
            " are gone)"
        )
    return ""


def _version_at(uri: str, listing: log.LogListing, when: dt.datetime) -> int:
    seconds = when.timestamp()
    times = commit_times(listing)
    if seconds > time.time() + 1:
        raise VersionNotFoundError(f"{when.isoformat()} is in the future; {_available(listing)}")
    if seconds < times[0][1]:
        reason = (
            "it is before the table was created"
            if listing.earliest == 0
            else f"history before version {listing.earliest} was removed by log cleanup"
        )
        raise VersionNotFoundError(
            f"no version of {uri} at {when.isoformat()}: {reason}; {_available(listing)}"
        )
    chosen = times[0][0]
    for version, stamp in times:
        if stamp <= seconds:
            chosen = version
        else:
            break
    return chosen


def _describe(table: DeltaTable, uri: str, version: int) -> Snapshot:

    metadata = table.metadata()
    schema_json = table.schema().to_json()
    partition_columns = list(metadata.partition_columns)
    mode = (metadata.configuration or {}).get("delta.columnMapping.mode", "none")
    actions = arrow_table(table.get_add_actions(flatten=True))
    physical = _partition_physical_names(schema_json, partition_columns, mode)
    records = actions.column("num_records").to_pylist()
    sizes = actions.column("size_bytes").to_pylist()
    paths = [_absolute(uri, p) for p in actions.column("path").to_pylist()]
    part_values: dict[str, list[Any]] = {}
    for name in partition_columns:
        column = next(
            (
                f"partition.{c}"
                for c in (name, physical[name])
                if f"partition.{c}" in actions.column_names
            ),
            None,
        )
        part_values[name] = (
            actions.column(column).to_pylist() if column else [None] * actions.num_rows
        )
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
    if "deletionVectors" in (table.protocol().reader_features or []):
        deleted = _deleted_rows(table, uri)
        unmatched = set(deleted) - {f.path for f in files}
        if unmatched:  # applying them to the wrong files would return deleted rows
            raise UnsupportedFeatureError(
                f"deletion vectors of {uri} name files outside the snapshot"
                f" ({sorted(unmatched)[:3]}); refusing to read"
            )
    return Snapshot(uri, version, schema_json, partition_columns, files, mode, deleted)


def _partition_physical_names(schema_json: str, columns: list[str], mode: str) -> dict[str, str]:
    import json

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
    return storage.join(uri, unquote(path))


def _deleted_rows(table: DeltaTable, uri: str) -> dict[str, list[int]]:
    import numpy as np

    vectors = arrow_table(table.deletion_vectors())
    # delta-rs names files under its canonical table URI (symlinks resolved); key them by the
    # path relative to that root so they match the snapshot's files.
    root = table.table_uri.rstrip("/") + "/"
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
