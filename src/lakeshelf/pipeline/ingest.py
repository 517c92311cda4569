"""Extract + load: raw files into a bronze Delta table, incrementally and exactly once.

One run loads the raw files not loaded before as one batch:

1. List the source glob; compare with the ledger (the files recorded in the table's own commits).
2. Parse the new files; malformed rows are flagged with file, line and raw text.
3. If the malformed fraction exceeds ``max_bad_fraction``, stop: nothing is committed.
4. Commit malformed rows to the dataset's malformed-rows table, recording the batch's files.
5. Commit the good rows to the bronze table (gated by the dataset's suite) with the batch's files
   and Delta's ``txn`` action (app id ``lakeshelf-ingest/<dataset>``, version = batch id) in the
   same commit.

A crash before step 5 leaves the files unrecorded in the bronze table, so the next run loads them;
if step 4 had committed, the next run reuses exactly that batch's file list and does not record
its malformed rows twice. A crash after step 5 leaves them recorded, so the next run skips them.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lakeshelf.errors import ConfigError, DataRejectedError, LakeshelfError
from lakeshelf.faults import crash_point
from lakeshelf.gate import dataset_suite
from lakeshelf.observe.checks import publish_audit
from lakeshelf.observe.recorded import record_drift
from lakeshelf.pipeline import reasons
from lakeshelf.pipeline.ledger import batch_files, read_ledger
from lakeshelf.pipeline.lineage_events import publish_run
from lakeshelf.pipeline.parse import parse, unsplit_files
from lakeshelf.pipeline.sources import RawFile, list_raw_files
from lakeshelf.registry import register_pending
from lakeshelf.storage import Location
from lakeshelf.table import read_record, write

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lakeshelf.config import DatasetConfig, Project
    from lakeshelf.pipeline.parsed import ParsedBatch
    from lakeshelf.table.write import Audit

MALFORMED_SCHEMA = (
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
    quarantine_table: str | None = None  # the malformed-rows table
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


@dataclass
class _Batch:
    """One batch of raw files on its way into a bronze table."""

    project: Project
    cfg: DatasetConfig
    files: list[RawFile]
    batch_id: int
    resuming: bool  # its malformed rows were committed by a run that died before its data
    result: IngestResult

    @property
    def table(self) -> Location:
        return self.project.table(self.cfg.name)

    @property
    def malformed(self) -> Location:
        return self.project.malformed_table(self.cfg.name)


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
        GateFailedError: the dataset's suite refused the batch; nothing committed.
    """
    project.dataset(name)  # an unknown dataset is a usage error, not a failed run
    with publish_run(project, name, "ingest") as run:
        result = _ingest(project, name, spark=spark, progress=progress)
        cfg = project.dataset(name)
        if cfg.source is not None:
            run.raw_source = project.resolve_path(cfg.source.path)
        run.published(result.version)
    return result


def _ingest(
    project: Project,
    name: str,
    *,
    spark: SparkSession | None,
    progress: Callable[[str], None] | None,
) -> IngestResult:
    from lakeshelf.session import spark_session

    start = time.perf_counter()
    say = progress or (lambda _message: None)
    cfg = project.dataset(name)
    if cfg.layer != "bronze" or cfg.source is None:
        raise ConfigError(
            f"{name} is a {cfg.layer} dataset: build it with 'lakeshelf build {name}'"
        )
    dataset_suite(project, name)  # an unreadable suite is a config error before any listing
    source = Location.of(project.resolve_path(cfg.source.path), project.lake.storage_options)
    say(f"listing {cfg.source.path}")
    batch = _next_batch(project, cfg, source, say)
    audit = publish_audit(project, name, f"{name} batch {batch.batch_id}", appends=True)
    if batch.files:
        spark = spark or spark_session(conf=project.lake.spark)
        say(f"parsing {len(batch.files)} new file(s)")
        with unsplit_files(spark):
            parsed = parse(spark, cfg, batch.files, source)
            try:
                _load(spark, batch, parsed, audit, say)
            finally:
                parsed.rows.unpersist()
        say(f"registering {name}@{batch.result.version}")
    # also registers a version committed by a run that died before registering it
    session = spark or (lambda: spark_session(conf=project.lake.spark))
    register_pending(project, name, session)
    record_drift(project, name)
    batch.result.seconds = time.perf_counter() - start
    return batch.result


