"""Resolving a ref to one exact table version, through the registry for datasets.

``TABLE`` may be a table location (a path or URI: versions and Delta's timestamp rule apply) or a
dataset name of a project. For datasets, ``@latest`` is the latest registered (published) version,
``@TAG`` follows the registry's tags, and ``@<timestamp>`` uses the commit times recorded in the
registry, so the answer does not change when the lake is copied and file times are lost.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lakeshelf import timestamps
from lakeshelf.errors import ConfigError, VersionNotFoundError
from lakeshelf.registry import store
from lakeshelf.registry.refs import Ref, parse_ref
from lakeshelf.storage import Location
from lakeshelf.table import resolve_version, version_at

if TYPE_CHECKING:
    from lakeshelf.config import Project


@dataclass(frozen=True)
class Resolved:
    """A ref pinned to one version."""

    dataset: str | None  # None for a table given by location
    location: Location
    version: int

    @property
    def uri(self) -> str:
        """The table's location as text."""
        return self.location.uri

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
        table = Location.of(ref.table)
        return Resolved(None, table, resolve_version(table, ref.version, ref.timestamp))
    if project is None:
        raise ConfigError(
            f"{ref.table!r} is a dataset name: pass --conf DIR (or set LAKESHELF_CONF) to say"
            " which project it belongs to, or give the table's path"
        )
    name = project.dataset(ref.table).name
    table, lake = project.table(name), project.lake_location
    if ref.version is not None:
        return Resolved(name, table, resolve_version(table, ref.version, None))
    if ref.tag is not None:
        event = store.tags(lake).get(ref.tag)
        if event is None or event.dataset != name:
            where = f" (it pins {event.dataset}@{event.version})" if event else ""
            raise ConfigError(f"no tag {ref.tag!r} on dataset {name}{where}")
        return Resolved(name, table, int(event.version))
    published = store.records(lake, name)
    if ref.timestamp is not None:
        return Resolved(name, table, _published_at(name, table, published, ref.timestamp))
    if published:
        return Resolved(name, table, published[-1].version)
    return Resolved(name, table, resolve_version(table, None, None))


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


def _published_at(
    name: str, table: Location, published: list[store.VersionRecord], when: dt.datetime
) -> int:
    """The version published at ``when``, by the commit times the registry recorded."""
    if not published:  # nothing registered: Delta's own rule on the table
        return resolve_version(table, None, when)
    stamps = [(r.version, timestamps.parse(r.commit_timestamp)) for r in published]
    chosen = version_at([(v, stamp.timestamp()) for v, stamp in stamps], when)
    if chosen is None:
        raise VersionNotFoundError(
            f"no published version of {name} at {when.isoformat()}: the first,"
            f" {name}@{stamps[0][0]}, was committed {stamps[0][1].isoformat()}"
        )
    return chosen


def resolve_in(text: str, conf: str | Project | None = None) -> Resolved:
    """Pin ``text``, loading the project (``conf``) only when the ref names a dataset.

    Raises:
        ConfigError: as :func:`resolve`, or the project cannot be loaded.
        VersionNotFoundError, TableNotFoundError: the version or table does not exist.
    """
    from lakeshelf.config import project_of

    ref = parse_ref(text)
    return resolve(ref, None if is_location(ref.table) else project_of(conf))
