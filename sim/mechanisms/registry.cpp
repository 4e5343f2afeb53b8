#include "sim/config/toml_params.hpp"
#include "sim/mechanisms/registry.hpp"

#include <optional>

#include "sim/core/strings.hpp"

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

namespace {
/// `fields` without the distinct-entries check: the chosen mechanism checks its
/// deployment lists itself (ParamSet::require_distinct) after its cross-field rules, so
/// the error it reports first is the most specific one.
std::vector<Field> deferred_lists(const std::vector<Field>& fields) {
  std::vector<Field> out = fields;
  for (auto& f : out) f.distinct = false;
  return out;
}
}  // namespace

std::unique_ptr<Mechanism> make_mechanism(const toml::table& table, Context& cx) {
  auto [info, params] = mechanism_params(table);
  return info->make(cx, params);
}

std::pair<const MechanismInfo*, ParamSet> mechanism_params(const toml::table& table) {
  const toml::node* n = table.get("name");
  if (n && !n->is_string())
    throw InputError(pos_of(*n), "mechanism.name", "expected a string (the mechanism's registry name)");
  const std::string name = n ? n->value<std::string>().value_or("") : "";
  const MechanismInfo& info = find_mechanism(name, n ? pos_of(*n) : pos_of(table));
  // [mechanism] holds `name` and one sub-table of parameters per mechanism, so a scenario
  // can carry settings for several mechanisms and switch with --set mechanism.name=...
  // Every sub-table is validated, used or not: a typo or a bad value in the settings of
  // another mechanism is an error now, not when someone switches to it.
  static const toml::table kEmpty;
  std::optional<ParamSet> chosen;
  for (const auto& [k, v] : table) {
    const std::string key(k.str());
    if (key == "name") continue;
    if (!v.is_table())
      throw InputError(pos_of(v), "mechanism." + key,
                       "parameters go in a sub-table [mechanism." + name + "] (see `collabsim list`)");
    const MechanismInfo& other = find_mechanism(key, pos_of(v), "mechanism." + key);
    if (key == name) {
      chosen = read_params(*v.as_table(), deferred_lists(other.params), "mechanism." + key);
      continue;
    }
    read_params(*v.as_table(), other.params, "mechanism." + key);
  }
  if (!chosen) chosen = read_params(kEmpty, deferred_lists(info.params), "mechanism." + name);
  return {&info, std::move(*chosen)};
}

}  // namespace collabsim
