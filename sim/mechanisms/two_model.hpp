#pragma once
/// \file two_model.hpp
/// Shared parameters and base of the mechanisms that choose between a small (SLM) and a
/// large (LLM) deployment.

#include <string>
#include <vector>

#include "sim/mechanisms/mechanism.hpp"

namespace collabsim {

/// The `small` and `large` deployment-name parameters, declared once for every
/// two-model mechanism.
std::vector<Field> two_model_fields();

class TwoModelMechanism : public Mechanism {
 public:
  TwoModelMechanism(Context& cx, const ParamSet& p)
      : cx_(cx),
        small_(cx.deployment(p.text("small"), p.pos("small"), key(cx, "small"))),
        large_(cx.deployment(p.text("large"), p.pos("large"), key(cx, "large"))) {}
  std::vector<std::size_t> large_deployments() const override { return {large_}; }

 protected:
  /// The full key of parameter `param` in errors: "mechanism.<name>.<param>".
  static std::string key(const Context& cx, const std::string& param) {
    return "mechanism." + cx.scenario().mechanism.name + "." + param;
  }

  /// Answer with one deployment and finish the record.
  /// Not a coroutine: Context::ask_and_finish's task (no frame of its own).
  Task<void> answer_with(std::size_t dep, const Request& r, RequestRecord& rec) {
    return cx_.ask_and_finish(dep, r, rec, dep == large_ ? Route::large() : Route::small(), false);
  }

  /// `dep`, or the other model when `dep` refuses the request (Context::fits: beyond its
  /// context window or its device's memory) and the other takes it: what a router does
  /// with a request one model cannot hold.
  std::size_t fitting(std::size_t dep, const Request& r) const {
    const std::size_t other = dep == large_ ? small_ : large_;
    return !cx_.fits(dep, r) && cx_.fits(other, r) ? other : dep;
  }

  /// Throws InputError naming `deployments.<name>.latency` when the small or the large
  /// deployment serves for a drawn service time ([workload.service]): `mechanism` runs
  /// token-level rounds through Context::run_on, which a service-time deployment cannot time.
  void require_token_latency(const std::string& mechanism) const;

  Context& cx_;
  std::size_t small_, large_;
};

}  // namespace collabsim
