"""collabsim.CollaborationEnv: Gymnasium's contract, determinism, and the equalities with
the CLI's mechanisms ("always large" = large_only; a replayed cascade = the cascade; a
link-following offload policy = offline_fallback)."""

import os
import unittest

import numpy as np

import collabsim
from collabsim.spaces import Box, Discrete
from common import DEFAULT, SOURCE

os.chdir(SOURCE)
N = 300  # requests per episode


def episode(env, policy, seed=None):
    """Runs one episode; returns (decisions, total reward, completions)."""
    obs, info = env.reset(seed=seed)
    done, n, total, completed = False, 0, info["reward"], list(info["completed"])
    while not done:
        obs, reward, done, truncated, info = env.step(policy(obs, info))
        n += 1
        total += reward
        completed += info["completed"]
    return n, total, completed


class Contract(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sc = collabsim.load(DEFAULT, overrides={"workload.limit": N})

    def test_spaces_reset_step_termination(self):
        """Spaces, reset/step return types, one decision and one reward per request, then termination."""
        env = collabsim.CollaborationEnv(self.sc, decision="route", reward={"quality": 1.0, "cost_usd": 10.0})
        self.assertIsInstance(env.action_space, Discrete)
        self.assertEqual(env.action_space.n, 2)
        self.assertIsInstance(env.observation_space, Box)
        self.assertEqual(env.observation_space.shape, (len(env.obs_names),))
        self.assertEqual(len(env.obs_units), len(env.obs_names))
        for name in ("prompt_tokens", "confidence", "llm.outstanding", "llm.expected_delay_s", "cellular.up",
                     "time_of_day_s"):
            self.assertIn(name, env.obs_names)
        obs, info = env.reset()
        self.assertIsInstance(obs, np.ndarray)
        self.assertTrue(env.observation_space.contains(obs))
        self.assertEqual(info["request_id"], 0)
        self.assertIsInstance(info["category"], str)
        self.assertEqual(obs[env.obs_names.index("category=" + info["category"])], 1.0)
        rng = np.random.default_rng(3)
        seen, steps, total, done = [], 0, 0.0, False
        while not done:
            out = env.step(int(rng.integers(2)))
            self.assertEqual(len(out), 5)
            obs, reward, done, truncated, info = out
            self.assertIsInstance(reward, float)
            self.assertIs(truncated, False)
            self.assertTrue(env.observation_space.contains(obs))
            self.assertAlmostEqual(reward, sum(c["reward"] for c in info["completed"]))
            for c in info["completed"]:
                self.assertAlmostEqual(c["reward"], c["quality"] - 10.0 * c["cost_usd"])
            seen += [c["request_id"] for c in info["completed"]]
            total += reward
            steps += 1
        self.assertEqual(steps, N)
        self.assertEqual(env.decisions, N)
        self.assertEqual(sorted(seen), list(range(N)))  # every reward delivered once
        res = env.result()
        self.assertEqual(len(res.requests), N)
        req = res.requests
        self.assertAlmostEqual(total, float(np.sum(req["quality"] - 10.0 * req["cost_usd"])), places=9)
        with self.assertRaises(RuntimeError):
            env.step(0)

    def test_bad_arguments(self):
        """An unknown decision kind, reward key or action is refused."""
        with self.assertRaises(ValueError):
            collabsim.CollaborationEnv(self.sc, decision="teleport")
        with self.assertRaises(ValueError):
            collabsim.CollaborationEnv(self.sc, decision="route", reward={"happiness": 1})
        env = collabsim.CollaborationEnv(self.sc, decision="route")
        env.reset()
        with self.assertRaises(ValueError):
            env.step(2)
        env.close()

    def test_reset_mid_episode_restarts(self):
        """reset() during an episode abandons it; the next episode starts at request 0 and is complete."""
        env = collabsim.CollaborationEnv(self.sc, decision="route")
        env.reset()
        for _ in range(10):
            env.step(0)
        n, total, completed = episode(env, lambda o, i: 0)
        self.assertEqual(n, N)
        self.assertEqual(len(completed), N)

    def test_deterministic(self):
        """A fixed seed and a fixed policy reproduce the episode bit for bit; another seed differs."""
        policy = lambda obs, info: int(info["request_id"] % 3 == 0)  # noqa: E731
        env = collabsim.CollaborationEnv(self.sc, decision="route")
        episode(env, policy, seed=5)
        a = env.result().requests
        episode(env, policy, seed=5)
        b = env.result().requests
        self.assertEqual(a.tobytes(), b.tobytes())
        episode(env, policy, seed=6)
        self.assertNotEqual(a.tobytes(), env.result().requests.tobytes())


class Equalities(unittest.TestCase):
    def test_always_large_equals_large_only(self):
        """route with the policy "always large" gives the large_only run's /requests exactly."""
        sc = collabsim.load(DEFAULT, overrides={"workload.limit": N})
        env = collabsim.CollaborationEnv(sc, decision="route")
        episode(env, lambda o, i: 1)
        ref = collabsim.run(sc.with_overrides({"mechanism.name": "large_only"})).requests
        self.assertEqual(env.result().requests.tobytes(), ref.tobytes())
        self.assertTrue(np.all(ref["route"] == 1))

    def test_replayed_cascade_equals_cascade(self):
        """escalate with the cascade's own decisions replayed gives the cascade run's /requests exactly."""
        sc = collabsim.load(DEFAULT, overrides={"workload.limit": N})
        ref = collabsim.run(sc).requests
        self.assertGreater(ref["escalated"].sum(), 0)
        self.assertLess(ref["escalated"].sum(), N)
        env = collabsim.CollaborationEnv(sc, decision="escalate")
        n, _, _ = episode(env, lambda o, i: int(ref["escalated"][i["request_id"]]))
        # One decision per request whose SLM stage answered (a stage that cannot hold the
        # request, a context or memory limit, is skipped with no decision).
        self.assertEqual(n, int(np.sum(ref["tokens_slm"] > 0)))
        self.assertGreater(n, N // 2)
        self.assertEqual(env.result().requests.tobytes(), ref.tobytes())
        # The confidence in the observation is the cascade's: replaying its threshold rule is the same run.
        k = env.obs_names.index("confidence")
        episode(env, lambda o, i: int(o[k] < 0.5))
        self.assertEqual(env.result().requests.tobytes(), ref.tobytes())
        episode(env, lambda o, i: 1 - int(ref["escalated"][i["request_id"]]))  # the opposite policy differs
        self.assertNotEqual(env.result().requests.tobytes(), ref.tobytes())

    def test_link_following_offload_equals_offline_fallback(self):
        """offload with "remote when the link is up" gives the offline_fallback run under outages."""
        # 1,500 requests span about 4.5 min of the trace: the link (MTBF 120 s) goes down a few times.
        sc = collabsim.load("scenarios/offline_fallback_outages.toml", overrides={"workload.limit": 1500})
        ref = collabsim.run(sc).requests
        self.assertGreater(int(np.sum(ref["route"] == 0)), 0)  # some requests fell back
        env = collabsim.CollaborationEnv(sc, decision="offload")
        k = env.obs_names.index("cellular.up")
        episode(env, lambda o, i: int(o[k] == 1.0))
        self.assertEqual(env.result().requests.tobytes(), ref.tobytes())


if __name__ == "__main__":
    unittest.main()
