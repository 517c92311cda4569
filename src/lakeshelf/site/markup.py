"""Small pieces of markup every page repeats, as Jinja2 filters.

Python filters rather than template macros: a page calls them dozens of times, and a Jinja2
macro call costs several times a filter's (a site of 100,000 pages makes millions of calls).
Each returns :class:`markupsafe.Markup` with its values escaped.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from lakeshelf import timestamps

_MISSING = Markup('<span class="muted">\u2013</span>')  # an en dash
_DRIFT_TITLE = "columns drifted against the previous version"


def gate(state: str) -> Markup:
    """A gate badge: pass, warn, fail, no suite or unpublished."""
    kind = escape(state.replace(" ", "-"))
    return Markup(f'<span class="badge gate-{kind}">{escape(state)}</span>')


def drift(state: dict[str, Any] | None) -> Markup:
    """A drift badge from ``{"drifted", "text"}``, a dash without one."""
    if state is None:
        return _MISSING
    word = "drifted" if state["drifted"] else "stable"
    return Markup(
        f'<span class="badge {word}" title="{_DRIFT_TITLE}">{word} {escape(state["text"])}</span>'
    )


def when(iso: str) -> Markup:
    """A timestamp shown as UTC text, with its ISO-8601 form for machines and tooltips."""
    text = escape(iso)
    return Markup(
        f'<time datetime="{text}" title="{text}">{escape(timestamps.display(iso))}</time>'
    )


def num(value: float | None, fmt: str = "%.4g") -> Markup:
    """A number in ``fmt`` (4 significant digits), a dash for none."""
    return _MISSING if value is None else escape(fmt % value)


FILTERS = {"gate": gate, "drift": drift, "when": when, "num": num}
