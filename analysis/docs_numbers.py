#!/usr/bin/env python3
"""Regenerates the measured tables of docs/ENERGY.md, docs/SERVING.md and the default-scenario
tables of docs/CALIBRATION.md from runs of the current build, and prints them as markdown.

Every number is read from the run files' /summary, /devices/<d>/summary, /links/<l>/summary
and /requests (the values `collabsim inspect <file>` prints); each table is preceded by the
`collabsim run` overrides that produced it. One run at a time (the runs are single-threaded);
the whole set takes a few minutes on one core, most of it the Mooncake prefix-cache runs.

    python3 analysis/docs_numbers.py [--collabsim build/collabsim] [--only energy,serving,calibration]
        [--work DIR] > tables.md

The docs' prose (what the tables show) is written by hand from these tables.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT = "scenarios/edge_cloud_cascade.toml"
# The confounding gadget `collabsim attack-router` found on the shipped router (docs/MECHANISMS.md).
GADGET = "first vapor with reported with appointed approximate first integer knowledge"


class Runner:
    def __init__(self, exe, work):
        self.exe, self.work, self.n = exe, work, 0

    def run(self, scenario, *sets):
        """Runs `collabsim run scenario --set k=v ...`; returns the result file's tables."""
        self.n += 1
        out = os.path.join(self.work, f"r{self.n}.h5")
        cmd = [self.exe, "run", os.path.join(ROOT, scenario), "-q", "-o", out]
        for s in sets:
            cmd += ["--set", s]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
        res = {}
        with h5py.File(out, "r") as h:
            res["summary"] = {k: float(h["summary"][0][k]) for k in h["summary"].dtype.names}
            res["devices"] = {d: {k: float(h[f"devices/{d}/summary"][0][k]) for k in h[f"devices/{d}/summary"].dtype.names}
                              for d in h["devices"]}
            res["links"] = {l: {k: float(h[f"links/{l}/summary"][0][k]) for k in h[f"links/{l}/summary"].dtype.names}
                            for l in h.get("links", {}) if "summary" in h[f"links/{l}"]}
            if "mechanism" in h and h["mechanism"].dtype.names:
                res["mechanism"] = {k: float(h["mechanism"][0][k]) for k in h["mechanism"].dtype.names
                                    if np.issubdtype(h["mechanism"].dtype[k], np.number)}
            req = h["requests"][...]
            res["requests"] = {k: req[k] for k in req.dtype.names}
        os.remove(out)
        res["cmd"] = "collabsim run " + scenario + "".join(f" --set {s}" for s in sets)
        return res


def f(x, d=1):
    return f"{x:,.{d}f}"


