"""The registry's tables: append-only Delta tables in the lake for published versions and tags.

``<lake>/_registry/versions`` holds one record per published dataset version: where it is, when it
was committed, its size, schema, content fingerprint, quality-suite result and lineage.
``<lake>/_registry/tags`` holds tag events (set, move, remove); a tag's current target is its
latest event. ``<lake>/_registry/releases`` holds releases: a named set of dataset versions
written in one commit, and their removals. ``<lake>/_registry/profiles`` holds one row per
dataset, version and column: the version's profile with its sketches
(:mod:`lakeshelf.registry.profile`), partitioned by dataset. ``<lake>/_registry/drift`` holds
the drift statistics of each published version against the published version before it, one
row per column both have (:mod:`lakeshelf.observe.recorded` writes them), partitioned by
dataset.
All are ordinary Delta tables, so the registry itself is versioned and auditable.
They are tiny and written by delta-rs directly (no Spark job per record), through the same
exactly-once commit loop as table writes; registration of a dataset version is idempotent
through Delta's ``txn`` action (app ``lakeshelf-registry/<dataset>``).
"""

from __future__ import annotations

import dataclasses
import getpass
import json
import socket
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any

from lakeshelf import timestamps
from lakeshelf.errors import ConfigError, LakeshelfError
from lakeshelf.names import check_label
from lakeshelf.registry.profile import ColumnProfile
from lakeshelf.table import latest_version, load_snapshot, snapshot_arrow
from lakeshelf.table.commit_info import build as build_commit_info
from lakeshelf.table.delta_log import commit_hooks
from lakeshelf.table.retry import commit_with_retry
from lakeshelf.table.snapshot import open_table

if TYPE_CHECKING:
    from lakeshelf.storage import Location

REGISTRY_DIR = "_registry"


@dataclass(frozen=True)
class VersionRecord:
    """One published version of a dataset."""

    dataset: str
    table_uri: str
    version: int
    commit_timestamp: str  # ISO-8601 UTC, recorded at commit (survives copies of the lake)
    row_count: int
    schema_json: str
    schema_hash: str
    fingerprint: str
    suite_name: str | None
    suite_result: str | None  # JSON: per-expectation results, None without a suite
    lineage: str | None  # JSON: input dataset versions
    code_version: str | None  # JSON: {"commit", "dirty"}
    config_hash: str | None
    user: str
    host: str
    spark_app_id: str | None
    registered_at: str

    def as_manifest(self) -> dict[str, Any]:
        """The record as ML code logs it with a model (JSON fields parsed)."""
        data = asdict(self)
        for key in ("suite_result", "lineage", "code_version", "schema_json"):
            data[key] = json.loads(data[key]) if data[key] else None
        data["schema"] = data.pop("schema_json")
        return data

    @property
    def outcomes(self) -> list[dict[str, Any]]:
        """The suite's per-expectation results (empty without a suite)."""
        return json.loads(self.suite_result or "[]")

    @property
    def inputs(self) -> list[tuple[str, str, int]]:
        """(alias, dataset, version) of every input its lineage records, by alias."""
        found = json.loads(self.lineage) if self.lineage else {}
        return [(alias, i["dataset"], int(i["version"])) for alias, i in sorted(found.items())]

    @property
    def gate_state(self) -> str:
        """How it fared at its gate: passed, passed with warnings, or no suite."""
        if not self.suite_name:
            return "no suite"
        warned = sum(1 for o in self.outcomes if not o.get("success"))
        return f"passed ({warned} warning(s))" if warned else "passed"


@dataclass(frozen=True)
class TagEvent:
    """A tag set on, moved to, or removed from a dataset version."""

    tag: str
    dataset: str
    version: int | None
    action: str  # set | move | remove
    previous_version: int | None
    at: str
    user: str


@dataclass(frozen=True)
class ReleaseEntry:
    """One dataset version of a release, or a release's removal (``action`` "remove", no
    dataset). A release's entries are written in one commit: all of it exists, or none."""

    release: str
    action: str  # create | remove
    dataset: str | None
    version: int | None
    fingerprint: str | None
    table_uri: str | None
    at: str
    user: str


