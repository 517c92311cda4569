"""Reproduce: rebuild a published version from what it recorded, into a scratch table, and
prove the rebuild identical by fingerprint.

A bronze version is rebuilt from the raw files its ingests recorded, batch by batch, when they
are all still there unchanged (otherwise it says which are gone); its rows are compared on
every column but the load time, which a rebuild cannot give back.

The rebuild runs the dataset's transform over the exact input versions the version's lineage
records (pins keep those through vacuum: :mod:`lakeshelf.registry.pins`). It proves something
only if the transform and the dataset's configuration are the ones that built the version, so
both must hash as recorded; otherwise the rebuild is refused, naming the git commit the version
was built from, unless the caller allows a code change (and the result says so). The rebuild is
written to a scratch location, never to a dataset's table.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lakeshelf import timestamps
from lakeshelf.errors import ConfigError, LakeshelfError
from lakeshelf.pipeline.compute import (
    ResolvedInput,
    compute,
    merged,
    recorded_lineage,
    transform_hash,
)
from lakeshelf.registry import store
from lakeshelf.registry.diff import diff_rows
from lakeshelf.registry.fingerprint import fingerprint
from lakeshelf.registry.resolve import resolve_dataset
from lakeshelf.storage import Location
from lakeshelf.table import latest_version, read, write

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lakeshelf.config import Project

SCRATCH_DIR = "_reproduce"


class CodeChangedError(ConfigError):
    """The transform or configuration no longer hashes as the version recorded (exit 2)."""


@dataclass(frozen=True)
class Reproduction:
    """A rebuilt version against the published one."""

    ref: str  # dataset@version
    into: str  # the scratch table the rebuild was written to
    registered: str  # the published version's fingerprint
    rebuilt: str  # the rebuild's fingerprint
    code_changes: list[str] = field(default_factory=list)  # what ran changed (allowed)
    columns_differing: dict[str, int] = field(default_factory=dict)  # unmatched values
    compared: str = "every column"  # what the fingerprints cover

    @property
    def identical(self) -> bool:
        """True when the rebuild has exactly the published rows."""
        return self.registered == self.rebuilt


def reproduce(
    project: Project,
    ref: str,
    spark: SparkSession,
    *,
    into: str | None = None,
    allow_code_change: bool = False,
) -> Reproduction:
    """Rebuild version ``ref`` from what it recorded and compare fingerprints: a built version
    from its recorded input versions, a bronze one from its recorded raw files.

    Args:
        into: where to write the rebuild (default ``<lake>/_reproduce/<name>-v<N>-<time>``);
            it must not hold a table already.
        allow_code_change: rebuild even if the transform or config changed since.

    Raises:
        CodeChangedError: the transform or config changed and ``allow_code_change`` is not set.
        ConfigError: the ref is not a published version, or ``into`` is taken.
        LakeshelfError: an input version cannot be read any more (it was vacuumed unpinned).
        RawFilesGone: a bronze version's raw files are gone or changed.
    """
    pinned = resolve_dataset(ref, project, "reproduce")
    name, version = pinned.dataset or "", pinned.version
    record = store.record_of(project.lake_location, name, version)
    cfg = project.dataset(name)
    target = _scratch(project, name, version, into)
    if cfg.layer == "bronze":
        return _reproduce_bronze(project, name, version, target, spark)
    lineage = recorded_lineage(project, name, version)
    changes = _code_changes(project, name, lineage)
    if changes and not allow_code_change:
        verb = "do" if len(changes) > 1 else "does"
        raise CodeChangedError(
            f"{name}@{version} was built by other code: today's {' and '.join(changes)} {verb}"
            f" not match the hash it recorded. Check out {_recorded_commit(lineage)} and run"
            " again, or pass --allow-code-change to rebuild with today's code anyway"
        )
    rebuilt_rows = _rebuilt(project, name, version, lineage, spark)
    write(rebuilt_rows, target, mode="overwrite", partition_by=cfg.partition_by)
    published = read(spark, project.table(name), version)
    result = Reproduction(
        f"{name}@{version}", target.uri, record.fingerprint, "", changes, compared="every column"
    )
    return _compared(result, published, read(spark, target))


def _compared(result: Reproduction, published: DataFrame, rebuilt: DataFrame) -> Reproduction:
    """``result`` with the rebuild's fingerprint and, if it differs from the published one,
    each column's count of values without an equal on the other side."""
    found = dataclasses.replace(result, rebuilt=fingerprint(rebuilt))
    if found.identical:
        return found
    summary = diff_rows(published, rebuilt).summary
    differing = {c: n for c, n in summary.columns_changed.items() if n}
    return dataclasses.replace(found, columns_differing=differing)


class RawFilesGone(LakeshelfError):
    """A bronze version's raw files are gone or changed, so it cannot be rebuilt (exit 1)."""


#: The ingest column a rebuild cannot give back: when the rows were loaded.
LOAD_TIME = "_ingested_at"


