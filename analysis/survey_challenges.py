#!/usr/bin/python3
"""Chapter-5 challenges of the survey measured on a run (docs/SCENARIOS.md, "Chapter 5"):

§5.2.1 output-style consistency (two proxies from the released MMLU-Pro responses,
        <model>|pred and <model>|out_chars of the quality matrix):
  - format compliance: the share of answers whose final letter MMLU-Pro's answer extractor
    could read (a blank |pred: the response did not follow the prompt's "The answer is
    (X)" format; TIGER-AI-Lab/MMLU-Pro evaluate_from_*.py, extract_answer; the newer
    files, Llama-3.1 and mathstral, have no blank |pred at all, so use models of the older
    files, e.g. Meta-Llama-3-70B, to see it). The
    inconsistency of a system is the probability that two of its answers, drawn at
    random, differ in compliance: 2p(1 − p).
  - length style: the spread of the final answers' lengths, as the standard deviation of
    ln(out_chars) (response length is the style feature that most sways LLM judges:
    Dubois et al. 2024, Length-Controlled AlpacaEval, arXiv:2404.04475), and the paired
    per-question gap |ln len_SLM − ln len_LLM| between the two models on the same questions.
§5.4.2 bias amplification: quality per MMLU-Pro category (the groups) of the SLM alone,
        the LLM alone (both from the table on the run's own joined questions) and the
        collaboration (the run's /requests quality), their disparity (max − min category
        quality, and the standard deviation across categories), and against a
        category-blind mix with the same large-model share, q_blind(c) = (1 − s) q_S(c) +
        s q_L(c): amplification = disparity(collaboration) − disparity(blind mix). Also the
        large-model share per category (does routing treat groups unequally?).

Usage (from the repository root, after building):
    /usr/bin/python3 analysis/survey_challenges.py scenarios/edge_cloud_cascade.toml
        [--set key=value ...] [--small slm --large llm] [--binary build/collabsim]
"""
from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import tomllib

import h5py
import numpy as np


