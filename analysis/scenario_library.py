#!/usr/bin/python3
"""Runs the survey scenario library (scenarios/*.toml of docs/SCENARIOS.md) and writes its
results tables into docs/SCENARIOS.md between the markers

    <!-- library-results:begin --> ... <!-- library-results:end -->

Each scenario runs as shipped (its mechanism) and against the two baselines small_only and
large_only (`--set mechanism.name=...`), so every claim of the survey can be read as a
difference from doing without the collaboration. Wall time is that of the mechanism's run.

Usage (from the repository root, after building):
    /usr/bin/python3 analysis/scenario_library.py [--binary build/collabsim] [--write docs/SCENARIOS.md]
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
    ("wearable_voice_assistant", "4.1", "speculative"),
    ("industrial_edge_box", "4.1", "cascade"),
    ("personal_knowledge_base", "4.2", "pipeline (deidentify)"),
    ("medical_prescreening", "4.2", "cascade (agreement)"),
    ("personal_writing_assistant", "4.3", "pipeline (sketch)"),
    ("enterprise_knowledge_base", "4.3", "decomposition"),
    ("offline_vessel_satellite", "4.4", "offline_fallback"),
    ("disaster_response", "4.4", "offline_fallback"),
    ("keyboard_prediction_battery", "4.5", "router"),
    ("vehicle_safety_prompts", "4.5", "offline_fallback"),
]
BASELINES = ["small_only", "large_only"]
BEGIN, END = "<!-- library-results:begin -->", "<!-- library-results:end -->"


def summary_of(path: str) -> dict:
    with h5py.File(path, "r") as f:
        row = f["summary"][0]
        return {name: (row[name].item() if hasattr(row[name], "item") else row[name]) for name in row.dtype.names}


def run(binary: str, scenario: str, out: str, mechanism: str | None) -> tuple[dict, float]:
    args = [binary, "run", scenario, "-o", out, "--quiet"]
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
    a = ap.parse_args()
    text = tables(a.binary)
    if not a.write:
        print(text)
        return
    doc = open(a.write, encoding="utf-8").read()
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    if not pattern.search(doc):
        sys.exit(f"{a.write}: no {BEGIN} ... {END} block")
    doc = pattern.sub(lambda _: BEGIN + "\n" + text + END, doc)
    with open(a.write, "w", encoding="utf-8") as f:
        f.write(doc)


if __name__ == "__main__":
    main()
