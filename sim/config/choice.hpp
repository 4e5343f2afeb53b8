#pragma once
/// \file choice.hpp
/// Registries of named variants (schedulers, dispatch policies, quality formats, arrival
/// processes, latency modes): one row per variant, the single source of a text key's
/// allowed values (Field::choices), of its help in `collabsim list` and of its parsing,
/// done once at load into the row itself (an object holding the variant's flags and
/// factory), so no code after load compares the name. A row is any struct with
/// `const char* name` and `const char* help`.

#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace collabsim {

/// The rows' names, in order: a Field's `choices`.
template <class Row>
std::vector<std::string> choice_names(std::span<const Row> rows) {
  std::vector<std::string> out;
  out.reserve(rows.size());
  for (const Row& r : rows) out.emplace_back(r.name);
  return out;
}

/// "`lead`: name: help; name: help" over the rows (a Field's help text).
template <class Row>
std::string choice_help(const std::string& lead, std::span<const Row> rows) {
  std::string out = lead;
  for (const Row& r : rows) out += (&r == rows.data() ? ": " : "; ") + std::string(r.name) + ": " + r.help;
  return out;
}

/// The row named `name`; throws std::invalid_argument naming `what` and the known names
/// otherwise (the loader validates names against choice_names first, so this is a
/// programming error after load).
template <class Row>
const Row& choice_row(std::span<const Row> rows, const std::string& name, const char* what) {
  std::string known;
  for (const Row& r : rows) {
    if (name == r.name) return r;
    known += (known.empty() ? "" : ", ") + std::string(r.name);
  }
  throw std::invalid_argument(std::string("unknown ") + what + " '" + name + "' (known: " + known + ")");
}

}  // namespace collabsim
