"""Computing a derived dataset from exact input versions: its transform (SQL over the input
names, or a Python function) run on Spark, nothing written. Shared by builds
(:mod:`lakeshelf.pipeline.transform`) and rebuilds (:mod:`lakeshelf.pipeline.reproduce`).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lakeshelf.errors import ConfigError, LakeshelfError
from lakeshelf.registry.code_version import sha256_text
from lakeshelf.table import read, read_record

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lakeshelf.config import DatasetConfig, Project


@dataclass(frozen=True)
class ResolvedInput:
    """One input of a derived dataset, pinned to an exact version."""

    dataset: str
    table: str
    version: int


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


def merged(current: DataFrame, result: DataFrame, keys: list[str]) -> DataFrame:
    """A merge build's rows: ``current``'s rows whose keys ``result`` lacks, then ``result``."""
    return current.join(result.select(*keys).distinct(), keys, "left_anti").unionByName(result)


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


def transform_hash(project: Project, cfg: DatasetConfig) -> str:
    """SHA-256 of the dataset's transform source (its SQL file or Python function)."""
    return sha256_text(_transform_source(project, cfg))


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
