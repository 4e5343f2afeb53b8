#!/usr/bin/python3
"""Runs the survey scenario library (scenarios/*.toml of docs/SCENARIOS.md) and writes its
results tables into docs/SCENARIOS.md between the markers

    <!-- library-results:begin --> ... <!-- library-results:end -->

Each scenario runs as shipped (its mechanism) and against the two baselines small_only and
large_only (`--set mechanism.name=...`), so every claim of the survey can be read as a
difference from doing without the collaboration. Wall time is that of the mechanism's run.

With --claims N it also runs each scenario and its two baselines with run.seed = 1..N
and writes, per setting, the survey's claim beside collabsim's figure for it (mean ± 95%
Student t half-width over the N paired seeds) between

    <!-- library-claims:begin --> ... <!-- library-claims:end -->

With --check-quotes it only checks that every scenario header's quotation of the survey
is in the survey's text word for word (CTest survey_quotes).

Usage (from the repository root, after building):
    /usr/bin/python3 analysis/scenario_library.py [--binary build/collabsim] [--write docs/SCENARIOS.md]
        [--claims 5] [--check-quotes]
Without --write the tables are printed.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import tomllib

import h5py
import numpy as np

# (file stem, survey section, mechanism as shipped); the order of docs/SCENARIOS.md.
LIBRARY = [
    ("wearable_voice_assistant", "4.1", "token_routing"),
    ("industrial_edge_box", "4.1", "cascade"),
    ("personal_knowledge_base", "4.2", "pipeline (deidentify)"),
    ("medical_prescreening", "4.2", "cascade (agreement)"),
    ("personal_writing_assistant", "4.3", "pipeline (sketch)"),
    ("enterprise_knowledge_base", "4.3", "early_exit"),
    ("offline_vessel_satellite", "4.4", "offline_first"),
    ("forest_inspection_drones", "4.4", "offline_first"),
    ("disaster_response", "4.4", "offline_fallback (reask)"),
    ("disaster_multi_agent", "4.4", "multi_agent (reask)"),
    ("keyboard_prediction_battery", "4.5", "router"),
    ("vehicle_safety_prompts", "4.5", "hierarchical_prompts"),
]
SURVEY = os.path.join("..", "shared", "survey", "002_b3b814fb423c86a3.txt")
QUOTE_START = re.compile(r'^#   (?:Claim: |Also[^"]*: )?"')


def header_quotes(path: str) -> list[str]:
    """The survey quotations of a scenario header: blocks that open with `#   "`,
    `#   Claim: "` or `#   Also...: "` and run over the following `#   ` lines; each is the
    text from its first to its last double quote, split at " ... " elisions."""
    blocks, cur = [], None
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.startswith("#"):
                break
            if QUOTE_START.match(line):
                cur = [line[line.index('"') + 1:].rstrip()]
                blocks.append(cur)
            elif cur is not None and line.startswith("#   ") and not line.startswith("#    "):
                cur.append(line[4:].rstrip())
            else:
                cur = None
    quotes = []
    for b in blocks:
        text = " ".join(b)
        quotes += [q.strip() for q in text[:text.rindex('"')].split(" ... ")]
    return quotes


def norm(text: str) -> str:
    return " ".join(text.split())


def check_quotes(survey: str) -> list[str]:
    """Problems (empty when none): a library scenario whose header quotes nothing, or a
    quotation that is not in the survey's text word for word (whitespace collapsed)."""
    with open(survey, encoding="utf-8") as f:
        text = norm(f.read())
    problems = []
    for stem, _, _ in LIBRARY:
        path = os.path.join("scenarios", stem + ".toml")
        qs = header_quotes(path)
        if not qs:
            problems.append(f"{path}: no survey quotation in the header")
        for q in qs:
            if norm(q) not in text:
                problems.append(f"{path}: not in the survey as written: {q[:80]}...")
    return problems
BASELINES = ["small_only", "large_only"]
BEGIN, END = "<!-- library-results:begin -->", "<!-- library-results:end -->"
CLAIMS_BEGIN, CLAIMS_END = "<!-- library-claims:begin -->", "<!-- library-claims:end -->"


def _rel(a: float, b: float) -> float:
    return a / b - 1.0 if b else float("nan")


