// The parsed-input store (study/input_cache.hpp): images of traces and quality tables and
// the hash memo of FileHashCache give exactly what parsing gives, and a damaged image is
// parsed again.
#include <fstream>

#include "sim/io/provenance.hpp"
#include "sim/study/input_cache.hpp"
#include "test_support.hpp"

using namespace collabsim;
using collabsim::testing::data_dir;
using collabsim::testing::TempDir;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kColumns = {"Phi-3-mini-4k-instruct", "Meta-Llama-3_1-70B-Instruct"};

void expect_same_trace(const workload::TraceData& a, const workload::TraceData& b) {
  ASSERT_EQ(a.records.size(), b.records.size());
  for (std::size_t i = 0; i < a.records.size(); ++i) {
    EXPECT_EQ(a.records[i].arrival_ns, b.records[i].arrival_ns) << i;
    EXPECT_EQ(a.records[i].prompt_tokens, b.records[i].prompt_tokens) << i;
    EXPECT_EQ(a.records[i].output_tokens, b.records[i].output_tokens) << i;
    EXPECT_EQ(a.records[i].line, b.records[i].line) << i;
  }
  EXPECT_EQ(a.span_ns, b.span_ns);
  EXPECT_EQ(a.blocks, b.blocks);
  EXPECT_EQ(a.block_begin, b.block_begin);
}

void expect_same_table(const quality::QualityTable& a, const quality::QualityTable& b) {
  ASSERT_EQ(a.num_queries(), b.num_queries());
  ASSERT_EQ(a.models(), b.models());
  EXPECT_EQ(a.file(), b.file());
  for (std::size_t r = 0; r < a.num_queries(); ++r) {
    EXPECT_EQ(a.query_id(r), b.query_id(r));
    EXPECT_EQ(a.line(r), b.line(r));
    EXPECT_EQ(a.category(r), b.category(r));
    EXPECT_EQ(a.question_chars(r), b.question_chars(r));
    EXPECT_EQ(a.answer(r), b.answer(r));
    for (std::size_t m = 0; m < a.num_models(); ++m) {
      ASSERT_EQ(a.has_score(r, m), b.has_score(r, m)) << r << " " << m;
      if (a.has_score(r, m)) EXPECT_EQ(a.score(r, m), b.score(r, m));
      EXPECT_EQ(a.pred(r, m), b.pred(r, m));
      EXPECT_EQ(a.out_chars(r, m), b.out_chars(r, m));
      EXPECT_EQ(a.output_tokens(r, m), b.output_tokens(r, m));
      const double ca = a.cost_usd(r, m), cb = b.cost_usd(r, m);
      EXPECT_TRUE((std::isnan(ca) && std::isnan(cb)) || ca == cb);
    }
  }
}

std::vector<fs::path> images(const fs::path& store) {
  std::vector<fs::path> out;
  if (!fs::exists(store / "inputs")) return out;
  for (const auto& e : fs::directory_iterator(store / "inputs")) out.push_back(e.path());
  return out;
}

}  // namespace

TEST(InputStore, TraceImageEqualsTheParse) {
  const fs::path trace = data_dir() / "traces/azure_llm_2023/AzureLLMInferenceTrace_conv.csv";
  COLLABSIM_NEED_DATA(trace);
  TempDir store;
  const auto parsed = workload::read_trace("azure_csv", trace);
  {
    InputCache first(store.path);  // miss: parses and writes the image
    expect_same_trace(*first.trace("azure_csv", trace), *parsed);
  }
  ASSERT_EQ(images(store.path).size(), 1u);
  InputCache second(store.path);  // hit: reads the image
  expect_same_trace(*second.trace("azure_csv", trace), *parsed);
}

TEST(InputStore, QualityImageEqualsTheParse) {
  const fs::path table = data_dir() / "quality/mmlu_pro/mmlu_pro_30models_matrix.csv";
  COLLABSIM_NEED_DATA(table);
  TempDir store;
  const auto parsed = quality::QualityTable::load(table, kColumns);
  {
    InputCache first(store.path);
    expect_same_table(*first.quality(table, kColumns), parsed);
  }
  ASSERT_EQ(images(store.path).size(), 1u);
  InputCache second(store.path);
  expect_same_table(*second.quality(table, kColumns), parsed);
  // Other columns are another image, not the first one read back.
  InputCache third(store.path);
  const std::vector<std::string> one = {kColumns[1]};
  expect_same_table(*third.quality(table, one), quality::QualityTable::load(table, one));
  EXPECT_EQ(images(store.path).size(), 2u);
}

TEST(InputStore, DamagedImagesAreParsedAgain) {
  const fs::path table = data_dir() / "quality/mmlu_pro/mmlu_pro_30models_matrix.csv";
  const fs::path trace = data_dir() / "traces/azure_llm_2023/AzureLLMInferenceTrace_conv.csv";
  COLLABSIM_NEED_DATA(table);
  COLLABSIM_NEED_DATA(trace);
  TempDir store;
  {
    InputCache first(store.path);
    first.quality(table, kColumns);
    first.trace("azure_csv", trace);
  }
  const auto files = images(store.path);
  ASSERT_EQ(files.size(), 2u);
  for (const auto& f : files) fs::resize_file(f, fs::file_size(f) - 9);  // truncated
  InputCache second(store.path);
  expect_same_table(*second.quality(table, kColumns), quality::QualityTable::load(table, kColumns));
  expect_same_trace(*second.trace("azure_csv", trace), *workload::read_trace("azure_csv", trace));
  // ... and rewritten whole.
  for (const auto& f : images(store.path)) {
    std::ifstream in(f, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (f.filename().string().rfind("quality_table-", 0) == 0) {
      EXPECT_TRUE(quality::QualityTable::from_image(bytes, table).has_value());
      EXPECT_FALSE(quality::QualityTable::from_image(bytes.substr(0, bytes.size() - 1), table).has_value());
    }
  }
}

TEST(InputStore, HashMemoKeepsTheHashOfAnUnchangedFile) {
  const fs::path table = data_dir() / "quality/mmlu_pro/mmlu_pro_30models_matrix.csv";
  COLLABSIM_NEED_DATA(table);
  TempDir store;
  const std::string sha = sha256_file(table);
  EXPECT_EQ(FileHashCache(store.path).record("quality_table", table).sha256, sha);
  ASSERT_TRUE(fs::exists(store.path / "hashes"));
  EXPECT_EQ(std::distance(fs::directory_iterator(store.path / "hashes"), fs::directory_iterator{}), 1);
  EXPECT_EQ(FileHashCache(store.path).record("quality_table", table).sha256, sha);  // from the memo
}

TEST(InputStore, AFileChangedJustNowIsHashedEveryTime) {
  TempDir store, dir;
  const fs::path f = dir.path / "trace.csv";
  std::ofstream(f) << "a,b\n1,2\n";
  const std::string first = FileHashCache(store.path).record("trace", f).sha256;
  EXPECT_EQ(first, sha256_file(f));
  EXPECT_FALSE(fs::exists(store.path / "hashes"));  // changed < 2 s ago: no memo
  std::ofstream(f, std::ios::trunc) << "a,b\n1,3\n";  // same size, new content
  const std::string second = FileHashCache(store.path).record("trace", f).sha256;
  EXPECT_NE(second, first);
  EXPECT_EQ(second, sha256_file(f));
}
