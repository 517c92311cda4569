"""Running every dataset of a project in dependency order."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lakeshelf.errors import ConfigError
from lakeshelf.registry import parse_ref

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakeshelf.config import Project


def dependency_order(project: Project) -> list[str]:
    """Dataset names so that every dataset comes after its inputs.

    Raises:
        ConfigError: an input names an unknown dataset, or inputs form a cycle.
    """
    needs = {
        name: sorted({parse_ref(ref).table for ref in cfg.inputs.values()})
        for name, cfg in project.datasets.items()
    }
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            raise ConfigError(
                f"datasets depend on each other in a cycle: {' -> '.join([*path, name])}"
            )
        if name not in project.datasets:
            raise ConfigError(f"{path[-1]} reads unknown dataset {name!r}")
        state[name] = "visiting"
        for dependency in needs[name]:
            visit(dependency, [*path, name])
        state[name] = "done"
        order.append(name)

    for name in sorted(project.datasets):
        visit(name, [])
    return order


def run(
    project: Project,
    *,
    spark: SparkSession | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[Any]:
    """Ingest every bronze dataset and build every derived one, inputs first."""
    from lakeshelf.pipeline.ingest import ingest
    from lakeshelf.pipeline.transform import build

    results = []
    for name in dependency_order(project):
        step = ingest if project.datasets[name].layer == "bronze" else build
        results.append(step(project, name, spark=spark, progress=progress))
    return results
