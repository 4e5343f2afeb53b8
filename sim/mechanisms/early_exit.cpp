/// \file early_exit.cpp
/// Early exit to the cloud (CE-CoLLM, Jin & Wu 2024, arXiv:2411.02829; survey §4.3: "enterprises
/// can deploy SLMs on internal servers to handle common queries and basic tasks, while
/// efficiently invoking external LLM resources when necessary through an \"early-exit
/// mechanism\" and a \"cloud context manager\""). The edge SLM starts every answer; after
/// its first `exit_tokens` tokens an exit head scores its confidence. At or above
/// `threshold` the answer exits at the edge (the SLM writes the rest: edge-independent
/// inference); below it the edge stops and hands the request to the cloud LLM, sending
/// the prompt and the tokens written so far once (the cloud context manager keeps that
/// context, so the LLM continues the answer instead of restarting it). The user sees the
/// SLM's first token either way; an escalated answer ends with the LLM's outcome and the
/// LLM writes its own response length less the tokens already written (at least 1).
///
/// Confidence is the noisy oracle of confidence.hpp (binormal, settable AUROC) for "the
/// SLM's answer is right", so the expected exit rate is
///   E[exit] = mean over requests of P(c ≥ θ | SLM right or wrong)
///           = a (1 − Φ(Φ⁻¹(θ) − d/2)) + (1 − a)(1 − Φ(Φ⁻¹(θ) + d/2)),  d = √2 Φ⁻¹(AUROC),
/// with a the SLM's accuracy on the joined questions; /mechanism reports the realised
/// `exit_rate` beside this `predicted_exit_rate` (summed per request). Simplification
/// (named): CE-CoLLM decides per token; here one decision per request at the exit point.
/// A request the SLM cannot hold (Context::fits) goes to the LLM directly; one whose SLM
/// answer is no longer than `exit_tokens` is the SLM's with no decision (counted apart).

#include <algorithm>

#include "sim/mechanisms/confidence.hpp"
#include "sim/mechanisms/registry.hpp"
#include "sim/mechanisms/two_model.hpp"

namespace collabsim {
namespace {

class EarlyExit final : public TwoModelMechanism {
 public:
  EarlyExit(Context& cx, const ParamSet& p)
      : TwoModelMechanism(cx, p),
        threshold_(p.number("threshold")),
        conf_(p.number("auroc")),
        exit_tokens_(p.integer("exit_tokens")) {}

  Task<void> serve(const Request& r, RequestRecord& rec) override {
    if (!cx_.fits(small_, r)) {
      ++direct_;
      co_return co_await answer_with(large_, r, rec);
    }
    const std::int64_t slm_out = cx_.output_tokens(small_, r);
    if (slm_out <= exit_tokens_) {  // the answer is done before the exit point: no decision
      ++short_;
      co_return co_await answer_with(small_, r, rec);
    }
    const bool right = cx_.correct(small_, r);
    RngStream rng = cx_.rng("early_exit", r);
    const double c = conf_.draw(right, rng);
    bool exit = c >= threshold_;
    if (DecisionHook* h = cx_.decision_hook(DecisionKind::escalate)) {  // an external policy (decision.hpp)
      const std::size_t options[] = {small_, large_};
      exit = h->decide({DecisionKind::escalate, &r, &rec, options, c, 0, exit ? 0u : 1u}, cx_) == 0;
    }
    ++decided_;
    predicted_ += conf_.exceed_probability(right, threshold_);
    if (exit) {  // exits at the edge: the SLM writes the whole answer
      ++exits_;
      const Answer a = co_await cx_.ask(small_, r, rec);
      co_return cx_.finish(r, rec, a, Route::small(), false);
    }
    const Answer head = co_await cx_.ask_tokens(small_, r, rec, r.prompt_tokens, exit_tokens_);
    if (head.timed_out || head.generation.failed) co_return cx_.finish(r, rec, head, Route::small(), false);
    const std::int64_t rest = std::max<std::int64_t>(1, cx_.output_tokens(large_, r) - exit_tokens_);
    Answer a = co_await cx_.ask_tokens(large_, r, rec, r.prompt_tokens + exit_tokens_, rest);
    if (!a.timed_out && !a.generation.failed) a.first_token_at_user = head.first_token_at_user;
    cx_.finish(r, rec, a, Route::large(), true);
  }

  MetricRow stats() const override {
    const double n = static_cast<double>(decided_);
    return {{"exit_rate", {"1", n > 0 ? static_cast<double>(exits_) / n : 0.0}},
            {"predicted_exit_rate", {"1", n > 0 ? predicted_ / n : 0.0}},
            {"exit_decisions", {"requests", n}},
            {"direct_to_llm", {"requests", static_cast<double>(direct_)}},
            {"done_before_exit_point", {"requests", static_cast<double>(short_)}}};
  }

 private:
  double threshold_;
  NoisyOracleConfidence conf_;
  std::int64_t exit_tokens_;
  std::int64_t decided_ = 0, exits_ = 0, direct_ = 0, short_ = 0;
  double predicted_ = 0;
};

}  // namespace

MechanismInfo early_exit_info() {
  auto fields = two_model_fields();
  fields.push_back(Field::real("threshold", 0.5, "1", "the answer exits at the edge when the exit head's confidence ≥ threshold", 0.0, 1.0));
  fields.push_back(Field::real("auroc", 0.75, "1", "AUROC of the exit head's confidence for \"the SLM's answer is right\"", 0.5, 0.999999));
  fields.push_back(Field::integer("exit_tokens", 16, "tokens", "tokens the SLM writes before the exit head decides", 1, 1e6));
  fields.push_back(target_share_field("threshold"));
  MechanismInfo info{"early_exit", "edge SLM starts; exits at the edge when confident, else the cloud LLM continues",
                     "CE-CoLLM (Jin & Wu 2024); survey §4.3", fields,
                     [](Context& cx, const ParamSet& p) { return std::make_unique<EarlyExit>(cx, p); }};
  info.calibration_key = "threshold";
  return info;
}

}  // namespace collabsim
