"""Registering published versions: fingerprint, schema, lineage and provenance into the registry.

A version is registered right after its commit. If a run dies between the two, the next publish of
that dataset registers it (:func:`register_pending`), so every version lakeshelf committed ends up
in the registry exactly once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from lakeshelf import timestamps
from lakeshelf.registry import store
from lakeshelf.registry.code_version import code_version
from lakeshelf.registry.fingerprint import fingerprint
from lakeshelf.table import latest_version, load_snapshot, read_record, snapshot_dataframe
from lakeshelf.table.schema import logical_type

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakeshelf.config import Project
    from lakeshelf.storage import Location
    from lakeshelf.table import CommitRecord

#: Operations whose versions are dataset versions (schema-only ADD COLUMNS and VACUUM are not).
PUBLISHING_OPERATIONS = ("WRITE", "RESTORE")


def register_pending(
    project: Project, name: str, spark: SparkSession | Callable[[], SparkSession]
) -> list[int]:
    """Register every lakeshelf-written version of ``name`` newer than its last registered one.

    ``spark`` (for fingerprints) may be a function that starts a session: it is called only if
    there is something to register.
    """
    table, lake = project.table(name), project.lake_location
    latest = latest_version(table)
    if latest < 0:
        return []
    known = [r.version for r in store.records(lake, name)]
    registered = []
    for version in range(max(known, default=-1) + 1, latest + 1):
        record = read_record(table, version)
        if record is None or record.operation not in PUBLISHING_OPERATIONS:
            continue
        if callable(spark):
            spark = spark()
        if store.register(lake, _version_record(project, name, version, record, spark)):
            registered.append(version)
    return registered


def _version_record(
    project: Project, name: str, version: int, record: CommitRecord, spark: SparkSession
) -> store.VersionRecord:
    table = project.table(name)
    lineage = record.lineage or {}
    suite = record.suite
    snapshot = load_snapshot(table, version)
    schema_json = logical_type(snapshot.schema).json()
    print_ = fingerprint(snapshot_dataframe(spark, snapshot))
    user, host = store.identity()
    return store.VersionRecord(
        dataset=name,
        table_uri=table.uri,
        version=version,
        commit_timestamp=timestamps.iso_millis(record.commit_timestamp or 0),
        row_count=int(print_.split(":", 1)[0]),
        schema_json=schema_json,
        schema_hash=hashlib.sha256(schema_json.encode()).hexdigest(),
        fingerprint=print_,
        suite_name=suite.get("name"),
        suite_result=json.dumps(suite["result"]) if suite.get("result") is not None else None,
        lineage=json.dumps(lineage.get("inputs")) if lineage.get("inputs") else None,
        code_version=json.dumps(lineage.get("code") or code_version(project.root)),
        config_hash=record.config_hash,
        user=user,
        host=host,
        spark_app_id=record.spark_app_id,
        registered_at=timestamps.now_iso(),
    )


def dataset_of(table: Location) -> str | None:
    """The dataset whose publishes ``table`` holds, from its newest publish (None: no dataset's)."""
    for version in range(latest_version(table), -1, -1):
        record = read_record(table, version)
        if record is not None and record.operation in PUBLISHING_OPERATIONS and record.dataset:
            return record.dataset
        if record is not None and record.operation == "WRITE":
            return None  # a lakeshelf write that names no dataset: a plain table
    return None
