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

/// Entry by name; throws InputError naming `pos` and listing the known names otherwise.
const MechanismInfo& find_mechanism(const std::string& name, const SourcePos& pos);

/// Validates the [mechanism] table against the mechanism's parameters (the `name` key is
/// the registry key) and builds it. Throws InputError for unknown keys and bad values.
std::unique_ptr<Mechanism> make_mechanism(const toml::table& table, Context& cx);

// Registration functions, one per mechanism file.
MechanismInfo small_only_info();
MechanismInfo large_only_info();
MechanismInfo random_router_info();
MechanismInfo oracle_info();
MechanismInfo cascade_info();

}  // namespace collabsim
