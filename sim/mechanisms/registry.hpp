#pragma once
/// \file registry.hpp
/// Name → mechanism factory, held in a function-local static (SimGrid's module pattern):
/// no global constructors, listable from the CLI.

#include <filesystem>
#include <string>
#include <vector>

#include "sim/mechanisms/mechanism.hpp"
#include "sim/scenario/scenario.hpp"

namespace collabsim {

/// All registered mechanisms, in listing order.
const std::vector<MechanismInfo>& mechanism_registry();

/// Entry by name; throws InputError naming `pos` (key "mechanism.name"), suggesting the
/// closest name and listing the known names otherwise.
const MechanismInfo& find_mechanism(const std::string& name, const SourcePos& pos);
/// As above, with the key to name in the error (e.g. "mechanism.cascde" for a sub-table).
const MechanismInfo& find_mechanism(const std::string& name, const SourcePos& pos, const std::string& key);

/// Name and parameter declarations of every registered mechanism, in registry order: what
/// the scenario loader validates [mechanism.<name>] tables against.
std::span<const MechanismDeclaration> mechanism_declarations();

/// Loads and validates a scenario with the registry's mechanisms (scenario.hpp's
/// load_scenario with mechanism_declarations()). Throws InputError on any bad input.
Scenario load_scenario(const std::filesystem::path& file, const LoadOptions& options = {});

/// The registry entry of the scenario's mechanism (its parameters are sc.mechanism.params,
/// validated at load). Throws InputError for a name the registry does not have.
const MechanismInfo& scenario_mechanism(const Scenario& sc);

// Registration functions, one per mechanism file.
MechanismInfo small_only_info();
MechanismInfo large_only_info();
MechanismInfo random_router_info();
MechanismInfo oracle_info();
MechanismInfo cascade_info();
MechanismInfo router_info();
MechanismInfo speculative_info();
MechanismInfo offline_fallback_info();
MechanismInfo fusion_info();
MechanismInfo pipeline_info();
MechanismInfo token_routing_info();
MechanismInfo decomposition_info();
MechanismInfo distillation_info();
MechanismInfo bandit_info();
MechanismInfo length_router_info();
MechanismInfo early_exit_info();
MechanismInfo offline_first_info();
MechanismInfo hierarchical_prompts_info();
MechanismInfo drift_guard_info();
MechanismInfo compromised_cascade_info();
MechanismInfo multi_agent_info();

}  // namespace collabsim