def energy(r):
    print("\n## docs/ENERGY.md\n")
    # Power cap on the default scenario.
    print("### Power cap (large_only / cascade, 1x load): "
          "`collabsim run scenarios/edge_cloud_cascade.toml --set mechanism.name=<m> [--set devices.cloud.power_cap=<W>]`\n")
    print("| power_cap | large_only TTFT p50 | large_only TPOT p50 | large_only J/req | cascade TPOT p50 | cascade J/req |")
    print("|---|---|---|---|---|---|")
    for label, cap in (("none", None), ("555 W", "555 W"), ("490 W (70% TDP)", "490 W")):
        extra = [f"devices.cloud.power_cap={cap}"] if cap else []
        lo = r.run(DEFAULT, "mechanism.name=large_only", *extra)["summary"]
        ca = r.run(DEFAULT, "mechanism.name=cascade", *extra)["summary"]
        print(f"| {label} | {lo['ttft_p50_s']:.3f} s | {1e3 * lo['tpot_p50_s']:.1f} ms | {lo['energy_per_request_j']:.1f} | "
              f"{1e3 * ca['tpot_p50_s']:.1f} ms | {ca['energy_per_request_j']:.1f} |")
    # Radio.
    print("\n### Radio (seed 2026; `--set links.cellular.radio=none|lte|nr`)\n")
    print("| scenario | radio | radio J/req | of which tail J/req | promotions/req | J/req (all) | TTFT p50 [s] | "
          "latency p50 [s] | latency p99 [s] |")
    print("|---|---|---|---|---|---|---|---|---|")
    for scen, label, extra in (("scenarios/speculative_edge_cloud.toml", "speculative_edge_cloud", []),
                               ("scenarios/citer_token_routing.toml", "citer_token_routing", []),
                               (DEFAULT, "edge_cloud_cascade (cascade)", ["mechanism.name=cascade"])):
        base = None
        for radio in ("none", "lte", "nr"):
            res = r.run(scen, *extra, *( [f'links.cellular.radio="{radio}"'] if radio != "none" else []))
            s, n = res["summary"], res["summary"]["n_requests"]
            rad = float(np.sum(res["requests"]["energy_radio_j"])) / n
            lk = res["links"].get("cellular", {})
            tail = f"{lk['rrc_tail_energy_j'] / n:.2f}" if "rrc_tail_energy_j" in lk else "–"
            prom = f"{lk['rrc_promotions'] / n:.2f}" if "rrc_promotions" in lk else "–"
            vals = (s["ttft_p50_s"], s["latency_p50_s"], s["latency_p99_s"])
            if base is None:
                base = vals
                cells = [f"{v:.3f}" for v in vals]
            else:
                cells = [f"{v:.3f} ({v - b:+.3f})" for v, b in zip(vals, base)]
            print(f"| {label} | {radio} | {rad:.3f} | {tail} | {prom} | {s['energy_per_request_j']:.1f} | " + " | ".join(cells) + " |")
    # API energy estimate.
    print("\n### API energy estimate (scenarios/phone_api_router.toml; `--set deployments.api.api_energy_card=<card>`)\n")
    print("| `api_energy_card` | energy_per_request_j (modelled) | api_energy_estimate_per_request_j | per API-served request |")
    print("|---|---|---|---|")
    for card in (None, "h100_sxm", "b200"):
        res = r.run("scenarios/phone_api_router.toml", *([f"deployments.api.api_energy_card={card}"] if card else []))
        s = res["summary"]
        est = s.get("api_energy_estimate_per_request_j")
        share = s["large_share"]
        print(f"| {card or 'none'} | {s['energy_per_request_j']:.2f} | {f'{est:.1f}' if est is not None else '–'} | "
              f"{f'{est / share:.1f} J' if est is not None else '–'} |")
    # Default scenario: power model x autoscale x load.
    print("\n### Default scenario energy (`--set mechanism.name=<m> --set workload.rate_scale=<k>`; two-state: "
          "`--set devices.cloud.power_model=constant`; autoscale: `--set deployments.llm.autoscale=true`)\n")
    print("| rate | mechanism | model | J/req (all) | cloud J/req | cloud J per cloud-served req | cloud device J/req "
          "(busy+idle+start+standby) | cloud up replicas (mean) | latency p50 / p99 [s] |")
    print("|---|---|---|---|---|---|---|---|---|")
    for rate in ("0.5", "1", "4"):
        for m in ("small_only", "cascade", "large_only"):
            for label, extra in (("before (two-state)", ["devices.cloud.power_model=constant"]), ("power model", []),
                                 ("power model + autoscale", ["deployments.llm.autoscale=true"])):
                res = r.run(DEFAULT, f"mechanism.name={m}", f"workload.rate_scale={rate}", *extra)
                s, c = res["summary"], res["devices"]["cloud"]
                n = s["n_requests"]
                served = int(np.sum(res["requests"]["tokens_llm"] > 0))
                dev = c["busy_energy_j"] + c["idle_energy_j"] + c.get("startup_energy_j", 0) + c.get("standby_energy_j", 0)
                up = c["up_replica_s"] / s["makespan_s"] if "up_replica_s" in c else 2.0
                print(f"| {rate}x | {m} | {label} | {s['energy_per_request_j']:.1f} | {c['busy_energy_j'] / n:.1f} | "
                      f"{(c['busy_energy_j'] / served if served else 0):.1f} | {dev / n:.1f} | {up:.2f} | "
                      f"{s['latency_p50_s']:.2f} / {s['latency_p99_s']:.2f} |")
    # Cascade threshold sweep.
    print("\n### Cascade threshold (1x; `--set mechanism.name=cascade --set mechanism.cascade.thresholds=[t]`, "
          "autoscale off / on)\n")
    print("| threshold | large share | cloud J/req fixed | cloud J/req autoscaled | mean up replicas (autoscaled) | "
          "J/req fixed | J/req autoscaled |")
    print("|---|---|---|---|---|---|---|")
    for t in ("0.1", "0.3", "0.5", "0.7", "0.9"):
        a = r.run(DEFAULT, "mechanism.name=cascade", f"mechanism.cascade.thresholds=[{t}]")
        b = r.run(DEFAULT, "mechanism.name=cascade", f"mechanism.cascade.thresholds=[{t}]", "deployments.llm.autoscale=true")
        n = a["summary"]["n_requests"]
        up = b["devices"]["cloud"]["up_replica_s"] / b["summary"]["makespan_s"]
        print(f"| {t} | {a['summary']['large_share']:.3f} | {a['devices']['cloud']['busy_energy_j'] / n:.1f} | "
              f"{b['devices']['cloud']['busy_energy_j'] / n:.1f} | {up:.2f} | {a['summary']['energy_per_request_j']:.1f} | "
              f"{b['summary']['energy_per_request_j']:.1f} |")


