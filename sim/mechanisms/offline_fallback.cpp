/// \file offline_fallback.cpp
/// Offline fallback / resilient collaboration (survey §4.4; "resilient collaboration" and
/// CE-CoLLM's local fallback): the request goes to the LLM when the path to it is up; when
/// the link is down at arrival, or a network wait (an outage mid-request) passes `deadline`, the local
/// SLM answers instead. With `reask = true` a request answered locally because the link
/// was down is asked again of the LLM once the link returns, and the user ends with the
/// LLM's answer (TTFT stays the SLM's first token; latency runs to the LLM answer).
/// No request is lost to an outage: each ends answered (by one model or the other).

#include <limits>

#include "sim/mechanisms/registry.hpp"
#include "sim/mechanisms/two_model.hpp"

namespace collabsim {
namespace {

class OfflineFallback final : public TwoModelMechanism {
 public:
  OfflineFallback(Context& cx, const ParamSet& p)
      : TwoModelMechanism(cx, p), deadline_(p.number("deadline")), reask_(p.flag("reask")) {}

  Task<void> serve(const Request& r, RequestRecord& rec) override {
    bool remote = cx_.reachable_now(large_, r);
    if (DecisionHook* h = cx_.decision_hook(DecisionKind::offload)) {  // an external policy (decision.hpp)
      const std::size_t options[] = {small_, large_};
      remote = h->decide({DecisionKind::offload, &r, &rec, options, std::numeric_limits<double>::quiet_NaN(), 0,
                          remote ? 1u : 0u},
                         cx_) == 1;
    }
    if (remote) {
      const SimTime deadline = deadline_ > 0 ? r.arrival + from_seconds(deadline_) : kTimeNever;
      const Answer a = co_await cx_.ask_tokens(large_, r, rec, r.prompt_tokens, cx_.output_tokens(large_, r), false, deadline);
      if (!a.timed_out && !a.generation.failed) {
        cx_.finish(r, rec, a, Route::large(), false);
        co_return;
      }
      if (a.context_exceeded || a.out_of_memory) ++fallbacks_limit_;  // the LLM refused it (Context::fits)
      else ++fallbacks_timeout_;
    } else {
      ++fallbacks_offline_;
    }
    Answer local = co_await cx_.ask(small_, r, rec);
    if (reask_) {
      co_await cx_.wait_reachable(large_, r);
      const Answer again = co_await cx_.ask_tokens(large_, r, rec, r.prompt_tokens, cx_.output_tokens(large_, r), false, kTimeNever);
      if (!again.timed_out && !again.generation.failed) {
        Answer a = again;
        a.first_token_at_user = local.first_token_at_user;
        cx_.finish(r, rec, a, Route::large(), true);
        co_return;
      }
    }
    cx_.finish(r, rec, local, Route::small(), false);
  }

  MetricRow stats() const override {
    return {{"fallbacks_link_down", {"requests", static_cast<double>(fallbacks_offline_)}},
            {"fallbacks_deadline", {"requests", static_cast<double>(fallbacks_timeout_)}},
            {"fallbacks_limit", {"requests", static_cast<double>(fallbacks_limit_)}}};
  }

 private:
  double deadline_;
  bool reask_;
  std::int64_t fallbacks_offline_ = 0, fallbacks_timeout_ = 0, fallbacks_limit_ = 0;
};

}  // namespace

MechanismInfo offline_fallback_info() {
  auto fields = two_model_fields();
  fields.push_back(Field::quantity("deadline", "0 s", Dimension::Time,
                                   "fall back to the SLM when the LLM's answer is not in by arrival + deadline (0 = only when the link is down)"));
  fields.push_back(Field::boolean("reask", false, "re-ask the LLM when the link returns (resilient collaboration)"));
  return {"offline_fallback", "LLM when reachable in time, else the on-device SLM; optionally re-ask later",
          "resilient collaboration, CE-CoLLM; survey §4.4", fields,
          [](Context& cx, const ParamSet& p) { return std::make_unique<OfflineFallback>(cx, p); }};
}

}  // namespace collabsim