def _reproduce_bronze(
    project: Project, name: str, version: int, target: Location, spark: SparkSession
) -> Reproduction:
    """Parse the raw files every ingest up to ``version`` recorded, batch by batch, and compare
    the rows with the version's on every column but the load time."""
    from pyspark.sql import functions as F

    from lakeshelf.pipeline.parse import parse

    cfg = project.dataset(name)
    assert cfg.source is not None
    batches = _recorded_batches(project.table(name), name, version)
    source = Location.of(project.resolve_path(cfg.source.path), project.lake.storage_options)
    _check_raw_files(name, version, source, [f for _, files in batches for f in files])
    frames = []
    for batch_id, files in batches:
        parsed = parse(spark, cfg, files, source)
        frames.append(
            parsed.rows.where(~F.col("_bad")).select(
                *[F.col(f"`{c}`") for c in parsed.columns],
                F.col("_source_file"),
                F.lit(batch_id).cast("long").alias("_batch_id"),
            )
        )
    rebuilt_rows = frames[0]
    for frame in frames[1:]:
        rebuilt_rows = rebuilt_rows.unionByName(frame, allowMissingColumns=True)
    write(rebuilt_rows, target, mode="overwrite")
    published = read(spark, project.table(name), version).drop(LOAD_TIME)
    result = Reproduction(
        f"{name}@{version}",
        target.uri,
        fingerprint(published),
        "",
        compared=f"every column but {LOAD_TIME}",
    )
    return _compared(result, published, read(spark, target))


def _recorded_batches(table: Location, name: str, version: int) -> list[tuple[int, list[Any]]]:
    """(batch id, raw files) of every ingest up to ``version``.

    Raises:
        LakeshelfError: a commit up to ``version`` changed rows other than by an ingest.
    """
    from lakeshelf.pipeline.sources import RawFile
    from lakeshelf.table import read_record

    batches = []
    for number in range(version + 1):
        record = read_record(table, number)
        if record is None:
            continue
        if record.ingest is not None:
            files = [RawFile(**f) for f in record.ingest.get("files", [])]
            batches.append((int(record.ingest["batchId"]), files))
        elif record.operation != "OPTIMIZE":  # a compaction keeps the rows
            raise LakeshelfError(
                f"{name}@{version} is not only loads of raw files: version {number} is a"
                f" {record.operation}; 'lakeshelf verify {name}@{version}' proves its data"
                " unchanged"
            )
    return batches


def _check_raw_files(name: str, version: int, source: Location, recorded: list[Any]) -> None:
    """Every recorded raw file is still there, unchanged."""
    from lakeshelf.pipeline.sources import list_raw_files

    current = {f.path: f for f in list_raw_files(source)}
    gone = [f.path for f in recorded if f.path not in current]
    changed = [f.path for f in recorded if f.path in current and current[f.path] != f]
    if gone or changed:
        said = []
        if gone:
            said.append(f"{len(gone)} of {len(recorded)} raw files are gone: {', '.join(gone)}")
        if changed:
            said.append(f"{len(changed)} changed since they were loaded: {', '.join(changed)}")
        raise RawFilesGone(
            f"{name}@{version} cannot be rebuilt from its raw files: " + "; ".join(said)
        )


def _code_changes(project: Project, name: str, lineage: dict[str, Any]) -> list[str]:
    """Which of the transform and the config no longer hash as the version recorded."""
    changes = []
    if lineage.get("transformHash") != transform_hash(project, project.dataset(name)):
        changes.append("transform")
    if lineage.get("configHash") != project.config_hashes.get(name):
        changes.append("config")
    return changes


def _recorded_commit(lineage: dict[str, Any]) -> str:
    code = lineage.get("code") or {}
    commit = code.get("commit")
    if not commit:
        return "the code it was built with (no git commit was recorded)"
    return f"git commit {commit}" + (" (it had uncommitted changes)" if code.get("dirty") else "")


def _scratch(project: Project, name: str, version: int, into: str | None) -> Location:
    """Where the rebuild goes: a fresh location, never a dataset's table."""
    lake = project.lake_location
    if into is None:
        stamp = timestamps.now_iso().replace(":", "").replace("-", "")
        return lake.child(SCRATCH_DIR, f"{name}-v{version}-{stamp}")
    target = Location.of(into, lake.options)
    for dataset in project.datasets:
        table = project.table(dataset)
        if table.contains(target.uri) or target.contains(table.uri):
            raise ConfigError(
                f"--into {into} is dataset {dataset}'s table: a rebuild never writes there;"
                " name a scratch location"
            )
    if latest_version(target) >= 0:
        raise ConfigError(f"--into {into} already holds a table: name an empty location")
    return target


def _rebuilt(
    project: Project, name: str, version: int, lineage: dict[str, Any], spark: SparkSession
) -> DataFrame:
    """The version's rows, rebuilt: the transform's result, on top of the version before it
    for an append or a merge (as the build wrote it)."""
    cfg = project.dataset(name)
    inputs = {alias: ResolvedInput(**data) for alias, data in lineage["inputs"].items()}
    result = compute(project, cfg, inputs, spark)
    mode = lineage.get("writeMode", "overwrite")
    if mode == "overwrite" or version == 0:
        return result
    try:
        previous = read(spark, project.table(name), version - 1)
    except LakeshelfError as exc:
        raise LakeshelfError(
            f"{name}@{version} was a {mode} onto version {version - 1}, which cannot be read"
            f" any more: {exc}"
        ) from None
    if mode == "merge":
        return merged(previous, result, cfg.merge_keys)
    return previous.unionByName(result)
