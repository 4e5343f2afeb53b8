/// \file cascade.cpp
/// Multi-stage cascade (FrugalGPT, Chen, Zaharia & Zou 2023; AutoMix, Madaan et al. 2023;
/// uncertainty routing, Chuang et al. 2024; survey §3.1.2). Stage i answers; if its
/// confidence is below thresholds[i] the request escalates to stage i+1; the last stage's
/// answer is final.
///
/// Confidence is the noisy oracle of confidence.hpp (settable AUROC for "this stage's
/// answer is right"), or, with `score = "kernel"` (two stages only), a router kernel
/// trained by `collabsim train-router` for "the first stage answers right" scoring the
/// question text; its inference time (kernel_score.hpp) is paid on the origin device
/// before the decision; or, with `score = "agreement"`, the share of `voters` (other models'
/// actual answers in the quality table's |pred columns) that chose the stage's answer
/// (agreement_score.hpp), each vote paid as an extra sample on the stage's deployment:
/// the votes decode as one concurrent batch after the stage's answer, reusing its prompt's
/// KV cache (one new prompt token each), so they add one decode time, not k. With
/// `verifier = "self"` the stage first verifies its own answer as
/// AutoMix does: `verify_samples` extra generations on the same deployment, each with the
/// question + answer as prompt and `verify_tokens` output, paid in time, energy and cost.
///
/// A stage whose model cannot hold the request (prompt + output beyond its context window,
/// Context::fits) is skipped at no cost; the last stage is always asked (and refuses with
/// status context_exceeded when it cannot hold it either).
///
/// The decision needs the stage's whole answer, so an accepted answer reaches the user when
/// the stage (and its verification) ends: TTFT = that completion. An escalated request's
/// TTFT is the next stage's first token at the user. Earlier stages are paid either way.
/// thresholds = [0] equals the first stage alone; thresholds = [1] equals the last stage
/// plus the earlier stages' cost.

#include <fmt/format.h>

#include "sim/core/when_all.hpp"
#include "sim/mechanisms/agreement_score.hpp"
#include "sim/mechanisms/confidence.hpp"
#include "sim/mechanisms/kernel_score.hpp"
#include "sim/mechanisms/registry.hpp"

namespace collabsim {
namespace {

class Cascade final : public Mechanism {
 public:
  Cascade(Context& cx, const ParamSet& p)
      : cx_(cx),
        thresholds_(p.numbers("thresholds")),
        conf_(p.number("auroc")),
        self_verify_(p.text("verifier") == "self"),
        verify_tokens_(p.integer("verify_tokens")),
        verify_samples_(p.integer("verify_samples")),
        kernel_(cx, p, "mechanism.cascade"),
        agreement_(cx, p, "mechanism.cascade") {
    for (const auto& name : p.texts("stages")) stages_.push_back(cx.deployment(name, p.pos("stages"), "mechanism.cascade.stages"));
    if (thresholds_.size() != stages_.size() - 1)
      throw InputError(p.pos("thresholds"), "mechanism.cascade.thresholds",
                       fmt::format("{} stages need {} thresholds, got {}", stages_.size(), stages_.size() - 1,
                                   thresholds_.size()));
    if (kernel_.active() && stages_.size() != 2)
      throw InputError(p.pos("score"), "mechanism.cascade.score",
                       fmt::format("score = \"kernel\" scores the first of two stages; got {} stages", stages_.size()));
    if (kernel_.active())
      kernel_.check_columns(cx.table().models()[cx.quality_column(stages_[0])],
                            cx.table().models()[cx.quality_column(stages_[1])], p, "mechanism.cascade");
    // A deployment twice would be counted once as "large" and once as "small".
    p.require_distinct("stages", "mechanism.cascade.stages");
  }

  MetricRow stats() const override {
    MetricRow row = kernel_.stats();
    for (auto& m : agreement_.stats()) row.push_back(std::move(m));
    return row;
  }

  std::vector<std::size_t> large_deployments() const override {
    return {stages_.begin() + 1, stages_.end()};
  }

