// Bad input: each case exits non-zero with a message naming file, line and key, and leaves
// no result file behind (an earlier good result is never overwritten).
#include <gtest/gtest.h>

#include <regex>

#include "test_support.hpp"

using namespace collabsim::testing;
namespace fs = std::filesystem;

namespace {

/// Writes a copy of the default scenario with `edit` applied, into `dir`, limited to a few
/// requests so each case is quick.
fs::path scenario_copy(const fs::path& dir, const std::string& from, const std::string& to) {
  std::string text = read_file(source_dir() / "scenarios" / "edge_cloud_cascade.toml");
  if (!from.empty()) {
    const auto pos = text.find(from);
    EXPECT_NE(pos, std::string::npos) << "edit anchor not found: " << from;
    if (pos != std::string::npos) text.replace(pos, from.size(), to);
  }
  text.replace(text.find("[run]\n"), 6,
               "[run]\nmodels_dir = \"" + (source_dir() / "models").string() + "\"\ndata_dir = \"" +
                   data_dir().string() + "\"\n");
  const fs::path p = dir / "scenario.toml";
  write_file(p, text);
  return p;
}

struct Case {
  int rc;
  std::string out;
};

Case run(const fs::path& scenario, const fs::path& output, const std::string& extra = "") {
  Case c;
  c.rc = run_cli("run " + scenario.string() + " -o " + output.string() + " --set workload.limit=50 " + extra,
                 c.out);
  return c;
}

}  // namespace

TEST(BadInput, GoodRunWritesFileAndNoTempRemains) {
  TempDir d;
  const auto sc = scenario_copy(d.path, "", "");
  const auto c = run(sc, d.path / "out.h5");
  ASSERT_EQ(c.rc, 0) << c.out;
  EXPECT_TRUE(fs::exists(d.path / "out.h5"));
  for (const auto& e : fs::directory_iterator(d.path))
    EXPECT_EQ(e.path().string().find(".tmp-"), std::string::npos) << e.path();
}

TEST(BadInput, MalformedToml) {
  TempDir d;
  const auto sc = scenario_copy(d.path, "seed = 2026", "seed = = 2026");
  const auto c = run(sc, d.path / "out.h5");
  EXPECT_EQ(c.rc, 2) << c.out;
  EXPECT_TRUE(std::regex_search(c.out, std::regex("scenario\\.toml:[0-9]+:[0-9]+: .*malformed TOML"))) << c.out;
  EXPECT_FALSE(fs::exists(d.path / "out.h5"));
}

TEST(BadInput, UnknownKey) {
  TempDir d;
  const auto sc = scenario_copy(d.path, "thresholds = [0.5]", "treshold = [0.5]");
  const auto c = run(sc, d.path / "out.h5");
  EXPECT_EQ(c.rc, 2) << c.out;
  EXPECT_TRUE(std::regex_search(c.out, std::regex("scenario\\.toml:[0-9]+:1: key 'mechanism\\.cascade\\.treshold': unknown key"))) << c.out;
  EXPECT_NE(c.out.find("did you mean 'thresholds'"), std::string::npos) << c.out;
  EXPECT_FALSE(fs::exists(d.path / "out.h5"));
}

TEST(BadInput, NegativeBandwidth) {
  TempDir d;
  const auto sc = scenario_copy(d.path, "up_bandwidth = \"10 Mbit/s\"", "up_bandwidth = \"-10 Mbit/s\"");
  const auto c = run(sc, d.path / "out.h5");
  EXPECT_EQ(c.rc, 2) << c.out;
  EXPECT_TRUE(std::regex_search(c.out, std::regex("scenario\\.toml:[0-9]+:[0-9]+: key 'links\\.cellular\\.up_bandwidth': .*out of range"))) << c.out;
  EXPECT_FALSE(fs::exists(d.path / "out.h5"));
}

TEST(BadInput, WrongUnit) {
  TempDir d;
  const auto sc = scenario_copy(d.path, "latency = \"40 ms\"", "latency = \"40 MB\"");
  const auto c = run(sc, d.path / "out.h5");
  EXPECT_EQ(c.rc, 2) << c.out;
  EXPECT_NE(c.out.find("key 'links.cellular.latency': unit 'MB' is not a unit of time"), std::string::npos) << c.out;
}

