// Trace readers and the quality table on the real shared data, plus every bad-row case.
#include <gtest/gtest.h>

#include <functional>

#include "sim/core/error.hpp"
#include "sim/quality/quality_table.hpp"
#include "sim/workload/azure_trace.hpp"
#include "sim/workload/mooncake_trace.hpp"
#include "test_support.hpp"

using namespace collabsim;
using namespace collabsim::workload;
using namespace collabsim::testing;
namespace fs = std::filesystem;

namespace {
void require_data() {
  COLLABSIM_NEED_DATA(data_dir());
}
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}
void drain(TraceReader& r) {
  while (r.next()) {
  }
}
}  // namespace

TEST(AzureTrace, TimestampsParseExactlyToNanoseconds) {
  EXPECT_EQ(parse_timestamp_ns("1970-01-01 00:00:00"), 0);
  EXPECT_EQ(parse_timestamp_ns("1970-01-02 00:00:00.0000001"), 86'400'000'000'100LL);
  EXPECT_EQ(*parse_timestamp_ns("2024-03-01 00:00:00") - *parse_timestamp_ns("2024-02-28 00:00:00"),
            2 * 86'400'000'000'000LL);  // leap year
  EXPECT_FALSE(parse_timestamp_ns("2023-13-01 00:00:00"));
  EXPECT_FALSE(parse_timestamp_ns("2023-11-16T18:15:46"));
}

TEST(AzureTrace, ConversationTraceHasEveryRow) {
  require_data();
  AzureTraceReader r(data_dir() / "traces/azure_llm_2023/AzureLLMInferenceTrace_conv.csv");
  std::int64_t n = 0, last = -1, prompt_sum = 0;
  TraceRecord rec{};
  while (auto x = r.next()) {
    if (n == 0) EXPECT_EQ(x->arrival_ns, 0);
    EXPECT_GE(x->arrival_ns, last);
    last = x->arrival_ns;
    prompt_sum += x->prompt_tokens;
    rec = *x;
    ++n;
  }
  EXPECT_EQ(n, 19366);
  // 19:14:08.4025270 − 18:15:46.6805900 (first and last rows of the file).
  EXPECT_EQ(rec.arrival_ns, 3'501'721'937'000LL);
  EXPECT_EQ(rec.prompt_tokens, 197);
  EXPECT_EQ(rec.output_tokens, 183);
  EXPECT_EQ(rec.line, 19367u);
  EXPECT_NEAR(static_cast<double>(prompt_sum) / n, 1154.697, 1e-3);
}

TEST(AzureTrace, CodeTraceHasEveryRow) {
  require_data();
  AzureTraceReader r(data_dir() / "traces/azure_llm_2023/AzureLLMInferenceTrace_code.csv");
  std::int64_t n = 0;
  while (r.next()) ++n;
  EXPECT_EQ(n, 8819);
}

TEST(AzureTrace, BadRowsNameFileLineAndColumn) {
  TempDir d;
  const std::string header = "TIMESTAMP,ContextTokens,GeneratedTokens\n";
  const std::string ok = "2023-11-16 18:15:46.6805900,374,44\n";
  struct Case {
    std::string text, want;
  } cases[] = {
      {"TIME,Ctx,Gen\n" + ok, "t.csv:1:1: key 'header'"},
      {header + ok + "2023-11-16 18:15:47.0,12x,44\n", "t.csv:3:23: key 'ContextTokens'"},
      {header + ok + "2023-11-16 18:15:47.0,12,-4\n", "t.csv:3:26: key 'GeneratedTokens': negative"},
      {header + ok + "2023-11-16 18:15:40.0,12,4\n", "t.csv:3:1: key 'TIMESTAMP': timestamp goes backwards"},
      {header + ok + "2023-11-16 18:15:47.0,12\n", "t.csv:3:25: key 'GeneratedTokens': missing field"},
      {header + ok + "yesterday,12,4\n", "t.csv:3:1: key 'TIMESTAMP'"},
      {header + ok + "2023-11-16 18:15:47.0,12,4,9\n", "t.csv:3:28: key 'row': more than 3 fields"},
      {header + ok + "\n" + "2023-11-16 18:15:47.0,,4\n", "t.csv:4:23: key 'ContextTokens'"},  // blank lines count
  };
  for (const auto& c : cases) {
    write_file(d.path / "t.csv", c.text);
    const std::string msg = error_of([&] {
      AzureTraceReader r(d.path / "t.csv");
      drain(r);
    });
    EXPECT_NE(msg.find(c.want), std::string::npos) << "got: " << msg << "\nwant: " << c.want;
  }
  const std::string missing = error_of([&] { AzureTraceReader r(d.path / "AzureLLMInferenceTrace_conv.csv"); });
  EXPECT_NE(missing.find("Azure/AzurePublicDataset"), std::string::npos) << missing;
}

