"""Resolving a ref to one exact table version, through the registry for datasets.

``TABLE`` may be a table location (a path or URI: versions and Delta's timestamp rule apply) or a
dataset name of a project. For datasets, ``@latest`` is the latest registered (published) version,
``@TAG`` follows the registry's tags, and ``@<timestamp>`` uses the commit times recorded in the
registry, so the answer does not change when the lake is copied and file times are lost.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lakeshelf import registry
from lakeshelf.errors import ConfigError, VersionNotFoundError
from lakeshelf.refs import Ref, parse_ref
from lakeshelf.snapshot import resolve_version

if TYPE_CHECKING:
    from lakeshelf.config import Project


@dataclass(frozen=True)
class Resolved:
    """A ref pinned to one version."""

    dataset: str | None  # None for a table given by location
    uri: str
    version: int
    storage_options: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    def __str__(self) -> str:
        return f"{self.dataset or self.uri}@{self.version}"


def is_location(table: str) -> bool:
    """True when a ref's table part is a path or URI rather than a dataset name."""
    return "/" in table or "\\" in table or table.startswith(".") or "://" in table


def resolve(text: str | Ref, project: Project | None = None) -> Resolved:
    """Pin ``text`` to one version.

    Raises:
        ConfigError: malformed ref, unknown dataset or tag, or a dataset ref without a project.
        VersionNotFoundError, TableNotFoundError: the version or table does not exist.
    """
    ref = parse_ref(text) if isinstance(text, str) else text
    if is_location(ref.table):
        if ref.tag is not None:
            raise ConfigError(f"tags name dataset versions: use DATASET@{ref.tag}, not a path")
        from lakeshelf.storage import normalize_uri

        uri = normalize_uri(ref.table)
        return Resolved(None, uri, resolve_version(uri, ref.version, ref.timestamp))
    if project is None:
        raise ConfigError(
            f"{ref.table!r} is a dataset name: pass --conf DIR (or set LAKESHELF_CONF) to say"
            " which project it belongs to, or give the table's path"
        )
    name = project.dataset(ref.table).name
    uri = project.table_uri(name)
    options = project.lake.storage_options or None
    if ref.version is not None:
        return Resolved(name, uri, resolve_version(uri, ref.version, None, options), options)
    if ref.tag is not None:
        event = registry.tags(project.lake_uri, options).get(ref.tag)
        if event is None or event.dataset != name:
            where = f" (it pins {event.dataset}@{event.version})" if event else ""
            raise ConfigError(f"no tag {ref.tag!r} on dataset {name}{where}")
        return Resolved(name, uri, int(event.version), options)
    published = registry.records(project.lake_uri, name, options)
    if ref.timestamp is not None:
        return Resolved(name, uri, _at(name, uri, published, ref.timestamp, options), options)
    if published:
        return Resolved(name, uri, published[-1].version, options)
    return Resolved(name, uri, resolve_version(uri, None, None, options), options)


def resolve_dataset(text: str, project: Project, command: str = "this command") -> Resolved:
    """Pin a ref that must name a dataset (not a path or URI), before any storage is touched.

    Raises:
        ConfigError: the ref is malformed, names a location, or an unknown dataset or tag.
    """
    ref = parse_ref(text)
    if is_location(ref.table):
        raise ConfigError(
            f"{text!r} is a path: {command} takes a registered dataset as DATASET[@AT], by name"
        )
    return resolve(ref, project)


def _at(name: str, uri: str, published: list, when: dt.datetime, options: dict | None) -> int:
    if not published:  # nothing registered: Delta's own rule on the table
        return resolve_version(uri, None, when, options)
    stamps = [(r.version, dt.datetime.fromisoformat(r.commit_timestamp)) for r in published]
    if when > dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1):
        raise VersionNotFoundError(f"{when.isoformat()} is in the future")
    before = [version for version, stamp in stamps if stamp <= when]
    if not before:
        raise VersionNotFoundError(
            f"no published version of {name} at {when.isoformat()}: the first,"
            f" {name}@{stamps[0][0]}, was committed {stamps[0][1].isoformat()}"
        )
    return max(before)
