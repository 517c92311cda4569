"""lakeshelf's block in a commit's ``commitInfo``: the one builder and the one parser.

Every commit lakeshelf makes (writes, schema changes, restores, vacuums, registry appends)
carries ``commitInfo.lakeshelf`` with the engine, a transaction id (to find the commit after a
lost response), the operation, the commit time and operation-specific fields. Writes add the
caller's metadata, where publishes record what a version was made from: the dataset, its build
lineage, its ingest ledger entry, its quality-suite result and its config hash. Readers of
commits (history, the ingest ledger, lineage, registration, time travel by recorded times) read
them through :func:`parse` (:func:`lakeshelf.table.records.read_record` reads one commit's).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from lakeshelf.version import __version__

ENGINE = f"lakeshelf/{__version__}"
BLOCK = "lakeshelf"
# Names of the extra fields some operations record (kept as existing lakes have them).
RESTORED_VERSION = "restoredVersion"
PINNED_VERSIONS = "pinnedVersions"


@dataclass(frozen=True)
class CommitRecord:
    """lakeshelf's block of one commit, parsed."""

    operation: str | None
    txn_id: str | None
    engine: str | None
    spark_app_id: str | None
    commit_timestamp: int | None  # epoch milliseconds, recorded by the writer
    metrics: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)  # the caller's, for writes
    fields: dict[str, Any] = field(default_factory=dict)  # mode, partitionBy, restoredVersion...

    @property
    def rows(self) -> int | None:
        """Rows the commit wrote, if it says."""
        rows = self.metrics.get("numOutputRows")
        return None if rows is None else int(rows)

    @property
    def dataset(self) -> str | None:
        """The dataset a publish was made for."""
        return self.metadata.get("dataset")

    @property
    def lineage(self) -> dict[str, Any] | None:
        """What a build was made from: input versions, code, config and transform hashes."""
        return self.metadata.get("lineage") or None

    @property
    def ingest(self) -> dict[str, Any] | None:
        """An ingest's ledger entry: batch id, the raw files it loaded, row counts."""
        return self.metadata.get("ingest") or None

    @property
    def suite(self) -> dict[str, Any]:
        """The quality-suite record of a gated publish (empty without a suite)."""
        return self.metadata.get("suite") or {}

    @property
    def config_hash(self) -> str | None:
        """The hash of the dataset config a publish used."""
        lineage = self.lineage or {}
        return self.metadata.get("configHash") or lineage.get("configHash")


def build(
    operation: str,
    txn_id: str,
    *,
    spark_app_id: str | None = None,
    metrics: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """The ``custom_metadata`` delta-rs writes into a commit's ``commitInfo``.

    ``fields`` are operation-specific, in the commit's own key names (``mode``, ``partitionBy``,
    ``restoredVersion``, ``columns``, ``pinnedVersions``, ``retainHours``).
    """
    block: dict[str, Any] = {
        "engine": ENGINE,
        "txnId": txn_id,
        "operation": operation,
        "commitTimestamp": int(time.time() * 1000),
        **fields,
    }
    if spark_app_id is not None:
        block["sparkAppId"] = spark_app_id
    if metrics is not None:
        block["metrics"] = metrics
    if metadata is not None:
        block["metadata"] = metadata
    info: dict[str, Any] = {"clientVersion": ENGINE, BLOCK: block}
    if metadata:
        info["userMetadata"] = json.dumps(metadata, sort_keys=True, default=str)
    return info


_KNOWN = {"engine", "txnId", "operation", "commitTimestamp", "sparkAppId", "metrics", "metadata"}


def parse(info: dict[str, Any] | None) -> CommitRecord | None:
    """lakeshelf's block of a ``commitInfo`` action (None for commits of other engines)."""
    block = (info or {}).get(BLOCK)
    if not isinstance(block, dict):
        return None
    return CommitRecord(
        operation=block.get("operation"),
        txn_id=block.get("txnId"),
        engine=block.get("engine"),
        spark_app_id=block.get("sparkAppId"),
        commit_timestamp=block.get("commitTimestamp"),
        metrics=dict(block.get("metrics") or {}),
        metadata=dict(block.get("metadata") or {}),
        fields={k: v for k, v in block.items() if k not in _KNOWN},
    )
