"""Profiles of large versions: exact statistics over every row, sketches over a uniform sample.

Checked against numpy on the same data. The sample is made small here (``SKETCH_ROWS``
lowered) so the test runs in seconds; the estimators do not depend on its size. Tolerances are
written beside each check from the estimator's standard error.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from datasketches import kll_doubles_sketch

from lakeshelf.observe import drift
from lakeshelf.registry import profile as profiles
from lakeshelf.registry.fingerprint import fingerprint
from lakeshelf.registry.profile import Sampling, fingerprint_and_profile

ROWS = 300_000
SAMPLE = 30_000


@pytest.fixture
def small_sample(monkeypatch):
    monkeypatch.setattr(profiles, "SKETCH_ROWS", SAMPLE)


@pytest.fixture(scope="module")
def data(spark):
    """300,000 rows: a unique key, a skewed number with nulls, a 20-value category."""
    import pandas as pd

    rng = np.random.default_rng(17)
    amount = rng.lognormal(3, 1, ROWS)
    amount[rng.random(ROWS) < 0.1] = np.nan
    carriers = np.array([f"c{i:02d}" for i in range(20)])
    weights = np.arange(20, 0, -1) / np.arange(20, 0, -1).sum()
    values = pd.DataFrame(
        {
            "key": np.arange(ROWS, dtype=np.int64),
            "amount": amount,
            "carrier": rng.choice(carriers, ROWS, p=weights),
        }
    )
    frame = spark.createDataFrame(values).selectExpr(
        "key", "nanvl(amount, NULL) AS amount", "carrier"
    )
    return values, frame.cache()


def by_column(columns):
    return {c.column: c for c in columns}


def test_the_sample_is_taken_only_above_the_limit():
    assert not Sampling.for_rows(profiles.SKETCH_ROWS).sampled
    assert Sampling.for_rows(4 * profiles.SKETCH_ROWS).rate == pytest.approx(0.25)


def test_exact_statistics_cover_every_row_and_sketches_a_sample(spark, data, small_sample):
    values, frame = data
    print_, columns = fingerprint_and_profile(frame, "big", 0, rows=ROWS)
    assert print_ == fingerprint(frame)  # the fingerprint is untouched by the sample
    key, amount = (by_column(columns)[n] for n in ("key", "amount"))
    present = values["amount"].dropna().to_numpy()
    # exact over all rows
    assert amount.null_count == values["amount"].isna().sum()
    assert amount.metric("min") == present.min() and amount.metric("max") == present.max()
    assert amount.mean == pytest.approx(present.mean(), rel=1e-12)
    assert amount.stddev == pytest.approx(present.std(ddof=1), rel=1e-9)
    assert key.metric("max") == ROWS - 1
    # the quantile sketch saw about SAMPLE of the rows (binomial: 5 standard deviations)
    sketch = kll_doubles_sketch.deserialize(amount.kll)
    expected_seen = SAMPLE * 0.9
    assert abs(sketch.n - expected_seen) < 5 * math.sqrt(expected_seen)
    # its quantiles: KLL's rank error plus the sample's (1 / sqrt(n) bounds 5 sigma of it)
    bound = sketch.normalized_rank_error(False) + 5 * 0.5 / math.sqrt(sketch.n)
    for q in (0.1, 0.5, 0.9):
        rank = (present <= sketch.get_quantile(q)).mean()
        assert abs(rank - q) <= bound
    # no HLL is stored for a sample: merged with another it would count wrong
    assert key.hll is None and key.kll is not None


def test_distinct_counts_and_top_values_of_a_sampled_version(spark, data, small_sample):
    values, frame = data
    columns = by_column(fingerprint_and_profile(frame, "big", 0, rows=ROWS)[1])
    # every carrier appears in the sample: the count is the sample's, exact
    assert columns["carrier"].distinct_count == 20
    # a unique key: the sample saw 10%; the rest is estimated from the followed values,
    # whose standard error is sqrt(missed x (VALUE_SAMPLE - 1)), about 2.8% here
    missed = ROWS - SAMPLE
    sigma = math.sqrt(missed * (profiles.VALUE_SAMPLE - 1)) + 0.02 * ROWS  # + HLL's error
    assert abs(columns["key"].distinct_count - ROWS) <= 4 * sigma
    # top values: scaled to all rows; each count within 5 standard errors of the truth
    truth = values["carrier"].value_counts()
    seen_share = SAMPLE / ROWS
    for value, count in columns["carrier"].top:
        share = truth[value] / ROWS
        sigma = ROWS * math.sqrt(share * (1 - share) / (ROWS * seen_share))
        assert abs(count - truth[value]) <= 5 * sigma + 1
    assert columns["carrier"].other_count == 0 or columns["carrier"].other_count < 0.01 * ROWS


def test_drift_tests_see_the_sample_size(spark, data, small_sample):
    """Two samples of the same data: not drifted, and the chi-square p-value is the sample's
    (with counts scaled to all rows it would call tiny differences significant)."""
    _, frame = data
    first = fingerprint_and_profile(frame, "big", 0, rows=ROWS)[1]
    again = fingerprint_and_profile(frame.orderBy("key"), "big", 1, rows=ROWS)[1]
    from lakeshelf.observe import ColumnRule, Thresholds

    report = drift(first, again, Thresholds(columns={"carrier": ColumnRule("chisquare", 0.001)}))
    columns = by_column(report.columns)
    assert not report.drifted
    assert columns["carrier"].chisquare_p_value > 0.001
    assert columns["amount"].ks < 0.03