def serving(r):
    print("\n## docs/SERVING.md\n")
    print("### Prefix caching, Mooncake conversation trace, large_only (`--set workload.format=mooncake_jsonl "
          "--set workload.trace=traces/mooncake_fast25/conversation_trace.jsonl --set mechanism.name=large_only "
          "[--set workload.rate_scale=k] [--set deployments.llm.prefix_cache=true] [--set deployments.llm.dispatch=cache_aware]`)\n")
    print("| rate_scale | caching | hit rate | TTFT p50 [s] | TTFT p99 [s] | TPOT p50 [ms] | prefilled tokens | "
          "busy energy cloud [MJ] | J/request |")
    print("|---|---|---|---|---|---|---|---|---|")
    moon = ["workload.format=mooncake_jsonl", "workload.trace=traces/mooncake_fast25/conversation_trace.jsonl",
            "mechanism.name=large_only"]
    for rate in ("1", "0.5", "0.25"):
        for label, extra in (("off", []), ("on, least_loaded", ["deployments.llm.prefix_cache=true"]),
                             ("on, cache_aware", ["deployments.llm.prefix_cache=true", "deployments.llm.dispatch=cache_aware"])):
            res = r.run(DEFAULT, *moon, f"workload.rate_scale={rate}", *extra)
            s, q = res["summary"], res["requests"]
            hits = q.get("prefix_hit_tokens")
            pre = float(np.sum(q["prompt_tokens"]) - (np.sum(hits) if hits is not None else 0))
            hr = s["prefix_hit_rate"]
            ttft = lambda v: f"{v:.3f}" if v < 10 else (f"{v:.1f}" if v < 100 else f"{v:.0f}")
            print(f"| {rate} | {label} | {'—' if np.isnan(hr) else f'{hr:.3f}'} | {ttft(s['ttft_p50_s'])} | "
                  f"{ttft(s['ttft_p99_s'])} | {1e3 * s['tpot_p50_s']:.1f} | {pre / 1e6:.1f} M | "
                  f"{res['devices']['cloud']['busy_energy_j'] / 1e6:.2f} | {s['energy_per_request_j']:.0f} |")
    print("\n### Disaggregation, whole Azure conversation trace, large_only (colocated: "
          "`collabsim run scenarios/edge_cloud_cascade.toml --set mechanism.name=large_only`; split: "
          "`collabsim run scenarios/disaggregated_prefill_decode.toml --set workload.limit=19366`)\n")
    print("| serving | TTFT p50 [s] | TTFT p99 [s] | TPOT p50 [ms] | TPOT p99 [ms] | latency p50 / p99 [s] | busy energy [MJ] |")
    print("|---|---|---|---|---|---|---|")
    a = r.run(DEFAULT, "mechanism.name=large_only")
    b = r.run("scenarios/disaggregated_prefill_decode.toml", "workload.limit=19366")
    for label, res, e in (("2 colocated", a, f"{a['devices']['cloud']['busy_energy_j'] / 1e6:.2f}"),
                          ("1 prefill + 1 decode", b, f"{b['devices']['prefill']['busy_energy_j'] / 1e6:.2f} + "
                                                      f"{b['devices']['decode']['busy_energy_j'] / 1e6:.2f}")):
        s = res["summary"]
        print(f"| {label} | {s['ttft_p50_s']:.3f} | {s['ttft_p99_s']:.3f} | {1e3 * s['tpot_p50_s']:.1f} | "
              f"{1e3 * s['tpot_p99_s']:.1f} | {s['latency_p50_s']:.2f} / {s['latency_p99_s']:.2f} | {e} |")
    print("\n### Heterogeneous pool, whole trace (`collabsim run scenarios/heterogeneous_pool.toml --set workload.limit=19366 "
          "--set deployments.llm.pool_dispatch=<p>`)\n")
    print("| pool_dispatch | to H100 / A100 | latency mean / p50 / p99 [s] | TTFT p50 / p99 [s] |")
    print("|---|---|---|---|")
    for p in ("least_loaded", "expected_delay"):
        res = r.run("scenarios/heterogeneous_pool.toml", "workload.limit=19366", f"deployments.llm.pool_dispatch={p}")
        s, q = res["summary"], res["requests"]
        split = f"{int(np.sum(q['tokens_llm'] > 0)):,} / {int(np.sum(q['tokens_llm_a100'] > 0)):,}"
        print(f"| {p} | {split} | {float(np.mean(q['latency_s'])):.2f} / "
              f"{s['latency_p50_s']:.2f} / {s['latency_p99_s']:.2f} | {s['ttft_p50_s']:.3f} / {s['ttft_p99_s']:.3f} |")


