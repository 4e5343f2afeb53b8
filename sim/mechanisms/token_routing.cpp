/// \file token_routing.cpp
/// Token-level routing (CITER, Zheng et al. 2025; survey §3.1.2, §6.1): the SLM on the
/// device generates the answer, and at each token a router sends "critical" tokens to the
/// LLM. Token t goes to the LLM with probability `llm_share` (i.i.d., seeded). A switch to
/// the LLM ships the tokens produced since the LLM last saw the sequence (context sync) up
/// the link and costs one LLM pass over them that emits the token; the token comes back
/// down. A switch back to the SLM makes it read the LLM's tokens (a prefill of those).
///
/// Quality model (an assumption, documented because the tables hold no per-token
/// outcomes): the answer takes the LLM's outcome with probability
/// min(1, llm_share / critical_share) and the SLM's otherwise — CITER's observation that
/// routing the critical minority of tokens recovers most of the LLM's quality.

#include <algorithm>

#include "sim/mechanisms/registry.hpp"
#include "sim/mechanisms/two_model.hpp"

namespace collabsim {
namespace {

class TokenRouting final : public TwoModelMechanism {
 public:
  TokenRouting(Context& cx, const ParamSet& p)
      : TwoModelMechanism(cx, p), share_(p.number("llm_share")), critical_(p.number("critical_share")) {
    require_token_latency("token-level routing");
  }

  Task<void> serve(const Request& r, RequestRecord& rec) override {
    RngStream rng = cx_.rng("token_route", r);
    co_await cx_.run_on(small_, rec, r.prompt_tokens, 0);  // SLM reads the prompt
    const Transfer up = co_await cx_.upload(r, rec, large_, cx_.token_bytes(r.prompt_tokens));
    Answer a;
    a.deployment = small_;
    if (up.timed_out) {
      a.timed_out = true;
      a.first_token_at_user = a.done_at_user = cx_.engine().now();
      co_return cx_.finish(r, rec, a, Route::small(), false);
    }
    co_await cx_.run_on(large_, rec, r.prompt_tokens, 0);  // LLM caches the prompt
    std::int64_t llm_seen = 0, slm_seen = 0;                  // generated tokens each model has read
    std::int64_t llm_tokens = 0;
    for (std::int64_t t = 0; t < r.output_tokens; ++t) {
      const std::int64_t context = r.prompt_tokens + t;
      if (rng.bernoulli(share_)) {
        const std::int64_t unsynced = t - llm_seen;
        const Transfer sync = co_await cx_.upload(r, rec, large_, cx_.token_bytes(std::max<std::int64_t>(unsynced, 1)));
        if (sync.timed_out) {
          a.timed_out = true;
          break;
        }
        co_await cx_.run_on(large_, rec, std::max<std::int64_t>(unsynced, 1), 1, r.prompt_tokens + llm_seen);
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
    const double p_large = std::min(1.0, share_ / critical_);
    const bool take_large = rng.bernoulli(p_large);
    total_llm_tokens_ += llm_tokens;
    total_tokens_ += r.output_tokens;
    cx_.finish_with_quality(r, rec, a, take_large ? Route::large() : Route::small(), false,
                            cx_.score(take_large ? large_ : small_, r));
  }

  MetricRow stats() const override {
    return {{"llm_token_share", {"1", total_tokens_ ? static_cast<double>(total_llm_tokens_) / total_tokens_ : 0.0}},
            {"switches", {"1", static_cast<double>(switches_)}}};
  }

 private:
  double share_, critical_;
  std::int64_t total_llm_tokens_ = 0, total_tokens_ = 0, switches_ = 0;
};

}  // namespace

MechanismInfo token_routing_info() {
  auto fields = two_model_fields();
  fields.push_back(Field::real("llm_share", 0.1, "1", "probability that a token is routed to the LLM", 0.0, 1.0));
  fields.push_back(Field::real("critical_share", 0.2, "1",
                               "token share at which the answer reaches the LLM's quality (model assumption)", 1e-6, 1.0));
  return {"token_routing", "per-token choice between SLM and LLM, paying context sync on each switch",
          "CITER (Zheng et al. 2025); survey §3.1.2, §6.1", fields,
          [](Context& cx, const ParamSet& p) { return std::make_unique<TokenRouting>(cx, p); }};
}

}  // namespace collabsim
