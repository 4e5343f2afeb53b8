#!/usr/bin/env python3
"""Fit of the vLLM 0.11 serving-stack terms of the GPU cards (h100_sxm, b200) to ML.ENERGY v3.

Data: /work/shared/data/energy/mlenergy_v3/llm_runs.csv (Chung et al., "The ML.ENERGY
Benchmark", NeurIPS D&B 2025, Apache-2.0): vLLM 0.11 serving runs, one row per (model, GPU,
GPUs, max_num_seqs) with the measured average batch, median inter-token latency (ITL) and
average power of all GPUs. Rows used: the dense BF16 models that have a card in models/llms
(Llama-3.1-8B/70B, Llama-3.3-70B on the 70B card, Qwen3-8B/14B/32B), the tasks of FIT_TASKS:
lm-arena-chat and GPQA (Qwen3 only, ~7,000-token outputs) on both GPUs, less the *stalled*
runs (stalled(), below): a run whose median ITL exceeds, by more than STALL_TOLERANCE, the
time of a run on the same GPUs that does at least as much of every kind of work per step
(weights, sequences, KV bytes, FLOPs, layers; scaled by c >= 1) cannot be limited by the
GPU, so something the roofline does not model (the host) set its ITL. The criterion uses
only the measured rows and the models' sizes, not the latency model or its fit, and is
applied before any fit, to both GPUs, and before the leave-one-group-out
splits, so the stalled rows are neither fitted nor judged (they are printed).

The fit is done in the simulator's own terms. Each row is the steady state of the closed
loop that tools/validate_serving.py runs through the CLI: N users (N = avg_batch_size),
250-token prompts (an assumption: the CSV has no prompt length) and outputs of the row's
avg_output_len tokens. In that state an iteration decodes n = min(N, KV capacity / (250 +
out/2)) sequences (running(): the users the KV cache cannot hold wait, as with the CLI's paged
admission) at mean context 250 + out/2 and prefills ⌊n/out⌋ or ⌈n/out⌉ whole new prompts (the
TPOT is the mean iteration time, the power the time-weighted mean over the iterations),
and the iteration time is sim/hardware/roofline.cpp's iteration_time:

    t = core(F / (peak·η_c·k), W / (BW·η_m·k) + KV / (BW·η_a·k)) + step_overhead
        + sequence_overhead·(N + prompts)
        + L·(layer_overhead + [k>1]·tp_layer_overhead + [tokens>512]·eager_layer_overhead)

with F the step's FLOPs, W the weight bytes, KV the KV-cache bytes, L layers, k GPUs and
core = compute + memory (`overlap = "sum"`). This file re-implements that formula to fit
it; tools/validate_serving.py checks the C++ against the same data through the CLI, so
the two cannot drift apart unnoticed. The latency terms minimise a soft-L1 loss of
log(predicted / measured ITL) (scipy.optimize.least_squares); the power terms
(power_compute_weight a, power_memory_weight b, power_static_activity c, power_tp_exponent
δ, power_compute_exponent γ, power_kv_weight b_kv of sim/hardware/device_spec.cpp's activity
min(1, (c + a·U_c^γ + b·U_m + b_kv·U_kv) / k^δ)) then minimise the relative power error (the
goal rows weighted GOAL_WEIGHT), with the utilisations U_c = F / (peak·k·t), U_m = bytes /
(BW·k·t), U_kv = KV bytes / (BW·k·t) of the *simulated* step t, not of the measured ITL.
idle_power and busy_power stay the cards' values.

    python3 analysis/fit_serving.py [--data FILE] [--check] [--logo] [--check-logo]
      --check: exit 1 when a card's value differs from the refit by more than 2 %
               (relative) or the H100 fit's ITL or power error leaves 10 % for
               Llama-3.1-8B (1 GPU) or Llama-3.1-70B (4 GPUs)
      --logo:  leave-one-group-out table (docs/CALIBRATION.md): refit without a whole
               group (a model with all its tasks, a TP degree, a batch range, a GPU, a
               workload: the GPQA task's ~7,000-token outputs) and report the error on
               that group only
      --check-logo: --logo, and exit 1 unless the H100 pooled group-held-out ITL and
               power errors and the ITL error of the GPQA rows of left-out models have
               median <= 10 % and p90 <= 20 %, and the B200 pooled group-held-out ITL
               error has median <= 10 % (its p90 misses 20 % and is reported only;
               CTest serving_logo)
"""
import argparse
import csv
import math
import os
import statistics
import sys
import tomllib