def sweep_apgr(r, scenario, *sets):
    """`collabsim sweep scenario --grid mechanism.cascade.thresholds=0:1:0.1 --seeds 3` (-j 1):
    /sweep/aggregate series_apgr with its 95 % interval, CPT(50 %) and CPT(80 %)."""
    r.n += 1
    out = os.path.join(r.work, f"s{r.n}.h5")
    # The phone's context and memory limits off (a named simplification, as analysis/test_figures.py):
    # with limits on, prompts beyond Phi-3-mini's 4k context always escalate, no threshold
    # reaches LLM share 0 and APGR's endpoint is missing.
    cmd = [r.exe, "sweep", os.path.join(ROOT, scenario), "-q", "-j", "1", "-o", out, "--seeds", "3",
           "--grid", "mechanism.cascade.thresholds=0:1:0.1", "--set", "deployments.slm.context_policy=ignore",
           "--set", "deployments.slm.memory_policy=ignore"]
    for x in sets:
        cmd += ["--set", x]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    with h5py.File(out, "r") as h:
        agg = h["sweep/aggregate"][...]
        names = agg.dtype.names
        finite = [i for i in range(len(agg)) if "series_apgr" in names and np.isfinite(agg["series_apgr"][i])]
        if not finite:
            sys.exit(f"{scenario}: the sweep has no finite series_apgr")
        row = agg[finite[0]]
        get = lambda k: float(row[k]) if k in names else float("nan")
        vals = {k: get(k) for k in ("series_apgr", "series_apgr_ci95_lo", "series_apgr_ci95_hi", "series_cpt50", "series_cpt80")}
    os.remove(out)
    return vals


