/// \file baselines.cpp
/// Baselines every collaboration mechanism is compared with (RouteLLM, Ong et al. 2024;
/// RouterBench, Hu et al. 2024): small_only, large_only, random (mix at share p) and
/// oracle (the small model when it is right, else the large one). small_only and
/// large_only refuse what their model cannot hold (Context::fits); random and oracle are
/// routers and take the other model then (TwoModelMechanism::fitting).

#include "sim/mechanisms/registry.hpp"
#include "sim/mechanisms/two_model.hpp"

namespace collabsim {

namespace {

class FixedRoute final : public TwoModelMechanism {
 public:
  FixedRoute(Context& cx, const ParamSet& p, bool large) : TwoModelMechanism(cx, p), large_route_(large) {}
  // Not coroutines: the route is chosen when the request's process awaits serve(), and the
  // task returned is answer_with's own (one coroutine frame fewer per request).
  Task<void> serve(const Request& r, RequestRecord& rec) override {
    return answer_with(large_route_ ? large_ : small_, r, rec);
  }

 private:
  bool large_route_;
};

/// Sends each request to the large model with probability p (seeded per request).
class RandomRouter final : public TwoModelMechanism {
 public:
  RandomRouter(Context& cx, const ParamSet& p) : TwoModelMechanism(cx, p), p_(p.number("p")) {}
  Task<void> serve(const Request& r, RequestRecord& rec) override {
    RngStream rng = cx_.rng("random_route", r);
    return answer_with(fitting(rng.bernoulli(p_) ? large_ : small_, r), r, rec);
  }

 private:
  double p_;
};

/// Knows each query's outcome: the small model if its answer scores ≥ 0.5, else the large.
class Oracle final : public TwoModelMechanism {
 public:
  Oracle(Context& cx, const ParamSet& p) : TwoModelMechanism(cx, p) {}
  Task<void> serve(const Request& r, RequestRecord& rec) override {
    return answer_with(fitting(cx_.score(small_, r) >= 0.5 ? small_ : large_, r), r, rec);
  }
};

}  // namespace

MechanismInfo small_only_info() {
  return {"small_only", "every request answered by the small model (SLM) on its device",
          "baseline (RouteLLM, Ong et al. 2024)", two_model_fields(),
          [](Context& cx, const ParamSet& p) { return std::make_unique<FixedRoute>(cx, p, false); }};
}

MechanismInfo large_only_info() {
  return {"large_only", "every request answered by the large model (LLM)",
          "baseline (RouteLLM, Ong et al. 2024)", two_model_fields(),
          [](Context& cx, const ParamSet& p) { return std::make_unique<FixedRoute>(cx, p, true); }};
}

MechanismInfo random_router_info() {
  auto fields = two_model_fields();
  fields.push_back(Field::real("p", 0.5, "1", "share of requests sent to the large model", 0.0, 1.0));
  fields.push_back(target_share_field("p"));
  MechanismInfo info{"random", "route to the large model with probability p (the random-mix line)",
                     "baseline (RouteLLM, Ong et al. 2024, §5: random router)", fields,
                     [](Context& cx, const ParamSet& p) { return std::make_unique<RandomRouter>(cx, p); }};
  info.calibration_key = "p";
  return info;
}

MechanismInfo oracle_info() {
  return {"oracle", "small model when it answers right, else the large model (upper bound)",
          "oracle router (RouterBench, Hu et al. 2024)", two_model_fields(),
          [](Context& cx, const ParamSet& p) { return std::make_unique<Oracle>(cx, p); }};
}

}  // namespace collabsim