import numpy as np
from scipy.optimize import least_squares

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DATA = os.path.join(ROOT, "..", "shared", "data", "energy", "mlenergy_v3", "llm_runs.csv")
GPUS = {"H100": "h100_sxm", "B200": "b200"}
MODELS = {
    "meta-llama/Llama-3.1-8B-Instruct": "llama-3.1-8b",
    "meta-llama/Llama-3.1-70B-Instruct": "llama-3.1-70b",
    "meta-llama/Llama-3.3-70B-Instruct": "llama-3.1-70b",  # same architecture
    "Qwen/Qwen3-8B": "qwen3-8b",
    "Qwen/Qwen3-14B": "qwen3-14b",
    "Qwen/Qwen3-32B": "qwen3-32b",
}
PROMPT = 250.0          # tokens (assumption, as tools/validate_serving.py)
KV_MEMORY_UTILIZATION = 0.9  # share of GPU memory for weights + KV (vLLM's gpu_memory_utilization default; DeploymentSpec)
GRAPH_TOKENS = 512      # vLLM 0.11's largest CUDA-graph capture size (cuda_graph_max_tokens)
# Latency terms, in card units: (key, unit scale to SI, start, lower, upper).
LAT = [("compute_efficiency", 1, 0.5, 0.05, 1.0), ("memory_efficiency", 1, 0.8, 0.1, 1.0),
       ("attention_memory_efficiency", 1, 0.5, 0.05, 1.0), ("step_overhead", 1e-3, 1.0, 0, 20),
       ("layer_overhead", 1e-3, 0.03, 0, 1), ("tp_layer_overhead", 1e-3, 0.02, 0, 1),
       ("eager_layer_overhead", 1e-3, 0.01, 0, 1), ("sequence_overhead", 1e-6, 5.0, 0, 200)]
# Tasks each GPU's card is fitted on. The GPQA runs' ~4,000-token mean decode context (chat:
# ~560) is what separates the per-context-token KV cost (attention_memory_efficiency) from the
# per-sequence cost (sequence_overhead); from chat alone the two cannot be told apart.
FIT_TASKS = {"H100": ("lm-arena-chat", "gpqa"), "B200": ("lm-arena-chat", "gpqa")}
PRIOR = 0.02            # weight of the overhead terms' pull toward 0 (fit(), below)
# Latency terms a GPU's card takes from another GPU's card instead of fitting them: {GPU: (card,
# keys)}. The B200 takes the per-step and per-layer launch overheads (step_overhead,
# layer_overhead, tp_layer_overhead, eager_layer_overhead) from h100_sxm: they are the time
# the same software stack (vLLM 0.11, CUDA graphs up to 512 tokens, the same ML.ENERGY
# configuration files on both GPUs) spends launching and synchronising a step's kernels,
# which the B200's faster arithmetic and memory do not shorten, and the B200's kept rows
# cannot identify them: with small batches left out, the free fit put 5.3 ms into
# step_overhead (1.2 ms in the full fit) and over-predicted the left-out batches by 26-66 %;
# with every B200 model but Llama-70B left out (TP 1), one model cannot separate a per-step
# from a per-layer cost. The per-sequence term and the three efficiencies stay fitted per GPU.
# The H100 card's values come from the H100 rows only (--check holds the card to its refit),
# so no B200 row enters them; a whole GPU left out (logo()) fits every term freely.
SHARED = {"B200": ("h100_sxm", ("step_overhead", "layer_overhead", "tp_layer_overhead", "eager_layer_overhead"))}


