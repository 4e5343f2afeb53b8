#!/usr/bin/python3
"""Figures and a summary table comparing collabsim runs.

usage: plot_runs.py RUN.h5 [RUN.h5 ...] -o OUTDIR

Writes into OUTDIR (PNG and PDF for each figure):
  latency_cdf      end-to-end latency CDF per run (log x)
  ttft_cdf         time-to-first-token CDF per run (log x)
  quality_cost     mean quality against cost per 1k requests, with the random-mix line
                   between small_only and large_only when both are given
  latency_over_time rolling median latency against arrival time (queueing build-up)
  device_timeline  sequences running and waiting on each shared device over time (when
                   the files hold /devices/<name>/timeline)
  summary.csv      one row per run
and prints the summary table. Exit status 2 when a file is not a collabsim result.
"""
from __future__ import annotations

import argparse
import csv
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from h5io import NotAResult, load_run, unique_labels  # noqa: E402

COLUMNS = [
    ("mechanism", "label", "{}"),
    ("n", "n_requests", "{:d}"),
    ("quality", "quality_mean", "{:.4f}"),
    ("p50_s", "latency_p50_s", "{:.3f}"),
    ("p95_s", "latency_p95_s", "{:.3f}"),
    ("p99_s", "latency_p99_s", "{:.3f}"),
    ("ttft_p50_s", "ttft_p50_s", "{:.3f}"),
    ("usd_per_1k", "cost_per_1k_usd", "{:.4f}"),
    ("j_per_req", "energy_per_request_j", "{:.1f}"),
    ("large_share", "large_share", "{:.3f}"),
]


def _style():
    plt.rcParams.update({"figure.figsize": (6.0, 4.0), "figure.dpi": 120, "axes.grid": True,
                         "grid.alpha": 0.3, "axes.spines.top": False, "axes.spines.right": False,
                         "font.size": 10, "legend.fontsize": 8, "legend.frameon": False})


def _save(fig, outdir, name):
    fig.tight_layout()
    for ext in ("png", "pdf"):
        fig.savefig(os.path.join(outdir, f"{name}.{ext}"))
    plt.close(fig)


def _ok(run):
    return run["requests"]["status"] == 0


def cdf_plot(runs, field, xlabel, outdir, name):
    fig, ax = plt.subplots()
    for r in runs:
        x = np.sort(r["requests"][field][_ok(r)])
        x = x[x > 0]
        if len(x) == 0:
            continue
        ax.plot(x, np.arange(1, len(x) + 1) / len(x), label=r["label"], lw=1.4)
    ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("share of requests ≤ x")
    ax.set_ylim(0, 1)
    ax.legend(loc="lower right")
    _save(fig, outdir, name)


def quality_cost_plot(runs, outdir):
    fig, ax = plt.subplots()
    by = {r["label"]: r for r in runs}
    if "small_only" in by and "large_only" in by:
        s, l = by["small_only"]["summary"], by["large_only"]["summary"]
        ax.plot([s["cost_per_1k_usd"], l["cost_per_1k_usd"]], [s["quality_mean"], l["quality_mean"]],
                ls="--", color="grey", lw=1, label="random mix (small_only–large_only)")
    for r in runs:
        s = r["summary"]
        ax.scatter(s["cost_per_1k_usd"], s["quality_mean"], s=30, zorder=3)
        ax.annotate(r["label"], (s["cost_per_1k_usd"], s["quality_mean"]), textcoords="offset points",
                    xytext=(5, 4), fontsize=8)
    ax.set_xlabel("cost per 1,000 requests [USD]")
    ax.set_ylabel("mean quality (share answered right)")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="lower right")
    _save(fig, outdir, "quality_cost")


def latency_over_time_plot(runs, outdir, window=500):
    fig, ax = plt.subplots()
    for r in runs:
        ok = _ok(r)
        t = r["requests"]["arrival_s"][ok]
        lat = r["requests"]["latency_s"][ok]
        if len(t) < window:
            continue
        order = np.argsort(t, kind="stable")
        t, lat = t[order], lat[order]
        idx = np.arange(window // 2, len(t) - window // 2, max(1, window // 10))
        med = [np.median(lat[i - window // 2:i + window // 2]) for i in idx]
        ax.plot(t[idx] / 60.0, med, label=r["label"], lw=1.2)
    ax.set_xlabel("arrival time [min]")
    ax.set_ylabel(f"rolling median latency [s] ({window} requests)")
    ax.set_yscale("log")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best")
    _save(fig, outdir, "latency_over_time")


def device_timeline_plot(runs, outdir):
    series = [(r["label"], dev, tl) for r in runs for dev, tl in r.get("timelines", {}).items()]
    if not series:
        return
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(6.0, 5.0))
    for label, dev, tl in series:
        t = tl["time_s"] / 60.0
        top.plot(t, tl["running"], lw=1.0, label=f"{label} ({dev})")
        bottom.plot(t, tl["waiting"], lw=1.0, label=f"{label} ({dev})")
    top.set_ylabel("sequences in the batch")
    bottom.set_ylabel("requests waiting")
    bottom.set_xlabel("time [min]")
    top.legend(loc="best")
    _save(fig, outdir, "device_timeline")


def summary_rows(runs):
    rows = []
    for r in runs:
        row = {}
        for head, key, _ in COLUMNS:
            row[head] = r["label"] if key == "label" else r["summary"].get(key, float("nan"))
        rows.append(row)
    return rows


def print_table(rows):
    heads = [c[0] for c in COLUMNS]
    print(" ".join(f"{h:>12}" for h in heads))
    for row in rows:
        cells = []
        for head, _, fmt in COLUMNS:
            v = row[head]
            cells.append(f"{(fmt.format(int(v)) if fmt == '{:d}' else fmt.format(v)):>12}")
        print(" ".join(cells))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", help="collabsim result files")
    ap.add_argument("-o", "--outdir", required=True, help="folder for figures and summary.csv")
    args = ap.parse_args(argv)
    try:
        runs = [load_run(p) for p in args.runs]
    except NotAResult as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    unique_labels(runs)
    os.makedirs(args.outdir, exist_ok=True)
    _style()
    cdf_plot(runs, "latency_s", "end-to-end latency at the user [s]", args.outdir, "latency_cdf")
    cdf_plot(runs, "ttft_s", "time to first token at the user [s]", args.outdir, "ttft_cdf")
    quality_cost_plot(runs, args.outdir)
    latency_over_time_plot(runs, args.outdir)
    device_timeline_plot(runs, args.outdir)
    rows = summary_rows(runs)
    with open(os.path.join(args.outdir, "summary.csv"), "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=[c[0] for c in COLUMNS])
        w.writeheader()
        w.writerows(rows)
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
