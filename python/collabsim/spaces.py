"""Minimal Box and Discrete spaces with Gymnasium's interface (gymnasium.spaces), so that
collabsim.CollaborationEnv follows Gymnasium's API without depending on it (gymnasium is
not packaged in Debian). Attribute and method names are Gymnasium's: shape, dtype, n,
low, high, sample(), contains(), seed().
"""

import numpy as np


class Space:
    def __init__(self, shape, dtype, seed=None):
        self.shape = shape
        self.dtype = np.dtype(dtype)
        self.np_random = np.random.default_rng(seed)

    def seed(self, seed=None):
        """Seeds sample()'s generator; returns [seed]."""
        self.np_random = np.random.default_rng(seed)
        return [seed]

    def __contains__(self, x):
        return self.contains(x)


class Discrete(Space):
    """The integers {start, ..., start + n - 1} (gymnasium.spaces.Discrete)."""

    def __init__(self, n, seed=None, start=0):
        if int(n) <= 0:
            raise ValueError("Discrete: n must be positive")
        super().__init__((), np.int64, seed)
        self.n = int(n)
        self.start = int(start)

    def sample(self):
        return int(self.start + self.np_random.integers(self.n))

    def contains(self, x):
        if isinstance(x, (np.generic, np.ndarray)) and (x.shape != () or x.dtype.kind not in "iu"):
            return False
        if not isinstance(x, (int, np.integer)) or isinstance(x, bool):
            return False
        return self.start <= int(x) < self.start + self.n

    def __repr__(self):
        return f"Discrete({self.n})"


class Box(Space):
    """An n-dimensional box low <= x <= high (gymnasium.spaces.Box); bounds may be ±inf."""

    def __init__(self, low, high, shape=None, dtype=np.float64, seed=None):
        low = np.asarray(low, dtype=dtype)
        high = np.asarray(high, dtype=dtype)
        if shape is None:
            shape = np.broadcast(low, high).shape
        super().__init__(tuple(shape), dtype, seed)
        self.low = np.broadcast_to(low, self.shape).astype(dtype)
        self.high = np.broadcast_to(high, self.shape).astype(dtype)

    def sample(self):
        """Uniform where both bounds are finite, else exponential/normal as Gymnasium does."""
        lo, hi = self.low, self.high
        out = np.empty(self.shape, dtype=self.dtype)
        both = np.isfinite(lo) & np.isfinite(hi)
        low_only = np.isfinite(lo) & ~np.isfinite(hi)
        high_only = ~np.isfinite(lo) & np.isfinite(hi)
        neither = ~np.isfinite(lo) & ~np.isfinite(hi)
        out[both] = self.np_random.uniform(lo[both], hi[both])
        out[low_only] = lo[low_only] + self.np_random.exponential(size=low_only.sum())
        out[high_only] = hi[high_only] - self.np_random.exponential(size=high_only.sum())
        out[neither] = self.np_random.normal(size=neither.sum())
        return out

    def contains(self, x):
        x = np.asarray(x)
        if x.shape != self.shape or not np.can_cast(x.dtype, self.dtype):
            return False
        return bool(np.all(x >= self.low) and np.all(x <= self.high))

    def __repr__(self):
        return f"Box({self.shape}, {self.dtype})"