TEST(AzureTrace, CrlfAndNoTrailingNewline) {
  TempDir d;
  write_file(d.path / "t.csv",
             "TIMESTAMP,ContextTokens,GeneratedTokens\r\n2023-11-16 18:15:46.5,1,2\r\n2023-11-16 18:15:47.5,3,4");
  AzureTraceReader r(d.path / "t.csv");
  auto a = r.next(), b = r.next();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(b->arrival_ns, 1'000'000'000);
  EXPECT_EQ(b->output_tokens, 4);
  EXPECT_FALSE(r.next());
}

TEST(MooncakeTrace, ConversationTraceHasEveryRow) {
  require_data();
  MooncakeTraceReader r(data_dir() / "traces/mooncake_fast25/conversation_trace.jsonl");
  std::int64_t n = 0;
  TraceRecord last{};
  while (auto x = r.next()) {
    last = *x;
    ++n;
    if (n == 1) EXPECT_EQ(x->prompt_tokens, 6758);
  }
  EXPECT_EQ(n, 12031);
  EXPECT_EQ(last.arrival_ns, 3'536'999LL * 1'000'000);
  EXPECT_EQ(last.prompt_tokens, 20774);
  EXPECT_EQ(r.hash_ids().front(), 0);
}

TEST(MooncakeTrace, BadLinesNameFileLineAndKey) {
  TempDir d;
  write_file(d.path / "m.jsonl",
             "{\"timestamp\": 0, \"input_length\": 5, \"output_length\": 2, \"hash_ids\": [1]}\n"
             "{\"timestamp\": 3, \"input_length\": 5.5, \"output_length\": 2, \"hash_ids\": []}\n");
  std::string msg = error_of([&] {
    MooncakeTraceReader r(d.path / "m.jsonl");
    drain(r);
  });
  EXPECT_NE(msg.find("m.jsonl:2:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("key 'input_length'"), std::string::npos) << msg;
  write_file(d.path / "m.jsonl", "{\"timestamp\": 0, \"input_length\": 5, \"colour\": 2}\n");
  msg = error_of([&] {
    MooncakeTraceReader r(d.path / "m.jsonl");
    drain(r);
  });
  EXPECT_NE(msg.find("key 'colour': unknown key"), std::string::npos) << msg;
}

TEST(MooncakeTrace, EveryMalformedLineGivesOneLineNumberedError) {
  TempDir d;
  const std::string ok = R"({"timestamp": 0, "input_length": 5, "output_length": 2, "hash_ids": [1]})" "\n";
  struct Case {
    std::string text, want;
  } cases[] = {
      {ok + R"({"timestamp": 3, "input_length": 5})" "\n", "m.jsonl:2:1: key 'output_length': missing or negative"},
      {ok + R"({"timestamp": 3, "input_length": -5, "output_length": 2})" "\n",
       "m.jsonl:2:1: key 'input_length': missing or negative"},
      {ok + R"({"timestamp": 3, "input_length": 5, "output_length": 2)" "\n", "m.jsonl:2:55: malformed JSON: expected '}'"},
      {ok + R"([1, 2])" "\n", "m.jsonl:2:1: malformed JSON: expected '{'"},
      {ok + R"({"timestamp": 3, "input_length": 5, "output_length": 2, "hash_ids": 7})" "\n",
       "m.jsonl:2:69: malformed JSON: expected '['"},
      {ok + "\n" + R"({"timestamp": "3", "input_length": 5, "output_length": 2})" "\n",
       "m.jsonl:3:15: key 'timestamp': expected an integer"},  // blank lines count
  };
  for (const auto& c : cases) {
    write_file(d.path / "m.jsonl", c.text);
    const std::string msg = error_of([&] {
      MooncakeTraceReader r(d.path / "m.jsonl");
      drain(r);
    });
    EXPECT_NE(msg.find(c.want), std::string::npos) << "got: " << msg << "\nwant: " << c.want;
  }
}

TEST(QualityTable, MmluProColumnsMatchTheirPublishedAccuracy) {
  require_data();
  const auto t = quality::QualityTable::load_wide_csv(data_dir() / "quality/mmlu_pro/mmlu_pro_30models_matrix.csv",
                                                      {"Phi-3-mini-4k-instruct", "Meta-Llama-3_1-70B-Instruct"});
  ASSERT_EQ(t.num_queries(), 12032u);
  double s0 = 0, s1 = 0;
  for (std::size_t i = 0; i < t.num_queries(); ++i) {
    s0 += t.score(i, 0);
    s1 += t.score(i, 1);
  }
  EXPECT_NEAR(s0 / 12032, 0.4148105, 1e-6);
  EXPECT_NEAR(s1 / 12032, 0.6282414, 1e-6);
  EXPECT_EQ(t.query_id(0), 70);
  EXPECT_EQ(t.answer(0), 'I');
  EXPECT_EQ(t.pred(0, 0), 'I');
  EXPECT_EQ(t.out_chars(0, 0), 227);
  EXPECT_EQ(t.category(0), "business");
}

TEST(QualityTable, MissingModelColumnListsCloseNames) {
  require_data();
  const std::string msg = error_of([] {
    quality::QualityTable::load_wide_csv(data_dir() / "quality/mmlu_pro/mmlu_pro_30models_matrix.csv",
                                         {"Phi-3-mini-4k-instrct"});
  });
  EXPECT_NE(msg.find("key 'Phi-3-mini-4k-instrct': no such model column"), std::string::npos) << msg;
  EXPECT_NE(msg.find("Phi-3-mini-4k-instruct"), std::string::npos) << msg;
}

TEST(QualityTable, BadCellsNameLineAndColumn) {
  TempDir d;
  write_file(d.path / "q.csv", "question_id,m,m|pred\n1,1,A\n2,x,B\n");
  const std::string msg = error_of([&] { quality::QualityTable::load_wide_csv(d.path / "q.csv", {"m"}); });
  EXPECT_NE(msg.find("q.csv:3:3: key 'm'"), std::string::npos) << msg;
  write_file(d.path / "q.csv", "question_id,m\n1,\"0\"\n2,\n");
  const auto t = quality::QualityTable::load_wide_csv(d.path / "q.csv", {"m"});
  EXPECT_TRUE(t.has_score(0, 0));
  EXPECT_FALSE(t.has_score(1, 0));
  EXPECT_EQ(t.pred(0, 0), '\0');
}
