#!/usr/bin/env python3
"""Closed-loop validation of the serving cards through the CLI against measured serving.

ML.ENERGY v3 (vLLM 0.11; Chung et al., NeurIPS D&B 2025; ../shared/data/energy): for every
(model, GPU, GPUs) group of lm-arena-chat runs whose model has a card in models/llms (see
analysis/fit_serving.py, MODELS) and every measured batch, `collabsim run` simulates one
replica of the default GPU card (h100_sxm / b200, `accelerators` = the run's GPUs) with
continuous batching (max_batch = the run's max_num_seqs, chunked prefill of 8,192 tokens:
vLLM 0.11's max_num_batched_tokens; paged KV admission, 90 % of memory for weights + KV,
as vLLM's gpu_memory_utilization) under a closed loop of N users with no think time,
N = the measured average batch (rounded), their first requests staggered over one
response time (`ramp` = output × measured ITL, so that, as in the measured runs, new
prompts are prefilled in most decode iterations rather than all in the same one),
250-token prompts (an assumption: the CSV has
no prompt lengths) and outputs of the run's average output length (≈ 350 tokens for the
70B runs). It compares the median TPOT of the requests in the steady window (request ids
N..(R−1)·N of R·N, R = --requests-per-user) with the measured median ITL, and the mean power per GPU over that window
(the device timeline's power_w, sampled every 10 ms) with the measured average power.

The Splitwise comparison (vLLM 2023 stack, the h100_sxm_vllm2023 / a100_sxm80_vllm2023
cards) is tests/test_splitwise_calibration.cpp (`--gtest_filter='SplitwiseCalibration*'`).

    python3 analysis/validate_serving.py [--collabsim build/collabsim] [--only h100]
        [--pairs "llama-3.1-70b/H100/4,llama-3.1-8b/H100/1"] [--requests-per-user 4]
        [--task lm-arena-chat|gpqa]
        [--check]   (exit 1 unless ITL and power are within 10 % at every batch of
                     Llama-3.1-70B on 4×H100 and Llama-3.1-8B on 1×H100)

Runs that analysis/fit_serving.py excludes as stalled (host-bound; fit_serving.stalled()) are
simulated and printed with "(stalled)" after the batch, and left out of the summary.

Prints one error table per pair and a summary; run time grows with the batch sizes
(about a second per row on one core).
"""
import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import fit_serving  # noqa: E402  (MODELS, GPUS, read_rows)

SCENARIO = """
[run]
name = "validate_serving"
seed = 1
sample_interval = "10 ms"

[workload]
format = "generated"
origin = "gpu"
limit = {limit}

[workload.arrivals]
process = "closed_loop"
users = {users}
think_time = "0 s"
think_distribution = "deterministic"
ramp = "{ramp} s"

[workload.lengths]
source = "fixed"
prompt_tokens = {prompt}
output_tokens = {output}

[quality]
table = "quality/mmlu_pro/mmlu_pro_30models_matrix.csv"

[devices.gpu]
card = "{card}"
accelerators = {k}
replicas = 1

[devices.spare]             # hosts the unused small deployment, so "gpu" reports its own power
card = "{card}"
accelerators = {k}

[links.lan]                 # only so the unused deployment is reachable; never used
from = "gpu"
to = "spare"
up_bandwidth = "10 Gbit/s"
down_bandwidth = "10 Gbit/s"
latency = "0.1 ms"

[deployments.slm]
model = "{model}"
device = "spare"
scheduler = "fcfs"
quality_column = "Meta-Llama-3_1-8B"

[deployments.llm]
model = "{model}"
device = "gpu"
scheduler = "continuous"
max_batch = {max_batch}
max_prefill_tokens = 8192
kv_admission = "paged"      # vLLM's PagedAttention: KV blocks as sequences grow
quality_column = "Meta-Llama-3_1-8B"  # any column: quality is not compared here

[mechanism]
name = "large_only"
"""
GOAL_PAIRS = {("llama-3.1-70b", "H100", 4), ("llama-3.1-8b", "H100", 1)}