def fixed_terms(gpu):
    """{latency key: card-unit value} held out of `gpu`'s fit (SHARED): the other card's values."""
    if gpu not in SHARED:
        return {}
    card, keys = SHARED[gpu]
    si = dict(zip((p[0] for p in LAT), card_values(load_toml("devices", card))[0]))
    return {key: si[key] / unit for key, unit, *_r in LAT if key in keys}


# Stalled runs (stalled()): a run counts as stalled only 10 % above its bound, a margin for
# the noise of measured medians (no H100 run is flagged).
STALL_TOLERANCE = 0.10
POW = [("power_compute_weight", 1.0, 0, 10), ("power_memory_weight", 0.0, 0, 10),
       ("power_static_activity", 0.5, -1, 1), ("power_tp_exponent", 0.0, 0, 1),
       ("power_compute_exponent", 1.0, 0.2, 2), ("power_kv_weight", 0.0, 0, 10)]
# The rows of issue 25's every-batch goal (Llama-3.1-8B on 1xH100, Llama-3.1-70B on 4xH100; --check and
# CTest serving_validation hold them within 10 %) count GOAL_WEIGHT times in the power fit, so that
# the KV-traffic term (power_kv_weight), which the GPQA runs' long contexts identify, is not bought
# with the goal rows' accuracy: unweighted, the fit puts Llama-3.1-8B at -11.6 % at batch 128.
GOAL_WEIGHT = 2.0
# Power terms held out of a GPU's fit: the B200's power_kv_weight stays 0. Its long-context rows
# that are not stalled are 6 GPQA runs at 36-49 ms, about as flat in batch as the 9 stalled ones
# (31-44 ms; docs/CALIBRATION.md), too few and too host-affected to identify a KV-traffic term.
POW_FIXED = {"B200": {"power_kv_weight": 0.0}}
GOAL_MODELS = ("meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-70B-Instruct")


def quantity(text):
    if isinstance(text, (int, float)):
        return float(text)
    num, unit = text.split()
    scale = {"TFLOP/s": 1e12, "PFLOP/s": 1e15, "GB/s": 1e9, "TB/s": 1e12, "GB": 1e9, "W": 1.0, "ms": 1e-3,
             "us": 1e-6, "s": 1.0}[unit]
    return float(num) * scale


def load_toml(kind, name):
    with open(os.path.join(ROOT, "models", kind, name + ".toml"), "rb") as f:
        return tomllib.load(f)


def device(name):
    c = load_toml("devices", name)
    return {"peak": quantity(c["peak_flops"]), "bw": quantity(c["memory_bandwidth"]),
            "idle": quantity(c["idle_power"]), "busy": quantity(c["busy_power"]), "mem": quantity(c["memory"]), "card": c}


def model(name):
    c = load_toml("llms", name)
    return {"P": float(c["params"]), "L": c["layers"], "H": c["heads"], "kvh": c["kv_heads"], "hd": c["head_dim"],
            "bpp": float(c.get("bytes_per_param", 2)), "kvb": float(c.get("kv_bytes_per_element", 2))}


def read_rows(path, task="lm-arena-chat"):
    """Rows of one task for the models of MODELS on the GPUs of GPUS."""
    out = []
    with open(path) as f:
        for r in csv.DictReader(f):
            if r["model_id"] not in MODELS or r["task"] != task or r["gpu_model"] not in GPUS:
                continue
            k = int(r["num_gpus"])
            out.append({"model": r["model_id"], "card": MODELS[r["model_id"]], "gpu": r["gpu_model"], "k": k,
                        "max_num_seqs": int(r["max_num_seqs"]), "batch": float(r["avg_batch_size"]),
                        "itl": float(r["median_itl_ms"]) / 1e3, "power": float(r["avg_power_watts"]) / k,
                        "out": float(r["avg_output_len"]), "task": task})
    return out


