"""Validation reports for CI systems (JUnit XML) and people (HTML)."""

from __future__ import annotations

import html
from pathlib import Path
from xml.etree import ElementTree as ET

from lakeshelf.gate.results import SuiteResult


def write_junit(result: SuiteResult, target: str, path: Path) -> None:
    """JUnit XML with one test case per expectation (warn-severity failures are skipped cases)."""
    failures = sum(1 for o in result.outcomes if o.blocking)
    suite = ET.Element(
        "testsuite",
        name=f"{result.suite} on {target}",
        tests=str(len(result.outcomes)),
        failures=str(failures),
        skipped=str(sum(1 for o in result.outcomes if not o.success and not o.blocking)),
    )
    for index, outcome in enumerate(result.outcomes):
        column = outcome.kwargs.get("column", "table")
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"{result.suite}.{column}",
            name=f"{index:02d} {outcome.type}",
        )
        if outcome.blocking:
            ET.SubElement(case, "failure", message=outcome.describe()).text = outcome.describe()
        elif not outcome.success:
            ET.SubElement(case, "skipped", message=f"severity warn: {outcome.describe()}")
    root = ET.Element("testsuites")
    root.append(suite)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def write_html(result: SuiteResult, target: str, path: Path) -> None:
    """A self-contained HTML page listing every expectation and its outcome."""
    rows = []
    for outcome in result.outcomes:
        state = "pass" if outcome.success else ("fail" if outcome.blocking else "warn")
        unexpected = "" if outcome.unexpected_count is None else outcome.unexpected_count
        detail = repr(outcome.examples[:5]) if outcome.examples else outcome.error or ""
        rows.append(
            f"<tr class='{state}'><td>{state.upper()}</td><td>{html.escape(outcome.type)}</td>"
            f"<td>{html.escape(str(outcome.kwargs))}</td><td>{outcome.element_count or ''}</td>"
            f"<td>{unexpected}</td><td>{html.escape(detail)}</td></tr>"
        )
    verdict = "PASSED" if result.passed else "FAILED"
    path.write_text(
        "<!doctype html><meta charset='utf-8'>"
        f"<title>{html.escape(result.suite)}: {verdict}</title>"
        "<style>body{font-family:sans-serif}td,th{padding:4px 8px;border-bottom:1px solid #ddd}"
        ".fail{background:#fdd}.warn{background:#ffd}.pass{background:#dfd}</style>"
        f"<h1>{html.escape(result.suite)} on {html.escape(target)}: {verdict}</h1>"
        "<table><tr><th>result</th><th>expectation</th><th>arguments</th><th>rows</th>"
        "<th>unexpected</th><th>examples / error</th></tr>" + "".join(rows) + "</table>",
        encoding="utf-8",
    )
