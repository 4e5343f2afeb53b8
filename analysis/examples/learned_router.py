#!/usr/bin/env python3
"""A contextual-bandit router trained in collabsim.CollaborationEnv, compared with the
threshold cascade and the learned (logistic) router on held-out requests (docs/PYTHON.md).

Run (NumPy only, after ./run.sh or the CMake build):
    PYTHONPATH=build/python /usr/bin/python3 analysis/examples/learned_router.py

Setup: scenarios/learned_router.toml, the default edge–cloud deployment (Phi-3-mini on the
phone, Llama-3.1-70B on the cloud pool, the Azure 2023 conversation trace, MMLU-Pro
quality) with the question texts and the trained logistic router kernel. The kernel's
question filter keeps its training questions out of every run that uses the router
mechanism, so the bandit and the learned router meet only questions the kernel never saw.

- Training: the trace's first 30 minutes (workload.end = "30 min"), seeds 1-3; each
  seed draws a different request -> question join.
- Evaluation: held-out requests, the last 28 minutes (workload.start = "30 min"), seeds
  101-105, the policy frozen (greedy).
- Learner: disjoint linear UCB (LinUCB, Li, Chu, Langford & Schapire, WWW 2010), one ridge
  regression of the reward per arm on: 1, the learned router's score (the observation's
  "confidence"), log(1 + prompt tokens), the question's category (one-hot) and 64 hashed
  text features of the question (text_features = 6 bits). Rewards arrive when a request
  completes (info["completed"]) and update the arm it was sent to.
- Reward: quality - lam * cost_usd, for several lam (1/USD): the points of a cost-quality
  curve.
- Baselines on the same evaluation window and seeds: the learned router at thresholds
  0.3/0.4/0.5, small_only and large_only (as constant policies in the environment, so on
  the same held-out questions), and the threshold cascade (noisy-oracle confidence, AUROC
  0.75, threshold 0.5: the default scenario's cascade). The cascade has no kernel, so its
  join draws from all questions; large_only on all questions is printed beside it to show
  what the question set alone changes.
Intervals: mean +- t(0.975, n-1) * sd / sqrt(n) over the evaluation seeds.
"""

import argparse
import math
import os
import sys

import numpy as np

import collabsim

SCENARIO = "scenarios/learned_router.toml"
TRAIN = {"workload.end": "30 min"}
EVAL = {"workload.start": "30 min"}
T975 = {2: 12.706, 3: 4.303, 4: 3.182, 5: 2.776, 6: 2.571, 8: 2.365, 10: 2.262}  # Student t, df = n - 1


def interval(values):
    v = np.asarray(values, dtype=float)
    if len(v) < 2:
        return float(v.mean()), float("nan")
    return float(v.mean()), T975[len(v)] * float(v.std(ddof=1)) / math.sqrt(len(v))


class LinUCB:
    """Disjoint LinUCB with delayed rewards: A_a = I*ridge + sum x x^T, b_a = sum r x."""

    def __init__(self, dim, arms=2, alpha=0.5, ridge=1.0):
        self.A = np.stack([np.eye(dim) * ridge for _ in range(arms)])
        self.b = np.zeros((arms, dim))
        self.alpha = alpha
        self.inv = np.linalg.inv(self.A)
        self.theta = np.zeros((arms, dim))
        self.pending = 0

    def act(self, x, explore=True):
        mean = self.theta @ x
        if not explore or self.alpha == 0:
            return int(np.argmax(mean))
        width = np.sqrt(np.einsum("i,aij,j->a", x, self.inv, x))
        return int(np.argmax(mean + self.alpha * width))

    def update(self, x, arm, reward):
        self.A[arm] += np.outer(x, x)
        self.b[arm] += reward * x
        self.pending += 1
        if self.pending >= 64:  # refresh the solution every 64 rewards (cost: 2 solves of dim^3)
            self.refresh()

    def refresh(self):
        self.inv = np.linalg.inv(self.A)
        self.theta = np.einsum("aij,aj->ai", self.inv, self.b)
        self.pending = 0


def features(env):
    """A function obs -> feature vector (the bandit's context)."""
    names = env.obs_names
    conf = names.index("confidence")
    prompt = names.index("prompt_tokens")
    cats = [i for i, n in enumerate(names) if n.startswith("category=")]
    text = [i for i, n in enumerate(names) if n.startswith("text[")]

    def f(obs):
        return np.concatenate(([1.0, obs[conf], math.log1p(obs[prompt]) / 8.0], obs[cats], obs[text]))

    return f, 3 + len(cats) + len(text)


