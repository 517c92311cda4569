"""Transform: derived (silver/gold) datasets built from exact versions of their inputs.

Every input ref is resolved to an exact version before anything runs; the transform (SQL over the
input names, or a Python function) runs on Spark; the result is committed as one new version whose
commitInfo records the lineage: input versions, code version, config and transform hashes. Running
the transform again against the recorded input versions gives the same rows
(:func:`reproduce`).
"""

from __future__ import annotations

import importlib
import inspect
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from lakeshelf.errors import ConfigError, LakeshelfError
from lakeshelf.observe.checks import publish_audit
from lakeshelf.registry import register_pending, resolve
from lakeshelf.registry.code_version import code_version, sha256_text
from lakeshelf.table import latest_version, read, read_record, write

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lakeshelf.config import DatasetConfig, Project


@dataclass(frozen=True)
class ResolvedInput:
    """One input of a derived dataset, pinned to an exact version."""

    dataset: str
    table: str
    version: int


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


def compute(
    project: Project, cfg: DatasetConfig, inputs: dict[str, ResolvedInput], spark: SparkSession
) -> DataFrame:
    """Run ``cfg``'s transform over ``inputs`` (nothing is written)."""
    frames = {
        alias: read(spark, project.table(inp.dataset), inp.version) for alias, inp in inputs.items()
    }
    transform = cfg.transform or ""
    if transform.startswith("python:"):
        return _python_transform(transform)(spark, frames)
    for alias, frame in frames.items():
        frame.createOrReplaceTempView(alias)
    return spark.sql(_sql_text(project, cfg))


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
        current = read(spark, table)
        keys = cfg.merge_keys
        result = current.join(result.select(*keys).distinct(), keys, "left_anti").unionByName(
            result
        )
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
        "transformHash": sha256_text(_transform_source(project, cfg)),
        "writeMode": cfg.write_mode,
    }


def recorded_lineage(project: Project, name: str, version: int) -> dict[str, Any]:
    """The lineage recorded in version ``version`` of dataset ``name``.

    Raises:
        LakeshelfError: that version records no lineage (not written by a build).
    """
    record = read_record(project.table(name), version)
    lineage = record.lineage if record is not None else None
    if not lineage:
        raise LakeshelfError(f"version {version} of {name} records no lineage (not a build)")
    return lineage


def reproduce(project: Project, name: str, version: int, spark: SparkSession) -> DataFrame:
    """Recompute version ``version`` of ``name`` from its recorded input versions.

    Only meaningful for overwrite builds: the result is the transform's output, which for an
    overwrite is the version's full contents.
    """
    cfg = project.dataset(name)
    lineage = recorded_lineage(project, name, version)
    inputs = {alias: ResolvedInput(**data) for alias, data in lineage["inputs"].items()}
    return compute(project, cfg, inputs, spark)


def _sql_text(project: Project, cfg: DatasetConfig) -> str:
    path = project.conf_dir / (cfg.transform or "")
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"dataset {cfg.name}: cannot read transform {path}: {exc}") from None


def _python_transform(spec: str) -> Callable[..., DataFrame]:
    target = spec.removeprefix("python:").strip()
    module_name, _, function_name = target.partition(":")
    try:
        function = getattr(importlib.import_module(module_name), function_name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ConfigError(
            f"transform {spec!r}: cannot load {target} ({exc}); use python: package.module:function"
        ) from None
    return function


def _transform_source(project: Project, cfg: DatasetConfig) -> str:
    transform = cfg.transform or ""
    if transform.startswith("python:"):
        return inspect.getsource(_python_transform(transform))
    return _sql_text(project, cfg)
