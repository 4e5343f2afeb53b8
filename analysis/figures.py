"""The collabsim figures. Each figure function takes the Context (points, options, output
folder) and either writes its files (PNG/PDF plus a .json with the plotted numbers) and
returns their paths, or returns a one-line reason why the inputs cannot make it (raised as
Skip). Definitions of every metric: metrics.py and docs/GLOSSARY.md.
"""
from __future__ import annotations

import math
import re
import textwrap
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np

from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.lines import Line2D

import metrics as M
import style
from h5io import get_path, operating_axes


class Skip(Exception):
    """The inputs lack what a figure needs; the message says what (one line)."""


# Label and unit of the /summary metrics on axes.
METRIC_LABELS = {
    "quality_mean": ("mean quality", "1"),
    "latency_p50_s": ("p50 latency", "s"), "latency_p95_s": ("p95 latency", "s"),
    "latency_p99_s": ("p99 latency", "s"),
    "ttft_p50_s": ("p50 TTFT", "s"), "ttft_p95_s": ("p95 TTFT", "s"), "ttft_p99_s": ("p99 TTFT", "s"),
    "tpot_p50_s": ("p50 TPOT", "s"), "tpot_p99_s": ("p99 TPOT", "s"),
    "cost_per_1k_usd": ("cost per 1,000 requests", "USD"),
    "energy_per_request_j": ("energy per request", "J"),
    "radio_energy_per_request_j": ("radio energy per request", "J"),
    "battery_share_per_request": ("battery share per request", "1"),
    "large_share": ("share of requests calling the large model", "1"),
    "escalation_rate": ("escalation rate", "1"),
    "bytes_up_per_request": ("bytes sent up per request", "bytes"),
    "private_tokens_per_request": ("private tokens sent per request", "tokens"),
    "makespan_s": ("makespan", "s"), "throughput_rps": ("throughput", "requests/s"),
    "n_saturated_devices": ("saturated devices", "devices"),
    "slo_attainment": ("SLO attainment", "1"), "goodput_rps": ("goodput", "requests/s"),
    "prefix_hit_rate": ("prefix-cache hit rate", "1"),
}
DEFAULT_SWEEP_METRICS = ["latency_p99_s", "ttft_p50_s", "quality_mean", "cost_per_1k_usd", "energy_per_request_j"]
LIGHT = set(style.COLOURS[11:21])  # pale colours get a black marker edge
BASELINES = ("small_only", "large_only", "random", "oracle")


def metric_label(m: str) -> str:
    """Axis label 'name [unit]' of a /summary metric (unit guessed from the suffix if unknown)."""
    if m in METRIC_LABELS:
        name, unit = METRIC_LABELS[m]
    else:
        unit = {"_s": "s", "_j": "J", "_usd": "USD"}.get(m[m.rfind("_"):], "1")
        name = m
    return f"{name} [{unit}]"


def short_key(key: str) -> str:
    """Short form of a key path for labels: mechanism.cascade.thresholds → thresholds."""
    return key.rsplit(".", 1)[-1]


def fmt_value(v) -> str:
    """Compact text of an axis value (0.30000000000000004 → 0.3, [0.5] → 0.5)."""
    if isinstance(v, str):
        v2 = v.strip()
        if v2.startswith("[") and v2.endswith("]") and "," not in v2:
            v2 = v2[1:-1].strip()
        return v2
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def numeric(v) -> float:
    """Float of an axis value; '[0.5]' (a one-element array) → 0.5; NaN when not a number."""
    if isinstance(v, (int, float, np.integer, np.floating)):
        return float(v)
    if isinstance(v, (list, tuple)) and len(v) == 1:
        return numeric(v[0])
    if isinstance(v, str):
        s = v.strip().strip("[]").strip()
        try:
            return float(s)
        except ValueError:
            return float("nan")
    return float("nan")


def price_value(text) -> float:
    """Number of a price string ('0.88 USD/Mtok' → 0.88, '2.5 USD/h' → 2.5); 0 when absent."""
    if text is None:
        return 0.0
    if isinstance(text, (int, float)):
        return float(text)
    m = re.match(r"\s*([-+0-9.eE]+)", str(text))
    return float(m.group(1)) if m else 0.0


@dataclass
class Context:
    """Everything a figure needs: the points (runs and sweep combinations), the loaded
    sweeps, the options and where to write."""
    points: list
    sweeps: list
    outdir: str
    formats: tuple = style.FORMATS
    label_by: str | None = None
    color_by: str | None = None
    y: list | None = None
    window_s: float | None = None
    spec_c: float | None = None
    styles: style.StyleMap = field(default_factory=style.StyleMap)

    def group(self, p) -> str:
        """Series name of point p: --color-by's value, else the mechanism (with the swept
        keys that change the system, e.g. rate_scale=2), prefixed by the scenario name
        when the inputs mix scenarios."""
        if self.color_by:
            v = p["params"].get(self.color_by)
            return f"{short_key(self.color_by)}={fmt_value(v)}" if v is not None else "?"
        name = self._base_group(p)
        if name in self._ambiguous():
            name = f"{p['params'].get('scenario_name', '?')}: {name}"
        return name

    @staticmethod
    def _base_group(p) -> str:
        """Mechanism plus the swept keys that change the system, e.g. 'cascade (rate_scale=2)'."""
        name = p["mechanism"]
        extra = [f"{short_key(a)}={fmt_value(v)}" for a, v in p["axes"].items()
                 if a not in operating_axes(list(p["axes"])) and a != "mechanism.name"]
        return name + (" (" + ", ".join(extra) + ")" if extra else "")

    def _ambiguous(self) -> set:
        """Base group names that occur in more than one scenario (they get the scenario
        name as a prefix)."""
        if not hasattr(self, "_amb"):
            seen: dict[str, set] = {}
            for q in self.points:
                seen.setdefault(self._base_group(q), set()).add(q["params"].get("scenario_name"))
            self._amb = {k for k, v in seen.items() if len(v) > 1}
        return self._amb

    def label(self, p) -> str | None:
        """Text label of point p: --label-by's value; else a run's label; else None (sweep
        points are identified by their series)."""
        if self.label_by:
            v = p["params"].get(self.label_by)
            return fmt_value(v) if v is not None else p["label"]
        return p["label"] if p["kind"] == "run" else None

    def point_style(self, p, name: str) -> dict:
        """Style of one run's series named `name`: its group's style (as in the cost–quality
        plane) when the run is alone in its group, else a style of its own."""
        if p["kind"] == "run":
            g = self.group(p)
            if sum(1 for q in self.points if q["kind"] == "run" and self.group(q) == g) == 1:
                return self.styles(g)
        return self.styles(name)

    def save(self, fig, name, data=None):
        """Saves fig as name.<format> (and name.json with `data`)."""
        return style.save(fig, self.outdir, name, self.formats, data)


def _ok_mask(run) -> np.ndarray:
    """Requests with status ok (all when the file has no status field)."""
    req = run["requests"]
    n = len(next(iter(req.values()))) if req else 0
    return req["status"] == 0 if "status" in req else np.ones(n, dtype=bool)


def _finite(x) -> bool:
    """True for a finite number."""
    return x is not None and isinstance(x, (int, float, np.floating, np.integer)) and math.isfinite(x)


# ------------------------------------------------------------------------------ cost–quality


def _x_metric(pts) -> str:
    """The cost–quality plane's x: cost per 1k requests, or, when every point has the same
    cost (e.g. no prices in the scenario), the first of energy per request, large-model
    share and p99 latency that varies."""
    for m in ("cost_per_1k_usd", "energy_per_request_j", "large_share", "latency_p99_s"):
        v = np.array([p["summary"].get(m, np.nan) for p in pts], dtype=float)
        v = v[np.isfinite(v)]
        if len(v) == len(pts) and v.max() - v.min() > 1e-9 * max(1.0, abs(v.max())):
            return m
    return "cost_per_1k_usd"


X_LABELS = {"cost_per_1k_usd": "cost per 1,000 requests [USD]", "energy_per_request_j": "energy per request [J]",
            "large_share": "share of requests that called the large model [1]",
            "latency_p99_s": "p99 end-to-end latency [s]"}


def below_random(x, q, mix) -> bool:
    """True when (x, q) lies below the random-mix line between mix = ((x_s, q_s), (x_l,
    q_l)) within the line's x range (outside it nothing is said)."""
    (xs, qs), (xl, ql) = mix
    lo, hi = min(xs, xl), max(xs, xl)
    if not (lo <= x <= hi) or hi == lo:
        return False
    return q < qs + (ql - qs) * (x - xs) / (xl - xs) - 1e-12


