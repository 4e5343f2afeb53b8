#!/usr/bin/env python3
"""Fit of the device cards' power model to ML.ENERGY v3 measurements (docs/ENERGY.md).

Model (sim/hardware/device_spec.hpp, DeviceSpec::power):
    P = P_idle + (P_max - P_idle) * min(1, a * U_compute + b * U_memory)   [W per GPU]
with U_compute = FLOPs / (peak FLOP/s * GPUs * t) and U_memory = bytes / (peak bytes/s *
GPUs * t) of one decode iteration of t = the run's median inter-token latency:
    FLOPs = 2 * activated parameters * average batch, bytes = 2 * parameters (BF16 weights;
the KV cache read is not in the CSV and is left out, so b absorbs it). P_idle and P_max are
the cards' idle_power and busy_power (fixed); a and b are fitted by linear least squares on
(P - P_idle) / (P_max - P_idle) = a * U_compute + b * U_memory.

Rows: dense BF16 models on the text tasks (lm-arena-chat, gpqa, sourcegraph-fim) of
/work/shared/data/energy/mlenergy_v3/llm_runs.csv (Chung et al., NeurIPS D&B 2025,
Apache-2.0); vision tasks are left out (their encoder work is not counted).

Also prints the Splitwise power-capped H100 evidence (perf_model.csv, Patel et al. ISCA
2024): median prompt_time and token_time ratios h100-80gb-pcap / h100-80gb.

    python3 analysis/fit_power.py [--data DIR] [--check]   (--check: exit 1 when a fitted
    weight differs from the card's by more than 0.01, or the fit's mean error exceeds 20%)
"""
import argparse
import csv
import os
import statistics
import sys
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# GPU -> (card, peak dense BF16 FLOP/s, peak bytes/s): the cards' datasheet values.
GPUS = {"H100": "h100_sxm", "B200": "b200"}
TASKS = {"lm-arena-chat", "gpqa", "sourcegraph-fim"}


def quantity(text):
    num, unit = text.split()
    scale = {"TFLOP/s": 1e12, "PFLOP/s": 1e15, "GB/s": 1e9, "TB/s": 1e12, "W": 1.0}[unit]
    return float(num) * scale


def card(name):
    with open(os.path.join(ROOT, "models", "devices", name + ".toml"), "rb") as f:
        c = tomllib.load(f)
    return {"peak": quantity(c["peak_flops"]), "bw": quantity(c["memory_bandwidth"]),
            "idle": quantity(c["idle_power"]), "busy": quantity(c["busy_power"]),
            "a": c.get("power_compute_weight"), "b": c.get("power_memory_weight")}


def rows(path, gpu, c):
    out = []
    with open(path) as f:
        for r in csv.DictReader(f):
            if r["gpu_model"] != gpu or r["architecture"] != "Dense Transformer" or \
                    r["weight_precision"] != "bfloat16" or r["task"] not in TASKS:
                continue
            n = int(r["num_gpus"])
            t = float(r["median_itl_ms"]) / 1e3
            batch = float(r["avg_batch_size"])
            active = float(r["activated_params_billions"]) * 1e9
            total = float(r["total_params_billions"]) * 1e9
            uc = 2 * active * batch / (c["peak"] * n * t)
            um = 2 * total / (c["bw"] * n * t)
            out.append({"model": r["model_id"], "task": r["task"], "gpus": n, "batch": batch,
                        "itl_ms": t * 1e3, "uc": uc, "um": um, "p": float(r["avg_power_watts"]) / n})
    return out


def fit(pts, c):
    """Least squares of y = a*uc + b*um, y = (P - idle)/(busy - idle) (normal equations)."""
    span = c["busy"] - c["idle"]
    sxx = sum(p["uc"] ** 2 for p in pts)
    syy = sum(p["um"] ** 2 for p in pts)
    sxy = sum(p["uc"] * p["um"] for p in pts)
    sxt = sum(p["uc"] * (p["p"] - c["idle"]) / span for p in pts)
    syt = sum(p["um"] * (p["p"] - c["idle"]) / span for p in pts)
    det = sxx * syy - sxy * sxy
    return (sxt * syy - syt * sxy) / det, (syt * sxx - sxt * sxy) / det


