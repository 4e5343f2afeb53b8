#pragma once
/// \file scenario_tree.hpp
/// The scenario file as a TOML tree, with the --set overrides applied exactly as
/// load_scenario applies them: for readers of sections a run does not use ([sweep]) and
/// of the keys a sweep may set (study/sweep_spec.hpp). A run reads the validated Scenario
/// (scenario.hpp), never this tree.

#include <filesystem>

#include <toml++/toml.h>

#include "sim/scenario/scenario.hpp"

namespace collabsim {

/// Parses `file` (same limits and errors as load_scenario), removes `options.unsets` and
/// applies `options.overrides`.
/// Throws InputError for a file that cannot be read or parsed and for a bad override.
toml::table scenario_tree(const std::filesystem::path& file, const LoadOptions& options = {});

}  // namespace collabsim
