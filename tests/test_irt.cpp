// The 2PL IRT fit to the MMLU-Pro matrix and synthetic draws from it (issue 14).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "sim/quality/irt.hpp"
#include "sim/quality/quality_table.hpp"
#include "test_support.hpp"

using namespace collabsim;
using namespace collabsim::testing;
using namespace collabsim::quality;
namespace fs = std::filesystem;

namespace {

/// The model columns of the matrix header (no `|` companions, after question_chars).
std::vector<std::string> matrix_models(const fs::path& file) {
  std::ifstream in(file);
  std::string header;
  std::getline(in, header);
  std::vector<std::string> cols, models;
  std::stringstream ss(header);
  for (std::string c; std::getline(ss, c, ',');) cols.push_back(c);
  bool after = false;
  for (const auto& c : cols) {
    if (after && c.find('|') == std::string::npos) models.push_back(c);
    if (c == "question_chars") after = true;
  }
  return models;
}

}  // namespace

TEST(Irt, FitReproducesAccuracyAndAgreementOnTheMmluProMatrix) {
  const fs::path file = data_dir() / "quality/mmlu_pro/mmlu_pro_30models_matrix.csv";
  COLLABSIM_NEED_DATA(file);
  const auto models = matrix_models(file);
  ASSERT_EQ(models.size(), 30u);
  const auto t = QualityTable::load(file, models);
  const IrtModel fit = fit_irt(t);
  const auto fit2 = fit_irt(t);
  EXPECT_EQ(fit.theta, fit2.theta);  // deterministic
  const QualityTable s = draw_irt(t, fit, 7);
  for (std::size_t m = 0; m < t.num_models(); ++m) {
    double real = 0, synth = 0, n = 0;
    for (std::size_t q = 0; q < t.num_queries(); ++q) {
      if (!t.has_score(q, m)) continue;  // compare on the questions the model answered
      real += t.score(q, m);
      synth += s.score(q, m);
      ++n;
    }
    EXPECT_NEAR(synth / n, real / n, 0.01) << models[m];
  }
  const std::size_t phi = t.model_index("Phi-3-mini-4k-instruct"), llama = t.model_index("Meta-Llama-3_1-70B-Instruct");
  double real = 0, synth = 0;
  for (std::size_t q = 0; q < t.num_queries(); ++q) {
    real += t.score(q, phi) == t.score(q, llama);
    synth += s.score(q, phi) == s.score(q, llama);
  }
  const double nq = static_cast<double>(t.num_queries());
  EXPECT_NEAR(synth / nq, real / nq, 0.02);
  // Draws are seeded: another seed gives another table, the same seed the same one.
  const QualityTable s2 = draw_irt(t, fit, 8), s3 = draw_irt(t, fit, 7);
  std::size_t diff = 0, same = 0;
  for (std::size_t q = 0; q < t.num_queries(); ++q) {
    diff += s.score(q, phi) != s2.score(q, phi);
    same += s.score(q, phi) != s3.score(q, phi);
  }
  EXPECT_GT(diff, 100u);
  EXPECT_EQ(same, 0u);
  // Harder questions (larger b) are answered less often by the synthetic best model.
  EXPECT_GT(fit.theta[t.model_index("gemini-1.5-pro-002")], fit.theta[t.model_index("Llama-2-7b-hf")]);
}

TEST(Irt, SyntheticQualitySourceThroughTheScenario) {
  COLLABSIM_NEED_DATA(data_dir() / "quality/mmlu_pro/mmlu_pro_30models_matrix.csv");
  TempDir d;
  const auto scenario = source_dir() / "scenarios" / "edge_cloud_cascade.toml";
  const std::vector<std::string> base = {"workload.limit=3000", "run.sample_interval=0 s", "mechanism.name=small_only"};
  auto with = [&](std::vector<std::string> extra) {
    extra.insert(extra.end(), base.begin(), base.end());
    return extra;
  };
  const auto real = run_scenario_file(d, scenario, "real", with({}));
  const auto irt = run_scenario_file(
      d, scenario, "irt", with({"quality.synthetic=irt", "quality.irt_columns=[\"Yi-34B\", \"gemini-1.5-pro-002\"]"}));
  const auto irt2 = run_scenario_file(
      d, scenario, "irt2", with({"quality.synthetic=irt", "quality.irt_columns=[\"Yi-34B\", \"gemini-1.5-pro-002\"]"}));
  // Same questions joined, scores drawn: the mean stays near Phi-3-mini's .415, the scores differ.
  EXPECT_EQ(read_column<std::int64_t>(real.file, "requests", "query_id"),
            read_column<std::int64_t>(irt.file, "requests", "query_id"));
  EXPECT_NE(read_column<double>(real.file, "requests", "quality"), read_column<double>(irt.file, "requests", "quality"));
  EXPECT_NEAR(irt.s.quality_mean, real.s.quality_mean, 0.03);
  EXPECT_EQ(read_raw(irt.file, "requests"), read_raw(irt2.file, "requests"));  // seeded, deterministic
}