def model(p, c, a, b):
    return c["idle"] + (c["busy"] - c["idle"]) * min(1.0, a * p["uc"] + b * p["um"])


def splitwise(path):
    base, cap = {}, {}
    with open(path) as f:
        for r in csv.DictReader(f):
            key = (r["model"], r["tensor_parallel"], r["prompt_size"], r["batch_size"], r["token_size"])
            if r["hardware"] == "h100-80gb":
                base.setdefault(key, []).append(r)
            elif r["hardware"] == "h100-80gb-pcap":
                cap.setdefault(key, []).append(r)
    pr, tr = [], []
    for k in base.keys() & cap.keys():
        med = lambda rs, col: statistics.median(float(x[col]) for x in rs)
        pr.append(med(cap[k], "prompt_time") / med(base[k], "prompt_time"))
        tr.append(med(cap[k], "token_time") / med(base[k], "token_time"))
    return len(pr), statistics.median(pr), min(pr), max(pr), statistics.median(tr), min(tr), max(tr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    runs = os.path.join(args.data, "energy", "mlenergy_v3", "llm_runs.csv")
    if not os.path.exists(runs):
        print(f"skip: {runs} not found")
        return 0
    ok = True
    print("| GPU | card | runs | P_idle [W] | P_max [W] | a (fit) | b (fit) | card a | card b | mean abs err | worst |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    tables = []
    for gpu, name in GPUS.items():
        c = card(name)
        pts = rows(runs, gpu, c)
        a, b = fit(pts, c)
        errs = [abs(model(p, c, a, b) - p["p"]) / p["p"] for p in pts]
        mae, worst = statistics.mean(errs), max(errs)
        print(f"| {gpu} | {name} | {len(pts)} | {c['idle']:.0f} | {c['busy']:.0f} | {a:.2f} | {b:.2f} | "
              f"{c['a']} | {c['b']} | {100 * mae:.1f}% | {100 * worst:.1f}% |")
        if c["a"] is None or abs(c["a"] - a) > 0.01 or abs(c["b"] - b) > 0.01 or mae > 0.20:
            ok = False
        tables.append((gpu, c, a, b, [p for p in pts if p["model"] == "meta-llama/Llama-3.1-70B-Instruct"
                                      and p["task"] == "lm-arena-chat"]))
    for gpu, c, a, b, pts in tables:
        print(f"\nLlama-3.1-70B-Instruct, lm-arena-chat, {gpu}: measured vs model, W per GPU")
        print("| GPUs | batch | ITL [ms] | U_compute | U_memory | measured | model | error |")
        print("|---|---|---|---|---|---|---|---|")
        for p in sorted(pts, key=lambda p: p["batch"]):
            m = model(p, c, a, b)
            print(f"| {p['gpus']} | {p['batch']:.0f} | {p['itl_ms']:.1f} | {p['uc']:.3f} | {p['um']:.3f} | "
                  f"{p['p']:.0f} | {m:.0f} | {100 * (m - p['p']) / p['p']:+.1f}% |")
    sw = os.path.join(args.data, "profiles", "splitwise", "perf_model.csv")
    if os.path.exists(sw):
        n, pm, plo, phi, tm, tlo, thi = splitwise(sw)
        print(f"\nSplitwise h100-80gb-pcap / h100-80gb over {n} matched points: prompt_time x{pm:.3f} "
              f"(range {plo:.3f}-{phi:.3f}), token_time x{tm:.3f} (range {tlo:.3f}-{thi:.3f})")
    if args.check and not ok:
        print("check failed: card weights differ from the fit (or the fit is poor)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
