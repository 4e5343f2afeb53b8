// Request attributes ([workload.attributes]: user ids, per-request private share,
// per-category SLO targets) and a shared edge box serving many per-user origins.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "sim/core/error.hpp"
#include "sim/workload/request_attributes.hpp"
#include "test_support.hpp"

using namespace collabsim;
using namespace collabsim::testing;
namespace fs = std::filesystem;

namespace {

workload::AttributeSpec spec_of(std::int64_t users, double zipf, std::string share = "fixed", double a = 1,
                                double b = 1) {
  workload::AttributeSpec s;
  s.given = true;
  s.users = users;
  s.user_zipf = zipf;
  s.private_share = std::move(share);
  s.private_alpha = a;
  s.private_beta = b;
  return s;
}

/// A scenario with per-user sensors on Wi-Fi to a shared Jetson AGX Orin (SLM, continuous
/// batching) and a cloud pool behind a WAN link; `workload` replaces the [workload] table.
std::string edge_box_scenario(const std::string& workload, const std::string& mechanism = "small_only") {
  return "[run]\nseed = 7\nmodels_dir = \"" + (source_dir() / "models").string() + "\"\nsample_interval = \"0 s\"\n" +
         workload +
         "\n[quality]\ntable = \"quality/mmlu_pro/mmlu_pro_30models_matrix.csv\"\n"
         "[devices.sensor]\nper_user = true\n"
         "[devices.edgebox]\ncard = \"jetson_agx_orin_64gb\"\n"
         "[devices.cloud]\ncard = \"h100_sxm\"\naccelerators = 4\n"
         "[links.wifi]\nfrom = \"sensor\"\nto = \"edgebox\"\nup_bandwidth = \"100 Mbit/s\"\n"
         "down_bandwidth = \"100 Mbit/s\"\nlatency = \"3 ms\"\n"
         "[links.wan]\nfrom = \"edgebox\"\nto = \"cloud\"\nup_bandwidth = \"100 Mbit/s\"\n"
         "down_bandwidth = \"100 Mbit/s\"\nlatency = \"20 ms\"\n"
         "[deployments.slm]\nmodel = \"llama-3.1-8b\"\ndevice = \"edgebox\"\n"
         "[deployments.llm]\nmodel = \"llama-3.1-70b\"\ndevice = \"cloud\"\n"
         "[mechanism]\nname = \"" +
         mechanism + "\"\n";
}

RunOutput run_text(const TempDir& d, const std::string& name, const std::string& text,
                   std::vector<std::string> sets = {}) {
  write_file(d.path / (name + ".toml"), text);
  return run_scenario_file(d, d.path / (name + ".toml"), name, std::move(sets));
}

bool has_field(const fs::path& file, const std::string& field) {
  H5::H5File f(file.string(), H5F_ACC_RDONLY);
  const H5::CompType t = f.openDataSet("requests").getCompType();
  for (int i = 0; i < t.getNmembers(); ++i)
    if (t.getMemberName(static_cast<unsigned>(i)) == field) return true;
  return false;
}

}  // namespace

TEST(RequestAttributes, UniformUsersCoverTheRangeAndAreDeterministic) {
  const auto s = spec_of(10, 0);
  const workload::AttributeDrawer a(s, 3, 0.0, 0, 0), b(s, 3, 0.0, 0, 0), other(s, 4, 0.0, 0, 0);
  std::vector<int> count(10, 0);
  int differ = 0;
  for (std::uint64_t id = 0; id < 20000; ++id) {
    const auto x = a.draw(id, "math");
    ASSERT_GE(x.user, 0);
    ASSERT_LT(x.user, 10);
    EXPECT_EQ(x.user, b.draw(id, "math").user);
    differ += x.user != other.draw(id, "math").user ? 1 : 0;
    ++count[static_cast<std::size_t>(x.user)];
  }
  for (int c : count) EXPECT_NEAR(c, 2000, 200);  // ±4.7σ of Binomial(20000, 0.1)
  EXPECT_GT(differ, 15000);                         // another seed gives other users
}

