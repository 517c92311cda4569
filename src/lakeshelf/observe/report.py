"""The drift report as one HTML file: per column, both distributions overlaid and the numbers.

Charts are Plotly figures; plotly.js is written into the page itself, so the report opens in
any browser with no network access. Templating is Jinja2 (autoescaped).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lakeshelf.observe.drift import ColumnDrift, DriftReport
    from lakeshelf.registry.profile import ColumnProfile

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Drift: {{ report.current }} against {{ report.reference }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
td, th { border: 1px solid #ccc; padding: .25rem .5rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.drifted { color: #b00020; font-weight: bold; } .ok { color: #1b5e20; }
section { border-top: 1px solid #ddd; margin-top: 1.5rem; padding-top: .5rem; }
</style>
<script>{{ plotly_js | safe }}</script>
</head><body>
<h1>Drift of {{ report.current }} against {{ report.reference }}</h1>
<p class="{{ 'drifted' if report.drifted else 'ok' }}">
{{ report.drifted_columns }} of {{ report.compared | length }} compared columns drifted
({{ '%.0f' | format(report.share * 100) }}%, the dataset drifts at
{{ '%.0f' | format(report.share_threshold * 100) }}%):
{{ 'dataset drifted' if report.drifted else 'no dataset drift' }}.</p>
<table><tr><th>column</th><th>type</th><th>status</th><th>method</th><th>statistic</th>
<th>threshold</th><th>drifted</th><th>PSI</th><th>JS</th><th>Wasserstein (norm.)</th><th>KS</th>
<th>nulls before</th><th>nulls after</th></tr>
{% for c in report.columns %}<tr>
<td><a href="#col-{{ loop.index }}">{{ c.column }}</a></td><td>{{ c.type or '' }}</td>
<td>{{ c.status }}</td><td>{{ c.method or '' }}</td><td>{{ num(c.statistic) }}</td>
<td>{{ num(c.threshold) }}</td>
<td class="{{ 'drifted' if c.drifted else 'ok' }}">{{ 'yes' if c.drifted else 'no' }}</td>
<td>{{ num(c.psi) }}</td><td>{{ num(c.js) }}</td><td>{{ num(c.wasserstein) }}</td>
<td>{{ num(c.ks) }}</td><td>{{ pct(c.null_rate_reference) }}</td>
<td>{{ pct(c.null_rate_current) }}</td></tr>
{% endfor %}</table>
{% for c, chart in charts %}<section id="col-{{ loop.index }}">
<h2>{{ c.column }} <small>({{ c.status }}{% if c.method %}, decided by {{ c.method }}
{% endif %})</small></h2>
{{ chart | safe }}
</section>{% endfor %}
</body></html>
"""


def write_drift_html(
    report: DriftReport,
    reference: list[ColumnProfile],
    current: list[ColumnProfile],
    path: Path,
) -> Path:
    """Write ``report`` with a chart per column to ``path``; return it."""
    import jinja2
    from plotly.offline import get_plotlyjs

    before = {p.column: p for p in reference}
    after = {p.column: p for p in current}
    charts = [
        (c, _chart(c, before.get(c.column), after.get(c.column), report)) for c in report.columns
    ]
    page = jinja2.Environment(autoescape=True).from_string(_PAGE)
    html = page.render(report=report, charts=charts, plotly_js=get_plotlyjs(), num=_num, pct=_pct)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.1%}"


def _chart(
    column: ColumnDrift,
    a: ColumnProfile | None,
    b: ColumnProfile | None,
    report: DriftReport,
) -> str:
    import plotly.graph_objects as go

    from lakeshelf.observe.drift import distribution_bars

    figure = go.Figure()
    for profile, label in ((a, report.reference), (b, report.current)):
        if profile is None:
            continue
        x, y = distribution_bars(profile, a if profile is b else b)
        if x:
            figure.add_trace(go.Bar(x=x, y=y, name=label, opacity=0.6))
    if not figure.data:
        return "<p>No values to chart.</p>"
    figure.update_layout(
        barmode="overlay",
        height=320,
        margin={"l": 40, "r": 10, "t": 10, "b": 40},
        yaxis_title="share of non-null rows",
    )
    return figure.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False})
