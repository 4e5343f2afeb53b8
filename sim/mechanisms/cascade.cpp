/// \file cascade.cpp
/// Two-stage cascade (FrugalGPT, Chen, Zaharia & Zou 2023; AutoMix, Madaan et al. 2023;
/// survey §3.1.2): the small model answers first; when its confidence is below
/// `threshold`, the request escalates to the large model.
///
/// The decision needs the small model's whole answer, so an accepted small answer reaches
/// the user when its generation ends (TTFT = small-model completion), and an escalated
/// request's TTFT is the large model's first token at the user. The small model's time,
/// energy and cost are paid either way.
///
/// Confidence for now is the noisy oracle of confidence.hpp with a settable AUROC.
/// threshold = 0 never escalates (= small_only); threshold = 1 always escalates
/// (= large_only plus the small model's cost).

#include "sim/mechanisms/confidence.hpp"
#include "sim/mechanisms/registry.hpp"
#include "sim/mechanisms/two_model.hpp"

namespace collabsim {
namespace {

class Cascade final : public TwoModelMechanism {
 public:
  Cascade(Context& cx, const ParamSet& p)
      : TwoModelMechanism(cx, p), threshold_(p.number("threshold")), conf_(p.number("auroc")) {}

  Task<void> serve(const Request& r, RequestRecord& rec) override {
    const Answer small = co_await cx_.ask(small_, r, rec);
    RngStream rng = cx_.rng("cascade_confidence", r);
    const double c = conf_.draw(cx_.score(small_, r) >= 0.5, rng);
    if (c >= threshold_) {
      Answer released = small;
      released.first_token_at_user = small.done_at_user;
      cx_.finish(r, rec, released, Route::Small, false);
      co_return;
    }
    const Answer large = co_await cx_.ask(large_, r, rec);
    cx_.finish(r, rec, large, Route::Large, true);
  }

 private:
  double threshold_;
  NoisyOracleConfidence conf_;
};

}  // namespace

MechanismInfo cascade_info() {
  auto fields = two_model_fields();
  fields.push_back(Field::real("threshold", 0.5, "1",
                               "escalate to the large model when confidence < threshold", 0.0, 1.0));
  fields.push_back(Field::real("auroc", 0.75, "1",
                               "AUROC of the noisy-oracle confidence for 'small answer correct'",
                               0.5, 0.999999));
  return {"cascade", "small model first; escalate to the large model when confidence < threshold",
          "FrugalGPT (Chen et al. 2023), AutoMix (Madaan et al. 2023); survey §3.1.2", fields,
          [](Context& cx, const ParamSet& p) { return std::make_unique<Cascade>(cx, p); }};
}

}  // namespace collabsim
