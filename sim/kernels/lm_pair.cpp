#include "sim/kernels/lm_pair.hpp"

#include <H5Cpp.h>

#include <chrono>

#include <fmt/format.h>

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

void save_lm(const CharLm& m, const std::filesystem::path& file) {
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
  H5::H5File f(file.string(), H5F_ACC_TRUNC);
  auto attr = [&](const char* name, int v) {
    f.createAttribute(name, H5::PredType::NATIVE_INT, H5::DataSpace(H5S_SCALAR)).write(H5::PredType::NATIVE_INT, &v);
  };
  attr("context", m.shape().context);
  attr("emb", m.shape().emb);
  attr("hidden", m.shape().hidden);
  auto mat = [&](const char* name, const float* data, Eigen::Index rows, Eigen::Index cols) {
    const hsize_t dims[2] = {static_cast<hsize_t>(cols), static_cast<hsize_t>(rows)};  // column-major storage
    H5::DataSpace sp(2, dims);
    f.createDataSet(name, H5::PredType::NATIVE_FLOAT, sp).write(data, H5::PredType::NATIVE_FLOAT);
  };
  mat("E", m.E.data(), m.E.rows(), m.E.cols());
  mat("W1", m.W1.data(), m.W1.rows(), m.W1.cols());
  mat("W2", m.W2.data(), m.W2.rows(), m.W2.cols());
  mat("b1", m.b1.data(), m.b1.rows(), 1);
  mat("b2", m.b2.data(), m.b2.rows(), 1);
}

CharLm load_lm(const std::filesystem::path& file) {
  const SourcePos pos{file, 0, 0};
  if (!input_exists(file)) throw InputError(pos, "teacher", "no such model file");
  check_input_file(file, SourcePos{}, "teacher", "byte LM");
  H5::Exception::dontPrint();
  try {
    H5::H5File f(file.string(), H5F_ACC_RDONLY);
    auto attr = [&](const char* name) {
      int v = 0;
      f.openAttribute(name).read(H5::PredType::NATIVE_INT, &v);
      if (v < 1 || v > 100000) throw InputError(pos, name, "out of range");
      return v;
    };
    const CharLmShape shape{attr("context"), attr("emb"), attr("hidden")};
    CharLm m(shape, 0);
    auto mat = [&](const char* name, float* data, Eigen::Index rows, Eigen::Index cols) {
      H5::DataSet ds = f.openDataSet(name);
      hsize_t dims[2] = {0, 0};
      if (ds.getSpace().getSimpleExtentNdims() != 2 || (ds.getSpace().getSimpleExtentDims(dims), false) ||
          dims[0] != static_cast<hsize_t>(cols) || dims[1] != static_cast<hsize_t>(rows))
        throw InputError(pos, name, "shape does not match the model's attributes");
      ds.read(data, H5::PredType::NATIVE_FLOAT);
    };
    mat("E", m.E.data(), m.E.rows(), m.E.cols());
    mat("W1", m.W1.data(), m.W1.rows(), m.W1.cols());
    mat("W2", m.W2.data(), m.W2.rows(), m.W2.cols());
    mat("b1", m.b1.data(), m.b1.rows(), 1);
    mat("b2", m.b2.data(), m.b2.rows(), 1);
    return m;
  } catch (const H5::Exception& e) {
    throw InputError(pos, "teacher", "not a byte-LM file: " + e.getDetailMsg());
  }
}

