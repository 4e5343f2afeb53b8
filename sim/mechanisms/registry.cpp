#include "sim/mechanisms/registry.hpp"

namespace collabsim {

const std::vector<MechanismInfo>& mechanism_registry() {
  static const std::vector<MechanismInfo> registry = {
      small_only_info(), large_only_info(), random_router_info(), oracle_info(),  cascade_info(),       router_info(),
      speculative_info(), token_routing_info(), pipeline_info(), decomposition_info(),
      fusion_info(),      distillation_info(),  offline_fallback_info(), bandit_info(),
  };
  return registry;
}

const MechanismInfo& find_mechanism(const std::string& name, const SourcePos& pos) {
  for (const auto& m : mechanism_registry())
    if (m.name == name) return m;
  std::string list;
  for (const auto& m : mechanism_registry()) list += (list.empty() ? "" : ", ") + m.name;
  throw InputError(pos, "mechanism.name", "unknown mechanism '" + name + "' (known: " + list + ")");
}

std::unique_ptr<Mechanism> make_mechanism(const toml::table& table, Context& cx) {
  auto [info, params] = mechanism_params(table);
  return info->make(cx, params);
}

std::pair<const MechanismInfo*, ParamSet> mechanism_params(const toml::table& table) {
  const toml::node* n = table.get("name");
  const std::string name = n ? n->value<std::string>().value_or("") : "";
  const MechanismInfo& info = find_mechanism(name, n ? pos_of(*n) : pos_of(table));
  // [mechanism] holds `name` and one sub-table of parameters per mechanism, so a scenario
  // can carry settings for several mechanisms and switch with --set mechanism.name=...
  for (const auto& [k, v] : table) {
    const std::string key(k.str());
    if (key == "name") continue;
    if (!v.is_table())
      throw InputError(pos_of(v), "mechanism." + key,
                       "parameters go in a sub-table [mechanism." + name + "] (see `collabsim list`)");
    find_mechanism(key, pos_of(v));  // a typo in a sub-table name is an error too
  }
  static const toml::table kEmpty;
  const toml::node* sub = table.get(name);
  return {&info, read_params(sub ? *sub->as_table() : kEmpty, info.params, "mechanism." + name)};
}

}  // namespace collabsim