def simulate(exe, card, model, k, users, max_batch, output, prompt, per_user, ramp, tmp):
    limit = per_user * users
    path = os.path.join(tmp, "s.toml")
    with open(path, "w") as f:
        f.write(SCENARIO.format(limit=limit, users=users, prompt=prompt, output=output, card=card, k=k,
                                model=model, max_batch=max_batch, ramp=ramp))
    out = os.path.join(tmp, "r.h5")
    subprocess.run([exe, "run", path, "-o", out, "-q"], check=True, stdout=subprocess.DEVNULL)
    with h5py.File(out, "r") as h:
        req = h["requests"][...]
        lo, hi = users, (per_user - 1) * users
        win = req[(req["request_id"] >= lo) & (req["request_id"] < hi)]
        tpot = float(np.median(win["tpot_s"]))
        t0 = float(np.min(win["arrival_s"] + win["ttft_s"]))
        t1 = float(np.max(win["arrival_s"] + win["latency_s"]))
        tl = h["devices/gpu/timeline"][...]
        sel = (tl["time_s"] >= t0) & (tl["time_s"] <= t1)
        watts = float(np.mean(tl["power_w"][sel])) / k if np.any(sel) else float("nan")
    return tpot, watts


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--collabsim", default=os.path.join(ROOT, "build", "collabsim"))
    ap.add_argument("--data", default=fit_serving.DATA)
    ap.add_argument("--pairs", default="", help="model/GPU/k,... (default: every pair with a card)")
    ap.add_argument("--requests-per-user", type=int, default=4)
    ap.add_argument("--prompt", type=int, default=250)
    ap.add_argument("--task", default="lm-arena-chat", choices=["lm-arena-chat", "gpqa"],
                    help="ML.ENERGY task whose runs are compared (gpqa: Qwen3 reasoning, ~7,000-token outputs)")
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    rows = fit_serving.read_rows(a.data, a.task)
    # Runs that fit_serving.stalled() excludes from the fit (host-bound: slower than a run on the
    # same GPUs with at least as much work of every kind per step): simulated and printed, marked,
    # and kept out of the summary's medians.
    both = fit_serving.read_rows(a.data, "lm-arena-chat") + fit_serving.read_rows(a.data, "gpqa")
    models = {c: fit_serving.model(c) for c in set(fit_serving.MODELS.values())}
    stalled = {(r["model"], r["task"], r["gpu"], r["k"], r["max_num_seqs"])
               for r, _w, _c in fit_serving.stalled(both, models)}
    want = {tuple(p.split("/")) for p in a.pairs.split(",") if p}
    pairs = {}
    for r in rows:
        key = (r["card"], r["gpu"], r["k"])
        if r["model"].startswith("meta-llama/Llama-3.3"):
            continue  # the 70B card's architecture; Llama-3.1-70B is the pair the goal names
        if want and (key[0], key[1], str(key[2])) not in want:
            continue
        pairs.setdefault(key, []).append(r)
    if not pairs:
        sys.exit("no ML.ENERGY rows match --pairs")
    ok = True
    all_itl, all_pow = [], []
    summary = []
    with tempfile.TemporaryDirectory() as tmp:
        for (mdl, gpu, k), prs in sorted(pairs.items()):
            card = fit_serving.GPUS[gpu]
            print(f"\n### {mdl} on {k}×{gpu} (card {card}), {a.task}, closed loop, {a.prompt}-token prompts\n")
            print("| batch (users) | output tokens | measured ITL [ms] | simulated TPOT [ms] | error | "
                  "measured W/GPU | simulated W/GPU | error |")
            print("|---|---|---|---|---|---|---|---|")
            first = len(all_itl)
            for r in sorted(prs, key=lambda r: r["batch"]):
                users = max(1, round(r["batch"]))
                out = max(2, round(r["out"]))
                tpot, watts = simulate(a.collabsim, card, mdl, k, users, r["max_num_seqs"], out, a.prompt,
                                       a.requests_per_user, out * r["itl"], tmp)
                ei, ep = tpot / r["itl"] - 1, watts / r["power"] - 1
                host = (r["model"], r["task"], r["gpu"], r["k"], r["max_num_seqs"]) in stalled
                if not host:
                    all_itl.append(ei)
                    all_pow.append(ep)
                print(f"| {users}{' (stalled)' if host else ''} | {out} | {r['itl'] * 1e3:.1f} | {tpot * 1e3:.1f} | "
                      f"{ei:+.1%} | {r['power']:.0f} | {watts:.0f} | {ep:+.1%} |")
                if (mdl, gpu, k) in GOAL_PAIRS and not (abs(ei) <= 0.10 and abs(ep) <= 0.10):
                    ok = False
                    print(f"GOAL MISSED: {mdl} {k}×{gpu} batch {users}: ITL {ei:+.1%}, power {ep:+.1%}")
            it, po = [abs(x) for x in all_itl[first:]], [abs(x) for x in all_pow[first:]]
            if not it:
                summary.append(f"| {mdl} | {k}×{gpu} | {card} | 0 (all stalled) | – | – | – | – |")
                continue
            summary.append(f"| {mdl} | {k}×{gpu} | {card} | {len(it)} | {statistics.median(it):.1%} | {max(it):.1%} | "
                           f"{statistics.median(po):.1%} | {max(po):.1%} |")
    print("\n| model | GPUs | card | batches | ITL median abs error | ITL worst | power median | power worst |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(summary))
    if not all_itl:
        print("\nall rows stalled: no error summary")
        sys.exit(1 if a.check and not ok else 0)
    med = statistics.median(abs(x) for x in all_itl)
    pmed = statistics.median(abs(x) for x in all_pow)
    print(f"\nall rows: ITL |error| median {med:.1%}, worst {max(abs(x) for x in all_itl):.1%}; "
          f"power |error| median {pmed:.1%}, worst {max(abs(x) for x in all_pow):.1%}")
    if a.check and not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
