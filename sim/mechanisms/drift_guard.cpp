/// \file drift_guard.cpp
/// A cascade that watches for drift (survey §5.3: "Each model (LLM, SLM), the routing
/// mechanism, and the communication links between them need to be monitored for
/// performance, resource consumption, error rates, and drift"). The SLM answers first;
/// its confidence (noisy oracle, confidence.hpp) below `threshold` escalates to the LLM,
/// as the two-stage cascade. A Page–Hinkley test (page_hinkley.hpp) watches the stream of
/// the SLM's confidences in decision order; when it detects a drop in their mean it
/// raises the escalation threshold to `threshold_after_alarm` (the adaptive policy).
///
/// Constructed drift (named, for tests and studies): from request `drift_after` on
/// (request id, −1 = never) the SLM's outcomes are those of the quality-table column
/// `drift_column` (e.g. a regressed model update), in its answers' quality and in its
/// confidence. /mechanism reports `alarm_request` (the id of the request whose decision
/// raised the alarm, −1 = none), `alarm_delay` (decisions from the first drifted one to
/// the alarm; −1 without drift or alarm) and `escalated_after_alarm`. Defaults δ = 0.03,
/// λ = 15: in 30 simulated streams of 4,000 noisy-oracle confidences (AUROC 0.8 and 0.9,
/// SLM accuracy .415) none raised a false alarm, and a drop of the accuracy to .183 at
/// AUROC 0.9 was detected after 86–302 decisions (median 186); with δ = 0.02, λ = 8, 26
/// of 30 stationary streams raised a false alarm.

#include "sim/mechanisms/confidence.hpp"
#include "sim/mechanisms/page_hinkley.hpp"
#include "sim/mechanisms/registry.hpp"
#include "sim/mechanisms/two_model.hpp"

namespace collabsim {
namespace {

class DriftGuard final : public TwoModelMechanism {
 public:
  DriftGuard(Context& cx, const ParamSet& p)
      : TwoModelMechanism(cx, p),
        threshold_(p.number("threshold")),
        after_alarm_(p.number("threshold_after_alarm")),
        conf_(p.number("auroc")),
        detector_(p.number("detector_delta"), p.number("detector_lambda")),
        drift_after_(p.integer("drift_after")) {
    if (drift_after_ >= 0) {
      if (p.text("drift_column").empty())
        throw InputError(p.pos("drift_after"), "mechanism.drift_guard.drift_column",
                         "drift_after ≥ 0 needs the column the SLM's outcomes drift to");
      drift_col_ = cx.table().model_index(p.text("drift_column"));
    }
  }

  Task<void> serve(const Request& r, RequestRecord& rec) override {
    const bool drifted = drift_after_ >= 0 && static_cast<std::int64_t>(r.id) >= drift_after_;
    const double slm_score = drifted ? cx_.table().score(r.quality_row, drift_col_) : cx_.score(small_, r);
    Answer a = co_await cx_.ask(small_, r, rec);
    if (a.timed_out || a.generation.failed) co_return cx_.finish_with_quality(r, rec, a, Route::small(), false, 0);
    RngStream rng = cx_.rng("drift_guard", r);
    const double c = conf_.draw(slm_score >= 0.5, rng);
    ++decisions_;
    if (drifted && first_drifted_ < 0) first_drifted_ = decisions_;
    if (detector_.add(c)) alarm_request_ = static_cast<std::int64_t>(r.id), alarm_decision_ = decisions_;
    const bool alarmed = detector_.alarmed();
    bool escalate = c < (alarmed ? after_alarm_ : threshold_);
    if (DecisionHook* h = cx_.decision_hook(DecisionKind::escalate)) {  // an external policy (decision.hpp)
      const std::size_t options[] = {small_, large_};
      escalate = h->decide({DecisionKind::escalate, &r, &rec, options, c, 0, escalate ? 1u : 0u}, cx_) == 1;
    }
    if (!escalate) co_return cx_.finish_with_quality(r, rec, a, Route::small(), false, slm_score);
    escalated_after_alarm_ += alarmed;
    const Answer b = co_await cx_.ask(large_, r, rec);
    cx_.finish(r, rec, b, Route::large(), true);
  }

  MetricRow stats() const override {
    const bool delay = alarm_decision_ > 0 && first_drifted_ > 0 && alarm_decision_ >= first_drifted_;
    return {{"alarm_request", {"1", static_cast<double>(alarm_request_)}},
            {"alarm_delay", {"decisions", delay ? static_cast<double>(alarm_decision_ - first_drifted_) : -1.0}},
            {"escalated_after_alarm", {"requests", static_cast<double>(escalated_after_alarm_)}}};
  }

 private:
  double threshold_, after_alarm_;
  NoisyOracleConfidence conf_;
  PageHinkley detector_;
  std::int64_t drift_after_;
  std::size_t drift_col_ = 0;
  std::int64_t decisions_ = 0, first_drifted_ = -1, alarm_request_ = -1, alarm_decision_ = -1, escalated_after_alarm_ = 0;
};

}  // namespace

MechanismInfo drift_guard_info() {
  auto fields = two_model_fields();
  fields.push_back(Field::real("threshold", 0.5, "1", "escalate to the LLM when the SLM's confidence < threshold", 0.0, 1.0));
  fields.push_back(Field::real("threshold_after_alarm", 0.7, "1", "the threshold once the drift detector has fired", 0.0, 1.0));
  fields.push_back(Field::real("auroc", 0.75, "1", "AUROC of the SLM's confidence for \"its answer is right\"", 0.5, 0.999999));
  fields.push_back(Field::real("detector_delta", 0.03, "1", "Page–Hinkley δ: drop in mean confidence tolerated", 0.0, 1.0));
  fields.push_back(Field::real("detector_lambda", 15.0, "1", "Page–Hinkley λ: alarm threshold on the cumulative drop", 1e-6, 1e6));
  fields.push_back(Field::integer("drift_after", -1, "1", "constructed drift: from this request id on the SLM's outcomes come from drift_column (-1 = none)", -1, 1e15));
  fields.push_back(Field::text("drift_column", "", "quality-table column of the SLM's outcomes after the drift"));
  MechanismInfo info{"drift_guard", "SLM-first cascade with a Page–Hinkley drift detector that raises the escalation threshold",
                     "concept drift detection (Page 1954; Gama et al. 2014); survey §5.3", fields,
                     [](Context& cx, const ParamSet& p) { return std::make_unique<DriftGuard>(cx, p); }};
  info.extra_columns = [](const ParamSet& p) {
    return p.text("drift_column").empty() ? std::vector<std::string>{} : std::vector<std::string>{p.text("drift_column")};
  };
  return info;
}

}  // namespace collabsim
