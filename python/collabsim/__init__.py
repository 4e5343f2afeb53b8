"""collabsim from Python: load a scenario, run it, sweep it, and train collaboration
policies in its Gymnasium-style environment (docs/PYTHON.md).

    PYTHONPATH=build/python /usr/bin/python3
    >>> import collabsim
    >>> sc = collabsim.load("scenarios/edge_cloud_cascade.toml",
    ...                     overrides={"workload.limit": 2000})
    >>> res = collabsim.run(sc, seed=1)
    >>> res.summary["quality_mean"], res.requests["latency_s"].mean()

The runs are the CLI's (`collabsim run`, `collabsim sweep`): same validation, same errors
(raised as collabsim.InputError with file, line and key), bit-identical HDF5 datasets. The
simulation runs with the GIL released, so Python threads may run scenarios in parallel.
"""

import json
import math
import os
import tempfile

from . import _collabsim as _core
from ._errors import InputError
from .env import CollaborationEnv
from .results import Result, SweepResult

__all__ = ["CollaborationEnv", "InputError", "Scenario", "Result", "SweepResult", "load", "run", "sweep", "version"]

version = _core.version
git_commit = _core.git_commit


def _toml_value(value):
    """A Python value in TOML syntax, as `--set key=VALUE` takes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a TOML basic string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"override value {value!r}: expected bool, int, float, str or a list of them")


def _override_list(overrides):
    if overrides is None:
        return []
    if isinstance(overrides, dict):
        return [f"{k}={_toml_value(v)}" for k, v in overrides.items()]
    return [str(o) for o in overrides]  # already "key=value" strings, as the CLI's --set


class Scenario:
    """A validated scenario (collabsim.load). Immutable: run(seed=...) and
    with_overrides() load a new one (sharing the traces and quality tables read so far).

    Attributes: name, mechanism, seed, file, deployments, devices (lists of names),
    effective_toml (the scenario with overrides applied, as recorded in results),
    overrides (the "key=value" list it was loaded with), calibrated ((key, value) when the
    scenario asked for a target_large_share, else None).
    """

    def __init__(self, path, overrides, data_dir, output, inputs=None):
        self._path = os.fspath(path)
        self._overrides = list(overrides)
        self._data_dir = data_dir
        self._output = output
        self._handle = _core.load(self._path, self._overrides, data_dir, output, inputs)

    name = property(lambda self: self._handle.name)
    mechanism = property(lambda self: self._handle.mechanism)
    seed = property(lambda self: self._handle.seed)
    file = property(lambda self: self._handle.file)
    deployments = property(lambda self: list(self._handle.deployments))
    devices = property(lambda self: list(self._handle.devices))
    effective_toml = property(lambda self: self._handle.effective_toml)
    record_spans = property(lambda self: self._handle.record_spans)
    calibrated = property(lambda self: self._handle.calibrated)

    @property
    def overrides(self):
        return list(self._overrides)

    def with_overrides(self, overrides=None, output=None):
        """The same scenario file with more overrides (a dict key -> value, or "key=value"
        strings), applied after this scenario's own."""
        return Scenario(self._path, self._overrides + _override_list(overrides), self._data_dir,
                        output if output is not None else self._output, self._handle.inputs)

    def __repr__(self):
        return f"collabsim.Scenario({self.name!r}, mechanism={self.mechanism!r}, seed={self.seed})"


def load(path, overrides=None, data_dir=None):
    """Loads and validates a scenario file as `collabsim run` does.

    Args:
        path: the scenario TOML file.
        overrides: {dotted.key: value} (bool, int, float, str or lists of them; a unit
            quantity as a string, e.g. {"links.cellular.latency": "80 ms"}), or a list of
            "key=value" strings as the CLI's --set takes them. Applied in order.
        data_dir: folder of the shared data (default $COLLABSIM_DATA or ../shared/data).
    Returns: a Scenario. A scenario asking for mechanism.<m>.target_large_share is
        calibrated here, as the CLI does (bisection over whole runs).
    Raises: collabsim.InputError (file, line, column, key) for any bad input.
    """
    return Scenario(path, _override_list(overrides), None if data_dir is None else os.fspath(data_dir), None)


def run(scenario, seed=None, spans=None, output=None, requests=True):
    """Runs a scenario (the CLI's `collabsim run`), with the GIL released.

    Args:
        scenario: a Scenario, or a path (loaded without overrides).
        seed: run.seed for this run (default: the scenario's); equal to `--set run.seed=N`.
        spans: True to record /spans (run.record_spans = true), default: the scenario's.
        output: a path to also write the HDF5 result file to (atomically), as the CLI;
            default: the result stays in memory (Result.write(path) writes it later).
        requests: False leaves /requests out (summary-only runs).
    Returns: a Result (.summary, .requests, .spans, .to_pandas(), .write()).
    Raises: collabsim.InputError for bad input found while running.
    """
    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    extra = []
    if seed is not None and int(seed) != scenario.seed:
        extra.append(f"run.seed={int(seed)}")
    if spans is not None and bool(spans) != scenario.record_spans:
        extra.append(f"run.record_spans={_toml_value(bool(spans))}")
    if extra or output is not None:
        scenario = scenario.with_overrides(extra, output=None if output is None else os.fspath(output))
    raw = _core.run(scenario._handle, output is None, requests)
    return Result(scenario, raw)


def sweep(scenario, grid=None, seeds=None, overrides=None, zip=None, threads=1, output=None,
          keep_requests=False, keep_going=False, data_dir=None):
    """Runs a parameter study (the CLI's `collabsim sweep`) on `threads` threads.

    Args:
        scenario: a scenario file path, or a Scenario (its file and overrides are used).
        grid: {key: values}: a list of values, or a "from:to:step" string (as --grid);
            added to the scenario's [sweep] axes, replacing an axis of the same key.
        seeds: seeds per combination (default: [sweep] seeds).
        overrides: as load().
        zip: True combines the axes element-wise (--zip).
        output: the sweep file to keep (default: a temporary file, read and removed).
        keep_requests, keep_going: as --keep-requests, --keep-going.
    Returns: a SweepResult with .points and .aggregate (NumPy structured arrays).
    Raises: collabsim.InputError for a bad scenario, axis or point.
    """
    if isinstance(scenario, Scenario):
        path, sets, data_dir = scenario._path, scenario._overrides + _override_list(overrides), scenario._data_dir
    else:
        path, sets = os.fspath(scenario), _override_list(overrides)
    args = []
    for key, values in (grid or {}).items():
        if isinstance(values, str):
            args.append(f"{key}={values}")
        else:
            args.append(f"{key}=" + ",".join(_toml_value(v) for v in values))
    data_dir = None if data_dir is None else os.fspath(data_dir)
    if output is not None:
        report = _core.sweep(path, sets, data_dir, os.fspath(output), args, zip, seeds, int(threads),
                             keep_requests, keep_going, False)
        return SweepResult(report, os.fspath(output))
    with tempfile.TemporaryDirectory(prefix="collabsim-sweep-") as tmp:
        report = _core.sweep(path, sets, data_dir, os.path.join(tmp, "sweep.h5"), args, zip, seeds, int(threads),
                             keep_requests, keep_going, False)
        return SweepResult(report, None)
