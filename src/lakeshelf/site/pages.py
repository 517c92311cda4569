"""The site's pages: where each lives, and its HTML rendered from a :class:`LakeView`.

Every page is one Jinja2 template (autoescaped) plus the data its charts need, embedded as
JSON; ``assets/site.js`` draws the charts with the vendored plotly.js in the browser, so a page
costs a template render to build and carries no figure markup. A column's distribution is
embedded as a fixed-size summary (65 quantiles, or its top values) computed once per version,
and binned in the browser, alone or overlaid with another version's. Links are relative, so the same
pages work from ``file://``, any static host and ``lakeshelf ui``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from lakeshelf import timestamps
from lakeshelf.errors import LakeshelfError
from lakeshelf.observe.drift import distribution_summary
from lakeshelf.site.markup import FILTERS

if TYPE_CHECKING:
    import jinja2

    from lakeshelf.registry.profile import ColumnProfile
    from lakeshelf.site.lake import LakeView, VersionView

ASSETS = "assets"
#: Charts of a version's profile stop at this many columns (the table lists every column).
MAX_PROFILE_CHARTS = 40


@dataclass(frozen=True)
class Route:
    """What a site path shows: a page kind and its arguments."""

    kind: str  # lake | dataset | version | compare | refused
    dataset: str | None = None
    version: int | None = None
    other: int | None = None
    txn: str | None = None


def lake_path() -> str:
    """The lake page."""
    return "index.html"


def dataset_path(name: str) -> str:
    """A dataset's page."""
    return f"d/{name}/index.html"


def version_path(name: str, version: int) -> str:
    """A version's page."""
    return f"d/{name}/v{version}.html"


def compare_path(name: str, reference: int, current: int) -> str:
    """The page comparing two versions of a dataset."""
    return f"d/{name}/compare/v{reference}-v{current}.html"


def refused_path(name: str, txn: str) -> str:
    """A refused publish's page."""
    return f"d/{name}/refused/{txn}.html"


_ROUTES = [
    (re.compile(r"(index\.html)?"), lambda m: Route("lake")),
    (re.compile(r"d/([\w-]+)/(index\.html)?"), lambda m: Route("dataset", m[1])),
    (re.compile(r"d/([\w-]+)/v(\d+)\.html"), lambda m: Route("version", m[1], int(m[2]))),
    (
        re.compile(r"d/([\w-]+)/compare/v(\d+)-v(\d+)\.html"),
        lambda m: Route("compare", m[1], int(m[2]), int(m[3])),
    ),
    (re.compile(r"d/([\w-]+)/refused/(\w+)\.html"), lambda m: Route("refused", m[1], txn=m[2])),
]


def route(path: str) -> Route | None:
    """The page a site path names, None if it names none."""
    for pattern, made in _ROUTES:
        match = pattern.fullmatch(path.lstrip("/"))
        if match:
            return made(match)
    return None


def render(view: LakeView, target: Route, *, live: bool = False) -> str:
    """The HTML of the page ``target`` names.

    ``live``: served by ``lakeshelf ui`` (any two versions can be compared), not a static build.

    Raises:
        LakeshelfError: an unknown dataset, version or refused publish.
    """
    if target.kind == "lake":
        return render_lake(view, live=live)
    name = target.dataset or ""
    view.project.dataset(name)  # ConfigError (a LakeshelfError) for an unknown dataset
    if target.kind == "dataset":
        return render_dataset(view, name, live=live)
    if target.kind == "version":
        return render_version(view, name, target.version or 0)
    if target.kind == "compare":
        return render_compare(view, name, target.version or 0, target.other or 0)
    return render_refused(view, name, target.txn or "")


def inputs_of(view: LakeView, target: Route) -> Any:
    """What the page ``target`` names is rendered from, as JSON-able data; None when the page
    shows the lake's current state (the lake and dataset pages), which is rendered every time.

    A version, comparison or refused publish never changes once written, so its page changes
    only when these do (its tags, pins, the versions built from it, the drift thresholds).
    """
    if target.kind in ("lake", "dataset"):
        return None
    name = target.dataset or ""
    if target.kind == "refused":
        return [name, target.txn]
    thresholds = view.thresholds_key(name)
    if target.kind == "compare":
        pair = (view.version(name, target.version or 0), view.version(name, target.other or 0))
        return [
            thresholds,
            *[(v.version, v.record.fingerprint if v.record else None) for v in pair],
        ]
    current = view.version(name, target.version or 0)
    previous = view.version(name, current.previous) if current.previous is not None else None
    return [
        thresholds,
        # a registered record never changes: its fingerprint and registration time name it
        [current.record.fingerprint, current.record.registered_at] if current.record else None,
        current.tags,
        current.kept_by,
        current.operation,
        current.committed,
        previous.record.fingerprint if previous and previous.record else None,
        lineage_graph(view, current),
    ]


