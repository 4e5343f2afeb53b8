"""Tests of the analysis layer on small synthetic result files with the simulator's layout.

Run: /usr/bin/python3 -m unittest analysis/test_analysis.py (from the repository root).
"""
import csv
import os
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "collabsim_plot.py")


def write_run(path, mechanism, quality, cost, n=600, scale=1.0, energy=0.0):
    """Writes a synthetic run file (n requests, quality share `quality`, cost [USD per 1k]) with the simulator's layout; returns its /summary row."""
    rng = np.random.default_rng(sum(map(ord, mechanism)))
    dt = np.dtype([("request_id", "<u8"), ("query_id", "<i8"), ("arrival_s", "<f8"), ("ttft_s", "<f8"),
                   ("latency_s", "<f8"), ("prompt_tokens", "<i8"), ("output_tokens", "<i8"),
                   ("cost_usd", "<f8"), ("energy_j", "<f8"), ("quality", "<f8"), ("tokens_slm", "<i8"),
                   ("route", "i1"), ("escalated", "u1"), ("status", "i1")])
    rows = np.zeros(n, dtype=dt)
    rows["request_id"] = np.arange(n)
    rows["arrival_s"] = np.sort(rng.uniform(0, 600, n))
    rows["ttft_s"] = rng.exponential(0.3 * scale, n) + 0.01
    rows["latency_s"] = rows["ttft_s"] + rng.exponential(3 * scale, n)
    rows["quality"] = (rng.uniform(size=n) < quality).astype(float)
    rows["cost_usd"] = cost / 1000.0
    summ = np.zeros(1, dtype=[("n_requests", "<i8"), ("quality_mean", "<f8"), ("latency_p50_s", "<f8"),
                              ("latency_p95_s", "<f8"), ("latency_p99_s", "<f8"), ("ttft_p50_s", "<f8"),
                              ("cost_per_1k_usd", "<f8"), ("energy_per_request_j", "<f8"), ("large_share", "<f8")])
    summ["n_requests"] = n
    summ["quality_mean"] = rows["quality"].mean()
    summ["latency_p50_s"] = np.median(rows["latency_s"])
    summ["cost_per_1k_usd"] = cost
    summ["energy_per_request_j"] = energy
    with h5py.File(path, "w") as f:
        f.attrs["mechanism"] = mechanism
        d = f.create_dataset("requests", data=rows)
        d.attrs["units"] = ["1"] * len(dt.names)
        s = f.create_dataset("summary", data=summ)
        s.attrs["units"] = ["1"] * len(summ.dtype.names)
    return summ[0]


