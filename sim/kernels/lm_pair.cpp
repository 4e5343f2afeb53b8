#include "sim/kernels/lm_pair.hpp"

#include <H5Cpp.h>

#include <chrono>

#include "sim/core/error.hpp"
#include "sim/core/input_file.hpp"
#include "sim/core/rng.hpp"
#include "sim/kernels/question_corpus.hpp"
#include "sim/kernels/router_training.hpp"
#include "sim/kernels/speculative_sampling.hpp"

namespace collabsim::kernels {

std::string split_text(const std::filesystem::path& questions, std::uint64_t seed, bool test, std::size_t max_q) {
  const auto corpus = QuestionCorpus::load(questions);
  std::string text;
  std::size_t n = 0;
  for (const auto& q : corpus.questions()) {
    if (in_test_split(q.id, seed, 0.2) != test) continue;
    if (max_q && n++ >= max_q) break;
    text += question_text(q);
    text += '\n';
  }
  return text;
}

void train_lm(CharLm& model, const std::string& text, std::int64_t steps, int batch, float lr, std::uint64_t seed,
              const CharLm* teacher, float temperature, float lambda) {
  RngStream rng(seed, teacher ? "lm_distil_batches" : "lm_batches");
  std::vector<std::uint8_t> ctx, tctx, next;
  for (std::int64_t s = 0; s < steps; ++s) {
    ctx.clear();
    tctx.clear();
    next.clear();
    for (int b = 0; b < batch; ++b) {
      const std::size_t i = 1 + rng.below(text.size() - 1);
      model.context_at(text, i, ctx);
      if (teacher) teacher->context_at(text, i, tctx);
      next.push_back(static_cast<std::uint8_t>(text[i]));
    }
    const float step_lr = lr * (s < steps / 2 ? 1.0f : 0.3f);
    if (teacher) {
      const Eigen::MatrixXf soft = teacher->predict(tctx, batch, temperature);
      model.train_step(ctx, next, step_lr, &soft, temperature, lambda);
    } else {
      model.train_step(ctx, next, step_lr);
    }
  }
}

LmPairReport train_lm_pair(const LmPairConfig& cfg) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::string train = split_text(cfg.questions, cfg.seed, false, cfg.max_questions);
  const std::string test = split_text(cfg.questions, cfg.seed, true, cfg.max_questions ? cfg.max_questions / 4 : 0);
  CharLm teacher(cfg.teacher, cfg.seed ^ 0x7eac);
  train_lm(teacher, train, cfg.steps, cfg.batch, cfg.learning_rate, cfg.seed);
  CharLm alone(cfg.student, cfg.seed ^ 0x57d);
  train_lm(alone, train, cfg.steps, cfg.batch, cfg.learning_rate, cfg.seed);
  CharLm distilled(cfg.student, cfg.seed ^ 0x57d);
  train_lm(distilled, train, cfg.steps, cfg.batch, cfg.learning_rate, cfg.seed, &teacher, cfg.temperature, cfg.lambda);
  LmPairReport rep;
  rep.teacher_bpb = teacher.bits_per_byte(test, 50000);
  rep.teacher_train_bpb = teacher.bits_per_byte(train, 50000);
  rep.student_bpb = alone.bits_per_byte(test, 50000);
  rep.distilled_bpb = distilled.bits_per_byte(test, 50000);
  rep.teacher_flops = teacher.flops_per_position();
  rep.student_flops = distilled.flops_per_position();
  // Measured acceptance: rounds at random held-out positions.
  RngStream rng(cfg.seed, "lm_alpha");
  double beta = 0;
  const int nb = 2000;
  for (int k = 0; k < nb; ++k) {
    const std::size_t i = 1 + rng.below(test.size() - 1);
    beta += overlap(teacher, distilled, test.substr(0, i));
  }
  rep.beta = beta / nb;
  for (int g = 1; g <= 8; ++g) {
    double acc = 0, judged = 0, emitted = 0;
    for (int k = 0; k < cfg.alpha_rounds; ++k) {
      const std::size_t i = 1 + rng.below(test.size() - 1);
      const auto r = speculative_round(teacher, distilled, test.substr(i > 64 ? i - 64 : 0, i > 64 ? 64 : i), g, rng);
      acc += r.accepted;
      judged += r.judged;
      emitted += static_cast<double>(r.emitted.size());
    }
    rep.alpha[g - 1] = judged > 0 ? acc / judged : 0.0;
    rep.tokens_per_round[g - 1] = emitted / cfg.alpha_rounds;
  }
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!cfg.output.empty()) {
    if (cfg.output.has_parent_path()) std::filesystem::create_directories(cfg.output.parent_path());
    H5::H5File f(cfg.output.string(), H5F_ACC_TRUNC);
    auto attr = [&](const char* name, double v) {
      f.createAttribute(name, H5::PredType::NATIVE_DOUBLE, H5::DataSpace(H5S_SCALAR)).write(H5::PredType::NATIVE_DOUBLE, &v);
    };
    attr("teacher_bpb", rep.teacher_bpb);
    attr("student_bpb", rep.student_bpb);
    attr("distilled_bpb", rep.distilled_bpb);
    attr("beta", rep.beta);
    attr("seed", static_cast<double>(cfg.seed));
    hsize_t n = 8;
    H5::DataSpace sp(1, &n);
    f.createDataSet("alpha", H5::PredType::NATIVE_DOUBLE, sp).write(rep.alpha.data(), H5::PredType::NATIVE_DOUBLE);
    f.createDataSet("tokens_per_round", H5::PredType::NATIVE_DOUBLE, sp)
        .write(rep.tokens_per_round.data(), H5::PredType::NATIVE_DOUBLE);
  }
  return rep;
}

