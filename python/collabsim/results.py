"""Results of collabsim.run and collabsim.sweep as NumPy arrays (docs/PYTHON.md).

A run's result is the HDF5 file the CLI would write (docs/HDF5.md), held in memory as its
image; its tables are read with h5py (Debian's python3-h5py) into NumPy structured arrays.
"""

import io
import os
import tempfile

import numpy as np


def _h5py():
    import h5py  # Debian python3-h5py (install-deps.sh)

    return h5py


def _table(node):
    """A compound dataset, or a group of equal-length column datasets, as a structured array."""
    h5py = _h5py()
    if isinstance(node, h5py.Dataset):
        return node[()]
    names = list(node.keys())
    cols = [node[n][()] for n in names]
    out = np.empty(len(cols[0]) if cols else 0, dtype=[(n, c.dtype) for n, c in zip(names, cols)])
    for n, c in zip(names, cols):
        out[n] = c
    return out


def _to_pandas(array):
    try:
        import pandas  # Debian python3-pandas
    except ImportError as e:  # pragma: no cover - depends on the machine
        raise ImportError("to_pandas() needs pandas (Debian: apt-get install python3-pandas)") from e
    frame = pandas.DataFrame(array)
    for name in frame.columns:  # fixed-length HDF5 strings arrive as bytes
        if frame[name].dtype == object and len(frame) and isinstance(frame[name].iloc[0], bytes):
            frame[name] = frame[name].str.decode("utf-8")
    return frame


def _write_atomically(path, data):
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".collabsim-", suffix=".h5.tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class Result:
    """One run's result.

    Attributes:
        scenario: the collabsim.Scenario that ran.
        summary (dict): the /summary row, name -> value (float; counts as float too), with
            the quality interval quality_ci95_lo / quality_ci95_hi (95% bootstrap).
        units (dict): name -> unit of each summary value ("s", "J", "USD", "1", ...).
        events (int): engine events processed.
        wall_seconds (float): host time of the run, s.
        warnings (list of str): what the CLI would print as warnings.
        path (str or None): the HDF5 file written when run(output=...) was given.
    """

    def __init__(self, scenario, raw):
        self.scenario = scenario
        self.summary = dict(raw["summary"])
        self.units = dict(raw["units"])
        self.events = raw["events"]
        self.wall_seconds = raw["wall_seconds"]
        self.warnings = list(raw["warnings"])
        self._image = raw["image"]
        self.path = raw["output"]
        self._requests = None
        self._spans = None

    def h5(self):
        """The result as an open, read-only h5py.File (the CLI's file, docs/HDF5.md)."""
        h5py = _h5py()
        if self._image is not None:
            return h5py.File(io.BytesIO(self._image), "r")
        return h5py.File(self.path, "r")

    @property
    def image(self):
        """The whole HDF5 result file as bytes."""
        if self._image is None:
            with open(self.path, "rb") as f:
                return f.read()
        return self._image

    @property
    def requests(self):
        """/requests as a NumPy structured array, one row per request in request_id order
        (fields and units: docs/HDF5.md); None when the run wrote no /requests."""
        if self._requests is None:
            with self.h5() as f:
                if "requests" in f:
                    self._requests = _table(f["requests"])
        return self._requests

    @property
    def spans(self):
        """/spans as a NumPy structured array (request_id, track, kind, deployment,
        start_s, end_s); None unless the scenario sets run.record_spans = true
        (collabsim.run(..., spans=True))."""
        if self._spans is None:
            with self.h5() as f:
                if "spans" in f:
                    self._spans = _table(f["spans"])
        return self._spans

    def to_pandas(self):
        """/requests as a pandas DataFrame (needs Debian's python3-pandas)."""
        return _to_pandas(self.requests)

    def write(self, path):
        """Writes the HDF5 result to `path` (temporary file + rename); returns `path`."""
        _write_atomically(path, self.image)
        return path


class SweepResult:
    """A sweep's tables (docs/HDF5.md, /sweep).

    Attributes:
        points: /sweep/points, one row per (combination, seed) point, as a structured array.
        aggregate: /sweep/aggregate, one row per combination: for every metric m, m_mean,
            m_sd, m_ci95_lo, m_ci95_hi (Student t over seeds).
        report (dict): points, ran, reused, failed, wall_s, failures, output.
        path (str or None): the sweep file when sweep(output=...) was given.
    """

    def __init__(self, report, path):
        h5py = _h5py()
        with h5py.File(report["output"], "r") as f:
            self.points = _table(f["sweep/points"])
            self.aggregate = _table(f["sweep/aggregate"])
        self.report = dict(report)
        self.path = path

    def points_pandas(self):
        """/sweep/points as a pandas DataFrame."""
        return _to_pandas(self.points)

    def aggregate_pandas(self):
        """/sweep/aggregate as a pandas DataFrame."""
        return _to_pandas(self.aggregate)