# Per setting: the survey's claim (a short verbatim excerpt of the header's quotation),
# collabsim's figure for it as a function of the mechanism's (m), small_only's (s) and
# large_only's (l) /summary rows of one seed, how to print it, and why the two agree or
# differ (docs/SCENARIOS.md).
CLAIMS = {
    "wearable_voice_assistant": (
        "\"compared to a purely cloud-based mode, this method can reduce end-to-end latency by up to 40% while "
        "maintaining high response quality\"",
        "median latency vs the cloud alone", lambda m, s, l: _rel(m["latency_p50_s"], l["latency_p50_s"]), "pct",
        "quality vs the cloud alone", lambda m, s, l: m["quality_mean"] - l["quality_mean"]),
    "industrial_edge_box": (
        "\"reduce response time in industrial anomaly detection from seconds to milliseconds, while maintaining "
        "anomaly detection accuracy comparable to pure LLM solutions\"",
        "median TTFT / the cloud alone's", lambda m, s, l: m["ttft_p50_s"] / l["ttft_p50_s"], "x",
        "quality vs the cloud alone", lambda m, s, l: m["quality_mean"] - l["quality_mean"]),
    "personal_knowledge_base": (
        "\"sending only de-identified queries to the cloud LLM for in-depth analysis\"",
        "private tokens sent vs the cloud alone", lambda m, s, l: _rel(m["private_tokens_per_request"],
                                                                     l["private_tokens_per_request"]), "pct",
        "quality vs the cloud alone", lambda m, s, l: m["quality_mean"] - l["quality_mean"]),
    "medical_prescreening": (
        "\"performs well in diagnosing common diseases while significantly reducing the transmission of sensitive "
        "medical data\"",
        "private tokens sent vs the cloud alone", lambda m, s, l: _rel(m["private_tokens_per_request"],
                                                                     l["private_tokens_per_request"]), "pct",
        "quality vs the cloud alone", lambda m, s, l: m["quality_mean"] - l["quality_mean"]),
    "personal_writing_assistant": (
        "\"increases the personalization of writing suggestions by up to 35% ... while reducing response time by 70%\"",
        "median latency vs the cloud alone", lambda m, s, l: _rel(m["latency_p50_s"], l["latency_p50_s"]), "pct",
        "quality vs the cloud alone", lambda m, s, l: m["quality_mean"] - l["quality_mean"]),
    "enterprise_knowledge_base": (
        "\"capable of handling unique enterprise tasks with accuracy comparable to cloud LLMs 100 times larger, while "
        "significantly reducing latency and costs\"",
        "quality vs the cloud LLM alone", lambda m, s, l: m["quality_mean"] - l["quality_mean"], "abs",
        "cost vs the cloud alone", lambda m, s, l: _rel(m["cost_per_1k_usd"], l["cost_per_1k_usd"])),
    "offline_vessel_satellite": (
        "\"SLMs with 4-5 billion parameters can handle 70-80% of common queries in offline environments, with "
        "performance approaching that of online LLMs\"",
        "share the SLM handles alone", lambda m, s, l: 1.0 - m["large_share"], "share",
        "quality vs the cloud alone", lambda m, s, l: m["quality_mean"] - l["quality_mean"]),
    "forest_inspection_drones": (
        "\"they can identify and analyze vegetation conditions, fire risks, and other key information offline\" "
        "(no number)",
        "share analysed offline (SLM alone)", lambda m, s, l: 1.0 - m["large_share"], "share",
        "quality vs the cloud alone", lambda m, s, l: m["quality_mean"] - l["quality_mean"]),
    "disaster_response": (
        "\"offers significantly better decision support capabilities in extreme environments compared to "
        "single-model solutions\"",
        "quality vs the better single model", lambda m, s, l: m["quality_mean"] - max(s["quality_mean"],
                                                                                    l["quality_mean"]), "abs",
        "SLO attainment vs the cloud alone", lambda m, s, l: m["slo_attainment"] - l["slo_attainment"]),
    "disaster_multi_agent": (
        "\"offers significantly better decision support capabilities in extreme environments compared to "
        "single-model solutions\"",
        "quality vs the better single model", lambda m, s, l: m["quality_mean"] - max(s["quality_mean"],
                                                                                    l["quality_mean"]), "abs",
        "SLO attainment vs the cloud alone", lambda m, s, l: m["slo_attainment"] - l["slo_attainment"]),
    "keyboard_prediction_battery": (
        "\"the power consumption for prediction functions was reduced to 1/10th of traditional methods\"",
        "phone energy per prediction / the cloud mode's", lambda m, s, l: m["battery_share_per_request"] /
        l["battery_share_per_request"], "x",
        "quality vs the cloud alone", lambda m, s, l: m["quality_mean"] - l["quality_mean"]),
    "vehicle_safety_prompts": (
        "\"this architecture reduces energy consumption by 65% while maintaining the accuracy of safety prompts\"",
        "energy per request vs the cloud alone", lambda m, s, l: _rel(m["energy_per_request_j"],
                                                                    l["energy_per_request_j"]), "pct",
        "quality vs the cloud alone", lambda m, s, l: m["quality_mean"] - l["quality_mean"]),
}


