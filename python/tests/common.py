"""Shared helpers of the Python module's tests (run by CTest `python_module` with
PYTHONPATH=build/python and COLLABSIM_BINARY set)."""

import os
import subprocess

import h5py
import numpy as np

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("COLLABSIM_BINARY", os.path.join(SOURCE, "build", "collabsim"))
DEFAULT = "scenarios/edge_cloud_cascade.toml"  # relative to SOURCE, as the CLI is given it


def cli(*args, check=True):
    """Runs the collabsim binary in the source folder; returns the CompletedProcess."""
    res = subprocess.run([BINARY, *args], cwd=SOURCE, capture_output=True, text=True)
    if check and res.returncode != 0:
        raise AssertionError(f"collabsim {' '.join(args)} failed ({res.returncode}): {res.stderr}")
    return res


def _items(f):
    out = {}
    f.visititems(lambda name, obj: out.__setitem__(name, obj))
    return out


def _same_value(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.hasobject:  # variable-length strings: compare the values, not the pointers
        return a.tolist() == b.tolist()
    return a.tobytes() == b.tobytes()


def same_summary(a, b):
    """Two summary dicts are equal, NaN equal to NaN (bit for bit as float64)."""
    return a.keys() == b.keys() and all(np.float64(a[k]).tobytes() == np.float64(b[k]).tobytes() for k in a)


def assert_same_h5(test, path_a, path_b, ignore_attrs=("created",)):
    """Every dataset (dtype, shape, bytes) and attribute of two HDF5 files is equal, but the
    attributes in ignore_attrs (the creation time)."""
    with h5py.File(path_a, "r") as fa, h5py.File(path_b, "r") as fb:
        ia, ib = _items(fa), _items(fb)
        test.assertEqual(sorted(ia), sorted(ib))
        for name in ["/"] + sorted(ia):
            oa, ob = (fa, fb) if name == "/" else (ia[name], ib[name])
            test.assertEqual(type(oa), type(ob), name)
            if isinstance(oa, h5py.Dataset):
                test.assertTrue(_same_value(oa[()], ob[()]), f"dataset {name} differs")
            keys = sorted(set(oa.attrs) - set(ignore_attrs))
            test.assertEqual(keys, sorted(set(ob.attrs) - set(ignore_attrs)), name)
            for k in keys:
                test.assertTrue(_same_value(oa.attrs[k], ob.attrs[k]), f"attribute {name}:{k} differs")
