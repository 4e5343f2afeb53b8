"""Figures from real collabsim output: runs and sweeps made here with the built binary,
every figure rendered once, the images checked for validity and the plotted numbers (the
.json written next to each figure) checked against the HDF5 data with independent code.

Run: COLLABSIM_BINARY=build/collabsim /usr/bin/python3 -m unittest -v analysis/test_figures.py
(from the repository root; CTest passes the binary it built).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SCRIPT = os.path.join(HERE, "collabsim_plot.py")
sys.path.insert(0, HERE)

import metrics  # noqa: E402

SCEN = os.path.join(ROOT, "scenarios", "edge_cloud_cascade.toml")
SPEC = os.path.join(ROOT, "scenarios", "speculative_edge_cloud.toml")
BASELINES = ["small_only", "large_only", "random", "oracle", "cascade"]
LIMIT = "workload.limit=600"


def find_binary() -> str | None:
    """The collabsim executable: $COLLABSIM_BINARY, else ./build/collabsim (None if neither)."""
    for cand in (os.environ.get("COLLABSIM_BINARY"), os.path.join(ROOT, "build", "collabsim")):
        if cand and os.access(cand, os.X_OK):
            return cand
    return None


def sh(*args, ok=(0,)):
    """Runs a command; fails the test with its output unless the exit status is in ok."""
    res = subprocess.run(list(args), capture_output=True, text=True)
    if res.returncode not in ok:
        raise AssertionError(f"{' '.join(args)} → {res.returncode}\n{res.stdout}\n{res.stderr}")
    return res


# ---------------------------------------------------------------- independent references


def ref_hull(points):
    """Vertices of the non-decreasing upper hull by brute force: a point is a vertex unless
    another point (or a mix of two points) reaches at least its quality at no more cost."""
    pts = sorted(set(map(tuple, points)))
    out = []
    for c, q in pts:
        covered = False
        for c2, q2 in pts:
            if (c2, q2) != (c, q) and c2 <= c and q2 >= q:
                covered = True
        for a in pts:
            for b in pts:
                if a[0] < c < b[0]:
                    qi = a[1] + (b[1] - a[1]) * (c - a[0]) / (b[0] - a[0])
                    if qi >= q - 1e-15:
                        covered = True
        if not covered:
            out.append((c, q))
    return out


def ref_aiq(hull, c_min, c_max, n=200001):
    """AIQ by dense sampling of h (0 before the hull, flat after it) and the trapezoid rule."""
    h = np.array(hull)
    c = np.linspace(c_min, c_max, n)
    v = np.where(c < h[0, 0], 0.0, np.interp(c, h[:, 0], h[:, 1]))
    return float(np.sum(0.5 * (v[1:] + v[:-1]) * np.diff(c)) / (c_max - c_min))


def ref_apgr_cpt(share, q, q_weak, q_strong):
    """(APGR, CPT50, CPT80) written out directly from RouteLLM's definitions."""
    y = (np.asarray(q) - q_weak) / (q_strong - q_weak)
    o = np.lexsort((np.arange(len(share)), share))
    s, y = np.asarray(share)[o], y[o]
    area = 0.0
    for i in range(1, len(s)):
        area += (s[i] - s[i - 1]) * (y[i] + y[i - 1]) / 2
    cpts = []
    for t in (0.5, 0.8):
        val = float("nan")
        for i in range(len(s)):
            if y[i] >= t:
                val = s[i] if i == 0 else s[i - 1] + (t - y[i - 1]) * (s[i] - s[i - 1]) / (y[i] - y[i - 1])
                break
        cpts.append(val)
    return area, cpts[0], cpts[1]