def fmt_ci(values: list[float], kind: str) -> str:
    """mean [95% Student t interval] over seeds, as a percentage, ratio, share or difference."""
    v = np.asarray([x for x in values if np.isfinite(x)], dtype=float)
    if len(v) == 0:
        return "–"
    m = float(v.mean())
    half = (T975[len(v) - 2] * float(v.std(ddof=1)) / np.sqrt(len(v))) if len(v) > 1 else float("nan")
    if kind == "pct":
        return f"{100 * m:+.1f}% ± {100 * half:.1f}"
    if kind == "x":
        return f"{m:.3g}× ± {half:.2g}"
    if kind == "share":
        return f"{100 * m:.1f}% ± {100 * half:.1f}"
    return f"{m:+.3f} ± {half:.3f}"


# Two-sided 95 % Student t quantiles for df = 1..10 (as analysis/metrics.py).
T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228]


def claims_table(binary: str, seeds: int) -> str:
    """Per setting: the claim beside collabsim's figures, mean ± 95% half-width over
    `seeds` seeds (run.seed = 1..seeds), each seed's mechanism run paired with its
    small_only and large_only runs."""
    rows = ["| § | scenario | survey's claim (as written) | collabsim: figure | mean ± 95% CI | "
            "second figure | mean ± 95% CI |\n|---|---|---|---|---|---|---|\n"]
    with tempfile.TemporaryDirectory() as tmp:
        for stem, section, _ in LIBRARY:
            claim, name1, f1, kind1, name2, f2 = CLAIMS[stem]
            scenario = os.path.join("scenarios", stem + ".toml")
            v1, v2 = [], []
            for seed in range(1, seeds + 1):
                seed_set = [f"run.seed={seed}"]
                m, _ = run(binary, scenario, os.path.join(tmp, f"{stem}-{seed}.h5"), None, seed_set)
                s, _ = run(binary, scenario, os.path.join(tmp, f"{stem}-{seed}-s.h5"), "small_only", seed_set)
                l, _ = run(binary, scenario, os.path.join(tmp, f"{stem}-{seed}-l.h5"), "large_only", seed_set)
                v1.append(f1(m, s, l))
                v2.append(f2(m, s, l))
            kind2 = "pct" if "cost" in name2 else "abs"
            rows.append(f"| {section} | [{stem}](../scenarios/{stem}.toml) | {claim} | {name1} | {fmt_ci(v1, kind1)} | "
                        f"{name2} | {fmt_ci(v2, kind2)} |\n")
    return "".join(rows)


def summary_of(path: str) -> dict:
    with h5py.File(path, "r") as f:
        row = f["summary"][0]
        return {name: (row[name].item() if hasattr(row[name], "item") else row[name]) for name in row.dtype.names}


