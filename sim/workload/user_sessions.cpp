#include "sim/workload/user_sessions.hpp"

#include <algorithm>
#include <cmath>

#include "sim/core/error.hpp"
#include "sim/core/rng.hpp"
#include "sim/core/time.hpp"
#include "sim/workload/distribution.hpp"

namespace collabsim::workload {

std::span<const Field> user_fields() {
  static const std::vector<Field> f = {
      Field::integer("count", std::nullopt, "users", "N users issuing the requests (user ids 0..N-1)", 1, 1e7),
      Field::text("assignment", "session",
                  "session: a user sends a session's next turn only after the previous answer and a think time, "
                  "and a new session only when idle (the trace's arrival waits when no user can send it); "
                  "independent: each request's user drawn by popularity whatever the user is doing (a named "
                  "simplification: a user's requests may overlap)",
                  {"session", "independent"}),
      Field::real("zipf", 0.0, "1",
                  "Zipf exponent s of user popularity, P(user k) ∝ (k+1)^-s (0 = uniform over the users)", 0.0, 10.0),
      Field::real("turns_mean", 2.54, "turns",
                  "session: mean turns per session, geometric on {1, 2, ...} (2.54: WildChat-1M, Zhao et al. ICLR "
                  "2024, 2,639,415 turns in 1,039,785 conversations)",
                  1.0, 1e4),
      Field::quantity("think_time", "40 s", Dimension::Time,
                      "session: mean think time between an answer and the session's next turn (40 s: assumption, "
                      "reading time of the trace's mean 211-token answer at 238 words/min, Brysbaert 2019)"),
      Field::text("think_distribution", "exponential", "session: think-time distribution",
                  {"exponential", "deterministic"}),
  };
  return f;
}

UserSpec user_spec_from(const ParamSet& p) {
  UserSpec u;
  u.given = true;
  u.count = p.integer("count");
  u.assignment = p.text("assignment");
  u.zipf = p.number("zipf");
  u.turns_mean = p.number("turns_mean");
  u.think_time = p.number("think_time");
  u.think_distribution = p.text("think_distribution");
  if (u.assignment != "session")
    for (const char* k : {"turns_mean", "think_time", "think_distribution"})
      if (p.given(k))
        throw InputError(p.pos(k), std::string("workload.users.") + k, "applies to assignment = \"session\"");
  return u;
}

UserSessions::UserSessions(const UserSpec& spec, std::uint64_t seed) : spec_(spec), seed_(seed) {
  if (spec_.zipf > 0) {  // the popularity CDF (same construction as workload/request_attributes)
    cdf_.resize(static_cast<std::size_t>(spec_.count));
    double sum = 0;
    for (std::size_t k = 0; k < cdf_.size(); ++k) {
      sum += std::pow(static_cast<double>(k + 1), -spec_.zipf);
      cdf_[k] = sum;
    }
    for (auto& c : cdf_) c /= sum;
    cdf_.back() = 1.0;
  }
}

/// A user by popularity, from stream (seed, "user", id), `attempt` draws in: uniform over
/// [0, N) or by inversion of the Zipf CDF.
std::int64_t UserSessions::draw_popular(std::uint64_t id, int attempt) const {
  RngStream rng(seed_, "user", id);
  double u = rng.uniform();
  for (int i = 0; i < attempt; ++i) u = rng.uniform();
  if (cdf_.empty())
    return std::min(static_cast<std::int64_t>(u * static_cast<double>(spec_.count)), spec_.count - 1);
  return static_cast<std::int64_t>(std::upper_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
}

/// Turns of a session started by request `id`: Geometric on {1, 2, ...} with mean m
/// (p = 1/m), K = 1 + floor(ln U / ln(1 − p)), stream (seed, "session_turns", id).
std::int64_t UserSessions::draw_turns(std::uint64_t id) const {
  const double m = spec_.turns_mean;
  if (m <= 1.0) return 1;
  RngStream rng(seed_, "session_turns", id);
  const double u = 1.0 - rng.uniform();  // (0, 1]
  const double k = std::floor(std::log(u) / std::log(1.0 - 1.0 / m));
  return 1 + static_cast<std::int64_t>(std::min(k, 1e12));
}

/// An idle user for a new session started by request `id`, by popularity among the idle
/// users, or nullopt when none is idle. Uniform: users never seen are exchangeable, so a
/// fresh one is the next unused id. Zipf: up to 64 popularity draws, then the idle seen
/// users uniformly, then the smallest unseen id.
std::optional<std::int64_t> UserSessions::take_idle(std::uint64_t id) {
  auto take = [&](std::int64_t user) {
    State& s = seen_state(user);
    if (s.idle_pos >= 0) {  // swap-remove from idle_
      const auto i = static_cast<std::size_t>(s.idle_pos);
      idle_[i] = idle_.back();
      state_[static_cast<std::size_t>(idle_[i])].idle_pos = s.idle_pos;
      idle_.pop_back();
      s.idle_pos = -1;
    }
    s.idle = false;
    return user;
  };
  if (cdf_.empty()) {
    const auto unseen = static_cast<std::uint64_t>(spec_.count - fresh_);
    const std::uint64_t n = unseen + idle_.size();
    if (n == 0) return std::nullopt;
    RngStream rng(seed_, "user", id);
    const auto k = std::min(static_cast<std::uint64_t>(rng.uniform() * static_cast<double>(n)), n - 1);
    return take(k < idle_.size() ? idle_[k] : fresh_++);
  }
  for (int a = 0; a < 64; ++a) {
    const std::int64_t user = draw_popular(id, a);
    if (!seen(user) || state_[static_cast<std::size_t>(user)].idle) return take(user);
  }
  if (!idle_.empty()) {
    RngStream rng(seed_, "user_fallback", id);
    return take(idle_[std::min(static_cast<std::size_t>(rng.uniform() * static_cast<double>(idle_.size())),
                               idle_.size() - 1)]);
  }
  for (; fresh_ < spec_.count; ++fresh_)
    if (!seen(fresh_)) return take(fresh_++);
  return std::nullopt;
}

UserSessions::State& UserSessions::seen_state(std::int64_t user) {
  const auto u = static_cast<std::size_t>(user);
  if (u >= state_.size())  // geometric growth, capped at N
    state_.resize(std::max(u + 1, std::min(state_.size() + state_.size() / 2, static_cast<std::size_t>(spec_.count))));
  State& s = state_[u];
  if (!s.seen) {
    s.seen = true;
    ++users_seen_;
  }
  return s;
}

std::optional<UserSessions::Pick> UserSessions::pick(std::uint64_t id, std::int64_t now_ns) {
  if (!sessions()) return Pick{draw_popular(id, 0), false};
  if (!ready_.empty() && ready_.top().first <= now_ns) {  // 1. a session's next turn, FCFS by ready time
    const std::int64_t user = ready_.top().second;
    ready_.pop();
    --state_[static_cast<std::size_t>(user)].turns_left;
    ++waiting_;
    return Pick{user, false};
  }
  const std::optional<std::int64_t> user = take_idle(id);  // 2. a new session
  if (!user) return std::nullopt;                          // 3. nobody can send it now
  state_[static_cast<std::size_t>(*user)].turns_left = draw_turns(id) - 1;
  ++sessions_started_;
  ++waiting_;
  return Pick{*user, true};
}

std::optional<std::int64_t> UserSessions::next_ready_ns() const {
  if (ready_.empty()) return std::nullopt;
  return ready_.top().first;
}

void UserSessions::answered(std::int64_t user, std::uint64_t id, std::int64_t now_ns) {
  if (!sessions()) return;
  if (!seen(user) || state_[static_cast<std::size_t>(user)].idle)
    throw std::logic_error("UserSessions::answered: user " + std::to_string(user) + " has no request in flight");
  --waiting_;
  State& s = state_[static_cast<std::size_t>(user)];
  if (s.turns_left > 0) {  // think, then the session's next turn
    RngStream rng(seed_, "think_time", id);
    const double z = spec_.think_time > 0
                         ? Distribution(dist_kind(spec_.think_distribution), spec_.think_time, 1.0).sample(rng)
                         : 0.0;
    ready_.emplace(now_ns + from_seconds(z), user);
    return;
  }
  s.idle = true;  // session over
  s.idle_pos = static_cast<std::int32_t>(idle_.size());
  idle_.push_back(user);
}

}  // namespace collabsim::workload