def cost_quality(ctx: Context):
    """Cost–quality plane: every run / sweep point at (cost_per_1k_usd [USD], quality_mean
    [1]), each series' non-decreasing convex hull (RouterBench) and AIQ in the legend beside
    the AIQ of the random mix over the same cost range and their difference, the random-mix
    line between small_only and large_only when both are given, points below that line
    ringed in red, 95 % intervals over seeds as error bars. When every point has the same
    cost, x is the first of energy per request, large share and p99 latency that varies
    (the figure says so). Writes cost_quality.{png,pdf,json}."""
    pts = [p for p in ctx.points if _finite(p["summary"].get("cost_per_1k_usd"))
           and _finite(p["summary"].get("quality_mean"))]
    if not pts:
        raise Skip("no run or sweep point has cost_per_1k_usd and quality_mean")
    xm = _x_metric(pts)
    pts = [p for p in pts if _finite(p["summary"].get(xm))]
    groups: dict[str, list] = {}
    for p in pts:
        groups.setdefault(ctx.group(p), []).append(p)
    costs = np.array([p["summary"][xm] for p in pts])
    c_min, c_max = float(costs.min()), float(costs.max())
    n_labels = sum(1 for p in pts if ctx.label(p))
    fig, ax = plt.subplots(figsize=(8.4, 5.4) if n_labels > 12 else (6.6, 4.4))
    data = {"x": xm, "c_min": c_min, "c_max": c_max, "groups": {}, "random_mix": None, "below_random": []}
    mix = _random_mix(pts, xm)
    rhull = None
    if mix is not None:
        s, l = mix
        rhull = M.nondecreasing_hull([s[0], l[0]], [s[1], l[1]])
        a = M.aiq(rhull, min(s[0], l[0]), max(s[0], l[0]))
        ax.plot([s[0], l[0]], [s[1], l[1]], color="#888888", ls=(0, (4, 3)), lw=1.0, zorder=1,
                label=f"random mix small_only–large_only (AIQ {a:.3f})")
        data["random_mix"] = {"points": [list(s), list(l)], "aiq": a}
    label_xy, label_text = [], []
    handles, names = [], []
    if mix is not None:
        handles, names = ax.get_legend_handles_labels()
    flagged = []
    for name, gp in groups.items():
        st = ctx.styles(name)
        c = np.array([p["summary"][xm] for p in gp])
        q = np.array([p["summary"]["quality_mean"] for p in gp])
        hull = M.nondecreasing_hull(c, q)
        distinct = len(np.unique(c)) > 1
        a = M.aiq(hull, float(c.min()), float(c.max())) if distinct else float("nan")
        a_rand = M.aiq(rhull, float(c.min()), float(c.max())) if distinct and rhull is not None else float("nan")
        base = gp[0]["mechanism"] in ("small_only", "large_only", "random")
        if distinct and math.isfinite(a_rand) and not base:
            leg = f"{name} (AIQ {a:.3f}; random {a_rand:.3f}, Δ {a - a_rand:+.3f})"
        else:
            leg = f"{name} (AIQ {a:.3f})" if distinct else name
        xerr = _err(gp, xm)
        yerr = _err(gp, "quality_mean")
        if xerr is not None or yerr is not None:
            ax.errorbar(c, q, xerr=xerr, yerr=yerr, fmt="none", ecolor=st["color"], elinewidth=0.5,
                        alpha=0.35, zorder=2)
        edge = "black" if st["color"] in LIGHT else "white"
        if distinct and len(hull) >= 2:
            ax.plot(hull[:, 0], hull[:, 1], color=st["color"], ls=st["linestyle"], lw=1.2, zorder=2)
        ax.scatter(c, q, color=st["color"], marker=st["marker"], s=22 if distinct else 34, zorder=3,
                   edgecolors=edge, linewidths=0.5)
        handles.append(Line2D([], [], color=st["color"], marker=st["marker"], markersize=5, markeredgecolor=edge,
                              markeredgewidth=0.5, linestyle=st["linestyle"] if distinct else "none", lw=1.2))
        names.append(leg)
        below = [bool(mix is not None and not base and below_random(ci, qi, mix)) for ci, qi in zip(c, q)]
        flagged += [(ci, qi) for ci, qi, b in zip(c, q, below) if b]
        data["groups"][name] = {"points": np.column_stack([c, q]).tolist(), "hull": hull.tolist(),
                                "aiq": a, "aiq_random": a_rand,
                                "aiq_minus_random": a - a_rand if math.isfinite(a_rand) else float("nan"),
                                "below_random": below,
                                "cost_range": [float(c.min()), float(c.max())], "style": st}
        data["below_random"] += [f"{name}: {xm}={ci:.6g}, quality={qi:.6g}" for ci, qi, b in zip(c, q, below) if b]
        for p, ci, qi in zip(gp, c, q):
            t = ctx.label(p)
            if t:
                label_xy.append((ci, qi))
                label_text.append(t)
    if flagged:
        ax.scatter([x for x, _ in flagged], [y for _, y in flagged], s=110, facecolors="none", edgecolors="#d62728",
                   linewidths=1.1, zorder=4)
        handles.append(Line2D([], [], marker="o", markersize=9, markerfacecolor="none", markeredgecolor="#d62728",
                              linestyle="none"))
        names.append(f"below the random mix ({len(flagged)} point{'s' if len(flagged) != 1 else ''})")
    ax.set_xlabel(X_LABELS[xm])
    ax.set_ylabel("mean quality (share of right answers) [1]")
    span = max(c_max - c_min, 1e-9)
    ax.set_xlim(c_min - 0.04 * span, c_max + 0.06 * span)
    if xm != "cost_per_1k_usd":
        cost = pts[0]["summary"]["cost_per_1k_usd"]
        ax.set_title(f"quality against {xm}: every point costs the same ({cost:.4g} USD per 1,000 requests)",
                     fontsize=8.5)
    style.legend_outside(ax, title="series (line: non-decreasing convex hull)", handles=handles, labels=names)
    if label_text:
        style.place_labels(ax, [x for x, _ in label_xy], [y for _, y in label_xy], label_text)
    style.note(fig, f"AIQ = (1/(c_max − c_min)) ∫ h(c) dc over the series' own {xm} range [c_min, c_max], h = its "
                    "non-decreasing convex hull (flat after its best point); RouterBench, Hu et al. 2024 (as "
                    "metrics::aiq in the simulator). 'random' = the random mix's AIQ over the same range, Δ = the "
                    "series' minus random's (negative: worse than mixing the two baselines at random). Red rings: "
                    "points below the random-mix line. Error bars: 95 % interval over seeds.")
    return ctx.save(fig, "cost_quality", data)


def _err(gp, metric):
    """2 × n error-bar array from the points' 95 % intervals of `metric`, or None."""
    if not any(metric in p["ci"] for p in gp):
        return None
    lo = [p["summary"][metric] - p["ci"].get(metric, (p["summary"][metric],) * 2)[0] for p in gp]
    hi = [p["ci"].get(metric, (p["summary"][metric],) * 2)[1] - p["summary"][metric] for p in gp]
    return np.array([np.maximum(lo, 0), np.maximum(hi, 0)])


def _random_mix(pts, xm="cost_per_1k_usd"):
    """((x, quality) of small_only, of large_only) from the points, x the summary metric
    `xm`, preferring a pair from the same scenario; None when either is missing."""
    by: dict[tuple, dict] = {}
    for p in pts:
        if p["mechanism"] in ("small_only", "large_only"):
            key = (p["params"].get("scenario_name"), p["mechanism"])
            by.setdefault(key, p)
    for (scen, mech), p in by.items():
        if mech == "small_only" and (scen, "large_only") in by:
            l = by[(scen, "large_only")]
            return ((p["summary"][xm], p["summary"]["quality_mean"]),
                    (l["summary"][xm], l["summary"]["quality_mean"]))
    return None


# ------------------------------------------------------------------------------ PGR


def _baseline_quality(ctx, mech, scenario_name):
    """(mean quality, source text) of a small_only / large_only point of the same scenario;
    None when absent."""
    use = [p for p in ctx.points if p["mechanism"] == mech and _finite(p["summary"].get("quality_mean"))
           and p["params"].get("scenario_name") == scenario_name]
    return (float(use[0]["summary"]["quality_mean"]), f"{mech} {use[0]['kind']} {use[0]['source']}") if use else None


