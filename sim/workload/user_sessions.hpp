#pragma once
/// \file user_sessions.hpp
/// Users and their sessions for open arrivals whose requests carry no user id (the Azure
/// LLM 2023 trace, or a renewal/ServeGen generator): `[workload.users]` (docs/WORKLOADS.md, "Users and sessions").
///
/// Model. N users. A user is idle, waiting for an answer, or thinking (between an answer
/// and the next turn of its session). A session has K turns, K ~ Geometric on {1, 2, ...}
/// with mean `turns_mean` (default 2.54: WildChat-1M, Zhao et al., ICLR 2024, 2,639,415
/// turns in 1,039,785 conversations); after a turn's answer the user thinks for a time Z
/// (exponential with mean `think_time`, default 40 s: a labelled assumption, the reading
/// time of the trace's mean answer, 211 tokens ≈ 158 words at 0.75 words per token, at
/// 238 words/min, Brysbaert, J. Memory and Language 109, 2019).
///
/// Session-aware assignment ("session", the default). The trace keeps its arrival times as
/// far as the users allow. The trace's request at time t goes to:
///  1. the thinking user whose next turn became ready earliest (ready = previous answer +
///     Z ≤ t): a session's next turn is never sent before the previous answer plus its
///     think time, and ready turns are served first-come first-served;
///  2. else an idle user, drawn by popularity (uniform, or Zipf with exponent `zipf`),
///     starts a new session and draws its K;
///  3. else no user can send it yet: the request waits (in trace order) until a thinking
///     user becomes ready or an answer frees a user, and its arrival is that later time
///     (run_scenario; the delay is the trace's offered load that N users cannot produce).
/// A user therefore never has two requests in flight. "independent" (a named
/// simplification) draws each request's user by popularity whatever the user is doing,
/// so a user's requests may overlap and queue on the user's device.
///
/// State is a flat array indexed by user id, grown to the largest id picked so far (16
/// bytes per user below it; ids are handed out from 0 up when popularity is uniform, and the
/// Zipf CDF already costs 8 bytes per user when zipf > 0), so N up to 10^7 stays cheap and a
/// request's user costs no hash lookup or allocation.

#include <cstdint>
#include <optional>
#include <queue>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "sim/config/params.hpp"

namespace collabsim::workload {

/// `[workload.users]`.
struct UserSpec {
  bool given = false;                   ///< the section exists
  std::int64_t count = 0;               ///< N users
  std::string assignment = "session";   ///< "session" | "independent"
  double zipf = 0;                      ///< popularity exponent s: P(user k) ∝ (k + 1)^−s (0 = uniform)
  double turns_mean = 2.54;             ///< mean turns per session (≥ 1)
  double think_time = 40;               ///< s, mean think time between an answer and the next turn
  std::string think_distribution = "exponential";  ///< "exponential" | "deterministic"
  SourcePos pos;
};

/// Keys of `[workload.users]`.
std::span<const Field> user_fields();
/// Reads `[workload.users]`; throws InputError for keys that do not apply to the assignment.
UserSpec user_spec_from(const ParamSet& p);

/// The users of one run (see the file comment). Not thread-safe; one per run.
class UserSessions {
 public:
  UserSessions(const UserSpec& spec, std::uint64_t seed);

  /// A request's user.
  struct Pick {
    std::int64_t user = -1;    ///< in [0, N)
    bool new_session = false;  ///< the request is its session's first turn
  };
  /// The user of request `id` (0-based, issue order) at time `now_ns` (ns), or nullopt when
  /// no user can send it at `now_ns` ("session": every user waits for an answer or thinks
  /// past now_ns; never for "independent").
  std::optional<Pick> pick(std::uint64_t id, std::int64_t now_ns);
  /// ns at which a thinking user's next turn becomes ready (the earliest), or nullopt when
  /// no user is thinking (then only an answer frees one).
  std::optional<std::int64_t> next_ready_ns() const;
  /// The answer to request `id` of `user` reached the user at `now_ns` (ns): the user thinks
  /// (more turns left) or becomes idle (session over). No-op for "independent".
  void answered(std::int64_t user, std::uint64_t id, std::int64_t now_ns);

  bool sessions() const { return spec_.assignment == "session"; }
  std::int64_t sessions_started() const { return sessions_started_; }
  /// Users that issued at least one request (= per-user states allocated).
  std::size_t users_seen() const { return users_seen_; }
  /// Users waiting for an answer now.
  std::int64_t users_waiting() const { return waiting_; }

 private:
  struct State {
    std::int64_t turns_left = 0;  ///< turns of the current session still to send (after the one in flight)
    std::int32_t idle_pos = -1;   ///< index in idle_ while the user is seen and idle, else −1 (N ≤ 10^7)
    bool idle = true;
    bool seen = false;            ///< the user has issued a request
  };
  bool seen(std::int64_t user) const {
    return static_cast<std::size_t>(user) < state_.size() && state_[static_cast<std::size_t>(user)].seen;
  }
  /// The user's state, marked seen (the array grows to hold it).
  State& seen_state(std::int64_t user);
  std::int64_t draw_popular(std::uint64_t id, int attempt) const;
  std::optional<std::int64_t> take_idle(std::uint64_t id);
  std::int64_t draw_turns(std::uint64_t id) const;

  UserSpec spec_;
  std::uint64_t seed_;
  std::vector<double> cdf_;  ///< Zipf: cumulative popularity, last = 1 (empty = uniform)
  std::vector<State> state_;                       ///< by user id (seen or not), up to the largest id seen
  std::size_t users_seen_ = 0;
  std::int64_t fresh_ = 0;                         ///< users [fresh_, N) never picked (idle)
  std::vector<std::int64_t> idle_;                 ///< seen users that are idle
  /// Thinking users by ready time (ns), then user id.
  std::priority_queue<std::pair<std::int64_t, std::int64_t>, std::vector<std::pair<std::int64_t, std::int64_t>>,
                      std::greater<>>
      ready_;
  std::int64_t sessions_started_ = 0, waiting_ = 0;
};

}  // namespace collabsim::workload