def image_ok(test, path, min_bytes=5000):
    """Checks a PNG or PDF: magic bytes, size and (PNG) pixel dimensions."""
    test.assertTrue(os.path.exists(path), path)
    size = os.path.getsize(path)
    test.assertGreater(size, min_bytes, path)
    with open(path, "rb") as fh:
        head = fh.read(8)
    if path.endswith(".png"):
        test.assertEqual(head, b"\x89PNG\r\n\x1a\n", path)
        import matplotlib.image as mpimg
        img = mpimg.imread(path)
        test.assertGreater(img.shape[0], 250, path)
        test.assertGreater(img.shape[1], 400, path)
        test.assertGreater(float(np.std(img[..., :3])), 0.02, f"{path} looks blank")
    else:
        test.assertEqual(head[:5], b"%PDF-", path)


class FiguresFromSimulator(unittest.TestCase):
    """One set of inputs made with the binary, one rendering, many checks."""

    @classmethod
    def setUpClass(cls):
        """Runs the simulator (5 baseline runs, a cascade threshold sweep over 2 seeds, a
        router sweep with --keep-requests, a speculative γ sweep) and plots everything."""
        cls.bin = find_binary()
        if cls.bin is None:
            raise unittest.SkipTest("collabsim binary not found (set COLLABSIM_BINARY or build ./build)")
        cls.tmp = tempfile.mkdtemp(prefix="collabsim-figs-")
        d = cls.tmp
        cls.runs = {}
        for m in BASELINES:
            p = os.path.join(d, f"{m}.h5")
            spans = ["--set", "run.record_spans=true"] if m == "cascade" else []  # the Gantt figure's input
            sh(cls.bin, "run", SCEN, "--set", f"mechanism.name={m}", "--set", LIMIT, *spans, "-o", p, "--quiet")
            cls.runs[m] = p
        cls.cascade_sweep = os.path.join(d, "cascade_sweep.h5")
        # The phone's context and memory limits are switched off (a named simplification) in
        # this sweep only: with them on, requests beyond Phi-3-mini's 4,096 tokens always go to
        # the LLM, so no threshold reaches large share 0 and the sweep's own PGR endpoints
        # (and with them /sweep/aggregate's APGR) are undefined. The checks below compare
        # the simulator's and the figures' definitions, which need both endpoints.
        sh(cls.bin, "sweep", SCEN, "-o", cls.cascade_sweep, "--grid", "mechanism.cascade.thresholds=0:1:0.25",
           "--grid", "workload.rate_scale=1,2", "--seeds", "2", "--set", LIMIT,
           "--set", "deployments.slm.context_policy=ignore", "--set", "deployments.slm.memory_policy=ignore",
           "-j2", "--quiet")
        cls.router_sweep = os.path.join(d, "router_sweep.h5")
        sh(cls.bin, "sweep", SCEN, "-o", cls.router_sweep, "--grid", "mechanism.router.threshold=0,0.5,1",
           "--set", "mechanism.name=router", "--set", LIMIT, "--seeds", "1", "--keep-requests", "-j2", "--quiet")
        cls.spec_sweep = os.path.join(d, "spec_sweep.h5")
        sh(cls.bin, "sweep", SPEC, "-o", cls.spec_sweep, "--grid", "mechanism.speculative.gamma=1,3,6",
           "--set", "mechanism.speculative.adaptive=false", "--set", "workload.limit=150", "--seeds", "1",
           "--keep-requests", "-j2", "--quiet")
        cls.spec_large = os.path.join(d, "spec_large.h5")
        sh(cls.bin, "run", SPEC, "--set", "mechanism.name=large_only", "--set", "workload.limit=150", "-o",
           cls.spec_large, "--quiet")
        cls.out = os.path.join(d, "figs")
        cls.res = sh(sys.executable, SCRIPT, *cls.runs.values(), cls.cascade_sweep, cls.router_sweep,
                     cls.spec_sweep, cls.spec_large, "-o", cls.out)

    @classmethod
    def tearDownClass(cls):
        """Removes the temporary folder."""
        if getattr(cls, "tmp", None):
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def fig_json(self, name):
        """The plotted numbers of figure `name`."""
        with open(os.path.join(self.out, f"{name}.json")) as fh:
            return json.load(fh)

    def test_every_figure_is_a_valid_image(self):
        """Every figure is a valid PNG and PDF (the Gantt from the cascade run's /spans)."""
        names = ["cost_quality", "pgr", "latency_cdf", "ttft_cdf", "tpot_cdf", "latency_over_time",
                 "sweep_cascade_sweep", "sweep_router_sweep", "sweep_spec_sweep", "energy_cost",
                 "device_timeline", "speculative_speedup", "gantt"]
        for n in names:
            for ext in ("png", "pdf"):
                image_ok(self, os.path.join(self.out, f"{n}.{ext}"))
        self.assertNotIn("skip gantt:", self.res.stdout)

    def test_gantt_rows_add_up_to_each_requests_latency(self):
        """The Gantt draws the first 20 requests of the run with spans; each row's spans (steps
        excluded) start at the request's arrival and add up to its /requests latency."""
        g = self.fig_json("gantt")
        self.assertEqual(g["requests"], list(range(20)))
        with h5py.File(self.runs["cascade"]) as f:
            req = f["requests"][:]
        for q, row in g["per_request"].items():
            r = req[req["request_id"] == int(q)][0]
            self.assertAlmostEqual(row["latency_s"], float(r["latency_s"]))
            self.assertAlmostEqual(row["span_sum_s"], float(r["latency_s"]), places=6)
            self.assertAlmostEqual(row["first_s"], float(r["arrival_s"]), places=6)
        # the default scenario's users ([workload.users]) each have their own phone track in
        # /spans; the figure draws them as one place in one colour, and no two places share a
        # colour (before, phone/user 9 had cloud replica 0's blue)
        self.assertTrue(any(t.startswith("phone/user ") and t.endswith("/slm") for t in g["raw_tracks"]), g["raw_tracks"])
        self.assertIn("phone (each user's own)/slm", g["tracks"])
        self.assertFalse(any(t.startswith("phone/user ") for t in g["tracks"]), g["tracks"])
        self.assertEqual(len(set(g["colours"].values())), len(g["tracks"]), g["colours"])
        self.assertTrue({"prefill", "decode"} <= set(g["kinds"]))

    def test_cost_quality_points_hulls_and_aiq(self):
        """Plotted points are the /summary and /sweep/aggregate values; hulls and AIQ [1] match a brute-force hull and a dense integral."""
        data = self.fig_json("cost_quality")
        # run points are the runs' /summary values
        for m in ("small_only", "large_only", "oracle"):
            with h5py.File(self.runs[m]) as f:
                s = f["summary"][0]
            # large_only is also in the speculative scenario's inputs: named with its scenario
            key = f"edge_cloud_cascade: {m}" if m == "large_only" else m
            self.assertEqual(data["groups"][key]["points"], [[float(s["cost_per_1k_usd"]), float(s["quality_mean"])]])
        # sweep points are /sweep/aggregate means, one series per rate_scale
        with h5py.File(self.cascade_sweep) as f:
            agg = f["sweep/aggregate"][...]
        for rs in (1, 2):
            g = data["groups"][f"cascade (rate_scale={rs})"]
            rows = agg[agg["workload.rate_scale"] == rs]
            want = sorted(zip(rows["cost_per_1k_usd_mean"].tolist(), rows["quality_mean_mean"].tolist()))
            self.assertEqual(sorted(map(tuple, g["points"])), want)
            ref = ref_hull(want)
            np.testing.assert_allclose(np.array(g["hull"]), np.array(ref), rtol=0, atol=1e-12)
            lo, hi = min(c for c, _ in want), max(c for c, _ in want)
            self.assertEqual(g["cost_range"], [lo, hi])
            self.assertAlmostEqual(g["aiq"], ref_aiq(ref, lo, hi), places=5)
        mix = sorted(data["random_mix"]["points"])
        self.assertAlmostEqual(data["random_mix"]["aiq"], (mix[0][1] + mix[1][1]) / 2, places=12)
        self.assertTrue(np.isnan(data["groups"]["oracle"]["aiq"]))  # a single point has no AIQ

    def test_pgr_apgr_cpt_against_sweep(self):
        """q_weak/q_strong, APGR, CPT(50/80%) and the per-seed APGR interval match RouteLLM's definitions applied to the sweep file."""
        data = self.fig_json("pgr")
        with h5py.File(self.cascade_sweep) as f:
            agg = f["sweep/aggregate"][...]
            pts = f["sweep/points"][...]
        for rs in (1, 2):
            g = data[f"cascade (rate_scale={rs})"]
            rows = agg[agg["workload.rate_scale"] == rs]
            share, q = rows["large_share_mean"], rows["quality_mean_mean"]
            qw, qs = float(q[share == 0].mean()), float(q[share == 1].mean())
            self.assertAlmostEqual(g["q_weak"], qw, places=12)
            self.assertAlmostEqual(g["q_strong"], qs, places=12)
            a, c50, c80 = ref_apgr_cpt(share, q, qw, qs)
            self.assertAlmostEqual(g["apgr"], a, places=12)
            self.assertAlmostEqual(g["cpt50"], c50, places=12)
            self.assertAlmostEqual(g["cpt80"], c80, places=12)
            o = np.argsort(share, kind="stable")
            np.testing.assert_allclose(g["pgr_lo"], ((rows["quality_mean_ci95_lo"] - qw) / (qs - qw))[o], atol=1e-12)
            # per-seed APGR and its interval
            per_seed = []
            for k in range(2):
                sel = (pts["workload.rate_scale"] == rs) & (pts["seed_index"] == k)
                s_k, q_k = pts["large_share"][sel], pts["quality_mean"][sel]
                per_seed.append(ref_apgr_cpt(s_k, q_k, q_k[s_k == 0].mean(), q_k[s_k == 1].mean())[0])
            np.testing.assert_allclose(g["apgr_seeds"], per_seed, atol=1e-12)
            half = 12.706 * np.std(per_seed, ddof=1) / np.sqrt(2)
            np.testing.assert_allclose(g["apgr_ci"], [np.mean(per_seed) - half, np.mean(per_seed) + half], atol=1e-12)
        self.assertIn("router", " ".join(data))
        # The anchors APGR adds are drawn (dotted): none where the series has points at share 0
        # and 1 (this cascade sweep), (0, 0) → its first point where it starts above 0 (the
        # router with the context limit on: long prompts always go to the LLM).
        self.assertEqual(data["cascade (rate_scale=1)"]["anchors"], [])
        router = [g for k, g in data.items() if k.startswith("router")]
        self.assertEqual(len(router), 1, list(data))
        g = router[0]
        self.assertGreater(g["shares"][0], 0)
        self.assertEqual(g["anchors"][0], [[0.0, 0.0], [g["shares"][0], g["pgr"][0]]])

    def test_sweep_file_tradeoff_metrics_match_the_figures(self):
        """The simulator's own APGR, CPT(50/80%), AIQ, PGR and q_weak/q_strong in /sweep/aggregate
        (sim/study/tradeoff.cpp) equal the values the PGR and cost–quality figures compute."""
        pgr = self.fig_json("pgr")
        cq = self.fig_json("cost_quality")
        with h5py.File(self.cascade_sweep) as f:
            agg = f["sweep/aggregate"][...]
        for rs in (1, 2):
            name = f"cascade (rate_scale={rs})"
            rows = agg[agg["workload.rate_scale"] == rs]
            self.assertEqual({r.decode() for r in rows["series_name"]}, {f"cascade (workload.rate_scale={rs})"})
            self.assertEqual(len(set(rows["series"].tolist())), 1)
            g = pgr[name]
            for col, key in (("series_apgr", "apgr"), ("series_cpt50", "cpt50"), ("series_cpt80", "cpt80"),
                             ("series_q_weak", "q_weak"), ("series_q_strong", "q_strong")):
                self.assertTrue(np.all(np.isfinite(rows[col])), col)
                np.testing.assert_allclose(rows[col], g[key], rtol=0, atol=1e-12, err_msg=col)
            np.testing.assert_allclose(rows["series_apgr_ci95_lo"], g["apgr_ci"][0], atol=1e-9)
            np.testing.assert_allclose(rows["series_apgr_ci95_hi"], g["apgr_ci"][1], atol=1e-9)
            o = np.argsort(rows["large_share_mean"], kind="stable")
            np.testing.assert_allclose(rows["pgr"][o], g["pgr"], atol=1e-12)
            np.testing.assert_allclose(rows["series_aiq"], cq["groups"][name]["aiq"], rtol=0, atol=1e-12)

    def test_cdf_quantiles_are_numpy_percentiles(self):
        """Quantiles [s] read off the plotted CDFs equal numpy's inverted_cdf percentiles of the requests."""
        lat = self.fig_json("latency_cdf")
        tpot = self.fig_json("tpot_cdf")
        for m in BASELINES:
            with h5py.File(self.runs[m]) as f:
                r = f["requests"][...]
                summ = f["summary"][0]
            ok = r["status"] == 0
            for q, v in lat[m]["quantiles"].items():
                self.assertAlmostEqual(v, float(np.percentile(r["latency_s"][ok], 100 * float(q),
                                                              method="inverted_cdf")), places=12)
            self.assertLess(abs(lat[m]["quantiles"]["0.5"] - summ["latency_p50_s"]), 0.02 * summ["latency_p50_s"] + 0.05)
            t = r["tpot_s"][ok]
            t = t[np.isfinite(t) & (t > 0)]
            self.assertEqual(tpot[m]["n"], len(t))
            # a curve over part of the requests says so in its legend entry
            self.assertEqual(tpot[m]["legend"], m if len(t) == ok.sum() else f"{m} ({len(t):,} of {ok.sum():,})")
            self.assertAlmostEqual(tpot[m]["quantiles"]["0.99"], float(np.percentile(t, 99, method="inverted_cdf")))
        self.assertIn(" of ", tpot["cascade"]["legend"])  # accepted SLM answers come in one piece
        # sweep points with --keep-requests have their own curves
        with h5py.File(self.router_sweep) as f:
            r = f["sweep/runs/p000001/requests"][...]
        key = [k for k in lat if k.startswith("router") and "threshold=0.5" in k]
        self.assertEqual(len(key), 1, list(lat))
        self.assertAlmostEqual(lat[key[0]]["quantiles"]["0.9"],
                               float(np.percentile(r["latency_s"][r["status"] == 0], 90, method="inverted_cdf")))

    def test_sweep_figure_plots_aggregate_with_bands(self):
        """The sweep figure plots /sweep/aggregate means and 95% bounds [s] against the threshold."""
        data = self.fig_json("sweep_cascade_sweep")
        self.assertEqual(data["x"], "mechanism.cascade.thresholds")
        with h5py.File(self.cascade_sweep) as f:
            agg = f["sweep/aggregate"][...]
        rows = agg[agg["workload.rate_scale"] == 2]
        s = data["series"]["rate_scale=2"]["latency_p99_s"]
        np.testing.assert_allclose(s["x"], rows["mechanism.cascade.thresholds"])
        np.testing.assert_allclose(s["y"], rows["latency_p99_s_mean"])
        np.testing.assert_allclose(s["lo"], rows["latency_p99_s_ci95_lo"])
        np.testing.assert_allclose(s["hi"], rows["latency_p99_s_ci95_hi"])

    def test_energy_parts_add_up_and_cost_split(self):
        """Energy segments [J/request] add up to energy_per_request_j; token-priced cost is all API tokens."""
        data = self.fig_json("energy_cost")
        for m in BASELINES:
            with h5py.File(self.runs[m]) as f:
                s = f["summary"][0]
                r = f["requests"][...]
            e = data[m]
            self.assertAlmostEqual(sum(e["energy_parts_j"].values()), float(s["energy_per_request_j"]),
                                   delta=1e-9 * max(1.0, float(s["energy_per_request_j"])))
            self.assertAlmostEqual(e["energy_parts_j"]["radio"], float(np.mean(r["energy_radio_j"])))
            # the default scenario prices tokens only (cloud at 0 USD/h): all cost is API tokens
            self.assertEqual(list(e["cost_split_usd_per_1k"]), ["API tokens"])
            self.assertAlmostEqual(e["cost_split_usd_per_1k"]["API tokens"], float(s["cost_per_1k_usd"]))
            # bar top = average energy (attributed + the pools' idle/cold-start/standby); ◆ = marginal
            with h5py.File(self.runs[m]) as f:
                cloud = f["devices/cloud/summary"][0]
            top = sum(e["energy_parts_j"].values()) + sum(e["idle_j"].values())
            self.assertAlmostEqual(top, float(s["energy_average_per_request_j"]), delta=1e-9 * top)
            self.assertAlmostEqual(e["marginal_j"], float(s["energy_marginal_per_request_j"]))
            # the label is the attributed energy; where the idle part shows, the bar top (average) too
            label = e["bar_label"].split("\n")
            self.assertEqual(label[0], f"{float(s['energy_per_request_j']):.0f}")
            if top - float(s["energy_per_request_j"]) > 0.02 * float(s["energy_per_request_j"]):
                self.assertEqual(label[1], f"(avg {top:.0f})")
            else:
                self.assertEqual(len(label), 1, e["bar_label"])
            self.assertAlmostEqual(e["pools"]["cloud"]["batch_occupancy"], float(cloud["batch_occupancy"]))
            self.assertEqual(e["pools"]["cloud"]["batch_capacity"], 256)  # deployments.llm.max_batch
        # The reason on the figure names the fixed cloud pool, its busy share and batch, and
        # says why its energy barely follows its traffic.
        self.assertIn("(avg ", data["small_only"]["bar_label"])  # the idle cloud pool outweighs the phone
        reason = " ".join(data["reason"].split())  # wrapped on the figure
        self.assertIn("cloud (fixed ×2, 256 sequence slots per replica)", reason)
        self.assertIn("large_only busy", reason)
        self.assertIn("draws about the same power whatever traffic it gets", reason)
        self.assertNotIn("small_only busy", reason)  # never served on the cloud

    def test_device_timeline_utilisation(self):
        """Mean utilisation [1] is busy_replicas / replicas; an idle device's run is left out."""
        data = self.fig_json("device_timeline")
        with h5py.File(self.runs["large_only"]) as f:
            tl = f["devices/cloud/timeline"][...]
        self.assertAlmostEqual(data["devices"]["cloud"]["large_only"]["util"]["mean"], float(np.mean(tl["busy_replicas"] / 2)))
        # batch share beside "busy": running sequences / (max_batch 256 × 2 replicas)
        self.assertAlmostEqual(data["devices"]["cloud"]["large_only"]["batch_share"]["mean"],
                               float(np.mean(tl["running"] / 512)))
        self.assertLess(data["devices"]["cloud"]["large_only"]["batch_share"]["mean"],
                        data["devices"]["cloud"]["large_only"]["util"]["mean"])
        self.assertNotIn("small_only", data["devices"]["cloud"])  # never busy: left out
        self.assertGreater(data["window_s"], 0)

    def test_speculative_speedup_and_leviathan(self):
        """Measured speed-up [1] is large_only / speculative p50 latency; the curve is Leviathan's formula at the mean measured alpha."""
        data = self.fig_json("speculative_speedup")
        with h5py.File(self.spec_large) as f:
            L = float(f["summary"][0]["latency_p50_s"])
        with h5py.File(self.spec_sweep) as f:
            agg = f["sweep/aggregate"][...]
            alphas = [float(f[f"sweep/runs/p{i:06d}/mechanism"][0]["acceptance_rate"]) for i in range(3)]
        np.testing.assert_allclose(data["gamma"], [1, 3, 6])
        np.testing.assert_allclose(data["speedup"], L / agg["latency_p50_s_mean"])
        self.assertAlmostEqual(data["alpha"], float(np.mean(alphas)))
        a, c = data["alpha"], data["c"]
        g = np.array([1, 3, 6])
        np.testing.assert_allclose(data["leviathan_at_gamma"], (1 - a ** (g + 1)) / ((1 - a) * (g * c + 1)))
        self.assertIn("assumed", data["c_source"])  # no small_only run of that scenario was given

    def test_summary_csv_has_runs_and_sweep_points(self):
        """summary.csv has one row per run and per sweep combination."""
        with open(os.path.join(self.out, "summary.csv")) as fh:
            lines = fh.read().splitlines()
        self.assertEqual(len(lines), 1 + 5 + 10 + 3 + 3 + 1)


