#pragma once
/// \file registry.hpp
/// Name → mechanism factory, held in a function-local static (SimGrid's module pattern):
/// no global constructors, listable from the CLI.

#include <string>
#include <vector>

#include <toml++/toml.h>

#include "sim/mechanisms/mechanism.hpp"

namespace collabsim {

/// All registered mechanisms, in listing order.
const std::vector<MechanismInfo>& mechanism_registry();

/// Entry by name; throws InputError naming `pos` (key "mechanism.name"), suggesting the
/// closest name and listing the known names otherwise.
const MechanismInfo& find_mechanism(const std::string& name, const SourcePos& pos);
/// As above, with the key to name in the error (e.g. "mechanism.cascde" for a sub-table).
const MechanismInfo& find_mechanism(const std::string& name, const SourcePos& pos, const std::string& key);

/// Builds the mechanism named by `[mechanism] name`, with its parameters from the
/// sub-table `[mechanism.<name>]` (defaults when absent). Sub-tables of other registered
/// mechanisms may sit beside it. Throws InputError for unknown names, keys and bad values.
std::unique_ptr<Mechanism> make_mechanism(const toml::table& table, Context& cx);

/// The registry entry and validated parameters of the [mechanism] table (as
/// make_mechanism, without building it), so a run can learn what it needs first. Every
/// [mechanism.<name>] sub-table is validated against its mechanism's declarations, used or
/// not (unknown sub-table names get a did-you-mean suggestion).
std::pair<const MechanismInfo*, ParamSet> mechanism_params(const toml::table& table);

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

}  // namespace collabsim
