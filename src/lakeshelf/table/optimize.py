"""Compacting small files: fewer, larger files holding the same rows, in one OPTIMIZE commit.

delta-rs's compaction (bin-packing within each partition, or Z-order) does the work: it rewrites
the small files of the latest version into files near a target size and commits them with
``dataChange=false``, so readers and change feeds see no new data, and every earlier version
still reads its own files (until vacuum, which keeps pinned versions' files). Writes in flight
are untouched: their files are in no snapshot, and a compaction holds a lease so that a vacuum
running meanwhile spares the files it has written but not yet committed. A blind append landing
meanwhile does not conflict with it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from lakeshelf.errors import (
    CommitConflictError,
    LakeshelfError,
    UnsupportedFeatureError,
    first_line,
)
from lakeshelf.storage import Location
from lakeshelf.table import commit_info
from lakeshelf.table.delta_log import commit_hooks, open_table, read_commit_info
from lakeshelf.table.leases import (
    OPTIMIZE_LEASE_PREFIX,
    earlier_compaction,
    lease_path,
    write_lease,
)
from lakeshelf.table.protocol import check_writer_protocol
from lakeshelf.table.retry import landed
from lakeshelf.table.snapshot import resolve_version

#: Default size compacted files aim for (delta-rs's own default is 100 MiB).
TARGET_FILE_BYTES = 128 * 1024 * 1024


@dataclass(frozen=True)
class OptimizeResult:
    """What a compaction committed: its version (None when there was nothing to compact)."""

    version: int | None
    read_version: int
    files_removed: int
    files_added: int
    partitions_optimized: int
    z_order: list[str] = field(default_factory=list)


def optimize(
    table: Location,
    *,
    target_size: int | None = None,
    z_order: list[str] | None = None,
    metadata: dict[str, Any] | None = None,
) -> OptimizeResult:
    """Compact the latest version's small files into files of about ``target_size`` bytes.

    Args:
        table: the table's location.
        target_size: bytes a compacted file aims for (default :data:`TARGET_FILE_BYTES`).
        z_order: columns to cluster the rewritten files by (Z-order); none for bin-packing.
        metadata: caller metadata recorded in the commit.

    Returns:
        The commit's version and counts; ``version`` is None (no commit) when no partition had
        more than one small file.

    Raises:
        TableNotFoundError: no table at ``table``.
        UnsupportedFeatureError: the table uses a writer feature delta-rs cannot keep correct.
        LakeshelfError: the compaction failed; nothing was committed.
    """
    resolve_version(table)  # TableNotFoundError before anything is written
    txn = f"{OPTIMIZE_LEASE_PREFIX}{uuid.uuid4().hex}"
    columns = list(z_order or [])
    fs = table.filesystem()
    with write_lease(fs, table, txn):  # a vacuum meanwhile spares new files
        _refuse_concurrent_compaction(fs, table, txn)
        # planned under the lease: a compaction that ended before it was taken is seen here
        before = resolve_version(table)
        _compact(table, txn, before, columns, target_size, metadata)
    return _result(table, landed(table, txn, before), before, columns)


def _compact(
    table: Location,
    txn: str,
    before: int,
    columns: list[str],
    target_size: int | None,
    metadata: dict[str, Any] | None,
) -> None:
    """delta-rs's compaction (Z-order by ``columns`` if any) of version ``before``, committed
    with ``txn`` in lakeshelf's block; a lost response after the commit landed is no error."""
    from deltalake.transaction import CommitProperties

    delta_table = open_table(_without_request_retries(table), before)
    _check_compactable(delta_table, table)
    info = commit_info.build(
        "OPTIMIZE", txn, metadata=metadata or {}, zOrderBy=columns, readVersion=before
    )
    options: dict[str, Any] = {
        "target_size": target_size or TARGET_FILE_BYTES,
        # delta-rs's optimize sets its own commit retries (max_commit_retries is not passed on)
        "commit_properties": CommitProperties(custom_metadata=info, max_commit_retries=0),
        "post_commithook_properties": commit_hooks(),
    }
    try:
        optimizer = delta_table.optimize
        if columns:
            optimizer.z_order(columns, **options)
        else:
            optimizer.compact(**options)
    except Exception as exc:
        if landed(table, txn, before) is None:  # else a lost response after the commit
            raise LakeshelfError(
                f"compacting {table} failed, nothing was committed: {first_line(exc)}"
            ) from exc


def _refuse_concurrent_compaction(fs: Any, table: Location, txn: str) -> None:
    """Let only the first of concurrent lakeshelf compactions of ``table`` run.

    delta-rs (1.6.6) commits a compaction that lost a race to another compaction of the same
    files as well, after it rebases it: the table then holds the compacted rows twice. So
    compactions take their leases first and run one at a time.
    """
    other = earlier_compaction(fs, table, txn)
    if other is not None:
        raise CommitConflictError(
            f"another compaction of {table} is running (transaction {other['txn']}, host"
            f" {other.get('host')}, process {other.get('pid')}); nothing was done. Re-run when it"
            " has ended. If that process is gone, delete"
            f" {lease_path(table, other['txn'])} first."
        )


def _without_request_retries(table: Location) -> Location:
    """``table`` with the object store's request retries off (object stores only).

    delta-rs's optimize commits with retries of its own whatever ``max_commit_retries`` says.
    When a commit's response is lost, the object store client repeats the PUT, finds the version
    taken (by the commit itself), and delta-rs rebases the compaction onto its own landed commit
    and commits it again: the compacted rows twice (seen against moto with a dropped response,
    deltalake 1.6.6). Without request retries the lost response is an error, and lakeshelf finds
    the landed commit by its transaction id. A compaction that fails on a transient error
    commits nothing and can be re-run.
    """
    if table.is_local:
        return table
    return Location(table.uri, {**table.options, "max_retries": "0"})


def _check_compactable(delta_table: Any, table: Location) -> None:
    check_writer_protocol(delta_table, table.uri, "append")
    if "deletionVectors" in (delta_table.protocol().reader_features or []):
        # delta-rs's compaction does not apply deletion vectors: it would bring deleted rows back
        raise UnsupportedFeatureError(
            f"{table} uses deletion vectors, which lakeshelf's compaction (delta-rs) cannot"
            " apply; compact it with delta-spark: DeltaTable.forPath(spark, path).optimize()"
            ".executeCompaction()"
        )


def _result(
    table: Location, version: int | None, before: int, columns: list[str]
) -> OptimizeResult:
    """The compaction's counts, from the metrics its commit recorded (also after a lost
    response, when the caller never saw them)."""
    info = read_commit_info(table, version) if version is not None else None
    metrics = (info or {}).get("operationMetrics") or {}

    def count(name: str) -> int:
        return int(metrics.get(name, 0))

    return OptimizeResult(
        version,
        before,
        count("numFilesRemoved"),
        count("numFilesAdded"),
        count("partitionsOptimized"),
        columns,
    )
