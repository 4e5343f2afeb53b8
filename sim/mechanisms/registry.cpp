#include "sim/mechanisms/registry.hpp"

#include "sim/core/strings.hpp"

namespace collabsim {

const std::vector<MechanismInfo>& mechanism_registry() {
  static const std::vector<MechanismInfo> registry = {
      small_only_info(), large_only_info(), random_router_info(), oracle_info(),  cascade_info(),       router_info(),
      speculative_info(), token_routing_info(), pipeline_info(), decomposition_info(),
      fusion_info(),      distillation_info(),  offline_fallback_info(), bandit_info(),
      length_router_info(), early_exit_info(), offline_first_info(), hierarchical_prompts_info(),
      drift_guard_info(), compromised_cascade_info(), multi_agent_info(),
  };
  return registry;
}

const MechanismInfo& find_mechanism(const std::string& name, const SourcePos& pos) {
  return find_mechanism(name, pos, "mechanism.name");
}

const MechanismInfo& find_mechanism(const std::string& name, const SourcePos& pos, const std::string& key) {
  for (const auto& m : mechanism_registry())
    if (m.name == name) return m;
  std::string list, best;
  std::size_t best_d = 4;
  for (const auto& m : mechanism_registry()) {
    list += (list.empty() ? "" : ", ") + m.name;
    if (const auto d = edit_distance(name, m.name); d < best_d) best_d = d, best = m.name;
  }
  const std::string hint = best.empty() ? "" : "; did you mean '" + best + "'?";
  throw InputError(pos, key, "unknown mechanism '" + name + "'" + hint + " (known: " + list + ")");
}

std::span<const MechanismDeclaration> mechanism_declarations() {
  static const std::vector<MechanismDeclaration> declarations = [] {
    std::vector<MechanismDeclaration> out;
    for (const auto& m : mechanism_registry()) out.push_back({m.name, m.params});
    return out;
  }();
  return declarations;
}

Scenario load_scenario(const std::filesystem::path& file, const LoadOptions& options) {
  return load_scenario(file, options, mechanism_declarations());
}

const MechanismInfo& scenario_mechanism(const Scenario& sc) { return find_mechanism(sc.mechanism.name, sc.mechanism.pos); }

}  // namespace collabsim
