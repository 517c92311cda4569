"""Validating an existing version against a quality suite, outside any publish (the CI gate).

For a registered dataset version the result also carries the drift and metric-history checks
its publish was judged by (``lakeshelf_*`` outcomes, as recorded then): they compared the
version with what came before it, which a later validation cannot re-judge.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lakeshelf.config import project_of
from lakeshelf.errors import ConfigError
from lakeshelf.gate import Outcome, SuiteResult, dataset_suite, load_suite, run_suite
from lakeshelf.registry import store
from lakeshelf.registry.refs import parse_ref
from lakeshelf.registry.resolve import Resolved, is_location, resolve
from lakeshelf.table import read

if TYPE_CHECKING:
    import os

    from pyspark.sql import SparkSession

    from lakeshelf.config import Project


@dataclass(frozen=True)
class Validation:
    """A version checked against a suite, outside any publish."""

    pinned: Resolved
    result: SuiteResult

    @property
    def passed(self) -> bool:
        """True when no blocking expectation failed."""
        return self.result.passed


def validate(
    ref: str,
    *,
    conf: str | os.PathLike[str] | Project | None = None,
    suite: str | os.PathLike[str] | None = None,
    spark: SparkSession,
) -> Validation:
    """Validate an existing version (``DATASET@AT`` or ``PATH@AT``) against a suite.

    The suite is ``suite`` (a suite JSON file) or, for a dataset, the one its config names.

    Raises:
        ConfigError: a bad ref, or no suite for it.
    """
    parsed = parse_ref(ref)
    project = None if is_location(parsed.table) else project_of(conf)
    pinned = resolve(parsed, project)
    if suite is not None:
        rules = load_suite(Path(suite))
    elif project is not None and pinned.dataset is not None:
        rules = dataset_suite(project, pinned.dataset)
    else:
        rules = None
    if rules is None:
        raise ConfigError(f"{ref}: no suite configured for it; pass --suite FILE")
    frame = read(spark, pinned.location, pinned.version)
    result = run_suite(frame, rules)
    if project is not None and pinned.dataset is not None:
        result.outcomes.extend(_recorded_checks(project, pinned))
    return Validation(pinned, result)


def _recorded_checks(project: Project, pinned: Resolved) -> list[Outcome]:
    """The drift and history-check outcomes recorded when ``pinned`` was published."""
    assert pinned.dataset is not None
    registered = [
        r
        for r in store.records(project.lake_location, pinned.dataset)
        if r.version == pinned.version
    ]
    if not registered:
        return []
    return [
        Outcome(**outcome)
        for outcome in registered[0].outcomes
        if str(outcome.get("type", "")).startswith("lakeshelf_")
    ]
