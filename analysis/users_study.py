#!/usr/bin/env python3
"""The users study (issue 24, docs/USERS.md): the default cascade with 10, 100, 1,000 and
10,000 users ([workload.users] count), session-aware and independent assignment, over
seeds, through the CLI. Prints Markdown tables of the mean and 95 % interval (Student t
over the seeds) of:

- phone wait: seconds a request's generation waited for its user's phone (the `queue`
  spans on the '<device>/user N/<deployment>' tracks, run.record_spans = true), mean per
  request, and the share of requests that waited;
- arrival delay: how much later than its trace time a request was sent (sessions: a user
  sends nothing while waiting for an answer or thinking), mean and p95, s;
- latency p50 / p95 (s, from arrival), span of the arrivals (s), phone energy per request
  (J), and, when the result file has the per-user table of the edge work (/users with
  battery and throttling columns), the throttled share and battery drain.

Usage: analysis/users_study.py [--seeds 5] [--users 10,100,1000,10000] [--build build]
"""
import argparse
import math
import os
import subprocess
import sys
import tempfile

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


def phone_waits(f, n):
    """Per request: total s its generations waited on its user's phone (0 when none)."""
    w = np.zeros(n)
    if "spans" not in f:
        return w
    s = f["spans"][:]
    kind = np.char.decode(s["kind"].astype("S"), "utf-8") if s["kind"].dtype.kind == "S" else s["kind"].astype(str)
    track = s["track"].astype(str) if s["track"].dtype.kind != "S" else np.char.decode(s["track"], "utf-8")
    m = (kind == "queue") & np.char.find(track, "/user ") >= 0
    np.add.at(w, s["request_id"][m].astype(np.int64), s["end_s"][m] - s["start_s"][m])
    return w


def measure(path, t_trace):
    with h5py.File(path, "r") as f:
        r = f["requests"][:]
        ids = r["request_id"].astype(np.int64)
        out = {
            "n": len(r),
            "delay_mean": float(np.mean(r["arrival_s"] - t_trace[ids])),
            "delay_p95": float(np.percentile(r["arrival_s"] - t_trace[ids], 95)),
            "span": float(r["arrival_s"].max()),
            "lat_p50": float(np.percentile(r["latency_s"], 50)),
            "lat_p95": float(np.percentile(r["latency_s"], 95)),
            "phone_j": float(np.mean(r["energy_phone_j"])),
            "users_seen": int(len(np.unique(r["user_id"]))),
        }
        w = phone_waits(f, len(r))
        out["wait_mean"] = float(w.mean())
        out["wait_share"] = float(np.mean(w > 1e-9))
        if "users" in f:  # per-user table (edge work): battery and throttling, when present
            u = f["users"][:]
            names = u.dtype.names or ()
            if "throttled_s" in names and "busy_s" in names:
                busy = u["busy_s"].sum()
                out["throttled_share"] = float(u["throttled_s"].sum() / busy) if busy > 0 else 0.0
            for k in ("battery_drop", "soc_drop", "battery_used_share"):
                if k in names:
                    out["battery_drop"] = float(np.mean(u[k]))
                    break
    return out


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


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--users", default="10,100,1000,10000")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--data-dir", default=os.path.join(ROOT, "..", "shared", "data"))
    ap.add_argument("--limit", type=int, default=0, help="first N requests of the trace (0 = all)")
    a = ap.parse_args()
    exe = os.path.join(a.build, "collabsim")
    t_trace = trace_times(a.data_dir)
    users = [int(x) for x in a.users.split(",")]
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for assignment in ("session", "independent"):
            for n in users:
                for seed in range(2026, 2026 + a.seeds):
                    out = os.path.join(tmp, f"{assignment}-{n}-{seed}.h5")
                    cmd = [exe, "run", SCENARIO, "--data-dir", a.data_dir, "-o", out, "--quiet",
                           "--set", f"workload.users.count={n}", "--set", f'workload.users.assignment="{assignment}"',
                           "--set", f"run.seed={seed}", "--set", "run.record_spans=true"]
                    if assignment == "independent":  # think_time and turns do not apply
                        pass
                    if a.limit:
                        cmd += ["--set", f"workload.limit={a.limit}"]
                    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
                    rows.setdefault((assignment, n), []).append(measure(out, t_trace))
                    os.remove(out)
                    print(f"done {assignment} {n} {seed}", file=sys.stderr)
    print(f"Default cascade (scenarios/edge_cloud_cascade.toml, whole trace unless --limit={a.limit}), "
          f"{a.seeds} seeds from 2026; mean ± half-width of the 95 % interval (Student t over seeds).\n")
    extra = any("throttled_share" in m for v in rows.values() for m in v)
    head = ("| assignment | users | users who sent | phone wait / request [s] | requests that waited | "
            "arrival delay mean [s] | arrival delay p95 [s] | arrival span [s] | latency p50 [s] | latency p95 [s] | "
            "phone J / request |")
    if extra:
        head += " throttled share | battery drop |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for (assignment, n), ms in rows.items():
        g = lambda k: [m[k] for m in ms]
        line = (f"| {assignment} | {n:,} | {fmt(g('users_seen'), 0)} | {fmt(g('wait_mean'), 2)} | "
                f"{fmt(g('wait_share'), 3)} | {fmt(g('delay_mean'), 1)} | {fmt(g('delay_p95'), 1)} | "
                f"{fmt(g('span'), 0)} | {fmt(g('lat_p50'), 2)} | {fmt(g('lat_p95'), 2)} | {fmt(g('phone_j'), 1)} |")
        if extra:
            line += (f" {fmt(g('throttled_share'), 3) if all('throttled_share' in m for m in ms) else '—'} |"
                     f" {fmt(g('battery_drop'), 4) if all('battery_drop' in m for m in ms) else '—'} |")
        print(line)


if __name__ == "__main__":
    main()