TEST(RequestAttributes, ZipfUsersFollowTheHarmonicLaw) {
  const auto s = spec_of(100, 1.0);
  const workload::AttributeDrawer a(s, 1, 0.0, 0, 0);
  double h = 0;
  for (int k = 1; k <= 100; ++k) h += 1.0 / k;
  std::vector<int> count(100, 0);
  const int n = 50000;
  for (std::uint64_t id = 0; id < n; ++id) ++count[static_cast<std::size_t>(a.draw(id, "").user)];
  EXPECT_NEAR(count[0] / double(n), 1 / h, 0.01);          // P(user 0) = 1/H_100 = 0.193
  EXPECT_NEAR(count[1] / double(n), 0.5 / h, 0.01);
  EXPECT_NEAR(count[9] / double(n), 0.1 / h, 0.005);
}

TEST(RequestAttributes, BetaPrivateShareHasTheBetaMeanAndVariance) {
  const auto s = spec_of(0, 0, "beta", 2, 6);
  const workload::AttributeDrawer a(s, 9, 0.3, 0, 0);
  const int n = 40000;
  double sum = 0, sq = 0;
  for (std::uint64_t id = 0; id < n; ++id) {
    const double x = a.draw(id, "").private_share;
    ASSERT_GE(x, 0.0);
    ASSERT_LE(x, 1.0);
    sum += x;
    sq += x * x;
  }
  const double mean = sum / n, var = sq / n - mean * mean;
  EXPECT_NEAR(mean, 0.25, 0.005);                       // α/(α+β)
  EXPECT_NEAR(var, 2.0 * 6 / (64.0 * 9), 0.002);        // αβ/((α+β)²(α+β+1)) = 0.0208
  EXPECT_EQ(a.draw(5, "").user, -1);                    // no users configured
}

TEST(RequestAttributes, CategoryOverridesReplaceShareAndTargets) {
  auto s = spec_of(0, 0);
  s.categories.push_back({"health", 0.9, 2.0, 0.0, {}});
  const workload::AttributeDrawer a(s, 1, 0.1, 5.0, 0.2);
  const auto h = a.draw(0, "health"), m = a.draw(0, "math");
  EXPECT_DOUBLE_EQ(h.private_share, 0.9);
  EXPECT_DOUBLE_EQ(h.slo_ttft, 2.0);
  EXPECT_DOUBLE_EQ(h.slo_tpot, 0.2);  // not overridden: the run's
  EXPECT_DOUBLE_EQ(m.private_share, 0.1);
  EXPECT_DOUBLE_EQ(m.slo_ttft, 5.0);
}

TEST(RequestAttributes, RecordedInRequestsAndUsedForPrivacyAndSlo) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  const std::string wl =
      "[workload]\nformat = \"generated\"\norigin = \"sensor\"\nlimit = 400\n"
      "[workload.arrivals]\nrate = 2.0\n"
      "[workload.lengths]\nsource = \"fixed\"\nprompt_tokens = 200\noutput_tokens = 20\n"
      "[workload.attributes]\nusers = 30\nprivate_share = \"beta\"\nprivate_alpha = 2\nprivate_beta = 2\n"
      "[workload.attributes.categories.health]\nprivate_share = 1.0\nttft = \"0.001 s\"\n";
  const auto o = run_text(d, "attrs", edge_box_scenario(wl, "large_only"));
  const auto user = read_column<std::int64_t>(o.file, "requests", "user_id");
  const auto share = read_column<double>(o.file, "requests", "private_share");
  const auto sent = read_column<std::int64_t>(o.file, "requests", "private_tokens_sent");
  const auto ttft = read_column<double>(o.file, "requests", "ttft_s");
  const auto target = read_column<double>(o.file, "requests", "slo_ttft_s");
  const auto status = read_column<std::int64_t>(o.file, "requests", "status");
  ASSERT_EQ(user.size(), 400u);
  std::map<std::int64_t, int> users;
  int met = 0, health = 0;
  for (std::size_t i = 0; i < user.size(); ++i) {
    ASSERT_GE(user[i], 0);
    ASSERT_LT(user[i], 30);
    ++users[user[i]];
    // large_only sends the whole prompt: its private tokens are the request's own share.
    EXPECT_EQ(sent[i], std::llround(share[i] * 200)) << i;
    if (share[i] == 1.0) {
      ++health;
      EXPECT_DOUBLE_EQ(target[i], 0.001);
    } else {
      EXPECT_DOUBLE_EQ(target[i], 0.0);
    }
    met += status[i] == 0 && (target[i] == 0 || ttft[i] <= target[i]) ? 1 : 0;
  }
  EXPECT_GT(users.size(), 25u);
  EXPECT_GT(health, 5);                      // health questions are 818 of 12,032 (~7%)
  EXPECT_LT(health, 60);
  // Health requests cannot meet a 1 ms TTFT through two links: attainment is the rest.
  EXPECT_DOUBLE_EQ(o.s.slo_attainment, met / 400.0);
  EXPECT_LT(o.s.slo_attainment, 1.0);
  // Deterministic: the same scenario again gives the same /requests bytes.
  const auto again = run_text(d, "attrs2", edge_box_scenario(wl, "large_only"));
  EXPECT_EQ(read_raw(o.file, "requests"), read_raw(again.file, "requests"));
}

