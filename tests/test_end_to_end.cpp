// End to end on real input: the default scenario (whole Azure 2023 conversation trace,
// MMLU-Pro matrix) through the five first mechanisms.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <sstream>

#include "sim/mechanisms/registry.hpp"
#include "sim/study/run_scenario.hpp"
#include "sim/scenario/scenario.hpp"
#include "test_support.hpp"

using namespace collabsim;
using namespace collabsim::testing;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kConvRows = 19366;  // shared/data/traces/SOURCE.md

struct RunOut {
  Summary summary;
  fs::path file;
};

class EndToEnd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    COLLABSIM_NEED_DATA(data_dir());
    dir_ = new TempDir();
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
    runs_.clear();
  }

  /// Runs the default scenario with overrides (cached by key).
  static const RunOut& run(const std::string& key, std::vector<std::string> sets) {
    auto it = runs_.find(key);
    if (it != runs_.end()) return it->second;
    LoadOptions opt;
    opt.overrides = std::move(sets);
    opt.data_dir = data_dir();
    opt.output = dir_->path / (key + ".h5");
    const Scenario sc = load_scenario(source_dir() / "scenarios" / "edge_cloud_cascade.toml", opt);
    RunOut r{run_scenario(sc).summary, *opt.output};
    return runs_.emplace(key, r).first->second;
  }
  static const RunOut& mech(const std::string& name) { return run(name, {"mechanism.name=" + name}); }

  /// Mean of a matrix column over the given question ids, parsed straight from the CSV.
  static double column_mean(const std::string& column, const std::vector<std::int64_t>& qids) {
    std::istringstream in(read_file(data_dir() / "quality/mmlu_pro/mmlu_pro_30models_matrix.csv"));
    std::string line;
    std::getline(in, line);
    auto split = [](const std::string& s) {
      std::vector<std::string> out;
      std::string cur;
      for (char c : s) {
        if (c == ',') {
          out.push_back(cur);
          cur.clear();
        } else if (c != '\r') {
          cur += c;
        }
      }
      out.push_back(cur);
      return out;
    };
    const auto header = split(line);
    std::size_t col = 0;
    while (col < header.size() && header[col] != column) ++col;
    EXPECT_LT(col, header.size()) << column;
    std::map<std::int64_t, double> score;
    while (std::getline(in, line)) {
      const auto f = split(line);
      score[std::stoll(f[0])] = std::stod(f[col]);
    }
    double sum = 0;
    for (auto q : qids) sum += score.at(q);
    return sum / static_cast<double>(qids.size());
  }

  static TempDir* dir_;
  static std::map<std::string, RunOut> runs_;
};
TempDir* EndToEnd::dir_ = nullptr;
std::map<std::string, RunOut> EndToEnd::runs_;

// Requests of the conversation trace beyond Phi-3-mini-4k's window (prompt + output >
// 4,096 tokens): small_only refuses exactly these (the default context_policy "fail").
constexpr std::int64_t kBeyondSlmWindow = 1612;

TEST_F(EndToEnd, EveryRequestIsRecordedInOrder) {
  for (const char* m : {"small_only", "large_only", "random", "oracle", "cascade"}) {
    const RunOut& r = mech(m);
    EXPECT_EQ(r.summary.n_requests, kConvRows) << m;
    const std::int64_t refused = std::string(m) == "small_only" ? kBeyondSlmWindow : 0;
    EXPECT_EQ(r.summary.n_ok, kConvRows - refused) << m;
    EXPECT_EQ(r.summary.n_context_exceeded, refused) << m;
    const auto ids = read_column<std::int64_t>(r.file, "requests", "request_id");
    ASSERT_EQ(static_cast<std::int64_t>(ids.size()), kConvRows) << m;
    for (std::int64_t i = 0; i < kConvRows; ++i) ASSERT_EQ(ids[i], i) << m;
    const auto lat = read_column<double>(r.file, "requests", "latency_s");
    const auto ttft = read_column<double>(r.file, "requests", "ttft_s");
    const auto status = read_column<std::int64_t>(r.file, "requests", "status");
    const auto prompt = read_column<std::int64_t>(r.file, "requests", "prompt_tokens");
    const auto output = read_column<std::int64_t>(r.file, "requests", "output_tokens");
    for (std::size_t i = 0; i < lat.size(); ++i) {
      const bool beyond = prompt[i] + output[i] > 4096;
      ASSERT_EQ(status[i], refused > 0 && beyond ? 3 : 0) << m << " row " << i;
      if (status[i] != 0) continue;  // refused at arrival: no token reaches the user
      ASSERT_GT(ttft[i], 0.0) << m << " row " << i;
      ASSERT_GE(lat[i], ttft[i]) << m << " row " << i;
    }
  }
}