def running(row, dev, m):
    """Sequences decoding in each iteration of `row`'s closed loop [sequences]: the N users, or
    as many as the KV cache holds when it cannot hold them all. As the CLI's paged admission
    (sim/hardware/batching_replica, deployment_server.cpp kv_capacity()): KV capacity =
    KV_MEMORY_UTILIZATION · memory · GPUs − weight bytes, each running sequence holding its
    context, PROMPT + out/2 tokens on average; the users beyond that wait in the queue. Of the
    fitted rows this caps Llama-3.1/3.3-70B on 2×B200 at batch 1,407 and 2,042 (to ~1,310),
    Qwen3-14B on one B200 at 2,045 (~1,450) and Qwen3-32B GPQA on one B200 at 111 (~98); no
    H100 row (ML.ENERGY's largest H100 batches sit just under this capacity)."""
    kv_tok = 2.0 * m["L"] * m["kvh"] * m["hd"] * m["kvb"]
    cap = (KV_MEMORY_UTILIZATION * dev["mem"] * row["k"] - m["P"] * m["bpp"]) / (kv_tok * (PROMPT + row["out"] / 2.0))
    return min(row["batch"], cap)


def step_mix(row, dev, m):
    """[(weight, new prompts)] of the closed loop's iterations: n/out new prompts per
    iteration on average, n = running(), as whole prompts (⌊r⌋ or ⌈r⌉ per iteration, r = n/out)."""
    r = running(row, dev, m) / row["out"]
    lo = math.floor(r)
    return [(1.0 - (r - lo), lo), (r - lo, lo + 1)]


def step_work(row, m):
    """Work of one step of `row`'s closed loop on model `m` (model()), in the quantities the step
    time grows with: (weight bytes, sequences decoded, KV-cache bytes read, FLOPs, layers) =
    (P·bytes/param, N, kv/token·N·(prompt + out/2), 2·P·(N + N/out·prompt) + attention FLOPs,
    L). Per GPU count and GPU, a step doing more of each takes no less GPU time."""
    n = row["batch"]
    ctx = PROMPT + row["out"] / 2.0
    pre = n / row["out"] * PROMPT
    kv_tok = 2.0 * m["L"] * m["kvh"] * m["hd"] * m["kvb"]
    attn = 4.0 * m["L"] * m["H"] * m["hd"]
    return (m["P"] * m["bpp"], n, kv_tok * n * ctx, 2.0 * m["P"] * (n + pre) + attn * n * ctx, float(m["L"]))


def stalled(rows, models, tol=STALL_TOLERANCE):
    """[(row, witness, c)] of the rows whose median ITL no GPU-bound step explains.

    A step's GPU time t(w) grows with each component of its work w = step_work(row, model)
    and is star-shaped (t(c·w) <= c·t(w) for c >= 1: a fixed part plus parts linear in w, as
    the roofline, or any step no slower than c steps of 1/c its size). So if a witness B on
    the same GPU type and GPU count (any model: a larger model does more of every kind of
    work) has w_A <= c·w_B componentwise, c = max(1, max_i w_A,i / w_B,i), a GPU-bound A
    takes at most c·ITL_B; a measured ITL_A above (1 + tol)·c·ITL_B was set by something
    else (the host: scheduling, sampling, detokenisation, the API servers). Uses only
    measured rows and the models' sizes, not the latency model, so it is applied before
    fitting. The witness returned is the one with the lowest bound c·ITL_B."""
    work = [step_work(r, models[r["card"]]) for r in rows]
    out = []
    for a, wa in zip(rows, work):
        best = None
        for b, wb in zip(rows, work):
            if b is a or (b["gpu"], b["k"]) != (a["gpu"], a["k"]):
                continue
            c = max(1.0, max(x / y for x, y in zip(wa, wb)))
            if a["itl"] > (1.0 + tol) * c * b["itl"] and (best is None or c * b["itl"] < best[2] * best[1]["itl"]):
                best = (a, b, c)
        if best:
            out.append(best)
    return out


