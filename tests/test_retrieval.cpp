// The on-device retrieval step of the survey's §4.2 Privacy-Sensitive RAG
// (sim/kernels/dense_retrieval.hpp, pipeline `retrieval = "dense"`).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>

#include "sim/kernels/dense_retrieval.hpp"
#include "test_support.hpp"

using namespace collabsim;
using namespace collabsim::testing;
namespace fs = std::filesystem;

// The Eigen search returns exactly what a naive double-precision cosine loop ranks first,
// best first, and does not depend on the rows' or the query's scale.
TEST(DenseRetrieval, SearchEqualsANaiveCosineRanking) {
  std::mt19937 gen(11);
  std::normal_distribution<float> g;
  const int n = 500, d = 48, k = 7;
  Eigen::MatrixXf e(n, d);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < d; ++j) e(i, j) = g(gen) * static_cast<float>(1 + i % 5);  // rows of unequal norm
  const kernels::DenseIndex index(e);
  ASSERT_EQ(index.size(), n);
  ASSERT_EQ(index.dim(), d);
  for (int trial = 0; trial < 20; ++trial) {
    Eigen::VectorXf q(d);
    for (int j = 0; j < d; ++j) q[j] = g(gen);
    std::vector<double> cos(n);
    for (int i = 0; i < n; ++i) {
      double dot = 0, nr = 0, nq = 0;
      for (int j = 0; j < d; ++j) {
        dot += double(e(i, j)) * q[j];
        nr += double(e(i, j)) * e(i, j);
        nq += double(q[j]) * q[j];
      }
      cos[i] = dot / std::sqrt(nr * nq);
    }
    std::vector<std::int64_t> want(n);
    std::iota(want.begin(), want.end(), 0);
    std::sort(want.begin(), want.end(), [&](auto a, auto b) { return cos[a] > cos[b]; });
    want.resize(k);
    EXPECT_EQ(index.search(q, k), want) << trial;
    EXPECT_EQ(index.search(q * 9.5f, k), want) << trial;
    EXPECT_NEAR(index.scores(q)[want[0]], cos[want[0]], 1e-5);
  }
  EXPECT_EQ(index.search(Eigen::VectorXf::Ones(d), n + 10).size(), static_cast<std::size_t>(n));
  EXPECT_THROW(index.search(Eigen::VectorXf::Ones(d + 1), 1), std::invalid_argument);
  EXPECT_THROW(index.search(Eigen::VectorXf::Ones(d), 0), std::invalid_argument);
  EXPECT_THROW(kernels::DenseIndex(Eigen::MatrixXf(0, 3)), std::invalid_argument);
}

// Roofline counts of all-MiniLM-L6-v2 and of the flat search, from the closed forms.
TEST(DenseRetrieval, WorkCountsOfTheEncoderAndTheSearch) {
  const kernels::EncoderShape m;  // all-MiniLM-L6-v2: 6 layers, 384, 1536, 256 tokens, float32
  const auto w = kernels::encode_work(m, 100);
  EXPECT_DOUBLE_EQ(w.flops, 6.0 * (8 * 100.0 * 384 * 384 + 4 * 100.0 * 384 * 1536 + 4 * 100.0 * 100 * 384));
  EXPECT_DOUBLE_EQ(w.bytes, (6.0 * (4 * 384.0 * 384 + 2 * 384.0 * 1536) + 100 * 384.0) * 4);
  // The encoder's weight matrices: 6 × 1,769,472 = 10.6 M of the model's 22.7 M parameters
  // (the rest is the 30,522 × 384 token embedding table, read one row per token).
  EXPECT_DOUBLE_EQ((w.bytes / 4 - 100 * 384.0) / 6, 1769472.0);
  // Inputs beyond 256 tokens are truncated.
  EXPECT_DOUBLE_EQ(kernels::encode_work(m, 1000).flops, kernels::encode_work(m, 256).flops);
  EXPECT_LT(kernels::encode_work(m, 255).flops, kernels::encode_work(m, 256).flops);
  const auto s = kernels::search_work(3920, 384);
  EXPECT_DOUBLE_EQ(s.flops, 2.0 * 3920 * 384);
  EXPECT_DOUBLE_EQ(s.bytes, 4.0 * 3920 * 384 + 4 * 384);
  EXPECT_THROW(kernels::encode_work(m, 0), std::invalid_argument);
  EXPECT_THROW(kernels::search_work(0, 384), std::invalid_argument);
}