@dataclass(frozen=True)
class DriftMetrics:
    """The drift statistics of one column of ``dataset@version`` against ``@reference`` (the
    published version before it). Statistics only: whether they count as drift is judged when
    they are read, by the thresholds configured then (:func:`lakeshelf.observe.drift.drift`)."""

    dataset: str
    version: int
    reference: int
    column: str
    psi: float | None
    js: float | None
    wasserstein: float | None
    ks: float | None
    ks_p_value: float | None
    chisquare_p_value: float | None
    recorded_at: str

    @property
    def statistics(self) -> dict[str, float | None]:
        """The statistics by name, as :func:`lakeshelf.observe.drift.column_metrics` gives them."""
        return {name: getattr(self, name) for name in STATISTICS}


#: The drift statistics a :class:`DriftMetrics` row holds.
STATISTICS = ("psi", "js", "wasserstein", "ks", "ks_p_value", "chisquare_p_value")


def versions_table(lake: Location) -> Location:
    """Location of the versions table."""
    return lake.child(REGISTRY_DIR, "versions")


def tags_table(lake: Location) -> Location:
    """Location of the tags table."""
    return lake.child(REGISTRY_DIR, "tags")


def releases_table(lake: Location) -> Location:
    """Location of the releases table."""
    return lake.child(REGISTRY_DIR, "releases")


def profiles_table(lake: Location) -> Location:
    """Location of the profiles table."""
    return lake.child(REGISTRY_DIR, "profiles")


def drift_table(lake: Location) -> Location:
    """Location of the drift-metrics table."""
    return lake.child(REGISTRY_DIR, "drift")


def register_profile(lake: Location, dataset: str, version: int, rows: list[ColumnProfile]) -> bool:
    """Append the profile of ``dataset@version`` unless it is already there; True if appended."""
    return _append_once(profiles_table(lake), f"lakeshelf-profiles/{dataset}", version, rows)


def _append_once(table: Location, app: str, version: int, rows: list[Any]) -> bool:
    """Append ``rows`` (dataclasses, partitioned by dataset) as ``app``'s commit of ``version``,
    unless ``app`` already committed that far (Delta's ``txn``); True if appended."""
    from deltalake.transaction import Transaction

    if not rows or _txn_version(table, app) >= version:
        return False
    _append(
        table,
        [asdict(row) for row in rows],
        type(rows[0]),
        Transaction(app, version),
        done_elsewhere=lambda: _txn_version(table, app) >= version,
        partition_by=["dataset"],
    )
    return True


def profiles(
    lake: Location,
    dataset: str,
    versions: set[int] | None = None,
    *,
    with_sketches: bool = True,
) -> list[ColumnProfile]:
    """Stored column profiles of ``dataset`` (of ``versions`` if given), by version and column.

    Only the dataset's partition is read; without sketches only the scalar columns are.
    """
    names = [n for n in _PROFILE_FIELDS if with_sketches or n not in _SKETCHES]
    found = [
        ColumnProfile(**{n: row.get(n) for n in _PROFILE_FIELDS})
        for row in _dataset_rows(profiles_table(lake), dataset, names)
        if versions is None or row["version"] in versions
    ]
    return sorted(found, key=lambda p: (p.version, p.column))


def _dataset_rows(table: Location, dataset: str, names: list[str]) -> list[dict[str, Any]]:
    """The rows of a registry table partitioned by dataset that belong to ``dataset`` (only its
    partition's files are read), with the columns ``names``."""
    if latest_version(table) < 0:
        return []
    snapshot = load_snapshot(table)
    files = [f for f in snapshot.files if f.partition_values.get("dataset") == dataset]
    return snapshot_arrow(dataclasses.replace(snapshot, files=files), names).to_pylist()


_PROFILE_FIELDS = [f.name for f in fields(ColumnProfile)]


def register_drift(lake: Location, dataset: str, rows: list[DriftMetrics]) -> bool:
    """Append the drift rows of ``dataset``'s versions up to the newest in ``rows`` in one commit,
    unless a commit already recorded that far; True if appended."""
    newest = max((row.version for row in rows), default=-1)
    return _append_once(drift_table(lake), f"lakeshelf-drift/{dataset}", newest, rows)