TEST(RequestAttributes, WithoutTheSectionTheColumnsAreAbsent) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  const std::string wl =
      "[workload]\nformat = \"generated\"\norigin = \"sensor\"\nlimit = 20\nprivate_share = 0.5\n"
      "[workload.lengths]\nsource = \"fixed\"\nprompt_tokens = 100\noutput_tokens = 10\n";
  const auto o = run_text(d, "plain", edge_box_scenario(wl, "large_only"));
  EXPECT_FALSE(has_field(o.file, "user_id"));
  EXPECT_FALSE(has_field(o.file, "private_share"));
  for (auto s : read_column<std::int64_t>(o.file, "requests", "private_tokens_sent")) EXPECT_EQ(s, 50);
}

TEST(RequestAttributes, BadInputNamesTheKey) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  auto error_of = [&](const std::string& wl) {
    try {
      run_text(d, "bad", edge_box_scenario(wl));
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string base = "[workload]\nformat = \"generated\"\norigin = \"sensor\"\nlimit = 5\n";
  EXPECT_NE(error_of(base + "[workload.attributes]\nuser_zipf = 1.0\n").find("workload.attributes.user_zipf"),
            std::string::npos);
  EXPECT_NE(error_of(base + "[workload.attributes]\nprivate_alpha = 2\n").find("workload.attributes.private_alpha"),
            std::string::npos);
  EXPECT_NE(error_of(base + "[workload.attributes]\nusers = -1\n").find("workload.attributes.users"),
            std::string::npos);
  const auto e = error_of(base + "[workload.attributes.categories.medicine]\nprivate_share = 0.5\n");
  EXPECT_NE(e.find("workload.attributes.categories.medicine"), std::string::npos) << e;
  EXPECT_NE(e.find("health"), std::string::npos) << e;  // lists the table's categories
}

TEST(SharedEdgeBox, ConcurrentRequestsFromTwoUsersShareTheBox) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  // Two requests from two users at the same instant, and one alone for reference.
  write_file(d.path / "two.csv",
             "TIMESTAMP,ContextTokens,GeneratedTokens\n"
             "2023-11-16 18:00:00.0000000,2000,100\n"
             "2023-11-16 18:00:00.0000000,2000,100\n");
  write_file(d.path / "one.csv",
             "TIMESTAMP,ContextTokens,GeneratedTokens\n"
             "2023-11-16 18:00:00.0000000,2000,100\n");
  auto wl = [&](const std::string& trace) {
    return "[workload]\nformat = \"azure_csv\"\ntrace = \"" + (d.path / trace).string() +
           "\"\norigin = \"sensor\"\n[workload.attributes]\nusers = 2\n";
  };
  const auto one = run_text(d, "one", edge_box_scenario(wl("one.csv")));
  const auto two = run_text(d, "two", edge_box_scenario(wl("two.csv")));
  const auto ttft1 = read_column<double>(one.file, "requests", "ttft_s");
  const auto lat1 = read_column<double>(one.file, "requests", "latency_s");
  const auto ttft2 = read_column<double>(two.file, "requests", "ttft_s");
  const auto lat2 = read_column<double>(two.file, "requests", "latency_s");
  ASSERT_EQ(ttft2.size(), 2u);
  // The box is one shared device: the second prompt's prefill queues behind or batches
  // with the first, so someone waits longer than a request alone.
  EXPECT_GT(std::max(ttft2[0], ttft2[1]), ttft1[0] * 1.2);
  EXPECT_GT(std::max(lat2[0], lat2[1]), lat1[0]);
  // A per-user box (one instance per request) would not queue: the two requests answer
  // alike, both sooner than the later one on the shared box.
  const auto per_user = run_text(d, "pu", edge_box_scenario(wl("two.csv")), {"devices.edgebox.per_user=true"});
  const auto ttft_pu = read_column<double>(per_user.file, "requests", "ttft_s");
  ASSERT_EQ(ttft_pu.size(), 2u);
  EXPECT_DOUBLE_EQ(ttft_pu[0], ttft_pu[1]);
  EXPECT_LT(ttft_pu[0], std::max(ttft2[0], ttft2[1]));
  // Busy time on the box is accounted once per device (not per user).
  const auto busy = read_column<double>(two.file, "devices/edgebox/summary", "busy_s");
  ASSERT_EQ(busy.size(), 1u);
  EXPECT_GT(busy[0], 0.0);
  // N users map onto the box: the two requests carry user ids in [0, 2).
  for (auto u : read_column<std::int64_t>(two.file, "requests", "user_id")) {
    EXPECT_GE(u, 0);
    EXPECT_LT(u, 2);
  }
}

