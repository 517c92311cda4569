"""Drift from stored profiles, checked against scipy and numpy on the same raw data.

Sketches with at most k=200 values are exact, so those metrics must equal scipy's to float
precision. Larger columns are summarised by KLL; there the tolerance is KLL's normalised rank
error (about 1.3% at k=200, read from the sketch) for rank-based statistics, as written below.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from lakeshelf.observe import ColumnRule, Thresholds, drift
from lakeshelf.observe.drift import rank_error
from lakeshelf.registry.profile import profile


def profiled(spark, values: dict[str, list], version: int = 0):
    import pandas as pd

    frame = spark.createDataFrame(pd.DataFrame(values))
    return profile(frame, "data", version)


def reference_psi(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """PSI and JS over 10 bins cut at a's deciles (inclusive: the smallest value reaching each)."""
    ordered = np.sort(a)
    edges = np.unique([ordered[math.ceil(q * len(a)) - 1] for q in np.arange(1, 10) / 10])

    def shares(x):
        counts = np.diff(
            np.concatenate([[0], np.searchsorted(np.sort(x), edges, "right"), [len(x)]])
        )
        return counts / len(x)

    pa_, pb_ = shares(a), shares(b)
    fa, fb = np.maximum(pa_, 1e-4), np.maximum(pb_, 1e-4)
    return float(np.sum((fb - fa) * np.log(fb / fa))), float(jensenshannon(pa_, pb_))


def by_column(report):
    return {c.column: c for c in report.columns}


def test_numeric_drift_equals_scipy_where_the_sketch_is_exact(spark):
    rng = np.random.default_rng(7)
    a, b = rng.normal(0, 1, 150), rng.normal(0.6, 1.3, 180)
    report = drift(profiled(spark, {"x": a}), profiled(spark, {"x": b}, 1))
    column = by_column(report)["x"]
    psi, js = reference_psi(a, b)
    assert column.psi == pytest.approx(psi, rel=1e-9)
    assert column.js == pytest.approx(js, rel=1e-9)
    expected_w = stats.wasserstein_distance(a, b) / np.std(a, ddof=1)
    assert column.wasserstein == pytest.approx(expected_w, rel=1e-9)
    ks = stats.ks_2samp(a, b, method="asymp")
    assert column.ks == pytest.approx(ks.statistic, rel=1e-9)
    assert column.ks_p_value == pytest.approx(ks.pvalue, rel=1e-6)
    # 150 reference rows: the KS test decides, and a shift of 0.6 SD is found
    assert (column.method, column.threshold, column.drifted) == ("ks", 0.05, True)
    assert report.drifted and report.share == 1.0


def test_numeric_drift_is_within_the_sketch_error_on_large_columns(spark):
    rng = np.random.default_rng(11)
    a, b = rng.normal(10, 2, 200_000), rng.gamma(9, 1.2, 150_000)
    before, after = profiled(spark, {"x": a}), profiled(spark, {"x": b}, 1)
    epsilon = max(rank_error(before[0]), rank_error(after[0]))
    assert 0 < epsilon < 0.02  # the sketches summarise: KLL's stated bound applies
    column = by_column(drift(before, after))["x"]
    ks = stats.ks_2samp(a, b).statistic
    assert abs(column.ks - ks) <= 2 * epsilon  # each CDF is off by at most epsilon
    # Wasserstein integrates the CDF gap over the range: off by at most 2 epsilon x range / SD
    spread = (max(a.max(), b.max()) - min(a.min(), b.min())) / np.std(a, ddof=1)
    expected_w = stats.wasserstein_distance(a, b) / np.std(a, ddof=1)
    assert abs(column.wasserstein - expected_w) <= 2 * epsilon * spread
    psi, js = reference_psi(a, b)
    assert column.psi == pytest.approx(psi, abs=0.05)  # bins' shares off by <= 2 epsilon each
    assert column.js == pytest.approx(js, abs=0.03)
    assert column.method == "wasserstein" and column.drifted