def render_lake(view: LakeView, *, live: bool = False) -> str:
    """The lake page: every dataset with its latest version, gate, drift and tags."""
    rows = []
    for config in view.datasets:
        latest = view.latest(config.name)
        rows.append(
            {
                "config": config,
                "latest": latest,
                "drift": view.drift_state(latest) if latest else None,
                "tags": sorted(t for t, e in view.tags.items() if e.dataset == config.name),
            }
        )
    return _template("lake.html").render(
        _common(view, 0, "Lake"), rows=rows, refused=view.recent_refused(), live=live
    )


def render_dataset(view: LakeView, name: str, *, live: bool = False) -> str:
    """A dataset's page: the version timeline, tags, releases, config and suite."""
    versions = view.versions(name)
    timeline = [(v, view.drift_state(v)) for v in versions]
    published = [v for v in versions if v.record is not None]
    chart = {
        "version": [v.version for v in reversed(published)],
        "rows": [v.rows for v in reversed(published)],
        "gate": [v.gate for v in reversed(published)],
        "committed": [v.committed for v in reversed(published)],
    }
    return _template("dataset.html").render(
        _common(view, 2, name),
        config=view.project.dataset(name),
        timeline=timeline,
        published=published,
        releases=view.releases_of(name),
        refused=view.refused(name),
        suite=view.suite(name),
        config_text=view.config_text(name),
        chart=_json(chart),
        live=live,
    )


def render_version(view: LakeView, name: str, version: int) -> str:
    """A version's page: manifest, schema, gate report, profile, lineage and snippets."""
    current = view.version(name, version)
    profile = view.profile(name, version)
    charts = {
        p.column: summary
        for p in profile[:MAX_PROFILE_CHARTS]
        if (summary := distribution_summary(p)) is not None
    }
    return _template("version.html").render(
        _common(view, 2, f"{name}@{version}"),
        v=current,
        manifest=_pretty(current.record.as_manifest()) if current.record else None,
        outcomes=current.record.outcomes if current.record else [],
        profile=profile,
        charts=_json(charts),
        lineage=_json(lineage_graph(view, current)),
        upstream=current.inputs,
        downstream=sorted(view.downstream.get((name, version), [])),
        drift=view.drift_from_previous(current),
        snippets=_snippets(view, current),
    )


def render_compare(view: LakeView, name: str, reference: int, current: int) -> str:
    """Two versions side by side: schema diff, drift per column with overlaid distributions."""
    before, after = view.version(name, reference), view.version(name, current)
    report = view.drift(name, reference, current)
    old = {p.column: p for p in view.profile(name, reference)}
    new = {p.column: p for p in view.profile(name, current)}
    charts = {
        column: _overlaid(old.get(column), new.get(column), reference, current)
        for column in list(dict.fromkeys([*old, *new]))[:MAX_PROFILE_CHARTS]
    }
    return _template("compare.html").render(
        _common(view, 3, f"{name}: v{reference} and v{current}"),
        a=before,
        b=after,
        schema=_schema_diff(before, after),
        report=report,
        charts=_json({k: v for k, v in charts.items() if v}),
    )


def render_refused(view: LakeView, name: str, txn: str) -> str:
    """A refused publish: its report and where its files are kept."""
    for refused in view.refused(name):
        if refused.publish.txn == txn:
            return _template("refused.html").render(
                _common(view, 3, f"{name}: refused publish"),
                name=name,
                r=refused,
                report=_pretty(refused.publish.report),
            )
    raise LakeshelfError(f"{name} has no refused publish {txn}")


