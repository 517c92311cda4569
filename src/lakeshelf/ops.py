"""Table operations beyond read and write: history, restore and detail."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from lakeshelf import log, storage
from lakeshelf.errors import LakeshelfError
from lakeshelf.snapshot import arrow_table, first_line, open_table, resolve_version
from lakeshelf.version import __version__


@dataclass(frozen=True)
class HistoryEntry:
    """One commit of a table."""

    version: int
    timestamp: str  # commit time, ISO-8601 UTC
    operation: str
    parameters: dict[str, Any]
    metrics: dict[str, Any]
    engine: str | None
    user_metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TableDetail:
    """Shape and size of one table version."""

    uri: str
    version: int
    schema_json: str
    partition_columns: list[str]
    min_reader_version: int
    min_writer_version: int
    reader_features: list[str]
    writer_features: list[str]
    configuration: dict[str, str]
    num_files: int
    num_rows: int | None  # None when some file has no row count
    size_bytes: int
    created_time: str | None


def history(
    uri: str, *, limit: int | None = None, storage_options: dict[str, Any] | None = None
) -> list[HistoryEntry]:
    """The table's commits, newest first.

    Raises:
        TableNotFoundError: no table at ``uri``.
    """
    uri = storage.normalize_uri(uri)
    resolve_version(uri, storage_options=storage_options)  # clear error for a missing table
    table = open_table(uri, None, storage_options)
    return [_entry(info) for info in table.history(limit)]


def restore(
    uri: str,
    *,
    version: int | None = None,
    timestamp: str | dt.datetime | None = None,
    metadata: dict[str, Any] | None = None,
    storage_options: dict[str, Any] | None = None,
) -> int:
    """Commit a new version whose contents equal an earlier version.

    Returns:
        The new version.

    Raises:
        VersionNotFoundError: the target is outside the readable history.
        LakeshelfError: the target's data files are gone (vacuumed), or the commit failed.
    """
    from deltalake.transaction import CommitProperties

    uri = storage.normalize_uri(uri)
    if version is None and timestamp is None:
        raise LakeshelfError("restore needs a version or a timestamp to restore to")
    target = resolve_version(uri, version, timestamp, storage_options)
    table = open_table(uri, None, storage_options)
    before = table.version()
    txn = uuid.uuid4().hex
    info = {
        "clientVersion": f"lakeshelf/{__version__}",
        "lakeshelf": {
            "engine": f"lakeshelf/{__version__}",
            "txnId": txn,
            "operation": "RESTORE",
            "restoredVersion": target,
            "commitTimestamp": int(time.time() * 1000),
            "metadata": metadata or {},
        },
    }
    try:
        table.restore(
            target,
            commit_properties=CommitProperties(custom_metadata=info),
            post_commithook_properties=log.commit_hooks(),
        )
    except Exception as exc:
        raise LakeshelfError(
            f"restoring {uri} to version {target} failed, nothing was committed: {first_line(exc)}"
        ) from exc
    return log.find_commit(uri, txn, before, storage_options)


def detail(
    uri: str, *, version: int | None = None, storage_options: dict[str, Any] | None = None
) -> TableDetail:
    """Schema, partitioning, protocol and size of a version (latest by default)."""

    uri = storage.normalize_uri(uri)
    resolved = resolve_version(uri, version, None, storage_options)
    table = open_table(uri, resolved, storage_options)
    protocol = table.protocol()
    metadata = table.metadata()
    actions = arrow_table(table.get_add_actions(flatten=True))
    records = actions.column("num_records").to_pylist()
    created = metadata.created_time
    return TableDetail(
        uri=uri,
        version=resolved,
        schema_json=table.schema().to_json(),
        partition_columns=list(metadata.partition_columns),
        min_reader_version=protocol.min_reader_version,
        min_writer_version=protocol.min_writer_version,
        reader_features=list(protocol.reader_features or []),
        writer_features=list(protocol.writer_features or []),
        configuration=dict(metadata.configuration or {}),
        num_files=actions.num_rows,
        num_rows=None if any(r is None for r in records) else int(sum(records)),
        size_bytes=int(sum(actions.column("size_bytes").to_pylist())),
        created_time=_iso_ms(created) if created else None,
    )


def _iso_ms(millis: int) -> str:
    return dt.datetime.fromtimestamp(millis / 1000, dt.timezone.utc).isoformat(
        timespec="milliseconds"
    )


def _entry(info: dict[str, Any]) -> HistoryEntry:
    ours = info.get("lakeshelf") or {}
    parameters = dict(info.get("operationParameters") or {})
    parameters.pop("metadata", None)  # CREATE TABLE repeats the whole metaData action here
    for key in ("mode", "partitionBy", "restoredVersion"):
        if key in ours:
            parameters[key] = ours[key]
    return HistoryEntry(
        version=int(info["version"]),
        timestamp=_iso_ms(int(info.get("timestamp", 0))),
        operation=ours.get("operation") or info.get("operation", "UNKNOWN"),
        parameters=parameters,
        metrics=dict(ours.get("metrics") or info.get("operationMetrics") or {}),
        engine=ours.get("engine") or info.get("engineInfo") or info.get("clientVersion"),
        user_metadata=dict(ours.get("metadata") or {}),
    )
