/// \file speculative.cpp
/// Edge–cloud speculative decoding (Leviathan, Kalman & Matias, ICML 2023; Chen et al.
/// 2023; the edge–cloud split of Hao et al. 2024 "Hybrid SLM and LLM for edge-cloud
/// collaborative inference"; survey §1.2, §4.1). The draft model (SLM, usually on the
/// user's device) proposes γ tokens; they travel up the link; the target model (LLM)
/// scores them in one forward pass inside its batch (a γ-token chunk after the cached
/// context, emitting one token); the accepted prefix plus the target's own next token
/// travel back. Rounds repeat until the output length is reached.
///
/// Acceptance: i.i.d. per token with rate α (`alpha`, or the rate measured by
/// `collabsim train-lm` at this γ when `alpha_file` is set), so a round accepts k
/// drafted tokens with P(k) = α^k(1−α) for k < γ and α^γ for k = γ, and emits k + 1
/// tokens: E[tokens per round] = (1 − α^(γ+1)) / (1 − α). With no network and a verify
/// pass costing one target step T and a draft step cT, the speedup over the target alone
/// is (1 − α^(γ+1)) / ((1 − α)(γc + 1)) (Leviathan et al. 2023, Thm 3.8).
///
/// Adaptive γ (`adaptive = true`): after a round that accepted every draft, γ += 2; after
/// a rejection, γ −= 1 (at least 1, at most gamma_max) — the "heuristic" schedule of
/// Hugging Face transformers' assisted generation.
///
/// Speculative sampling leaves the target's output distribution unchanged, so quality is
/// the target model's.
///
/// Limits (Context::admission, context window and device memory, checked for both models
/// on prompt + output): a draft that cannot hold the request is not used and the target
/// answers alone (plain decoding, as a serving stack turns speculation off for such a
/// sequence); a target that cannot hold it refuses the request (status context_exceeded or
/// out_of_memory; the answer is defined as the target's). Under "truncate" each model
/// keeps its own last prompt tokens that fit (both counted in truncated tokens).

#include <algorithm>
#include <filesystem>

#include "sim/kernels/lm_pair.hpp"

#include "sim/mechanisms/registry.hpp"
#include "sim/mechanisms/two_model.hpp"

namespace collabsim {
namespace {

/// α from the parameter, or measured by the kernel pair when `alpha_file` is set.
double alpha_of(Context& cx, const ParamSet& p) {
  if (p.text("alpha_file").empty()) return p.number("alpha");
  std::filesystem::path f = p.text("alpha_file");
  if (f.is_relative()) f = cx.scenario().file.parent_path() / f;
  return kernels::measured_alpha(f, static_cast<int>(p.integer("gamma")));
}

class Speculative final : public TwoModelMechanism {
 public:
  Speculative(Context& cx, const ParamSet& p)
      : TwoModelMechanism(cx, p),
        alpha_(alpha_of(cx, p)),
        gamma_(static_cast<int>(p.integer("gamma"))),
        gamma_max_(static_cast<int>(p.integer("gamma_max"))),
        adaptive_(p.flag("adaptive")) {
    require_token_latency("speculative decoding");
  }

