/// \file module.cpp
/// The extension module `collabsim._collabsim` (pybind11): loading a scenario, running it
/// and running a sweep through the same entry points as the CLI (load_scenario with the
/// target-share calibration of `collabsim run`, run_scenario, run_sweep), with the GIL
/// released while simulating. The user-facing API is the pure-Python package around it
/// (python/collabsim/__init__.py, docs/PYTHON.md); the environment driver is env.cpp.
///
/// Errors: collabsim::InputError (and LimitError) become `collabsim.InputError` with
/// `file`, `line`, `column` and `key` attributes and the CLI's message; other
/// std::exceptions become RuntimeError (pybind11's default), as the CLI's exit status 1.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include "collabsim/version.hpp"
#include "python/src/bindings.hpp"
#include "sim/core/error.hpp"
#include "sim/mechanisms/registry.hpp"
#include "sim/study/calibrate.hpp"
#include "sim/study/input_cache.hpp"
#include "sim/study/point_runner.hpp"
#include "sim/study/run_scenario.hpp"
#include "sim/study/sweep.hpp"
#include "sim/study/sweep_spec.hpp"

namespace py = pybind11;

namespace collabsim::python {
namespace {

/// load(): the CLI's `collabsim run` load path (calibration of target_large_share first).
std::shared_ptr<LoadedScenario> load(const std::filesystem::path& file, const std::vector<std::string>& overrides,
                                     const std::optional<std::filesystem::path>& data_dir,
                                     const std::optional<std::filesystem::path>& output,
                                     std::shared_ptr<InputCache> inputs) {
  auto out = std::make_shared<LoadedScenario>();
  out->inputs = inputs ? std::move(inputs) : std::make_shared<InputCache>();
  LoadOptions opt;
  opt.overrides = overrides;
  opt.data_dir = data_dir;
  opt.output = output;
  py::gil_scoped_release release;  // calibration runs whole simulations
  CalibratedScenario loaded = load_calibrated(file, opt, in_memory_runner(file, *out->inputs));
  if (loaded.calibration.active) {
    out->calibrated_key = loaded.calibration.key;
    out->calibrated_value = loaded.calibration.value;
  }
  out->scenario = std::move(loaded.scenario);
  out->overrides = std::move(loaded.load.overrides);
  return out;
}

/// Summary::columns() as {name: value} and {name: unit}.
py::tuple summary_dicts(const Summary& s) {
  py::dict values, units;
  for (const auto& [name, uv] : s.columns()) {
    values[py::str(name)] = uv.second;
    units[py::str(name)] = uv.first;
  }
  return py::make_tuple(values, units);
}

/// run(): run_scenario, in memory (the HDF5 image is returned as bytes) or to the
/// scenario's output file.
py::dict run(const LoadedScenario& ls, bool in_memory, bool write_requests) {
  RunOptions ro;
  ro.inputs = ls.inputs.get();
  ro.in_memory = in_memory;
  ro.write_requests = write_requests;
  ro.warn = false;
  RunResult r;
  {
    py::gil_scoped_release release;
    r = run_scenario(ls.scenario, ro);
  }
  py::dict d;
  d["image"] = in_memory ? py::object(py::bytes(reinterpret_cast<const char*>(r.image.data()), r.image.size()))
                         : py::object(py::none());
  d["output"] = in_memory ? py::object(py::none()) : py::object(py::str(r.output.string()));
  const py::tuple sd = summary_dicts(r.summary);
  d["summary"] = sd[0];
  d["units"] = sd[1];
  d["events"] = r.events;
  d["wall_seconds"] = r.wall_seconds;
  d["warnings"] = r.warnings;
  return d;
}

/// sweep(): run_sweep into `output` (the CLI's `collabsim sweep` on this process's threads).
py::dict sweep(const std::filesystem::path& file, const std::vector<std::string>& overrides,
               const std::optional<std::filesystem::path>& data_dir, const std::filesystem::path& output,
               const std::vector<std::string>& grid, std::optional<bool> zip, std::optional<int> seeds, int threads,
               bool keep_requests, bool keep_going, bool restart) {
  SweepOptions o;
  o.scenario = file;
  o.load.overrides = overrides;
  o.load.data_dir = data_dir;
  o.output = output;
  for (const auto& g : grid) o.grid.push_back(parse_grid_argument(g));
  o.zip = zip;
  o.seeds = seeds;
  o.threads = threads;
  o.keep_requests = keep_requests;
  o.keep_going = keep_going;
  o.restart = restart;
  SweepReport rep;
  {
    py::gil_scoped_release release;
    rep = run_sweep(o);
  }
  py::dict d;
  d["points"] = rep.points;
  d["ran"] = rep.ran;
  d["reused"] = rep.reused;
  d["failed"] = rep.failed;
  d["wall_s"] = rep.wall_s;
  d["up_to_date"] = rep.up_to_date;
  d["failures"] = rep.failures;
  d["output"] = rep.output.string();
  return d;
}

}  // namespace
}  // namespace collabsim::python

