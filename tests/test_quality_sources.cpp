// Quality sources (issue 14): wide, long and RouteLLM formats, the blank-cell policy, the
// category join and prompt lengths taken from the question text.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <fstream>
#include <set>
#include <sstream>

#include "sim/core/error.hpp"
#include "sim/quality/quality_table.hpp"
#include "sim/quality/query_join.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/study/run_scenario.hpp"
#include "test_support.hpp"

using namespace collabsim;
using namespace collabsim::testing;
namespace fs = std::filesystem;
using quality::BlankPolicy;
using quality::QualityTable;

namespace {

const fs::path kMatrix = "quality/mmlu_pro/mmlu_pro_30models_matrix.csv";
const std::string kSmall = "Phi-3-mini-4k-instruct", kLarge = "Meta-Llama-3_1-70B-Instruct";

template <class F>
std::string input_error(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

/// A 4-question wide table with blanks: model B is blank on q2 and q3, C on every row.
void write_blank_table(const fs::path& p) {
  write_file(p,
             "question_id,category,A,B,C\n"
             "1,x,1,0,\n"
             "2,x,0,,\n"
             "3,y,1,,\n"
             "4,y,1,1,\n");
}

}  // namespace

TEST(QualitySources, LongAndWideGiveIdenticalRequests) {
  COLLABSIM_NEED_DATA(data_dir() / kMatrix);
  TempDir d;
  const auto full = QualityTable::load_wide_csv(data_dir() / kMatrix, {kSmall, kLarge});
  // A slice of 600 questions, the small model's score blanked on every 37th one.
  std::ostringstream wide, lng;
  wide << "question_id,category,question_chars," << kSmall << "," << kLarge << "\n";
  lng << "query_id,model,score,category,question_chars\n";
  std::size_t blanked = 0;
  for (std::size_t r = 0; r < 600; ++r) {
    const bool blank = r % 37 == 5;
    blanked += blank;
    const auto id = full.query_id(r);
    const auto& cat = full.category(r);
    const auto qc = full.question_chars(r);
    wide << id << "," << cat << "," << qc << "," << (blank ? "" : std::to_string(static_cast<int>(full.score(r, 0))))
         << "," << static_cast<int>(full.score(r, 1)) << "\n";
    if (!blank) lng << id << "," << kSmall << "," << static_cast<int>(full.score(r, 0)) << "," << cat << "," << qc << "\n";
    lng << id << "," << kLarge << "," << static_cast<int>(full.score(r, 1)) << "," << cat << "," << qc << "\n";
  }
  write_file(d.path / "wide.csv", wide.str());
  write_file(d.path / "long.csv", lng.str());
  const auto scenario = source_dir() / "scenarios" / "edge_cloud_cascade.toml";
  const std::vector<std::string> common = {"workload.limit=800", "run.sample_interval=0 s",
                                           "quality.prompt_tokens=question"};
  auto with = [&](std::vector<std::string> extra) {
    extra.insert(extra.end(), common.begin(), common.end());
    return extra;
  };
  const auto w = run_scenario_file(d, scenario, "w", with({"quality.table=" + (d.path / "wide.csv").string()}));
  const auto l = run_scenario_file(d, scenario, "l", with({"quality.table=" + (d.path / "long.csv").string()}));
  const auto la = run_scenario_file(
      d, scenario, "la", with({"quality.table=" + (d.path / "long.csv").string(), "quality.format=long"}));
  EXPECT_EQ(w.s.n_requests, 800);
  EXPECT_EQ(w.s.n_questions_skipped, static_cast<std::int64_t>(blanked));
  EXPECT_EQ(l.s.n_questions_skipped, static_cast<std::int64_t>(blanked));
  const auto raw_w = read_raw(w.file, "requests");
  EXPECT_FALSE(raw_w.empty());
  EXPECT_EQ(raw_w, read_raw(l.file, "requests"));
  EXPECT_EQ(raw_w, read_raw(la.file, "requests"));
  EXPECT_EQ(read_column<std::int64_t>(l.file, "summary", "n_questions_skipped")[0],
            static_cast<std::int64_t>(blanked));
}

TEST(QualitySources, AutoDetectsTheFormatAndNamesAnUnknownHeader) {
  TempDir d;
  write_file(d.path / "long.csv", "model,query_id,score,cost_usd,output_tokens\nA,7,1,0.002,31\nB,7,0,,\nA,3,0,0.001,12\n");
  const auto t = QualityTable::load(d.path / "long.csv", {"A", "B"});
  ASSERT_EQ(t.num_queries(), 2u);
  EXPECT_EQ(t.query_id(0), 7);  // order of first appearance
  EXPECT_EQ(t.query_id(1), 3);
  EXPECT_DOUBLE_EQ(t.cost_usd(0, 0), 0.002);
  EXPECT_EQ(t.output_tokens(1, 0), 12);
  EXPECT_TRUE(std::isnan(t.cost_usd(0, 1)));
  EXPECT_FALSE(t.has_score(1, 1));  // (3, B) has no row: a blank cell
  write_file(d.path / "dup.csv", "query_id,model,score\n1,A,1\n1,A,0\n");
  const auto dup = input_error([&] { QualityTable::load(d.path / "dup.csv", {"A"}); });
  EXPECT_NE(dup.find("dup.csv"), std::string::npos) << dup;
  EXPECT_NE(dup.find("appear twice"), std::string::npos) << dup;
  write_file(d.path / "odd.csv", "id,x,y\n1,2,3\n");
  const auto odd = input_error([&] { QualityTable::load(d.path / "odd.csv", {"A"}); });
  EXPECT_NE(odd.find("odd.csv"), std::string::npos) << odd;
  EXPECT_NE(odd.find("quality.format"), std::string::npos) << odd;
  const auto missing = input_error([&] { QualityTable::load(d.path / "long.csv", {"Z"}); });
  EXPECT_NE(missing.find("closest"), std::string::npos) << missing;
}

TEST(QualitySources, RouteLlmTables) {
  const fs::path gsm = data_dir() / "quality/routellm/gsm8k/gsm8k_responses.csv";
  COLLABSIM_NEED_DATA(gsm);
  const std::string mix = "mistralai/Mixtral-8x7B-Instruct-v0.1", gpt = "gpt-4-1106-preview";
  const auto t = QualityTable::load(gsm, {mix, gpt});  // auto: the `prompt` column
  ASSERT_EQ(t.num_queries(), 1319u);                   // SOURCE.md: 1,319 rows (multi-line prompts)
  double a = 0, b = 0;
  for (std::size_t r = 0; r < t.num_queries(); ++r) a += t.score(r, 0), b += t.score(r, 1);
  EXPECT_NEAR(a / 1319, 0.638, 0.001);  // SOURCE.md accuracies
  EXPECT_NEAR(b / 1319, 0.857, 0.001);
  EXPECT_EQ(t.category(0), "gsm8k_responses");
  EXPECT_GT(t.question_chars(0), 100);
  const auto anatomy = QualityTable::load(data_dir() / "quality/routellm/mmlu_responses/mmlu_anatomy.csv", {mix, gpt},
                                          "routellm");
  EXPECT_EQ(anatomy.num_queries(), 135u);  // MMLU anatomy test split
  EXPECT_EQ(anatomy.category(0), "mmlu_anatomy");
}

TEST(QualitySources, BlankPolicySkip) {
  TempDir d;
  write_blank_table(d.path / "q.csv");
  const auto t = QualityTable::load(d.path / "q.csv", {"A", "B"}, "wide", BlankPolicy::skip);
  QueryJoin j(t, {0, 1}, 1);
  EXPECT_EQ(j.eligible(), 2u);
  EXPECT_EQ(j.skipped(), 2u);
  for (std::uint64_t i = 0; i < 8; ++i) EXPECT_TRUE(t.has_score(j.row(i), 1));
}

TEST(QualitySources, BlankPolicyZero) {
  TempDir d;
  write_blank_table(d.path / "q.csv");
  const auto t = QualityTable::load(d.path / "q.csv", {"A", "B"}, "wide", BlankPolicy::zero);
  QueryJoin j(t, {0, 1}, 1);
  EXPECT_EQ(j.eligible(), 4u);
  EXPECT_EQ(j.skipped(), 0u);
  EXPECT_EQ(t.score(1, 1), 0.0);
  EXPECT_EQ(t.score(0, 1), 0.0);
  EXPECT_EQ(t.score(3, 1), 1.0);
}

TEST(QualitySources, BlankPolicyErrorNamesFileLineAndColumn) {
  TempDir d;
  write_blank_table(d.path / "q.csv");
  const auto msg = input_error([&] { QualityTable::load(d.path / "q.csv", {"A", "B"}, "wide", BlankPolicy::error); });
  EXPECT_NE(msg.find("q.csv"), std::string::npos) << msg;
  EXPECT_NE(msg.find(":3"), std::string::npos) << msg;  // question 2 is on line 3
  EXPECT_NE(msg.find("'B'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("2 blank"), std::string::npos) << msg;
  // A column whose every cell is blank is named with its file.
  const auto all = input_error([&] { QualityTable::load(d.path / "q.csv", {"A", "C"}); });
  EXPECT_NE(all.find("q.csv"), std::string::npos) << all;
  EXPECT_NE(all.find("C"), std::string::npos) << all;
}

TEST(QualitySources, EmptyJoinNamesFileAndColumns) {
  TempDir d;
  write_file(d.path / "q.csv", "question_id,A,B\n1,1,\n2,,0\n");
  const auto t = QualityTable::load(d.path / "q.csv", {"A", "B"});
  const auto msg = input_error([&] { QueryJoin(t, {0, 1}, 1); });
  EXPECT_NE(msg.find("q.csv"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'A' (1 blank)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'B' (1 blank)"), std::string::npos) << msg;
}

TEST(QualitySources, SkippedQuestionsReachTheSummary) {
  COLLABSIM_NEED_DATA(data_dir() / kMatrix);
  TempDir d;
  const auto scenario = source_dir() / "scenarios" / "edge_cloud_cascade.toml";
  // DeepSeek-Coder-V2 has 10,351 of 12,032 rows (SOURCE.md).
  const auto r = run_scenario_file(d, scenario, "ds",
                                   {"workload.limit=50", "run.sample_interval=0 s",
                                    "deployments.llm.quality_column=DeepSeek-Coder-V2"});
  EXPECT_EQ(r.s.n_questions_skipped, 12032 - 10351);
  EXPECT_EQ(read_column<std::int64_t>(r.file, "summary", "n_questions_skipped")[0], 12032 - 10351);
  const auto z = run_scenario_file(d, scenario, "dz",
                                   {"workload.limit=50", "run.sample_interval=0 s", "quality.blank=zero",
                                    "deployments.llm.quality_column=DeepSeek-Coder-V2"});
  EXPECT_EQ(z.s.n_questions_skipped, 0);
}

TEST(QualitySources, CategoryJoin) {
  COLLABSIM_NEED_DATA(data_dir() / kMatrix);
  const auto t = QualityTable::load(data_dir() / kMatrix, {kSmall, kLarge});
  QueryJoin all(t, {0, 1}, 3);
  QueryJoin med(t, {0, 1}, 3, {"health", "biology"});
  std::size_t expected = 0;
  for (std::size_t r = 0; r < t.num_queries(); ++r) expected += t.category(r) == "health" || t.category(r) == "biology";
  EXPECT_EQ(med.eligible(), expected);
  EXPECT_GT(expected, 1000u);  // MMLU-Pro: 818 health + 717 biology
  EXPECT_EQ(all.eligible(), t.num_queries());
  std::set<std::string> seen;
  for (std::uint64_t i = 0; i < 3000; ++i) seen.insert(t.category(med.row(i)));
  EXPECT_EQ(seen, (std::set<std::string>{"health", "biology"}));
  const auto msg = input_error([&] { QueryJoin(t, {0, 1}, 3, {"medicine"}); });
  EXPECT_NE(msg.find("'medicine'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("health"), std::string::npos) << msg;  // lists the table's categories
}

TEST(QualitySources, CategoryJoinAndQuestionPromptsThroughTheScenario) {
  COLLABSIM_NEED_DATA(data_dir() / kMatrix);
  TempDir d;
  const auto scenario = source_dir() / "scenarios" / "edge_cloud_cascade.toml";
  const auto r = run_scenario_file(d, scenario, "cat",
                                   {"workload.limit=300", "run.sample_interval=0 s",
                                    "quality.categories=[\"health\", \"biology\"]", "quality.prompt_tokens=question",
                                    "quality.chars_per_token=4"});
  const auto t = QualityTable::load(data_dir() / kMatrix, {kSmall});
  std::map<std::int64_t, std::size_t> row_of;
  for (std::size_t i = 0; i < t.num_queries(); ++i) row_of[t.query_id(i)] = i;
  const auto qid = read_column<std::int64_t>(r.file, "requests", "query_id");
  const auto prompt = read_column<std::int64_t>(r.file, "requests", "prompt_tokens");
  ASSERT_EQ(qid.size(), 300u);
  for (std::size_t i = 0; i < qid.size(); ++i) {
    const std::size_t row = row_of.at(qid[i]);
    EXPECT_TRUE(t.category(row) == "health" || t.category(row) == "biology") << t.category(row);
    EXPECT_EQ(prompt[i], (t.question_chars(row) + 3) / 4) << "question " << qid[i];
  }
  // The default keeps the trace's prompt lengths, which differ from the questions'.
  const auto base = run_scenario_file(d, scenario, "base", {"workload.limit=300", "run.sample_interval=0 s"});
  const auto bp = read_column<std::int64_t>(base.file, "requests", "prompt_tokens");
  EXPECT_NE(bp, prompt);
}

namespace {

/// `<model>|out_chars` of every question, read straight from the released matrix's CSV
/// text (not through QualityTable), as the check against the source.
std::map<std::int64_t, std::int64_t> out_chars_from_source(const fs::path& csv, const std::string& model) {
  std::ifstream in(csv);
  std::string line;
  std::getline(in, line);
  auto split = [](const std::string& s) {
    std::vector<std::string> f;
    std::stringstream ss(s);
    std::string x;
    while (std::getline(ss, x, ',')) f.push_back(x);
    if (!s.empty() && s.back() == ',') f.emplace_back();
    return f;
  };
  const auto head = split(line);
  const auto col = static_cast<std::size_t>(std::find(head.begin(), head.end(), model + "|out_chars") - head.begin());
  EXPECT_LT(col, head.size()) << model;
  std::map<std::int64_t, std::int64_t> out;
  while (std::getline(in, line)) {
    const auto f = split(line);
    if (col < f.size() && !f[col].empty()) out[std::stoll(f[0])] = std::stoll(f[col]);
  }
  return out;
}

}  // namespace

// quality.output_tokens = "model": each model writes as many tokens as its own released
// response to the joined question had (MMLU-Pro <model>|out_chars / 4 characters per
// token), so the SLM's and the LLM's lengths differ per request as in the source.
TEST(QualitySources, ModelOutputLengthsFollowTheReleasedResponses) {
  COLLABSIM_NEED_DATA(data_dir() / kMatrix);
  TempDir d;
  const auto scenario = source_dir() / "scenarios" / "edge_cloud_cascade.toml";
  const std::vector<std::string> base = {"workload.limit=300", "run.sample_interval=0 s",
                                         "quality.output_tokens=model", "quality.prompt_tokens=question",
                                         "quality.chars_per_token=4"};
  auto with = [&](std::string mech) {
    auto v = base;
    v.push_back("mechanism.name=" + mech);
    return v;
  };
  const auto small = run_scenario_file(d, scenario, "s", with("small_only"));
  const auto large = run_scenario_file(d, scenario, "l", with("large_only"));
  const auto src_small = out_chars_from_source(data_dir() / kMatrix, kSmall);
  const auto src_large = out_chars_from_source(data_dir() / kMatrix, kLarge);
  ASSERT_GT(src_small.size(), 10000u);
  const auto qid_s = read_column<std::int64_t>(small.file, "requests", "query_id");
  const auto qid_l = read_column<std::int64_t>(large.file, "requests", "query_id");
  ASSERT_EQ(qid_s, qid_l);  // the same join: the lengths are the only difference
  const auto tok_s = read_column<std::int64_t>(small.file, "requests", "tokens_slm");
  const auto tok_l = read_column<std::int64_t>(large.file, "requests", "tokens_llm");
  const auto out_l = read_column<std::int64_t>(large.file, "requests", "output_tokens");
  const auto status_s = read_column<std::int64_t>(small.file, "requests", "status");
  ASSERT_EQ(qid_s.size(), 300u);
  std::size_t differ = 0, checked = 0;
  for (std::size_t i = 0; i < qid_s.size(); ++i) {
    if (status_s[i] != 0) continue;  // refused (beyond the phone's context window): nothing generated
    ++checked;
    const std::int64_t cs = src_small.at(qid_s[i]), cl = src_large.at(qid_s[i]);
    EXPECT_EQ(tok_s[i], std::max<std::int64_t>(1, (cs + 3) / 4)) << "question " << qid_s[i];
    EXPECT_EQ(tok_l[i], std::max<std::int64_t>(1, (cl + 3) / 4)) << "question " << qid_s[i];
    // /requests output_tokens is the largest model's (Context::reference_deployment).
    EXPECT_EQ(out_l[i], tok_l[i]);
    differ += tok_s[i] != tok_l[i];
  }
  EXPECT_GT(checked, 280u);
  EXPECT_GT(differ, 250u);  // the two models' responses differ in length for most questions
  // With the default the lengths come from the trace, the same for both models.
  const auto t = run_scenario_file(d, scenario, "t", {"workload.limit=300", "run.sample_interval=0 s",
                                                       "quality.prompt_tokens=question", "mechanism.name=small_only"});
  const auto tok_t = read_column<std::int64_t>(t.file, "requests", "tokens_slm");
  const auto out_t = read_column<std::int64_t>(t.file, "requests", "output_tokens");
  EXPECT_EQ(tok_t, out_t);
  EXPECT_NE(tok_t, tok_s);
}