def one_step(row, lat, dev, m, prompts):
    """(t [s], FLOPs, bytes) of an iteration decoding N sequences and prefilling `prompts`
    whole prompts: sim/hardware/roofline.cpp's iteration_time with `overlap = "sum"`."""
    ec, em, ea, fixed, lo, tp, eager, seq = lat
    n, k, out = running(row, dev, m), row["k"], row["out"]
    ctx = PROMPT + out / 2.0
    pre_tokens = prompts * PROMPT
    tokens = n + pre_tokens
    attn = 4.0 * m["L"] * m["H"] * m["hd"]
    kv_tok = 2.0 * m["L"] * m["kvh"] * m["hd"] * m["kvb"]
    flops = 2.0 * m["P"] * tokens + attn * (n * ctx + pre_tokens * PROMPT / 2.0)
    weights = m["P"] * m["bpp"]
    kv = kv_tok * (n * ctx + pre_tokens)
    compute = flops / (dev["peak"] * ec * k)
    memory = weights / (dev["bw"] * em * k) + kv / (dev["bw"] * ea * k)
    per_layer = lo + (tp if k > 1 else 0.0) + (eager if tokens > GRAPH_TOKENS else 0.0)
    t = compute + memory + fixed + m["L"] * per_layer + (n + prompts) * seq
    return t, flops, weights + kv, kv


def step(row, lat, dev, m):
    """Mean iteration time [s] of `row`'s closed loop (= the simulated TPOT)."""
    return sum(w * one_step(row, lat, dev, m, p)[0] for w, p in step_mix(row, dev, m))


def activity(pw, uc, um, uk, k):
    a, b, c, d, g, bkv = pw
    return min(1.0, max(0.0, (c + a * uc ** g + b * um + bkv * uk) / k ** d))


def power(row, lat, pw, dev, m):
    """Time-averaged W per GPU over the closed loop's iterations."""
    energy = time = 0.0
    for w, p in step_mix(row, dev, m):
        t, flops, nbytes, kv = one_step(row, lat, dev, m, p)
        uc = flops / (dev["peak"] * row["k"] * t)
        um = nbytes / (dev["bw"] * row["k"] * t)
        uk = kv / (dev["bw"] * row["k"] * t)
        energy += w * t * (dev["idle"] + activity(pw, uc, um, uk, row["k"]) * (dev["busy"] - dev["idle"]))
        time += w * t
    return energy / time


def to_si(x):
    return [v * s for v, (_, s, *_r) in zip(x, LAT)]


def fit(rows, dev, models, fixed=None, pfixed=None):
    """(latency terms in SI units, power terms) fitted to `rows`; `fixed` {key: card-unit
    value} holds latency terms out of the fit, `pfixed` {key: value} power terms."""
    fixed = fixed or {}
    pfixed = pfixed or {}
    free = [i for i, p in enumerate(LAT) if p[0] not in fixed]
    x0 = [LAT[i][2] for i in free]
    lo = [LAT[i][3] for i in free]
    hi = [LAT[i][4] for i in free]

    def full(x):
        v = [fixed.get(p[0], 0.0) for p in LAT]
        for i, xi in zip(free, x):
            v[i] = xi
        return to_si(v)

    # A weak prior pulls each overhead term toward 0 (PRIOR per unit of the term's range), so
    # that a term the rows do not identify stays small instead of drifting: e.g. with no
    # batch above 256 in the rows, eager_layer_overhead only acts on the rare steps that
    # prefill a prompt beside 256+ decodes, and would otherwise take any value.
    prior = [j for j, i in enumerate(free) if LAT[i][0].endswith("overhead")]

    def res(x):
        lat = full(x)
        return [math.log(step(r, lat, dev, models[r["card"]]) / r["itl"]) for r in rows] + \
            [PRIOR * x[j] / hi[j] for j in prior]
    # The loss is not convex (eager_layer_overhead, for one, only acts on steps > 512 tokens):
    # start from the defaults and from each bound's midpoint, keep the lowest cost.
    starts = [x0, [(l + h) / 2 for l, h in zip(lo, hi)], [l + (h - l) / 10 for l, h in zip(lo, hi)]]
    best = min((least_squares(res, x, bounds=(lo, hi), loss="soft_l1", f_scale=0.05) for x in starts),
               key=lambda r: r.cost)
    lat = full(best.x)

    pfree = [i for i, p in enumerate(POW) if p[0] not in pfixed]

    def pfull(x):
        v = [pfixed.get(p[0], 0.0) for p in POW]
        for i, xi in zip(pfree, x):
            v[i] = xi
        return v

    def pres(x):
        p = pfull(x)
        return [(GOAL_WEIGHT if goal_row(r) else 1.0) * (power(r, lat, p, dev, models[r["card"]]) / r["power"] - 1)
                for r in rows]
    pw = least_squares(pres, [POW[i][1] for i in pfree],
                       bounds=([POW[i][2] for i in pfree], [POW[i][3] for i in pfree])).x
    return lat, pfull(pw)