def _next_batch(
    project: Project, cfg: DatasetConfig, source: Location, say: Callable[[str], None]
) -> _Batch:
    """The files this run loads: an interrupted batch's, or every file not loaded before."""
    table, malformed = project.table(cfg.name), project.malformed_table(cfg.name)
    result = IngestResult(cfg.name, table.uri, quarantine_table=malformed.uri)
    ledger = read_ledger(table)
    listing = list_raw_files(source)
    batch_id = ledger.last_batch + 1
    pending = [RawFile(**record) for record in batch_files(malformed, batch_id)]
    if pending:
        say(f"finishing batch {batch_id}, whose malformed rows landed before its data")
        current = {f.path: f for f in listing}
        moved = [f.path for f in pending if current.get(f.path) != f]
        if moved:
            raise DataRejectedError(
                f"{cfg.name}: batch {batch_id} was interrupted and these files changed since:"
                f" {moved}; restore them to finish the batch"
            )
        files = pending
    else:
        files = [f for f in listing if f.path not in ledger.files]
    result.changed_files = [
        f.path for f in listing if f.path in ledger.files and ledger.files[f.path] != f.as_record()
    ]
    result.already_loaded = sum(1 for f in listing if f.path in ledger.files)
    return _Batch(project, cfg, files, batch_id, bool(pending), result)


def _load(
    spark: SparkSession,
    batch: _Batch,
    parsed: ParsedBatch,
    audit: Audit | None,
    say: Callable[[str], None],
) -> None:
    """Count, check, and commit the malformed rows, then the good rows; reconcile the counts."""
    read, bad = _count(batch, parsed)
    if read and bad / read > batch.cfg.max_bad_fraction:
        raise DataRejectedError(
            f"{batch.cfg.name}: {bad} of {read} rows ({bad / read:.2%}) are malformed, more than"
            f" max_bad_fraction {batch.cfg.max_bad_fraction:.2%}; nothing was committed.\n"
            + _examples(parsed)
        )
    now = dt.datetime.now(dt.timezone.utc)
    metadata = _commit_metadata(batch, parsed, read, bad)
    app = (f"lakeshelf-ingest/{batch.cfg.name}", batch.batch_id)
    if bad and not batch.resuming:
        say(f"recording {bad} malformed row(s)")
        batch.result.quarantine_version = write(
            _malformed_rows(spark, batch, parsed, now),
            batch.malformed,
            mode="append",
            metadata=metadata,
            app_transaction=app,
        )
        crash_point("after-quarantine")
    say(f"committing {read - bad} row(s)")
    batch.result.version = write(
        _good_rows(batch, parsed, now),
        batch.table,
        mode="append",
        partition_by=batch.cfg.partition_by,
        schema_mode="merge" if batch.cfg.schema_policy == "additive" else None,
        metadata=metadata,
        app_transaction=app,
        audit=audit,
    )
    _reconcile(batch, read, bad)


def _count(batch: _Batch, parsed: ParsedBatch) -> tuple[int, int]:
    """Rows read and rows malformed; an unreadable file counts as one malformed record."""
    unreadable = len(parsed.unreadable)
    read = parsed.rows.count() + unreadable
    bad = (parsed.rows.where("_bad").count() if read > unreadable else 0) + unreadable
    result = batch.result
    result.rows_read, result.rows_quarantined = read, bad
    result.files = [f.path for f in batch.files]
    result.empty_files, result.header_only_files = parsed.empty_files, parsed.header_only_files
    result.unreadable_files = dict(parsed.unreadable)
    result.new_columns, result.batch_id = parsed.extra_columns, batch.batch_id
    return read, bad


