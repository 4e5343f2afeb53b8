#!/usr/bin/python3
"""Does a request's length carry signal about its question? The length router
(mechanism `length_router`: prompt longer than `max_small_prompt` → LLM) against the
random mix of the two models, under three ways of sizing requests (docs/QUALITY.md,
"Lengths that carry signal"):

  trace     prompt and output tokens from the trace (the default join: a request's length
            is independent of the question it is joined to)
  question  prompt tokens from the joined question's text (quality.prompt_tokens = "question")
  model     as `question`, and each model's output tokens from its own released response
            to the question (quality.output_tokens = "model", MMLU-Pro <model>|out_chars)

For each mode and seed it runs small_only, large_only and the length router at the
deciles of its feature (taken from the baselines' /requests, the same join): on the
prompt's length (feature = "prompt", routing before generation) and on the SLM's answer
length (feature = "answer": the SLM answers, long answers escalate), and
reports per mode the router's AIQ (RouterBench, Hu et al. 2024, §4: area under the
non-decreasing convex hull of (cost, quality) over the cost range, analysis/metrics.py)
relative to the random mix's (the chord small_only → large_only, whose AIQ is the mean of
the two endpoints' quality over the same range), and the mean signed quality gap of the
router's own points above that chord. Means over seeds with 95 % Student t intervals.

Usage (from the repository root, after building):
    /usr/bin/python3 analysis/length_signal.py [--scenario scenarios/edge_cloud_cascade.toml]
        [--requests 1000] [--seeds 3] [--binary build/collabsim]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import metrics as M  # noqa: E402

MODES = {
    "trace": [],
    "question": ["quality.prompt_tokens=question"],
    "model": ["quality.prompt_tokens=question", "quality.output_tokens=model"],
}


def run(binary: str, scenario: str, out: str, sets: list[str]) -> str:
    args = [binary, "run", scenario, "-o", out, "--quiet"]
    for s in sets:
        args += ["--set", s]
    p = subprocess.run(args, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{' '.join(args)} failed ({p.returncode}):\n{p.stdout}{p.stderr}")
    return out


def point(path: str) -> tuple[float, float, float]:
    """(cost per 1k requests USD, mean quality, large share) of a run's /summary."""
    with h5py.File(path, "r") as f:
        s = f["summary"][0]
        return float(s["cost_per_1k_usd"]), float(s["quality_mean"]), float(s["large_share"])


def chord(c: float, lo: tuple, hi: tuple) -> float:
    """Quality of the random mix at cost c: the chord from small_only to large_only."""
    return lo[1] + (hi[1] - lo[1]) * (c - lo[0]) / (hi[0] - lo[0])


def one(binary: str, scenario: str, tmp: str, mode: str, seed: int, n: int, feature: str) -> dict:
    base = [f"workload.limit={n}", "run.sample_interval=0 s", f"run.seed={seed}", *MODES[mode]]
    tag = f"{mode}-{seed}"
    small_file = run(binary, scenario, f"{tmp}/{tag}-s.h5", base + ["mechanism.name=small_only"])
    small = point(small_file)
    large_file = run(binary, scenario, f"{tmp}/{tag}-l.h5", base + ["mechanism.name=large_only"])
    large = point(large_file)
    with h5py.File(large_file, "r") as f:
        prompts = np.asarray(f["requests"]["prompt_tokens"])
        out_tokens = np.asarray(f["requests"]["output_tokens"])
    with h5py.File(small_file, "r") as f:
        slm_out = np.asarray(f["requests"]["tokens_slm"])
    values = prompts if feature == "prompt" else slm_out
    key = "max_small_prompt" if feature == "prompt" else "max_small_answer"
    limits = sorted({int(np.quantile(values, q)) for q in np.linspace(0.1, 0.9, 9)})
    pts = [small, large]
    for lim in limits:
        pts.append(point(run(binary, scenario, f"{tmp}/{tag}-{feature}{lim}.h5",
                             base + ["mechanism.name=length_router", f"mechanism.length_router.feature={feature}",
                                     f"mechanism.length_router.{key}={lim}"])))
    costs = [p[0] for p in pts]
    quals = [p[1] for p in pts]
    c_lo, c_hi = min(costs), max(costs)
    hull = M.nondecreasing_hull(costs, quals)
    aiq_router = M.aiq(hull, c_lo, c_hi)
    aiq_random = M.aiq(M.nondecreasing_hull([small[0], large[0]], [small[1], large[1]]), c_lo, c_hi)
    gaps = [q - chord(c, small, large) for c, q in zip(costs[2:], quals[2:])]
    corr = float(np.corrcoef(prompts, out_tokens)[0, 1]) if np.std(prompts) > 0 and np.std(out_tokens) > 0 else float("nan")
    return {"aiq_router": aiq_router, "aiq_random": aiq_random, "ratio": aiq_router / aiq_random,
            "gap": float(np.mean(gaps)), "small": small, "large": large, "corr": corr,
            "llm_out_median": float(np.median(out_tokens))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.environ.get("COLLABSIM_BINARY", "build/collabsim"))
    ap.add_argument("--scenario", default="scenarios/edge_cloud_cascade.toml")
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--seeds", type=int, default=3)
    a = ap.parse_args()
    print(f"scenario {a.scenario}, {a.requests} requests, seeds 1..{a.seeds}; "
          "means with 95% Student t intervals over seeds\n")
    print("| lengths | router feature | small_only (cost/1k USD, quality) | large_only (cost/1k USD, quality) | "
          "LLM output tokens p50 | AIQ length router | AIQ random mix | AIQ ratio | mean quality above the random chord |")
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for mode, feature in ((m, f) for m in MODES for f in ("prompt", "answer")):
            rs = [one(a.binary, a.scenario, tmp, mode, s, a.requests, feature) for s in range(1, a.seeds + 1)]

            def ci(key: str, digits: int = 4) -> str:
                m, lo, hi = M.mean_ci95([r[key] for r in rs])
                return f"{m:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"

            sm = np.mean([r["small"] for r in rs], axis=0)
            lg = np.mean([r["large"] for r in rs], axis=0)
            print(f"| {mode} | {feature} | {sm[0]:.3f}, {sm[1]:.3f} | {lg[0]:.3f}, {lg[1]:.3f} | "
                  f"{np.mean([r['llm_out_median'] for r in rs]):.0f} | {ci('aiq_router')} | {ci('aiq_random')} | "
                  f"{ci('ratio')} | {ci('gap')} |")


if __name__ == "__main__":
    main()
