"""Reading collabsim result files (HDF5) into numpy arrays.

Layout (docs/ARCHITECTURE.md): root attributes, /requests (one row per request),
/summary (one row), optional /devices/<name> and /mechanism rows. Every dataset has an
attribute `units` parallel to its fields.
"""
from __future__ import annotations

import os

import h5py
import numpy as np


class NotAResult(Exception):
    """The file is missing or is not a collabsim result."""


def _row(ds) -> dict:
    data = ds[0]
    return {name: data[name].item() for name in ds.dtype.names}


def load_run(path: str) -> dict:
    """Returns {'path', 'label', 'attrs', 'requests': {field: array}, 'summary': {..},
    'units': {field: unit}, 'devices': {name: {..}}, 'mechanism': {..}}.
    Raises NotAResult naming the file and what is missing."""
    if not os.path.exists(path):
        raise NotAResult(f"{path}: no such file")
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise NotAResult(f"{path}: not an HDF5 file ({e})") from e
    with f:
        for need in ("requests", "summary"):
            if need not in f:
                raise NotAResult(f"{path}: not a collabsim result (no /{need} dataset)")
        req = f["requests"]
        arr = req[...]
        units = {}
        if "units" in req.attrs:
            units = {n: (u.decode() if isinstance(u, bytes) else str(u))
                     for n, u in zip(req.dtype.names, req.attrs["units"])}
        attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
        run = {
            "path": path,
            "label": attrs.get("mechanism", os.path.splitext(os.path.basename(path))[0]),
            "attrs": attrs,
            "requests": {n: np.asarray(arr[n]) for n in arr.dtype.names},
            "summary": _row(f["summary"]),
            "units": units,
            "devices": {k: _row(v["summary"]) for k, v in f["devices"].items()
                        if isinstance(v, h5py.Group) and "summary" in v} if "devices" in f else {},
            "timelines": {k: {n: np.asarray(v["timeline"][n]) for n in v["timeline"].dtype.names}
                          for k, v in f["devices"].items()
                          if isinstance(v, h5py.Group) and "timeline" in v} if "devices" in f else {},
            "mechanism": _row(f["mechanism"]) if "mechanism" in f else {},
        }
    return run


def unique_labels(runs: list[dict]) -> None:
    """Makes labels unique: a mechanism used twice is labelled by file stem."""
    seen = {}
    for r in runs:
        seen[r["label"]] = seen.get(r["label"], 0) + 1
    for r in runs:
        if seen[r["label"]] > 1:
            r["label"] = os.path.splitext(os.path.basename(r["path"]))[0]
