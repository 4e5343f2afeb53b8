/// \file fusion.cpp
/// Fusion / ensemble (survey §3.1.5, §3.2.3; FS-GEN, LLM ensembles): every member model
/// answers concurrently and a combiner picks the final answer from their predicted
/// answers (the `<model>|pred` letters of a quality table such as the MMLU-Pro matrix):
///  - "majority": the most frequent letter (ties: the letter of the earliest member among
///    the tied ones); a member with no prediction abstains;
///  - "weighted": the letter with the largest sum of member weights.
/// The fused answer is right when its letter equals the question's answer key. Latency is
/// the slowest member's; all members are paid. A member that refuses the request (beyond
/// its context window or device memory, Context::fits) abstains; when every member
/// refuses, so does the request (the first member's status).

#include <map>

#include <fmt/format.h>

#include "sim/mechanisms/registry.hpp"

namespace collabsim {
namespace {

class Fusion final : public Mechanism {
 public:
  Fusion(Context& cx, const ParamSet& p) : cx_(cx), weighted_(p.text("combiner") == "weighted") {
    for (const auto& n : p.texts("members")) members_.push_back(cx.deployment(n, p.pos("members"), "mechanism.fusion.members"));
    weights_ = p.numbers("weights");
    if (weights_.empty()) weights_.assign(members_.size(), 1.0);
    if (weights_.size() != members_.size())
      throw InputError(p.pos("weights"), "mechanism.fusion.weights",
                       fmt::format("{} members need {} weights, got {}", members_.size(), members_.size(), weights_.size()));
    p.require_distinct("members", "mechanism.fusion.members");  // a member twice would vote twice
    strongest_ = members_.back();
  }

  std::vector<std::size_t> large_deployments() const override { return {strongest_}; }

  /// Fused letter of a question row ('\0' when no member predicts) over the members whose
  /// `voting` entry is true.
  char vote(std::size_t row, const std::vector<bool>& voting) const {
    std::map<char, double> tally;
    std::map<char, std::size_t> first_seen;
    for (std::size_t i = 0; i < members_.size(); ++i) {
      if (!voting[i]) continue;
      const char c = cx_.table().pred(row, cx_.quality_column(members_[i]));
      if (c == '\0') continue;
      tally[c] += weighted_ ? weights_[i] : 1.0;
      first_seen.emplace(c, i);
    }
    char best = '\0';
    for (const auto& [c, w] : tally)
      if (best == '\0' || w > tally[best] || (w == tally[best] && first_seen[c] < first_seen[best])) best = c;
    return best;
  }

  Task<void> serve(const Request& r, RequestRecord& rec) override {
    const std::vector<Answer> answers = co_await cx_.ask_all(members_, r, rec);
    std::vector<bool> voting(answers.size());
    std::size_t first_in = answers.size();  // first member that did not refuse
    for (std::size_t i = 0; i < answers.size(); ++i) {
      voting[i] = !answers[i].context_exceeded && !answers[i].out_of_memory;
      if (voting[i] && first_in == answers.size()) first_in = i;
    }
    if (first_in == answers.size()) {  // every member refused
      cx_.finish(r, rec, answers[0], Route::at(members_.size() - 1), false);
      co_return;
    }
    Answer last = answers[first_in];
    for (std::size_t i = 0; i < answers.size(); ++i) {
      const Answer& a = answers[i];
      if (voting[i] && (a.done_at_user > last.done_at_user || a.timed_out || a.generation.failed)) last = a;
    }
    // The combiner needs every answer: the fused answer is released when the last is in.
    last.first_token_at_user = last.done_at_user;
    const char letter = vote(r.quality_row, voting);
    const double q = letter != '\0' && letter == cx_.table().answer(r.quality_row) ? 1.0 : 0.0;
    cx_.finish_with_quality(r, rec, last, Route::at(members_.size() - 1), false, q);
  }

 private:
  Context& cx_;
  std::vector<std::size_t> members_;
  std::vector<double> weights_;
  bool weighted_;
  std::size_t strongest_ = 0;
};

}  // namespace

MechanismInfo fusion_info() {
  return {"fusion", "all members answer; majority or weighted vote over their predicted answers",
          "FS-GEN, LLM ensembles; survey §3.1.5, §3.2.3",
          {Field::text_list("members", std::vector<std::string>{"slm", "llm"}, "deployments that answer", 1).distinct_entries(),
           Field::text("combiner", "majority", "how the final answer is chosen", {"majority", "weighted"}),
           Field::real_list("weights", std::vector<double>{}, "1", "weighted combiner: one weight per member", 0.0)},
          [](Context& cx, const ParamSet& p) { return std::make_unique<Fusion>(cx, p); }};
}

}  // namespace collabsim