PYBIND11_MODULE(_collabsim, m) {
  using namespace collabsim;
  using namespace collabsim::python;
  m.doc() = "collabsim's C++ core (pybind11); use the `collabsim` package around it (docs/PYTHON.md)";
  m.attr("version") = std::string(kVersion);
  m.attr("git_commit") = std::string(kGitCommit);

  // InputError → collabsim.InputError(message, file, line, column, key), defined in Python.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const InputError& e) {
      py::object cls = py::module_::import("collabsim._errors").attr("InputError");
      py::object err = cls(e.what(), e.pos().file.string(), e.pos().line, e.pos().column, e.key());
      PyErr_SetObject(cls.ptr(), err.ptr());
    }
  });

  py::class_<InputCache, std::shared_ptr<InputCache>>(m, "InputCache",
                                                      "traces and quality tables read once and shared by runs")
      .def(py::init<>());

  py::class_<LoadedScenario, std::shared_ptr<LoadedScenario>>(m, "LoadedScenario")
      .def_property_readonly("name", [](const LoadedScenario& s) { return s.scenario.run.name; })
      .def_property_readonly("mechanism", [](const LoadedScenario& s) { return s.scenario.mechanism.name; })
      .def_property_readonly("seed", [](const LoadedScenario& s) { return s.scenario.run.seed; })
      .def_property_readonly("file", [](const LoadedScenario& s) { return s.scenario.file.string(); })
      .def_property_readonly("output", [](const LoadedScenario& s) { return s.scenario.run.output.string(); })
      .def_property_readonly("questions", [](const LoadedScenario& s) { return s.scenario.quality.questions.string(); })
      .def_property_readonly("record_spans", [](const LoadedScenario& s) { return s.scenario.run.record_spans; })
      .def_property_readonly("effective_toml", [](const LoadedScenario& s) { return s.scenario.effective_toml; })
      .def_property_readonly("overrides", [](const LoadedScenario& s) { return s.overrides; })
      .def_property_readonly("calibrated",
                             [](const LoadedScenario& s) -> py::object {
                               if (s.calibrated_key.empty()) return py::none();
                               return py::make_tuple(s.calibrated_key, s.calibrated_value);
                             })
      .def_property_readonly("deployments",
                             [](const LoadedScenario& s) {
                               std::vector<std::string> v;
                               for (const auto& d : s.scenario.deployments) v.push_back(d.name);
                               return v;
                             })
      .def_property_readonly("devices",
                             [](const LoadedScenario& s) {
                               std::vector<std::string> v;
                               for (const auto& d : s.scenario.devices) v.push_back(d.name);
                               return v;
                             })
      .def_property_readonly("inputs", [](const LoadedScenario& s) { return s.inputs; });

  m.def("load", &load, py::arg("file"), py::arg("overrides"), py::arg("data_dir"), py::arg("output"),
        py::arg("inputs"));
  m.def("run", &run, py::arg("scenario"), py::arg("in_memory"), py::arg("write_requests"));
  m.def("sweep", &sweep, py::arg("file"), py::arg("overrides"), py::arg("data_dir"), py::arg("output"),
        py::arg("grid"), py::arg("zip"), py::arg("seeds"), py::arg("threads"), py::arg("keep_requests"),
        py::arg("keep_going"), py::arg("restart"));
  bind_environment(m);

}
