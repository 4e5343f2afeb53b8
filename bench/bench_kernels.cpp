// Router kernel inference time per request (target ≤ 20 µs, DESIGN.md), features included,
// and LinUCB choice time. Trains small routers on the real MMLU-Pro data first.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>

#include "sim/kernels/char_lm.hpp"
#include "sim/kernels/linucb.hpp"
#include "sim/kernels/router_training.hpp"

using namespace collabsim::kernels;
namespace fs = std::filesystem;

namespace {

fs::path data_dir() {
  if (const char* d = std::getenv("COLLABSIM_DATA")) return d;
  return fs::path(COLLABSIM_SOURCE_DIR) / ".." / "shared" / "data";
}

const QuestionCorpus& corpus() {
  static const QuestionCorpus c = QuestionCorpus::load(data_dir() / "quality/mmlu_pro/mmlu_pro_questions.jsonl");
  return c;
}

std::unique_ptr<RouterKernel> trained(const std::string& kind) {
  RouterTrainConfig cfg;
  cfg.questions = data_dir() / "quality/mmlu_pro/mmlu_pro_questions.jsonl";
  cfg.matrix = data_dir() / "quality/mmlu_pro/mmlu_pro_30models_matrix.csv";
  cfg.kind = kind;
  cfg.epochs = 1;
  cfg.output = fs::temp_directory_path() / ("collabsim_bench_router_" + kind + ".h5");
  train_router(cfg);
  auto k = RouterKernel::load(cfg.output);
  fs::remove(cfg.output);
  return k;
}

void BM_RouterInference(benchmark::State& state, const std::string& kind) {
  const auto k = trained(kind);
  const auto& qs = corpus().questions();
  std::size_t i = 0;
  double sink = 0;
  for (auto _ : state) {
    sink += k->score(qs[i++ % qs.size()]);  // features + forward pass, per request
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(state.iterations());
}

void BM_LinUcbChoose(benchmark::State& state) {
  LinUcb b(2, 16, 0.5);
  Eigen::VectorXd x = Eigen::VectorXd::Ones(16) / 4.0;
  int sink = 0;
  for (auto _ : state) sink += b.choose(x);
  benchmark::DoNotOptimize(sink);
}

/// Batched forward pass of the teacher LM (context 16 × emb 24 → 384 hidden → 256),
/// reported in GFLOP/s of its two matrix products.
void BM_LmForward(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  CharLm lm({16, 24, 384}, 1);
  std::vector<std::uint8_t> ctx(static_cast<std::size_t>(batch) * 16);
  for (std::size_t i = 0; i < ctx.size(); ++i) ctx[i] = static_cast<std::uint8_t>(32 + i % 90);
  for (auto _ : state) benchmark::DoNotOptimize(lm.predict(ctx, batch));
  state.counters["GFLOP/s"] = benchmark::Counter(lm.flops_per_position() * batch,
                                                 benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
  state.counters["GFLOP/s"] = benchmark::Counter(lm.flops_per_position() * batch * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

/// Eigen single-precision GEMM of the same shapes (the machine's Eigen peak for them).
void BM_EigenGemm(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  Eigen::MatrixXf a = Eigen::MatrixXf::Random(384, 384), b = Eigen::MatrixXf::Random(384, n), c(384, n);
  for (auto _ : state) {
    c.noalias() = a * b;
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * 384 * 384 * n * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

BENCHMARK(BM_LmForward)->Arg(1)->Arg(256)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_EigenGemm)->Arg(256)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_RouterInference, logistic, std::string("logistic"))->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_RouterInference, mlp, std::string("mlp"))->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_LinUcbChoose)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