class PlotRunsTest(unittest.TestCase):
    """The entry script on synthetic run files."""
    def setUp(self):
        """Makes a temporary folder."""
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        """Removes the temporary folder."""
        self.tmp.cleanup()

    def run_script(self, *args):
        """Runs collabsim_plot.py with args; returns the CompletedProcess."""
        return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True)

    def test_figures_and_summary(self):
        """Figures exist and summary.csv holds each run's quality and cost [USD/1k]."""
        files, want = [], {}
        for mech, q, c in [("small_only", 0.4, 0.0), ("large_only", 0.63, 1.2), ("cascade", 0.58, 0.64)]:
            p = os.path.join(self.dir, f"{mech}.h5")
            want[mech] = write_run(p, mech, q, c)
            files.append(p)
        out = os.path.join(self.dir, "figs")
        res = self.run_script(*files, "-o", out)
        self.assertEqual(res.returncode, 0, res.stderr)
        for name in ("latency_cdf", "ttft_cdf", "cost_quality", "latency_over_time"):
            for ext in ("png", "pdf"):
                path = os.path.join(out, f"{name}.{ext}")
                self.assertTrue(os.path.exists(path), path)
                self.assertGreater(os.path.getsize(path), 1000, path)
        with open(os.path.join(out, "summary.csv")) as fh:
            rows = list(csv.DictReader(fh))
        self.assertEqual([r["mechanism"] for r in rows], ["small_only", "large_only", "cascade"])
        for r in rows:
            self.assertAlmostEqual(float(r["quality"]), want[r["mechanism"]]["quality_mean"], places=9)
            self.assertAlmostEqual(float(r["usd_per_1k"]), want[r["mechanism"]]["cost_per_1k_usd"], places=9)
            self.assertEqual(int(float(r["n"])), 600)
        self.assertIn("summary.csv: 3 rows", res.stdout)  # the table itself is printed by `collabsim run`, once
        self.assertNotIn("usd_per_1k", res.stdout)

    def test_same_mechanism_twice_is_labelled_by_file(self):
        """Two runs of one mechanism are told apart by file stem."""
        a, b = os.path.join(self.dir, "run_a.h5"), os.path.join(self.dir, "run_b.h5")
        write_run(a, "cascade", 0.5, 1.0)
        write_run(b, "cascade", 0.6, 0.5)
        res = self.run_script(a, b, "-o", os.path.join(self.dir, "f"))
        self.assertEqual(res.returncode, 0, res.stderr)
        with open(os.path.join(self.dir, "f", "summary.csv")) as fh:
            self.assertEqual([r["mechanism"] for r in csv.DictReader(fh)], ["run_a", "run_b"])

    def cost_quality_json(self, runs, out="cq"):
        """Writes the runs [(file stem, mechanism, quality, cost, energy)], draws cost_quality
        only, returns its .json."""
        import json
        files = []
        for stem, mech, q, c, e in runs:
            path = os.path.join(self.dir, f"{stem}.h5")
            write_run(path, mech, q, c, energy=e)
            files.append(path)
        res = self.run_script(*files, "-o", os.path.join(self.dir, out), "--only", "cost_quality", "--format", "png")
        self.assertEqual(res.returncode, 0, res.stderr)
        with open(os.path.join(self.dir, out, "cost_quality.json")) as fh:
            return json.load(fh)

    def test_points_below_the_random_mix_are_flagged_and_aiq_is_held_against_random(self):
        """A router whose points lie under the small_only–large_only line is flagged, and its
        AIQ is reported beside the random mix's over the same cost range (Δ < 0); the
        cascade above the line is not flagged (Δ > 0)."""
        d = self.cost_quality_json([("s", "small_only", 0.40, 0.0, 100), ("l", "large_only", 0.64, 1.2, 700),
                                    ("r1", "router", 0.42, 0.3, 200), ("r2", "router", 0.45, 0.9, 500),
                                    ("c1", "cascade", 0.55, 0.3, 250), ("c2", "cascade", 0.62, 0.9, 550)])
        self.assertEqual(d["x"], "cost_per_1k_usd")
        g = d["groups"]
        q = {k: v["points"] for k, v in g.items()}
        self.assertEqual(g["router"]["below_random"], [True, True], q)
        self.assertEqual(g["cascade"]["below_random"], [False, False], q)
        self.assertEqual(len(d["below_random"]), 2)
        self.assertLess(g["router"]["aiq_minus_random"], 0)
        self.assertGreater(g["cascade"]["aiq_minus_random"], 0)
        # the random mix over [0.3, 0.9] is a line: its AIQ is its value at the middle, 0.6
        (c0, q0), (c1, q1) = d["random_mix"]["points"]
        self.assertAlmostEqual(g["cascade"]["aiq_random"], q0 + (q1 - q0) * (0.6 - c0) / (c1 - c0), places=9)

    def test_constant_cost_uses_another_x(self):
        """When every point costs the same, the plane's x is energy per request."""
        d = self.cost_quality_json([("a", "cascade", 0.5, 1.0, 300), ("b", "router", 0.55, 1.0, 400)], out="cq2")
        self.assertEqual(d["x"], "energy_per_request_j")
        self.assertEqual(sorted(x for v in d["groups"].values() for x, _ in v["points"]), [300, 400])

    def test_style_per_mechanism_is_stable_across_figures_and_orders(self):
        """A mechanism has the same colour whatever came first; its variants differ by marker."""
        sys.path.insert(0, HERE)
        import style
        a, b = style.StyleMap(), style.StyleMap()
        a("router"), a("cascade (rate_scale=2)")
        b("cascade"), b("oracle")
        self.assertEqual(a("cascade (rate_scale=2)")["color"], b("cascade")["color"])
        self.assertEqual(a("router")["color"], style.COLOURS[style.MECHANISMS.index("router")])
        self.assertNotEqual(b("cascade")["marker"] + b("cascade")["linestyle"],
                            b("cascade (rate_scale=4)")["marker"] + b("cascade (rate_scale=4)")["linestyle"])
        self.assertEqual(b("scen: cascade")["color"], b("cascade")["color"])
        self.assertNotIn(b("my_policy")["color"], [b(m)["color"] for m in ("cascade", "oracle")])

    def test_not_a_result_fails_with_file_name(self):
        """A non-result or missing file exits 2 naming the file."""
        bad = os.path.join(self.dir, "bad.h5")
        with h5py.File(bad, "w") as f:
            f.create_dataset("x", data=np.arange(3))
        res = self.run_script(bad, "-o", os.path.join(self.dir, "g"))
        self.assertEqual(res.returncode, 2)
        self.assertIn("bad.h5", res.stderr)
        self.assertIn("/requests", res.stderr)
        res = self.run_script(os.path.join(self.dir, "missing.h5"), "-o", os.path.join(self.dir, "g"))
        self.assertEqual(res.returncode, 2)
        self.assertIn("missing.h5", res.stderr)