def pgr_groups(ctx: Context) -> dict:
    """The PGR curves: {series: {shares, pgr, pgr_lo, pgr_hi, q_weak, q_strong, q_source,
    apgr, apgr_ci, cpt50, cpt80, seeds}} for every series of ≥ 3 sweep points (runs when a
    series has no sweep points) of a mechanism other than the baselines. q_weak / q_strong:
    the series' own points at large_share 0 and 1 (mean quality), else small_only /
    large_only points in the inputs."""
    groups: dict[str, list] = {}
    for p in ctx.points:
        if p["mechanism"] in BASELINES:
            continue
        if not (_finite(p["summary"].get("large_share")) and _finite(p["summary"].get("quality_mean"))):
            continue
        groups.setdefault(ctx.group(p), []).append(p)
    out = {}
    for name, gp in groups.items():
        if any(p["kind"] == "sweep" for p in gp):
            gp = [p for p in gp if p["kind"] == "sweep"]
        if len({round(p["summary"]["large_share"], 9) for p in gp}) < 3:
            continue
        share = np.array([p["summary"]["large_share"] for p in gp])
        q = np.array([p["summary"]["quality_mean"] for p in gp])
        scen = gp[0]["params"].get("scenario_name")
        at0, at1 = share <= 1e-9, share >= 1 - 1e-9
        if at0.any() and at1.any():
            q_weak, q_strong = float(q[at0].mean()), float(q[at1].mean())
            src = "series' own points at share 0 and 1"
        else:
            w, s = _baseline_quality(ctx, "small_only", scen), _baseline_quality(ctx, "large_only", scen)
            if w is None or s is None:
                continue
            (q_weak, ws), (q_strong, ss) = w, s
            src = f"{ws} and {ss}"
        if not q_strong > q_weak:
            continue
        lo = np.array([p["ci"].get("quality_mean", (np.nan, np.nan))[0] for p in gp])
        hi = np.array([p["ci"].get("quality_mean", (np.nan, np.nan))[1] for p in gp])
        y = M.pgr(q, q_weak, q_strong)
        order = np.argsort(share, kind="stable")
        entry = {
            "shares": share[order], "pgr": y[order], "quality": q[order],
            "pgr_lo": M.pgr(lo, q_weak, q_strong)[order], "pgr_hi": M.pgr(hi, q_weak, q_strong)[order],
            "q_weak": q_weak, "q_strong": q_strong, "q_source": src,
            "apgr": M.apgr(share, y), "cpt50": M.cpt(share, y, 0.5), "cpt80": M.cpt(share, y, 0.8),
            "cpt50_step": M.cpt_step(share, y, 0.5), "cpt80_step": M.cpt_step(share, y, 0.8),
            "n_seeds": min(p["n_seeds"] for p in gp),
        }
        entry["apgr_seeds"], entry["apgr_ci"] = _apgr_over_seeds(gp, q_weak, q_strong, at0.any() and at1.any())
        out[name] = entry
    return out


def _apgr_over_seeds(gp, q_weak, q_strong, own_endpoints):
    """APGR of each seed's curve (seed i of every point; normalised by that seed's own share
    0 / 1 points when the series has them, else by q_weak / q_strong) and the 95 % Student t
    interval of their mean; ([], None) with fewer than 2 seeds."""
    n = min(len(p["seeds"]) for p in gp)
    if n < 2:
        return [], None
    vals = []
    for k in range(n):
        s = np.array([p["seeds"][k]["large_share"] for p in gp], dtype=float)
        q = np.array([p["seeds"][k]["quality_mean"] for p in gp], dtype=float)
        w, st = q_weak, q_strong
        if own_endpoints:
            at0, at1 = s <= 1e-9, s >= 1 - 1e-9
            if at0.any() and at1.any():
                w, st = float(q[at0].mean()), float(q[at1].mean())
        vals.append(M.apgr(s, M.pgr(q, w, st)))
    m, lo, hi = M.mean_ci95(vals)
    return vals, (lo, hi)


def pgr_figure(ctx: Context):
    """PGR [1] against the share of requests calling the large model [1] per router /
    cascade series (RouteLLM), with the random router's diagonal, 95 % bands over seeds,
    APGR and CPT(50 %) / CPT(80 %) in the legend and marked on the curves. Writes
    pgr.{png,pdf,json}."""
    groups = pgr_groups(ctx)
    if not groups:
        raise Skip("needs a threshold sweep (or ≥ 3 runs) of a router/cascade spanning large_share, "
                   "with its share-0/1 points or small_only + large_only runs")
    fig, ax = plt.subplots(figsize=(6.8, 4.3))
    ax.plot([0, 1], [0, 1], color="#888888", ls=(0, (4, 3)), lw=1.0, label="random router (APGR 0.5)", zorder=1)
    for y0 in (0.5, 0.8):
        ax.axhline(y0, color="#bbbbbb", lw=0.6, ls=":", zorder=0)
    data = {}
    for name, g in groups.items():
        st = ctx.styles(name)
        ci = ""
        if g["apgr_ci"] is not None:
            ci = f" [{g['apgr_ci'][0]:.3f}, {g['apgr_ci'][1]:.3f}]"
        leg = (f"{name}: APGR {g['apgr']:.3f}{ci}\n  CPT(50%) {_pct(g['cpt50'])}, CPT(80%) {_pct(g['cpt80'])}")
        ax.plot(g["shares"], g["pgr"], label=leg, markersize=4, zorder=3, **st)
        # The anchors (0, 0) and (1, 1) APGR's trapezoid adds where the series has no point at
        # share 0 or 1 (metrics.pgr_curve): drawn dotted, so the area counted is the area shown.
        g["anchors"] = []
        if g["shares"][0] > 1e-12:
            g["anchors"].append([[0.0, 0.0], [float(g["shares"][0]), float(g["pgr"][0])]])
        if g["shares"][-1] < 1 - 1e-12:
            g["anchors"].append([[float(g["shares"][-1]), float(g["pgr"][-1])], [1.0, 1.0]])
        for (x0, y0a), (x1, y1) in g["anchors"]:
            ax.plot([x0, x1], [y0a, y1], color=st["color"], ls=":", lw=1.1, zorder=3)
        band = np.isfinite(g["pgr_lo"]) & np.isfinite(g["pgr_hi"])
        if band.sum() >= 2:
            ax.fill_between(g["shares"][band], g["pgr_lo"][band], g["pgr_hi"][band], color=st["color"],
                            alpha=0.15, lw=0, zorder=2)
        for key, y0 in (("cpt50", 0.5), ("cpt80", 0.8)):
            if np.isfinite(g[key]):
                ax.plot([g[key], g[key]], [-0.05, y0], color=st["color"], lw=0.8, ls=st["linestyle"], zorder=2)
                ax.plot([g[key]], [y0], marker="|", color=st["color"], markersize=9, mew=1.5, zorder=4)
        data[name] = {k: v for k, v in g.items()}
    ax.set_xlim(-0.02, 1.02)
    y_lo = min(float(np.nanmin(np.concatenate([g["pgr"], g["pgr_lo"]]))) for g in groups.values())
    y_hi = max(float(np.nanmax(np.concatenate([g["pgr"], g["pgr_hi"]]))) for g in groups.values())
    ax.set_ylim(max(-0.5, min(-0.05, y_lo - 0.03)), min(1.5, max(1.08, y_hi + 0.03)))
    ax.set_xlabel("share of requests calling the large model [1]")
    ax.set_ylabel("performance gap recovered, PGR [1]")
    ax.text(0.995, 0.5, "50 %", transform=ax.get_yaxis_transform(), fontsize=6.5, color="#777777",
            ha="right", va="bottom")
    ax.text(0.995, 0.8, "80 %", transform=ax.get_yaxis_transform(), fontsize=6.5, color="#777777",
            ha="right", va="bottom")
    style.legend_outside(ax)
    srcs = "; ".join(f"{n}: q_weak {g['q_weak']:.4f}, q_strong {g['q_strong']:.4f} ({g['q_source']})"
                     for n, g in groups.items())
    nseeds = min(g["n_seeds"] for g in groups.values())
    anchored = any(g["anchors"] for g in groups.values())
    style.note(fig, "PGR = (q − q_weak)/(q_strong − q_weak); APGR = trapezoid area under PGR over share ∈ [0, 1]"
                    + (" (dotted: the anchors (0, 0) and (1, 1) it adds where a series has no point at share 0 "
                       "or 1)" if anchored else "") + "; "
                    "CPT(x) = smallest share with PGR ≥ x (interpolated, vertical ticks); RouteLLM, Ong et al. 2024. "
                    + (f"Bands: 95 % t-interval of mean quality over {nseeds} seeds; APGR [interval] over per-seed "
                       "curves. " if nseeds > 1 else "One seed: no bands. ") + srcs)
    return ctx.save(fig, "pgr", data)


def _pct(v) -> str:
    """Share as a percentage text ('31.2%'), 'not reached' for NaN."""
    return f"{100 * v:.1f}%" if np.isfinite(v) else "not reached"


# ------------------------------------------------------------------------------ CDFs


