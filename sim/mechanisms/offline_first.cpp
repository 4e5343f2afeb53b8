/// \file offline_first.cpp
/// Offline-first collaboration with sync after reconnect (survey §4.4: "researchers
/// proposed an \"offline-first\" SLM-LLM collaborative architecture ... These systems
/// synchronize with cloud LLMs when network connectivity is restored"; Kalita 2024). The
/// device's SLM answers every request at once, link or no link. Its answer stands when
/// its confidence (noisy oracle, confidence.hpp) is at least `threshold`; otherwise the
/// request joins the sync queue: it waits until the path to the cloud is up
/// (Context::wait_reachable: at once when it is, else until the outage ends) and is then
/// sent to the LLM with no deadline, and the user ends with the LLM's answer (TTFT stays
/// the SLM's first token; latency runs to the synced answer). Every queued request is
/// delivered: /mechanism reports `queued`, `synced` (equal at the end of a run, unless a
/// model refuses the request) and `synced_after_outage` (those that had to wait for a
/// reconnect). Simplification (named): the local model's knowledge/parameter update the
/// survey mentions is not modelled (no download at reconnect).

#include "sim/mechanisms/confidence.hpp"
#include "sim/mechanisms/registry.hpp"
#include "sim/mechanisms/two_model.hpp"

namespace collabsim {
namespace {

class OfflineFirst final : public TwoModelMechanism {
 public:
  OfflineFirst(Context& cx, const ParamSet& p)
      : TwoModelMechanism(cx, p), threshold_(p.number("threshold")), conf_(p.number("auroc")) {}

  Task<void> serve(const Request& r, RequestRecord& rec) override {
    const Answer local = co_await cx_.ask(small_, r, rec);
    RngStream rng = cx_.rng("offline_first", r);
    const double c = conf_.draw(cx_.correct(small_, r), rng);
    bool sync = c < threshold_ || local.generation.failed;
    if (DecisionHook* h = cx_.decision_hook(DecisionKind::escalate)) {  // an external policy (decision.hpp)
      const std::size_t options[] = {small_, large_};
      sync = h->decide({DecisionKind::escalate, &r, &rec, options, c, 0, sync ? 1u : 0u}, cx_) == 1;
    }
    if (!sync) co_return cx_.finish(r, rec, local, Route::small(), false);
    ++queued_;
    const bool waited = !cx_.reachable_now(large_, r);
    co_await cx_.wait_reachable(large_, r);
    Answer a = co_await cx_.ask_tokens(large_, r, rec, r.prompt_tokens, cx_.output_tokens(large_, r), false, kTimeNever);
    if (a.timed_out || a.generation.failed) {  // refused by the LLM (Context::fits): the local answer stands
      ++refused_;
      co_return cx_.finish(r, rec, local, Route::small(), false);
    }
    ++synced_;
    synced_after_outage_ += waited;
    if (!local.generation.failed) a.first_token_at_user = local.first_token_at_user;
    cx_.finish(r, rec, a, Route::large(), true);
  }

  MetricRow stats() const override {
    return {{"queued", {"requests", static_cast<double>(queued_)}},
            {"synced", {"requests", static_cast<double>(synced_)}},
            {"synced_after_outage", {"requests", static_cast<double>(synced_after_outage_)}},
            {"sync_refused", {"requests", static_cast<double>(refused_)}}};
  }

 private:
  double threshold_;
  NoisyOracleConfidence conf_;
  std::int64_t queued_ = 0, synced_ = 0, synced_after_outage_ = 0, refused_ = 0;
};

}  // namespace

MechanismInfo offline_first_info() {
  auto fields = two_model_fields();
  fields.push_back(Field::real("threshold", 0.5, "1",
                               "the SLM's answer stands when its confidence ≥ threshold; else it is synced to the LLM", 0.0, 1.0));
  fields.push_back(Field::real("auroc", 0.75, "1", "AUROC of the SLM's confidence for \"its answer is right\"", 0.5, 0.999999));
  fields.push_back(target_share_field("threshold"));
  MechanismInfo info{"offline_first", "SLM answers at once; unsure answers are synced to the LLM when the link is up",
                     "offline-first (Kalita 2024); survey §4.4", fields,
                     [](Context& cx, const ParamSet& p) { return std::make_unique<OfflineFirst>(cx, p); }};
  info.calibration_key = "threshold";
  return info;
}

}  // namespace collabsim