def test_same_distribution_does_not_drift(spark):
    rng = np.random.default_rng(3)
    a, b = rng.normal(5, 1, 5000), rng.normal(5, 1, 5000)
    report = drift(profiled(spark, {"x": a}), profiled(spark, {"x": b}, 1))
    column = by_column(report)["x"]
    assert column.method == "wasserstein" and not column.drifted
    assert column.psi < 0.05 and not report.drifted


def test_categorical_drift_equals_scipy_on_the_counts(spark):
    a = ["ua"] * 50 + ["dl"] * 30 + ["aa"] * 20 + [None] * 5
    b = ["ua"] * 20 + ["dl"] * 30 + ["aa"] * 40 + ["b6"] * 10
    report = drift(profiled(spark, {"carrier": a}), profiled(spark, {"carrier": b}, 1))
    column = by_column(report)["carrier"]
    # categories of both versions plus "other" (empty here: every value is a top value)
    ca, cb = np.array([50, 30, 20, 0, 0]), np.array([20, 30, 40, 10, 0])
    pa_, pb_ = ca / ca.sum(), cb / cb.sum()
    fa, fb = np.maximum(pa_, 1e-4), np.maximum(pb_, 1e-4)
    assert column.psi == pytest.approx(float(np.sum((fb - fa) * np.log(fb / fa))), rel=1e-9)
    assert column.js == pytest.approx(float(jensenshannon(pa_, pb_)), rel=1e-9)
    expected_p = stats.chi2_contingency(np.array([ca[:4], cb[:4]]))[1]
    assert column.chisquare_p_value == pytest.approx(expected_p, rel=1e-9)
    assert column.method == "chisquare" and column.drifted
    assert column.null_rate_reference == pytest.approx(5 / 105)
    assert column.null_rate_current == 0.0


def test_added_removed_and_retyped_columns_are_reported_as_such(spark):
    before = profiled(spark, {"a": [1.0, 2.0, 3.0], "gone": ["x", "y", "z"], "t": [1, 2, 3]})
    after = profiled(spark, {"a": [1.0, 2.0, 3.0], "new": [1, 2, 3], "t": ["1", "2", "3"]}, 1)
    report = by_column(drift(before, after))
    assert report["gone"].status == "removed" and report["new"].status == "added"
    assert report["t"].status == "retyped" and report["a"].status == "compared"
    assert not any(c.drifted for c in report.values())


def test_column_rules_and_thresholds_decide(spark):
    rng = np.random.default_rng(5)
    a, b = rng.normal(0, 1, 3000), rng.normal(0.15, 1, 3000)
    before, after = profiled(spark, {"x": a, "y": a}), profiled(spark, {"x": b, "y": b}, 1)
    report = drift(
        before,
        after,
        Thresholds(share=0.5, columns={"x": ColumnRule("psi", 0.01), "y": ColumnRule(None, 0.5)}),
    )
    x, y = by_column(report)["x"], by_column(report)["y"]
    assert (x.method, x.threshold, x.drifted) == ("psi", 0.01, x.psi > 0.01)
    assert (y.method, y.threshold, y.drifted) == ("wasserstein", 0.5, False)
    assert report.share == (0.5 if x.drifted else 0.0)
    data = json.loads(json.dumps(report.as_json()))
    assert set(data) == {"reference", "current", "columns", "drifted_columns", "share", "drifted"}
    assert {
        "column",
        "type",
        "method",
        "statistic",
        "threshold",
        "drifted",
        "psi",
        "js",
        "wasserstein",
        "ks",
        "null_rate_reference",
        "null_rate_current",
    } <= set(data["columns"][0])


def test_wide_tables_profile_in_one_pass(spark):
    frame = spark.range(500).selectExpr(
        *[f"id * {i} AS n{i}" for i in range(60)],
        *[f"cast(id % {i + 2} AS string) AS s{i}" for i in range(60)],
    )
    columns = profile(frame, "wide", 0)
    assert len(columns) == 120
    s3 = next(c for c in columns if c.column == "s3")
    assert s3.distinct_count == 5 and sum(n for _, n in s3.top) == 500
    n7 = next(c for c in columns if c.column == "n7")
    assert n7.metric("max") == 499 * 7 and n7.mean == pytest.approx(249.5 * 7)
