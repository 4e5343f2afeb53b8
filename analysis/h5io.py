"""Reading collabsim result files (HDF5) — run files and sweep files — into plain dicts.

Layout: docs/HDF5.md. A run file (root attribute file_kind = "run") has /requests,
/summary, /mechanism, /devices/<d>/{summary,timeline}, /links/<l>/timeline (and /spans
once span recording exists). A sweep file (file_kind = "sweep") has /sweep/points (one
row per point = combination × seed), /sweep/aggregate (one row per combination, with
<m>_mean/_sd/_ci95_lo/_ci95_hi) and, with --keep-requests, /sweep/runs/p<NNNNNN> groups
laid out like run files.

Everything the figures use is turned into *points*: one dict per run, or per sweep
combination (its seeds averaged), with

  kind       "run" or "sweep"
  path       the file; source: its stem
  mechanism  mechanism name (root attribute, swept mechanism.name, --set, or the scenario)
  params     {key: value} for --label-by / --color-by: root attributes, swept axes,
             "mechanism", "file", and every scalar of the effective scenario by key path
  axes       {swept key path: value} (sweep points only)
  summary    {metric: value} (/summary row; for sweep points the mean over seeds)
  ci         {metric: (lo, hi)} 95 % interval over seeds (sweep points, n_seeds ≥ 2)
  seeds      list of per-seed summary dicts (sweep points)
  runs       list of run dicts (requests, timelines, ...) — a run's own data, or a sweep
             point's kept runs (--keep-requests); empty when the sweep kept none
  scenario   effective scenario as a nested dict (TOML)
"""
from __future__ import annotations

import os
import tomllib

import h5py
import numpy as np


class NotAResult(Exception):
    """The file is missing or is not a collabsim result (run or sweep file)."""


def _s(v):
    """Decodes bytes (HDF5 strings) to str; numpy scalars to Python scalars."""
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, np.generic):
        return v.item()
    return v


def _row(ds) -> dict:
    """First row of a compound dataset as {field: Python value}."""
    data = ds[0]
    return {name: _s(data[name]) for name in ds.dtype.names}


def _units(ds) -> dict:
    """{field: unit string} from a compound dataset's `units` attribute (empty if absent)."""
    if "units" not in ds.attrs:
        return {}
    return {n: _s(u) for n, u in zip(ds.dtype.names, ds.attrs["units"])}


def _columns(ds) -> dict:
    """A compound dataset as {field: numpy array}."""
    arr = ds[...]
    return {n: np.asarray(arr[n]) for n in arr.dtype.names}


def _open(path: str):
    """Opens path read-only, raising NotAResult (naming the file) when missing or not HDF5."""
    if not os.path.exists(path):
        raise NotAResult(f"{path}: no such file")
    if os.path.isdir(path):
        raise NotAResult(f"{path}: is a folder, not a result file")
    try:
        return h5py.File(path, "r")
    except OSError as e:
        raise NotAResult(f"{path}: not an HDF5 file ({e})") from e


def _read_run_group(g, path: str, attrs: dict) -> dict:
    """Reads one run's datasets from group g (a run file's root or /sweep/runs/p<N>)."""
    for need in ("requests", "summary"):
        if need not in g:
            raise NotAResult(f"{path}: not a collabsim result (no /{need} dataset)")
    devices, timelines, links = {}, {}, {}
    if "devices" in g:
        for k, v in g["devices"].items():
            if isinstance(v, h5py.Group):
                if "summary" in v:
                    devices[k] = _row(v["summary"])
                if "timeline" in v and v["timeline"].shape[0] > 0:
                    timelines[k] = _columns(v["timeline"])
    if "links" in g:
        for k, v in g["links"].items():
            if isinstance(v, h5py.Group) and "timeline" in v and v["timeline"].shape[0] > 0:
                links[k] = _columns(v["timeline"])
    return {
        "path": path,
        "attrs": attrs,
        "requests": _columns(g["requests"]),
        "units": _units(g["requests"]),
        "summary": _row(g["summary"]),
        "devices": devices,
        "timelines": timelines,
        "links": links,
        "mechanism": _row(g["mechanism"]) if "mechanism" in g and g["mechanism"].shape[0] > 0 else {},
        # Hook for the Gantt figure: /spans (run.record_spans = true) read as columns when present.
        "spans": _columns(g["spans"]) if "spans" in g and isinstance(g["spans"], h5py.Dataset) else None,
    }


def load_run(path: str) -> dict:
    """Reads a run file. Returns {'path', 'label', 'attrs', 'requests': {field: array},
    'units', 'summary', 'devices', 'timelines', 'links', 'mechanism', 'spans'}.
    Raises NotAResult naming the file and what is missing."""
    with _open(path) as f:
        attrs = {k: _s(v) for k, v in f.attrs.items()}
        if attrs.get("file_kind") == "sweep":
            raise NotAResult(f"{path}: a sweep file, not a run file (use load())")
        run = _read_run_group(f, path, attrs)
    run["label"] = attrs.get("mechanism", stem(path))
    return run


