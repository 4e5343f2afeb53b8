#!/usr/bin/python3
"""Regenerates the results table of docs/MECHANISMS.md: every mechanism scenario on the real
trace, over several seeds, with 95% intervals, and for each row what its quality rests on.

usage: mechanism_table.py [--collabsim BIN] [--seeds N] [-j THREADS] [--work DIR]
                          [--only SUBSTR] [-o OUT.md]

Each row is one `collabsim sweep SCENARIO --seeds N [--set ...]` (seeds run.seed + k, k < N:
each seed redraws the request → question join, the confidence/score noise, network jitter
and every other seeded stream); the table prints the mean over seeds and the half-width of
the Student-t 95% interval of the mean (/sweep/aggregate `<m>_ci95_lo/hi`, docs/HDF5.md).
Sweep files are kept in --work (default results/mechanism_table/); each call runs them
afresh (`--restart`), unless --reuse keeps finished ones (sweep's resume: only after no
change to the binary or the scenarios).

Exit status: 0 ok, 2 a sweep failed (its stderr is printed), 1 an internal error.
"""
from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys

import h5py

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# What each row's quality rests on. "data": the MMLU-Pro outcome of the model that answered
# (measured per question); the decision of *which* model answers rests on the named score.
# Latency, energy and cost are always modelled (roofline on the cards, utilisation power
# fit, list prices): docs/CALIBRATION.md and docs/ENERGY.md give their error.
ORACLE = "data; which model answers: noisy-oracle score of assumed AUROC"
ROWS: list[dict] = [
    dict(id="small_only", scenario="edge_cloud_cascade", label="small_only",
         sets=["mechanism.name=small_only"], basis="data (Phi-3-mini's outcomes)"),
    dict(id="large_only", scenario="edge_cloud_cascade", label="large_only",
         sets=["mechanism.name=large_only"], basis="data (Llama-3.1-70B's outcomes)"),
    dict(id="random", scenario="edge_cloud_cascade", label="random (p = 0.5)",
         sets=["mechanism.name=random"], basis="data; coin flip"),
    dict(id="oracle", scenario="edge_cloud_cascade", label="oracle",
         sets=["mechanism.name=oracle"], basis="data; perfect knowledge (upper bound)"),
    dict(id="cascade", scenario="edge_cloud_cascade", label="cascade (AUROC 0.75)",
         sets=[], basis=ORACLE + " 0.75"),
    dict(id="automix", scenario="automix_self_verification",
         label="cascade + self-verify, verdict by agreement",
         sets=[], basis="data; verdict = measured agreement of 4 voters' actual answers"),
    dict(id="agreement", scenario="agreement_cascade", label="cascade, score = agreement (4 votes paid)",
         sets=[], basis="data; score = measured agreement of voters' actual answers"),
    dict(id="frugalgpt", scenario="frugalgpt_three_stage", label="cascade, 3 stages",
         sets=[], basis=ORACLE + " per stage"),
    dict(id="routellm", scenario="routellm_router", label="router", sets=[], basis=ORACLE),
    dict(id="hybridllm", scenario="hybridllm_router", label="router (quality gap)", sets=[],
         basis=ORACLE + " on the quality-gap label"),
    dict(id="phone_api", scenario="phone_api_router", label="router to GPT-4o API", sets=[],
         basis=ORACLE),
    dict(id="learned_router", scenario="learned_router", label="router, learned logistic kernel",
         sets=[], basis="data; score = the project's trained router (held-out questions)"),
    dict(id="learned_cascade", scenario="learned_cascade", label="cascade, learned logistic confidence",
         sets=[], basis="data; score = the project's trained router (held-out questions)"),
    dict(id="bandit", scenario="mixllm_bandit", label="bandit (LinUCB, cost weight 0.2)", sets=[],
         basis="data; online LinUCB on real features and outcomes"),
    dict(id="speculative", scenario="speculative_edge_cloud", label="speculative (adaptive γ)",
         sets=[], basis="data (target's outcome: output distribution unchanged); "
                        "timing assumes acceptance rate α"),
    dict(id="token_routing", scenario="citer_token_routing", label="token_routing",
         sets=[], basis="measured: the project's byte-LM pair's token-routing curve (docs/KERNELS.md); "
                        "assumed: bpb gap closed = chance of the LLM's outcome"),
    dict(id="cogenesis_sketch", scenario="cogenesis_sketch", label="pipeline sketch (CoGenesis)",
         sets=[], basis="assumed: LLM outcome with probability sketch_transfer 0.5"),
    dict(id="compression", scenario="cogenesis_compression", label="pipeline compress 0.3", sets=[],
         basis="assumed: compression loses nothing (LLM outcome, an upper bound)"),
    dict(id="deidentify", scenario="privacy_deidentify", label="pipeline de-identify (placeholders)",
         sets=[], basis="assumed: de-identification loses nothing (LLM outcome)"),
    dict(id="rerank", scenario="lsc4rec_rerank", label="pipeline re-rank", sets=[],
         basis="assumed: re-ranking keeps the LLM outcome"),
    dict(id="minions", scenario="minions_decomposition", label="decomposition", sets=[],
         basis="assumed: recovery 0.97 (MinionS' 97.9%)"),
    dict(id="fusion", scenario="fusion_ensemble", label="fusion (70B, Mixtral, 8B)", sets=[],
         basis="data: majority over the members' actual answers"),
    dict(id="distillation", scenario="distillation_student", label="distillation", sets=[],
         basis="assumed: a stronger table column stands in for the distilled student"),
    dict(id="offline", scenario="offline_fallback_outages", label="offline_fallback (outages)",
         sets=[], basis="data; outage process assumed (MTBF/MTTR)"),
]