TEST(SharedEdgeBox, LibraryScenarioQueuesOnTheBoxAndEscalatesOverTheWan) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  const auto o = run_scenario_file(d, source_dir() / "scenarios" / "industrial_edge_box.toml", "box",
                                   {"workload.limit=200"});
  EXPECT_EQ(o.s.n_requests, 200);
  const auto util = read_column<double>(o.file, "devices/edgebox/summary", "utilisation");
  ASSERT_EQ(util.size(), 1u);  // a shared device has a utilisation (per-user ones do not)
  EXPECT_GT(util[0], 0.0);
  EXPECT_GT(o.s.large_share, 0.0);   // some reports escalate to the cloud
  EXPECT_LT(o.s.large_share, 1.0);
  const auto waiting = read_column<double>(o.file, "devices/edgebox/timeline", "waiting");
  EXPECT_FALSE(waiting.empty());
}

TEST(ServiceTime, TokenLevelMechanismsRefuseAServiceTimeDeploymentNamingTheKey) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  for (const char* mech : {"speculative", "token_routing"}) {
    std::string out;
    const int rc = run_cli("run " + (source_dir() / "scenarios" / "mm1_service_time.toml").string() + " -o " +
                               (d.path / "mm.h5").string() + " --set mechanism.name=" + mech + " --quiet",
                           out);
    EXPECT_EQ(rc, 2) << mech << ": " << out;
    EXPECT_NE(out.find("key 'deployments.slm.latency'"), std::string::npos) << out;
    EXPECT_NE(out.find("service_time"), std::string::npos) << out;
    EXPECT_FALSE(fs::exists(d.path / "mm.h5")) << mech;
  }
}

TEST(SharedEdgeBox, PrivateTokensSentToATrustedBoxDoNotCount) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  const std::string wl =
      "[workload]\nformat = \"generated\"\norigin = \"sensor\"\nlimit = 20\nprivate_share = 0.5\n"
      "[workload.lengths]\nsource = \"fixed\"\nprompt_tokens = 100\noutput_tokens = 10\n";
  // The box is another device than the sensor: its prompts leave the origin ...
  EXPECT_EQ(run_text(d, "untrusted", edge_box_scenario(wl)).s.private_tokens_per_request, 50.0);
  // ... unless the box is inside the users' privacy domain; the cloud still counts.
  EXPECT_EQ(run_text(d, "trusted", edge_box_scenario(wl), {"devices.edgebox.trusted=true"}).s.private_tokens_per_request,
            0.0);
  EXPECT_EQ(run_text(d, "cloud", edge_box_scenario(wl, "large_only"), {"devices.edgebox.trusted=true"})
                .s.private_tokens_per_request,
            50.0);
}
