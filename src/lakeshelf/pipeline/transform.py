"""Transform: derived (silver/gold) datasets built from exact versions of their inputs.

Every input ref is resolved to an exact version before anything runs; the transform (SQL over the
input names, or a Python function) runs on Spark; the result is committed as one new version whose
commitInfo records the lineage: input versions, code version, config and transform hashes. Running
the transform again against the recorded input versions gives the same rows
(:mod:`lakeshelf.pipeline.reproduce`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from lakeshelf.errors import ConfigError
from lakeshelf.observe.checks import publish_audit
from lakeshelf.observe.recorded import record_drift
from lakeshelf.pipeline.compute import (
    ResolvedInput,
    compute,
    merged,
    transform_hash,
)
from lakeshelf.pipeline.lineage_events import publish_run
from lakeshelf.registry import register_pending, resolve
from lakeshelf.registry.code_version import code_version
from lakeshelf.table import latest_version, read, read_record, write

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakeshelf.config import DatasetConfig, Project


@dataclass
class BuildResult:
    """What one build did."""

    dataset: str
    table: str
    version: int
    inputs: dict[str, ResolvedInput] = field(default_factory=dict)
    rows: int = 0
    seconds: float = 0.0


def resolve_inputs(project: Project, cfg: DatasetConfig) -> dict[str, ResolvedInput]:
    """Pin each input ref of ``cfg`` to an exact version.

    Raises:
        ConfigError: a ref names an unknown dataset or is malformed.
        VersionNotFoundError, TableNotFoundError: the version or table does not exist.
    """
    resolved = {}
    for alias, text in cfg.inputs.items():
        pinned = resolve(text, project)
        if pinned.dataset is None:
            raise ConfigError(f"{cfg.name}: input {alias}={text!r} must name a dataset, not a path")
        resolved[alias] = ResolvedInput(pinned.dataset, pinned.uri, pinned.version)
    return resolved


def build(
    project: Project,
    name: str,
    *,
    spark: SparkSession | None = None,
    progress: Callable[[str], None] | None = None,
) -> BuildResult:
    """Build derived dataset ``name`` as one new version; return what was committed.

    Raises:
        ConfigError: ``name`` is not a derived dataset, or its transform cannot be loaded.
        GateFailedError: the dataset's suite refused the result; nothing committed.
    """
    project.dataset(name)  # an unknown dataset is a usage error, not a failed run
    with publish_run(project, name, "build") as run:
        result = _build(project, name, spark=spark, progress=progress)
        run.published(result.version, [(i.dataset, i.version) for i in result.inputs.values()])
    return result


def _build(
    project: Project,
    name: str,
    *,
    spark: SparkSession | None,
    progress: Callable[[str], None] | None,
) -> BuildResult:
    from lakeshelf.session import spark_session

    start = time.perf_counter()
    say = progress or (lambda _message: None)
    cfg = project.dataset(name)
    if cfg.layer == "bronze":
        raise ConfigError(f"{name} is a bronze dataset: load it with 'lakeshelf ingest {name}'")
    audit = publish_audit(project, name, f"build of {name}", appends=cfg.write_mode == "append")
    inputs = resolve_inputs(project, cfg)
    say("inputs: " + ", ".join(f"{a}={i.dataset}@{i.version}" for a, i in inputs.items()))
    spark = spark or spark_session(conf=project.lake.spark)
    result = compute(project, cfg, inputs, spark)
    table = project.table(name)
    say(f"writing {name} ({cfg.write_mode})")
    if cfg.write_mode == "merge" and latest_version(table) >= 0:
        result = merged(read(spark, table), result, cfg.merge_keys)
    mode = "append" if cfg.write_mode == "append" else "overwrite"
    version = write(
        result,
        table,
        mode=mode,
        partition_by=cfg.partition_by,
        schema_mode="overwrite" if mode == "overwrite" else None,
        metadata={"dataset": name, "lineage": lineage_record(project, cfg, inputs)},
        audit=audit,
    )
    record = read_record(table, version)
    rows = (record.rows if record else None) or 0
    say(f"registering {name}@{version}")
    register_pending(project, name, spark)
    record_drift(project, name)
    return BuildResult(name, table.uri, version, inputs, rows, time.perf_counter() - start)


def lineage_record(
    project: Project, cfg: DatasetConfig, inputs: dict[str, ResolvedInput]
) -> dict[str, Any]:
    """The lineage a build records in its commit."""
    return {
        "inputs": {alias: asdict(inp) for alias, inp in inputs.items()},
        "code": code_version(project.root),
        "configHash": project.config_hashes.get(cfg.name),
        "transform": cfg.transform,
        "transformHash": transform_hash(project, cfg),
        "writeMode": cfg.write_mode,
    }
