/// \file length_router.cpp
/// Length router (a baseline; the worked example of docs/EXTENDING.md), on one of two
/// features (`feature`):
///  - "prompt": before any model runs, a request whose prompt is longer than
///    `max_small_prompt` tokens goes to the LLM, every other one to the SLM;
///  - "answer": the SLM answers first; when its answer is longer than `max_small_answer`
///    tokens the request escalates to the LLM (a cascade whose confidence is the answer's
///    brevity: a long chain of thought is a sign of a question the SLM struggles with).
/// Its only input is a length, so it shows whether the request's lengths carry signal
/// about the question: with lengths from the trace (quality.prompt_tokens /
/// output_tokens = "trace") they are independent of the joined question and the router
/// lands on the random mix; with lengths from the question's text and the models' own
/// responses ("question", "model") they are the question's (docs/QUALITY.md, "Lengths
/// that carry signal"). A model that cannot hold the request (Context::fits) hands it to
/// the other.

#include "sim/mechanisms/registry.hpp"
#include "sim/mechanisms/two_model.hpp"

namespace collabsim {
namespace {

class LengthRouter final : public TwoModelMechanism {
 public:
  LengthRouter(Context& cx, const ParamSet& p)
      : TwoModelMechanism(cx, p),
        on_answer_(p.text("feature") == "answer"),
        prompt_limit_(p.integer("max_small_prompt")),
        answer_limit_(p.integer("max_small_answer")) {}

  Task<void> serve(const Request& r, RequestRecord& rec) override {
    if (!on_answer_) co_return co_await answer_with(fitting(r.prompt_tokens > prompt_limit_ ? large_ : small_, r), r, rec);
    if (!cx_.fits(small_, r)) co_return co_await answer_with(large_, r, rec);
    const Answer a = co_await cx_.ask(small_, r, rec);
    if (a.timed_out || a.generation.failed || cx_.output_tokens(small_, r) <= answer_limit_)
      co_return cx_.finish(r, rec, a, Route::small(), false);
    const Answer b = co_await cx_.ask(large_, r, rec);
    cx_.finish(r, rec, b, Route::large(), true);
  }

 private:
  bool on_answer_;
  std::int64_t prompt_limit_, answer_limit_;
};

}  // namespace

MechanismInfo length_router_info() {
  auto fields = two_model_fields();
  fields.push_back(Field::text("feature", "prompt",
                               "prompt: route on the prompt's length before generation; answer: the SLM answers and "
                               "escalates to the LLM when its answer is long",
                               {"prompt", "answer"}));
  fields.push_back(Field::integer("max_small_prompt", 512, "tokens",
                                  "feature = prompt: longest prompt the SLM answers; longer prompts go to the LLM", 0, 1e9));
  fields.push_back(Field::integer("max_small_answer", 256, "tokens",
                                  "feature = answer: longest SLM answer kept; longer ones escalate to the LLM", 0, 1e9));
  return {"length_router", "route on a length: long prompts, or long SLM answers, go to the LLM",
          "(baseline; docs/EXTENDING.md)", fields,
          [](Context& cx, const ParamSet& p) { return std::make_unique<LengthRouter>(cx, p); }};
}

}  // namespace collabsim