  Task<void> serve(const Request& r, RequestRecord& rec) override {
    const Context::Admission target = cx_.admission(large_, r.prompt_tokens, r.output_tokens);
    const Context::Admission draft = cx_.admission(small_, r.prompt_tokens, r.output_tokens);
    if (target.refused != Context::Limit::none || draft.refused != Context::Limit::none) {
      // The target refuses (ask() records why), or the draft cannot hold it: target alone.
      if (target.refused == Context::Limit::none) ++target_alone_;
      co_return co_await answer_with(large_, r, rec);
    }
    const std::int64_t p_small = draft.prompt, p_large = target.prompt;  // < prompt when truncated
    rec.truncated_tokens += (r.prompt_tokens - p_small) + (r.prompt_tokens - p_large);
    RngStream rng = cx_.rng("speculative_accept", r);
    // Both models read the prompt: the SLM on its device, the LLM after the upload.
    co_await cx_.run_on(small_, rec, p_small, 0);
    const Transfer up = co_await cx_.upload(r, rec, large_, cx_.token_bytes(p_large));
    Answer a;
    a.deployment = large_;
    if (up.timed_out) co_return finish_timed_out(r, rec, a);
    const Generation pre = co_await cx_.run_on(large_, rec, p_large, 0);
    a.generation = pre;
    std::int64_t emitted = 0;
    int gamma = gamma_;
    bool first = true;
    while (emitted < r.output_tokens && !a.generation.failed) {
      const int g = static_cast<int>(std::min<std::int64_t>(gamma, r.output_tokens - emitted));
      co_await cx_.run_on(small_, rec, 0, g, p_small + emitted);                        // draft γ tokens
      const Transfer draft_up = co_await cx_.upload(r, rec, large_, cx_.token_bytes(g));
      if (draft_up.timed_out) co_return finish_timed_out(r, rec, a);
      const Generation v = co_await cx_.run_on(large_, rec, g, 1, p_large + emitted);  // verify: one pass
      if (v.failed) {
        a.generation.failed = true;
        break;
      }
      int k = 0;
      while (k < g && rng.bernoulli(alpha_)) ++k;
      const std::int64_t out = std::min<std::int64_t>(k + 1, r.output_tokens - emitted);
      const Transfer down = co_await cx_.download(r, rec, large_, cx_.token_bytes(out));
      if (down.timed_out) co_return finish_timed_out(r, rec, a);
      emitted += out;
      emitted_total_ += out;
      ++rounds_;
      accepted_ += k;
      rejections_ += k < g ? 1 : 0;
      drafted_ += g;
      if (first) {
        a.first_token_at_user = cx_.engine().now();
        first = false;
      }
      if (adaptive_) gamma = k == g ? std::min(gamma + 2, gamma_max_) : std::max(gamma - 1, 1);
    }
    a.done_at_user = cx_.engine().now();
    if (first) a.first_token_at_user = a.done_at_user;
    // Generated tokens per deployment count drafts and verifications; the answer is the LLM's.
    cx_.finish(r, rec, a, Route::large(), false);
  }

  MetricRow stats() const override {
    const double rounds = static_cast<double>(rounds_);
    return {{"rounds", {"1", rounds}},
            {"drafted_tokens", {"tokens", static_cast<double>(drafted_)}},
            {"accepted_tokens", {"tokens", static_cast<double>(accepted_)}},
            {"emitted_tokens", {"tokens", static_cast<double>(emitted_total_)}},
            // α̂: accepted drafts over drafts that were judged (a rejection ends the round,
            // later drafts of that round are never judged).
            {"acceptance_rate", {"1", accepted_ + rejections_ ? static_cast<double>(accepted_) / static_cast<double>(accepted_ + rejections_) : 0.0}},
            {"accepted_share", {"1", drafted_ ? static_cast<double>(accepted_) / static_cast<double>(drafted_) : 0.0}},
            {"tokens_per_round", {"tokens", rounds > 0 ? static_cast<double>(emitted_total_) / rounds : 0.0}},
            // Requests the draft could not hold (Context::admission), answered by the target alone.
            {"target_alone_requests", {"requests", static_cast<double>(target_alone_)}}};
  }

 private:
  void finish_timed_out(const Request& r, RequestRecord& rec, Answer& a) {
    a.timed_out = true;
    a.first_token_at_user = a.done_at_user = cx_.engine().now();
    cx_.finish(r, rec, a, Route::large(), false);
  }

  double alpha_;
  int gamma_, gamma_max_;
  bool adaptive_;
  std::int64_t rounds_ = 0, accepted_ = 0, drafted_ = 0, emitted_total_ = 0, rejections_ = 0, target_alone_ = 0;
};

}  // namespace

MechanismInfo speculative_info() {
  auto fields = two_model_fields();
  fields.push_back(Field::real("alpha", 0.7, "1", "per-token acceptance rate α of the draft (i.i.d.)", 0.0, 1.0));
  fields.push_back(Field::text("alpha_file", "",
                               "LM-pair report from `collabsim train-lm`: use its measured α at this γ instead of alpha"));
  fields.push_back(Field::integer("gamma", 4, "tokens", "draft tokens per round γ (initial when adaptive)", 1, 64));
  fields.push_back(Field::boolean("adaptive", false, "adapt γ per round (+2 all accepted, −1 otherwise)"));
  fields.push_back(Field::integer("gamma_max", 16, "tokens", "upper bound of adaptive γ", 1, 64));
  return {"speculative", "SLM drafts γ tokens on the device, the LLM verifies them in the cloud each round",
          "Leviathan et al. 2023; Hao et al. 2024 (edge–cloud); survey §1.2, §4.1", fields,
          [](Context& cx, const ParamSet& p) { return std::make_unique<Speculative>(cx, p); }};
}

}  // namespace collabsim
