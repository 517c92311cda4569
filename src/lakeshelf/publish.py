"""Registering published versions: fingerprint, schema, lineage and provenance into the registry.

A version is registered right after its commit. If a run dies between the two, the next publish of
that dataset registers it (:func:`register_pending`), so every version lakeshelf committed ends up
in the registry exactly once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import TYPE_CHECKING, Any

from lakeshelf import log, registry
from lakeshelf.fingerprint import fingerprint
from lakeshelf.lineage import code_version

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakeshelf.config import Project


def register_pending(project: Project, name: str, spark: SparkSession | None = None) -> list[int]:
    """Register every lakeshelf-written version of ``name`` newer than its last registered one.

    A Spark session (for fingerprints) is started only if there is something to register.
    """
    uri = project.table_uri(name)
    options = project.lake.storage_options or None
    listing = log.list_log(uri, options)
    if listing is None:
        return []
    known = [r.version for r in registry.records(project.lake_uri, name, options)]
    registered = []
    for version in range(max(known, default=-1) + 1, listing.latest + 1):
        info = log.read_commit_info(uri, version, options) or {}
        ours = info.get("lakeshelf") or {}
        if ours.get("operation") not in ("WRITE", "RESTORE"):
            continue  # schema-only commits (ADD COLUMNS) are not dataset versions of their own
        if spark is None:
            from lakeshelf.session import spark_session

            spark = spark_session(conf=project.lake.spark)
        if registry.register(
            project.lake_uri, _record(project, name, version, info, spark), options
        ):
            registered.append(version)
    return registered


def _record(
    project: Project, name: str, version: int, info: dict[str, Any], spark: SparkSession
) -> registry.VersionRecord:
    from lakeshelf.read import snapshot_dataframe
    from lakeshelf.schema import logical_type
    from lakeshelf.snapshot import load_snapshot

    uri = project.table_uri(name)
    options = project.lake.storage_options or None
    ours = info.get("lakeshelf") or {}
    metadata = ours.get("metadata") or {}
    lineage = metadata.get("lineage") or {}
    snapshot = load_snapshot(uri, version, storage_options=options)

    schema_json = logical_type(snapshot.schema).json()
    print_ = fingerprint(snapshot_dataframe(spark, snapshot, options))
    committed = ours.get("commitTimestamp") or info.get("timestamp") or 0
    user, host = registry.identity()
    suite = metadata.get("suite") or {}
    return registry.VersionRecord(
        dataset=name,
        table_uri=uri,
        version=version,
        commit_timestamp=dt.datetime.fromtimestamp(committed / 1000, dt.timezone.utc).isoformat(
            timespec="milliseconds"
        ),
        row_count=int(print_.split(":", 1)[0]),
        schema_json=schema_json,
        schema_hash=hashlib.sha256(schema_json.encode()).hexdigest(),
        fingerprint=print_,
        suite_name=suite.get("name"),
        suite_result=json.dumps(suite["result"]) if suite.get("result") is not None else None,
        lineage=json.dumps(lineage.get("inputs")) if lineage.get("inputs") else None,
        code_version=json.dumps(lineage.get("code") or code_version(project.root)),
        config_hash=metadata.get("configHash") or lineage.get("configHash"),
        user=user,
        host=host,
        spark_app_id=ours.get("sparkAppId"),
        registered_at=registry.now_iso(),
    )