def goal_row(r):
    """True for the rows of issue 25's every-batch goal (GOAL_MODELS on the H100)."""
    return r["gpu"] == "H100" and r["model"] in GOAL_MODELS


def errors(rows, lat, pw, dev, models):
    out = []
    for r in rows:
        m = models[r["card"]]
        out.append((step(r, lat, dev, m) / r["itl"] - 1, power(r, lat, pw, dev, m) / r["power"] - 1))
    return out


def card_values(c):
    lat = [quantity(c.get(key, 0)) if unit != 1 else float(c.get(key, 0)) for (key, unit, *_r) in LAT]
    pw = [float(c[key]) for (key, *_r) in POW]  # the fitted cards set every power key
    return lat, pw


def pct(v):
    return f"{100 * v:+.1f}%"


def stats(v):
    a = sorted(abs(x) for x in v)
    return statistics.median(a), float(np.percentile(a, 90)), a[-1]


def groups(rows):
    """(name, predicate) of the groups left out one at a time."""
    g = []
    for mdl in sorted({r["card"] for r in rows}):
        g.append((f"model {mdl}", lambda r, mdl=mdl: r["card"] == mdl))
    for k in sorted({r["k"] for r in rows}):
        g.append((f"TP {k}", lambda r, k=k: r["k"] == k))
    for lo, hi in [(0, 33), (33, 257), (257, 1e9)]:
        g.append((f"batch {lo}-{int(hi) - 1 if hi < 1e9 else 'max'}", lambda r, lo=lo, hi=hi: lo <= r["batch"] < hi))
    return g


