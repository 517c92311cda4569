"""The dataset registry: append-only Delta tables in the lake recording published versions and tags.

``<lake>/_registry/versions`` holds one record per published dataset version: where it is, when it
was committed, its size, schema, content fingerprint, quality-suite result and lineage.
``<lake>/_registry/tags`` holds tag events (set, move, remove); a tag's current target is its
latest event. Both are ordinary Delta tables, so the registry itself is versioned and auditable.
They are tiny and written by delta-rs directly (no Spark job per record); registration of a
dataset version is idempotent through Delta's ``txn`` action (app ``lakeshelf-registry/<dataset>``).
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import socket
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any

from lakeshelf import log, storage
from lakeshelf.config import check_name
from lakeshelf.errors import ConfigError, LakeshelfError
from lakeshelf.snapshot import open_table

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


def versions_uri(lake: str) -> str:
    """Location of the versions table."""
    return storage.join(lake, REGISTRY_DIR, "versions")


def tags_uri(lake: str) -> str:
    """Location of the tags table."""
    return storage.join(lake, REGISTRY_DIR, "tags")


def now_iso(timespec: str = "milliseconds") -> str:
    """The current time, ISO-8601 UTC (tag events use microseconds: they are replayed in order)."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec=timespec)


def identity() -> tuple[str, str]:
    """(user, host) recorded with registry entries."""
    try:
        user = getpass.getuser()
    except Exception:  # no login name in some containers
        user = "unknown"
    return user, socket.gethostname()


APPEND_ATTEMPTS = 25  # tries of one registry append against concurrent writers


def register(
    lake: str, record: VersionRecord, storage_options: dict[str, Any] | None = None
) -> bool:
    """Append ``record`` unless that dataset version is already registered; True if appended."""
    from deltalake.transaction import Transaction

    uri = versions_uri(lake)
    app = f"lakeshelf-registry/{record.dataset}"
    if _txn_version(uri, app, storage_options) >= record.version:
        return False
    _append(
        uri,
        [asdict(record)],
        _schema(VersionRecord),
        storage_options,
        Transaction(app, record.version),
        # another process registered the same version meanwhile: do not add it twice
        already_done=lambda: _txn_version(uri, app, storage_options) >= record.version,
    )
    return True


def records(
    lake: str, dataset: str | None = None, storage_options: dict[str, Any] | None = None
) -> list[VersionRecord]:
    """Registered versions (of ``dataset`` if given), oldest first."""
    rows = _read(versions_uri(lake), dataset, storage_options)
    return sorted((VersionRecord(**r) for r in rows), key=lambda r: (r.dataset, r.version))


def record_of(
    lake: str, dataset: str, version: int, storage_options: dict[str, Any] | None = None
) -> VersionRecord:
    """The registry record of one version.

    Raises:
        LakeshelfError: the version was never registered.
    """
    for item in records(lake, dataset, storage_options):
        if item.version == version:
            return item
    raise LakeshelfError(f"{dataset}@{version} is not in the registry (it was never published)")


def tags(lake: str, storage_options: dict[str, Any] | None = None) -> dict[str, TagEvent]:
    """Current tags: tag name -> its latest event (removed tags are absent)."""
    current: dict[str, TagEvent] = {}
    rows = sorted(_read(tags_uri(lake), None, storage_options), key=lambda r: r["at"])
    for row in rows:
        event = TagEvent(**row)
        current[event.tag] = event
    return {name: event for name, event in current.items() if event.action != "remove"}


def set_tag(
    lake: str,
    name: str,
    dataset: str,
    version: int,
    *,
    force: bool = False,
    storage_options: dict[str, Any] | None = None,
) -> TagEvent:
    """Point tag ``name`` at ``dataset@version``; moving an existing tag needs ``force``.

    Raises:
        ConfigError: the tag name is invalid, or the tag exists and ``force`` is not given.
    """
    check_tag_name(name)
    existing = tags(lake, storage_options).get(name)
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
        now_iso("microseconds"),
        user,
    )
    _append(tags_uri(lake), [asdict(event)], _schema(TagEvent), storage_options)
    return event