def mechanisms(r):
    print("\n## docs/MECHANISMS.md (besides the results table: analysis/mechanism_table.py)\n")
    print("### Sensitivity of the parametric quality models (whole trace, seed 2026)\n")
    print("| parameter (scenario) | 0 | 0.25 | 0.5 | 0.75 | 0.97 | 1 | fixed: p50 [s], USD / 1k |")
    print("|---|---|---|---|---|---|---|---|")
    for label, scen, key, values in (
            ("`sketch_transfer` (cogenesis_sketch)", "scenarios/cogenesis_sketch.toml", "mechanism.pipeline.sketch_transfer",
             ("0", "0.25", "0.5", "0.75", None, "1")),
            ("`recovery` (minions_decomposition)", "scenarios/minions_decomposition.toml", "mechanism.decomposition.recovery",
             ("0", "0.25", "0.5", "0.75", "0.97", "1"))):
        cells, fixed = [], ""
        for v in values:
            if v is None:
                cells.append("—")
                continue
            sm = r.run(scen, f"{key}={v}")["summary"]
            cells.append(f"{sm['quality_mean']:.4f}")
            fixed = f"{sm['latency_p50_s']:.2f}, {sm['cost_per_1k_usd']:.3f}"
        print(f"| {label} | " + " | ".join(cells) + f" | {fixed} |")
    print("\n### Agreement score at the default cascade's LLM share (seed 2026)\n")
    d = r.run(DEFAULT, "mechanism.name=cascade")["summary"]
    share = d["large_share"]
    a = r.run("scenarios/agreement_cascade.toml", f"mechanism.cascade.target_large_share={share:.4f}")
    auroc_file = None
    print(f"default cascade (noisy oracle, AUROC 0.75): quality {d['quality_mean']:.4f} at LLM share {share:.3f}, "
          f"p50 {d['latency_p50_s']:.2f} s, {d['energy_per_request_j']:.0f} J/request")
    print(f"agreement cascade at target_large_share {share:.4f}: quality {a['summary']['quality_mean']:.4f}, "
          f"share {a['summary']['large_share']:.3f}")
    print("\n### Router attacks in the simulation (learned_router, whole trace, seed 2026; "
          "`--set mechanism.router.attack_share=S --set mechanism.router.gadget=\"<gadget>\"`)\n")
    gadget = GADGET
    print("| attacker share | cost USD / 1k req | cost inflation | LLM share | quality | attacked requests' LLM share |")
    print("|---|---|---|---|---|---|")
    base = None
    for sh in ("0", "0.2", "0.5", "1.0"):
        res = r.run("scenarios/learned_router.toml", f"mechanism.router.attack_share={sh}", f'mechanism.router.gadget="{gadget}"')
        sm, mech = res["summary"], res.get("mechanism", {})
        base = base or sm["cost_per_1k_usd"]
        infl = "—" if sh == "0" else f"{sm['cost_per_1k_usd'] / base - 1:+.1%}"
        att = mech.get("attacked_large_share", float("nan"))
        print(f"| {sh} | {sm['cost_per_1k_usd']:.3f} | {infl} | {sm['large_share']:.3f} | {sm['quality_mean']:.4f} | "
              f"{'—' if sh == '0' else f'{att:.3f}'} |")
    print("\n### Attackers as users and a per-user budget (learned_router, whole trace, 1,000 users, seed 2026; "
          "`--set workload.attributes.users=1000 --set mechanism.router.attack_unit=\"user\" "
          "--set mechanism.router.attack_share=S --set mechanism.router.gadget=\"<gadget>\" [--set mechanism.router.user_budget=B]`)\n")
    print("| attacking users | budget / user-hour | USD / 1k req | quality | LLM share | detection | false positives |")
    print("|---|---|---|---|---|---|---|")
    clean = None
    for sh, budgets in (("0", (None, "12")), ("0.1", (None, "8", "12", "16")), ("0.5", (None, "8", "12", "16"))):
        for b in budgets:
            sets = ["workload.attributes.users=1000", 'mechanism.router.attack_unit="user"',
                    f"mechanism.router.attack_share={sh}", f'mechanism.router.gadget="{gadget}"']
            if b:
                sets.append(f"mechanism.router.user_budget={b}")
            res = r.run("scenarios/learned_router.toml", *sets)
            sm, mech = res["summary"], res.get("mechanism", {})
            if sh == "0" and b is None:
                clean = sm["cost_per_1k_usd"]
            cost = f"{sm['cost_per_1k_usd']:.3f}" + ("" if sh == "0" and b is None or b not in (None, "12")
                                                     else f" ({sm['cost_per_1k_usd'] / clean - 1:+.1%})")
            det = f"{mech['budget_denied_attacked_share']:.3f}" if b and sh != "0" else "—"
            fp = f"{mech['budget_denied_clean_share']:.3f}" if b and "budget_denied_clean_share" in mech else "—"
            if b and sh == "0":
                fp = f"— ({int(mech.get('budget_denied', float('nan')))} clean requests moved)"
            print(f"| {float(sh):.0%} | {b or 'none'} | {cost} | {sm['quality_mean']:.4f} | {sm['large_share']:.3f} | {det} | {fp} |")
    print("\n### Agreement cascade APGR over thresholds 0:1:0.1 x 3 seeds (collabsim sweep scenarios/agreement_cascade.toml "
          "--grid mechanism.cascade.thresholds=0:1:0.1 --seeds 3 --set deployments.slm.context_policy=ignore --set deployments.slm.memory_policy=ignore [--set mechanism.cascade.score=\"noisy_oracle\" "
          "--set mechanism.cascade.auroc=0.79])\n")
    for label, sets in (("agreement", []), ("noisy oracle AUROC 0.79",
                                            ['mechanism.cascade.score="noisy_oracle"', "mechanism.cascade.auroc=0.79"])):
        v = sweep_apgr(r, "scenarios/agreement_cascade.toml", *sets)
        print(f"- {label}: APGR {v['series_apgr']:.3f} [{v['series_apgr_ci95_lo']:.3f}, {v['series_apgr_ci95_hi']:.3f}], "
              f"CPT(50%) {v['series_cpt50']:.3f}, CPT(80%) {v['series_cpt80']:.3f}")


