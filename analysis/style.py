"""One figure style for every collabsim figure.

- series styles combine 22 distinct colours with 11 filled markers and 4 line styles, so
  no colour repeats up to 22 series and marker × line style (readable in greyscale) does
  not repeat up to 44;
- legends go outside the data (right of the axes), files are saved with a tight bounding
  box so nothing spills off;
- log axes get 1-2-5 major ticks with plain labels (0.1, 0.2, 0.5, 1, 2, 5, ...);
- point labels are placed greedily where they overlap neither other labels nor markers.
"""
from __future__ import annotations

import json
import math
import re
import textwrap
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import ticker  # noqa: E402

# tab10, then the light tab20 partners, then black and grey: 22 distinct colours.
COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf", "#000000", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5",
           "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5", "#525252"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "<", ">", "p", "h"]
LINESTYLES = ["-", "--", "-.", ":"]

FORMATS = ("png", "pdf")


def apply():
    """Sets the shared rcParams (sizes in inches, fonts in points)."""
    plt.rcParams.update({
        "figure.figsize": (6.4, 4.0), "figure.dpi": 110, "savefig.dpi": 110,
        "axes.grid": True, "grid.alpha": 0.3, "grid.linewidth": 0.6,
        "axes.spines.top": False, "axes.spines.right": False,
        "font.size": 9, "axes.titlesize": 9, "axes.labelsize": 9, "legend.fontsize": 7.5,
        "xtick.labelsize": 8, "ytick.labelsize": 8, "legend.frameon": False,
        "lines.linewidth": 1.4, "lines.markersize": 5, "pdf.fonttype": 42,
    })


def series_style(i: int) -> dict:
    """Matplotlib keyword arguments (color, marker, linestyle) of series number i (0-based)."""
    return {"color": COLOURS[i % len(COLOURS)], "marker": MARKERS[i % len(MARKERS)],
            "linestyle": LINESTYLES[i % len(LINESTYLES)]}


# The mechanism registry's order (sim/mechanisms/registry.cpp): mechanism i always gets
# colour i, in every figure of every invocation.
MECHANISMS = ["small_only", "large_only", "random", "oracle", "cascade", "router", "speculative", "token_routing",
              "pipeline", "decomposition", "fusion", "distillation", "offline_fallback", "bandit"]


def mechanism_of(name: str) -> str | None:
    """The registry mechanism a series name starts with ("cascade", "scen: cascade
    (rate_scale=2)", "cascade, router" → the first), or None."""
    base = name.split(": ", 1)[1] if ": " in name else name
    head = re.split(r"[ ,(]", base.strip(), maxsplit=1)[0]
    return head if head in MECHANISMS else None


class StyleMap:
    """Gives every series name a fixed style. A series of a registry mechanism takes that
    mechanism's colour (the same in every figure and every run of `collabsim plot`); its
    variants (other swept settings, scenarios) differ by marker and line style, in
    first-seen order. Other names take the colours after the mechanisms', first-seen."""

    def __init__(self):
        """Starts with no groups."""
        self._style: dict[str, dict] = {}
        self._variants: dict[str, int] = {}
        self._others = 0

    def __call__(self, name: str) -> dict:
        """Style dict (color, marker, linestyle) of group `name`."""
        if name not in self._style:
            mech = mechanism_of(name)
            if mech is not None:
                k = self._variants.get(mech, 0)
                self._variants[mech] = k + 1
                i = MECHANISMS.index(mech)
                self._style[name] = {"color": COLOURS[i], "marker": MARKERS[(i + k) % len(MARKERS)],
                                     "linestyle": LINESTYLES[k % len(LINESTYLES)]}
            else:
                self._style[name] = series_style(len(MECHANISMS) + self._others)
                self._others += 1
        return dict(self._style[name])


def log_axis(ax, which: str = "x") -> None:
    """Log scale with plain-number major tick labels (0.1, 0.2, 0.5, 1, 2, 5, ...) and
    unlabelled minor ticks; call after plotting. Below 1.5 decades of data the majors are
    1-1.5-2-3-5-7 per decade, below 0.6 decades every integer multiple, so at least three
    ticks are labelled."""
    axis = ax.xaxis if which == "x" else ax.yaxis
    (ax.set_xscale if which == "x" else ax.set_yscale)("log")
    ax.autoscale_view()
    lo, hi = ax.get_xlim() if which == "x" else ax.get_ylim()
    decades = math.log10(hi / lo) if lo > 0 and hi > lo else 3.0
    subs = (1.0, 2.0, 5.0) if decades >= 1.5 else ((1.0, 1.5, 2.0, 3.0, 5.0, 7.0) if decades >= 0.6
                                                   else tuple(np.arange(1, 10) * 1.0))
    axis.set_major_locator(ticker.LogLocator(base=10, subs=subs, numticks=30))
    axis.set_minor_locator(ticker.LogLocator(base=10, subs=np.arange(1, 10) * 1.0, numticks=100))
    axis.set_major_formatter(ticker.FuncFormatter(plain_number))
    axis.set_minor_formatter(ticker.NullFormatter())


def plain_number(v: float, _pos=None) -> str:
    """Tick label of a positive value without exponent notation: 0.002, 0.5, 3, 20, 1000."""
    if v <= 0 or not math.isfinite(v):
        return ""
    if v >= 1:
        return f"{v:,.0f}" if v >= 10000 else f"{v:.4g}"
    digits = max(0, -int(math.floor(math.log10(v)))) + 1
    return f"{v:.{digits}f}".rstrip("0").rstrip(".")


