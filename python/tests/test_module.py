"""collabsim.load / run / sweep against the CLI: the same HDF5 bit for bit, the same errors."""

import os
import tempfile
import threading
import unittest

import numpy as np

import collabsim
from common import DEFAULT, SOURCE, assert_same_h5, cli, same_summary

os.chdir(SOURCE)
LIMIT = 400  # requests: a few seconds of the Azure trace, every mechanism step exercised


class RunRoundTrip(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.cli_file = os.path.join(cls.tmp.name, "cli.h5")
        cli("run", DEFAULT, "--set", f"workload.limit={LIMIT}", "--set", "run.seed=7", "--set",
            "run.record_spans=true", "-o", cls.cli_file, "--quiet")
        cls.sc = collabsim.load(DEFAULT, overrides={"workload.limit": LIMIT})
        cls.res = collabsim.run(cls.sc, seed=7, spans=True)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_in_memory_result_equals_cli_file(self):
        """run() in memory, written with Result.write, equals `collabsim run` (all datasets and attributes but 'created')."""
        out = self.res.write(os.path.join(self.tmp.name, "py.h5"))
        assert_same_h5(self, self.cli_file, out)

    def test_run_with_output_equals_cli_file(self):
        """run(output=...) writes the CLI's file."""
        out = os.path.join(self.tmp.name, "py-direct.h5")
        res = collabsim.run(self.sc, seed=7, spans=True, output=out)
        self.assertEqual(res.path, out)
        assert_same_h5(self, self.cli_file, out)

    def test_requests_array(self):
        """.requests is /requests as a structured array, one row per request in id order."""
        req = self.res.requests
        self.assertEqual(req.shape, (LIMIT,))
        for f in ("request_id", "arrival_s", "ttft_s", "latency_s", "quality", "cost_usd", "energy_j", "route"):
            self.assertIn(f, req.dtype.names)
        np.testing.assert_array_equal(req["request_id"], np.arange(LIMIT))
        self.assertAlmostEqual(float(req["quality"].mean()), self.res.summary["quality_mean"], places=12)

    def test_summary_with_interval(self):
        """.summary has the quality mean inside its 95% interval, with units."""
        s = self.res.summary
        self.assertEqual(s["n_requests"], LIMIT)
        self.assertLess(s["quality_ci95_lo"], s["quality_mean"])
        self.assertLess(s["quality_mean"], s["quality_ci95_hi"])
        self.assertEqual(self.res.units["latency_p99_s"], "s")

    def test_spans(self):
        """.spans holds the recorded spans; None when not recorded."""
        sp = self.res.spans
        self.assertGreater(len(sp), LIMIT)
        self.assertTrue(np.all(sp["end_s"] > sp["start_s"]))
        self.assertIsNone(collabsim.run(self.sc, seed=7, spans=False).spans)

    def test_to_pandas(self):
        """.to_pandas() is the same table as a DataFrame."""
        try:
            import pandas  # noqa: F401
        except ImportError:
            self.skipTest("pandas not installed (install-deps.sh installs python3-pandas)")
        df = self.res.to_pandas()
        self.assertEqual(len(df), LIMIT)
        np.testing.assert_array_equal(df["latency_s"].to_numpy(), self.res.requests["latency_s"])

    def test_threads_run_in_parallel_deterministically(self):
        """Two Python threads running the same points give the sequential results (GIL released)."""
        out = [None, None]

        def work(k):
            out[k] = collabsim.run(self.sc, seed=7 + k, requests=False).summary

        threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertTrue(same_summary(out[0], collabsim.run(self.sc, seed=7).summary))
        self.assertTrue(same_summary(out[1], collabsim.run(self.sc, seed=8).summary))
        self.assertNotEqual(out[0]["latency_p50_s"], out[1]["latency_p50_s"])


class SweepRoundTrip(unittest.TestCase):
    def test_sweep_tables_equal_cli(self):
        """sweep() returns the CLI sweep file's /sweep/points and /sweep/aggregate."""
        with tempfile.TemporaryDirectory() as tmp:
            cli_file = os.path.join(tmp, "cli.h5")
            cli("sweep", DEFAULT, "--set", "workload.limit=200", "--grid", "mechanism.cascade.thresholds=0.2,0.8",
                "--seeds", "2", "-j", "1", "-o", cli_file, "--quiet")
            py_file = os.path.join(tmp, "py.h5")
            res = collabsim.sweep(DEFAULT, grid={"mechanism.cascade.thresholds": [0.2, 0.8]}, seeds=2,
                                  overrides={"workload.limit": 200}, output=py_file)
            assert_same_h5(self, cli_file, py_file)
            mem = collabsim.sweep(DEFAULT, grid={"mechanism.cascade.thresholds": "0.2:0.8:0.6"}, seeds=2,
                                  overrides={"workload.limit": 200}, threads=2)
            import h5py

            with h5py.File(cli_file, "r") as f:
                self.assertEqual(mem.points.tobytes(), f["sweep/points"][()].tobytes())
                self.assertEqual(mem.aggregate.tobytes(), f["sweep/aggregate"][()].tobytes())
            self.assertEqual(len(mem.points), 4)
            self.assertEqual(len(mem.aggregate), 2)


class BadInput(unittest.TestCase):
    def test_bad_key_in_file_names_file_line_key(self):
        """A bad value in the file raises InputError with the CLI's message, file, line and key."""
        with tempfile.TemporaryDirectory() as tmp:
            with open(DEFAULT) as f:
                lines = f.read().splitlines()
            line = next(i for i, l in enumerate(lines) if l.startswith("replicas")) + 1
            lines[line - 1] = "replicas = -3"
            bad = os.path.join(tmp, "bad.toml")
            with open(bad, "w") as f:
                f.write("\n".join(lines) + "\n")
            res = cli("run", bad, "--data-dir", os.path.join(SOURCE, "..", "shared", "data"), check=False)
            self.assertEqual(res.returncode, 2)
            with self.assertRaises(collabsim.InputError) as cm:
                collabsim.load(bad, data_dir=os.path.join(SOURCE, "..", "shared", "data"))
            e = cm.exception
            self.assertIsInstance(e, ValueError)
            self.assertEqual(e.file, bad)
            self.assertEqual(e.line, line)
            self.assertIn("replicas", e.key)
            self.assertIn(f"error: {e}", res.stderr)

    def test_bad_override_names_key(self):
        """A bad override raises InputError naming the key, as --set does."""
        with self.assertRaises(collabsim.InputError) as cm:
            collabsim.load(DEFAULT, overrides={"workload.rate_scale": -2.0})
        self.assertEqual(cm.exception.key, "workload.rate_scale")
        res = cli("run", DEFAULT, "--set", "workload.rate_scale=-2.0", check=False)
        self.assertEqual(res.returncode, 2)
        self.assertIn(f"error: {cm.exception}", res.stderr)

    def test_unknown_key_and_missing_file(self):
        """An unknown override key and a missing scenario file raise InputError."""
        with self.assertRaises(collabsim.InputError) as cm:
            collabsim.load(DEFAULT, overrides={"workload.no_such_key": 1})
        self.assertIn("no_such_key", str(cm.exception))
        with self.assertRaises(collabsim.InputError):
            collabsim.load("scenarios/does_not_exist.toml")

    def test_bad_sweep_axis(self):
        """A swept key the run does not use raises InputError."""
        with self.assertRaises(collabsim.InputError) as cm:
            collabsim.sweep(DEFAULT, grid={"mechanism.router.threshold": [0.1, 0.2]}, seeds=1,
                            overrides={"workload.limit": 50})
        self.assertIn("mechanism.router.threshold", str(cm.exception))


if __name__ == "__main__":
    unittest.main()