class CommandLine(unittest.TestCase):
    """`collabsim plot` and the script's handling of bad input."""

    @classmethod
    def setUpClass(cls):
        """Makes one small run file."""
        cls.bin = find_binary()
        if cls.bin is None:
            raise unittest.SkipTest("collabsim binary not found")
        cls.tmp = tempfile.mkdtemp(prefix="collabsim-plotcli-")
        cls.run_file = os.path.join(cls.tmp, "large_only.h5")
        sh(cls.bin, "run", SCEN, "--set", "mechanism.name=large_only", "--set", "workload.limit=300", "-o", cls.run_file,
           "--quiet")

    @classmethod
    def tearDownClass(cls):
        """Removes the temporary folder."""
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_plot_subcommand_draws_and_skips_with_reasons(self):
        """`collabsim plot` draws the requested figures in the requested format and skips those the input cannot make."""
        out = os.path.join(self.tmp, "a")
        res = sh(self.bin, "plot", self.run_file, "-o", out, "--format", "png", "--only", "cost_quality,pgr,latency_cdf")
        image_ok(self, os.path.join(out, "cost_quality.png"))
        image_ok(self, os.path.join(out, "latency_cdf.png"))
        self.assertFalse(os.path.exists(os.path.join(out, "cost_quality.pdf")))
        self.assertIn("skip pgr:", res.stdout)  # one run: no threshold curve, and no empty axes
        self.assertFalse(os.path.exists(os.path.join(out, "pgr.png")))

    def test_bad_inputs_exit_2_naming_the_file(self):
        """Missing, non-HDF5 and non-collabsim files, unknown figures and metrics exit 2 naming them."""
        text = os.path.join(self.tmp, "notes.h5")
        with open(text, "w") as fh:
            fh.write("not hdf5\n")
        other = os.path.join(self.tmp, "other.h5")
        with h5py.File(other, "w") as f:
            f.create_dataset("x", data=np.arange(3))
        for bad, words in ((os.path.join(self.tmp, "missing.h5"), "missing.h5"), (text, "notes.h5"),
                           (other, "other.h5")):
            res = sh(self.bin, "plot", bad, "-o", os.path.join(self.tmp, "b"), ok=(2,))
            self.assertIn(words, res.stderr)
        res = sh(self.bin, "plot", self.run_file, "-o", os.path.join(self.tmp, "c"), "--only", "nope", ok=(2,))
        self.assertIn("nope", res.stderr)
        res = sh(self.bin, "plot", self.run_file, "-o", os.path.join(self.tmp, "c"), "--y", "latency_p42_s", ok=(2,))
        self.assertIn("latency_p42_s", res.stderr)
        res = sh(self.bin, "plot", "-o", os.path.join(self.tmp, "c"), ok=(2,))  # no file: CLI11 usage error

    def test_gantt_hook_draws_spans_when_present(self):
        """A hand-made /spans table in the documented layout (other kinds, unsigned ids) is drawn too."""
        path = os.path.join(self.tmp, "with_spans.h5")
        shutil.copy(self.run_file, path)
        dt = np.dtype([("request_id", "<u8"), ("track", "S16"), ("kind", "S8"), ("start_s", "<f8"), ("end_s", "<f8")])
        spans = np.array([(0, b"cloud/0", b"prefill", 0.0, 0.2), (0, b"cloud/0", b"decode", 0.2, 1.5),
                          (1, b"cellular/up", b"transfer", 0.3, 0.35), (1, b"cloud/1", b"decode", 0.4, 2.0)], dtype=dt)
        with h5py.File(path, "a") as f:
            f.create_dataset("spans", data=spans)
        out = os.path.join(self.tmp, "g")
        sh(sys.executable, SCRIPT, path, "-o", out, "--only", "gantt", "--format", "png")
        image_ok(self, os.path.join(out, "gantt.png"), min_bytes=3000)


