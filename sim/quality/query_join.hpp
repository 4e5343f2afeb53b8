#pragma once
/// \file query_join.hpp
/// Joins requests to questions of a QualityTable by a seeded permutation. Only questions
/// that have a score for every column in use (and, when categories are given, whose
/// category is one of them) are eligible. Request i takes eligible question perm_e[i mod N],
/// where e = i / N and perm_e is a fresh seeded permutation per epoch: every question is
/// used once before any is used twice, and the draw of one request never depends on other
/// requests. With no categories the eligible set, and so every draw, is what it was before
/// categories existed. `keep(query_id)`, when given, is a further filter (e.g. only the
/// questions outside a trained kernel's training split).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sim/core/error.hpp"
#include "sim/quality/quality_table.hpp"

namespace collabsim {

class QueryJoin {
 public:
  /// `columns`: model indices (QualityTable::model_index) that must all be scored.
  /// `categories`: keep only questions of these categories (empty = all); `categories_pos`
  /// is where the scenario names them, for errors. Throws InputError naming the table file
  /// and the columns in use (with each one's blank count) when no question qualifies, and
  /// naming `quality.categories` with the table's categories for an unknown category.
  QueryJoin(const quality::QualityTable& table, const std::vector<std::size_t>& columns, std::uint64_t seed,
            const std::vector<std::string>& categories = {}, const SourcePos& categories_pos = {},
            const std::function<bool(std::int64_t)>& keep = {});

  /// Table row joined to request `i`.
  std::size_t row(std::uint64_t i);
  std::size_t eligible() const { return eligible_.size(); }
  /// Questions (of the chosen categories) left out because a column in use is blank.
  std::size_t skipped() const { return skipped_; }

 private:
  void build_epoch(std::uint64_t epoch);
  std::vector<std::size_t> eligible_;
  std::vector<std::size_t> perm_;
  std::uint64_t epoch_ = ~0ULL;
  std::uint64_t seed_;
  std::size_t skipped_ = 0;
};

}  // namespace collabsim
