/// \file hierarchical_prompts.cpp
/// SLM-default hierarchical prompting (survey §4.5: Qu et al. 2025's "Hierarchical Safety
/// Prompt" architecture, "deploying an SLM specialized in safe driving knowledge within the
/// vehicle system for real-time environment monitoring and basic safety prompts, while
/// retaining connectivity to a cloud LLM for complex situational analysis"). The vehicle's
/// SLM answers every request; the user's first token is always the SLM's. A complexity
/// gate (noisy-oracle confidence for "the SLM's answer is right", confidence.hpp) flags the
/// requests below `threshold` as complex; those are also sent to the cloud LLM when its
/// path is up, concurrently with the SLM's answer, and the LLM's analysis replaces the
/// SLM's when it reaches the user within `deadline` of arrival (0 = no deadline).
/// Otherwise (link down, or late) the SLM's answer stands. The design is the inverse of a
/// cloud-first fallback: the cloud is the exception, not the default.

#include "sim/core/when_all.hpp"
#include "sim/mechanisms/confidence.hpp"
#include "sim/mechanisms/registry.hpp"
#include "sim/mechanisms/two_model.hpp"

namespace collabsim {
namespace {

class HierarchicalPrompts final : public TwoModelMechanism {
 public:
  HierarchicalPrompts(Context& cx, const ParamSet& p)
      : TwoModelMechanism(cx, p),
        threshold_(p.number("threshold")),
        conf_(p.number("auroc")),
        deadline_(p.number("deadline")) {}

  Task<void> serve(const Request& r, RequestRecord& rec) override {
    RngStream rng = cx_.rng("hierarchical_prompts", r);
    const double c = conf_.draw(cx_.correct(small_, r), rng);
    bool complex = c < threshold_;
    if (DecisionHook* h = cx_.decision_hook(DecisionKind::escalate)) {  // an external policy (decision.hpp)
      const std::size_t options[] = {small_, large_};
      complex = h->decide({DecisionKind::escalate, &r, &rec, options, c, 0, complex ? 1u : 0u}, cx_) == 1;
    }
    if (!complex || !cx_.reachable_now(large_, r)) {
      offline_ += complex;
      const Answer a = co_await cx_.ask(small_, r, rec);
      co_return cx_.finish(r, rec, a, Route::small(), false);
    }
    ++asked_;
    const SimTime deadline = deadline_ > 0 ? r.arrival + from_seconds(deadline_) : kTimeNever;
    std::vector<Task<Answer>> both;
    both.push_back(cx_.ask(small_, r, rec));
    both.push_back(cx_.ask_tokens(large_, r, rec, r.prompt_tokens, cx_.output_tokens(large_, r), false, deadline));
    const std::vector<Answer> got = co_await when_all(cx_.engine(), std::move(both));
    const Answer& local = got[0];
    Answer cloud = got[1];
    if (cloud.timed_out || cloud.generation.failed || cloud.done_at_user > deadline) {
      ++late_;
      co_return cx_.finish(r, rec, local, Route::small(), false);
    }
    if (!local.generation.failed) cloud.first_token_at_user = std::min(cloud.first_token_at_user, local.first_token_at_user);
    cx_.finish(r, rec, cloud, Route::large(), true);
  }

  MetricRow stats() const override {
    return {{"complex_sent_to_llm", {"requests", static_cast<double>(asked_)}},
            {"complex_offline", {"requests", static_cast<double>(offline_)}},
            {"llm_late_or_failed", {"requests", static_cast<double>(late_)}}};
  }

 private:
  double threshold_;
  NoisyOracleConfidence conf_;
  double deadline_;
  std::int64_t asked_ = 0, offline_ = 0, late_ = 0;
};

}  // namespace

MechanismInfo hierarchical_prompts_info() {
  auto fields = two_model_fields();
  fields.push_back(Field::real("threshold", 0.3, "1",
                               "a request whose SLM confidence < threshold is complex and also goes to the LLM", 0.0, 1.0));
  fields.push_back(Field::real("auroc", 0.75, "1", "AUROC of the complexity gate's confidence for \"the SLM's answer is right\"",
                               0.5, 0.999999));
  fields.push_back(Field::quantity("deadline", "0 s", Dimension::Time,
                                   "the LLM's analysis replaces the SLM's answer only if it reaches the user by arrival + deadline (0 = none)"));
  fields.push_back(target_share_field("threshold"));
  MechanismInfo info{"hierarchical_prompts",
                     "SLM answers every request; complex ones also go to the cloud LLM, whose answer replaces it when in time",
                     "Hierarchical Safety Prompt (Qu et al. 2025); survey §4.5", fields,
                     [](Context& cx, const ParamSet& p) { return std::make_unique<HierarchicalPrompts>(cx, p); }};
  info.calibration_key = "threshold";
  return info;
}

}  // namespace collabsim