def lineage_graph(view: LakeView, current: VersionView) -> dict[str, Any]:
    """Nodes and edges of a version's lineage: inputs upstream (left), builds downstream.

    Each node has a column (negative: upstream depth), a row, a label and its page's path.
    """
    start = (current.dataset, current.version)
    nodes: dict[tuple[str, int], dict[str, Any]] = {start: {"depth": 0}}
    edges: list[tuple[tuple[str, int], tuple[str, int]]] = []
    _walk(view, start, -1, nodes, edges, lambda k: _inputs_of(view, k))
    _walk(view, start, 1, nodes, edges, lambda k: view.downstream.get(k, []))
    rows: dict[int, int] = {}
    out = []
    for key, node in sorted(nodes.items(), key=lambda kv: (kv[1]["depth"], kv[0])):
        row = rows.get(node["depth"], 0)
        rows[node["depth"]] = row + 1
        node["index"] = len(out)
        out.append(
            {
                "label": f"{key[0]}@{key[1]}",
                "x": node["depth"],
                "y": -row,
                "href": version_path(*key),
                "current": key == start,
            }
        )
    return {
        "nodes": out,
        "edges": [[nodes[a]["index"], nodes[b]["index"]] for a, b in edges],
    }


def _walk(view, start, step, nodes, edges, neighbours) -> None:
    """Breadth-first from ``start``, one depth ``step`` per hop, each node once."""
    frontier = [start]
    while frontier:
        following = []
        for key in frontier:
            for other in neighbours(key):
                edges.append((other, key) if step < 0 else (key, other))
                if other not in nodes:
                    nodes[other] = {"depth": nodes[key]["depth"] + step}
                    following.append(other)
        frontier = following


def _inputs_of(view: LakeView, key: tuple[str, int]) -> list[tuple[str, int]]:
    record = view.records.get(key[0], {}).get(key[1])
    return [(dataset, version) for _, dataset, version in record.inputs] if record else []


def _overlaid(
    a: ColumnProfile | None, b: ColumnProfile | None, reference: int, current: int
) -> list[dict[str, Any]]:
    """Both versions' distribution summaries, labelled; the browser bins them together."""
    traces = []
    for profile, label in ((a, f"v{reference}"), (b, f"v{current}")):
        summary = distribution_summary(profile) if profile is not None else None
        if summary is not None:
            traces.append({**summary, "name": label})
    kinds = {t["kind"] for t in traces}
    return traces if len(kinds) == 1 else traces[-1:]  # retyped: the newer side only


def _schema_diff(a: VersionView, b: VersionView) -> list[dict[str, Any]]:
    before = {f["name"]: f["type"] for f in a.schema}
    after = {f["name"]: f["type"] for f in b.schema}
    rows = []
    for column in dict.fromkeys([*before, *after]):
        old, new = before.get(column), after.get(column)
        state = (
            "added"
            if old is None
            else "removed"
            if new is None
            else ("retyped" if old != new else "same")
        )
        rows.append({"column": column, "before": old, "after": new, "state": state})
    return rows


def _snippets(view: LakeView, v: VersionView) -> list[tuple[str, str]]:
    table = view.project.table_uri(v.dataset)
    ref = f"{v.dataset}@{v.version}"
    return [
        ("Python", f'import lakeshelf\n\ndf = lakeshelf.read("{table}", version={v.version})'),
        ("CLI", f"lakeshelf show {ref}\nlakeshelf verify {ref}\nlakeshelf reproduce {ref}"),
        (
            "Spark",
            f'spark.read.format("delta").option("versionAsOf", {v.version}).load("{table}")',
        ),
        (
            "MLflow",
            "from lakeshelf.mlflow_input import log_input\n\n"
            f'with mlflow.start_run():\n    log_input("{ref}")',
        ),
    ]


def _common(view: LakeView, depth: int, title: str) -> dict[str, Any]:
    return {
        "root": "../" * depth,
        "title": title,
        "lake": view.lake.uri,
        "built": timestamps.now_iso("seconds"),
        "paths": {
            "dataset": dataset_path,
            "version": version_path,
            "refused": refused_path,
        },
    }


def _json(data: Any) -> str:
    """JSON safe inside a ``<script type="application/json">`` element (NaN and infinities as
    null, anything else unknown as its text).

    orjson: several times the standard library's speed, which a site embedding data in 100,000
    pages feels; it writes NaN and infinities as null itself.
    """
    import orjson

    options = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
    text = orjson.dumps(data, default=str, option=options).decode("utf-8")
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _pretty(data: Any) -> str:
    """Indented JSON for people (autoescaped where it is shown)."""
    import orjson

    options = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
    return orjson.dumps(data, default=str, option=options).decode("utf-8")


@cache
def _environment() -> jinja2.Environment:
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("lakeshelf.site", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        auto_reload=False,  # the package's templates do not change while it runs
    )
    environment.filters["utc"] = timestamps.display
    environment.filters.update(FILTERS)
    return environment


def _template(name: str) -> jinja2.Template:
    return _environment().get_template(name)