  Task<void> serve(const Request& r, RequestRecord& rec) override {
    RngStream rng = cx_.rng("cascade_confidence", r);
    for (std::size_t i = 0; i < stages_.size(); ++i) {
      const bool last = i + 1 == stages_.size();
      if (!last && !cx_.fits(stages_[i], r)) continue;  // beyond this stage's context window: skip it
      Answer a = co_await cx_.ask(stages_[i], r, rec);
      if (!last && a.battery_low) continue;  // the user's device fell below its battery floor: next stage
      if (!last && !a.timed_out && !a.generation.failed) {
        if (self_verify_)
          for (std::int64_t k = 0; k < verify_samples_; ++k) {
            const Answer v = co_await cx_.ask_tokens(stages_[i], r, rec, r.prompt_tokens + cx_.output_tokens(stages_[i], r),
                                                     verify_tokens_);
            a.done_at_user = std::max(a.done_at_user, v.done_at_user);
          }
        double c = 0;
        if (agreement_.active()) {
          if (agreement_.samples() > 0) {
            std::vector<Task<Generation>> votes;
            for (std::size_t k = 0; k < agreement_.samples(); ++k)
              votes.push_back(cx_.run_on(stages_[i], rec, 1, cx_.output_tokens(stages_[i], r), r.prompt_tokens));
            co_await when_all(cx_.engine(), std::move(votes));
            a.done_at_user = std::max(a.done_at_user, cx_.engine().now());
          }
          c = agreement_.score(stages_[i], r);
        } else if (kernel_.active()) {
          const KernelScore k = kernel_.score(r);
          co_await cx_.compute_on_origin(r, rec, k.overhead_s);
          a.done_at_user = std::max(a.done_at_user, cx_.engine().now());
          c = k.score;
        } else {
          c = conf_.draw(cx_.correct(stages_[i], r), rng);
        }
        bool escalate = c < thresholds_[i];
        if (DecisionHook* h = cx_.decision_hook(DecisionKind::escalate)) {  // an external policy (decision.hpp)
          const std::size_t options[] = {stages_[i], stages_[i + 1]};
          escalate = h->decide({DecisionKind::escalate, &r, &rec, options, c, i, escalate ? 1u : 0u}, cx_) == 1;
        }
        if (escalate) continue;
        a.first_token_at_user = a.done_at_user;  // released after the decision
      }
      cx_.finish(r, rec, a, Route::at(i), i > 0);
      co_return;
    }
  }

 private:
  Context& cx_;
  std::vector<std::size_t> stages_;
  std::vector<double> thresholds_;
  NoisyOracleConfidence conf_;
  bool self_verify_;
  std::int64_t verify_tokens_, verify_samples_;
  KernelScorer kernel_;
  AgreementScorer agreement_;
};

}  // namespace

MechanismInfo cascade_info() {
  std::vector<Field> fields{
      Field::text_list("stages", std::vector<std::string>{"slm", "llm"}, "deployments from cheapest to strongest", 2).distinct_entries(),
      Field::real_list("thresholds", std::vector<double>{0.5}, "1",
                       "per stage but the last: escalate when confidence < threshold", 0.0, 1.0),
      Field::real("auroc", 0.75, "1", "AUROC of the noisy-oracle confidence for 'stage answer correct'", 0.5,
                  0.999999),
      Field::text("verifier", "none", "'self': each stage verifies its own answer first (AutoMix)", {"none", "self"}),
      Field::integer("verify_tokens", 8, "tokens", "output tokens of one verification", 1, 1e6),
      Field::integer("verify_samples", 1, "1", "verifications per stage (AutoMix samples k)", 1, 64)};
  for (auto& f : kernel_score_fields()) fields.push_back(std::move(f));
  for (auto& f : agreement_score_fields()) fields.push_back(std::move(f));
  fields.push_back(target_share_field("thresholds (one threshold, two stages)"));
  MechanismInfo info{"cascade", "stage by stage: answer, judge confidence, escalate below the stage's threshold",
                     "FrugalGPT (Chen et al. 2023), AutoMix (Madaan et al. 2023); survey §3.1.2", fields,
                     [](Context& cx, const ParamSet& p) { return std::make_unique<Cascade>(cx, p); }};
  info.calibration_key = "thresholds";
  info.extra_columns = agreement_columns;
  info.question_filter = kernel_question_filter;
  return info;
}

}  // namespace collabsim