class Metrics(unittest.TestCase):
    """The metric functions on hand-computed cases."""

    def test_hull_and_aiq(self):
        """Hull vertices and AIQ [1] on hand-computed points."""
        h = metrics.nondecreasing_hull([0, 0.5, 1, 0.6, 1.2, 1.5], [0.4, 0.55, 0.6, 0.5, 0.62, 0.61])
        np.testing.assert_allclose(h, [[0, 0.4], [0.5, 0.55], [1.2, 0.62]])
        self.assertAlmostEqual(metrics.aiq(h, 0, 1.5), ((0.4 + 0.55) / 2 * 0.5 + (0.55 + 0.62) / 2 * 0.7 + 0.62 * 0.3) / 1.5)
        # a hull starting above c_min counts 0 below its cheapest point
        self.assertAlmostEqual(metrics.aiq(np.array([[1.0, 0.5], [2.0, 0.7]]), 0, 2), (0.6 * 1) / 2)
        self.assertTrue(np.isnan(metrics.aiq(np.array([[1.0, 0.5]]), 0, 2)))

    def test_apgr_cpt(self):
        """APGR and CPT [1] on hand-computed curves, with anchors and the not-reached case."""
        self.assertAlmostEqual(metrics.apgr([0, 1], [0, 1]), 0.5)
        self.assertAlmostEqual(metrics.apgr([0.5], [0.8]), 0.5 * 0.8 / 2 + 0.5 * 1.8 / 2)  # anchors added
        self.assertAlmostEqual(metrics.cpt([0, 0.5, 1], [0, 0.8, 1], 0.5), 0.3125)
        self.assertAlmostEqual(metrics.cpt([0, 0.5, 1], [0, 0.8, 1], 0.8), 0.5)
        self.assertTrue(np.isnan(metrics.cpt([0, 0.5, 1], [0, 0.3, 0.6], 0.8)))
        self.assertEqual(metrics.cpt_step([0, 0.5, 1], [0, 0.8, 1], 0.5), 0.5)
        self.assertEqual(metrics.cpt_step([0, 0.5, 1], [0, 0.3, 0.6], 0.8), 1.0)

    def test_leviathan(self):
        """Leviathan's tokens per round and speed-up at known values."""
        self.assertAlmostEqual(float(metrics.leviathan_tokens_per_round(1.0, 4)), 5.0)
        self.assertAlmostEqual(float(metrics.leviathan_speedup(0.7, 4, 0.05)), (1 - 0.7 ** 5) / (0.3 * 1.2))

    def test_rolling_mean_and_ecdf(self):
        """Trailing rolling mean over a window [s] and ECDF quantile read-off."""
        np.testing.assert_allclose(metrics.rolling_mean([0, 1, 2, 3], [0, 2, 4, 6], 2.0), [0, 1, 3, 5])
        x, y = metrics.ecdf([3.0, 1.0, 2.0, np.nan])
        self.assertEqual(metrics.ecdf_quantile(x, y, 0.5), 2.0)
        self.assertEqual(metrics.ecdf_quantile(x, y, 0.99), 3.0)


if __name__ == "__main__":
    unittest.main()
