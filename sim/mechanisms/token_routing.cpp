/// \file token_routing.cpp
/// Token-level routing (CITER, Zheng et al. 2025; survey §3.1.2, §6.1): the SLM on the
/// device generates the answer, and at each token a router sends "critical" tokens to the
/// LLM. Token t goes to the LLM with probability `llm_share` (i.i.d., seeded). A switch to
/// the LLM ships the tokens produced since the LLM last saw the sequence (context sync) up
/// the link and costs one LLM pass over them that emits the token; the token comes back
/// down. A switch back to the SLM makes it read the LLM's tokens (a prefill of those).
///
/// Quality model (the tables hold no per-token outcomes, so either way it is an assumption):
/// the answer takes the LLM's outcome with probability p and the SLM's otherwise, where
///  - quality_model = "measured" (default): p = g(s), the gap recovered by a real
///    CITER-style router on the project's teacher/student byte LMs at the request's
///    realised LLM token share s (sim/kernels/token_router.hpp; curve file
///    models/token_routing/lm_pair_curve.csv, measured by `collabsim train-lm --curve-csv`):
///    g(s) = (bpb_student − bpb(s)) / (bpb_student − bpb_teacher). The assumption is that
///    the fraction of the bits-per-byte gap closed on held-out text is the fraction of
///    answers that reach the LLM's outcome. g(0) = 0 (small_only), g(1) = 1 (large_only).
///  - quality_model = "parametric": p = min(1, llm_share / critical_share), CITER's
///    observation that routing the critical minority of tokens recovers most of the LLM's
///    quality, with critical_share a free parameter.
///
/// Limits (Context::admission, context window and device memory, checked for both models
/// on prompt + output): when one model cannot hold the request the other generates every
/// token alone (ask(): the SLM's answer, or the LLM's); when neither can, the request is
/// refused (status from the LLM's limit). Under "truncate" each model keeps its own last
/// prompt tokens that fit (both counted in truncated tokens).

#include <algorithm>
#include <filesystem>

#include "sim/core/error.hpp"
#include "sim/core/input_file.hpp"
#include "sim/kernels/token_router.hpp"

#include "sim/mechanisms/registry.hpp"
#include "sim/mechanisms/two_model.hpp"

#ifndef COLLABSIM_DEFAULT_SOURCE_DIR
#define COLLABSIM_DEFAULT_SOURCE_DIR ""
#endif

namespace collabsim {
namespace {

constexpr const char* kShippedCurve = "models/token_routing/lm_pair_curve.csv";

/// The measured curve: `quality_curve` relative to the scenario file, or the shipped curve
/// (beside the scenario's ../models, else in the source tree). Throws InputError.
kernels::RoutingCurve load_curve(Context& cx, const ParamSet& p) {
  const std::string key = "mechanism.token_routing.quality_curve";
  const auto dir = cx.scenario().file.parent_path();
  std::filesystem::path f;
  if (!p.text("quality_curve").empty()) {
    f = p.text("quality_curve");
    if (f.is_relative()) f = dir / f;
    if (!input_exists(f)) throw InputError(p.pos("quality_curve"), key, "file '" + f.string() + "' does not exist");
  } else {
    f = dir / ".." / kShippedCurve;
    if (!input_exists(f) && std::string(COLLABSIM_DEFAULT_SOURCE_DIR).size())
      f = std::filesystem::path(COLLABSIM_DEFAULT_SOURCE_DIR) / kShippedCurve;
  }
  return kernels::read_routing_csv(f, key);
}

class TokenRouting final : public TwoModelMechanism {
 public:
  TokenRouting(Context& cx, const ParamSet& p)
      : TwoModelMechanism(cx, p),
        share_(p.number("llm_share")),
        critical_(p.number("critical_share")),
        measured_(p.text("quality_model") == "measured") {
    if (measured_) curve_ = load_curve(cx, p);
    require_token_latency("token-level routing");
  }

