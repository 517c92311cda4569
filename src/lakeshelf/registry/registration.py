"""Registering published versions: fingerprint, schema, lineage and provenance into the registry.

A version is registered right after its commit. If a run dies between the two, the next publish of
that dataset registers it (:func:`register_pending`), so every version lakeshelf committed ends up
in the registry exactly once.

Compacting a dataset (:func:`optimize_dataset`) is registered the same way: the compacted version
holds exactly the rows of the published version it compacts (delta-rs commits it with
``dataChange=false``), so it carries that version's suite result, lineage and config hash, and is
registered with a fingerprint computed from its own files, so ``verify`` proves the rows did not
change. Tags keep pinning the versions they name and vacuum keeps their files. A dataset's
``compaction.after_files`` compacts right after a registration that makes it due.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from lakeshelf import timestamps
from lakeshelf.errors import CommitConflictError, LakeshelfError
from lakeshelf.registry import staged_profiles, store
from lakeshelf.registry.code_version import code_version
from lakeshelf.registry.profile import ColumnProfile, fingerprint_and_profile
from lakeshelf.table import (
    OptimizeResult,
    latest_version,
    load_snapshot,
    optimize,
    read_record,
    snapshot_dataframe,
    undo_doubled_compaction,
)
from lakeshelf.table.schema import logical_type

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakeshelf.config import Project
    from lakeshelf.storage import Location
    from lakeshelf.table import CommitRecord, Snapshot

log = logging.getLogger(__name__)

#: Operations whose versions are dataset versions (schema-only ADD COLUMNS and VACUUM are not;
#: a dataset's OPTIMIZE is: the same rows as the version it compacts, in fewer files).
PUBLISHING_OPERATIONS = ("WRITE", "RESTORE", "OPTIMIZE")


def register_pending(
    project: Project, name: str, spark: SparkSession | Callable[[], SparkSession]
) -> list[int]:
    """Register every lakeshelf-written version of ``name`` newer than its last registered one,
    then compact the table if its ``compaction.after_files`` policy is now due.

    ``spark`` (for fingerprints) may be a function that starts a session: it is called only if
    there is something to register.
    """
    registered = _register_new(project, name, spark)
    if registered:
        _compact_if_due(project, name, spark)
    return registered


def _register_new(
    project: Project, name: str, spark: SparkSession | Callable[[], SparkSession]
) -> list[int]:
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
        entry, profile = _version_record(project, name, version, record, spark)
        # the profile first: a run that dies between the two leaves a version whose profile
        # is there, and registering the version again skips the profile it finds
        if store.register_profile(lake, name, version, profile):
            compact_profiles_if_due(lake)
        if store.register(lake, entry):
            registered.append(version)
    return registered


def _version_record(
    project: Project, name: str, version: int, record: CommitRecord, spark: SparkSession
) -> tuple[store.VersionRecord, list[ColumnProfile]]:
    """The registry record of ``name@version`` and its profile (one pass over its rows, or
    none when its publish profiled exactly these rows before the commit)."""
    table = project.table(name)
    lineage = record.lineage or {}
    suite = record.suite
    snapshot = load_snapshot(table, version)
    schema_json = logical_type(snapshot.schema).json()
    print_, profile = _fingerprint_and_profile(snapshot, name, spark)
    user, host = store.identity()
    entry = store.VersionRecord(
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
    return entry, profile


def _fingerprint_and_profile(
    snapshot: Snapshot, name: str, spark: SparkSession
) -> tuple[str, list[ColumnProfile]]:
    """The version's fingerprint and profile: kept from its publish's audit when it commits
    exactly the staged files (:mod:`staged_profiles`), else computed from its files."""
    rows = snapshot_dataframe(spark, snapshot)
    kept = None
    if not snapshot.deleted_rows:
        kept = staged_profiles.recall(rows, len(snapshot.files), name, snapshot.version)
    return kept or fingerprint_and_profile(rows, name, snapshot.version, snapshot.num_records)


#: Every this many commits, the profiles table is compacted if it has more files than that: a
#: dataset's metric history then reads a few files instead of one per version (1,000 small
#: files take ~1.4 s to read, one file milliseconds).
PROFILE_FILES_BEFORE_COMPACTION = 100


def compact_profiles_if_due(lake: Location) -> None:
    """Compact the profiles table (bin-packing per dataset) when it has grown many files."""
    table = store.profiles_table(lake)
    latest = latest_version(table)
    if latest % PROFILE_FILES_BEFORE_COMPACTION or latest == 0:
        return
    if len(load_snapshot(table).files) <= PROFILE_FILES_BEFORE_COMPACTION:
        return
    try:
        result = optimize(table, metadata={"registry": "profiles"})
    except CommitConflictError:  # another process compacts it now
        return
    undo_doubled_compaction(table, result.version)


def dataset_of(table: Location) -> str | None:
    """The dataset whose publishes ``table`` holds, from its newest publish (None: no dataset's)."""
    for version in range(latest_version(table), -1, -1):
        record = read_record(table, version)
        if record is not None and record.operation in PUBLISHING_OPERATIONS and record.dataset:
            return record.dataset
        if record is not None and record.operation == "WRITE":
            return None  # a lakeshelf write that names no dataset: a plain table
    return None


#: Commit metadata a compaction carries over from the version it compacts (not ``ingest``:
#: the raw files it names were loaded once, by that version).
_CARRIED = ("dataset", "configHash", "suite", "lineage")


def optimize_dataset(
    project: Project,
    dataset: str,
    spark: SparkSession | Callable[[], SparkSession],
    *,
    z_order: list[str] | None = None,
    target_file_mb: int | None = None,
) -> OptimizeResult:
    """Compact ``dataset``'s latest version and register the result as its latest version.

    ``spark`` (for the fingerprint) may be a function that starts a session, called only if a
    version is registered. ``z_order`` and ``target_file_mb`` default to the dataset's
    ``compaction`` config.

    Raises:
        ConfigError: unknown dataset.
        LakeshelfError: nothing is published yet, a commit other than lakeshelf's maintenance
            follows the latest publish, or the compaction failed (nothing committed).
    """
    config = project.dataset(dataset)
    table = project.table(config.name)
    _register_new(project, config.name, spark)  # a publish a crashed run left unregistered
    published = store.records(project.lake_location, config.name)
    if not published:
        raise LakeshelfError(f"{config.name} has no published version to compact yet")
    compacts = published[-1].version
    _check_no_data_changes_after(table, compacts, config.name)
    record = read_record(table, compacts)
    carried = {k: v for k, v in (record.metadata if record else {}).items() if k in _CARRIED}
    result = optimize(
        table,
        target_size=(target_file_mb or config.compaction.target_file_mb) * 1024 * 1024,
        z_order=z_order if z_order is not None else list(config.compaction.z_order),
        metadata={**carried, "dataset": config.name, "compacts": compacts},
    )
    undo_doubled_compaction(table, result.version)
    if result.version is not None:
        _register_new(project, config.name, spark)
    return result


#: Commits that leave a dataset's rows as they are (so the latest publish still describes them).
_NO_DATA_CHANGE = ("VACUUM", "OPTIMIZE")


def _check_no_data_changes_after(table: Location, version: int, dataset: str) -> None:
    """Refuse when a commit after the latest publish changed the rows (written by another tool)."""
    for later in range(version + 1, latest_version(table) + 1):
        record = read_record(table, later)
        if record is None or record.operation not in _NO_DATA_CHANGE:
            raise LakeshelfError(
                f"{dataset}'s table has version {later} after its latest publish {version}, not"
                " written by a lakeshelf publish; compacting it would register rows no suite"
                " checked. Restore or re-publish the dataset first."
            )


def _compact_if_due(
    project: Project, dataset: str, spark: SparkSession | Callable[[], SparkSession]
) -> OptimizeResult | None:
    """Compact after a publish when the dataset's ``compaction.after_files`` says it is due."""
    config = project.dataset(dataset)
    limit = config.compaction.after_files
    if limit is None:
        return None
    if len(load_snapshot(project.table(config.name)).files) <= limit:
        return None
    try:
        return optimize_dataset(project, config.name, spark)
    except CommitConflictError as busy:  # another compaction runs: the publish stands
        log.info("compaction of %s skipped: %s", dataset, busy)
        return None
