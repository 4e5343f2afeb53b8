"""Trade-off metrics of the figures, as plain functions of numbers (definitions also in
docs/GLOSSARY.md).

Non-decreasing convex hull and AIQ (RouterBench, Hu et al. 2024, §4):
  Given a mechanism's operating points (c_i, q_i) — cost per 1,000 requests [USD] and mean
  quality [1] — its hull h(c) is the upper convex hull of the points from the cheapest point
  (best quality among equal costs) up to the best-quality point (cheapest among equal
  qualities), i.e. the best quality reachable at budget c by randomly mixing two operating
  points; h is concave and non-decreasing on [c_first, c_last], and h(c) = q_last for
  c > c_last (more budget can go unspent) and h(c) = 0 for c < c_first (no operating point
  is affordable).
  AIQ over a cost range [c_min, c_max] is
      AIQ = 1 / (c_max − c_min) · ∫_{c_min}^{c_max} h(c) dc        [1, quality units],
  integrated exactly (h is piecewise linear). The figures use each series' own range (its
  cheapest to its most expensive point), as the simulator's metrics::aiq does
  (sim/quality/metrics.cpp), so the two agree; a common range can be passed to compare
  series over the same budget. A series with one distinct cost has no AIQ.

PGR, APGR, CPT (RouteLLM, Ong et al. 2024, §4):
  PGR(q) = (q − q_weak) / (q_strong − q_weak)  [1], where q_weak / q_strong are the mean
  qualities of the small-only and large-only operating points.
  APGR = ∫_0^1 PGR(s) ds over s = share of requests calling the large model, trapezoid rule
  over the operating points sorted by share (with the anchors (0, 0) and (1, 1) added when
  the points do not reach share 0 or 1).
  CPT(x) = the smallest share s at which the PGR curve (linear between the sorted points,
  from the (0, 0) anchor) reaches x, interpolated; NaN when it never does. cpt_step is the
  uninterpolated form (the share of the first point with PGR ≥ x, 1 when none), as the
  simulator's metrics::cpt computes it.

Speculative decoding (Leviathan et al. 2023, Theorem 3.8 and Corollary 3.9):
  expected tokens per round  E = (1 − α^(γ+1)) / (1 − α),
  speed-up over the target alone  S = (1 − α^(γ+1)) / ((1 − α)(γc + 1)),
  α = per-token acceptance rate, γ = draft tokens per round, c = draft step time / target
  step time.
"""
from __future__ import annotations

import math

import numpy as np

# Student t quantiles t_{0.975, df} for df = 1..30 (two-sided 95 %), then the normal 1.96.
_T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
         2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
         2.060, 2.056, 2.052, 2.048, 2.045, 2.042]


def t975(df: int) -> float:
    """Two-sided 95 % Student t quantile for df degrees of freedom (1.96 for df > 30)."""
    if df < 1:
        return float("nan")
    return _T975[df - 1] if df <= 30 else 1.96


def mean_ci95(values) -> tuple[float, float, float]:
    """(mean, lo, hi): mean and 95 % Student t interval of the mean of `values` (same unit
    as the values); lo = hi = NaN with fewer than 2 finite values."""
    v = np.asarray([x for x in values if x is not None and np.isfinite(x)], dtype=float)
    if len(v) == 0:
        return float("nan"), float("nan"), float("nan")
    m = float(v.mean())
    if len(v) < 2:
        return m, float("nan"), float("nan")
    half = t975(len(v) - 1) * float(v.std(ddof=1)) / math.sqrt(len(v))
    return m, m - half, m + half


def nondecreasing_hull(costs, qualities) -> np.ndarray:
    """Vertices (k × 2 array of [cost USD/1k, quality 1], sorted by cost) of the
    non-decreasing upper convex hull of the points, from the cheapest point to the
    best-quality point (RouterBench). Non-finite points are ignored."""
    pts = [(float(c), float(q)) for c, q in zip(costs, qualities) if np.isfinite(c) and np.isfinite(q)]
    if not pts:
        return np.zeros((0, 2))
    # best quality per distinct cost
    best: dict[float, float] = {}
    for c, q in pts:
        best[c] = max(q, best.get(c, -math.inf))
    xs = sorted(best)
    # keep only points that improve on every cheaper point (the Pareto staircase)
    stair = []
    for c in xs:
        q = best[c]
        if not stair or q > stair[-1][1]:
            stair.append((c, q))
    # upper hull (monotone chain) of the staircase: drop vertices under the chord
    hull: list[tuple[float, float]] = []
    for p in stair:
        while len(hull) >= 2 and _cross(hull[-2], hull[-1], p) >= 0:
            hull.pop()
        hull.append(p)
    return np.array(hull)


def _cross(o, a, b) -> float:
    """z of (a − o) × (b − o): ≥ 0 when a lies on or below the chord o→b (for increasing x)."""
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def hull_value(hull: np.ndarray, c: float) -> float:
    """h(c) [quality]: the hull interpolated at cost c, q_last beyond the last vertex and 0
    below the first (no operating point affordable)."""
    if len(hull) == 0 or c < hull[0, 0]:
        return 0.0
    if c >= hull[-1, 0]:
        return float(hull[-1, 1])
    return float(np.interp(c, hull[:, 0], hull[:, 1]))


