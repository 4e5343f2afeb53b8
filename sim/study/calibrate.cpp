#include "sim/study/calibrate.hpp"

#include <cmath>

#include <fmt/format.h>

#include "sim/core/error.hpp"
#include "sim/mechanisms/registry.hpp"

namespace collabsim {

Calibration calibrate_target_share(const std::filesystem::path& scenario, const LoadOptions& load,
                                   const ShareRunner& run) {
  LoadOptions lo = load;
  lo.output.reset();
  return calibrate_target_share(load_scenario(scenario, lo), load, run);
}

Calibration calibrate_target_share(const Scenario& sc, const LoadOptions& load, const ShareRunner& run) {
  Calibration c;
  LoadOptions lo = load;
  lo.output.reset();
  const MechanismInfo* info = &scenario_mechanism(sc);
  const ParamSet& params = sc.mechanism.params;
  if (!params.has("target_large_share") || params.number("target_large_share") < -0.5) return c;
  const std::string name = sc.mechanism.name;
  const std::string tkey = "mechanism." + name + ".target_large_share";
  c.target = params.number("target_large_share");
  if (c.target < 0)
    throw InputError(params.pos("target_large_share"), tkey, "must be in [0, 1] (or -1 = off)");
  if (info->calibration_key.empty())
    throw InputError(params.pos("target_large_share"), tkey, "mechanism '" + name + "' has nothing to calibrate");
  c.active = true;
  c.key = "mechanism." + name + "." + info->calibration_key;
  const bool list = params.has(info->calibration_key) &&
                    std::holds_alternative<std::vector<double>>(params.at(info->calibration_key));
  if (list && params.numbers(info->calibration_key).size() != 1)
    throw InputError(params.pos(info->calibration_key), c.key,
                     "target_large_share calibrates one threshold; this cascade has " +
                         std::to_string(params.numbers(info->calibration_key).size()));
  auto text_of = [&](double v) {
    return c.key + "=" + (list ? fmt::format("[{}]", v) : fmt::format("{}", v));
  };
  auto share_at = [&](double v) {
    LoadOptions at = lo;
    at.overrides.push_back(tkey + "=-1");
    at.overrides.push_back(text_of(v));
    const Summary s = run(at);
    ++c.runs;
    return std::pair{s.large_share, s.n_requests};
  };
  double lo_v = 0, hi_v = 1;
  auto [best_share, n] = share_at(0.5);
  double best = 0.5;
  const double half_request = 0.5 / static_cast<double>(std::max<std::int64_t>(n, 1));
  double mid = 0.5, share = best_share;
  for (int k = 1; k < kCalibrationRuns && std::abs(best_share - c.target) > half_request; ++k) {
    if (share < c.target)
      lo_v = mid;
    else
      hi_v = mid;
    mid = 0.5 * (lo_v + hi_v);
    share = share_at(mid).first;
    const double d = std::abs(share - c.target), bd = std::abs(best_share - c.target);
    if (d < bd || (d == bd && mid < best)) best = mid, best_share = share;
  }
  c.value = best;
  c.achieved = best_share;
  c.override_text = text_of(best);
  return c;
}

CalibratedScenario load_calibrated(const std::filesystem::path& scenario, LoadOptions load, const ShareRunner& run) {
  Scenario sc = load_scenario(scenario, load);
  Calibration cal = calibrate_target_share(sc, load, run);
  if (cal.active) {  // loaded again with the value found
    load.overrides.push_back(cal.key.substr(0, cal.key.rfind('.')) + ".target_large_share=-1");
    load.overrides.push_back(cal.override_text);
    sc = load_scenario(scenario, load);
  }
  return {std::move(sc), std::move(cal), std::move(load)};
}

}  // namespace collabsim
