#include "sim/mechanisms/registry.hpp"

namespace collabsim {

const std::vector<MechanismInfo>& mechanism_registry() {
  static const std::vector<MechanismInfo> registry = {
      small_only_info(), large_only_info(), random_router_info(), oracle_info(), cascade_info(),
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
  const toml::node* n = table.get("name");
  const std::string name = n ? n->value<std::string>().value_or("") : "";
  const MechanismInfo& info = find_mechanism(name, n ? pos_of(*n) : pos_of(table));
  static const std::vector<std::string> kIgnore = {"name"};
  const ParamSet params = read_params(table, info.params, "mechanism", kIgnore);
  return info.make(cx, params);
}

}  // namespace collabsim
