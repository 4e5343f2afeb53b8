#include "sim/quality/query_join.hpp"

#include <algorithm>
#include <set>

#include "sim/core/rng.hpp"

namespace collabsim {

QueryJoin::QueryJoin(const quality::QualityTable& t, const std::vector<std::size_t>& cols, std::uint64_t seed,
                     const std::vector<std::string>& categories, const SourcePos& categories_pos,
                     const std::function<bool(std::int64_t)>& keep)
    : seed_(seed) {
  if (!categories.empty()) {
    std::set<std::string> have;
    for (std::size_t r = 0; r < t.num_queries(); ++r) have.insert(t.category(r));
    for (const auto& c : categories)
      if (!have.count(c)) {
        std::string list;
        for (const auto& h : have) list += (list.empty() ? "" : ", ") + (h.empty() ? std::string("(blank)") : h);
        throw InputError(categories_pos, "quality.categories",
                         "no question of category '" + c + "' in " + t.file().string() + " (categories: " + list + ")");
      }
  }
  for (std::size_t r = 0; r < t.num_queries(); ++r) {
    if (!categories.empty() && std::find(categories.begin(), categories.end(), t.category(r)) == categories.end())
      continue;
    if (keep && !keep(t.query_id(r))) continue;
    bool ok = true;
    for (auto c : cols) ok = ok && t.has_score(r, c);
    if (ok)
      eligible_.push_back(r);
    else
      ++skipped_;
  }
  if (eligible_.empty()) {
    std::string list;
    for (auto c : cols)
      list += (list.empty() ? "" : ", ") + ("'" + t.models()[c] + "' (" + std::to_string(t.blanks(c)) + " blank)");
    throw InputError(SourcePos{t.file(), 0, 0}, "quality.table",
                     "no question" + std::string(categories.empty() ? "" : " of the chosen categories") +
                         std::string(keep ? " passing the question filter (a kernel's held-out split; a response length in every column "
                                          "under quality.output_tokens = \"model\")" : "") +
                         " has a score in every column in use: " + list + " of " + std::to_string(t.num_queries()) +
                         " questions (quality.blank = \"zero\" scores blanks 0)");
  }
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