def run(binary: str, scenario: str, out: str, sets: list[str]) -> None:
    args = [binary, "run", scenario, "-o", out, "--quiet"]
    for s in sets:
        args += ["--set", s]
    p = subprocess.run(args, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{' '.join(args)} failed ({p.returncode}):\n{p.stdout}{p.stderr}")


def matrix(path: str, models: list[str]) -> dict:
    """question id → {category, <model>: (score or NaN, pred, out_chars or NaN)}."""
    out = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            q = {"category": row["category"]}
            for m in models:
                s, oc = row[m], row[m + "|out_chars"]
                q[m] = (float(s) if s else float("nan"), row[m + "|pred"], float(oc) if oc else float("nan"))
            out[int(row["question_id"])] = q
    return out


def compliance_inconsistency(p: float) -> float:
    return 2 * p * (1 - p)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario")
    ap.add_argument("--set", action="append", default=[], dest="sets")
    ap.add_argument("--small", default="slm")
    ap.add_argument("--large", default="llm")
    ap.add_argument("--binary", default=os.environ.get("COLLABSIM_BINARY", "build/collabsim"))
    ap.add_argument("--data", default=os.environ.get("COLLABSIM_DATA", "../shared/data"))
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "run.h5")
        run(a.binary, a.scenario, out, a.sets)
        with h5py.File(out, "r") as f:
            req = f["requests"][:]
            sc = tomllib.loads(f.attrs["scenario"].decode() if isinstance(f.attrs["scenario"], bytes)
                               else f.attrs["scenario"])
            mech = f.attrs["mechanism"] if "mechanism" in f.attrs else sc["mechanism"]["name"]
    cards = {}
    for d in (a.small, a.large):
        dep = sc["deployments"][d]
        col = dep.get("quality_column")
        if not col:
            with open(os.path.join("models", "llms", dep["model"] + ".toml"), "rb") as f:
                col = tomllib.load(f)["quality_column"]
        cards[d] = col
    table = os.path.join(a.data, sc["quality"]["table"])
    m = matrix(table, list(cards.values()))
    S, L = cards[a.small], cards[a.large]
    qid = req["query_id"]
    route_large = req[f"tokens_{a.large}"] > 0
    final_large = req["route"] == 1
    q_run = req["quality"]
    cats = sorted({m[int(q)]["category"] for q in qid})

    # §5.2.1 style: the final answer's model decides its format and length.
    def final(i: int, k: int):
        return m[int(qid[i])][L if final_large[i] else S][k]

    comp = {name: np.mean([m[int(q)][c][1] != "" for q in qid]) for name, c in (("SLM alone", S), ("LLM alone", L))}
    comp["collaboration"] = np.mean([final(i, 1) != "" for i in range(len(qid))])
    loglen = {name: np.array([np.log(m[int(q)][c][2]) for q in qid if m[int(q)][c][2] > 0])
              for name, c in (("SLM alone", S), ("LLM alone", L))}
    loglen["collaboration"] = np.array([np.log(final(i, 2)) for i in range(len(qid)) if final(i, 2) > 0])
    pair_gap = np.array([abs(np.log(m[int(q)][S][2]) - np.log(m[int(q)][L][2])) for q in qid
                         if m[int(q)][S][2] > 0 and m[int(q)][L][2] > 0])
    print(f"run: {a.scenario} {' '.join(a.sets)} ({mech}, {len(qid)} requests; SLM {S}, LLM {L})\n")
    print("§5.2.1 output-style consistency\n")
    for name, c in (("SLM", S), ("LLM", L)):
        if all(m[int(q)][c][1] != "" for q in qid):
            print(f"caution: {c} ({name}) has no blank |pred on these questions: MMLU-Pro's newer eval files "
                  "(Llama-3.1, mathstral) record a letter even when the extractor fails, so its format compliance "
                  "is not observable there\n")
    print("| answers | format compliance | compliance inconsistency 2p(1−p) | sd of ln(length) | median length (chars) |")
    print("|---|---|---|---|---|")
    for name in ("SLM alone", "LLM alone", "collaboration"):
        p = comp[name]
        print(f"| {name} | {p:.3f} | {compliance_inconsistency(p):.3f} | {np.std(loglen[name]):.3f} | "
              f"{np.exp(np.median(loglen[name])):.0f} |")
    print(f"\npaired length gap between the two models on the same question: median |ln len_S − ln len_L| = "
          f"{np.median(pair_gap):.3f} (×{np.exp(np.median(pair_gap)):.2f}); share of answers from the LLM "
          f"{np.mean(final_large):.3f}\n")

    # §5.4.2 bias amplification over categories.
    s = float(np.mean(final_large))
    rows = []
    for c in cats:
        idx = [i for i in range(len(qid)) if m[int(qid[i])]["category"] == c]
        qs = np.mean([m[int(qid[i])][S][0] for i in idx])
        ql = np.mean([m[int(qid[i])][L][0] for i in idx])
        qc = np.mean(q_run[idx])
        rows.append((c, len(idx), qs, ql, (1 - s) * qs + s * ql, qc, np.mean(route_large[idx])))
    print("§5.4.2 bias amplification (groups = MMLU-Pro categories)\n")
    print("| category | requests | SLM alone | LLM alone | category-blind mix | collaboration | LLM share |")
    print("|---|---|---|---|---|---|---|")
    for c, n, qs, ql, qb, qc, ls in rows:
        print(f"| {c} | {n} | {qs:.3f} | {ql:.3f} | {qb:.3f} | {qc:.3f} | {ls:.3f} |")
    arr = np.array([r[2:6] for r in rows])
    names = ["SLM alone", "LLM alone", "category-blind mix", "collaboration"]
    print("\n| answers | disparity max − min | sd across categories |\n|---|---|---|")
    for k, name in enumerate(names):
        print(f"| {name} | {arr[:, k].max() - arr[:, k].min():.3f} | {arr[:, k].std(ddof=1):.3f} |")
    amp = (arr[:, 3].max() - arr[:, 3].min()) - (arr[:, 2].max() - arr[:, 2].min())
    print(f"\namplification (disparity of the collaboration − of the category-blind mix): {amp:+.3f}")


if __name__ == "__main__":
    main()