def logo(rows_by_gpu, devs, models, held_tasks=None):
    print("\n## Leave-one-group-out (decode ITL and power; the fit never sees the group)\n")
    print("| GPU | group left out | rows | ITL median | ITL p90 | ITL worst | power median | power p90 |")
    print("|---|---|---|---|---|---|---|---|")
    pooled = {}
    gpqa_in_model_groups = {}
    for gpu, rows in rows_by_gpu.items():
        all_itl, all_pow = pooled.setdefault(gpu, ([], []))
        for name, pred in groups(rows):
            test = [r for r in rows if pred(r)]
            train = [r for r in rows if not pred(r)]
            if not test or len(train) < 2 * len(LAT):
                continue
            lat, pw = fit(train, devs[gpu], models, fixed_terms(gpu), POW_FIXED.get(gpu))
            e = errors(test, lat, pw, devs[gpu], models)
            it, po = stats([x[0] for x in e]), stats([x[1] for x in e])
            all_itl += [x[0] for x in e]
            all_pow += [x[1] for x in e]
            if name.startswith("model "):
                gpqa_in_model_groups.setdefault(gpu, []).extend(x for r, x in zip(test, e) if r["task"] == "gpqa")
            print(f"| {gpu} | {name} | {len(test)} | {it[0]:.1%} | {it[1]:.1%} | {it[2]:.1%} | {po[0]:.1%} | {po[1]:.1%} |")
    # A whole GPU left out: fit on one GPU's rows, predict the other's with its datasheet peaks.
    for gpu in rows_by_gpu:
        other = [g for g in rows_by_gpu if g != gpu]
        train = [r for g in other for r in rows_by_gpu[g]]
        lat, pw = fit(train, devs[other[0]], models, None, POW_FIXED.get(other[0]))  # no term from the judged GPU
        e = errors(rows_by_gpu[gpu], lat, pw, devs[gpu], models)
        it, po = stats([x[0] for x in e]), stats([x[1] for x in e])
        print(f"| {gpu} | GPU {gpu} (fit on {other[0]}) | {len(e)} | {it[0]:.1%} | {it[1]:.1%} | {it[2]:.1%} | {po[0]:.1%} | {po[1]:.1%} |")
    # A whole workload left out: the fit on every lm-arena-chat row of the GPU judged on
    # another task's runs (GPQA: ~7,000-token reasoning outputs, so a mean context ~8x longer
    # than in the fit: the context terms extrapolated from one context length).
    for task, trows in (held_tasks or {}).items():
        for gpu, rows in rows_by_gpu.items():
            test = [r for r in trows if r["gpu"] == gpu]
            train = [r for r in rows if r["task"] != task]
            if not test:
                continue
            lat, pw = fit(train, devs[gpu], models, fixed_terms(gpu), POW_FIXED.get(gpu))
            e = errors(test, lat, pw, devs[gpu], models)
            it, po = stats([x[0] for x in e]), stats([x[1] for x in e])
            print(f"| {gpu} | task {task}, all left out (chat-only fit) | {len(e)} | {it[0]:.1%} | {it[1]:.1%} | {it[2]:.1%} | "
                  f"{po[0]:.1%} | {po[1]:.1%} |")
    # The GPQA rows judged inside the model groups: long-context rows of a model the fit never
    # saw, with the context terms identified by the other models' GPQA rows.
    for gpu, e in gpqa_in_model_groups.items():
        if e:
            it, po = stats([x[0] for x in e]), stats([x[1] for x in e])
            print(f"| {gpu} | its GPQA rows, with their model left out | {len(e)} | {it[0]:.1%} | {it[1]:.1%} | "
                  f"{it[2]:.1%} | {po[0]:.1%} | {po[1]:.1%} |")
    for gpu, (all_itl, all_pow) in pooled.items():
        it, po = stats(all_itl), stats(all_pow)
        print(f"| {gpu} | every model/TP/batch group, pooled | {len(all_itl)} | {it[0]:.1%} | {it[1]:.1%} | "
              f"{it[2]:.1%} | {po[0]:.1%} | {po[1]:.1%} |")
    return pooled, gpqa_in_model_groups


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=DATA)
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--logo", action="store_true")
    ap.add_argument("--check-logo", action="store_true",
                    help="with --logo: exit 1 unless the H100's pooled group-held-out ITL and power errors, and "
                         "the ITL error of its GPQA rows with their model left out, have median <= 10 %% and "
                         "p90 <= 20 %%, and the B200's pooled group-held-out ITL error has median <= 10 %% (issue 25's goal; "
                         "the B200's p90 misses 20 %% and is reported only)")
    a = ap.parse_args()
    tasks = {t: read_rows(a.data, t) for t in ("lm-arena-chat", "gpqa")}
    if not tasks["lm-arena-chat"]:
        sys.exit(f"{a.data}: no usable rows")
    models = {c: model(c) for c in set(MODELS.values())}
    devs = {g: device(c) for g, c in GPUS.items()}
    candidates = {g: [r for t in FIT_TASKS[g] for r in tasks[t] if r["gpu"] == g] for g in GPUS}
    print("## Stalled runs: excluded before fitting (neither fitted nor judged)\n")
    print("| GPU | model | task | GPUs | batch | ITL [ms] | GPU-bound at most [ms] | witness: model, task, batch, ITL [ms], c |")
    print("|---|---|---|---|---|---|---|---|")
    rows_by_gpu = {}
    for g, grows in candidates.items():
        bad = stalled(grows, models)
        for r, w, c in bad:
            print(f"| {g} | {r['model'].split('/')[1]} | {r['task']} | {r['k']} | {r['batch']:.0f} | {r['itl'] * 1e3:.1f} | "
                  f"{c * w['itl'] * 1e3:.1f} | {w['model'].split('/')[1]}, {w['task']}, {w['batch']:.0f}, {w['itl'] * 1e3:.1f}, "
                  f"{c:.2f} |")
        drop = {id(r) for r, _w, _c in bad}
        rows_by_gpu[g] = [r for r in grows if id(r) not in drop]
    print(f"\n(a run is stalled when its median ITL exceeds {1 + STALL_TOLERANCE:.2f} x c x the ITL of a run on the same "
          f"GPUs whose step work (weights, sequences, KV bytes, FLOPs, layers), scaled by c >= 1, covers its own; kept: "
          + ", ".join(f"{g} {len(rows_by_gpu[g])} of {len(candidates[g])}" for g in GPUS) + ")\n")
    ok = True
    for gpu, grows in rows_by_gpu.items():
        dev = devs[gpu]
        lat, pw = fit(grows, dev, models, fixed_terms(gpu), POW_FIXED.get(gpu))
        print(f"## {gpu} ({GPUS[gpu]}), {len(grows)} rows ({' + '.join(FIT_TASKS[gpu])}): fitted")
        for (key, unit, *_r), v in zip(LAT, lat):
            print(f"{key} = {v / unit:.4g}" + {1: "", 1e-3: " ms", 1e-6: " us"}[unit])
        for (key, *_r), v in zip(POW, pw):
            print(f"{key} = {v:.4g}")
        clat, cpw = card_values(dev["card"])
        e = errors(grows, clat, cpw, dev, models)
        print("\n| model | task | GPUs | batch | ITL [ms] | card ITL error | power/GPU [W] | card power error |")
        print("|---|---|---|---|---|---|---|---|")
        for r, (ei, ep) in zip(grows, e):
            print(f"| {r['model'].split('/')[1]} | {r['task']} | {r['k']} | {r['batch']:.0f} | {r['itl'] * 1e3:.1f} | {pct(ei)} | "
                  f"{r['power']:.0f} | {pct(ep)} |")
        it, po = stats([x[0] for x in e]), stats([x[1] for x in e])
        print(f"\ncard {GPUS[gpu]}: ITL |error| median {it[0]:.1%}, p90 {it[1]:.1%}, worst {it[2]:.1%}; "
              f"power median {po[0]:.1%}, p90 {po[1]:.1%}, worst {po[2]:.1%}\n")
        if a.check:
            for (key, *_r), want, got in zip(LAT + POW, lat + pw, clat + cpw):
                if abs(got - want) > 0.02 * max(abs(want), 1e-9) + 1e-9:
                    print(f"CHECK FAILED: {GPUS[gpu]}.{key} = {got:.4g} on the card, refit {want:.4g}")
                    ok = False
            if gpu == "H100":
                for r, (ei, ep) in zip(grows, e):
                    if r["card"] in ("llama-3.1-8b", "llama-3.1-70b") and r["model"].startswith("meta-llama/Llama-3.1") \
                            and not (abs(ei) <= 0.10 and abs(ep) <= 0.10):
                        print(f"CHECK FAILED: {r['model']} batch {r['batch']:.0f}: ITL {pct(ei)}, power {pct(ep)}")
                        ok = False
    if a.logo or a.check_logo:
        kept = [r for g in GPUS for r in rows_by_gpu[g] if r["task"] == "gpqa"]
        pooled, gpqa = logo(rows_by_gpu, devs, models, {"gpqa": kept})
        if a.check_logo:
            judged = [("pooled group-held-out ITL", [x for x in pooled["H100"][0]]),
                      ("pooled group-held-out power", [x for x in pooled["H100"][1]]),
                      ("GPQA rows with their model left out, ITL", [x[0] for x in gpqa.get("H100", [])])]
            for what, errs in judged:
                if not errs:
                    print(f"CHECK FAILED: H100 {what}: no rows")
                    ok = False
                    continue
                it = stats(errs)
                if not (it[0] <= 0.10 and it[1] <= 0.20):
                    print(f"CHECK FAILED: H100 {what} median {it[0]:.1%}, p90 {it[1]:.1%}")
                    ok = False
            b200 = pooled.get("B200", ([], []))[0]
            if not b200 or not stats(b200)[0] <= 0.10:
                print(f"CHECK FAILED: B200 pooled group-held-out ITL median "
                      f"{stats(b200)[0]:.1%}" if b200 else "CHECK FAILED: B200 pooled group-held-out ITL: no rows")
                ok = False
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