def legend_outside(ax, fig=None, title=None, ncol=1, handles=None, labels=None) -> None:
    """Legend to the right of the axes (outside the data); no legend when nothing is labelled."""
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return
    ncol = ncol if len(handles) <= 24 else 2
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
              title=title, ncol=ncol, handlelength=2.6)


def note(fig, text: str) -> None:
    """Attaches a small grey note (assumptions, windows, what the data cannot show) that
    save() writes under everything else in the figure, wrapped to the figure's width."""
    if text:
        fig._collabsim_note = text


def _draw_note(fig) -> None:
    """Places the note of note() below the figure's tight bounding box (legends, rotated
    tick labels included), about 24 characters per inch of figure width at 6.5 pt."""
    text = getattr(fig, "_collabsim_note", None)
    if not text:
        return
    renderer = fig.canvas.get_renderer()
    bb = fig.get_tightbbox(renderer)  # inches
    w_in = max(fig.get_figwidth(), bb.width)
    width = max(40, int(w_in * 24))
    fig.text(bb.x0 / fig.get_figwidth(), (bb.y0 - 0.06) / fig.get_figheight(), textwrap.fill(text, width),
             fontsize=6.5, color="#444444", ha="left", va="top")


def save(fig, outdir: str, name: str, formats=FORMATS, data: dict | None = None) -> list[str]:
    """Writes `name.<fmt>` for each format (tight bounding box, so legends and notes outside
    the axes are kept) and, when `data` is given, `name.json` with the plotted numbers.
    Returns the paths written."""
    paths = []
    _draw_note(fig)
    for ext in formats:
        path = os.path.join(outdir, f"{name}.{ext}")
        fig.savefig(path, bbox_inches="tight", pad_inches=0.08)
        paths.append(path)
    plt.close(fig)
    if data is not None:
        path = os.path.join(outdir, f"{name}.json")
        with open(path, "w") as fh:
            json.dump(_jsonable(data), fh, indent=1, allow_nan=True)
        paths.append(path)
    return paths


def _jsonable(v):
    """Converts numpy scalars and arrays inside v to plain Python values for json."""
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.ndarray):
        return [_jsonable(x) for x in v.tolist()]
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    return v


def place_labels(ax, xs, ys, texts, fontsize=7, avoid_markers=True) -> list:
    """Writes texts[i] next to the data point (xs[i], ys[i]) choosing, greedily in the
    given order, the first of 24 candidate offsets (8 directions, 3 radii, in points) whose
    box overlaps no label placed before, no marker and stays inside the axes; falls back to
    the least-overlapping candidate with a thin leader line. Returns the Annotation objects."""
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    to_disp = ax.transData.transform
    pts = np.array([to_disp((x, y)) for x, y in zip(xs, ys)]) if len(xs) else np.zeros((0, 2))
    ax_box = ax.get_window_extent(renderer)
    px_per_pt = fig.dpi / 72.0
    marker_r = 4.0 * px_per_pt
    placed: list = []
    out = []
    dirs = [(1, 1), (1, -1), (-1, 1), (-1, -1), (1, 0), (-1, 0), (0, 1), (0, -1)]
    candidates = [(dx * r, dy * r) for r in (5, 13, 24) for dx, dy in dirs]
    for i, (x, y, t) in enumerate(zip(xs, ys, texts)):
        best, best_score, best_off = None, None, None
        for off in candidates:
            ha = "left" if off[0] > 0 else ("right" if off[0] < 0 else "center")
            va = "bottom" if off[1] > 0 else ("top" if off[1] < 0 else "center")
            ann = ax.annotate(t, (x, y), xytext=off, textcoords="offset points", fontsize=fontsize,
                              ha=ha, va=va, zorder=6)
            bb = ann.get_window_extent(renderer).expanded(1.04, 1.08)
            score = sum(_overlap(bb, p) for p in placed)
            if avoid_markers:
                for j, p in enumerate(pts):
                    if _point_in(bb, p, marker_r):
                        score += 40.0 if j != i else 400.0
            if not (ax_box.x0 <= bb.x0 and bb.x1 <= ax_box.x1 and ax_box.y0 <= bb.y0 and bb.y1 <= ax_box.y1):
                score += 150.0
            ann.remove()
            if best_score is None or score < best_score:
                best, best_score, best_off = bb, score, off
            if score == 0:
                break
        ha = "left" if best_off[0] > 0 else ("right" if best_off[0] < 0 else "center")
        va = "bottom" if best_off[1] > 0 else ("top" if best_off[1] < 0 else "center")
        kw = {}
        if abs(best_off[0]) > 6 or abs(best_off[1]) > 6:
            kw["arrowprops"] = {"arrowstyle": "-", "lw": 0.4, "color": "#777777", "shrinkA": 0, "shrinkB": 2}
        ann = ax.annotate(t, (x, y), xytext=best_off, textcoords="offset points", fontsize=fontsize,
                          ha=ha, va=va, zorder=6, **kw)
        placed.append(best)
        out.append(ann)
    return out


def _overlap(a, b) -> float:
    """Overlapping area of two display-space boxes [pixels²]."""
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return w * h if w > 0 and h > 0 else 0.0


def _point_in(bb, p, r) -> bool:
    """True when the disc of radius r [pixels] around display point p touches box bb."""
    return bb.x0 - r <= p[0] <= bb.x1 + r and bb.y0 - r <= p[1] <= bb.y1 + r
