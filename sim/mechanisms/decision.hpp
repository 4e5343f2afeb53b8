#pragma once
/// \file decision.hpp
/// Decision points an external policy may take over (the Python environment
/// collabsim.CollaborationEnv, docs/PYTHON.md; survey §6.1 on learned collaboration
/// policies). A mechanism that has a decision of a kind asks the run's DecisionHook of that
/// kind, when there is one, instead of its own rule:
///   route     router.cpp, before any model runs: options {small, large} (its score as confidence)
///   escalate  cascade.cpp, after stage i answered: options {accept, escalate} (its confidence)
///   offload   offline_fallback.cpp, at arrival: options {small (local), large (remote)}
/// Without a hook (every CLI run) nothing changes. The hook is called synchronously on the
/// simulation's thread at the simulated instant of the decision, so a policy that
/// reproduces the mechanism's own choices reproduces its run bit for bit.

#include <cstddef>
#include <limits>
#include <span>

#include "sim/io/record.hpp"
#include "sim/workload/request.hpp"

namespace collabsim {

class Context;

enum class DecisionKind { route, escalate, offload };

/// One decision of one request.
struct DecisionPoint {
  DecisionKind kind = DecisionKind::route;
  const Request* request = nullptr;
  const RequestRecord* record = nullptr;  ///< accounted so far (e.g. the first stage's cost)
  /// route/offload: the deployments the action indexes (action k → options[k]);
  /// escalate: {the stage that answered, the next stage} (action 0 accepts, 1 escalates).
  std::span<const std::size_t> options;
  /// The mechanism's own score in [0, 1] (router score, cascade confidence); NaN = none.
  double confidence = std::numeric_limits<double>::quiet_NaN();
  std::size_t stage = 0;  ///< escalate: index of the stage that answered
  /// The action the mechanism's own rule takes (what the run does without a hook).
  std::size_t own = 0;
};

/// The policy side of a run's decision points (RunOptions::decisions).
class DecisionHook {
 public:
  virtual ~DecisionHook() = default;
  /// The kind of decision this hook takes; the others stay with the mechanism.
  virtual DecisionKind kind() const = 0;
  /// The action for `point`: an index into point.options. May block (the environment
  /// waits for Python's step()). To abandon an episode, return point.own from then on
  /// (the run ends as the mechanism would have run it).
  virtual std::size_t decide(const DecisionPoint& point, Context& cx) = 0;
  /// Called when a request's record is final (after its last energy is charged), in
  /// completion order.
  virtual void completed(const RequestRecord& rec) = 0;
};

}  // namespace collabsim
