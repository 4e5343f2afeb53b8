/// \file compromised_cascade.cpp
/// A two-stage cascade under attack, with a defence (survey §5.4.2: "If an SLM on an edge
/// device is compromised, it could send malicious inputs to the cloud LLM, or vice
/// versa" and "Communication channels, if insecure, allow data exchanged between models
/// to be intercepted or tampered with"). The SLM answers; its confidence (noisy oracle,
/// confidence.hpp) below `threshold` escalates to the LLM. From request `attack_after` on
/// (request id) an adversary acts on a share `attack_rate` of the requests:
///  - attack = "slm": the compromised SLM delivers a wrong answer (quality 0) and reports
///    full confidence, so the answer is never escalated;
///  - attack = "channel": an escalated request's LLM answer is altered on its way back
///    (quality 0).
/// Defences:
///  - defence = "audit" (against "slm"): each answer the SLM keeps is, with probability
///    `audit_rate`, also sent to the LLM and compared; the first audit that finds a
///    tampered answer quarantines the SLM: every later request goes straight to the LLM
///    (the LLM's answer replaces the audited one). Cost: the audits' LLM calls.
///  - defence = "mac" (against "channel"): answers carry a message authentication code
///    (e.g. HMAC-SHA256 under TLS); an altered answer fails the check and is asked again
///    (one more LLM call; the adversary alters each attempt with the same probability, up
///    to 3 attempts, after which the SLM's answer stands).
/// /mechanism reports `attacked`, `tampered_delivered` (tampered answers the user got),
/// `detected` (findings: audits in flight together may find more than one),
/// `quarantine_request` (the request whose audit found the first one; −1 = none) and `audits`.

#include <string>

#include "sim/mechanisms/confidence.hpp"
#include "sim/mechanisms/registry.hpp"
#include "sim/mechanisms/two_model.hpp"

namespace collabsim {
namespace {

class CompromisedCascade final : public TwoModelMechanism {
 public:
  CompromisedCascade(Context& cx, const ParamSet& p)
      : TwoModelMechanism(cx, p),
        threshold_(p.number("threshold")),
        conf_(p.number("auroc")),
        attack_(p.text("attack")),
        defence_(p.text("defence")),
        rate_(p.number("attack_rate")),
        audit_rate_(p.number("audit_rate")),
        after_(p.integer("attack_after")) {
    if (defence_ == "audit" && attack_ == "channel")
      throw InputError(p.pos("defence"), "mechanism.compromised_cascade.defence",
                       "defence = \"audit\" checks the SLM's answers; against attack = \"channel\" use \"mac\"");
    if (defence_ == "mac" && attack_ == "slm")
      throw InputError(p.pos("defence"), "mechanism.compromised_cascade.defence",
                       "defence = \"mac\" protects the channel; against attack = \"slm\" use \"audit\"");
  }

  Task<void> serve(const Request& r, RequestRecord& rec) override {
    RngStream rng = cx_.rng("compromised_cascade", r);
    const bool active = attack_ != "none" && static_cast<std::int64_t>(r.id) >= after_;
    const bool hit = active && rng.uniform() < rate_;
    attacked_ += hit;
    if (quarantined_) co_return co_await answer_with(large_, r, rec);
    const Answer a = co_await cx_.ask(small_, r, rec);
    if (a.timed_out || a.generation.failed) co_return cx_.finish(r, rec, a, Route::small(), false);
    const bool slm_tampered = hit && attack_ == "slm";
    const double c = slm_tampered ? 1.0 : conf_.draw(cx_.correct(small_, r), rng);
    if (c >= threshold_) {  // the SLM's answer is kept ...
      if (defence_ == "audit" && rng.uniform() < audit_rate_) {  // ... unless an audit catches it
        ++audits_;
        const Answer b = co_await cx_.ask(large_, r, rec);
        if (slm_tampered && !b.timed_out && !b.generation.failed) {
          ++detected_;
          if (!quarantined_) quarantine_request_ = static_cast<std::int64_t>(r.id);  // the first finding
          quarantined_ = true;
          co_return cx_.finish(r, rec, b, Route::large(), true);
        }
      }
      tampered_delivered_ += slm_tampered;
      co_return cx_.finish_with_quality(r, rec, a, Route::small(), false, slm_tampered ? 0.0 : cx_.score(small_, r));
    }
    // Escalated: the LLM's answer crosses the channel.
    const int attempts = defence_ == "mac" ? 3 : 1;
    for (int k = 0; k < attempts; ++k) {
      const Answer b = co_await cx_.ask(large_, r, rec);
      const bool altered = attack_ == "channel" && active && (k == 0 ? hit : rng.uniform() < rate_);
      if (!altered || b.timed_out || b.generation.failed) co_return cx_.finish(r, rec, b, Route::large(), true);
      if (defence_ != "mac") {  // delivered as altered
        ++tampered_delivered_;
        co_return cx_.finish_with_quality(r, rec, b, Route::large(), true, 0.0);
      }
      ++detected_;  // the MAC check fails: ask again
    }
    cx_.finish(r, rec, a, Route::small(), false);  // every attempt altered: the SLM's answer stands
  }

  MetricRow stats() const override {
    return {{"attacked", {"requests", static_cast<double>(attacked_)}},
            {"tampered_delivered", {"requests", static_cast<double>(tampered_delivered_)}},
            {"detected", {"answers", static_cast<double>(detected_)}},
            {"quarantine_request", {"1", static_cast<double>(quarantine_request_)}},
            {"audits", {"requests", static_cast<double>(audits_)}}};
  }

 private:
  double threshold_;
  NoisyOracleConfidence conf_;
  std::string attack_, defence_;
  double rate_, audit_rate_;
  std::int64_t after_;
  bool quarantined_ = false;
  std::int64_t attacked_ = 0, tampered_delivered_ = 0, detected_ = 0, quarantine_request_ = -1, audits_ = 0;
};

}  // namespace

MechanismInfo compromised_cascade_info() {
  auto fields = two_model_fields();
  fields.push_back(Field::real("threshold", 0.5, "1", "escalate to the LLM when the SLM's confidence < threshold", 0.0, 1.0));
  fields.push_back(Field::real("auroc", 0.75, "1", "AUROC of the SLM's confidence for \"its answer is right\"", 0.5, 0.999999));
  fields.push_back(Field::text("attack", "none", "none; slm: a compromised SLM; channel: answers altered on the way back",
                               {"none", "slm", "channel"}));
  fields.push_back(Field::real("attack_rate", 0.1, "1", "share of requests the adversary acts on", 0.0, 1.0));
  fields.push_back(Field::integer("attack_after", 0, "1", "the adversary acts from this request id on", 0, 1e15));
  fields.push_back(Field::text("defence", "none", "none; audit: random LLM audits of kept SLM answers, quarantine on a "
                               "finding; mac: authenticated answers, re-asked when altered",
                               {"none", "audit", "mac"}));
  fields.push_back(Field::real("audit_rate", 0.05, "1", "defence = audit: share of kept SLM answers the LLM audits", 0.0, 1.0));
  return {"compromised_cascade", "cascade with a compromised SLM or channel, and an audit or MAC defence",
          "survey §5.4.2 (security of collaborative systems)", fields,
          [](Context& cx, const ParamSet& p) { return std::make_unique<CompromisedCascade>(cx, p); }};
}

}  // namespace collabsim