def drift_metrics(lake: Location, dataset: str) -> dict[int, list[DriftMetrics]]:
    """The recorded drift rows of ``dataset`` by version (only its partition is read)."""
    found: dict[int, list[DriftMetrics]] = {}
    for row in _dataset_rows(drift_table(lake), dataset, _DRIFT_FIELDS):
        found.setdefault(row["version"], []).append(DriftMetrics(**row))
    return found


def recorded_drift_through(lake: Location, dataset: str) -> int:
    """The newest version of ``dataset`` whose drift is recorded (-1: none)."""
    return _txn_version(drift_table(lake), f"lakeshelf-drift/{dataset}")


_DRIFT_FIELDS = [f.name for f in fields(DriftMetrics)]
_SKETCHES = ("kll", "hll", "top_sketch")


def identity() -> tuple[str, str]:
    """(user, host) recorded with registry entries."""
    try:
        user = getpass.getuser()
    except Exception:  # no login name in some containers
        user = "unknown"
    return user, socket.gethostname()


def register(lake: Location, record: VersionRecord) -> bool:
    """Append ``record`` unless that dataset version is already registered; True if appended."""
    from deltalake.transaction import Transaction

    table = versions_table(lake)
    app = f"lakeshelf-registry/{record.dataset}"
    if _txn_version(table, app) >= record.version:
        return False
    _append(
        table,
        [asdict(record)],
        VersionRecord,
        Transaction(app, record.version),
        # another process registered the same version meanwhile: do not add it twice
        done_elsewhere=lambda: _txn_version(table, app) >= record.version,
    )
    return True


def records(lake: Location, dataset: str | None = None) -> list[VersionRecord]:
    """Registered versions (of ``dataset`` if given), oldest first."""
    rows = _read(versions_table(lake), dataset)
    return sorted((VersionRecord(**r) for r in rows), key=lambda r: (r.dataset, r.version))


def record_of(lake: Location, dataset: str, version: int) -> VersionRecord:
    """The registry record of one version.

    Raises:
        LakeshelfError: the version was never registered.
    """
    for item in records(lake, dataset):
        if item.version == version:
            return item
    raise LakeshelfError(f"{dataset}@{version} is not in the registry (it was never published)")


def tags(lake: Location) -> dict[str, TagEvent]:
    """Current tags: tag name -> its latest event (removed tags are absent)."""
    current: dict[str, TagEvent] = {}
    for row in sorted(_read(tags_table(lake), None), key=lambda r: r["at"]):
        event = TagEvent(**row)
        current[event.tag] = event
    return {name: event for name, event in current.items() if event.action != "remove"}


def set_tag(
    lake: Location, name: str, dataset: str, version: int, *, force: bool = False
) -> TagEvent:
    """Point tag ``name`` at ``dataset@version``; moving an existing tag needs ``force``.

    Raises:
        ConfigError: the tag name breaks the rule, or the tag exists and ``force`` is not given.
    """
    check_label(name)
    existing = tags(lake).get(name)
    if existing and (existing.dataset, existing.version) == (dataset, version):
        return existing
    if existing and not force:
        raise ConfigError(
            f"tag {name!r} already pins {existing.dataset}@{existing.version}; moving it is"
            " explicit: add --force"
        )
    user, _ = identity()
    event = TagEvent(
        name,
        dataset,
        version,
        "move" if existing else "set",
        existing.version if existing else None,
        timestamps.now_iso("microseconds"),  # events are replayed in order
        user,
    )
    _append(tags_table(lake), [asdict(event)], TagEvent)
    return event


def remove_tag(lake: Location, name: str) -> TagEvent:
    """Remove tag ``name``.

    Raises:
        ConfigError: no such tag.
    """
    check_label(name)
    existing = tags(lake).get(name)
    if existing is None:
        raise ConfigError(f"no tag {name!r}")
    user, _ = identity()
    event = TagEvent(
        name,
        existing.dataset,
        None,
        "remove",
        existing.version,
        timestamps.now_iso("microseconds"),
        user,
    )
    _append(tags_table(lake), [asdict(event)], TagEvent)
    return event