def calibration(r):
    print("\n## docs/CALIBRATION.md (default scenario)\n")
    print("| mechanism | cloud card | quality | TPOT p50 [s] | TPOT p99 [s] | TTFT p50 [s] | latency p50 [s] | J/request |")
    print("|---|---|---|---|---|---|---|---|")
    for m in ("cascade", "large_only"):
        for card, label in (("h100_sxm", "h100_sxm (vLLM 0.11)"), ("h100_sxm_vllm2023", "h100_sxm_vllm2023")):
            s = r.run(DEFAULT, f"mechanism.name={m}", f"devices.cloud.card={card}")["summary"]
            print(f"| {m} | {label} | {s['quality_mean']:.4f} | {s['tpot_p50_s']:.4f} | {s['tpot_p99_s']:.4f} | "
                  f"{s['ttft_p50_s']:.3g} | {s['latency_p50_s']:.3g} | {s['energy_per_request_j']:.0f} |")
    print("\n| rate | TTFT p50 [s] | TTFT p95 [s] | TTFT p99 [s] | latency p50 [s] | p95 [s] | p99 [s] | TPOT p50 [s] | cloud utilisation |")
    print("|---|---|---|---|---|---|---|---|---|")
    for k in ("1", "2", "4"):
        res = r.run(DEFAULT, "mechanism.name=large_only", f"workload.rate_scale={k}")
        s = res["summary"]
        print(f"| {k}× | {s['ttft_p50_s']:.3g} | {s['ttft_p95_s']:.3g} | {s['ttft_p99_s']:.3g} | {s['latency_p50_s']:.3g} | "
              f"{s['latency_p95_s']:.3g} | {s['latency_p99_s']:.4g} | {s['tpot_p50_s']:.4f} | "
              f"{res['devices']['cloud']['utilisation']:.3f} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--collabsim", default=os.path.join(ROOT, "build", "collabsim"))
    ap.add_argument("--only", default="energy,serving,calibration,mechanisms")
    ap.add_argument("--work", default="")
    a = ap.parse_args()
    parts = {"energy": energy, "serving": serving, "calibration": calibration, "mechanisms": mechanisms}
    want = [p for p in a.only.split(",") if p]
    for p in want:
        if p not in parts:
            sys.exit(f"--only: unknown part '{p}' (energy, serving, calibration, mechanisms)")
    with tempfile.TemporaryDirectory(dir=a.work or None) as tmp:
        r = Runner(os.path.abspath(a.collabsim), tmp)
        head = subprocess.run(["git", "-C", ROOT, "log", "-1", "--format=%h %cI"], capture_output=True, text=True).stdout.strip()
        print(f"<!-- analysis/docs_numbers.py on commit {head} -->")
        for p in want:
            parts[p](r)
        print(f"\n<!-- {r.n} runs -->")


if __name__ == "__main__":
    main()
