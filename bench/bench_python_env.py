#!/usr/bin/env python3
"""Overhead of collabsim.CollaborationEnv per decision (µs) and a whole default-scenario
episode's wall time from Python (docs/PYTHON.md). Prints; asserts nothing about speed.

    PYTHONPATH=build/python /usr/bin/python3 bench/bench_python_env.py [--repeat 3]

Method: the default scenario (scenarios/edge_cloud_cascade.toml, 19,366 requests) with
decision = "route"; the policy applies the router's own rule (large iff confidence < 0.5),
so the episode is the router's run and the difference from collabsim.run of the same
scenario is the environment's cost: the two thread hand-offs per decision, building the
observation, and Python's reset/step. Overhead per decision = (episode − run) / decisions.
Best of --repeat (after one warm-up run that reads the trace and quality table), as wall
time and as CPU time of the process (all threads: robust when other jobs share the cores).
"""

import argparse
import os
import time

import collabsim


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--scenario", default="scenarios/edge_cloud_cascade.toml")
    args = ap.parse_args()
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    sc = collabsim.load(args.scenario).with_overrides({"mechanism.name": "router"})
    collabsim.run(sc, requests=False)  # warm-up: inputs read once
    env = collabsim.CollaborationEnv(sc, decision="route")
    k = env.obs_names.index("confidence")
    runs, episodes, decisions = [], [], 0
    for _ in range(args.repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        collabsim.run(sc)
        runs.append((time.perf_counter() - w0, time.process_time() - c0))
        w0, c0 = time.perf_counter(), time.process_time()
        obs, info = env.reset()
        done = False
        while not done:
            obs, reward, done, truncated, info = env.step(int(obs[k] < 0.5))
        episodes.append((time.perf_counter() - w0, time.process_time() - c0))
        decisions = env.decisions
    same = env.result().requests.tobytes() == collabsim.run(sc).requests.tobytes()
    run_w, run_c = min(r[0] for r in runs), min(r[1] for r in runs)
    ep_w, ep_c = min(e[0] for e in episodes), min(e[1] for e in episodes)
    print(f"scenario {args.scenario} (router), {decisions} decisions, best of {args.repeat}")
    print(f"collabsim.run:            {run_w:.3f} s wall, {run_c:.3f} s CPU (all threads)")
    print(f"CollaborationEnv episode: {ep_w:.3f} s wall, {ep_c:.3f} s CPU (same /requests as the run: {same})")
    print(f"overhead per decision:    {(ep_w - run_w) / decisions * 1e6:.1f} µs wall, "
          f"{(ep_c - run_c) / decisions * 1e6:.1f} µs CPU")


if __name__ == "__main__":
    main()
