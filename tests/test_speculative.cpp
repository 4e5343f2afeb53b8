// Speculative decoding against Leviathan et al. (2023): with i.i.d. acceptance α, tokens
// per round = (1 − α^(γ+1))/(1 − α) and speedup = (1 − α^(γ+1))/((1 − α)(γc + 1)).
// Latencies come from measured-profile files with a constant step time, so one target
// forward pass costs T whatever its size and a draft step costs cT, and the network is
// instantaneous: exactly the setting of the formulas.
#include <gtest/gtest.h>

#include <cmath>

#include "sim/mechanisms/registry.hpp"
#include "sim/study/run_scenario.hpp"
#include "sim/scenario/scenario.hpp"
#include "test_support.hpp"

using namespace collabsim;
using namespace collabsim::testing;
namespace fs = std::filesystem;

namespace {

constexpr double kT = 0.020;   // target step (s)
constexpr double kC = 0.25;    // draft step / target step
constexpr int kOutput = 6000;  // tokens per request
constexpr int kRequests = 12;

class Speculative : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    COLLABSIM_NEED_DATA(data_dir());
    dir_ = new TempDir();
    const auto& d = dir_->path;
    std::string trace = "TIMESTAMP,ContextTokens,GeneratedTokens\n";
    for (int i = 0; i < kRequests; ++i)  // one request every 10 minutes: no overlap
      trace += "2023-11-16 " + std::to_string(10 + i) + ":00:00.0000000,1," + std::to_string(kOutput) + "\n";
    write_file(d / "trace.csv", trace);
    auto profile = [](double step_ms) {
      return "phase,batch,tokens,ms\nprefill,1,1,X\nprefill,1,64,X\ndecode,1,0,X\ndecode,1,100000,X\n";
    };
    auto fill = [](std::string s, double v) {
      for (auto p = s.find('X'); p != std::string::npos; p = s.find('X')) s.replace(p, 1, std::to_string(v));
      return s;
    };
    write_file(d / "target.csv", fill(profile(0), kT * 1e3));
    write_file(d / "draft.csv", fill(profile(0), kC * kT * 1e3));
    write_file(d / "spec.toml", R"(
[run]
seed = 5
models_dir = ")" + (source_dir() / "models").string() + R"("
data_dir = ")" + data_dir().string() + R"("
[workload]
trace = ")" + (d / "trace.csv").string() + R"("
origin = "phone"
[quality]
table = "quality/mmlu_pro/mmlu_pro_30models_matrix.csv"
[devices.phone]
card = "iphone_15_pro"
[devices.cloud]
card = "h100_sxm"
accelerators = 4
replicas = 4
[links.net]
from = "phone"
to = "cloud"
up_bandwidth = "1000000 Gbit/s"
down_bandwidth = "1000000 Gbit/s"
latency = "0 ms"
[deployments.slm]
model = "phi-3-mini"
device = "phone"
profile = "draft.csv"
# 6,000-token answers exercise the round protocol, not the 4k window: limits off explicitly.
context_policy = "ignore"
[deployments.llm]
model = "llama-3.1-70b"
device = "cloud"
profile = "target.csv"
[mechanism]
name = "speculative"
)");
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  struct Out {
    Summary summary;
    double tokens_per_round = 0;
    double acceptance = 0;
    double mean_latency = 0;
  };
  static Out run(const std::string& name, std::vector<std::string> sets) {
    LoadOptions opt;
    opt.overrides = std::move(sets);
    opt.output = dir_->path / (name + ".h5");
    const Scenario sc = load_scenario(dir_->path / "spec.toml", opt);
    Out o;
    o.summary = run_scenario(sc).summary;
    if (sc.mechanism.name == "speculative") {
      o.tokens_per_round = read_column<double>(*opt.output, "mechanism", "tokens_per_round")[0];
      o.acceptance = read_column<double>(*opt.output, "mechanism", "acceptance_rate")[0];
    }
    double sum = 0;
    for (double l : read_column<double>(*opt.output, "requests", "latency_s")) sum += l;
    o.mean_latency = sum / kRequests;
    return o;
  }
  static TempDir* dir_;
};
TempDir* Speculative::dir_ = nullptr;

}  // namespace

TEST_F(Speculative, FullAcceptanceEmitsGammaPlusOnePerRound) {
  const auto o = run("a1", {"mechanism.speculative.alpha=1.0", "mechanism.speculative.gamma=4"});
  EXPECT_DOUBLE_EQ(o.tokens_per_round, 5.0);
  EXPECT_DOUBLE_EQ(o.acceptance, 1.0);
}

TEST_F(Speculative, TokensPerRoundAndSpeedupMatchLeviathan) {
  const double target_alone = run("large", {"mechanism.name=large_only"}).mean_latency;
  EXPECT_NEAR(target_alone, kOutput * kT, 1e-6);
  for (double alpha : {0.6, 0.8}) {
    for (int gamma : {3, 5, 7}) {
      const auto o = run("spec", {"mechanism.speculative.alpha=" + std::to_string(alpha),
                                  "mechanism.speculative.gamma=" + std::to_string(gamma)});
      const double e_tokens = (1 - std::pow(alpha, gamma + 1)) / (1 - alpha);
      const double speedup = e_tokens / (gamma * kC + 1);
      EXPECT_NEAR(o.tokens_per_round / e_tokens, 1.0, 0.02) << "α " << alpha << " γ " << gamma;
      EXPECT_NEAR((target_alone / o.mean_latency) / speedup, 1.0, 0.02) << "α " << alpha << " γ " << gamma;
      EXPECT_NEAR(o.acceptance, alpha, 0.02);
      EXPECT_EQ(o.summary.n_ok, kRequests);
    }
  }
}

TEST_F(Speculative, AdaptiveGammaGrowsWhenDraftsAreAccepted) {
  const auto fixed = run("fixed", {"mechanism.speculative.alpha=0.95", "mechanism.speculative.gamma=2"});
  const auto adaptive = run("adaptive", {"mechanism.speculative.alpha=0.95", "mechanism.speculative.gamma=2",
                                         "mechanism.speculative.adaptive=true"});
  EXPECT_GT(adaptive.tokens_per_round, fixed.tokens_per_round * 1.5);
  EXPECT_LT(adaptive.mean_latency, fixed.mean_latency);
}