def releases(lake: Location) -> dict[str, list[ReleaseEntry]]:
    """Current releases: name -> its dataset entries, by dataset (removed releases are absent).

    A release's entries share one commit and one ``at``; should two processes create the same
    name at once, the earlier creation is the release and the later one is ignored (its
    creator is told: :func:`create_release`).
    """
    current: dict[str, list[ReleaseEntry]] = {}
    created_at: dict[str, str] = {}
    for row in sorted(_read(releases_table(lake), None), key=lambda r: r["at"]):
        entry = ReleaseEntry(**row)
        if entry.action == "remove":
            current.pop(entry.release, None)
            created_at.pop(entry.release, None)
        elif created_at.setdefault(entry.release, entry.at) == entry.at:
            current.setdefault(entry.release, []).append(entry)
    return {name: sorted(found, key=lambda e: e.dataset or "") for name, found in current.items()}


def create_release(lake: Location, name: str, pinned: list[VersionRecord]) -> list[ReleaseEntry]:
    """Record release ``name`` of the ``pinned`` versions in one registry commit.

    Raises:
        ConfigError: the name breaks the tag rule, or a release of that name exists.
    """
    check_label(name)
    if name in releases(lake):
        raise ConfigError(f"release {name!r} exists; releases do not move: choose another name")
    user, _ = identity()
    at = timestamps.now_iso("microseconds")
    entries = [
        ReleaseEntry(name, "create", r.dataset, r.version, r.fingerprint, r.table_uri, at, user)
        for r in pinned
    ]
    _append(releases_table(lake), [asdict(e) for e in entries], ReleaseEntry)
    recorded = releases(lake).get(name, [])
    if not recorded or recorded[0].at != at:
        raise ConfigError(f"release {name!r} was created by another process at the same time")
    return recorded


def remove_release(lake: Location, name: str) -> list[ReleaseEntry]:
    """Remove release ``name`` (its versions stay; they are no longer pinned by it).

    Raises:
        ConfigError: no such release.
    """
    check_label(name)
    existing = releases(lake).get(name)
    if existing is None:
        raise ConfigError(f"no release {name!r}")
    user, _ = identity()
    at = timestamps.now_iso("microseconds")
    removal = ReleaseEntry(name, "remove", None, None, None, None, at, user)
    _append(releases_table(lake), [asdict(removal)], ReleaseEntry)
    return existing


def _schema(model: type) -> Any:
    import pyarrow as pa

    def arrow_type(annotation: str) -> Any:
        for name, kind in (("int", pa.int64()), ("float", pa.float64()), ("bytes", pa.binary())):
            if annotation.startswith(name):
                return kind
        return pa.string()

    return pa.schema([pa.field(f.name, arrow_type(str(f.type))) for f in fields(model)])


def _append(
    table: Location,
    rows: list[dict[str, Any]],
    model: type,
    app_transaction: Any = None,
    done_elsewhere: Callable[[], bool] | None = None,
    partition_by: list[str] | None = None,
) -> None:
    """Append ``rows`` in one commit, exactly once (:func:`commit_with_retry`)."""
    import pyarrow as pa
    from deltalake import write_deltalake
    from deltalake.transaction import CommitProperties

    data = pa.Table.from_pylist(rows, schema=_schema(model))
    txn = uuid.uuid4().hex
    properties = CommitProperties(
        custom_metadata=build_commit_info("REGISTRY APPEND", txn),
        app_transactions=[app_transaction] if app_transaction else None,
        max_commit_retries=0,
    )

    def attempt() -> None:
        write_deltalake(
            table.uri,
            data,
            mode="append",
            partition_by=partition_by,
            storage_options=table.delta_rs_options(),
            commit_properties=properties,
            post_commithook_properties=commit_hooks(),
        )

    commit_with_retry(
        table,
        txn,
        latest_version(table),
        attempt,
        rebase=lambda latest: latest,  # an append of new rows fits on any version
        done_elsewhere=done_elsewhere,
    )


def _read(table: Location, dataset: str | None) -> list[dict[str, Any]]:
    if latest_version(table) < 0:
        return []
    rows = snapshot_arrow(load_snapshot(table)).to_pylist()
    # filtered in Python: pyarrow.compute with a Python scalar imports pandas (+0.5 s a command)
    return [row for row in rows if dataset is None or row["dataset"] == dataset]


def _txn_version(table: Location, app: str) -> int:
    if latest_version(table) < 0:
        return -1
    version = open_table(table, None).transaction_version(app)
    return -1 if version is None else int(version)
