/// \file decomposition.cpp
/// Auxiliary / decomposition collaboration (survey §3.1.3).
///  - "llm_plans" (MinionS, Narayan et al. 2025): the LLM reads the question (without the
///    long context, of which only `question_share` of the prompt is the question) and
///    writes a plan of `plan_tokens`; `subtasks` local SLM jobs each read their share of the
///    context and write `sub_output` tokens; the LLM reads the k sub-answers and writes the
///    final answer. The LLM never reads the full context, so cloud prefill and uplink shrink.
///  - "slm_plans" (Collab-RAG, Xu et al. 2025): the SLM decomposes the question on the
///    device into `subtasks` sub-questions of `sub_output` tokens, the LLM answers them
///    (reading the whole prompt once) and writes the final answer.
/// Quality model (assumption from MinionS's reported recovery of remote-only quality):
/// the answer takes the LLM's outcome with probability `recovery` and the SLM's otherwise.

#include <algorithm>
#include <cmath>

#include "sim/mechanisms/registry.hpp"
#include "sim/mechanisms/two_model.hpp"

namespace collabsim {
namespace {

class Decomposition final : public TwoModelMechanism {
 public:
  Decomposition(Context& cx, const ParamSet& p)
      : TwoModelMechanism(cx, p),
        llm_plans_(p.text("mode") == "llm_plans"),
        k_(p.integer("subtasks")),
        plan_(p.integer("plan_tokens")),
        sub_out_(p.integer("sub_output")),
        question_share_(p.number("question_share")),
        recovery_(p.number("recovery")) {}

  Task<void> serve(const Request& r, RequestRecord& rec) override {
    Answer final_answer;
    if (llm_plans_) {
      const std::int64_t question = std::max<std::int64_t>(1, std::llround(question_share_ * static_cast<double>(r.prompt_tokens)));
      const Answer plan = co_await cx_.ask_tokens(large_, r, rec, question, plan_);
      if (plan.timed_out || plan.generation.failed) co_return cx_.finish(r, rec, plan, Route::large(), false);
      const std::int64_t chunk = std::max<std::int64_t>(1, r.prompt_tokens / k_);
      for (std::int64_t i = 0; i < k_; ++i)  // one device: the SLM jobs run one after another
        co_await cx_.ask_tokens(small_, r, rec, chunk + plan_, sub_out_);
      final_answer = co_await cx_.ask_tokens(large_, r, rec, k_ * sub_out_ + question, cx_.output_tokens(large_, r));
    } else {
      co_await cx_.ask_tokens(small_, r, rec, r.prompt_tokens, k_ * sub_out_);
      final_answer = co_await cx_.ask_tokens(large_, r, rec, r.prompt_tokens + k_ * sub_out_, cx_.output_tokens(large_, r));
    }
    RngStream rng = cx_.rng("decomposition_quality", r);
    const bool recovered = rng.bernoulli(recovery_);
    cx_.finish_with_quality(r, rec, final_answer, Route::large(), false, cx_.score(recovered ? large_ : small_, r));
  }

 private:
  bool llm_plans_;
  std::int64_t k_, plan_, sub_out_;
  double question_share_, recovery_;
};

}  // namespace

MechanismInfo decomposition_info() {
  auto fields = two_model_fields();
  fields.push_back(Field::text("mode", "llm_plans", "who decomposes", {"llm_plans", "slm_plans"}));
  fields.push_back(Field::integer("subtasks", 4, "1", "number of sub-tasks k", 1, 1024));
  fields.push_back(Field::integer("plan_tokens", 64, "tokens", "llm_plans: tokens of the LLM's plan", 1, 1e6));
  fields.push_back(Field::integer("sub_output", 32, "tokens", "tokens of each sub-answer / sub-question", 1, 1e6));
  fields.push_back(Field::real("question_share", 0.1, "1", "llm_plans: share of the prompt that is the question", 0.0, 1.0));
  fields.push_back(Field::real("recovery", 0.97, "1",
                               "probability the answer reaches the LLM's outcome (MinionS: ~97% of remote-only quality)", 0.0, 1.0));
  return {"decomposition", "LLM plans and aggregates, SLMs solve sub-tasks locally (or the SLM plans for the LLM)",
          "MinionS (Narayan et al. 2025), Collab-RAG (Xu et al. 2025); survey §3.1.3", fields,
          [](Context& cx, const ParamSet& p) { return std::make_unique<Decomposition>(cx, p); }};
}

}  // namespace collabsim