def remove_tag(lake: str, name: str, storage_options: dict[str, Any] | None = None) -> TagEvent:
    """Remove tag ``name``.

    Raises:
        ConfigError: no such tag.
    """
    check_tag_name(name)
    existing = tags(lake, storage_options).get(name)
    if existing is None:
        raise ConfigError(f"no tag {name!r}")
    user, _ = identity()
    event = TagEvent(
        name, existing.dataset, None, "remove", existing.version, now_iso("microseconds"), user
    )
    _append(tags_uri(lake), [asdict(event)], _schema(TagEvent), storage_options)
    return event


def check_tag_name(name: str) -> str:
    """A tag name: a safe name that cannot be read as a version, a timestamp or ``latest``."""
    try:
        check_name(name, "tag name")
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if name == "latest" or name.lstrip("v").isdigit():
        raise ConfigError(f"tag name {name!r} would read as a version; choose another")
    return name


def _schema(model: type) -> Any:
    import pyarrow as pa

    types = {"int": pa.int64(), "str": pa.string()}
    return pa.schema(
        [pa.field(f.name, types["int" if "int" in str(f.type) else "str"]) for f in fields(model)]
    )


def _append(
    uri: str,
    rows: list[dict[str, Any]],
    schema: Any,
    storage_options: dict[str, Any] | None,
    app_transaction: Any = None,
    already_done: Callable[[], bool] | None = None,
) -> None:
    """Append ``rows`` in one commit, exactly once.

    delta-rs makes one attempt per try, because after a lost response it would rebase the landed
    commit onto itself and commit it again. After a failure, the commit is looked up by the id in
    its commitInfo; if it is not in the log (and ``already_done`` is not true), it is tried again.
    """
    import uuid

    import pyarrow as pa
    from deltalake import write_deltalake
    from deltalake.transaction import CommitProperties

    storage.check_commit_safety(storage_options)
    table = pa.Table.from_pylist(rows, schema=schema)
    txn = uuid.uuid4().hex
    properties = CommitProperties(
        custom_metadata={"lakeshelf": {"txnId": txn, "operation": "REGISTRY APPEND"}},
        app_transactions=[app_transaction] if app_transaction else None,
        max_commit_retries=0,
    )
    listing = log.list_log(uri, storage_options)
    before = listing.latest if listing else -1
    for attempt in range(1, APPEND_ATTEMPTS + 1):
        try:
            write_deltalake(
                uri,
                table,
                mode="append",
                storage_options=storage_options,
                commit_properties=properties,
            )
            return
        except Exception:
            if log.landed(uri, txn, before, storage_options) is not None:
                return  # it landed; only the answer was lost
            if already_done and already_done():
                return
            if attempt == APPEND_ATTEMPTS:
                raise


def _read(uri: str, dataset: str | None, storage_options: dict[str, Any] | None) -> list[dict]:
    import pyarrow as pa
    from deltalake import Schema

    from lakeshelf.arrow_read import snapshot_arrow
    from lakeshelf.snapshot import load_snapshot

    if log.list_log(uri, storage_options) is None:
        return []
    snapshot = load_snapshot(uri, storage_options=storage_options)
    schema = pa.schema(Schema.from_json(snapshot.schema_json).to_arrow())
    rows = snapshot_arrow(snapshot, schema, storage_options).to_pylist()
    # filtered in Python: pyarrow.compute with a Python scalar imports pandas (+0.5 s a command)
    return [row for row in rows if dataset is None or row["dataset"] == dataset]


def _txn_version(uri: str, app: str, storage_options: dict[str, Any] | None) -> int:
    if log.list_log(uri, storage_options) is None:
        return -1
    version = open_table(uri, None, storage_options).transaction_version(app)
    return -1 if version is None else int(version)
