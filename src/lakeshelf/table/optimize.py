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
from typing import TYPE_CHECKING, Any

from lakeshelf.errors import LakeshelfError, UnsupportedFeatureError, first_line
from lakeshelf.table import commit_info
from lakeshelf.table.delta_log import commit_hooks, open_table
from lakeshelf.table.leases import OPTIMIZE_LEASE_PREFIX, write_lease
from lakeshelf.table.protocol import check_writer_protocol
from lakeshelf.table.retry import landed
from lakeshelf.table.snapshot import resolve_version

if TYPE_CHECKING:
    from lakeshelf.storage import Location

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
    from deltalake.transaction import CommitProperties

    before = resolve_version(table)
    delta_table = open_table(table, before)
    check_writer_protocol(delta_table, table.uri, "append")
    if "deletionVectors" in (delta_table.protocol().reader_features or []):
        # delta-rs's compaction does not apply deletion vectors: it would bring deleted rows back
        raise UnsupportedFeatureError(
            f"{table} uses deletion vectors, which lakeshelf's compaction (delta-rs) cannot"
            " apply; compact it with delta-spark: DeltaTable.forPath(spark, path).optimize()"
            ".executeCompaction()"
        )
    txn = f"{OPTIMIZE_LEASE_PREFIX}{uuid.uuid4().hex}"
    columns = list(z_order or [])
    info = commit_info.build(
        "OPTIMIZE", txn, metadata=metadata or {}, zOrderBy=columns, readVersion=before
    )
    options: dict[str, Any] = {
        "target_size": target_size or TARGET_FILE_BYTES,
        "commit_properties": CommitProperties(custom_metadata=info, max_commit_retries=0),
        "post_commithook_properties": commit_hooks(),
    }
    with write_lease(table.filesystem(), table, txn):  # a vacuum meanwhile spares new files
        try:
            optimizer = delta_table.optimize
            metrics = (
                optimizer.z_order(columns, **options) if columns else optimizer.compact(**options)
            )
        except Exception as exc:
            version = landed(table, txn, before)  # a lost response after the commit landed
            if version is None:
                raise LakeshelfError(
                    f"compacting {table} failed, nothing was committed: {first_line(exc)}"
                ) from exc
            return OptimizeResult(version, before, -1, -1, -1, columns)
    version = landed(table, txn, before)
    return OptimizeResult(
        version,
        before,
        int(metrics.get("numFilesRemoved", 0)),
        int(metrics.get("numFilesAdded", 0)),
        int(metrics.get("partitionsOptimized", 0)),
        columns,
    )