def run_episode(env, agent, feat, seed, learn):
    """One episode with the agent (learning from delayed rewards when `learn`)."""
    obs, info = env.reset(seed=seed)
    context = {}
    done = False
    while not done:
        x = feat(obs)
        a = agent.act(x, explore=learn)
        context[info["request_id"]] = (x, a)
        obs, reward, done, truncated, info = env.step(a)
        if learn:
            for c in info["completed"]:
                x_c, a_c = context.pop(c["request_id"])
                agent.update(x_c, a_c, c["reward"])
    if learn:
        agent.refresh()
    return env.result().summary


def summarise(rows):
    q = interval([r["quality_mean"] for r in rows])
    c = interval([r["cost_per_1k_usd"] for r in rows])
    s = interval([r["large_share"] for r in rows])
    p99 = interval([r["latency_p99_s"] for r in rows])
    return q, c, s, p99


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lams", default="0,100,200,400", help="cost weights lam (1/USD), comma-separated")
    ap.add_argument("--train-seeds", default="1,2,3")
    ap.add_argument("--eval-seeds", default="101,102,103,104,105")
    ap.add_argument("--alpha", type=float, default=0.5, help="LinUCB exploration width")
    args = ap.parse_args()
    lams = [float(v) for v in args.lams.split(",")]
    train_seeds = [int(v) for v in args.train_seeds.split(",")]
    eval_seeds = [int(v) for v in args.eval_seeds.split(",")]
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

    base = collabsim.load(SCENARIO)
    train_sc = base.with_overrides(TRAIN)
    eval_sc = base.with_overrides(EVAL)
    results = {}
    for lam in lams:
        reward = {"quality": 1.0, "cost_usd": lam}
        env = collabsim.CollaborationEnv(train_sc, decision="route", reward=reward, text_features=6)
        feat, dim = features(env)
        agent = LinUCB(dim, alpha=args.alpha)
        for s in train_seeds:
            run_episode(env, agent, feat, s, learn=True)
        env_eval = collabsim.CollaborationEnv(eval_sc, decision="route", reward=reward, text_features=6)
        rows = [run_episode(env_eval, agent, feat, s, learn=False) for s in eval_seeds]
        results[f"LinUCB bandit, lam = {lam:g}/USD"] = summarise(rows)
        print(f"trained lam = {lam:g}", file=sys.stderr)
    baselines = {
        "threshold cascade (noisy oracle AUROC 0.75, t = 0.5)": {"mechanism.name": "cascade"},
        "learned router, threshold 0.3": {"mechanism.router.threshold": 0.3},
        "learned router, threshold 0.4": {"mechanism.router.threshold": 0.4},
        "learned router, threshold 0.5": {"mechanism.router.threshold": 0.5},
        "large_only (all questions, as the cascade)": {"mechanism.name": "large_only"},
    }
    for name, ov in baselines.items():
        sc = eval_sc.with_overrides(ov)
        rows = [collabsim.run(sc, seed=s, requests=False).summary for s in eval_seeds]
        results[name] = summarise(rows)
    # small_only / large_only on the held-out questions: constant policies in the environment
    # (the router mechanism's question filter applies; equal to those mechanisms' runs).
    env_eval = collabsim.CollaborationEnv(eval_sc, decision="route", text_features=0)
    for name, action in (("small_only (held-out questions)", 0), ("large_only (held-out questions)", 1)):
        rows = []
        for s in eval_seeds:
            obs, info = env_eval.reset(seed=s)
            done = False
            while not done:
                obs, r, done, t, info = env_eval.step(action)
            rows.append(env_eval.result().summary)
        results[name] = summarise(rows)

    print(f"held-out evaluation: {SCENARIO}, last 28 min of the trace, seeds {eval_seeds} "
          f"(mean +- 95% t-interval over seeds); bandit trained on the first 30 min, seeds {train_seeds}")
    print(f"{'policy':<52} {'quality':>17} {'USD/1k req':>17} {'large share':>15} {'p99 [s]':>14}")
    for name, (q, c, s, p) in results.items():
        print(f"{name:<52} {q[0]:8.4f} ± {q[1]:6.4f} {c[0]:8.4f} ± {c[1]:6.4f} {s[0]:6.3f} ± {s[1]:5.3f}"
              f" {p[0]:6.2f} ± {p[1]:5.2f}")


if __name__ == "__main__":
    main()
