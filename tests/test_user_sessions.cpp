// Users and sessions for a trace without user ids ([workload.users], workload/user_sessions):
// the turns per session follow the source's geometric model (WildChat's mean 2.54), a
// session's next turn never comes before the previous answer plus its think time, a user
// never has two requests in flight, the trace's arrival waits when no user can send it, and
// per-user state is allocated on a user's first request only.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "sim/core/error.hpp"
#include "sim/core/time.hpp"
#include "sim/io/h5_table.hpp"
#include "sim/workload/user_sessions.hpp"
#include "test_support.hpp"

using namespace collabsim;
using namespace collabsim::testing;
using workload::UserSessions;
using workload::UserSpec;

namespace {

UserSpec spec(std::int64_t n, double turns_mean = 2.54, double think_s = 40) {
  UserSpec u;
  u.given = true;
  u.count = n;
  u.turns_mean = turns_mean;
  u.think_time = think_s;
  return u;
}

/// Drives `users` with one arrival every `gap_s` and every answer `latency_s` after its
/// request; returns the turns of each session (the last ones may be cut short by the end), checking on the way that no user
/// is picked while its previous request is unanswered or before its ready time.
std::vector<std::int64_t> drive(UserSessions& users, std::size_t requests, double gap_s, double latency_s,
                                double min_think_s = 0) {
  std::map<std::int64_t, std::int64_t> answer_at;   // user → ns its in-flight request is answered
  std::map<std::int64_t, std::int64_t> last_answer;  // user → ns of its last answer
  std::map<std::int64_t, std::size_t> current;       // user → index of its current session in `sessions`
  std::vector<std::int64_t> sessions;
  std::multimap<std::int64_t, std::pair<std::int64_t, std::uint64_t>> pending;  // answer ns → (user, id)
  std::int64_t now = 0;
  for (std::uint64_t id = 0; id < requests; ++id) {
    now = from_seconds(gap_s * static_cast<double>(id));
    for (;;) {
      while (!pending.empty() && pending.begin()->first <= now) {
        const auto [t, ui] = *pending.begin();
        pending.erase(pending.begin());
        users.answered(ui.first, ui.second, t);
        answer_at.erase(ui.first);
        last_answer[ui.first] = t;
      }
      const auto p = users.pick(id, now);
      if (p) {
        EXPECT_FALSE(answer_at.count(p->user)) << "user " << p->user << " has a request in flight at request " << id;
        if (p->new_session) {
          current[p->user] = sessions.size();
          sessions.push_back(1);
        } else {
          ++sessions[current.at(p->user)];
          EXPECT_GE(now - last_answer.at(p->user), from_seconds(min_think_s)) << "turn before answer + think";
        }
        const std::int64_t done = now + from_seconds(latency_s);
        answer_at[p->user] = done;
        pending.emplace(done, std::pair{p->user, id});
        break;
      }
      // Nobody can send it: wait for the next answer or ready turn, as run_scenario does.
      std::int64_t wake = pending.empty() ? std::numeric_limits<std::int64_t>::max() : pending.begin()->first;
      if (auto r = users.next_ready_ns()) wake = std::min(wake, *r);
      EXPECT_NE(wake, std::numeric_limits<std::int64_t>::max()) << "no user will ever be free";
      if (wake == std::numeric_limits<std::int64_t>::max()) return sessions;
      now = std::max(now, wake);
    }
  }
  return sessions;
}

}  // namespace

TEST(UserSessions, TurnsPerSessionFollowTheGeometricModelOfTheSource) {
  // 10^5 users, one request a second, answers after 5 s: every session runs to its end.
  const UserSpec u = spec(100000);
  UserSessions users(u, 2026);
  const auto sessions = drive(users, 60000, 1.0, 5.0);
  ASSERT_GT(sessions.size(), 15000u);
  double sum = 0;
  std::size_t ones = 0;
  for (auto k : sessions) sum += static_cast<double>(k), ones += k == 1;
  const double mean = sum / static_cast<double>(sessions.size());
  // Geometric, mean m = 2.54 (WildChat-1M): sd sqrt(m(m-1)) = 1.98, so the standard error
  // over ~2e4 sessions is 0.014; tolerance 3 % of the mean (≈ 5 standard errors).
  EXPECT_NEAR(mean, 2.54, 0.03 * 2.54);
  // P(K = 1) = 1/m = 0.394 (standard error 0.0035): within 0.02.
  EXPECT_NEAR(static_cast<double>(ones) / static_cast<double>(sessions.size()), 1 / 2.54, 0.02);
  // A session's turns k ≥ 2 follow a think time: requests/sessions = m.
  EXPECT_NEAR(60000.0 / static_cast<double>(users.sessions_started()), 2.54, 0.03 * 2.54);
}

