"""Drift between two profiled versions, from their stored profiles alone (no data is read).

Numeric columns are compared through their KLL sketches: a sketch's retained items with their
weights are the version's distribution, exactly while the sketch is exact (n <= k) and within
KLL's normalised rank error (about 1.3% at k=200, :func:`rank_error`) otherwise:

- PSI over 10 bins cut at the reference's deciles, ``(b - a) * ln(b / a)`` summed, shares below
  1e-4 raised to 1e-4 (so an empty bin does not make it infinite);
- Jensen-Shannon distance over the same bins (natural logarithm, as scipy's default);
- Wasserstein-1 distance divided by the reference's standard deviation;
- the two-sample Kolmogorov-Smirnov statistic and its asymptotic p-value.

Categorical columns are compared over their top values plus "other" (non-null rows outside a
version's top values; a value one version lists and the other does not counts in that version's
"other"): PSI, Jensen-Shannon distance, and a chi-square test of the 2 x K table.

Which metric decides follows Evidently's rule: with a reference of at most 1,000 rows the
statistical tests decide (KS for numbers, chi-square for categories; drift when p < 0.05),
above that the distances (normalised Wasserstein 0.1 for numbers, Jensen-Shannon 0.1 for
categories). Each column may name its own method and threshold; ignored columns (ingest's own
columns, and keys a dataset lists) are reported but not judged. The dataset drifts when at
least half of the compared columns drift. Columns present in one version only are reported as
added or removed and are not part of that share.
"""

from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from lakeshelf.config.models import DriftConfig
from lakeshelf.errors import ConfigError
from lakeshelf.names import INGEST_COLUMNS

if TYPE_CHECKING:
    import numpy as np

    from lakeshelf.config import Project
    from lakeshelf.registry.profile import ColumnProfile

#: Methods a column can be judged by; the p-value tests drift *below* their threshold.
METHODS = ("psi", "js", "wasserstein", "ks", "chisquare")
P_VALUE_METHODS = ("ks", "chisquare")
NUMERIC_METHODS = ("psi", "js", "wasserstein", "ks")
CATEGORICAL_METHODS = ("psi", "js", "chisquare")
_FLOOR = 1e-4
_BINS = 10


@dataclass(frozen=True)
class ColumnRule:
    """A column's own method and threshold (either may be left to the defaults)."""

    method: str | None = None
    threshold: float | None = None


@dataclass(frozen=True)
class Thresholds:
    """Drift thresholds; the defaults follow Evidently and Azure ML."""

    psi: float = 0.2
    js: float = 0.1
    wasserstein: float = 0.1
    ks: float = 0.05  # p-value
    chisquare: float = 0.05  # p-value
    share: float = 0.5  # of compared columns, for the dataset to drift
    small_reference: int = 1000  # reference rows up to which the statistical tests decide
    columns: dict[str, ColumnRule] = field(default_factory=dict)
    ignore: frozenset[str] = frozenset(INGEST_COLUMNS)  # reported as ignored, not judged

    def __post_init__(self) -> None:
        for name, rule in self.columns.items():
            if rule.method is not None and rule.method not in METHODS:
                raise ConfigError(
                    f"drift method {rule.method!r} for column {name!r} is not one of"
                    f" {', '.join(METHODS)}"
                )

    def threshold(self, method: str) -> float:
        """The default threshold of ``method``."""
        return float(getattr(self, method))


@dataclass(frozen=True)
class ColumnDrift:
    """How one column moved between the reference and the current version."""

    column: str
    type: str | None
    status: str  # compared | added | removed | retyped | not comparable | ignored
    method: str | None
    statistic: float | None  # the deciding method's value
    threshold: float | None
    drifted: bool
    psi: float | None = None
    js: float | None = None
    wasserstein: float | None = None
    ks: float | None = None
    ks_p_value: float | None = None
    chisquare_p_value: float | None = None
    null_rate_reference: float | None = None
    null_rate_current: float | None = None


