#include "sim/study/point_runner.hpp"

#include <chrono>
#include <exception>

#include "sim/core/error.hpp"
#include "sim/study/run_scenario.hpp"

namespace collabsim {

PointOutcome run_point(const Scenario& sc, InputCache& inputs, bool keep_requests) {
  PointOutcome out;
  const auto t0 = std::chrono::steady_clock::now();
  try {
    RunOptions opt;
    opt.inputs = &inputs;
    opt.write_requests = keep_requests;
    opt.in_memory = true;
    opt.warn = false;
    RunResult r = run_scenario(sc, opt);
    out.ok = true;
    out.summary = r.summary;
    out.image = std::move(r.image);
    out.warnings = std::move(r.warnings);
  } catch (const InputError& e) {
    out.bad_input = true;
    out.error = e.what();
  } catch (const std::exception& e) {
    out.error = e.what();
  }
  out.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

PointOutcome run_point(const std::filesystem::path& scenario, const LoadOptions& load, InputCache& inputs,
                       bool keep_requests) {
  try {
    const Scenario sc = load_scenario(scenario, load);
    return run_point(sc, inputs, keep_requests);
  } catch (const InputError& e) {
    PointOutcome out;
    out.bad_input = true;
    out.error = e.what();
    return out;
  } catch (const std::exception& e) {
    PointOutcome out;
    out.error = e.what();
    return out;
  }
}

}  // namespace collabsim