class StalledRunsTest(unittest.TestCase):
    """fit_serving.stalled(): the model-free criterion that excludes host-bound runs before fitting."""

    # Two model shapes: "m" an 8B-like dense model, "n" a larger one (more of every dimension).
    MODELS = {"m": {"P": 8e9, "L": 32, "H": 32, "kvh": 8, "hd": 128, "bpp": 2.0, "kvb": 2.0},
              "n": {"P": 14e9, "L": 40, "H": 40, "kvh": 8, "hd": 128, "bpp": 2.0, "kvb": 2.0}}

    @staticmethod
    def row(batch, itl_ms, out=600.0, card="m", gpu="G", k=1, task="chat"):
        return {"card": card, "gpu": gpu, "k": k, "batch": float(batch), "out": out, "itl": itl_ms / 1e3,
                "task": task, "model": "x/" + card, "max_num_seqs": int(batch)}

    def setUp(self):
        sys.path.insert(0, HERE)
        import fit_serving
        self.fs = fit_serving

    def stalled(self, rows):
        return self.fs.stalled(rows, self.MODELS)

    def test_affine_gpu_bound_series_has_no_stalled_run(self):
        """t = 5 ms + 0.05 ms per sequence at every batch, and the larger model 20 % slower: nothing is
        flagged."""
        rows = [self.row(b, 5.0 + 0.05 * b) for b in (8, 16, 32, 64, 128, 256, 512)]
        rows += [self.row(b, 1.2 * (5.0 + 0.05 * b), card="n") for b in (8, 64, 512)]
        self.assertEqual(self.stalled(rows), [])

    def test_slower_than_a_run_with_more_work_is_stalled(self):
        """A long-context run at batch 8 (8 x 4,250 = 34,000 context tokens) slower than the chat runs at
        batch 64 (64 x 550 = 35,200) and 128, whose steps decode more sequences over more context
        tokens, is flagged; the witness is the one with the lowest bound, batch 64 (c = 1)."""
        chat = [self.row(b, 5.0 + 0.05 * b) for b in (8, 64, 128)]
        long_ctx = self.row(8, 32.5, out=8000.0, task="gpqa")
        bad = self.stalled(chat + [long_ctx])
        self.assertEqual(len(bad), 1)
        a, witness, c = bad[0]
        self.assertIs(a, long_ctx)
        self.assertEqual(witness["batch"], 64.0)
        self.assertEqual(c, 1.0)

    def test_throughput_falling_with_batch_is_stalled_via_scaling(self):
        """Batch 128 at 26.7 ms after batch 64 at 9.0 ms: two batch-64 steps (c = 2) take 18 ms, so the
        batch-128 run is flagged; within the tolerance (19.5 ms < 1.1 x 18 ms) it is not."""
        base = [self.row(64, 9.0)]
        bad = self.stalled(base + [self.row(128, 26.7)])
        self.assertEqual([(a["batch"], round(c, 3)) for a, _w, c in bad], [(128.0, 2.0)])
        self.assertEqual(self.stalled(base + [self.row(128, 19.5)]), [])

    def test_a_larger_model_is_a_witness_a_smaller_one_is_not(self):
        """The smaller model slower than the larger one at the same batch is flagged (the larger does
        more of every kind of work); the larger one slower than the smaller is not."""
        small_slow, big_fast = self.row(256, 31.7), self.row(256, 21.2, card="n")
        bad = self.stalled([small_slow, big_fast])
        self.assertEqual([(a["card"], w["card"]) for a, w, _c in bad], [("m", "n")])
        self.assertEqual(self.stalled([self.row(256, 21.2), self.row(256, 31.7, card="n")]), [])

    def test_witness_must_share_gpu_and_gpu_count(self):
        """A faster run on another GPU type or GPU count is no witness."""
        slow = self.row(8, 40.0)
        for other in (self.row(128, 10.0, gpu="H"), self.row(128, 10.0, k=2)):
            self.assertEqual(self.stalled([slow, other]), [])

    def test_no_h100_run_is_stalled_and_b200_gpqa_runs_are(self):
        """On ML.ENERGY v3 the criterion keeps every H100 run and flags B200 GPQA runs (host-bound)."""
        if not os.path.exists(self.fs.DATA):
            self.skipTest("shared ML.ENERGY data not present")
        rows = self.fs.read_rows(self.fs.DATA, "lm-arena-chat") + self.fs.read_rows(self.fs.DATA, "gpqa")
        models = {c: self.fs.model(c) for c in {r["card"] for r in rows}}
        bad = self.fs.stalled(rows, models)
        self.assertFalse([a for a, _w, _c in bad if a["gpu"] == "H100"])
        self.assertTrue([a for a, _w, _c in bad if a["gpu"] == "B200" and a["task"] == "gpqa"])