  Task<void> serve(const Request& r, RequestRecord& rec) override {
    const Context::Admission slm = cx_.admission(small_, r.prompt_tokens, r.output_tokens);
    const Context::Admission llm = cx_.admission(large_, r.prompt_tokens, r.output_tokens);
    if (slm.refused != Context::Limit::none || llm.refused != Context::Limit::none) {
      // One model alone generates every token; with neither, ask(large) refuses it.
      const bool small_alone = slm.refused == Context::Limit::none;
      if (small_alone || llm.refused == Context::Limit::none) {
        ++(small_alone ? small_alone_ : large_alone_);
        if (!small_alone) total_llm_tokens_ += r.output_tokens;
        total_tokens_ += r.output_tokens;
      }
      co_return co_await answer_with(small_alone ? small_ : large_, r, rec);
    }
    const std::int64_t p_small = slm.prompt, p_llm = llm.prompt;  // < prompt when truncated
    rec.truncated_tokens += (r.prompt_tokens - p_small) + (r.prompt_tokens - p_llm);
    RngStream rng = cx_.rng("token_route", r);
    co_await cx_.run_on(small_, rec, p_small, 0);  // SLM reads the prompt
    const Transfer up = co_await cx_.upload(r, rec, large_, cx_.token_bytes(p_llm));
    Answer a;
    a.deployment = small_;
    if (up.timed_out) {
      a.timed_out = true;
      a.first_token_at_user = a.done_at_user = cx_.engine().now();
      co_return cx_.finish(r, rec, a, Route::small(), false);
    }
    co_await cx_.run_on(large_, rec, p_llm, 0);  // LLM caches the prompt
    std::int64_t llm_seen = 0, slm_seen = 0;                  // generated tokens each model has read
    std::int64_t llm_tokens = 0;
    for (std::int64_t t = 0; t < r.output_tokens; ++t) {
      const std::int64_t context = p_small + t;  // the SLM's context
      if (rng.bernoulli(share_)) {
        const std::int64_t unsynced = t - llm_seen;
        const Transfer sync = co_await cx_.upload(r, rec, large_, cx_.token_bytes(std::max<std::int64_t>(unsynced, 1)));
        if (sync.timed_out) {
          a.timed_out = true;
          break;
        }
        co_await cx_.run_on(large_, rec, std::max<std::int64_t>(unsynced, 1), 1, p_llm + llm_seen);
        co_await cx_.download(r, rec, large_, cx_.token_bytes(1));
        llm_seen = t + 1;
        ++llm_tokens;
        ++switches_;
      } else {
        const std::int64_t unread = t - slm_seen;  // LLM tokens the SLM has not read yet
        co_await cx_.run_on(small_, rec, unread, 1, context - unread);
        slm_seen = t + 1;
      }
      if (t == 0) a.first_token_at_user = cx_.engine().now();
    }
    a.done_at_user = cx_.engine().now();
    if (r.output_tokens == 0) a.first_token_at_user = a.done_at_user;
    const double p_large =
        measured_ ? curve_.gap_recovered(r.output_tokens > 0 ? static_cast<double>(llm_tokens) / r.output_tokens : share_)
                  : std::min(1.0, share_ / critical_);
    const bool take_large = rng.bernoulli(p_large);
    total_llm_tokens_ += llm_tokens;
    total_tokens_ += r.output_tokens;
    cx_.finish_with_quality(r, rec, a, take_large ? Route::large() : Route::small(), false,
                            cx_.score(take_large ? large_ : small_, r));
  }

  MetricRow stats() const override {
    return {{"llm_token_share", {"1", total_tokens_ ? static_cast<double>(total_llm_tokens_) / total_tokens_ : 0.0}},
            {"switches", {"1", static_cast<double>(switches_)}},
            // Requests one model generated alone: the other could not hold them (Context::admission).
            {"small_alone_requests", {"requests", static_cast<double>(small_alone_)}},
            {"large_alone_requests", {"requests", static_cast<double>(large_alone_)}}};
  }

 private:
  double share_, critical_;
  bool measured_;
  kernels::RoutingCurve curve_;
  std::int64_t total_llm_tokens_ = 0, total_tokens_ = 0, switches_ = 0, small_alone_ = 0, large_alone_ = 0;
};

}  // namespace

MechanismInfo token_routing_info() {
  auto fields = two_model_fields();
  fields.push_back(Field::real("llm_share", 0.1, "1", "probability that a token is routed to the LLM", 0.0, 1.0));
  fields.push_back(Field::real("critical_share", 0.2, "1",
                               "parametric quality model: token share at which the answer reaches the LLM's quality "
                               "(model assumption)",
                               1e-6, 1.0));
  fields.push_back(Field::text("quality_model", "measured",
                               "P(LLM outcome) from the token share: measured (gap recovered on the byte-LM routing "
                               "curve) or parametric (min(1, llm_share / critical_share), an assumption)",
                               {"measured", "parametric"}));
  fields.push_back(Field::text("quality_curve", "",
                               "measured quality model: curve CSV (collabsim train-lm --curve-csv), relative to the "
                               "scenario file; empty = models/token_routing/lm_pair_curve.csv"));
  return {"token_routing", "per-token choice between SLM and LLM, paying context sync on each switch",
          "CITER (Zheng et al. 2025); survey §3.1.2, §6.1", fields,
          [](Context& cx, const ParamSet& p) { return std::make_unique<TokenRouting>(cx, p); }};
}

}  // namespace collabsim