def run(binary: str, scenario: str, out: str, mechanism: str | None,
        sets: list[str] | None = None) -> tuple[dict, float]:
    args = [binary, "run", scenario, "-o", out, "--quiet"]
    for x in sets or []:
        args += ["--set", x]
    if mechanism:
        args += ["--set", f"mechanism.name={mechanism}"]
        # The baseline answers with the scenario mechanism's own small/large deployments.
        with open(scenario, "rb") as f:
            mech = tomllib.load(f)["mechanism"]
        own = mech.get(mech["name"], {})
        for key in ("small", "large"):
            if key in own:
                args += ["--set", f"mechanism.{mechanism}.{key}={own[key]}"]
    t0 = time.monotonic()
    p = subprocess.run(args, capture_output=True, text=True)
    wall = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit(f"{' '.join(args)} failed ({p.returncode}):\n{p.stdout}{p.stderr}")
    return summary_of(out), wall


def fmt(v: float, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "–"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}g}"


def tables(binary: str) -> str:
    head = ("| scenario | § | mechanism | requests | quality | p99 latency (s) | SLO attainment | "
            "cost / 1k req (USD) | energy / req (J) | private tokens sent / req | large share | run (s) |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|---|\n")
    main, base = [head], []
    base.append("| scenario | run | quality | p99 latency (s) | SLO attainment | cost / 1k req (USD) | "
                "energy / req (J) | private tokens sent / req |\n|---|---|---|---|---|---|---|---|\n")
    with tempfile.TemporaryDirectory() as tmp:
        for stem, section, mech in LIBRARY:
            scenario = os.path.join("scenarios", stem + ".toml")
            s, wall = run(binary, scenario, os.path.join(tmp, stem + ".h5"), None)
            main.append(
                f"| [{stem}](../scenarios/{stem}.toml) | {section} | {mech} | {s['n_requests']} | "
                f"{s['quality_mean']:.3f} | {fmt(s['latency_p99_s'])} | {fmt(s['slo_attainment'])} | "
                f"{fmt(s['cost_per_1k_usd'])} | {fmt(s['energy_per_request_j'])} | "
                f"{fmt(s['private_tokens_per_request'])} | {s['large_share']:.2f} | {wall:.1f} |\n")
            for b in BASELINES:
                bs, _ = run(binary, scenario, os.path.join(tmp, f"{stem}-{b}.h5"), b)
                base.append(
                    f"| {stem} | {b} | {bs['quality_mean']:.3f} | {fmt(bs['latency_p99_s'])} | "
                    f"{fmt(bs['slo_attainment'])} | {fmt(bs['cost_per_1k_usd'])} | "
                    f"{fmt(bs['energy_per_request_j'])} | {fmt(bs['private_tokens_per_request'])} |\n")
    return "".join(main) + "\nThe same scenarios with the two baselines (no collaboration):\n\n" + "".join(base)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.environ.get("COLLABSIM_BINARY", "build/collabsim"))
    ap.add_argument("--write", help="markdown file whose marked block is replaced")
    ap.add_argument("--check-quotes", action="store_true",
                    help="only check that every header's survey quotation is in the survey word for word "
                         "(exit 1 on a mismatch, 77 when the survey text is absent)")
    ap.add_argument("--claims", type=int, metavar="SEEDS", default=0,
                    help="also write the claims table (survey claim beside collabsim's figure ± 95%% CI over "
                         "SEEDS seeds) between the library-claims markers")
    a = ap.parse_args()
    if a.check_quotes:
        if not os.path.exists(SURVEY):
            print(f"{SURVEY}: absent; quotations not checked")
            sys.exit(77)
        problems = check_quotes(SURVEY)
        for p in problems:
            print(p)
        print(f"{len(LIBRARY)} scenario headers, {sum(len(header_quotes(os.path.join('scenarios', s + '.toml'))) for s, _, _ in LIBRARY)} quotations checked")
        sys.exit(1 if problems else 0)
    text = tables(a.binary)
    claims = claims_table(a.binary, a.claims) if a.claims > 1 else None
    if not a.write:
        print(text)
        if claims:
            print(claims)
        return
    doc = open(a.write, encoding="utf-8").read()
    for begin, end, block in ((BEGIN, END, text), (CLAIMS_BEGIN, CLAIMS_END, claims)):
        if block is None:
            continue
        pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
        if not pattern.search(doc):
            sys.exit(f"{a.write}: no {begin} ... {end} block")
        doc = pattern.sub(lambda _: begin + "\n" + block + end, doc)
    with open(a.write, "w", encoding="utf-8") as f:
        f.write(doc)


if __name__ == "__main__":
    main()