TEST_F(EndToEnd, BaselineQualityEqualsMatrixColumnMeansExactly) {
  const RunOut& s = mech("small_only");
  const RunOut& l = mech("large_only");
  const auto qs = read_column<std::int64_t>(s.file, "requests", "query_id");
  const auto ql = read_column<std::int64_t>(l.file, "requests", "query_id");
  EXPECT_EQ(qs, ql) << "the question join must not depend on the mechanism";
  // small_only scores 0 on the requests its window refuses: the column mean over the
  // answered ones, weighted by their share.
  const auto status = read_column<std::int64_t>(s.file, "requests", "status");
  std::vector<std::int64_t> answered;
  for (std::size_t i = 0; i < qs.size(); ++i)
    if (status[i] == 0) answered.push_back(qs[i]);
  EXPECT_EQ(static_cast<std::int64_t>(answered.size()), kConvRows - kBeyondSlmWindow);
  EXPECT_NEAR(s.summary.quality_mean,
              column_mean("Phi-3-mini-4k-instruct", answered) * static_cast<double>(answered.size()) / kConvRows,
              1e-12);
  EXPECT_DOUBLE_EQ(l.summary.quality_mean, column_mean("Meta-Llama-3_1-70B-Instruct", ql));
  // The sample covers every question once before any repeats: 19,366 > 12,032.
  std::map<std::int64_t, int> uses;
  for (auto q : qs) ++uses[q];
  EXPECT_EQ(uses.size(), 12032u);
}

TEST_F(EndToEnd, OracleAndCascadeLieWhereTheyMust) {
  const auto& s = mech("small_only").summary;
  const auto& l = mech("large_only").summary;
  const auto& o = mech("oracle").summary;
  const auto& c = mech("cascade").summary;
  EXPECT_GE(o.quality_mean, s.quality_mean);
  EXPECT_GE(o.quality_mean, l.quality_mean);
  EXPECT_GT(c.quality_mean, s.quality_mean);
  EXPECT_LT(c.quality_mean, l.quality_mean);
  EXPECT_GT(c.cost_per_1k_usd, s.cost_per_1k_usd);
  EXPECT_LT(c.cost_per_1k_usd, l.cost_per_1k_usd);
  EXPECT_GT(c.large_share, 0.0);
  EXPECT_LT(c.large_share, 1.0);
  EXPECT_DOUBLE_EQ(s.large_share, 0.0);
  EXPECT_DOUBLE_EQ(l.large_share, 1.0);
  // Random at p = 0.5 sends about half the requests to the large model, and every request
  // beyond the SLM's window (a router takes the other model).
  const double beyond = static_cast<double>(kBeyondSlmWindow) / kConvRows;
  EXPECT_NEAR(mech("random").summary.large_share, 0.5 + 0.5 * beyond, 0.02);
}

TEST_F(EndToEnd, CascadeThresholdExtremes) {
  const auto& s = mech("small_only").summary;
  const auto& l = mech("large_only").summary;
  const auto& t0 = run("cascade_t0", {"mechanism.cascade.thresholds=[0.0]"}).summary;
  const auto& t1 = run("cascade_t1", {"mechanism.cascade.thresholds=[1.0]"}).summary;
  // Threshold 0 never escalates: the SLM's answers, and the LLM's for the requests the SLM's
  // window skips (small_only refuses exactly those).
  const auto& t0_file = run("cascade_t0", {}).file;
  const auto q_t0 = read_column<double>(t0_file, "requests", "quality");
  const auto q_s = read_column<double>(mech("small_only").file, "requests", "quality");
  const auto q_l = read_column<double>(mech("large_only").file, "requests", "quality");
  const auto st_s = read_column<std::int64_t>(mech("small_only").file, "requests", "status");
  for (std::size_t i = 0; i < q_t0.size(); ++i) ASSERT_EQ(q_t0[i], st_s[i] == 0 ? q_s[i] : q_l[i]) << i;
  EXPECT_DOUBLE_EQ(t0.large_share, static_cast<double>(kBeyondSlmWindow) / kConvRows);
  EXPECT_DOUBLE_EQ(t1.quality_mean, l.quality_mean);
  EXPECT_DOUBLE_EQ(t1.escalation_rate, 1.0);
  // Escalating everything costs the large model plus the small model's (zero-price,
  // on-device) generation; energy adds the phone's share.
  EXPECT_NEAR(t1.cost_per_1k_usd, l.cost_per_1k_usd + s.cost_per_1k_usd, 1e-9 * l.cost_per_1k_usd);
  EXPECT_GT(t1.energy_per_request_j, l.energy_per_request_j);
}

TEST_F(EndToEnd, SameSeedGivesBitIdenticalRequests) {
  const RunOut& a = mech("cascade");
  const RunOut& b = run("cascade_again", {"mechanism.name=cascade"});
  const auto ra = read_raw(a.file, "requests");
  const auto rb = read_raw(b.file, "requests");
  ASSERT_FALSE(ra.empty());
  EXPECT_TRUE(ra == rb) << "same scenario and seed must give identical /requests bytes";
  const RunOut& c = run("cascade_seed2", {"run.seed=7"});
  EXPECT_FALSE(ra == read_raw(c.file, "requests")) << "a different seed should change the run";
}

TEST_F(EndToEnd, RootAttributesRecordTheScenario) {
  const RunOut& r = mech("cascade");
  H5::H5File f(r.file.string(), H5F_ACC_RDONLY);
  std::string scenario, mechanism;
  f.openAttribute("scenario").read(f.openAttribute("scenario").getStrType(), scenario);
  f.openAttribute("mechanism").read(f.openAttribute("mechanism").getStrType(), mechanism);
  EXPECT_EQ(mechanism, "cascade");
  EXPECT_NE(scenario.find("AzureLLMInferenceTrace_conv.csv"), std::string::npos);
  std::int64_t seed = 0;
  f.openAttribute("seed").read(H5::PredType::NATIVE_INT64, &seed);
  EXPECT_EQ(seed, 2026);
  EXPECT_TRUE(f.attrExists("collabsim_version"));
  EXPECT_TRUE(f.attrExists("git_commit"));
}

}  // namespace
