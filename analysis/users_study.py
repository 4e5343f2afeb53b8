#!/usr/bin/env python3
"""The users study (issue 24, docs/USERS.md): the default cascade with 10, 100, 1,000 and
10,000 users ([workload.users] count), session-aware and independent assignment, over
seeds, through the CLI. Prints Markdown tables of the mean and 95 % interval (Student t
over the seeds; each seed is one whole run) of:

- queueing: how much later than its trace time a request was sent (session assignment:
  a user sends nothing while it waits for an answer or thinks), mean and p95, s; the time
  a request's generations waited for its user's phone (/users queue_s summed over users,
  per request; independent assignment lets a user's requests overlap), s; latency p50 and
  p95 of the answered requests (s, from arrival); users who sent anything; the last
  arrival (s; the trace's is 3,502 s);
- heat: the throttled share of phone time (Σ throttled_s / Σ busy_s over /users: time
  lost to throttling per second of on-phone generation), and the lowest rate share reached;
- battery: drain per user (soc_start − soc_end, share of capacity), its mean and largest,
  the share of users who fell below the battery floor, requests refused for a low battery
  (/summary n_battery_low), phone energy per request (J), and where the cascade answers:
  the LLM share and the quality (/summary large_share, quality_mean).

Usage: analysis/users_study.py [--seeds 5] [--users 10,100,1000,10000] [--build build] [-j 1]
       [--limit N] [--assignments session,independent]
"""
import argparse
import math
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

import h5py
import numpy as np
import pandas as pd
from scipy import stats

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCENARIO = os.path.join(ROOT, "scenarios", "edge_cloud_cascade.toml")


def trace_times(data_dir):
    """Arrival times of the Azure 2023 conversation trace, s from its first row (the run's clock)."""
    tr = pd.read_csv(os.path.join(data_dir, "traces/azure_llm_2023/AzureLLMInferenceTrace_conv.csv"))
    t = pd.to_datetime(tr.TIMESTAMP)
    return (t - t.iloc[0]).dt.total_seconds().to_numpy()


def measure(path, t_trace):
    """The study's metrics of one result file (see the module comment)."""
    with h5py.File(path, "r") as f:
        r = f["requests"][:]
        ids = r["request_id"].astype(np.int64)
        ok = r["status"] == 0
        delay = r["arrival_s"] - t_trace[ids]
        u = f["users"][:]
        summ = f["summary"][:]
        busy = float(u["busy_s"].sum())
        drain = u["soc_start"] - u["soc_end"]
        return {
            "n": len(r),
            "users_seen": int(len(np.unique(r["user_id"]))),
            "delay_mean": float(np.mean(delay)),
            "delay_p95": float(np.percentile(delay, 95)),
            "span": float(r["arrival_s"].max()),
            "phone_wait": float(u["queue_s"].sum() / len(r)),
            "lat_p50": float(np.percentile(r["latency_s"][ok], 50)),
            "lat_p95": float(np.percentile(r["latency_s"][ok], 95)),
            "throttled_share": float(u["throttled_s"].sum() / busy) if busy > 0 else 0.0,
            "min_rate": float(u["min_rate_factor"].min()),
            "drain_mean": float(np.mean(drain)),
            "drain_max": float(np.max(drain)),
            "below_floor": float(np.mean(~np.isnan(u["below_floor_at_s"]))),
            "battery_low": int(summ["n_battery_low"][0]),
            "phone_j": float(np.mean(r["energy_phone_j"])),
            "large_share": float(summ["large_share"][0]),
            "quality": float(summ["quality_mean"][0]),
        }


def ci(xs):
    xs = np.asarray(xs, dtype=float)
    m = float(xs.mean())
    if len(xs) < 2:
        return m, float("nan")
    h = float(stats.t.ppf(0.975, len(xs) - 1) * xs.std(ddof=1) / math.sqrt(len(xs)))
    return m, h


def fmt(xs, digits):
    m, h = ci(xs)
    return f"{m:.{digits}f} ± {h:.{digits}f}"


def one_run(args):
    """Runs one (assignment, users, seed) point; returns its metrics."""
    exe, data_dir, assignment, n, seed, limit, tmp, t_trace = args
    out = os.path.join(tmp, f"{assignment}-{n}-{seed}.h5")
    cmd = [exe, "run", SCENARIO, "--data-dir", data_dir, "-o", out, "--quiet",
           "--set", f"workload.users.count={n}", "--set", f'workload.users.assignment="{assignment}"',
           "--set", f"run.seed={seed}"]
    if limit:
        cmd += ["--set", f"workload.limit={limit}"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    m = measure(out, t_trace)
    os.remove(out)
    print(f"done {assignment} {n} {seed}", file=sys.stderr, flush=True)
    return (assignment, n), m


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--users", default="10,100,1000,10000")
    ap.add_argument("--assignments", default="session,independent")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--data-dir", default=os.path.join(ROOT, "..", "shared", "data"))
    ap.add_argument("--limit", type=int, default=0, help="first N requests of the trace (0 = all)")
    ap.add_argument("-j", type=int, default=1, help="runs at once")
    a = ap.parse_args()
    exe = os.path.join(a.build, "collabsim")
    t_trace = trace_times(a.data_dir)
    users = [int(x) for x in a.users.split(",")]
    assignments = a.assignments.split(",")
    rows = {(s, n): [] for s in assignments for n in users}
    with tempfile.TemporaryDirectory() as tmp:
        jobs = [(exe, a.data_dir, s, n, seed, a.limit, tmp, t_trace)
                for s in assignments for n in users for seed in range(2026, 2026 + a.seeds)]
        with ThreadPoolExecutor(max_workers=a.j) as pool:
            for key, m in pool.map(one_run, jobs):
                rows[key].append(m)
    scope = f"first {a.limit:,} requests of the trace" if a.limit else "whole trace, 19,366 requests"
    print(f"Default cascade (scenarios/edge_cloud_cascade.toml, {scope}), seeds {2026}–{2025 + a.seeds}; "
          f"mean ± half-width of the 95 % interval (Student t over the {a.seeds} seeds).\n")
    tables = [
        ("Queueing", [("users who sent", "users_seen", 0), ("last arrival [s]", "span", 0),
                      ("arrival delay mean [s]", "delay_mean", 1),
                      ("arrival delay p95 [s]", "delay_p95", 1), ("phone wait / request [s]", "phone_wait", 3),
                      ("latency p50 [s]", "lat_p50", 2), ("latency p95 [s]", "lat_p95", 2)]),
        ("Heat and battery", [("throttled share", "throttled_share", 3), ("lowest rate share", "min_rate", 3),
                              ("drain / user (mean)", "drain_mean", 4), ("drain / user (max)", "drain_max", 3),
                              ("users below floor", "below_floor", 3), ("battery_low requests", "battery_low", 0),
                              ("phone J / request", "phone_j", 1), ("LLM share", "large_share", 3),
                              ("quality", "quality", 4)]),
    ]
    for title, cols in tables:
        print(f"{title}:\n")
        head = "| assignment | users | " + " | ".join(c[0] for c in cols) + " |"
        print(head)
        print("|" + "---|" * (len(cols) + 2))
        for (assignment, n), ms in rows.items():
            cells = [fmt([m[k] for m in ms], d) for _, k, d in cols]
            print(f"| {assignment} | {n:,} | " + " | ".join(cells) + " |")
        print()


if __name__ == "__main__":
    main()
