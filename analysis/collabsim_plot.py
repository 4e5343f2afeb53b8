#!/usr/bin/python3
"""Paper figures from collabsim run and sweep files (the script behind `collabsim plot`).

usage: collabsim_plot.py FILE.h5 [FILE.h5 ...] -o DIR [--label-by KEY] [--color-by KEY]
                         [--format png,pdf] [--y METRIC[,METRIC]] [--only NAME[,NAME]]
                         [--window S] [--spec-c C]

Every figure the inputs allow is written into DIR as PNG and PDF (and a .json with the
plotted numbers); a figure the inputs cannot make is skipped with one line saying why.

  cost_quality        cost per 1k requests vs mean quality of every run / sweep point, each
                      series' non-decreasing convex hull and AIQ, the random-mix line (RouterBench)
  pgr                 PGR vs share of large-model calls per router/cascade sweep, APGR,
                      CPT(50%)/CPT(80%), 95% bands over seeds (RouteLLM)
  latency_cdf, ttft_cdf, tpot_cdf
                      per-request CDFs (runs, or sweeps with --keep-requests), log x
  latency_over_time   rolling median latency over arrival time per run
  sweep               sweep_<file>: metrics vs the swept parameter with 95% bands (--y)
  energy_cost         energy per request by device / radio / idle, cost by component
  device_timeline     utilisation, batch, queue, KV cache over time per shared device
  speculative_speedup speed-up vs gamma with Leviathan's curve (sweep over mechanism.speculative.gamma)
  gantt               request timeline of a run's first 20 requests (needs /spans: run.record_spans = true)
  summary.csv         one row per run / sweep point

Keys for --label-by / --color-by: a root attribute (mechanism, scenario_name, seed, ...), a
swept axis or any scenario key path (e.g. workload.rate_scale, mechanism.cascade.auroc), or
`file`. Exit status: 0 ok, 2 bad input (a missing, non-HDF5 or non-collabsim file, an
unknown figure or metric), 1 an internal error.
"""
from __future__ import annotations

import argparse
import csv
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import figures  # noqa: E402
import style  # noqa: E402
from h5io import NotAResult, get_path, load, parse_toml, unique_labels  # noqa: E402

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


def summary_rows(points):
    """One summary.csv row per point: the COLUMNS metrics (sweep points: mean over seeds),
    plus file and swept-axis columns when sweeps are among the inputs."""
    rows = []
    any_sweep = any(p["kind"] == "sweep" for p in points)
    for p in points:
        row = {}
        for head, key, _ in COLUMNS:
            row[head] = p["label"] if key == "label" else p["summary"].get(key, float("nan"))
        row["ibc"], row["delta_ibc_pct"] = ibc_of(p, points)
        if any_sweep:
            row["file"] = p["source"]
            row["point"] = "; ".join(f"{k}={figures.fmt_value(v)}" for k, v in p["axes"].items())
            row["n_seeds"] = p["n_seeds"]
        rows.append(row)
    return rows


def ibc_of(p, points) -> tuple[float, float]:
    """AutoMix's IBC of point p against small_only of the same scenario [quality per USD/1k]
    and ΔIBC [%] against the small_only–large_only line: IBC = (q − q_S)/(c − c_S),
    ΔIBC = 100 (IBC − IBC_base)/IBC_base, IBC_base = (q_L − q_S)/(c_L − c_S); NaN when the
    baselines are missing or a cost difference is 0."""
    nan = float("nan")
    scen = p["params"].get("scenario_name")
    base = {}
    for q in points:
        if q["mechanism"] in ("small_only", "large_only") and q["params"].get("scenario_name") == scen:
            base.setdefault(q["mechanism"], q["summary"])
    if "small_only" not in base:
        return nan, nan
    qs, cs = base["small_only"].get("quality_mean", nan), base["small_only"].get("cost_per_1k_usd", nan)
    qm, cm = p["summary"].get("quality_mean", nan), p["summary"].get("cost_per_1k_usd", nan)
    ibc = (qm - qs) / (cm - cs) if cm != cs else nan
    if "large_only" not in base:
        return ibc, nan
    ql, cl = base["large_only"].get("quality_mean", nan), base["large_only"].get("cost_per_1k_usd", nan)
    ibc_base = (ql - qs) / (cl - cs) if cl != cs else nan
    return ibc, (100.0 * (ibc - ibc_base) / ibc_base if ibc_base else nan)


def default_run_labels(run_points) -> None:
    """Labels runs by mechanism; when runs of one mechanism come from several scenarios,
    such a run of its scenario's own mechanism (as the file was written) is labelled by the
    scenario name (unique_labels then resolves what is left)."""
    scen_of: dict[str, set] = {}
    for p in run_points:
        scen_of.setdefault(p["mechanism"], set()).add(p["params"].get("scenario_name"))
    for p in run_points:
        if len(scen_of[p["mechanism"]]) < 2:
            continue
        own = get_path(parse_toml(p["runs"][0]["attrs"].get("scenario_source", "")), "mechanism.name")
        if own == p["mechanism"] and p["params"].get("scenario_name"):
            p["label"] = p["params"]["scenario_name"]


