#pragma once
/// \file query_join.hpp
/// Joins requests to questions of a QualityTable by a seeded permutation. Only questions
/// that have a score for every column in use (and that `keep` accepts, when given: e.g.
/// only those outside a trained kernel's training split) are eligible. Request i takes eligible
/// question perm_e[i mod N], where e = i / N and perm_e is a fresh seeded permutation per
/// epoch: every question is used once before any is used twice, and the draw of one
/// request never depends on other requests.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sim/quality/quality_table.hpp"

namespace collabsim {

class QueryJoin {
 public:
  /// `columns`: model indices (QualityTable::model_index) that must all be scored;
  /// `keep(query_id)`: a further filter (empty = none). Throws std::invalid_argument when
  /// no question qualifies.
  QueryJoin(const quality::QualityTable& table, const std::vector<std::size_t>& columns,
            std::uint64_t seed, const std::function<bool(std::int64_t)>& keep = {});

  /// Table row joined to request `i`.
  std::size_t row(std::uint64_t i);
  std::size_t eligible() const { return eligible_.size(); }

 private:
  void build_epoch(std::uint64_t epoch);
  std::vector<std::size_t> eligible_;
  std::vector<std::size_t> perm_;
  std::uint64_t epoch_ = ~0ULL;
  std::uint64_t seed_;
};

}  // namespace collabsim
