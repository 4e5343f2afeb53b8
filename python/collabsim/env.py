"""collabsim.CollaborationEnv: a Gymnasium-style environment in which a policy makes one
kind of collaboration decision for every request, in simulated time (docs/PYTHON.md).

The simulation runs until the next decision point of the chosen kind and suspends there;
step(action) resumes it. The reward of a request arrives at the step during which the
request completes, with its id in info, so contextual-bandit and RL formulations both work.
"""

import numpy as np

from . import _collabsim as _core
from .results import Result
from .spaces import Box, Discrete

# The mechanism that has each decision point (sim/mechanisms/decision.hpp).
MECHANISM_OF = {"route": "router", "escalate": "cascade", "offload": "offline_fallback"}

REWARD_KEYS = ("quality", "cost_usd", "latency_s", "energy_j")


class CollaborationEnv:
    """Gymnasium-style environment (reset/step/observation_space/action_space).

    Args:
        scenario: a collabsim.Scenario or a scenario path. Its mechanism is switched to the
            one with the chosen decision (route: router, escalate: cascade, offload:
            offline_fallback) if it is another; that mechanism's own [mechanism.<name>]
            section still parameterises it (e.g. the cascade's confidence AUROC).
        decision: "route" (before any model runs; action 0 = small model, 1 = large),
            "escalate" (after a cascade stage answered; 0 = accept its answer, 1 = escalate
            to the next stage) or "offload" (at arrival; 0 = on-device SLM, 1 = remote LLM).
        reward: weights {"quality": wq, "cost_usd": wc, "latency_s": wl, "energy_j": we}
            (missing = 0; default quality 1) for reward = wq·quality − wc·cost_usd −
            wl·latency_s − we·energy_j of each completed request (units: 1, USD, s, J), or a
            callable(completion dict) -> float.
        text_features: bits of the hashed question-text features in the observation (0 =
            none; default 8 when the scenario names [quality] questions, else 0).
        expected_output_tokens: output length (tokens) assumed by the expected-delay
            features (the true length is not known before generation).

    Observation: a float64 vector; `obs_names` and `obs_units` name each entry (layout in
    docs/PYTHON.md). info of reset/step: request_id and category of the request now
    deciding, time_s, and "completed": [{request_id, reward, quality, latency_s, ttft_s,
    cost_usd, energy_j, status, route, escalated}] of the requests finished since the
    previous call. An episode is one whole run of the scenario; it terminates when the
    last request is done (truncated is always False).
    """

    metadata = {"render_modes": []}

    def __init__(self, scenario, decision="route", reward=None, text_features=None, expected_output_tokens=256):
        from . import Scenario, load

        if decision not in MECHANISM_OF:
            raise ValueError(f"decision must be one of {sorted(MECHANISM_OF)}, got {decision!r}")
        if not isinstance(scenario, Scenario):
            scenario = load(scenario)
        if scenario.mechanism != MECHANISM_OF[decision]:
            scenario = scenario.with_overrides({"mechanism.name": MECHANISM_OF[decision]})
        self.decision = decision
        self.scenario = scenario
        if text_features is None:
            text_features = 8 if scenario._handle.questions else 0
        self._text_bits = int(text_features)
        self._expected_output = float(expected_output_tokens)
        if reward is None:
            reward = {"quality": 1.0}
        if callable(reward):
            self._reward = reward
        else:
            unknown = set(reward) - set(REWARD_KEYS)
            if unknown:
                raise ValueError(f"reward weights: unknown keys {sorted(unknown)} (known: {list(REWARD_KEYS)})")
            w = {k: float(reward.get(k, 0.0)) for k in REWARD_KEYS}
            self._reward = lambda c: (w["quality"] * c["quality"] - w["cost_usd"] * c["cost_usd"]
                                      - w["latency_s"] * c["latency_s"] - w["energy_j"] * c["energy_j"])
        self.reward_weights = None if callable(reward) else dict(reward)
        self._driver = self._make_driver(scenario)
        n = len(self._driver.names)
        self.observation_space = Box(-np.inf, np.inf, shape=(n,), dtype=np.float64)
        self.action_space = Discrete(2)
        self._done = True

    def _make_driver(self, scenario):
        return _core.EnvDriver(scenario._handle, self.decision, self._text_bits, self._expected_output)

    @property
    def obs_names(self):
        """Name of each observation entry (list of str)."""
        return list(self._driver.names)

    @property
    def obs_units(self):
        """Unit of each observation entry ("tokens", "requests", "s", "bytes/s", "1", ...)."""
        return list(self._driver.units)

    @property
    def categories(self):
        """The quality table's categories, in the order of the category=<c> entries."""
        return list(self._driver.categories)

    @property
    def decisions(self):
        """Decisions taken so far in this episode."""
        return self._driver.decisions

    def _turn(self, t):
        completed = []
        total = 0.0
        for c in t["completed"]:
            c = dict(c)
            c["reward"] = float(self._reward(c))
            total += c["reward"]
            completed.append(c)
        obs = np.asarray(t["obs"], dtype=np.float64) if not t["done"] else np.zeros(self.observation_space.shape)
        info = {"completed": completed, "time_s": t["time_s"]}
        if not t["done"]:
            info["request_id"] = t["request_id"]
            info["category"] = t["category"]
        self._done = t["done"]
        return obs, total, t["done"], info

    def reset(self, seed=None, options=None):
        """Starts an episode (a new run of the scenario) and runs to its first decision.

        seed: run.seed for this and later episodes (default: the scenario's). Returns
        (observation, info); info["completed"] holds requests done before the first decision.
        """
        if seed is not None and int(seed) != self.scenario.seed:
            self.scenario = self.scenario.with_overrides({"run.seed": int(seed)})
            self._driver = self._make_driver(self.scenario)
        if seed is not None:
            self.action_space.seed(seed)
            self.observation_space.seed(seed)
        obs, reward, done, info = self._turn(self._driver.reset())
        info["reward"] = reward
        return obs, info

    def step(self, action):
        """Applies `action` to the pending decision and runs to the next one.

        Returns (observation, reward, terminated, truncated, info): reward sums the rewards
        of the requests completed since the previous call (each in info["completed"]).
        """
        if self._done:
            raise RuntimeError("step() after the episode ended: call reset()")
        if not self.action_space.contains(action):
            raise ValueError(f"action {action!r} is not in {self.action_space}")
        obs, reward, done, info = self._turn(self._driver.step(int(action)))
        return obs, reward, done, False, info

    def result(self):
        """The finished episode's result (the run's HDF5 file, as collabsim.run returns)."""
        image = self._driver.image()
        if not image:
            raise RuntimeError("result(): the episode has not finished")
        summary = {}
        raw = {"summary": {}, "units": {}, "events": 0, "wall_seconds": 0.0, "warnings": [], "image": image,
               "output": None}
        res = Result(self.scenario, raw)
        with res.h5() as f:
            row = f["summary"][()]
            summary = {n: float(row[n][0] if row.shape else row[n]) for n in row.dtype.names}
        res.summary = summary
        return res

    def close(self):
        """Abandons a running episode (its simulation thread ends)."""
        self._driver = None

    def render(self):
        return None