// In personal_knowledge_base, retrieval adds to each request exactly the roofline time of
// its work on the MacBook Pro M2 Max card (13.6 TFLOP/s × 0.6, 400 GB/s × 0.7) and that time
// × the card's 60 W to the laptop's energy; nothing else on the laptop changes.
TEST(DenseRetrieval, PipelineChargesTheRooflineOfTheRetrievalOnTheLaptop) {
  const fs::path scenario = source_dir() / "scenarios" / "personal_knowledge_base.toml";
  COLLABSIM_NEED_DATA(data_dir() / "traces" / "azure_llm_2023" / "AzureLLMInferenceTrace_conv.csv");
  TempDir d;
  const std::vector<std::string> common = {"workload.limit=80", "run.sample_interval=0 s"};
  auto with = common;
  with.push_back("mechanism.pipeline.retrieval=dense");
  with.push_back("mechanism.pipeline.corpus_chunks=100000");
  auto without = common;
  without.push_back("mechanism.pipeline.retrieval=none");
  const auto off = run_scenario_file(d, scenario, "off", without);
  const auto on = run_scenario_file(d, scenario, "on", with);
  const auto prompt = read_column<std::int64_t>(on.file, "requests", "prompt_tokens");
  const auto share = read_column<double>(on.file, "requests", "private_share");
  const auto id_on = read_column<std::uint64_t>(on.file, "requests", "request_id");
  const auto id_off = read_column<std::uint64_t>(off.file, "requests", "request_id");
  const auto e_on = read_column<double>(on.file, "requests", "energy_laptop_j");
  const auto e_off = read_column<double>(off.file, "requests", "energy_laptop_j");
  ASSERT_EQ(prompt.size(), 80u);
  ASSERT_EQ(id_on, id_off);
  const double flops_rate = 13.6e12 * 0.6, bw = 400e9 * 0.7, watts = 60;
  double sum_s = 0;
  for (std::size_t i = 0; i < prompt.size(); ++i) {
    const double q = std::min<double>(256, std::max<double>(1, std::llround((1 - share[i]) * prompt[i])));
    const double flops = 6 * (8 * q * 384 * 384 + 4 * q * 384 * 1536 + 4 * q * q * 384) + 2.0 * 100000 * 384;
    const double bytes = (6 * (4 * 384.0 * 384 + 2 * 384.0 * 1536) + q * 384) * 4 + 4.0 * 100000 * 384 + 4 * 384;
    const double t = std::max(flops / flops_rate, bytes / bw);
    sum_s += t;
    EXPECT_NEAR(e_on[i] - e_off[i], watts * t, 1e-9 * e_on[i] + 1e-9) << i;
  }
  const auto calls = read_column<double>(on.file, "mechanism", "retrieval_calls")[0];
  const auto mean_s = read_column<double>(on.file, "mechanism", "retrieval_time_mean_s")[0];
  const auto mean_j = read_column<double>(on.file, "mechanism", "retrieval_energy_mean_j")[0];
  EXPECT_EQ(calls, 80.0);
  EXPECT_NEAR(mean_s, sum_s / 80, 1e-12);
  EXPECT_NEAR(mean_j, watts * sum_s / 80, 1e-9);
  EXPECT_GT(mean_s, 1e-4);  // a 100,000-chunk search and a 256-token encoding: ~1 ms
}