@dataclass(frozen=True)
class DriftReport:
    """Drift of every column between two versions, and whether the dataset drifted."""

    reference: str
    current: str
    columns: list[ColumnDrift]
    share_threshold: float

    @property
    def compared(self) -> list[ColumnDrift]:
        """Columns both versions have with comparable types."""
        return [c for c in self.columns if c.status == "compared"]

    @property
    def drifted_columns(self) -> int:
        """How many compared columns drifted."""
        return sum(1 for c in self.compared if c.drifted)

    @property
    def share(self) -> float:
        """Share of compared columns that drifted."""
        return self.drifted_columns / len(self.compared) if self.compared else 0.0

    @property
    def drifted(self) -> bool:
        """True when the share reaches the dataset threshold."""
        return bool(self.compared) and self.share >= self.share_threshold

    def as_json(self) -> dict[str, Any]:
        """The report in the documented JSON shape (metrics that do not apply are null)."""
        return {
            "reference": self.reference,
            "current": self.current,
            "columns": [_finite(asdict(c)) for c in self.columns],
            "drifted_columns": self.drifted_columns,
            "share": self.share,
            "drifted": self.drifted,
        }


def _finite(values: dict[str, Any]) -> dict[str, Any]:
    """Infinite or NaN floats as null, so the JSON is standard."""
    return {
        k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in values.items()
    }


def drift(
    reference: list[ColumnProfile],
    current: list[ColumnProfile],
    thresholds: Thresholds | None = None,
    *,
    reference_name: str = "reference",
    current_name: str = "current",
    statistics: dict[str, dict[str, float | None]] | None = None,
) -> DriftReport:
    """Compare two versions' profiles column by column (see the module docstring).

    ``statistics``: the columns' :func:`column_metrics` computed before (recorded at publish,
    :mod:`lakeshelf.observe.recorded`), by column; a column missing there is computed.
    """
    thresholds = thresholds or Thresholds()
    known = statistics or {}
    before = {p.column: p for p in reference}
    after = {p.column: p for p in current}
    columns = []
    for name in [*before, *(n for n in after if n not in before)]:
        a, b = before.get(name), after.get(name)
        if name in thresholds.ignore:
            present = b or a
            columns.append(
                ColumnDrift(
                    name, present.type if present else None, "ignored", None, None, None, False
                )
            )
        elif a is None or b is None:
            present = a or b
            columns.append(
                ColumnDrift(
                    name,
                    present.type if present else None,
                    "added" if a is None else "removed",
                    None,
                    None,
                    None,
                    False,
                    null_rate_reference=a.null_rate if a else None,
                    null_rate_current=b.null_rate if b else None,
                )
            )
        else:
            columns.append(column_drift(a, b, thresholds, known.get(name)))
    return DriftReport(reference_name, current_name, columns, thresholds.share)


def comparable(a: ColumnProfile, b: ColumnProfile) -> bool:
    """True when drift statistics apply to a column present in both versions."""
    return a.kind == b.kind and a.kind != "other"


def column_metrics(a: ColumnProfile, b: ColumnProfile) -> dict[str, float | None]:
    """The drift statistics of a :func:`comparable` column, by name: psi, js, wasserstein, ks
    and ks_p_value for numbers; psi, js and chisquare_p_value for categories."""
    return _numeric(a, b) if a.kind == "numeric" else _categorical(a, b)


def column_drift(
    a: ColumnProfile,
    b: ColumnProfile,
    thresholds: Thresholds,
    statistics: dict[str, float | None] | None = None,
) -> ColumnDrift:
    """Drift of one column present in both versions (from ``statistics`` when given, the
    column's :func:`column_metrics`)."""
    nulls = {"null_rate_reference": a.null_rate, "null_rate_current": b.null_rate}
    if not comparable(a, b):
        status = "retyped" if a.kind != b.kind else "not comparable"
        return ColumnDrift(a.column, b.type, status, None, None, None, False, **nulls)
    metrics = _applicable(a.kind, statistics) if statistics else column_metrics(a, b)
    rule = thresholds.columns.get(a.column, ColumnRule())
    method = rule.method or _default_method(a, thresholds)
    allowed = NUMERIC_METHODS if a.kind == "numeric" else CATEGORICAL_METHODS
    if method not in allowed:
        raise ConfigError(
            f"drift method {method!r} does not apply to {a.kind} column {a.column!r}"
            f" (use one of {', '.join(allowed)})"
        )
    threshold = rule.threshold if rule.threshold is not None else thresholds.threshold(method)
    statistic = metrics[f"{method}_p_value" if method in P_VALUE_METHODS else method]
    if statistic is None:  # one side has no values: drifted unless neither has any
        drifted = (a.row_count - a.null_count > 0) != (b.row_count - b.null_count > 0)
    elif method in P_VALUE_METHODS:
        drifted = statistic < threshold
    else:
        drifted = statistic > threshold
    return ColumnDrift(
        a.column, b.type, "compared", method, statistic, threshold, drifted, **metrics, **nulls
    )