namespace {

/// The teacher: loaded from cfg.teacher_in (trained a further round when teacher_round > 0)
/// or trained here on `train`; saved to cfg.teacher_out when set.
CharLm make_teacher(const LmPairConfig& cfg, const std::string& train) {
  CharLm teacher;
  if (!cfg.teacher_in.empty()) {
    teacher = load_lm(cfg.teacher_in);
    if (cfg.teacher_round > 0)
      train_lm(teacher, train, cfg.steps, cfg.batch, cfg.learning_rate,
               cfg.seed + 1000 * static_cast<std::uint64_t>(cfg.teacher_round));
  } else {
    teacher = CharLm(cfg.teacher, cfg.seed ^ 0x7eac);
    train_lm(teacher, train, cfg.steps, cfg.batch, cfg.learning_rate, cfg.seed);
  }
  if (!cfg.teacher_out.empty()) save_lm(teacher, cfg.teacher_out);
  return teacher;
}

/// rep.beta, rep.alpha and rep.tokens_per_round: speculative rounds of `distilled`
/// drafting for `teacher` at random held-out positions of `test`.
void measure_acceptance(LmPairReport& rep, const LmPairConfig& cfg, const CharLm& teacher, const CharLm& distilled,
                        const std::string& test) {
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
}

/// The report file of train_lm_pair at cfg.output: attributes (bits per byte, beta, seed),
/// alpha, tokens_per_round, per-seed bits per byte and the routing curve.
void write_report(const LmPairConfig& cfg, const LmPairReport& rep) {
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
  auto vec = [&](H5::Group& g, const char* name, const std::vector<double>& v) {
    hsize_t m = v.size();
    H5::DataSpace vs(1, &m);
    g.createDataSet(name, H5::PredType::NATIVE_DOUBLE, vs).write(v.data(), H5::PredType::NATIVE_DOUBLE);
  };
  H5::Group root = f.openGroup("/");
  vec(root, "student_bpb_seeds", rep.student_bpb_seeds);
  vec(root, "distilled_bpb_seeds", rep.distilled_bpb_seeds);
  H5::Group rg = f.createGroup("routing");
  std::vector<double> share, thr, bpb, rnd, agr;
  for (const auto& p : rep.routing) {
    share.push_back(p.teacher_share);
    thr.push_back(p.threshold);
    bpb.push_back(p.bpb_routed);
    rnd.push_back(p.bpb_random);
    agr.push_back(p.agreement);
  }
  vec(rg, "teacher_share", share);
  vec(rg, "threshold", thr);
  vec(rg, "bpb_routed", bpb);
  vec(rg, "bpb_random", rnd);
  vec(rg, "agreement", agr);
}

}  // namespace

LmPairReport train_lm_pair(const LmPairConfig& cfg) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::string train = split_text(cfg.questions, cfg.seed, false, cfg.max_questions);
  const std::string test = split_text(cfg.questions, cfg.seed, true, cfg.max_questions ? cfg.max_questions / 4 : 0);
  const std::int64_t sstep = cfg.student_steps > 0 ? cfg.student_steps : cfg.steps;
  const float slr = cfg.student_learning_rate > 0 ? cfg.student_learning_rate : cfg.learning_rate;
  const std::size_t ev = cfg.eval_positions;
  CharLm teacher = make_teacher(cfg, train);
  LmPairReport rep;
  CharLm alone, distilled;
  for (int k = 0; k < std::max(1, cfg.student_seeds); ++k) {
    const std::uint64_t s = cfg.seed + static_cast<std::uint64_t>(k);
    CharLm a(cfg.student, s ^ 0x57d);
    train_lm(a, train, sstep, cfg.batch, slr, s);
    CharLm d(cfg.student, s ^ 0x57d);
    if (cfg.lambda > 0) train_lm(d, train, sstep, cfg.batch, slr, s, &teacher, cfg.temperature, cfg.lambda);
    else d = a;  // λ = 0: the distillation loss is the plain cross-entropy (same seed, same model)
    rep.student_bpb_seeds.push_back(a.bits_per_byte(test, ev));
    rep.distilled_bpb_seeds.push_back(d.bits_per_byte(test, ev));
    if (k == 0) {
      alone = std::move(a);
      distilled = std::move(d);
    }
  }
  rep.teacher_bpb = teacher.bits_per_byte(test, ev);
  rep.teacher_train_bpb = teacher.bits_per_byte(train, ev);
  rep.student_bpb = rep.student_bpb_seeds.front();
  rep.distilled_bpb = rep.distilled_bpb_seeds.front();
  {
    std::vector<double> shares;
    for (int i = 0; i <= 20; ++i) shares.push_back(i / 20.0);
    rep.routing = routing_curve(score_tokens(teacher, alone, test, ev), shares, cfg.seed);
  }
  rep.teacher_flops = teacher.flops_per_position();
  rep.student_flops = distilled.flops_per_position();
  measure_acceptance(rep, cfg, teacher, distilled, test);
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!cfg.output.empty()) write_report(cfg, rep);
  if (!cfg.curve_csv.empty()) {
    write_routing_csv(
        cfg.curve_csv, rep.routing,
        fmt::format("CITER-style token routing on the project's byte LMs (sim/kernels/token_router.hpp): teacher share\n"
                    "against held-out bits per byte; student = the student trained alone ({} steps, lr {}).\n"
                    "Teacher: {}. Seed {}, max questions {} (0 = all).\n"
                    "Regenerate: see models/token_routing/SOURCE.md.\n"
                    "teacher {:.4f} bpb, student {:.4f} bpb on {} held-out positions.",
                    sstep, slr,
                    cfg.teacher_in.empty() ? fmt::format("trained here, {} steps", cfg.steps)
                                           : fmt::format("loaded from {} (round {})", cfg.teacher_in.filename().string(),
                                                         cfg.teacher_round),
                    cfg.seed, cfg.max_questions, rep.teacher_bpb, rep.student_bpb, ev));
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