def _request_series(ctx: Context):
    """(name, [run dicts], point) for every point with requests: a run, or a sweep
    combination's kept runs (--keep-requests; seeds pooled)."""
    out = []
    for p in ctx.points:
        if not p["runs"] or not all("latency_s" in r["requests"] for r in p["runs"]):
            continue
        if p["kind"] == "run":
            name = p["label"] if not ctx.label_by else ctx.label(p)
        else:
            op = [f"{short_key(a)}={fmt_value(v)}" for a, v in p["axes"].items() if a in operating_axes(list(p["axes"]))]
            name = ctx.group(p) + (" " + ", ".join(op) if op else "")
        out.append((name, p["runs"], p))
    return out


CDF_QUANTILES = (0.5, 0.9, 0.95, 0.99)
MAX_CDF_POINTS = 20000


def cdf_figure(ctx: Context, fld: str, xlabel: str, name: str):
    """Empirical CDF of request field `fld` [s] per run / kept sweep point (requests with
    status ok), log x with 1-2-5 ticks. TPOT of requests answered in one piece (0 or NaN:
    not applicable) is left out and counted in the note. Writes name.{png,pdf,json}; the
    json holds n and the quantiles read off each plotted curve."""
    series = _request_series(ctx)
    if not series:
        raise Skip("no input has per-request data (run files, or sweeps with --keep-requests)")
    if not any(fld in r["requests"] for _, runs, _ in series for r in runs):
        raise Skip(f"the request tables have no {fld} field")
    fig, ax = plt.subplots(figsize=(6.8, 4.0))
    data, notes = {}, []
    for label, runs, p in series:
        vals = np.concatenate([r["requests"][fld][_ok_mask(r)] for r in runs if fld in r["requests"]])
        n_all = len(vals)
        vals = vals[np.isfinite(vals) & (vals > 0)]
        if n_all - len(vals):
            notes.append(f"{label}: {n_all - len(vals)} of {n_all}")
        if len(vals) == 0:
            continue
        x, y = M.ecdf(vals)
        if len(x) > MAX_CDF_POINTS:
            idx = np.unique(np.linspace(0, len(x) - 1, MAX_CDF_POINTS).astype(int))
            x, y = x[idx], y[idx]
        st = ctx.point_style(p, label)
        # A curve over part of the requests says so in its legend entry (a cascade's TPOT is
        # over its escalated requests only): the curves are not over the same requests.
        shown = label if len(vals) == n_all else f"{label} ({len(vals):,} of {n_all:,})"
        (line,) = ax.plot(x, y, drawstyle="steps-post", label=shown, markevery=0.12, markersize=4, **st)
        xd, yd = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
        data[label] = {"n": int(len(vals)), "n_all": int(n_all), "legend": shown,
                       "quantiles": {str(q): M.ecdf_quantile(xd, yd, q) for q in CDF_QUANTILES}}
    if not data:
        plt.close(fig)
        raise Skip(f"no positive finite {fld} values")
    style.log_axis(ax, "x")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("share of requests ≤ x [1]")
    ax.set_ylim(0, 1.01)
    style.legend_outside(ax)
    txt = "Requests with status ok. Log x axis."
    if fld == "ttft_s":
        txt += (" TTFT is the first token of the answer the user keeps: a cascade judges the SLM's whole answer "
                "first, so its TTFT holds the SLM's generation (and, when escalated, the LLM's first token after "
                "it); docs/GLOSSARY.md.")
    if notes:
        what = "answered in one piece (TPOT not applicable: 0 or NaN)" if fld == "tpot_s" else "with a value ≤ 0 or NaN"
        txt += f" Left out, {what}: " + "; ".join(notes) + "."
    style.note(fig, txt)
    return ctx.save(fig, name, data)


# ------------------------------------------------------------------------------ sweeps


def sweep_figures(ctx: Context):
    """For each sweep file with one or more axes: the chosen metrics (--y, else p99 latency,
    p50 TTFT, mean quality, cost per 1k, energy per request) against the swept parameter — x is the numeric
    mechanism axis (else the numeric axis with most values), one line per combination of
    the other axes, 95 % bands over seeds. Writes sweep_<file stem>.{png,pdf,json}."""
    if not ctx.sweeps:
        raise Skip("no sweep file among the inputs")
    written = []
    for sw in ctx.sweeps:
        written += _sweep_figure(ctx, sw)
    return written


def _choose_x(sw) -> tuple[str, bool]:
    """(x axis key, numeric?) of a sweep figure."""
    axes = sw["axes"]
    combos = sw["combos"]
    num = [a for a in axes if all(np.isfinite(numeric(c["axes"][a])) for c in combos)]
    if num:
        ops = [a for a in num if a in operating_axes(axes)]
        pool = ops or num
        return max(pool, key=lambda a: (len({numeric(c["axes"][a]) for c in combos}), -axes.index(a))), True
    return axes[0], False