TEST(BadInput, SloTargetsAreCheckedLikeEveryKey) {
  TempDir d;
  const auto sc = scenario_copy(d.path, "[run]\n", "[slo]\nttft = \"2 GB\"\n\n[run]\n");
  const auto c = run(sc, d.path / "out.h5");
  EXPECT_EQ(c.rc, 2) << c.out;
  EXPECT_TRUE(std::regex_search(c.out, std::regex("scenario\\.toml:[0-9]+:[0-9]+: key 'slo\\.ttft': unit 'GB' is not a unit of time")))
      << c.out;
  const auto typo = scenario_copy(d.path, "[run]\n", "[slo]\nttf = \"2 s\"\n\n[run]\n");
  const auto c2 = run(typo, d.path / "out.h5");
  EXPECT_EQ(c2.rc, 2) << c2.out;
  EXPECT_NE(c2.out.find("slo.ttf"), std::string::npos) << c2.out;
  EXPECT_NE(c2.out.find("ttft"), std::string::npos) << "did-you-mean names the key: " << c2.out;
  EXPECT_FALSE(fs::exists(d.path / "out.h5"));
}

TEST(BadInput, MissingTraceFileSaysWhereItComesFrom) {
  TempDir d;
  const auto sc = scenario_copy(d.path, "AzureLLMInferenceTrace_conv.csv", "AzureLLMInferenceTrace_nope.csv");
  const auto c = run(sc, d.path / "out.h5");
  EXPECT_EQ(c.rc, 2) << c.out;
  EXPECT_TRUE(std::regex_search(c.out, std::regex("scenario\\.toml:[0-9]+:[0-9]+: key 'workload\\.trace': file"))) << c.out;
  EXPECT_NE(c.out.find("Azure/AzurePublicDataset"), std::string::npos) << c.out;
  EXPECT_FALSE(fs::exists(d.path / "out.h5"));
}

TEST(BadInput, UnreachableDevice) {
  TempDir d;
  const auto sc = scenario_copy(d.path, "[links.cellular]\nfrom = \"phone\"\nto = \"cloud\"",
                                "[devices.edge]\ncard = \"jetson_agx_orin_64gb\"\n\n[links.cellular]\nfrom = \"phone\"\nto = \"edge\"");
  const auto c = run(sc, d.path / "out.h5");
  EXPECT_EQ(c.rc, 2) << c.out;
  EXPECT_NE(c.out.find("key 'deployments.llm.device': device 'cloud' is unreachable"), std::string::npos) << c.out;
}

TEST(BadInput, BrokenTraceRowKeepsEarlierResult) {
  TempDir d;
  // A trace whose 4th data row does not parse.
  write_file(d.path / "trace.csv",
             "TIMESTAMP,ContextTokens,GeneratedTokens\n"
             "2023-11-16 18:15:46.6805900,374,44\n"
             "2023-11-16 18:15:50.9951690,396,109\n"
             "2023-11-16 18:15:51.0000000,100,10\n"
             "2023-11-16 18:15:52.0000000,12x,10\n");
  const auto sc = scenario_copy(d.path, "trace = \"traces/azure_llm_2023/AzureLLMInferenceTrace_conv.csv\"",
                                "trace = \"" + (d.path / "trace.csv").string() + "\"");
  // An earlier good result stands at the output path.
  write_file(d.path / "out.h5", "earlier result");
  const auto c = run(sc, d.path / "out.h5");
  EXPECT_EQ(c.rc, 2) << c.out;
  EXPECT_TRUE(std::regex_search(c.out, std::regex("trace\\.csv:5.*ContextTokens"))) << c.out;
  EXPECT_EQ(read_file(d.path / "out.h5"), "earlier result");
  for (const auto& e : fs::directory_iterator(d.path))
    EXPECT_EQ(e.path().string().find(".tmp-"), std::string::npos) << e.path();
}

TEST(BadInput, UnknownMechanismAndBadSet) {
  TempDir d;
  const auto sc = scenario_copy(d.path, "", "");
  auto c = run(sc, d.path / "out.h5", "--set mechanism.name=cascde");
  EXPECT_EQ(c.rc, 2) << c.out;
  EXPECT_NE(c.out.find("unknown mechanism 'cascde'"), std::string::npos) << c.out;
  c = run(sc, d.path / "out.h5", "--set mechanism.cascade.thresholds=[2]");
  EXPECT_EQ(c.rc, 2) << c.out;
  EXPECT_NE(c.out.find("key 'mechanism.cascade.thresholds'"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("out of range"), std::string::npos) << c.out;
  c = run(sc, d.path / "out.h5", "--set mechanism.threshold=0.2");
  EXPECT_EQ(c.rc, 2) << c.out;
  EXPECT_NE(c.out.find("parameters go in a sub-table [mechanism.cascade]"), std::string::npos) << c.out;
  EXPECT_FALSE(fs::exists(d.path / "out.h5"));
}

TEST(Cli, ListShowsMechanismsWithParameters) {
  std::string out;
  ASSERT_EQ(run_cli("list", out), 0) << out;
  for (const char* name : {"small_only", "large_only", "random", "oracle", "cascade", "router", "thresholds", "auroc"})
    EXPECT_NE(out.find(name), std::string::npos) << name;
}
