"""Delta tables: versions written by Spark and committed by delta-rs, read back exactly.

Owns the Delta log (``delta_log``, ``commit_info``), snapshots and time travel (``snapshot``,
``versions``, ``protocol``), writes (``plan`` -> ``write`` -> ``commit``, one retry loop in
``retry``), data files (``files``, ``stats``, ``workers``), reads (``read``, ``arrow``), history,
detail, restore (``operations``), compaction (``optimize``), leases, refused files and vacuum.
Every function takes a :class:`lakeshelf.storage.Location`.

May import :mod:`lakeshelf.storage`, the bottom modules (errors, timestamps, faults, version),
pyspark and deltalake; knows nothing of configuration, gates, registries or pipelines.
"""

from lakeshelf.table.arrow import snapshot_arrow
from lakeshelf.table.commit_info import CommitRecord
from lakeshelf.table.delta_log import latest_version, list_log
from lakeshelf.table.operations import (
    HistoryEntry,
    TableDetail,
    detail,
    history,
    restore,
    undo_doubled_compaction,
)
from lakeshelf.table.optimize import OptimizeResult, optimize
from lakeshelf.table.read import read, snapshot_dataframe
from lakeshelf.table.records import read_record
from lakeshelf.table.refused import RefusedPublish, refused_publishes
from lakeshelf.table.snapshot import DataFile, Snapshot, load_snapshot, resolve_version
from lakeshelf.table.spark import apply_runtime_conf
from lakeshelf.table.vacuum import CleanupResult, cleanup_log, vacuum
from lakeshelf.table.versions import version_at
from lakeshelf.table.write import Audit, write

__all__ = [
    "Audit",
    "CleanupResult",
    "CommitRecord",
    "DataFile",
    "HistoryEntry",
    "OptimizeResult",
    "RefusedPublish",
    "Snapshot",
    "TableDetail",
    "apply_runtime_conf",
    "cleanup_log",
    "detail",
    "history",
    "latest_version",
    "list_log",
    "load_snapshot",
    "optimize",
    "read",
    "read_record",
    "refused_publishes",
    "resolve_version",
    "restore",
    "snapshot_arrow",
    "snapshot_dataframe",
    "undo_doubled_compaction",
    "vacuum",
    "version_at",
    "write",
]