def stem(path: str) -> str:
    """File name without folder and extension."""
    return os.path.splitext(os.path.basename(path))[0]


def unique_labels(runs: list[dict]) -> None:
    """Makes labels unique: a label used twice is replaced by the file stem (and, if that is
    still not unique, by stem:label)."""
    for key in ("stem", "both"):
        seen: dict[str, int] = {}
        for r in runs:
            seen[r["label"]] = seen.get(r["label"], 0) + 1
        if all(n == 1 for n in seen.values()):
            return
        for r in runs:
            if seen[r["label"]] > 1:
                s = stem(r["path"])
                r["label"] = s if key == "stem" else f"{s}:{r.get('mechanism', r['label'])}"


# ---------------------------------------------------------------------------- scenarios


def parse_toml(text: str) -> dict:
    """Parses scenario TOML text; {} when empty or unparsable."""
    try:
        return tomllib.loads(text or "")
    except tomllib.TOMLDecodeError:
        return {}


def toml_value(text: str):
    """A --set / axis value as TOML would read it ('0.5' → 0.5, '[0.5]' → [0.5]); the
    text itself when it is not a TOML value (a bare name such as cascade)."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def set_path(tree: dict, key: str, value) -> None:
    """Sets tree[a][b][c] = value for key 'a.b.c', creating tables on the way."""
    parts = key.split(".")
    node = tree
    for p in parts[:-1]:
        nxt = node.get(p)
        if not isinstance(nxt, dict):
            nxt = {}
            node[p] = nxt
        node = nxt
    node[parts[-1]] = value


def get_path(tree: dict, key: str, default=None):
    """tree[a][b][c] for key 'a.b.c', or default."""
    node = tree
    for p in key.split("."):
        if not isinstance(node, dict) or p not in node:
            return default
        node = node[p]
    return node


def flatten(tree: dict, prefix: str = "") -> dict:
    """{'a.b.c': value} for every scalar (and array) leaf of a nested dict."""
    out = {}
    for k, v in tree.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


def manifest_sets(manifest: str) -> list[tuple[str, str]]:
    """The --set overrides recorded in a sweep manifest (one 'set = key=value' line each) as
    (key, value text) pairs, in order."""
    out = []
    for line in (manifest or "").splitlines():
        if line.startswith("set = ") and "=" in line[len("set = "):]:
            k, v = line[len("set = "):].split("=", 1)
            out.append((k.strip(), v.strip()))
    return out


# ---------------------------------------------------------------------------- points


def _run_point(run: dict) -> dict:
    """The point of one run file."""
    attrs = run["attrs"]
    scenario = parse_toml(attrs.get("scenario", ""))
    mech = attrs.get("mechanism") or get_path(scenario, "mechanism.name", "?")
    params = {f"scenario.{k}" if k in attrs else k: v for k, v in flatten(scenario).items()}
    params.update({k: v for k, v in attrs.items() if not isinstance(v, np.ndarray) and k != "scenario"
                   and k != "scenario_source"})
    params["mechanism"] = mech
    params["file"] = stem(run["path"])
    return {
        "kind": "run", "path": run["path"], "source": stem(run["path"]), "mechanism": mech,
        "label": mech, "params": params, "axes": {}, "summary": dict(run["summary"]), "ci": {},
        "seeds": [dict(run["summary"])], "n_seeds": 1, "runs": [run], "scenario": scenario,
        "units": run["units"],
    }


def load_sweep(path: str) -> dict:
    """Reads a sweep file. Returns {'kind': 'sweep', 'path', 'attrs', 'axes': [key paths],
    'seeds', 'points': {field: array} (/sweep/points), 'aggregate': {field: array},
    'scenario': the scenario with the manifest's --set overrides, 'combos': [point dicts]}.
    Raises NotAResult naming the file."""
    with _open(path) as f:
        attrs = {k: _s(v) for k, v in f.attrs.items()}
        if attrs.get("file_kind") != "sweep" or "sweep" not in f or "points" not in f["sweep"]:
            raise NotAResult(f"{path}: not a collabsim sweep file (no /sweep/points)")
        pts = _columns(f["sweep/points"])
        agg = _columns(f["sweep/aggregate"]) if "aggregate" in f["sweep"] else {}
        kept = {}
        if "runs" in f["sweep"]:
            for name, g in f["sweep/runs"].items():
                if isinstance(g, h5py.Group) and name.startswith("p"):
                    try:
                        kept[int(name[1:])] = _read_run_group(g, f"{path}:/sweep/runs/{name}", attrs)
                    except NotAResult:
                        pass
    for k, v in list(pts.items()):
        if v.dtype.kind == "S":
            pts[k] = np.array([_s(x) for x in v], dtype=object)
    for k, v in list(agg.items()):
        if v.dtype.kind == "S":
            agg[k] = np.array([_s(x) for x in v], dtype=object)
    axes = [a for a in str(attrs.get("sweep_axes", "")).splitlines() if a.strip()]
    seeds = int(attrs.get("seeds", 1))
    base = parse_toml(attrs.get("scenario_source", ""))
    for k, v in manifest_sets(attrs.get("sweep_manifest", "")):
        set_path(base, k, toml_value(v))
    sweep = {"kind": "sweep", "path": path, "attrs": attrs, "axes": axes, "seeds": seeds,
             "points": pts, "aggregate": agg, "scenario": base, "kept": kept}
    sweep["combos"] = _sweep_combos(sweep)
    return sweep


def _sweep_combos(sweep: dict) -> list[dict]:
    """One point dict per parameter combination of a sweep (only combinations with ≥ 1 ok seed)."""
    pts, agg, axes = sweep["points"], sweep["aggregate"], sweep["axes"]
    path = sweep["path"]
    combos = []
    combo_ids = np.unique(pts["combo"]) if "combo" in pts else []
    agg_index = {int(c): i for i, c in enumerate(agg.get("combo", []))}
    metric_names = [n[:-5] for n in agg if n.endswith("_mean") and f"{n[:-5]}_sd" in agg]
    skip = {"point", "combo", "seed_index", "seed", "status", "error", "calibrated_value", *axes}
    point_metrics = [n for n in pts if n not in skip]
    for c in combo_ids:
        rows = np.nonzero((pts["combo"] == c) & (pts["status"] == 0))[0]
        if len(rows) == 0:
            continue
        first = rows[0]
        axis_values = {a: _s(pts[a][first]) for a in axes}
        scenario = _deep_copy(sweep["scenario"])
        for a, v in axis_values.items():
            set_path(scenario, a, toml_value(v) if isinstance(v, str) else v)
        mech = get_path(scenario, "mechanism.name", "?")
        seeds = [{m: _s(pts[m][r]) for m in point_metrics} for r in rows]
        for s, r in zip(seeds, rows):
            s["seed"] = int(pts["seed"][r])
            s["point"] = int(pts["point"][r])
            cv = pts.get("calibrated_value")
            s["calibrated_value"] = float(cv[r]) if cv is not None else float("nan")
        summary, ci = {}, {}
        if int(c) in agg_index:
            i = agg_index[int(c)]
            for m in metric_names:
                summary[m] = _s(agg[f"{m}_mean"][i])
                lo, hi = agg.get(f"{m}_ci95_lo"), agg.get(f"{m}_ci95_hi")
                if lo is not None and np.isfinite(lo[i]) and np.isfinite(hi[i]):
                    ci[m] = (float(lo[i]), float(hi[i]))
            n_seeds = int(agg["n_seeds"][i]) if "n_seeds" in agg else len(rows)
        else:
            for m in point_metrics:
                vals = np.array([s[m] for s in seeds], dtype=float)
                summary[m] = float(np.mean(vals))
            n_seeds = len(rows)
        params = {f"scenario.{k}": v for k, v in flatten(scenario).items()}
        params.update(flatten(scenario))
        params.update({k: v for k, v in sweep["attrs"].items() if isinstance(v, (str, int, float))
                       and k not in ("scenario_source", "sweep_manifest")})
        params.update(axis_values)
        params["mechanism"] = mech
        params["file"] = stem(path)
        runs = [sweep["kept"][int(pts["point"][r])] for r in rows if int(pts["point"][r]) in sweep["kept"]]
        combos.append({
            "kind": "sweep", "path": path, "source": stem(path), "mechanism": mech, "label": mech,
            "params": params, "axes": axis_values, "summary": summary, "ci": ci, "seeds": seeds,
            "n_seeds": n_seeds, "runs": runs, "scenario": scenario, "combo": int(c), "units": {},
        })
    return combos


def _deep_copy(tree):
    """Copy of a nested dict/list tree of scalars."""
    if isinstance(tree, dict):
        return {k: _deep_copy(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_deep_copy(v) for v in tree]
    return tree


def load(path: str) -> dict:
    """Reads a run or sweep file, told apart by the root attribute file_kind (files without
    it are run files of schema 1). Returns {'kind': 'run', 'run': run dict, 'points': [point]}
    or the sweep dict of load_sweep (kind 'sweep') with 'points' = its combinations.
    Raises NotAResult naming the file."""
    with _open(path) as f:
        kind = _s(f.attrs.get("file_kind", "run"))
    if kind == "sweep":
        sweep = load_sweep(path)
        sweep["points_list"] = sweep["combos"]
        return sweep
    run = load_run(path)
    return {"kind": "run", "path": path, "run": run, "points_list": [_run_point(run)]}


def operating_axes(axes: list[str]) -> list[str]:
    """Swept keys that move a mechanism along its own trade-off curve (mechanism.<name>.*:
    thresholds, p, gamma, ...), as opposed to keys that change the system (workload.*,
    devices.*, mechanism.name)."""
    return [a for a in axes if a.startswith("mechanism.") and a != "mechanism.name"]