class KvCapacityTest(unittest.TestCase):
    """fit_serving.running(): the closed loop decodes at most the sequences the KV cache holds."""

    M = {"P": 70e9, "L": 80, "H": 64, "kvh": 8, "hd": 128, "bpp": 2.0, "kvb": 2.0}  # Llama-3.1-70B shape
    DEV = {"mem": 180e9}  # one B200

    def setUp(self):
        sys.path.insert(0, HERE)
        import fit_serving
        self.fs = fit_serving

    def row(self, batch, k=2, out=350.0):
        return {"batch": float(batch), "k": k, "out": out}

    def test_cap_is_kv_memory_over_context(self):
        """2 x 180 GB x 0.9 - 140 GB of weights = 184 GB of KV; 327,680 B per token x (250 + 175)
        context tokens per sequence -> 1,321 sequences; a smaller batch is not capped."""
        cap = (0.9 * 360e9 - 140e9) / (327680.0 * 425.0)
        self.assertAlmostEqual(self.fs.running(self.row(2042), self.DEV, self.M), cap, places=6)
        self.assertAlmostEqual(cap, 1321.2, delta=0.1)
        self.assertEqual(self.fs.running(self.row(1021), self.DEV, self.M), 1021.0)

    def test_capped_step_time_stops_growing_with_users(self):
        """Past the cap, more users add no work per step: the step time is that of the cap."""
        lat = [1.0, 0.8, 0.3, 1e-3, 2e-5, 2e-5, 3e-5, 5e-6]
        dev = dict(self.DEV, peak=2.25e15, bw=8e12)
        t = [self.fs.step(self.row(b), lat, dev, self.M) for b in (1000, 1400, 2000, 4000)]
        self.assertLess(t[0], t[1])
        self.assertEqual(t[1], t[2])
        self.assertEqual(t[2], t[3])

    def test_no_h100_row_is_capped(self):
        """ML.ENERGY's largest H100 batches sit under the H100's KV capacity; B200 rows are capped."""
        if not os.path.exists(self.fs.DATA):
            self.skipTest("shared ML.ENERGY data not present")
        rows = self.fs.read_rows(self.fs.DATA, "lm-arena-chat") + self.fs.read_rows(self.fs.DATA, "gpqa")
        models = {c: self.fs.model(c) for c in {r["card"] for r in rows}}
        devs = {g: self.fs.device(c) for g, c in self.fs.GPUS.items()}
        capped = [r for r in rows if self.fs.running(r, devs[r["gpu"]], models[r["card"]]) < r["batch"]]
        self.assertFalse([r for r in capped if r["gpu"] == "H100"])
        self.assertEqual(sorted(round(r["batch"]) for r in capped), [111, 1407, 2042, 2045])


if __name__ == "__main__":
    unittest.main()
