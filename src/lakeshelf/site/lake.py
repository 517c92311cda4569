"""What the site's pages show, read from the registry and the tables' logs, never from data.

A :class:`LakeView` reads each registry table once and each dataset's log and profiles when a
page first needs them, so one build (or one request of the server) reads everything once.
Nothing here starts Spark: profiles published before profiles existed show as missing (the
CLI's ``lakeshelf profile`` computes them).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from lakeshelf import timestamps
from lakeshelf.errors import LakeshelfError
from lakeshelf.gate.suites import dataset_suite
from lakeshelf.observe.drift import DriftReport, Thresholds, drift, thresholds_for
from lakeshelf.registry import store
from lakeshelf.registry.kept import Pin, pins_of
from lakeshelf.table import RefusedPublish, history, refused_publishes

if TYPE_CHECKING:
    from lakeshelf.config import DatasetConfig, Project
    from lakeshelf.registry.profile import ColumnProfile

#: How far back the lake page lists refused publishes.
REFUSED_DAYS = 7


@dataclass(frozen=True)
class VersionView:
    """One commit of a dataset's table with what the registry knows of it."""

    dataset: str
    version: int
    committed: str  # ISO-8601 UTC
    operation: str
    record: store.VersionRecord | None  # None: committed but not published (e.g. OPTIMIZE)
    previous: int | None  # the published version before it
    schema_changed: bool  # its schema differs from the previous published version's
    tags: list[str] = field(default_factory=list)
    kept_by: list[str] = field(default_factory=list)

    @property
    def gate(self) -> str:
        """Its gate as a badge: pass | warn | no suite | unpublished (a refused publish has no
        version, so no version shows fail)."""
        if self.record is None:
            return "unpublished"
        state = self.record.gate_state
        return "warn" if "warning" in state else ("pass" if state == "passed" else state)

    @property
    def rows(self) -> int | None:
        """Its row count, as registered."""
        return self.record.row_count if self.record else None

    @property
    def inputs(self) -> list[tuple[str, str, int]]:
        """(alias, dataset, version) of every input it was built from."""
        return self.record.inputs if self.record else []

    @property
    def schema(self) -> list[dict[str, Any]]:
        """Its columns: name, type, nullable."""
        if self.record is None:
            return []
        fields = json.loads(self.record.schema_json).get("fields", [])
        return [
            {"name": f["name"], "type": _type_text(f["type"]), "nullable": f.get("nullable")}
            for f in fields
        ]


@dataclass(frozen=True)
class Refused:
    """A publish the gate refused, kept beside its table."""

    dataset: str
    publish: RefusedPublish

    @property
    def at(self) -> str:
        """When it was refused, ISO-8601 UTC."""
        return timestamps.iso_seconds(self.publish.refused_at)

    @property
    def failures(self) -> list[dict[str, Any]]:
        """The expectations and checks that failed (from its report)."""
        outcomes = self.publish.report.get("result") or []
        return [o for o in outcomes if not o.get("success")]

    @property
    def suite(self) -> str | None:
        """The suite that refused it (None when the audit failed before a suite ran)."""
        return self.publish.report.get("name")

    @property
    def error(self) -> str | None:
        """Why the audit could not run, when it could not."""
        return self.publish.report.get("error")