_APPLICABLE = {
    "numeric": ("psi", "js", "wasserstein", "ks", "ks_p_value"),
    "categorical": ("psi", "js", "chisquare_p_value"),
}


def _applicable(kind: str, statistics: dict[str, float | None]) -> dict[str, float | None]:
    """The statistics that apply to a column of ``kind`` (a stored row holds all names)."""
    return {name: statistics.get(name) for name in _APPLICABLE[kind]}


def _default_method(reference: ColumnProfile, thresholds: Thresholds) -> str:
    small = reference.row_count - reference.null_count <= thresholds.small_reference
    if reference.kind == "numeric":
        return "ks" if small else "wasserstein"
    return "chisquare" if small else "js"


def rank_error(profile: ColumnProfile) -> float:
    """KLL's normalised rank error for this column's sketch (0 while the sketch is exact)."""
    sketch = _kll(profile)
    if sketch is None or not sketch.is_estimation_mode():
        return 0.0
    return float(sketch.normalized_rank_error(False))


def _kll(profile: ColumnProfile) -> Any:
    from datasketches import kll_doubles_sketch

    return kll_doubles_sketch.deserialize(profile.kll) if profile.kll else None


def distribution(profile: ColumnProfile) -> tuple[np.ndarray, np.ndarray]:
    """A numeric column's values and their weights, from its sketch (sorted by value).

    The arrays are read-only: a decoded sketch is kept (by its bytes) for the next caller, since
    a page or a report decodes the same version's sketches several times.
    """
    return _decoded(profile.kll)


@functools.lru_cache(maxsize=8192)
def _decoded(kll: bytes | None) -> tuple[np.ndarray, np.ndarray]:
    import numpy as np

    sketch = _sketch(kll)
    if sketch is None:
        values, weights = np.array([]), np.array([])
    else:
        pairs = sorted(sketch)
        values = np.array([v for v, _ in pairs])
        weights = np.array([w for _, w in pairs], dtype=float)
    values.flags.writeable = weights.flags.writeable = False
    return values, weights


def _numeric(a: ColumnProfile, b: ColumnProfile) -> dict[str, float | None]:
    import numpy as np

    (va, wa), (vb, wb) = distribution(a), distribution(b)
    empty: dict[str, float | None] = {
        "psi": None,
        "js": None,
        "wasserstein": None,
        "ks": None,
        "ks_p_value": None,
    }
    if not len(va) or not len(vb):
        return empty
    edges = np.unique(_inclusive_quantiles(va, wa, np.arange(1, _BINS) / _BINS))
    pa, pb = _bin_shares(va, wa, edges), _bin_shares(vb, wb, edges)
    scale = a.stddev or 0.0
    support = np.union1d(va, vb)
    gaps = np.abs(_cdf(va, wa, support) - _cdf(vb, wb, support))
    # Wasserstein-1 is the area between the two CDFs (as scipy's wasserstein_distance computes
    # it, without its per-call overhead, which a site of thousands of versions pays per pair)
    distance = float(np.sum(gaps[:-1] * np.diff(support)))
    ks = float(np.max(gaps))
    n, m = wa.sum(), wb.sum()
    return {
        "psi": _psi(pa, pb),
        "js": _jensen_shannon(pa, pb),
        "wasserstein": distance / scale if scale > 0 else (0.0 if distance == 0 else math.inf),
        "ks": ks,
        "ks_p_value": _ks_p_value(ks, n * m / (n + m)),
    }


def _jensen_shannon(pa: np.ndarray, pb: np.ndarray) -> float:
    """Jensen-Shannon distance, natural logarithm (scipy's ``jensenshannon`` without its
    per-call overhead)."""
    import numpy as np
    from scipy.special import rel_entr

    p, q = pa / pa.sum(), pb / pb.sum()
    middle = (p + q) / 2
    divergence = (rel_entr(p, middle).sum() + rel_entr(q, middle).sum()) / 2
    return float(np.sqrt(max(divergence, 0.0)))


#: Effective sizes up to which the KS p-value uses scipy's exact Kolmogorov distribution (as
#: ``ks_2samp(method="asymp")`` does); above it the limiting distribution, which it converges
#: to (the exact one costs ~0.1 s a column at 100,000 rows, the limit microseconds).
_EXACT_KS_SIZE = 10_000