METRICS = [  # (/summary metric, header, format)
    ("quality_mean", "quality", "{:.4f}"),
    ("latency_p50_s", "p50 [s]", "{:.2f}"),
    ("latency_p99_s", "p99 [s]", "{:.2f}"),
    ("ttft_p50_s", "TTFT p50 [s]", "{:.3f}"),
    ("cost_per_1k_usd", "USD / 1k req", "{:.3f}"),
    ("energy_per_request_j", "J / req", "{:.0f}"),
    ("large_share", "LLM share", "{:.3f}"),
]


def run_sweep(binary: str, row: dict, seeds: int, jobs: int, work: str, reuse: bool) -> str:
    out = os.path.join(work, f"{row['id']}.h5")
    if not reuse and os.path.exists(out):
        os.remove(out)
    cmd = [binary, "sweep", os.path.join(ROOT, "scenarios", row["scenario"] + ".toml"), "-o", out,
           "--seeds", str(seeds), "-j", str(jobs), "--quiet"] + ([] if reuse else ["--restart"])
    for s in row["sets"]:
        cmd += ["--set", s]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(f"mechanism_table: {' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
        sys.exit(2)
    return out


def cell(agg, metric: str, fmt: str) -> str:
    mean = float(agg[metric + "_mean"][0])
    lo, hi = float(agg[metric + "_ci95_lo"][0]), float(agg[metric + "_ci95_hi"][0])
    if math.isnan(mean):
        return "—"
    text = fmt.format(mean)
    if not math.isnan(lo) and hi - lo > 0:
        half = fmt.format((hi - lo) / 2)  # the half-width at the mean's precision
        if float(half) != 0:  # no "± 0.000": the seeds agree at the shown precision
            text += " ± " + half
    return text


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--collabsim", default=os.path.join(ROOT, "build", "collabsim"))
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("-j", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--work", default=os.path.join(ROOT, "results", "mechanism_table"))
    ap.add_argument("--reuse", action="store_true", help="keep finished sweep files")
    ap.add_argument("--only", default="", help="rows whose id contains this text")
    ap.add_argument("-o", default="-", help="markdown output (default stdout)")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    heads = ["scenario", "mechanism"] + [h for _, h, _ in METRICS] + ["quality rests on"]
    lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    for row in ROWS:
        if a.only and a.only not in row["id"]:
            continue
        path = run_sweep(a.collabsim, row, a.seeds, a.j, a.work, a.reuse)
        with h5py.File(path, "r") as f:
            agg = f["sweep/aggregate"][()]
            n = int(agg["n_seeds"][0])
        if n != a.seeds:
            sys.stderr.write(f"mechanism_table: {row['id']}: {n} of {a.seeds} seeds ok\n")
            return 2
        cells = [row["scenario"], row["label"]] + [cell(agg, m, f) for m, _, f in METRICS] + [row["basis"]]
        lines.append("| " + " | ".join(cells) + " |")
        print(lines[-1], file=sys.stderr)
    text = "\n".join(lines) + "\n"
    if a.o == "-":
        sys.stdout.write(text)
    else:
        tmp = a.o + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, a.o)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SystemExit:
        raise
    except Exception as e:  # noqa: BLE001
        sys.stderr.write(f"mechanism_table: internal error: {e}\n")
        sys.exit(1)
