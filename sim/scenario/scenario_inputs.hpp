#pragma once
/// \file scenario_inputs.hpp
/// Every file a loaded scenario reads, with its role, for the provenance of a result
/// (io/provenance.hpp) and for the check that no output path is one of them.

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "sim/scenario/scenario.hpp"

namespace collabsim {

/// (role, path) of the scenario file ("scenario"), its cards ("device_card", "model_card"),
/// the trace ("trace"), generator inputs ("servegen_windows", "lengths_trace",
/// "lengths_dataset"), the quality table and questions ("quality_table", "questions"),
/// measured profiles ("latency_profile", "allreduce_profile") and router weights
/// ("router_weights": every `weights` key of the [mechanism] table, relative to the
/// scenario file). Paths as the loader resolved them; empty ones are left out.
std::vector<std::pair<std::string, std::filesystem::path>> scenario_inputs(const Scenario& sc);

/// Throws InputError (key `key`, "-o" by default) when `output` names the same file as one
/// of `inputs` (compared after resolving symlinks and relative paths), so that writing a
/// result can never replace what it was made from.
void check_output_not_input(const std::filesystem::path& output,
                            const std::vector<std::pair<std::string, std::filesystem::path>>& inputs,
                            const std::string& key = "-o");

}  // namespace collabsim