def aiq(hull: np.ndarray, c_min: float, c_max: float) -> float:
    """AIQ [quality] = (1/(c_max − c_min)) ∫_{c_min}^{c_max} h(c) dc with h as in hull_value
    (0 below the hull's first cost, flat after its last); exact, as h is piecewise linear.
    NaN when the hull has < 2 vertices or c_max ≤ c_min."""
    if len(hull) < 2 or not (c_max > c_min):
        return float("nan")
    lo = max(c_min, float(hull[0, 0]))
    if lo >= c_max:
        return 0.0
    xs = sorted({lo, c_max, *(float(c) for c in hull[:, 0] if lo < c < c_max)})
    hs = [hull_value(hull, x) for x in xs]
    area = sum(0.5 * (ha + hb) * (b - a) for a, b, ha, hb in zip(xs[:-1], xs[1:], hs[:-1], hs[1:]))
    return area / (c_max - c_min)


def pgr(q, q_weak: float, q_strong: float):
    """Performance gap recovered [1]: (q − q_weak) / (q_strong − q_weak); NaN when
    q_strong == q_weak. Works on scalars and arrays."""
    gap = q_strong - q_weak
    if not np.isfinite(gap) or gap == 0:
        return np.full_like(np.asarray(q, dtype=float), np.nan)
    return (np.asarray(q, dtype=float) - q_weak) / gap


def pgr_curve(shares, pgrs) -> tuple[np.ndarray, np.ndarray]:
    """Operating points sorted by share of large-model calls [1] (stable, ties keep their
    order), with the anchors (0, 0) and (1, 1) added when no point sits at share 0 or 1;
    non-finite points dropped. Returns (shares, pgrs)."""
    s = np.asarray(shares, dtype=float)
    p = np.asarray(pgrs, dtype=float)
    ok = np.isfinite(s) & np.isfinite(p)
    s, p = s[ok], p[ok]
    order = np.argsort(s, kind="stable")
    s, p = list(s[order]), list(p[order])
    if not s or s[0] > 1e-12:
        s.insert(0, 0.0)
        p.insert(0, 0.0)
    if s[-1] < 1.0 - 1e-12:
        s.append(1.0)
        p.append(1.0)
    return np.array(s), np.array(p)


def apgr(shares, pgrs) -> float:
    """APGR [1]: trapezoid area under PGR over share in [0, 1] (pgr_curve's points)."""
    s, p = pgr_curve(shares, pgrs)
    return float(np.sum(0.5 * (p[1:] + p[:-1]) * np.diff(s)))


def cpt(shares, pgrs, target: float) -> float:
    """CPT(target) [1, share of large-model calls]: smallest share at which the piecewise
    linear PGR curve (pgr_curve's points) reaches `target` (e.g. 0.5 for CPT(50%)); NaN
    when it never does."""
    s, p = pgr_curve(shares, pgrs)
    if p[0] >= target:
        return float(s[0])
    for i in range(1, len(s)):
        if p[i] >= target:
            if p[i] == p[i - 1]:
                return float(s[i])
            return float(s[i - 1] + (target - p[i - 1]) / (p[i] - p[i - 1]) * (s[i] - s[i - 1]))
    return float("nan")


def cpt_step(shares, pgrs, target: float) -> float:
    """CPT(target) without interpolation [1]: share of the first operating point (sorted by
    share, anchors as in pgr_curve) with PGR ≥ target; 1 when none (metrics::cpt in C++)."""
    s, p = pgr_curve(shares, pgrs)
    hit = np.nonzero(p >= target)[0]
    return float(s[hit[0]]) if len(hit) else 1.0


def leviathan_tokens_per_round(alpha, gamma):
    """Expected tokens emitted per round [tokens]: (1 − α^(γ+1)) / (1 − α); γ + 1 at α = 1."""
    a = np.asarray(alpha, dtype=float)
    g = np.asarray(gamma, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        e = (1 - a ** (g + 1)) / (1 - a)
    return np.where(np.isclose(a, 1.0), g + 1, e)


def leviathan_speedup(alpha, gamma, c):
    """Expected wall-time speed-up over the target model alone [1]:
    (1 − α^(γ+1)) / ((1 − α)(γc + 1)) (Leviathan et al. 2023, Corollary 3.9)."""
    g = np.asarray(gamma, dtype=float)
    return leviathan_tokens_per_round(alpha, g) / (g * c + 1)


def ecdf(values) -> tuple[np.ndarray, np.ndarray]:
    """Empirical CDF of the finite values: (sorted x, share ≤ x = (i+1)/n)."""
    x = np.sort(np.asarray(values, dtype=float)[np.isfinite(values)])
    return x, np.arange(1, len(x) + 1) / max(1, len(x))


def ecdf_quantile(x_sorted, y, p: float) -> float:
    """Reads the quantile p off an empirical CDF step curve (x sorted, y = (i+1)/n): the
    smallest x with y ≥ p (numpy's 'inverted_cdf' percentile)."""
    i = int(np.searchsorted(y, p - 1e-12, side="left"))
    return float(x_sorted[min(i, len(x_sorted) - 1)])


def rolling_mean(t, v, window: float) -> np.ndarray:
    """Trailing rolling mean of samples v taken at times t [s] over `window` seconds
    (the samples with t_i − window < t_j ≤ t_i), via cumulative sums."""
    t = np.asarray(t, dtype=float)
    v = np.asarray(v, dtype=float)
    if len(t) == 0:
        return v
    cs = np.concatenate([[0.0], np.cumsum(v)])
    lo = np.searchsorted(t, t - window, side="right")
    hi = np.arange(1, len(t) + 1)
    return (cs[hi] - cs[lo]) / np.maximum(hi - lo, 1)
