"""A static, self-contained site: every page of the lake written to a folder.

The folder holds relative links only, its stylesheet and scripts (plotly.js included), and no
reference to anything elsewhere, so it opens from ``file://``, from a CI artifact or from any
static host, offline. Building reads the registry and the tables' logs, never data, and starts
no Spark.
"""

from __future__ import annotations

import functools
import hashlib
import json
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakeshelf.config import project_of
from lakeshelf.errors import ConfigError
from lakeshelf.site import pages
from lakeshelf.site.lake import LakeView
from lakeshelf.site.static import write_assets
from lakeshelf.version import __version__

if TYPE_CHECKING:
    from lakeshelf.config import Project

#: Written at the site's root; a folder without it that is not empty is never written into.
MARKER = ".lakeshelf-site"

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SiteBuild:
    """A finished build: where it is, how many pages it has and how long it took."""

    out: Path
    pages: int
    datasets: int
    versions: int
    seconds: float

    @property
    def index(self) -> Path:
        """The lake page, where a reader starts."""
        return self.out / pages.lake_path()


def build_site(
    conf: str | os.PathLike[str] | Project | None = None,
    out: str | os.PathLike[str] | None = None,
    *,
    progress: Progress | None = None,
) -> SiteBuild:
    """Write every page of the project's lake to ``out`` (default ``<project>/site``).

    A rebuild into the same folder renders again only the pages whose inputs changed
    (:func:`lakeshelf.site.pages.inputs_of`): the lake and dataset pages, new versions and what
    their tags, pins or lineage touched. Large lakes are built by one process per core.
    ``progress(done, total)`` is called as datasets are finished.

    Raises:
        ConfigError: ``out`` is a file, or a folder with other content than an earlier site.
    """
    started = time.perf_counter()
    project = project_of(conf)
    target = Path(out) if out is not None else project.root / "site"
    known, states = _claim(target)
    view = LakeView(project, states)
    names = [d.name for d in view.datasets]
    workers = _workers(view, names)
    digests: dict[str, str] = {}
    counts = {"pages": 0, "versions": 0, "datasets": 0}

    def finished(result: tuple[dict[str, str], dict[str, dict[str, Any]], int, int]) -> None:
        written, drifts, pages_done, versions_done = result
        digests.update(written)
        view.drift_states.update(drifts)
        counts["pages"] += pages_done
        counts["versions"] += versions_done
        counts["datasets"] += 1
        if progress:
            progress(counts["datasets"], len(names))

    if workers == 1:
        for name in names:
            finished(_build_part(project, name, target, known, states, view))
    else:
        # one dataset per task, so a stopped build stops its workers after their dataset;
        # spawned, not forked: no fork of delta-rs's runtime threads
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=_start_worker, initargs=(project,)
        ) as pool:
            tasks = [
                pool.submit(
                    _build_part,
                    project,
                    name,
                    target,
                    _pages_of(known, name),
                    _states_of(states, name),
                )
                for name in names
            ]
            for task in as_completed(tasks):
                finished(task.result())
    _write(target / pages.lake_path(), pages.render(view, pages.Route("lake")))
    write_assets(target / pages.ASSETS)
    (target / MARKER).write_text(
        json.dumps({"pages": digests, "drift": view.drift_states}), encoding="utf-8"
    )
    return SiteBuild(
        target,
        counts["pages"] + 1,
        len(names),
        counts["versions"],
        time.perf_counter() - started,
    )


#: Below this many versions one process builds the site (starting more costs ~1 s each).
PARALLEL_FROM = 2_000


def _workers(view: LakeView, names: list[str]) -> int:
    versions = sum(len(view.records.get(n, {})) for n in names)
    return min(os.cpu_count() or 1, len(names)) if versions >= PARALLEL_FROM else 1


def _pages_of(digests: dict[str, str], name: str) -> dict[str, str]:
    """The page digests of dataset ``name`` (its pages are in its folder)."""
    prefix = pages.dataset_path(name).rsplit("/", 1)[0] + "/"
    return {k: v for k, v in digests.items() if k.startswith(prefix)}


def _states_of(states: dict[str, dict[str, Any]], name: str) -> dict[str, dict[str, Any]]:
    """The drift states of dataset ``name`` (keyed ``<dataset>:<digest>``)."""
    return {k: v for k, v in states.items() if k.startswith(name + ":")}


