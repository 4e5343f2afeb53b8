#include "sim/scenario/scenario_inputs.hpp"

#include "sim/core/error.hpp"

namespace collabsim {
namespace fs = std::filesystem;

std::vector<std::pair<std::string, fs::path>> scenario_inputs(const Scenario& sc) {
  std::vector<std::pair<std::string, fs::path>> out;
  auto add = [&](const std::string& role, const fs::path& p) {
    if (!p.empty()) out.emplace_back(role, p);
  };
  add("scenario", sc.file);
  for (const auto& [role, p] : sc.card_files) add(role, p);
  add("trace", sc.workload.trace);
  add("servegen_windows", sc.workload.arrivals.servegen);
  add("lengths_trace", sc.workload.lengths.trace);
  add("lengths_dataset", sc.workload.lengths.dataset);
  add("quality_table", sc.quality.table);
  add("questions", sc.quality.questions);
  for (const auto& d : sc.devices) add("allreduce_profile", d.allreduce_profile);
  for (const auto& d : sc.deployments) add("latency_profile", d.profile);
  for (const auto& w : sc.mechanism.weight_values) {
    fs::path p = w;
    if (p.is_relative()) p = sc.file.parent_path() / p;
    std::error_code ec;
    if (!w.empty() && fs::is_regular_file(p, ec)) add("router_weights", p);
  }
  return out;
}

void check_output_not_input(const fs::path& output, const std::vector<std::pair<std::string, fs::path>>& inputs,
                            const std::string& key) {
  std::error_code ec;
  if (!fs::exists(output, ec)) return;  // a new file cannot be an input
  for (const auto& [role, p] : inputs) {
    std::error_code e2;
    if (fs::equivalent(output, p, e2))
      throw InputError(SourcePos{"command line", 0, 0}, key,
                       "'" + output.string() + "' is this run's " + role + " (" + p.string() +
                           "); a result never replaces one of its inputs: choose another output path");
  }
}

}  // namespace collabsim