def _sweep_figure(ctx, sw):
    """One sweep's metric-against-parameter figure (see sweep_figures)."""
    if not sw["axes"] or not sw["combos"]:
        print(f"skip sweep_{sw['combos'][0]['source'] if sw['combos'] else '?'}: no axes or no ok points")
        return []
    metrics = ctx.y or DEFAULT_SWEEP_METRICS
    metrics = [m for m in metrics if any(_finite(c["summary"].get(m)) for c in sw["combos"])]
    if not metrics:
        raise Skip(f"{sw['path']}: none of the metrics {ctx.y or DEFAULT_SWEEP_METRICS} in /sweep/aggregate")
    xkey, is_num = _choose_x(sw)
    others = [a for a in sw["axes"] if a != xkey]
    lines: dict[tuple, list] = {}
    for c in sw["combos"]:
        lines.setdefault(tuple(fmt_value(c["axes"][a]) for a in others), []).append(c)
    cats = []
    if not is_num:
        cats = list(dict.fromkeys(fmt_value(c["axes"][xkey]) for c in sw["combos"]))
    n = len(metrics)
    ncol = 1 if n == 1 else 2
    nrow = math.ceil(n / ncol)
    fig, axs = plt.subplots(nrow, ncol, figsize=(4.6 * ncol if n > 1 else 6.2, 2.9 * nrow + 0.4), squeeze=False)
    data = {"x": xkey, "series": {}}
    mech = sw["combos"][0]["mechanism"]
    for k, m in enumerate(metrics):
        ax = axs[k // ncol][k % ncol]
        for j, (key, cs) in enumerate(lines.items()):
            name = ", ".join(f"{short_key(a)}={v}" for a, v in zip(others, key)) or cs[0]["mechanism"]
            # every line of a mechanism looks as that mechanism does in the other figures
            mech_j = cs[0]["mechanism"]
            st = ctx.styles(mech_j if name == mech_j else f"{mech_j} ({name})")
            if is_num:
                xs = np.array([numeric(c["axes"][xkey]) for c in cs])
            else:
                xs = np.array([cats.index(fmt_value(c["axes"][xkey])) + 0.08 * (j - (len(lines) - 1) / 2)
                               for c in cs])
            ys = np.array([c["summary"].get(m, np.nan) for c in cs], dtype=float)
            lo = np.array([c["ci"].get(m, (np.nan, np.nan))[0] for c in cs])
            hi = np.array([c["ci"].get(m, (np.nan, np.nan))[1] for c in cs])
            o = np.argsort(xs, kind="stable")
            xs, ys, lo, hi = xs[o], ys[o], lo[o], hi[o]
            if is_num:
                ax.plot(xs, ys, label=name, markersize=4, **st)
                band = np.isfinite(lo) & np.isfinite(hi)
                if band.sum() >= 2:
                    ax.fill_between(xs[band], lo[band], hi[band], color=st["color"], alpha=0.15, lw=0)
            else:
                yerr = np.array([np.maximum(ys - lo, 0), np.maximum(hi - ys, 0)])
                yerr = np.where(np.isfinite(yerr), yerr, 0)
                if xkey == "mechanism.name":  # each mechanism in its own colour, as in every other figure
                    for i, c in enumerate(np.asarray(cs, dtype=object)[o]):
                        sti = ctx.styles(c["mechanism"])
                        ax.errorbar(xs[i:i + 1], ys[i:i + 1], yerr=yerr[:, i:i + 1], color=sti["color"],
                                    marker=sti["marker"], ls="none", capsize=2, markersize=5,
                                    label=name if i == 0 else None)
                else:
                    ax.errorbar(xs, ys, yerr=yerr, label=name, color=st["color"], marker=st["marker"],
                                ls="none", capsize=2, markersize=5)
            data["series"].setdefault(name, {})[m] = {"x": xs, "y": ys, "lo": lo, "hi": hi}
        ax.set_ylabel(metric_label(m))
        ax.set_xlabel(xkey if is_num else short_key(xkey))
        if not is_num:
            ax.set_xticks(range(len(cats)), cats, rotation=30, ha="right")
        pos = [v for s in data["series"].values() for v in np.asarray(s[m]["y"]) if np.isfinite(v) and v > 0]
        if m.endswith("_s") and pos and max(pos) / min(pos) > 30:
            style.log_axis(ax, "y")
    for k in range(n, nrow * ncol):
        axs[k // ncol][k % ncol].axis("off")
    handles, labels = axs[0][0].get_legend_handles_labels()
    if len(handles) > 1 or others:
        axs[0][ncol - 1].legend(handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
                                title=", ".join(short_key(a) for a in others) or None)
    seeds = sw["seeds"]
    mechs = list(dict.fromkeys(c["mechanism"] for c in sw["combos"]))  # every mechanism plotted, not the first
    title = f"{sw['attrs'].get('scenario_name', '')}: {', '.join(mechs)} over {short_key(xkey)}"
    fig.suptitle(title, fontsize=9)
    style.note(fig, (f"Mean over {seeds} seeds per point; bands: 95 % Student-t interval of the mean over seeds "
                     "(/sweep/aggregate); a percentile (p50/p95/p99) is each seed's percentile over its requests, "
                     "its band is over the seeds."
                     if seeds > 1 else "One seed per point: no confidence bands.")
               + (" Energy per request is the attributed energy (energy_per_request_j: device energy while "
                  "serving); a replica draws most of its power whenever it holds any sequence, however small its "
                  "batch, so a pool's energy per request is not proportional to the requests it serves (energy_cost "
                  "figure; docs/RESULTS.md §4)."
                  if "energy_per_request_j" in metrics else "") + f" Source: {sw['path']}.")
    fig.tight_layout()
    stem = sw["combos"][0]["source"]
    return ctx.save(fig, f"sweep_{stem}", data)


# ------------------------------------------------------------------------------ energy and cost


def energy_cost(ctx: Context):
    """Energy per request [J] stacked by where it is spent (each device's compute from
    energy_<device>_j, the radio from energy_radio_j; shared devices' idle energy per request
    hatched on top, which energy_per_request_j does not include) and cost per 1,000 requests
    [USD] split into API tokens and device (GPU) time where the scenario's prices allow it.
    One bar per run / kept sweep point. Writes energy_cost.{png,pdf,json}."""
    bars = []
    for p in ctx.points:
        if not p["runs"]:
            continue
        req = [r["requests"] for r in p["runs"]]
        if not all("energy_j" in r for r in req):
            continue
        n = sum(len(r["energy_j"]) for r in req)
        if n == 0:
            continue
        parts = {}
        for r in req:
            for k in r:
                if k.startswith("energy_") and k.endswith("_j") and k not in ("energy_j", "energy_radio_j"):
                    parts[k[7:-2]] = parts.get(k[7:-2], 0.0) + float(np.sum(r[k]))
            if "energy_radio_j" in r:
                parts["radio"] = parts.get("radio", 0.0) + float(np.sum(r["energy_radio_j"]))
        parts = {k: v / n for k, v in parts.items()}
        total = sum(float(np.sum(r["energy_j"])) for r in req) / n
        if not parts:
            parts = {"all (no per-device split in the file)": total}
        idle = {}
        for run in p["runs"]:
            for d, s in run["devices"].items():
                unattributed = sum(float(s.get(k, 0.0)) for k in ("idle_energy_j", "startup_energy_j", "standby_energy_j"))
                if "idle_energy_j" in s:
                    idle[d] = idle.get(d, 0.0) + unattributed
        idle = {d: v / n for d, v in idle.items() if v > 0}
        label = ctx.label(p) or (ctx.group(p) + " " + ", ".join(
            f"{short_key(a)}={fmt_value(v)}" for a, v in p["axes"].items()))
        bars.append({"label": label, "parts": parts, "total": total, "idle": idle, "point": p,
                     "average": p["summary"].get("energy_average_per_request_j", np.nan),
                     "marginal": p["summary"].get("energy_marginal_per_request_j", np.nan),
                     "pools": pool_facts(p)})
    if not bars:
        raise Skip("no input has per-request energy (run files, or sweeps with --keep-requests)")
    if len(bars) > 40:
        raise Skip(f"{len(bars)} bars would be unreadable (pass ≤ 40 runs)")
    comp_names = list(dict.fromkeys(k for b in bars for k in b["parts"]))
    idle_names = list(dict.fromkeys(k for b in bars for k in b["idle"]))
    fig, (ax_e, ax_c) = plt.subplots(1, 2, figsize=(max(7.5, 0.55 * len(bars) * 2 + 3), 4.0))
    x = np.arange(len(bars))
    bottom = np.zeros(len(bars))
    hatches = ["", "//", "..", "xx", "\\\\", "++"]
    for i, comp in enumerate(comp_names):
        v = np.array([b["parts"].get(comp, 0.0) for b in bars])
        ax_e.bar(x, v, bottom=bottom, color=style.COLOURS[i % len(style.COLOURS)], hatch=hatches[i % len(hatches)],
                 edgecolor="white", lw=0.4, label=(f"{comp} compute" if comp != "radio" else "radio (per-user link ends)"))
        bottom += v
    for i, d in enumerate(idle_names):
        v = np.array([b["idle"].get(d, 0.0) for b in bars])
        ax_e.bar(x, v, bottom=bottom, color="none", edgecolor=style.COLOURS[(len(comp_names) + i) % len(style.COLOURS)],
                 hatch="////", lw=0.6, label=f"{d} idle, shared (not in energy_per_request_j)")
        bottom += v
    for xi, b in zip(x, bars):
        # The label is energy_per_request_j (attributed); where the pools' idle energy shows, the
        # bar's top (the average) is named too, so a short solid bar under a tall hatched one
        # is not read as its label.
        b["bar_label"] = f"{b['total']:.0f}"
        if bottom[xi] - b["total"] > 0.02 * max(b["total"], 1e-9):
            b["bar_label"] += f"\n(avg {bottom[xi]:.0f})"
        ax_e.text(xi, bottom[xi], b["bar_label"], ha="center", va="bottom", fontsize=6.5)
    marg = np.array([b["marginal"] for b in bars], dtype=float)
    if np.any(np.isfinite(marg)):
        ax_e.plot(x, marg, ls="none", marker="D", ms=4.5, mfc="white", mec="black", mew=1.0,
                  label="marginal: energy drawn − the pools' energy without traffic")
    ax_e.set_xticks(x, [b["label"] for b in bars], rotation=35, ha="right")
    ax_e.set_ylabel("energy per request [J]")
    ax_e.set_title("energy per request by where it is spent")
    log = bottom.max() > 0 and bottom[bottom > 0].min() > 0 and bottom.max() / bottom[bottom > 0].min() > 200
    if log:
        style.log_axis(ax_e, "y")
    reason = energy_reason(bars, width=int(fig.get_figwidth() * 17))
    # cost split
    cost_note, kinds = [], []
    split = []
    for b in bars:
        p = b["point"]
        cost = p["summary"].get("cost_per_1k_usd", np.nan)
        tok, tim = _priced(p["scenario"])
        if tok and not tim:
            split.append({"API tokens": cost})
        elif tim and not tok:
            split.append({"device (GPU) time": cost})
        elif not tok and not tim:
            split.append({"no prices": cost})
        else:
            split.append({"API tokens + device time (not separable)": cost})
            cost_note.append(b["label"])
    kinds = list(dict.fromkeys(k for s in split for k in s))
    bottom = np.zeros(len(bars))
    # Not the energy panel's colours: the two panels share one legend.
    cost_colours = {"API tokens": "#17becf", "device (GPU) time": "#8c564b", "no prices": "#c7c7c7",
                    "API tokens + device time (not separable)": "#7f7f7f"}
    cost_hatch = {"API tokens": "", "device (GPU) time": "//", "no prices": "..",
                  "API tokens + device time (not separable)": "xx"}
    for k in kinds:
        v = np.array([s.get(k, 0.0) for s in split])
        ax_c.bar(x, v, bottom=bottom, color=cost_colours[k], hatch=cost_hatch[k], edgecolor="white", lw=0.4, label=k)
        bottom += v
    for xi, tot in zip(x, bottom):
        ax_c.text(xi, tot, f"{tot:.3g}", ha="center", va="bottom", fontsize=6.5)
    ax_c.set_xticks(x, [b["label"] for b in bars], rotation=35, ha="right")
    ax_c.set_ylabel("cost per 1,000 requests [USD]")
    ax_c.set_title("cost per 1,000 requests by component")
    txt = ("Energy: mean over all requests of energy_<device>_j and energy_radio_j (they add up to energy_j, the "
           "attributed energy, energy_per_request_j, the bar's label); hatched outline: the shared pools' idle, cold-start and standby "
           "energy over the run divided by the requests (bar top: the average energy per request, "
           "energy_average_per_request_j, labelled 'avg' where it differs); diamond: the marginal energy per request "
           "(energy_marginal_per_request_j: the same minus what the pools would draw over the run with no traffic, "
           "all replicas idle when fixed, the minimum up when autoscaled). Cost: the run "
           "records one cost_usd per request; it is split by the scenario's prices — all API tokens when only "
           "deployments have token prices, all device time when only devices have an hourly price.")
    if cost_note:
        txt += " Both kinds of price are set for " + ", ".join(cost_note) + ": the run file cannot separate them."
    fig.tight_layout()
    # One legend under both panels: a legend under each pushed the cost panel aside.
    h_e, l_e = ax_e.get_legend_handles_labels()
    h_c, l_c = ax_c.get_legend_handles_labels()
    fig.legend(h_e + h_c, l_e + l_c, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3, fontsize=7,
               frameon=False)
    if reason:  # above the panels, where it is read first
        fig.text(0.01, 1.0, reason, ha="left", va="bottom", fontsize=7.2,
                 bbox=dict(boxstyle="round,pad=0.4", fc="#f7f7f7", ec="#999999", lw=0.5))
    style.note(fig, txt)
    data = {b["label"]: {"energy_parts_j": b["parts"], "energy_total_j": b["total"], "idle_j": b["idle"],
                         "bar_label": b["bar_label"],
                         "average_j": b["average"], "marginal_j": b["marginal"], "pools": b["pools"],
                         "cost_split_usd_per_1k": s} for b, s in zip(bars, split)}
    data["reason"] = reason
    return ctx.save(fig, "energy_cost", data)


def pool_facts(p) -> dict:
    """Per shared pool of a run / sweep point (the first seed's /devices/<d>/summary):
    {device: {"autoscaled", "replicas", "utilisation", "batch_occupancy", "mean_batch",
    "batch_capacity"}}: what decides whether its energy follows the traffic."""
    out = {}
    run = p["runs"][0]
    for d, s in run["devices"].items():
        if "utilisation" not in s or "batch_occupancy" not in s:
            continue  # per-user device, or a file from before batch occupancy was recorded
        out[d] = {"autoscaled": "up_replica_s" in s,
                  "replicas": get_path(p["scenario"], f"devices.{d}.replicas", 1),
                  "utilisation": float(s["utilisation"]), "batch_occupancy": float(s["batch_occupancy"]),
                  "mean_batch": float(s["mean_batch"]), "batch_capacity": int(s["batch_capacity"])}
    return out


def energy_reason(bars, width: int = 95) -> str:
    """The sentence written on the energy figure: per shared pool that served traffic,
    fixed or autoscaled, busy share and batch occupancy in each bar, and what that implies
    for energy per request, wrapped to `width` characters; "" when no bar has a shared pool
    with these columns."""
    lines, fixed_busy = [], False
    pools = list(dict.fromkeys(d for b in bars for d, f in b["pools"].items() if f["mean_batch"] > 0))
    for d in pools:
        rows = [(b["label"], b["pools"][d]) for b in bars if d in b["pools"] and b["pools"][d]["mean_batch"] > 0]
        kinds = {("autoscaled" if f["autoscaled"] else f"fixed ×{f['replicas']}") for _, f in rows}
        cap = rows[0][1]["batch_capacity"]
        lines.append(f"{d} ({', '.join(sorted(kinds))}, {cap:.0f} sequence slots per replica): " + "; ".join(
            f"{lab} busy {f['utilisation']:.0%}, batch {f['mean_batch']:.1f} ({f['batch_occupancy']:.1%} of slots)"
            for lab, f in rows))
        fixed_busy = fixed_busy or any(not f["autoscaled"] and f["utilisation"] > 0.8 for _, f in rows)
    if fixed_busy:
        lines.append("A fixed pool busy most of the time with batches far below capacity draws about the same power "
                     "whatever traffic it gets: less traffic to it saves little of its energy (see the marginal ◆), "
                     "while work added elsewhere (e.g. an on-device SLM on every request) adds in full. With "
                     "autoscaling (deployments.<name>.autoscale = true) the pool's energy follows its traffic.")
    return "\n".join(textwrap.fill(t, width) for t in lines)


def _priced(scenario) -> tuple[bool, bool]:
    """(some deployment has a token price > 0, some device has an hourly price > 0)."""
    tok = any(price_value(d.get("price_input")) > 0 or price_value(d.get("price_output")) > 0
              for d in (scenario.get("deployments") or {}).values() if isinstance(d, dict))
    tim = any(price_value(d.get("price")) > 0 for d in (scenario.get("devices") or {}).values() if isinstance(d, dict))
    return tok, tim


# ------------------------------------------------------------------------------ device timelines


TIMELINE_PANELS = [("util", "utilisation [1]: busy replicas /\nreplicas (solid), sequences /\nbatch slots (dotted)"),
                   ("running", "batch size\n[sequences running]"),
                   ("waiting", "queue\n[requests waiting]"), ("kv", "KV cache used [GB]")]


def device_timeline(ctx: Context):
    """Per shared device (one row of small multiples): utilisation [1], batch size
    (sequences running), queue (requests waiting) and KV-cache use [GB] over time [min], one
    line per run in which the device was busy, smoothed by a trailing rolling mean over the
    stated window [s]. Writes device_timeline.{png,pdf,json}."""
    runs = [(p, p["runs"][0]) for p in ctx.points if p["kind"] == "run" and p["runs"] and p["runs"][0]["timelines"]]
    if not runs:
        runs = [(p, p["runs"][0]) for p in ctx.points if p["runs"] and p["runs"][0]["timelines"]][:8]
    if not runs:
        raise Skip("no input has /devices/<name>/timeline")
    devices = list(dict.fromkeys(d for _, r in runs for d in r["timelines"]))
    rows = []
    for d in devices:
        members = [(p, r) for p, r in runs if d in r["timelines"] and np.any(r["timelines"][d].get("busy_replicas", [0]) > 0)]
        if members:
            rows.append((d, members))
    if not rows:
        raise Skip("the shared devices were never busy in any input")
    t_end = max(float(r["timelines"][d]["time_s"][-1]) for d, mem in rows for _, r in mem)
    window = ctx.window_s
    if not window:
        intervals = [float(np.median(np.diff(r["timelines"][d]["time_s"]))) for d, mem in rows for _, r in mem
                     if len(r["timelines"][d]["time_s"]) > 1]
        window = max(max(intervals or [1.0]) * 5, t_end / 50.0)
    fig, axs = plt.subplots(len(rows), 4, figsize=(11.0, 2.3 * len(rows) + 0.3), squeeze=False, sharex=True)
    data = {"window_s": window, "devices": {}}
    handles = {}
    for i, (d, members) in enumerate(rows):
        data["devices"][d] = {}
        for p, r in members:
            tl = r["timelines"][d]
            t = np.asarray(tl["time_s"], dtype=float)
            replicas = float(get_path(p["scenario"], f"devices.{d}.replicas", 1) or 1)
            series = {"util": np.asarray(tl.get("busy_replicas", np.zeros_like(t))) / replicas,
                      "running": np.asarray(tl.get("running", np.zeros_like(t))),
                      "waiting": np.asarray(tl.get("waiting", np.zeros_like(t))),
                      "kv": np.asarray(tl.get("kv_used_bytes", np.zeros_like(t))) / 1e9}
            name = ctx.label(p) or ctx.group(p)
            st = ctx.point_style(p, name)
            data["devices"][d][name] = {}
            for j, (key, _) in enumerate(TIMELINE_PANELS):
                sm = M.rolling_mean(t, series[key], window)
                # Markers every 1/8 of the samples: a fractional markevery follows the path length,
                # which a noisy line makes long, and marked every few pixels.
                (ln,) = axs[i][j].plot(t / 60.0, sm, lw=1.1, markevery=max(1, len(t) // 8), markersize=3.5,
                                       label=name, **st)
                handles.setdefault(name, ln)
                data["devices"][d][name][key] = {"mean": float(np.mean(series[key])), "max_smoothed": float(np.max(sm))}
            if "batch_share" in tl:  # share of the pool's sequence slots in use, beside "busy"
                share = np.asarray(tl["batch_share"], dtype=float)
                sm = M.rolling_mean(t, share, window)
                axs[i][0].plot(t / 60.0, sm, lw=1.0, ls=":", color=st.get("color"))
                data["devices"][d][name]["batch_share"] = {"mean": float(np.mean(share)),
                                                           "max_smoothed": float(np.max(sm))}
        for j, (key, ylabel) in enumerate(TIMELINE_PANELS):
            ax = axs[i][j]
            ax.set_ylabel(ylabel, fontsize=7.5)
            ax.set_title(f"{d}", fontsize=8, loc="left")
            if key == "util":
                ax.set_ylim(0, 1.05)
            if i == len(rows) - 1:
                ax.set_xlabel("time [min]")
    axs[0][3].legend(list(handles.values()), list(handles.keys()), loc="upper left", bbox_to_anchor=(1.04, 1.0),
                     borderaxespad=0.0)
    fig.tight_layout()
    style.note(fig, f"Trailing rolling mean over {window:.0f} s of the sampled timelines (/devices/<name>/timeline). "
                    "Utilisation counts a replica as busy while any sequence runs on it (solid); the dotted line is "
                    "the share of its batch slots in use (running sequences / (max_batch × replicas up), column "
                    "batch_share): a pool can be busy all the time with small batches. "
                    "Runs in which a device was never busy are left out of its row.")
    return ctx.save(fig, "device_timeline", data)


def latency_over_time(ctx: Context, window: int = 500):
    """Rolling median end-to-end latency [s] (over `window` requests in arrival order)
    against arrival time [min] per run: queueing build-up. Writes latency_over_time.*."""
    fig, ax = plt.subplots(figsize=(6.8, 3.8))
    data = {}
    for name, runs, p in _request_series(ctx):
        if len(runs) != 1:
            continue
        r = runs[0]
        ok = _ok_mask(r)
        t, lat = r["requests"]["arrival_s"][ok], r["requests"]["latency_s"][ok]
        if len(t) < window:
            continue
        o = np.argsort(t, kind="stable")
        t, lat = t[o], lat[o]
        idx = np.arange(window // 2, len(t) - window // 2, max(1, window // 10))
        med = np.array([np.median(lat[i - window // 2:i + window // 2]) for i in idx])
        ax.plot(t[idx] / 60.0, med, label=name, markevery=max(1, len(idx) // 10), markersize=3.5,
                **ctx.point_style(p, name))
        data[name] = {"median_of_medians_s": float(np.median(med))}
    if not data:
        plt.close(fig)
        raise Skip(f"no run has ≥ {window} requests")
    ax.set_xlabel("arrival time [min]")
    ax.set_ylabel("rolling median latency [s]")
    style.log_axis(ax, "y")
    style.legend_outside(ax)
    style.note(fig, f"Median over a window of {window} requests in arrival order, every {max(1, window // 10)} requests.")
    return ctx.save(fig, "latency_over_time", data)


# ------------------------------------------------------------------------------ speculative


def speculative(ctx: Context):
    """Speculative decoding speed-up [1] against draft length γ [tokens] from a sweep over
    mechanism.speculative.gamma: measured = large_only p50 latency / speculative p50 latency
    (95 % band from the seeds' interval of the speculative latency), with Leviathan's curve
    (1 − α^(γ+1)) / ((1 − α)(γc + 1)) at the measured α and the stated c, and the same
    curve with one link round trip added per verification round. Writes
    speculative_speedup.{png,pdf,json}."""
    key = "mechanism.speculative.gamma"
    sws = [sw for sw in ctx.sweeps if key in sw["axes"]]
    if not sws:
        raise Skip(f"needs a sweep over {key} (scenarios/speculative_edge_cloud.toml)")
    sw = sws[0]
    spec = [c for c in sw["combos"] if c["mechanism"] == "speculative"]
    if not spec:
        raise Skip(f"{sw['path']}: no speculative points")
    scen_name = sw["attrs"].get("scenario_name")
    large = [c for c in sw["combos"] if c["mechanism"] == "large_only"]
    large = large or [p for p in ctx.points if p["mechanism"] == "large_only" and p["params"].get("scenario_name") == scen_name]
    if not large:
        raise Skip("needs a large_only run of the same scenario for the speed-up's baseline "
                   "(collabsim run SCENARIO --set mechanism.name=large_only)")
    L = float(large[0]["summary"]["latency_p50_s"])
    # α: measured acceptance rate of the kept runs / speculative runs, else the configured α
    alphas = [r["mechanism"]["acceptance_rate"] for c in spec for r in c["runs"] if "acceptance_rate" in r["mechanism"]]
    alpha_src = "measured (/mechanism acceptance_rate of the sweep's kept runs)"
    if not alphas:
        alphas = [r["mechanism"]["acceptance_rate"] for p in ctx.points if p["kind"] == "run"
                  and p["mechanism"] == "speculative" for r in p["runs"] if "acceptance_rate" in r["mechanism"]]
        alpha_src = "measured (/mechanism acceptance_rate of the speculative runs given)"
    if not alphas:
        a_cfg = get_path(sw["scenario"], "mechanism.speculative.alpha")
        if a_cfg is None:
            raise Skip("no measured or configured α (mechanism.speculative.alpha)")
        alphas = [float(a_cfg)]
        alpha_src = "configured mechanism.speculative.alpha (no /mechanism rows: sweep without --keep-requests)"
    alpha = float(np.mean(alphas))
    # c: option, else measured from small_only / large_only runs, else an assumption
    small = [p for p in ctx.points if p["mechanism"] == "small_only" and p["params"].get("scenario_name") == scen_name]
    t_large = large[0]["summary"].get("tpot_p50_s")
    if ctx.spec_c is not None:
        c, c_src = ctx.spec_c, "given (--spec-c)"
    elif small and _finite(small[0]["summary"].get("tpot_p50_s")) and _finite(t_large) and t_large > 0:
        c = float(small[0]["summary"]["tpot_p50_s"]) / float(t_large)
        c_src = "p50 TPOT of small_only / p50 TPOT of large_only (measured draft / target step time)"
    else:
        c, c_src = 0.05, f"assumed (no small_only run of {scen_name} given; pass --spec-c)"
    rtt = _link_rtt_s(sw["scenario"])
    gam = np.array([numeric(x["axes"][key]) for x in spec])
    o = np.argsort(gam)
    spec = [spec[i] for i in o]
    gam = gam[o]
    lat = np.array([x["summary"]["latency_p50_s"] for x in spec], dtype=float)
    lo = np.array([x["ci"].get("latency_p50_s", (np.nan, np.nan))[0] for x in spec])
    hi = np.array([x["ci"].get("latency_p50_s", (np.nan, np.nan))[1] for x in spec])
    speed = L / lat
    g_fine = np.linspace(max(1.0, gam.min()), gam.max(), 200)
    lev = M.leviathan_speedup(alpha, g_fine, c)
    has_kept = any(x["runs"] for x in spec)
    fig, axs = plt.subplots(1, 2 if has_kept else 1, figsize=(10.5 if has_kept else 6.4, 4.0), squeeze=False)
    ax = axs[0][0]
    st = ctx.styles("speculative")
    ax.plot(gam, speed, label="measured: large_only / speculative p50 latency", markersize=5, **st)
    band = np.isfinite(lo) & np.isfinite(hi) & (lo > 0)
    if band.sum() >= 2:
        ax.fill_between(gam[band], L / hi[band], L / lo[band], color=st["color"], alpha=0.15, lw=0)
    ax.plot(g_fine, lev, color="#000000", ls="--", lw=1.2, label=f"Leviathan et al. 2023: α={alpha:.3f}, c={c:.3g}")
    data = {"gamma": gam, "speedup": speed, "large_only_p50_s": L, "alpha": alpha, "alpha_source": alpha_src,
            "c": c, "c_source": c_src, "leviathan_at_gamma": M.leviathan_speedup(alpha, gam, c)}
    if rtt is not None and _finite(t_large) and t_large > 0:
        r = rtt / float(t_large)
        ax.plot(g_fine, M.leviathan_tokens_per_round(alpha, g_fine) / (g_fine * c + 1 + r), color="#7f7f7f", ls=":",
                lw=1.4, label=f"same + one link round trip per round ({1000 * rtt:.0f} ms = {r:.2g} target steps)")
        data["rtt_s"] = rtt
    ax.axhline(1.0, color="#bbbbbb", lw=0.7)
    ax.set_xlabel("draft tokens per round γ [tokens]")
    ax.set_ylabel("speed-up over large_only [1]")
    ax.set_title(f"{scen_name}: speculative decoding", fontsize=8.5)
    style.log_axis(ax, "y")  # speed-ups are ratios: 0.5 and 2 equally far from 1
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.16), fontsize=7)
    if has_kept:
        ax2 = axs[0][1]
        tpr = [np.mean([r["mechanism"].get("tokens_per_round", np.nan) for r in x["runs"]]) if x["runs"] else np.nan
               for x in spec]
        ax2.plot(gam, tpr, label="measured tokens per round (/mechanism)", **st)
        ax2.plot(g_fine, M.leviathan_tokens_per_round(alpha, g_fine), color="#000000", ls="--",
                 label="(1 − α^(γ+1)) / (1 − α)")
        ax2.set_xlabel("draft tokens per round γ [tokens]")
        ax2.set_ylabel("tokens emitted per round [tokens]")
        ax2.legend(loc="upper left", bbox_to_anchor=(0.0, -0.16), fontsize=7)
        data["tokens_per_round"] = tpr
    adaptive = bool(get_path(sw["scenario"], "mechanism.speculative.adaptive", False))
    fig.tight_layout()
    style.note(fig, f"α {alpha_src}; c {c_src}. Speed-up = p50 latency of {large[0]['kind']} large_only "
                    f"({L:.2f} s) / p50 latency of the speculative point; latency includes prefill, queueing and the "
                    "link, Leviathan's curve counts decoding steps only."
                    + (" Adaptive γ is on: x is the initial γ." if adaptive else ""))
    return ctx.save(fig, "speculative_speedup", data)


def _link_rtt_s(scenario) -> float | None:
    """Round trip [s] of the scenario's first link (2 × its one-way latency), None if absent."""
    for ln in (scenario.get("links") or {}).values():
        if isinstance(ln, dict) and "latency" in ln:
            m = re.match(r"\s*([0-9.eE+-]+)\s*(ms|s|us|µs)?", str(ln["latency"]))
            if m:
                v = float(m.group(1))
                unit = m.group(2) or "s"
                v *= {"ms": 1e-3, "s": 1.0, "us": 1e-6, "µs": 1e-6}[unit]
                return 2 * v
    return None


# ------------------------------------------------------------------------------ Gantt (hook)


SPAN_FIELDS = ("request_id", "track", "kind", "start_s", "end_s")


def gantt(ctx: Context, max_requests: int = 20):
    """Request timeline (Gantt) from /spans (run.record_spans = true; layout in docs/HDF5.md):
    for the first run with spans, one row per request (its first `max_requests` request
    ids), one bar per span, coloured by track (where: device replica or instance, link
    direction, origin compute) and hatched by kind (what: queue, prefill, decode, upload,
    download, wait, compute). Mechanism steps (kind "ask") are drawn as a thin outline
    above each row. The request's arrival and end (arrival + latency from /requests) are
    marked with ticks. Writes gantt.{png,pdf,json}; the json holds, per request, the
    plotted span total and the recorded latency."""
    runs = [(p, r) for p in ctx.points for r in p["runs"] if r.get("spans")]
    if not runs:
        raise Skip("no /spans in the inputs (run with --set run.record_spans=true)")
    p, r = runs[0]
    sp = r["spans"]
    missing = [f for f in SPAN_FIELDS if f not in sp]
    if missing:
        raise Skip(f"/spans lacks {missing} (figures.gantt expects {SPAN_FIELDS})")
    track = np.array([t.decode() if isinstance(t, bytes) else str(t) for t in sp["track"]])
    kind = np.array([t.decode() if isinstance(t, bytes) else str(t) for t in sp["kind"]])
    rid = np.asarray(sp["request_id"]).astype(np.int64)
    start, end = np.asarray(sp["start_s"], dtype=float), np.asarray(sp["end_s"], dtype=float)
    chosen = np.unique(rid)[:max_requests]
    sel = np.isin(rid, chosen)
    work = sel & (kind != "ask")
    raw_tracks = sorted(dict.fromkeys(track[work]))
    # Each user's own phone (or each request's own instance) is one place for the reader: one
    # colour for all instances of a per-user device, so colours never repeat across places.
    track = np.array([instance_class(t) for t in track])
    tracks = sorted(dict.fromkeys(track[work]))
    if len(tracks) > len(style.COLOURS):
        raise Skip(f"{len(tracks)} places (tracks) in the first {len(chosen)} requests: more than "
                   f"{len(style.COLOURS)} distinct colours")
    kinds = [k for k in ("queue", "prefill", "decode", "upload", "download", "wait", "compute") if k in set(kind[work])]
    kinds += sorted(set(kind[work]) - set(kinds))
    hatches = {"queue": "..", "prefill": "", "decode": "//", "upload": "xx", "download": "\\\\", "wait": "oo",
               "compute": "++"}
    fig, ax = plt.subplots(figsize=(8.0, 0.28 * len(chosen) + 1.8))
    row = {int(q): i for i, q in enumerate(chosen)}
    # One collection per (track, kind), built with array operations: linear in the number of
    # spans (one matplotlib artist per bar was quadratic-looking in practice: 200,000 spans of
    # one request ran past 120 s).
    ypos = np.array([row.get(int(q), -1) for q in rid], dtype=float)
    for ti, t in enumerate(tracks):
        for kd in kinds:
            idx = np.nonzero(work & (track == t) & (kind == kd))[0]
            if not len(idx):
                continue
            x0, x1, yc = start[idx], end[idx], ypos[idx]
            verts = np.stack([np.column_stack([x0, yc - 0.31]), np.column_stack([x0, yc + 0.31]),
                              np.column_stack([x1, yc + 0.31]), np.column_stack([x1, yc - 0.31])], axis=1)
            ax.add_collection(PolyCollection(verts, facecolors=style.COLOURS[ti % len(style.COLOURS)],
                                             hatch=hatches.get(kd, "--"), edgecolors="white", linewidths=0.2))
    ask = np.nonzero(sel & (kind == "ask"))[0]
    if len(ask):
        segs = np.stack([np.column_stack([start[ask], ypos[ask] - 0.42]),
                         np.column_stack([end[ask], ypos[ask] - 0.42])], axis=1)
        ax.add_collection(LineCollection(segs, colors="#444444", linewidths=0.9, capstyle="butt"))
    ax.autoscale_view()
    per_request = {}
    req = r.get("requests")
    if req is not None and "request_id" in req:
        ids = np.asarray(req["request_id"]).astype(np.int64)
        for q in chosen:
            m = np.nonzero(ids == q)[0]
            if len(m):
                a, lat = float(req["arrival_s"][m[0]]), float(req["latency_s"][m[0]])
                ax.plot([a, a + lat], [row[int(q)], row[int(q)]], ls="none", marker="|", ms=7, color="black")
                w = work & (rid == q)
                per_request[int(q)] = {"latency_s": lat, "span_sum_s": float(np.sum(end[w] - start[w])),
                                       "first_s": float(start[w].min()) if w.any() else None, "arrival_s": a}
    ax.set_yticks(range(len(chosen)), [f"req {int(q)}" for q in chosen])
    ax.invert_yaxis()
    ax.set_xlabel("simulated time [s]")
    ax.set_ylabel("request")
    handles = [plt.Rectangle((0, 0), 1, 1, color=style.COLOURS[i % len(style.COLOURS)]) for i in range(len(tracks))]
    handles += [plt.Rectangle((0, 0), 1, 1, facecolor="white", hatch=hatches.get(k, "--"), edgecolor="black", lw=0.3)
                for k in kinds]
    handles += [plt.Line2D([0], [0], color="#444444", lw=0.9), plt.Line2D([0], [0], ls="none", marker="|", color="black")]
    labels = tracks + kinds + ["mechanism step (ask)", "arrival / answer"]
    style.legend_outside(ax, handles=handles, labels=labels, title="where (colour) · what (hatch)")
    note = f"First {len(chosen)} requests of {p['label']} (from /spans)."
    if len(raw_tracks) > len(tracks):
        note += (" A per-user device's instances share one colour ('each user's own': every request runs on its "
                 "own user's instance).")
    style.note(fig, note)
    return ctx.save(fig, "gantt", {"requests": [int(q) for q in chosen], "tracks": tracks, "raw_tracks": raw_tracks,
                                   "colours": {t: style.COLOURS[i % len(style.COLOURS)] for i, t in enumerate(tracks)},
                                   "kinds": kinds, "per_request": per_request})


def instance_class(track: str) -> str:
    """A /spans track with a per-user device's instance named by its user or request
    ('phone/user 12/slm', 'phone/request 7/slm') as the place it stands for
    ("phone (each user's own)/slm"); other tracks unchanged."""
    m = re.match(r"^([^/]+)/(user|request) \d+/(.*)$", track)
    if not m:
        return track
    return f"{m.group(1)} (each {m.group(2)}'s own)/{m.group(3)}"


FIGURES = {
    "cost_quality": cost_quality,
    "pgr": pgr_figure,
    "latency_cdf": lambda ctx: cdf_figure(ctx, "latency_s", "end-to-end latency at the user [s]", "latency_cdf"),
    "ttft_cdf": lambda ctx: cdf_figure(ctx, "ttft_s", "time to first token at the user, TTFT [s]", "ttft_cdf"),
    "tpot_cdf": lambda ctx: cdf_figure(ctx, "tpot_s", "time per output token after the first, TPOT [s]", "tpot_cdf"),
    "latency_over_time": latency_over_time,
    "sweep": sweep_figures,
    "energy_cost": energy_cost,
    "device_timeline": device_timeline,
    "speculative_speedup": speculative,
    "gantt": gantt,
}