#: A worker process's view of the lake: the registry is read once per worker, not per dataset.
_worker_view: LakeView | None = None


def _start_worker(project: Project) -> None:
    global _worker_view
    _worker_view = LakeView(project)


def _build_part(
    project: Project,
    name: str,
    target: Path,
    known: dict[str, str],
    states: dict[str, dict[str, Any]],
    view: LakeView | None = None,
) -> tuple[dict[str, str], dict[str, dict[str, Any]], int, int]:
    """Write the pages of dataset ``name``; return their digests, the drift states known, and
    the page and version counts.

    Pages whose digest is in ``known`` and whose file exists are left as they are.
    """
    view = view or _worker_view or LakeView(project)
    view.drift_states.update(states)
    try:
        return _write_dataset(view, name, target, known)
    finally:
        if view is _worker_view:
            view.release(name)  # a worker builds many datasets: keep only the lake's tables


def _write_dataset(
    view: LakeView, name: str, target: Path, known: dict[str, str]
) -> tuple[dict[str, str], dict[str, dict[str, Any]], int, int]:
    """:func:`_build_part`'s work on one dataset, with the view it reads."""
    salt = _salt()
    written: dict[str, str] = {}
    count = versions = 0
    for route in dataset_routes(view, name):
        path = path_of(route)
        inputs = pages.inputs_of(view, route)
        digest = _digest(salt, inputs) if inputs is not None else None
        count += 1
        versions += route.kind == "version"
        if digest is not None:
            written[path] = digest
            if known.get(path) == digest and (target / path).exists():
                continue
        _write(target / path, pages.render(view, route))
    return written, _states_of(view.drift_states, name), count, versions


def _digest(salt: str, inputs: object) -> str:
    text = json.dumps(inputs, sort_keys=True, default=str)
    return hashlib.sha256((salt + text).encode("utf-8")).hexdigest()[:32]


@functools.cache
def _salt() -> str:
    """What every page also depends on: lakeshelf's version, its templates and assets."""
    folder = resources.files("lakeshelf.site")
    parts = [__version__]
    for sub in ("templates", "assets"):
        parts += sorted(f.read_text("utf-8") for f in folder.joinpath(sub).iterdir())
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def dataset_routes(view: LakeView, name: str) -> Iterator[pages.Route]:
    """A dataset's pages in a static site: its own, each version's, each version's comparison
    with the published version before it, and each refused publish's."""
    yield pages.Route("dataset", name)
    for version in view.versions(name):
        yield pages.Route("version", name, version.version)
        if version.previous is not None:
            yield pages.Route("compare", name, version.previous, version.version)
    for refused in view.refused(name):
        yield pages.Route("refused", name, txn=refused.publish.txn)


def path_of(route: pages.Route) -> str:
    """Where a page lives in the site."""
    name = route.dataset or ""
    if route.kind == "lake":
        return pages.lake_path()
    if route.kind == "dataset":
        return pages.dataset_path(name)
    if route.kind == "version":
        return pages.version_path(name, route.version or 0)
    if route.kind == "compare":
        return pages.compare_path(name, route.version or 0, route.other or 0)
    return pages.refused_path(name, route.txn or "")


def _claim(target: Path) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """Make ``target`` the site's folder; return the page digests and drift states of an
    earlier build in it."""
    if target.exists() and not target.is_dir():
        raise ConfigError(f"{target} is a file; give --out a folder for the site")
    marker = target / MARKER
    if target.is_dir() and any(target.iterdir()) and not marker.exists():
        raise ConfigError(
            f"{target} is not empty and holds no earlier lakeshelf site; "
            "give --out an empty or new folder"
        )
    target.mkdir(parents=True, exist_ok=True)
    try:
        earlier = json.loads(marker.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        earlier = {}
    marker.write_text("{}", encoding="utf-8")  # an interrupted build leaves no stale digests
    if not isinstance(earlier, dict):
        return {}, {}
    return earlier.get("pages") or {}, earlier.get("drift") or {}


def _write(path: Path, content: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode("utf-8") if isinstance(content, str) else content
    path.write_bytes(data)
