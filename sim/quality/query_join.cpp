#include "sim/quality/query_join.hpp"

#include <stdexcept>

#include "sim/core/rng.hpp"

namespace collabsim {

QueryJoin::QueryJoin(const quality::QualityTable& t, const std::vector<std::size_t>& cols,
                     std::uint64_t seed, const std::function<bool(std::int64_t)>& keep)
    : seed_(seed) {
  for (std::size_t r = 0; r < t.num_queries(); ++r) {
    bool ok = true;
    for (auto c : cols) ok = ok && t.has_score(r, c);
    if (ok && keep && !keep(t.query_id(r))) continue;
    if (ok) eligible_.push_back(r);
  }
  if (eligible_.empty()) throw std::invalid_argument("no question has a score for every model in use");
}

void QueryJoin::build_epoch(std::uint64_t epoch) {
  perm_ = eligible_;
  RngStream rng(seed_, "question_join", epoch);
  // Fisher–Yates shuffle.
  for (std::size_t i = perm_.size(); i > 1; --i) std::swap(perm_[i - 1], perm_[rng.below(i)]);
  epoch_ = epoch;
}

std::size_t QueryJoin::row(std::uint64_t i) {
  const std::uint64_t n = eligible_.size();
  const std::uint64_t epoch = i / n;
  if (epoch != epoch_) build_epoch(epoch);
  return perm_[i % n];
}

}  // namespace collabsim
