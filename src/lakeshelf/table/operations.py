"""Table operations beyond read and write: history, detail and restore."""

from __future__ import annotations

import datetime as dt
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lakeshelf import timestamps
from lakeshelf.errors import LakeshelfError, TableNotFoundError, first_line
from lakeshelf.table import commit_info
from lakeshelf.table.arrow import arrow_table
from lakeshelf.table.delta_log import commit_hooks, list_log, open_table, read_commit_info
from lakeshelf.table.retry import find_commit
from lakeshelf.table.snapshot import load_snapshot, resolve_version

if TYPE_CHECKING:
    from lakeshelf.storage import Location


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


def history(table: Location, *, limit: int | None = None) -> list[HistoryEntry]:
    """The table's commits, newest first (the ``limit`` newest if given).

    Read from each commit file's ``commitInfo`` (a commit without one shows its file's time and
    operation UNKNOWN): a history needs no table state, and delta-rs's history first replays the
    whole log into one (0.2 s for 1,000 commits; a site reads every table's history).

    Raises:
        TableNotFoundError: no table at ``table``.
    """
    listing = list_log(table)
    if listing is None:
        raise TableNotFoundError(f"no Delta table at {table}")
    versions = sorted(listing.commits, reverse=True)[:limit]

    def info(version: int) -> dict[str, Any]:
        found = read_commit_info(table, version) or {}
        stamp = found.get("timestamp") or int(listing.commits[version] * 1000)
        return {**found, "version": version, "timestamp": stamp}

    if table.is_local:
        return [_entry(info(v)) for v in versions]
    with ThreadPoolExecutor(max_workers=16) as pool:  # one request per commit on object stores
        return [_entry(found) for found in pool.map(info, versions)]


def restore(
    table: Location,
    *,
    version: int | None = None,
    timestamp: str | dt.datetime | None = None,
    metadata: dict[str, Any] | None = None,
) -> int:
    """Commit a new version whose contents equal an earlier version; return it.

    Raises:
        VersionNotFoundError: the target is outside the readable history.
        LakeshelfError: no target given, or the commit failed.
    """
    from deltalake.transaction import CommitProperties

    if version is None and timestamp is None:
        raise LakeshelfError("restore needs a version or a timestamp to restore to")
    target = resolve_version(table, version, timestamp)
    delta_table = open_table(table, None)
    before = delta_table.version()
    txn = uuid.uuid4().hex
    info = commit_info.build(
        "RESTORE", txn, metadata=metadata or {}, **{commit_info.RESTORED_VERSION: target}
    )
    try:
        delta_table.restore(
            target,
            commit_properties=CommitProperties(custom_metadata=info),
            post_commithook_properties=commit_hooks(),
        )
    except Exception as exc:
        raise LakeshelfError(
            f"restoring {table} to version {target} failed, nothing was committed:"
            f" {first_line(exc)}"
        ) from exc
    return find_commit(table, txn, before)


def detail(table: Location, *, version: int | None = None) -> TableDetail:
    """Schema, partitioning, protocol and size of a version (latest by default)."""
    resolved = resolve_version(table, version, None)
    delta_table = open_table(table, resolved)
    protocol = delta_table.protocol()
    metadata = delta_table.metadata()
    actions = arrow_table(delta_table.get_add_actions(flatten=True))
    records = actions.column("num_records").to_pylist()
    created = metadata.created_time
    return TableDetail(
        uri=table.uri,
        version=resolved,
        schema_json=delta_table.schema().to_json(),
        partition_columns=list(metadata.partition_columns),
        min_reader_version=protocol.min_reader_version,
        min_writer_version=protocol.min_writer_version,
        reader_features=list(protocol.reader_features or []),
        writer_features=list(protocol.writer_features or []),
        configuration=dict(metadata.configuration or {}),
        num_files=actions.num_rows,
        num_rows=None if any(r is None for r in records) else int(sum(records)),
        size_bytes=int(sum(actions.column("size_bytes").to_pylist())),
        created_time=timestamps.iso_millis(created) if created else None,
    )


def _entry(info: dict[str, Any]) -> HistoryEntry:
    record = commit_info.parse(info)
    parameters = dict(info.get("operationParameters") or {})
    parameters.pop("metadata", None)  # CREATE TABLE repeats the whole metaData action here
    if record is not None:
        for key in ("mode", "partitionBy", commit_info.RESTORED_VERSION):
            if key in record.fields:
                parameters[key] = record.fields[key]
    return HistoryEntry(
        version=int(info["version"]),
        timestamp=timestamps.iso_millis(int(info.get("timestamp", 0))),
        operation=(record and record.operation) or info.get("operation", "UNKNOWN"),
        parameters=parameters,
        metrics=(record and record.metrics) or dict(info.get("operationMetrics") or {}),
        engine=(record and record.engine) or info.get("engineInfo") or info.get("clientVersion"),
        user_metadata=dict(record.metadata) if record else {},
    )


def undo_doubled_compaction(table: Location, version: int | None) -> None:
    """Refuse a compaction commit that changed the number of rows, after restoring the rows.

    That happens only when a compaction by another engine (delta-spark's OPTIMIZE, a delta-rs
    writer) removed the same files meanwhile and delta-rs committed this one on top of it
    (delta-rs 1.6.6 rebases a compaction that lost its race and commits it too; lakeshelf's own
    compactions run one at a time, see :mod:`lakeshelf.table.optimize`). The version before it
    is restored at once as a new version, so the latest version holds each row once again.
    Callers of :func:`lakeshelf.table.optimize.optimize` run this on the version it returns.
    """
    if version is None:
        return
    rows = {v: _row_count(table, v) for v in (version - 1, version)}
    if None in rows.values() or rows[version - 1] == rows[version]:
        return
    restored = restore(table, version=version - 1, metadata={"repairs": version})
    raise LakeshelfError(
        f"compacting {table} raced another engine's compaction of the same files: version"
        f" {version} holds {rows[version]} rows where version {version - 1} held"
        f" {rows[version - 1]}. lakeshelf restored version {version - 1} as version {restored};"
        f" do not read version {version}. Compact again when no other engine compacts this table."
    )


def _row_count(table: Location, version: int) -> int | None:
    """Rows of ``version`` from its files' statistics (None when a file has none)."""
    try:
        counts = [f.num_records for f in load_snapshot(table, version).files]
    except LakeshelfError:  # e.g. vacuumed meanwhile: nothing to compare with
        return None
    return None if any(c is None for c in counts) else sum(counts)  # type: ignore[misc]
