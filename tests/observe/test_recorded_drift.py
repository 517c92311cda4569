"""Drift recorded at publish: stored once per version, idempotent, and what readers judge."""

from __future__ import annotations

import dataclasses
import shutil

import numpy as np
import pytest
from datasketches import kll_doubles_sketch

from lakeshelf.config import load_project
from lakeshelf.observe import drift
from lakeshelf.observe.recorded import record_drift
from lakeshelf.registry import store
from lakeshelf.registry.profile import ColumnProfile
from lakeshelf.site.lake import LakeView


def numeric(version: int, values: np.ndarray) -> ColumnProfile:
    sketch = kll_doubles_sketch(200)
    sketch.update(values)
    return ColumnProfile(
        "orders", version, "amount", "double", "numeric", len(values), 0, len(values),
        str(values.min()), str(values.max()), float(values.mean()), float(values.std()),
        None, sketch.serialize(), None, None, "2026-12-04T00:00:00+00:00",
    )  # fmt: skip


def categorical(version: int, counts: dict[str, int]) -> ColumnProfile:
    top = sorted(([k, v] for k, v in counts.items()), key=lambda kv: -kv[1])
    total = sum(counts.values())
    return ColumnProfile(
        "orders", version, "carrier", "string", "categorical", total, 0, len(counts),
        None, None, None, None, str(top).replace("'", '"'), None, None, None,
        "2026-12-04T00:00:00+00:00",
    )  # fmt: skip


def record(version: int) -> store.VersionRecord:
    return store.VersionRecord(
        "orders", "t", version, f"2026-12-0{version + 1}T00:00:00.000Z", 500, "{}", "h",
        f"500:{version:016x}:{version:016x}", None, None, None, None, None, "u", "h", None,
        f"2026-12-0{version + 1}T00:00:00+00:00",
    )  # fmt: skip


@pytest.fixture
def project(tmp_path):
    conf = tmp_path / "conf"
    (conf / "datasets").mkdir(parents=True)
    (conf / "lakeshelf.yaml").write_text("lake: ./lake\n")
    (conf / "datasets" / "orders.yaml").write_text(
        "name: orders\nlayer: bronze\nsource: {path: ./raw/*.csv, format: csv}\n"
        "schema: {amount: double, carrier: string}\n"
    )
    project = load_project(conf)
    rng = np.random.default_rng(3)
    lake = project.lake_location
    for version, (mean, counts) in enumerate(
        [(10, {"ua": 300, "dl": 200}), (10, {"ua": 290, "dl": 210}), (30, {"b6": 400, "ua": 100})]
    ):
        store.register(lake, record(version))
        columns = [numeric(version, rng.normal(mean, 2, 500)), categorical(version, counts)]
        store.register_profile(lake, "orders", version, columns)
    return project


def test_each_version_is_recorded_once_against_the_one_before(project):
    assert record_drift(project, "orders") == [1, 2]
    assert record_drift(project, "orders") == []  # idempotent: nothing new
    recorded = store.drift_metrics(project.lake_location, "orders")
    assert {v: sorted(r.column for r in rows) for v, rows in recorded.items()} == {
        1: ["amount", "carrier"],
        2: ["amount", "carrier"],
    }
    assert {r.reference for rows in recorded.values() for r in rows} == {0, 1}


def test_a_report_from_recorded_statistics_equals_one_computed_from_the_sketches(project):
    record_drift(project, "orders")
    lake = project.lake_location
    before, after = store.profiles(lake, "orders", {1}), store.profiles(lake, "orders", {2})
    rows = store.drift_metrics(lake, "orders")[2]
    recorded = drift(before, after, statistics={r.column: r.statistics for r in rows})
    assert recorded == drift(before, after)
    assert recorded.drifted  # the mean moved from 10 to 30 and b6 took over


def test_the_site_judges_the_recorded_statistics(project):
    """The site reads the stored statistics (a changed row shows) and judges them by the
    thresholds configured now."""
    record_drift(project, "orders")
    lake = project.lake_location
    rows = store.drift_metrics(lake, "orders")[1]
    # version 1 recorded with a tiny KS p-value (500 rows: the KS test decides): the site shows it
    shutil.rmtree(store.drift_table(lake).path())
    changed = [dataclasses.replace(r, ks_p_value=1e-9) if r.column == "amount" else r for r in rows]
    store.register_drift(lake, "orders", changed)
    report = LakeView(project).drift("orders", 0, 1)
    amount = {c.column: c for c in report.columns}["amount"]
    assert amount.method == "ks" and amount.statistic == 1e-9 and amount.drifted
    # a pair whose statistics were never recorded is computed from the sketches
    computed = drift(store.profiles(lake, "orders", {0}), store.profiles(lake, "orders", {2}))
    assert LakeView(project).drift("orders", 0, 2).columns == computed.columns