def parse_args(argv):
    """Command-line options (argparse exits 2 on bad usage)."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+", help="collabsim run or sweep files (.h5)")
    ap.add_argument("-o", "--outdir", required=True, help="folder for the figures and summary.csv (created)")
    ap.add_argument("--label-by", help="label points by this key")
    ap.add_argument("--color-by", help="group series (colour, marker, line style, hull) by this key")
    ap.add_argument("--format", default="png,pdf", help="comma-separated formats (default png,pdf)")
    ap.add_argument("--y", help="metric(s) of the sweep figure, comma-separated /summary fields")
    ap.add_argument("--only", help="comma-separated figure names (default: all the inputs allow)")
    ap.add_argument("--window", type=float, help="device timelines: rolling-mean window [s]")
    ap.add_argument("--spec-c", type=float, help="speculative figure: draft/target step-time ratio c")
    return ap.parse_args(argv)


def main(argv=None) -> int:
    """Loads the files, draws the figures, writes summary.csv; returns the exit status."""
    args = parse_args(argv)
    formats = tuple(f.strip().lower() for f in args.format.split(",") if f.strip())
    bad = [f for f in formats if f not in ("png", "pdf", "svg")]
    if bad or not formats:
        print(f"error: --format {args.format}: use png, pdf or svg", file=sys.stderr)
        return 2
    only = None
    if args.only:
        only = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in only if n not in figures.FIGURES]
        if unknown:
            print(f"error: --only: unknown figure {', '.join(unknown)} (figures: {', '.join(figures.FIGURES)})",
                  file=sys.stderr)
            return 2
    loaded = []
    for path in args.files:
        try:
            loaded.append(load(path))
        except NotAResult as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        except Exception as e:  # a damaged file: one line naming it, never a traceback
            print(f"error: {path}: cannot be read as a collabsim result ({type(e).__name__}: {e})", file=sys.stderr)
            return 2
    points = [pt for f in loaded for pt in f["points_list"]]
    run_points = [p for p in points if p["kind"] == "run"]
    default_run_labels(run_points)
    unique_labels(run_points)
    for p in run_points:
        p["runs"][0]["label"] = p["label"]
    ys = None
    if args.y:
        ys = [m.strip() for m in args.y.split(",") if m.strip()]
        known = set().union(*(p["summary"].keys() for p in points))
        unknown = [m for m in ys if m not in known]
        if unknown:
            print(f"error: --y: {', '.join(unknown)} is not a /summary metric of the inputs "
                  f"(e.g. {', '.join(sorted(k for k in known if not k.startswith('n_'))[:12])})", file=sys.stderr)
            return 2
    for key in (args.label_by, args.color_by):
        if key and not any(key in p["params"] for p in points):
            print(f"error: key {key} is in none of the inputs (try mechanism, scenario_name, file, or a "
                  "swept/scenario key path)", file=sys.stderr)
            return 2
    os.makedirs(args.outdir, exist_ok=True)
    style.apply()
    ctx = figures.Context(points=points, sweeps=[f for f in loaded if f["kind"] == "sweep"], outdir=args.outdir,
                          formats=formats, label_by=args.label_by, color_by=args.color_by, y=ys,
                          window_s=args.window, spec_c=args.spec_c)
    status = 0
    for name, fn in figures.FIGURES.items():
        if only and name not in only:
            continue
        try:
            paths = fn(ctx)
            shown = [p for p in paths if not p.endswith(".json")]
            print(f"figure {name}: {', '.join(shown)}")
        except figures.Skip as e:
            print(f"skip {name}: {e}")
        except Exception as e:  # one broken figure must not lose the others
            print(f"error in figure {name}: {type(e).__name__}: {e}", file=sys.stderr)
            if os.environ.get("COLLABSIM_DEBUG"):
                traceback.print_exc()
            status = 1
    rows = summary_rows(points)
    with open(os.path.join(args.outdir, "summary.csv"), "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    # No table on stdout: `collabsim run` printed it already (run.sh showed it twice); the
    # rows are in summary.csv, and `collabsim table` prints chosen metrics with intervals.
    print(f"summary.csv: {len(rows)} rows in {os.path.join(args.outdir, 'summary.csv')}")
    for sw in ctx.sweeps:
        print(f"sweep {sw['path']}: {len(sw['combos'])} points × {sw['seeds']} seeds "
              f"({', '.join(sw['axes'])}) in {os.path.join(args.outdir, 'summary.csv')}")
    return status


if __name__ == "__main__":
    sys.exit(main())