class LakeView:
    """A read-only view of one project's lake for the pages built from it."""

    def __init__(
        self, project: Project, drift_states: dict[str, dict[str, Any]] | None = None
    ) -> None:
        self.project = project
        self.drift_states = dict(drift_states or {})
        self.lake = project.lake_location
        self._profiles: dict[str, dict[int, list[ColumnProfile]]] = {}
        self._recorded: dict[str, dict[int, list[store.DriftMetrics]]] = {}
        self._drift: dict[tuple[str, int, int], DriftReport | None] = {}
        self._versions: dict[str, list[VersionView]] = {}
        self._thresholds: dict[str, Thresholds] = {}
        self._thresholds_keys: dict[str, str] = {}
        self._by_number: dict[str, dict[int, VersionView]] = {}

    @property
    def datasets(self) -> list[DatasetConfig]:
        """Every configured dataset, bronze to gold, by name."""
        order = {"bronze": 0, "silver": 1, "gold": 2}
        return sorted(self.project.datasets.values(), key=lambda d: (order[d.layer], d.name))

    @cached_property
    def records(self) -> dict[str, dict[int, store.VersionRecord]]:
        """Registered versions by dataset and version."""
        found: dict[str, dict[int, store.VersionRecord]] = defaultdict(dict)
        for record in store.records(self.lake):
            found[record.dataset][record.version] = record
        return found

    @cached_property
    def tags(self) -> dict[str, store.TagEvent]:
        """Current tags by name."""
        return store.tags(self.lake)

    @cached_property
    def releases(self) -> dict[str, list[store.ReleaseEntry]]:
        """Releases by name."""
        return store.releases(self.lake)

    @cached_property
    def pins(self) -> dict[tuple[str, int], list[Pin]]:
        """Why each kept version is kept."""
        by_dataset = self.records.values()
        return pins_of((r for v in by_dataset for r in v.values()), self.tags, self.releases)

    @cached_property
    def downstream(self) -> dict[tuple[str, int], list[tuple[str, int]]]:
        """Versions built from each version."""
        found: dict[tuple[str, int], list[tuple[str, int]]] = defaultdict(list)
        for by_version in self.records.values():
            for record in by_version.values():
                for _, dataset, version in record.inputs:
                    found[(dataset, version)].append((record.dataset, record.version))
        return found

    def versions(self, name: str) -> list[VersionView]:
        """Every commit of dataset ``name``'s table, newest first (none before its first)."""
        if name not in self._versions:
            self._versions[name] = self._read_versions(name)
        return self._versions[name]

    def version(self, name: str, version: int) -> VersionView:
        """One commit of ``name``.

        Raises:
            LakeshelfError: the table has no such version.
        """
        if name not in self._by_number:
            self._by_number[name] = {v.version: v for v in self.versions(name)}
        if version in self._by_number[name]:
            return self._by_number[name][version]
        raise LakeshelfError(f"{name}@{version} is not a version of {name}'s table")

    def latest(self, name: str) -> VersionView | None:
        """The newest published version of ``name``, from the registry alone (the lake page
        needs no table's log)."""
        if name in self._versions:
            return next((v for v in self._versions[name] if v.record is not None), None)
        published = self.records.get(name, {})
        if not published:
            return None
        numbers = sorted(published)
        record = published[numbers[-1]]
        before = published[numbers[-2]] if len(numbers) > 1 else None
        # the registry does not record the operation; versions() reads it from the log
        tagged = _tags_by_version(self.tags, name)
        return self._view(name, record.version, record.commit_timestamp, "", record, before, tagged)

    def profile(self, name: str, version: int) -> list[ColumnProfile]:
        """The stored profile of one version (empty when none was stored)."""
        if name not in self._profiles:
            grouped: dict[int, list[ColumnProfile]] = defaultdict(list)
            for column in store.profiles(self.lake, name):
                grouped[column.version].append(column)
            self._profiles[name] = grouped
        return self._profiles[name].get(version, [])

    def thresholds(self, name: str) -> Thresholds:
        """The dataset's drift thresholds (the site judges drift as ``lakeshelf drift`` does)."""
        if name not in self._thresholds:
            self._thresholds[name] = thresholds_for(self.project, name)
        return self._thresholds[name]

    def thresholds_key(self, name: str) -> str:
        """The dataset's thresholds as stable text (the same in every process)."""
        if name not in self._thresholds_keys:
            values = dataclasses.asdict(self.thresholds(name))
            self._thresholds_keys[name] = json.dumps(values, sort_keys=True, default=sorted)
        return self._thresholds_keys[name]

    def drift(self, name: str, reference: int, current: int) -> DriftReport | None:
        """Drift of ``current`` against ``reference`` from stored profiles, with the statistics
        recorded at publish where the pair has them; None without both profiles."""
        key = (name, reference, current)
        if key not in self._drift:
            before, after = self.profile(name, reference), self.profile(name, current)
            self._drift[key] = (
                drift(
                    before,
                    after,
                    self.thresholds(name),
                    reference_name=f"{name}@{reference}",
                    current_name=f"{name}@{current}",
                    statistics=self.recorded_statistics(name, reference, current),
                )
                if before and after
                else None
            )
        return self._drift[key]

    def recorded_statistics(
        self, name: str, reference: int, current: int
    ) -> dict[str, dict[str, float | None]]:
        """The drift statistics of ``current`` against ``reference`` recorded at publish, by
        column (empty when that pair has none)."""
        if name not in self._recorded:
            self._recorded[name] = store.drift_metrics(self.lake, name)
        rows = self._recorded[name].get(current, [])
        return {row.column: row.statistics for row in rows if row.reference == reference}

    def drift_from_previous(self, view: VersionView) -> DriftReport | None:
        """Drift of a published version against the published version before it."""
        if view.previous is None or view.record is None:
            return None
        return self.drift(view.dataset, view.previous, view.version)

    def drift_state(self, view: VersionView) -> dict[str, Any] | None:
        """Whether a published version drifted against the one before it, and how many columns
        did: ``{"drifted", "text"}``; None without both profiles.

        Kept in :attr:`drift_states` (keyed ``<dataset>:<digest of the pair's fingerprints and
        the thresholds>``), so a site
        rebuilt from an earlier build's states computes only new pairs' drift.
        """
        if view.previous is None or view.record is None:
            return None
        before = self.records[view.dataset][view.previous]
        key = (
            f"{view.dataset}:"
            + hashlib.sha256(
                json.dumps(
                    [before.fingerprint, view.record.fingerprint, self.thresholds_key(view.dataset)]
                ).encode("utf-8")
            ).hexdigest()[:32]
        )
        if key not in self.drift_states:
            report = self.drift_from_previous(view)
            if report is None:
                return None  # not kept: a profile computed later makes it known
            self.drift_states[key] = {
                "drifted": report.drifted,
                "text": f"{report.drifted_columns}/{len(report.compared)} columns",
            }
        return self.drift_states[key]

    def release(self, name: str) -> None:
        """Forget what was read and computed for dataset ``name`` (its log, profiles, drift);
        the lake's registry tables stay read."""
        for cache in (self._profiles, self._recorded, self._versions, self._by_number):
            cache.pop(name, None)
        for key in [k for k in self._drift if k[0] == name]:
            del self._drift[key]

    def refused(self, name: str) -> list[Refused]:
        """Refused publishes of ``name``, newest first."""
        kept = refused_publishes(self.project.table(name))
        return [Refused(name, publish) for publish in reversed(kept)]

    def recent_refused(self, days: int = REFUSED_DAYS) -> list[Refused]:
        """Refused publishes of every dataset in the last ``days``, newest first."""
        since = timestamps.now().timestamp() - days * 86400
        found = [r for d in self.datasets for r in self.refused(d.name)]
        return sorted(
            (r for r in found if r.publish.refused_at >= since),
            key=lambda r: r.publish.refused_at,
            reverse=True,
        )

    def releases_of(self, name: str) -> list[tuple[str, int]]:
        """(release, version) of every release holding a version of ``name``."""
        return sorted(
            (release, int(entry.version or 0))
            for release, entries in self.releases.items()
            for entry in entries
            if entry.dataset == name
        )

    def suite(self, name: str) -> dict[str, Any] | None:
        """The suite ``name`` publishes with (None without one or when it cannot be read)."""
        try:
            return dataset_suite(self.project, name)
        except LakeshelfError:
            return None

    def config_text(self, name: str) -> str:
        """The dataset's configuration as it was loaded (YAML, settings left unset omitted)."""
        import yaml

        config = self.project.dataset(name).model_dump(
            mode="json", by_alias=True, exclude_none=True
        )
        return yaml.safe_dump(config, sort_keys=False)

    def _read_versions(self, name: str) -> list[VersionView]:
        table = self.project.table(name)
        if not table.filesystem().exists(table.path("_delta_log")):
            return []
        published = self.records.get(name, {})
        entries = sorted(history(table), key=lambda e: e.version)
        tagged = _tags_by_version(self.tags, name)
        views, previous = [], None
        for entry in entries:
            record = published.get(entry.version)
            views.append(
                self._view(
                    name, entry.version, entry.timestamp, entry.operation, record, previous, tagged
                )
            )
            if entry.version in published:
                previous = published[entry.version]
        return list(reversed(views))

    def _view(
        self,
        name: str,
        version: int,
        committed: str,
        operation: str,
        record: store.VersionRecord | None,
        previous: store.VersionRecord | None,
        tagged: dict[int, list[str]],
    ) -> VersionView:
        """Commit ``version`` of ``name``: its registry ``record`` (None if unpublished) and the
        published ``previous`` one; ``committed`` is used when there is no record."""
        changed = bool(record and previous and record.schema_hash != previous.schema_hash)
        return VersionView(
            dataset=name,
            version=version,
            committed=record.commit_timestamp if record else committed,
            operation=operation,
            record=record,
            previous=previous.version if previous and record else None,
            schema_changed=changed,
            tags=tagged.get(version, []),
            kept_by=[str(p) for p in self.pins.get((name, version), [])],
        )


def _tags_by_version(tags: dict[str, store.TagEvent], name: str) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    for tag, event in sorted(tags.items()):
        if event.dataset == name and event.version is not None:
            found[int(event.version)].append(tag)
    return found


def _type_text(spark_type: Any) -> str:
    """A schema field's type as Spark SQL text (nested types as compact JSON)."""
    if isinstance(spark_type, str):
        return spark_type
    kind = spark_type.get("type")
    if kind == "array":
        return f"array<{_type_text(spark_type['elementType'])}>"
    if kind == "map":
        return f"map<{_type_text(spark_type['keyType'])},{_type_text(spark_type['valueType'])}>"
    if kind == "struct":
        inner = ",".join(f"{f['name']}:{_type_text(f['type'])}" for f in spark_type["fields"])
        return f"struct<{inner}>"
    return json.dumps(spark_type)