def _commit_metadata(batch: _Batch, parsed: ParsedBatch, read: int, bad: int) -> dict[str, Any]:
    """What both commits of the batch record: the dataset, its config hash and the ledger entry."""
    entry = {
        "batchId": batch.batch_id,
        "files": [f.as_record() for f in batch.files],
        "rowsRead": read,
        "rowsQuarantined": bad,
        "rowsLoaded": read - bad,
        "emptyFiles": parsed.empty_files,
        "changedFiles": batch.result.changed_files,
        "newColumns": parsed.extra_columns,
        "unreadableFiles": parsed.unreadable,
    }
    name = batch.cfg.name
    return {"dataset": name, "configHash": batch.project.config_hashes.get(name), "ingest": entry}


def _good_rows(batch: _Batch, parsed: ParsedBatch, now: dt.datetime) -> DataFrame:
    from pyspark.sql import functions as F

    return parsed.rows.where(~F.col("_bad")).select(
        *[F.col(f"`{c}`") for c in parsed.columns],
        F.col("_source_file"),
        F.lit(now).cast("timestamp").alias("_ingested_at"),
        F.lit(batch.batch_id).cast("long").alias("_batch_id"),
    )


def _reconcile(batch: _Batch, read: int, bad: int) -> None:
    """Rows read must equal rows loaded plus rows quarantined, as the commit recorded them."""
    result = batch.result
    assert result.version is not None
    record = read_record(batch.table, result.version)
    loaded = record.rows if record is not None else None
    result.rows_loaded = -1 if loaded is None else loaded  # unknown fails reconciliation
    if result.rows_loaded + bad != read:
        raise LakeshelfError(
            f"{batch.cfg.name}: counts do not reconcile: read {read}, loaded {result.rows_loaded},"
            f" quarantined {bad} (version {result.version})"
        )


def _malformed_rows(
    spark: SparkSession, batch: _Batch, parsed: ParsedBatch, now: dt.datetime
) -> DataFrame:
    from pyspark.sql import functions as F

    contexts = parsed.contexts

    def explain(raw, group):  # no type hints: PySpark would read them as a pandas UDF
        return reasons.reason(raw, contexts[group])

    why = F.udf(explain, "string")
    name = batch.cfg.name
    malformed = parsed.rows.where("_bad").select(
        F.lit(name).alias("dataset"),
        F.col("_source_file").alias("source_file"),
        F.col("_line").cast("long").alias("line"),
        F.col("_raw").alias("raw"),
        why(F.col("_raw"), F.col("_group")).alias("reason"),
        F.lit(batch.batch_id).cast("long").alias("batch_id"),
        F.lit(now).cast("timestamp").alias("quarantined_at"),
    )
    if not parsed.unreadable:
        return malformed
    whole_files = spark.createDataFrame(
        [
            (name, path, None, None, f"unreadable file: {why_not}", batch.batch_id, now)
            for path, why_not in sorted(parsed.unreadable.items())
        ],
        MALFORMED_SCHEMA,
    )
    return malformed.unionByName(whole_files)


def _examples(parsed: ParsedBatch) -> str:
    sample = (
        parsed.rows.where("_bad")
        .select("_source_file", "_line", "_raw", "_group")
        .limit(5)
        .collect()
    )
    lines = [f"  {path}: unreadable file: {why}" for path, why in sorted(parsed.unreadable.items())]
    lines += [
        f"  {r['_source_file']}:{r['_line']}:"
        f" {reasons.reason(r['_raw'], parsed.contexts[r['_group']])}"
        f" | {(r['_raw'] or '')[:80]!r}"
        for r in sample
    ]
    return "\n".join(lines)
