#include "sim/mechanisms/agreement_score.hpp"

#include <algorithm>
#include <limits>

#include "sim/quality/metrics.hpp"

namespace collabsim {

AgreementScorer::AgreementScorer(Context& cx, const ParamSet& p, const std::string& prefix)
    : cx_(cx), active_(p.text("score") == "agreement"), charge_(p.text("voter_cost") == "sample") {
  if (!active_) return;
  const auto& names = p.texts("voters");
  if (names.empty())
    throw InputError(p.pos("voters"), prefix + ".voters",
                     "score = \"agreement\" needs voters: quality-table model columns whose answers are compared "
                     "with the stage's (e.g. [\"Mistral-7B-Instruct-v0.2\", \"Qwen1.5-7B-Chat\"])");
  p.require_distinct("voters", prefix + ".voters");
  const auto& table = cx.table();
  for (const auto& n : names) {
    const auto& loaded = table.models();
    const auto it = std::find(loaded.begin(), loaded.end(), n);
    if (it == loaded.end())
      throw InputError(p.pos("voters"), prefix + ".voters", "'" + n + "' is not a loaded quality-table column");
    voters_.push_back(static_cast<std::size_t>(it - loaded.begin()));
  }
}

double AgreementScorer::score(std::size_t dep, const Request& r) {
  const auto& table = cx_.table();
  const std::size_t own = cx_.quality_column(dep);
  const char mine = table.pred(r.quality_row, own);
  std::size_t agree = 0, n = 0;
  for (const std::size_t v : voters_) {
    if (v == own) continue;  // a model does not vote on its own answer
    ++n;
    if (mine != '\0' && table.pred(r.quality_row, v) == mine) ++agree;
  }
  RngStream rng = cx_.rng("agreement_tie", r);
  const double s = (static_cast<double>(agree) + rng.uniform()) / static_cast<double>(n + 1);
  scores_.push_back(s);
  correct_.push_back(cx_.correct(dep, r));
  return s;
}

MetricRow AgreementScorer::stats() const {
  if (!active_) return {};
  double sum = 0;
  for (double s : scores_) sum += s;
  const double mean = scores_.empty() ? std::numeric_limits<double>::quiet_NaN() : sum / static_cast<double>(scores_.size());
  return {{"agreement_auroc", {"1", metrics::auroc(scores_, correct_)}},
          {"agreement_mean", {"1", mean}},
          {"agreement_voters", {"models", static_cast<double>(voters_.size())}}};
}

std::vector<Field> agreement_score_fields() {
  return {Field::text_list("voters",
                           std::vector<std::string>{"Mistral-7B-Instruct-v0.2", "Qwen1.5-7B-Chat",
                                                    "Meta-Llama-3_1-8B-Instruct", "gemma-7b"},
                           "score = agreement: quality-table models whose answers (|pred) vote on the stage's "
                           "answer (stand-ins for self-consistency samples)",
                           0),
          Field::text("voter_cost", "sample",
                      "score = agreement: 'sample' charges one extra generation per voter on the stage's "
                      "deployment; 'none' makes votes free",
                      {"sample", "none"})};
}

std::vector<std::string> agreement_columns(const ParamSet& p) {
  if (p.text("score") != "agreement") return {};
  return p.texts("voters");
}

}  // namespace collabsim