double measured_alpha(const std::filesystem::path& report, int gamma) {
  if (!input_exists(report))
    throw InputError(SourcePos{report, 0, 0}, "alpha_file", "no such report: run `collabsim train-lm -o FILE` first");
  if (gamma < 1 || gamma > 8) throw InputError(SourcePos{report, 0, 0}, "gamma", "measured α exists for γ = 1 … 8");
  check_input_file(report, SourcePos{}, "alpha_file", "LM-pair report");
  H5::Exception::dontPrint();
  if (!H5::H5File::isHdf5(report.string()))
    throw InputError(SourcePos{report, 0, 0}, "alpha_file", "not an HDF5 file (expected a report of `collabsim train-lm`)");
  try {
    H5::H5File f(report.string(), H5F_ACC_RDONLY);
    if (!f.nameExists("alpha")) throw InputError(SourcePos{report, 0, 0}, "alpha_file", "dataset 'alpha': missing");
    H5::DataSet ds = f.openDataSet("alpha");
    H5::DataSpace sp = ds.getSpace();
    hsize_t n = 0;
    if (ds.getTypeClass() != H5T_FLOAT || !sp.isSimple() || sp.getSimpleExtentNdims() != 1 ||
        (sp.getSimpleExtentDims(&n), n != 8))
      throw InputError(SourcePos{report, 0, 0}, "alpha_file",
                       "dataset 'alpha': expected 8 floating-point values (α for γ = 1 … 8)");
    double a[8];
    ds.read(a, H5::PredType::NATIVE_DOUBLE);
    for (int g = 0; g < 8; ++g)
      if (!(a[g] >= 0.0 && a[g] <= 1.0))
        throw InputError(SourcePos{report, 0, 0}, "alpha_file",
                         "dataset 'alpha': element " + std::to_string(g) + " is not an acceptance rate in [0, 1]");
    return a[gamma - 1];
  } catch (const H5::Exception& e) {
    throw InputError(SourcePos{report, 0, 0}, "alpha_file", "not an LM-pair report: " + e.getDetailMsg());
  }
}

}  // namespace collabsim::kernels
