"""Extract + load: raw files into a bronze Delta table, incrementally and exactly once.

One run loads the raw files not loaded before as one batch:

1. List the source glob; compare with the ledger (the files recorded in the table's own commits).
2. Parse the new files; malformed rows are flagged with file, line and raw text.
3. If the malformed fraction exceeds ``max_bad_fraction``, stop: nothing is committed.
4. Commit malformed rows to the quarantine table beside the dataset, recording the batch's files.
5. Commit the good rows to the bronze table with the batch's files and Delta's ``txn`` action
   (app id ``lakeshelf-ingest/<dataset>``, version = batch id) in the same commit.

A crash before step 5 leaves the files unrecorded in the bronze table, so the next run loads them;
if step 4 had committed, the next run reuses exactly that batch's file list and does not quarantine
its rows twice. A crash after step 5 leaves them recorded, so the next run skips them.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lakeshelf import log, raw_parse
from lakeshelf.errors import ConfigError, DataRejectedError, LakeshelfError
from lakeshelf.faults import crash_point
from lakeshelf.gate import auditor, dataset_suite
from lakeshelf.ledger import batch_files, read_ledger
from lakeshelf.publish import register_pending
from lakeshelf.sources import RawFile, list_raw_files

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lakeshelf.config import DatasetConfig, Project

INGEST_COLUMNS = ("_source_file", "_ingested_at", "_batch_id")
QUARANTINE_SCHEMA = (
    "dataset string, source_file string, line long, raw string, reason string, batch_id long,"
    " quarantined_at timestamp"
)


@dataclass
class IngestResult:
    """What one ingest run did."""

    dataset: str
    table: str
    version: int | None = None  # the bronze version committed, None if nothing was new
    batch_id: int | None = None
    files: list[str] = field(default_factory=list)  # loaded by this run
    already_loaded: int = 0
    changed_files: list[str] = field(default_factory=list)  # loaded before, changed since
    empty_files: list[str] = field(default_factory=list)
    header_only_files: list[str] = field(default_factory=list)
    unreadable_files: dict[str, str] = field(default_factory=dict)  # path -> reason, quarantined
    new_columns: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    quarantine_table: str | None = None
    quarantine_version: int | None = None
    seconds: float = 0.0

    @property
    def notes(self) -> list[str]:
        """Things a person should know about this run."""
        notes = [
            f"{path} changed after it was loaded; it was not reloaded (restore the original, or"
            " drop it in under a new name to load the new content)"
            for path in self.changed_files
        ]
        notes += [f"{path} is empty" for path in self.empty_files]
        notes += [f"{path} has a header and no rows" for path in self.header_only_files]
        notes += [
            f"{path} could not be read and was quarantined whole: {why}"
            for path, why in self.unreadable_files.items()
        ]
        if self.new_columns:
            notes.append(f"new columns added (schema_policy additive): {self.new_columns}")
        return notes


def ingest(
    project: Project,
    name: str,
    *,
    spark: SparkSession | None = None,
    progress: Callable[[str], None] | None = None,
) -> IngestResult:
    """Load the new raw files of bronze dataset ``name`` as one table version.

    Raises:
        ConfigError: unknown dataset, or not a bronze dataset.
        DataRejectedError: schema drift refused, or too many malformed rows; nothing committed.
    """
    start = time.perf_counter()
    say = progress or (lambda _message: None)
    cfg = project.dataset(name)
    if cfg.layer != "bronze" or cfg.source is None:
        raise ConfigError(
            f"{name} is a {cfg.layer} dataset: build it with 'lakeshelf build {name}'"
        )
    uri, quarantine = project.table_uri(name), project.quarantine_uri(name)
    options = project.lake.storage_options or None
    result = IngestResult(name, uri, quarantine_table=quarantine)
    suite = dataset_suite(project, name)

    say(f"listing {cfg.source.path}")
    ledger = read_ledger(uri, options)
    listing = list_raw_files(project.resolve_path(cfg.source.path), options)
    batch = ledger.last_batch + 1
    pending = [RawFile(**record) for record in batch_files(quarantine, batch, options)]
    current = {f.path: f for f in listing}
    if pending:
        say(f"finishing batch {batch}, whose quarantine commit landed before its data commit")
        moved = [f.path for f in pending if current.get(f.path) != f]
        if moved:
            raise DataRejectedError(
                f"{name}: batch {batch} was interrupted and these files changed since: {moved};"
                " restore them to finish the batch"
            )
        files = pending
    else:
        files = [f for f in listing if f.path not in ledger.files]
    result.changed_files = [
        f.path for f in listing if f.path in ledger.files and ledger.files[f.path] != f.as_record()
    ]
    result.already_loaded = sum(1 for f in listing if f.path in ledger.files)
    if not files:
        register_pending(project, name)  # a version committed by a run that died before this step
        result.seconds = time.perf_counter() - start
        return result

    from lakeshelf.session import spark_session

    spark = spark or spark_session(conf=project.lake.spark)
    say(f"parsing {len(files)} new file(s)")
    with raw_parse.unsplit_files(spark):
        parsed = raw_parse.parse(spark, cfg, files, options)
        rows = parsed.rows
        try:
            _load(
                spark, project, cfg, parsed, rows, files, batch, bool(pending), result, say, suite
            )
        finally:
            rows.unpersist()
    say(f"registering {name}@{result.version}")
    register_pending(project, name, spark)
    result.seconds = time.perf_counter() - start
    return result


def _load(
    spark: SparkSession,
    project: Project,
    cfg: DatasetConfig,
    parsed: raw_parse.ParsedBatch,
    rows: DataFrame,
    files: list[RawFile],
    batch: int,
    resuming: bool,
    result: IngestResult,
    say: Callable[[str], None],
    suite: dict[str, Any] | None = None,
) -> None:
    from pyspark.sql import functions as F

    from lakeshelf.write import write

    name = cfg.name
    # an unreadable file counts as one malformed record: its rows cannot be counted
    unreadable = len(parsed.unreadable)
    read = rows.count() + unreadable
    bad = (rows.where("_bad").count() if read > unreadable else 0) + unreadable
    result.rows_read, result.rows_quarantined = read, bad
    result.files = [f.path for f in files]
    result.empty_files, result.header_only_files = parsed.empty_files, parsed.header_only_files
    result.unreadable_files = dict(parsed.unreadable)
    result.new_columns, result.batch_id = parsed.extra_columns, batch
    if read and bad / read > cfg.max_bad_fraction:
        raise DataRejectedError(
            f"{name}: {bad} of {read} rows ({bad / read:.2%}) are malformed, more than"
            f" max_bad_fraction {cfg.max_bad_fraction:.2%}; nothing was committed.\n"
            + _examples(spark, parsed, rows)
        )
    now = dt.datetime.now(dt.timezone.utc)
    app = (f"lakeshelf-ingest/{name}", batch)
    record = {
        "batchId": batch,
        "files": [f.as_record() for f in files],
        "rowsRead": read,
        "rowsQuarantined": bad,
        "rowsLoaded": read - bad,
        "emptyFiles": parsed.empty_files,
        "changedFiles": result.changed_files,
        "newColumns": parsed.extra_columns,
        "unreadableFiles": parsed.unreadable,
    }
    metadata = {"dataset": name, "configHash": project.config_hashes.get(name), "ingest": record}
    options = project.lake.storage_options or None
    if bad and not resuming:
        say(f"quarantining {bad} malformed row(s)")
        result.quarantine_version = write(
            _quarantine_rows(spark, name, parsed, rows, batch, now),
            project.quarantine_uri(name),
            mode="append",
            metadata=metadata,
            app_transaction=app,
            storage_options=options,
        )
        crash_point("after-quarantine")
    say(f"committing {read - bad} row(s)")
    good = rows.where(~F.col("_bad")).select(
        *[F.col(f"`{c}`") for c in parsed.columns],
        F.col("_source_file"),
        F.lit(now).cast("timestamp").alias("_ingested_at"),
        F.lit(batch).cast("long").alias("_batch_id"),
    )
    result.version = write(
        good,
        project.table_uri(name),
        mode="append",
        partition_by=cfg.partition_by,
        schema_mode="merge" if cfg.schema_policy == "additive" else None,
        metadata=metadata,
        app_transaction=app,
        storage_options=options,
        audit=auditor(suite, f"{name} batch {batch}") if suite else None,
    )
    committed = log.committed_rows(project.table_uri(name), result.version, options)
    result.rows_loaded = -1 if committed is None else committed  # unknown fails reconciliation
    if result.rows_loaded + bad != read:
        raise LakeshelfError(
            f"{name}: counts do not reconcile: read {read}, loaded {result.rows_loaded},"
            f" quarantined {bad} (version {result.version})"
        )


def _quarantine_rows(
    spark: SparkSession,
    name: str,
    parsed: raw_parse.ParsedBatch,
    rows: DataFrame,
    batch: int,
    now: dt.datetime,
) -> DataFrame:
    from pyspark.sql import functions as F

    contexts = parsed.contexts

    def explain(raw, group):  # no type hints: PySpark would read them as a pandas UDF
        return raw_parse.reason(raw, contexts[group])

    why = F.udf(explain, "string")

    malformed = rows.where("_bad").select(
        F.lit(name).alias("dataset"),
        F.col("_source_file").alias("source_file"),
        F.col("_line").cast("long").alias("line"),
        F.col("_raw").alias("raw"),
        why(F.col("_raw"), F.col("_group")).alias("reason"),
        F.lit(batch).cast("long").alias("batch_id"),
        F.lit(now).cast("timestamp").alias("quarantined_at"),
    )
    if not parsed.unreadable:
        return malformed
    whole_files = spark.createDataFrame(
        [
            (name, path, None, None, f"unreadable file: {why_not}", batch, now)
            for path, why_not in sorted(parsed.unreadable.items())
        ],
        QUARANTINE_SCHEMA,
    )
    return malformed.unionByName(whole_files)


def _examples(spark: SparkSession, parsed: raw_parse.ParsedBatch, rows: DataFrame) -> str:
    sample = rows.where("_bad").select("_source_file", "_line", "_raw", "_group").limit(5).collect()
    lines = [f"  {path}: unreadable file: {why}" for path, why in sorted(parsed.unreadable.items())]
    lines += [
        f"  {r['_source_file']}:{r['_line']}:"
        f" {raw_parse.reason(r['_raw'], parsed.contexts[r['_group']])}"
        f" | {(r['_raw'] or '')[:80]!r}"
        for r in sample
    ]
    return "\n".join(lines)