TEST(UserSessions, NextTurnWaitsForTheAnswerAndTheThinkTime) {
  UserSpec u = spec(50, 4.0, 7.0);
  u.think_distribution = "deterministic";
  UserSessions users(u, 7);
  // Arrivals every 0.1 s, answers after 3 s: 50 users cannot keep up, so requests wait,
  // and every follow-up turn comes ≥ 7 s after its user's previous answer (checked in drive).
  drive(users, 5000, 0.1, 3.0, 7.0);
  EXPECT_EQ(users.users_seen(), 50u);
}

TEST(UserSessions, NoUserFreeMeansTheRequestWaits) {
  UserSessions users(spec(2, 1.0), 1);  // one-turn sessions
  auto a = users.pick(0, 0), b = users.pick(1, 0);
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->user, b->user);
  EXPECT_FALSE(users.pick(2, 0)) << "both users wait for an answer";
  EXPECT_FALSE(users.next_ready_ns()) << "nobody is thinking: only an answer frees a user";
  users.answered(b->user, 1, from_seconds(3.0));
  const auto c = users.pick(2, from_seconds(3.0));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->user, b->user);
  EXPECT_TRUE(c->new_session);
  EXPECT_THROW(users.answered(b->user + 100, 9, 0), std::logic_error);
}

TEST(UserSessions, StateIsAllocatedOnAUsersFirstRequestOnly) {
  // 10^7 users (the key's maximum), 1,000 requests: only the users picked hold state.
  UserSessions users(spec(10'000'000), 3);
  drive(users, 1000, 1.0, 2.0);
  EXPECT_LE(users.users_seen(), 1000u);
  EXPECT_GT(users.users_seen(), 300u);  // ~1000 / 2.54 sessions, almost all by distinct users
}

TEST(UserSessions, IndependentAssignmentIgnoresWhatTheUserIsDoing) {
  UserSpec u = spec(3);
  u.assignment = "independent";
  UserSessions users(u, 5);
  std::set<std::int64_t> seen;
  for (std::uint64_t id = 0; id < 30; ++id) {
    const auto p = users.pick(id, 0);  // nobody is ever answered, yet every request gets a user
    ASSERT_TRUE(p);
    seen.insert(p->user);
  }
  EXPECT_EQ(seen.size(), 3u);
}

TEST(UserSessions, RunWithTenUsersNeverOverlapsAUsersRequests) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  const auto scenario = source_dir() / "scenarios" / "edge_cloud_cascade.toml";
  const std::vector<std::string> base = {"workload.limit=400", "workload.users.count=10"};
  const auto out = run_scenario_file(d, scenario, "sessions", base);
  H5::H5File f(out.file.string(), H5F_ACC_RDONLY);
  const auto arrival = *read_numeric_field(f, "requests", "arrival_s");
  const auto latency = *read_numeric_field(f, "requests", "latency_s");
  const auto user = *read_numeric_field(f, "requests", "user_id");
  ASSERT_EQ(arrival.size(), 400u);
  std::map<double, std::vector<std::pair<double, double>>> by_user;
  for (std::size_t i = 0; i < arrival.size(); ++i) {
    ASSERT_GE(user[i], 0);
    ASSERT_LT(user[i], 10);
    by_user[user[i]].push_back({arrival[i], arrival[i] + latency[i]});
  }
  EXPECT_EQ(by_user.size(), 10u);
  for (auto& [u, v] : by_user) {
    std::sort(v.begin(), v.end());
    for (std::size_t k = 1; k < v.size(); ++k)
      EXPECT_GE(v[k].first, v[k - 1].second - 1e-9) << "user " << u << " request " << k << " overlaps the previous";
  }

  // Independent assignment (the named simplification): the same users' requests overlap.
  auto indep = base;
  indep.push_back("workload.users.assignment=\"independent\"");
  const auto free = run_scenario_file(d, scenario, "independent", indep);
  H5::H5File g(free.file.string(), H5F_ACC_RDONLY);
  const auto a2 = *read_numeric_field(g, "requests", "arrival_s");
  EXPECT_LT(2 * *std::max_element(a2.begin(), a2.end()), *std::max_element(arrival.begin(), arrival.end()))
      << "independent users keep the trace's own times";
  EXPECT_GT(free.s.latency_p95_s, out.s.latency_p95_s) << "requests queue on their user's phone";
}

TEST(UserSessions, BadInputNamesTheKey) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  const auto scenario = source_dir() / "scenarios" / "edge_cloud_cascade.toml";
  try {
    run_scenario_file(d, scenario, "both", {"workload.users.count=10", "workload.attributes.users=5"});
    ADD_FAILURE() << "two sources of user ids accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("workload.users"), std::string::npos) << e.what();
  }
  try {
    run_scenario_file(d, scenario, "think", {"workload.users.count=10", "workload.users.assignment=\"independent\"",
                                             "workload.users.think_time=\"5 s\""});
    ADD_FAILURE() << "think_time accepted without sessions";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("workload.users.think_time"), std::string::npos) << e.what();
  }
}