def _ks_p_value(statistic: float, size: float) -> float:
    from scipy import stats

    if size <= _EXACT_KS_SIZE:
        return float(stats.kstwo.sf(statistic, round(size)))
    return float(stats.kstwobign.sf(statistic * math.sqrt(size)))


def _inclusive_quantiles(values: np.ndarray, weights: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """The smallest value whose cumulative share reaches each rank (KLL's inclusive rule)."""
    import numpy as np

    cumulative = np.cumsum(weights) / weights.sum()
    return values[np.minimum(np.searchsorted(cumulative, ranks - 1e-12), len(values) - 1)]


def _cdf(values: np.ndarray, weights: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Share of the weight at or below each point."""
    import numpy as np

    cumulative = np.concatenate([[0.0], np.cumsum(weights)]) / weights.sum()
    return cumulative[np.searchsorted(values, points, side="right")]


def _bin_shares(values: np.ndarray, weights: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Shares of the weight in (-inf, e1], (e1, e2], ..., (ek, inf)."""
    import numpy as np

    cdf = np.concatenate([_cdf(values, weights, edges), [1.0]])
    return np.diff(np.concatenate([[0.0], cdf]))


def distribution_bars(
    profile: ColumnProfile, other: ColumnProfile | None
) -> tuple[list[Any], list[float]]:
    """Bars of one version's distribution, for charts: shares of non-null rows in 30
    equal-width bins over both versions' range (numbers), or per top value and "other"
    (categories); empty for other kinds or without values."""
    import numpy as np

    if profile.kind == "categorical":
        pair = (profile, other) if other is not None and other.kind == profile.kind else None
        names, counts, _ = category_counts(*(pair or (profile, profile)))
        total = sum(counts) or 1
        return [n.strip('"') for n in names], [c / total for c in counts]
    if profile.kind != "numeric":
        return [], []
    sketch = _sketch(profile.kll)
    if sketch is None:
        return [], []
    both = [sketch] + (
        [_sketch(other.kll)] if other is not None and other.kind == "numeric" else []
    )
    low = min(s.get_min_value() for s in both if s is not None)
    high = max(s.get_max_value() for s in both if s is not None)
    # the sketch's own mass function (C++): the shares of (-inf, b1], (b1, b2], ..., as
    # _bin_shares gives them from the decoded items, without decoding them
    if high == low:
        return [low, high], [float(s) for s in sketch.get_pmf([low], inclusive=True)]
    bounds = np.linspace(low, high, 31)
    shares = sketch.get_pmf(bounds[1:-1].tolist(), inclusive=True)
    centres = (bounds[:-1] + bounds[1:]) / 2
    return centres.tolist(), [float(s) for s in shares]


#: Quantiles a :func:`distribution_summary` keeps of a numeric column (every 1/64 of its rank).
SUMMARY_QUANTILES = 64


def distribution_summary(profile: ColumnProfile) -> dict[str, Any] | None:
    """A compact, fixed-size summary of a column's distribution for charts drawn elsewhere (the
    site bins it in the browser, for one version or two overlaid): ``{"kind": "numeric", "q":
    [...]}``, its quantiles at ranks 0, 1/64, ..., 1 (the first the minimum, the last the
    maximum); ``{"kind": "categorical", "top": [[value, count], ...], "other": n}``; None for
    other kinds or without values. Computed once per profile: each appears on three pages."""
    if profile.kind == "categorical":
        if profile.row_count - profile.null_count <= 0:
            return None
        return _categories(profile.top_values, profile.other_count)
    return _quantiles(profile.kll) if profile.kind == "numeric" else None


@functools.lru_cache(maxsize=8192)
def _quantiles(kll: bytes | None) -> dict[str, Any] | None:
    sketch = _sketch(kll)
    if sketch is None:
        return None
    ranks = [i / SUMMARY_QUANTILES for i in range(1, SUMMARY_QUANTILES)]
    inner = [float(q) for q in sketch.get_quantiles(ranks)]
    # the ends are the exact minimum and maximum (a sketch's rank-0 quantile need not be)
    return {"kind": "numeric", "q": [sketch.get_min_value(), *inner, sketch.get_max_value()]}


@functools.lru_cache(maxsize=8192)
def _categories(top_values: str | None, other: int) -> dict[str, Any]:
    import json

    top = [
        [value if isinstance(value, str) else json.dumps(value), int(count)]
        for value, count in json.loads(top_values or "[]")
    ]
    return {"kind": "categorical", "top": top, "other": other}


@functools.lru_cache(maxsize=8192)
def _sketch(kll: bytes | None) -> Any:
    """A numeric column's KLL sketch, decoded once per process (None when empty)."""
    from datasketches import kll_doubles_sketch

    sketch = kll_doubles_sketch.deserialize(kll) if kll else None
    return None if sketch is None or sketch.is_empty() else sketch


def _psi(pa: np.ndarray, pb: np.ndarray) -> float:
    import numpy as np

    a, b = np.maximum(pa, _FLOOR), np.maximum(pb, _FLOOR)
    return float(np.sum((b - a) * np.log(b / a)))


def category_counts(a: ColumnProfile, b: ColumnProfile) -> tuple[list[str], list[int], list[int]]:
    """Categories of either version's top values plus "other", and each version's counts."""
    top_a, top_b = dict(_keyed(a.top_values)), dict(_keyed(b.top_values))
    names = list(dict.fromkeys([*top_a, *top_b]))
    counts_a = [top_a.get(n, 0) for n in names] + [a.other_count]
    counts_b = [top_b.get(n, 0) for n in names] + [b.other_count]
    return [*names, "other"], counts_a, counts_b


@functools.lru_cache(maxsize=8192)
def _keyed(top_values: str | None) -> tuple[tuple[str, int], ...]:
    """A profile's top values (its ``top_values`` JSON) keyed by their JSON text, so 1, "1" and
    true stay apart; kept for the next caller, as pages compare each version twice."""
    import json

    top = json.loads(top_values or "[]")
    return tuple((json.dumps(value), int(count)) for value, count in top)


def _sampled_share(profile: ColumnProfile) -> float:
    """The share of a column's values its frequent-items sketch saw (1.0 unless sampled)."""
    from datasketches import frequent_strings_sketch

    values = profile.row_count - profile.null_count
    if not profile.top_sketch or not values:
        return 1.0
    seen = frequent_strings_sketch.deserialize(profile.top_sketch).total_weight
    return min(seen / values, 1.0)


def _categorical(a: ColumnProfile, b: ColumnProfile) -> dict[str, float | None]:
    import numpy as np

    _, counts_a, counts_b = category_counts(a, b)
    ca, cb = np.array(counts_a, dtype=float), np.array(counts_b, dtype=float)
    if not ca.sum() or not cb.sum():
        return {"psi": None, "js": None, "chisquare_p_value": None}
    pa, pb = ca / ca.sum(), cb / cb.sum()
    # the test sees the counts of the rows the sketches saw (a sample of a large version)
    table = np.array([ca * _sampled_share(a), cb * _sampled_share(b)])[:, (ca + cb) > 0]
    p_value = 1.0 if table.shape[1] < 2 else _chi_square_p_value(table)
    return {"psi": _psi(pa, pb), "js": _jensen_shannon(pa, pb), "chisquare_p_value": p_value}


def _chi_square_p_value(observed: np.ndarray) -> float:
    """p-value of Pearson's chi-square test of independence of a 2 x K table, with Yates'
    correction at one degree of freedom: scipy's ``chi2_contingency``, without its per-call
    overhead."""
    import numpy as np
    from scipy.special import chdtrc

    total = observed.sum()
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / total
    dof = (observed.shape[0] - 1) * (observed.shape[1] - 1)
    if dof == 0:
        return 1.0
    if dof == 1:
        difference = expected - observed
        observed = observed + np.minimum(0.5, np.abs(difference)) * np.sign(difference)
    statistic = float(np.sum((observed - expected) ** 2 / expected))
    return float(chdtrc(dof, statistic))


def thresholds_for(project: Project, dataset: str, **overrides: float | None) -> Thresholds:
    """The dataset's configured drift thresholds, with ``overrides`` that are not None."""
    config = project.dataset(dataset).drift or DriftConfig()
    values: dict[str, Any] = {
        key: getattr(config, key)
        for key in ("psi", "js", "wasserstein", "ks", "chisquare", "share", "small_reference")
    }
    values.update({k: v for k, v in overrides.items() if v is not None})
    columns = {
        name: ColumnRule(rule.method, rule.threshold) for name, rule in config.columns.items()
    }
    return Thresholds(
        **values, columns=columns, ignore=frozenset([*INGEST_COLUMNS, *config.ignore])
    )
