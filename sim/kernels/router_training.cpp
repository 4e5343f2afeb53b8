#include "sim/kernels/router_training.hpp"

#include <H5Cpp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <set>

#include <fmt/format.h>

#include "sim/core/error.hpp"
#include "sim/core/input_file.hpp"
#include "sim/core/rng.hpp"
#include "sim/quality/metrics.hpp"
#include "sim/quality/quality_table.hpp"

namespace collabsim::kernels {

std::string question_text(const Question& q) {
  std::string t = q.text;
  for (const auto& o : q.options) t += "\n" + o;
  return t;
}

bool in_test_split(std::int64_t id, std::uint64_t seed, double share) {
  RngStream r(seed, "router_split", static_cast<std::uint64_t>(id));
  return r.uniform() < share;
}

namespace {

void write_attr(H5::H5Object& o, const std::string& name, const std::string& v) {
  H5::StrType st(H5::PredType::C_S1, H5T_VARIABLE);
  const char* p = v.c_str();
  o.createAttribute(name, st, H5::DataSpace(H5S_SCALAR)).write(st, &p);
}
void write_attr(H5::H5Object& o, const std::string& name, double v) {
  o.createAttribute(name, H5::PredType::NATIVE_DOUBLE, H5::DataSpace(H5S_SCALAR)).write(H5::PredType::NATIVE_DOUBLE, &v);
}
void write_matrix(H5::H5File& f, const std::string& name, const float* data, hsize_t rows, hsize_t cols) {
  hsize_t dims[2] = {rows, cols};
  H5::DataSpace sp(2, dims);
  f.createDataSet(name, H5::PredType::NATIVE_FLOAT, sp).write(data, H5::PredType::NATIVE_FLOAT);
}
}  // namespace

namespace {

/// One question with scores from both models: its features, the router's label and the
/// two quality scores.
struct Example {
  SparseVector x;
  float label;
  double q_small, q_large;
};

/// The examples of the questions both models answered, split into train and test by
/// in_test_split(id, seed, test_share).
void make_examples(const RouterTrainConfig& cfg, const QuestionCorpus& corpus, const quality::QualityTable& table,
                   TextFeatures& feats, std::vector<Example>& train, std::vector<Example>& test) {
  for (std::size_t r = 0; r < table.num_queries(); ++r) {
    if (!table.has_score(r, 0) || !table.has_score(r, 1)) continue;
    const Question* q = corpus.find(table.query_id(r));
    if (!q) continue;
    Example e;
    e.q_small = table.score(r, 0);
    e.q_large = table.score(r, 1);
    e.label = cfg.label == "quality_gap" ? (e.q_small >= e.q_large - cfg.gap ? 1.f : 0.f) : (e.q_small >= 0.5 ? 1.f : 0.f);
    e.x = feats.extract(question_text(*q), q->category);
    (in_test_split(q->id, cfg.seed, cfg.test_share) ? test : train).push_back(std::move(e));
  }
}

/// cfg.epochs passes of minibatch SGD over `train` in a seeded shuffled order.
void train_epochs(RouterModel& model, const std::vector<Example>& train, const RouterTrainConfig& cfg) {
  std::vector<std::size_t> order(train.size());
  std::iota(order.begin(), order.end(), 0);
  RngStream shuffle(cfg.seed, "router_shuffle");
  for (int epoch = 0; epoch < cfg.epochs; ++epoch) {
    for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[shuffle.below(i)]);
    for (std::size_t b = 0; b < order.size(); b += cfg.batch) {
      std::vector<const SparseVector*> xs;
      std::vector<float> ys;
      for (std::size_t k = b; k < std::min(order.size(), b + cfg.batch); ++k) {
        xs.push_back(&train[order[k]].x);
        ys.push_back(train[order[k]].label);
      }
      model.train_step(xs, ys, cfg.learning_rate, cfg.l2);
    }
  }
}

/// The weights file at cfg.output (written to a .tmp beside it, then renamed).
void write_weights(const RouterTrainConfig& cfg, const RouterTrainReport& rep, const TextFeatures& feats,
                   const RouterModel& model) {
  if (cfg.output.has_parent_path()) std::filesystem::create_directories(cfg.output.parent_path());
  const auto tmp = std::filesystem::path(cfg.output.string() + ".tmp");
  {
    H5::H5File f(tmp.string(), H5F_ACC_TRUNC);
    write_attr(f, "kind", cfg.kind);
    write_attr(f, "label", cfg.label);
    write_attr(f, "small", cfg.small);
    write_attr(f, "large", cfg.large);
    write_attr(f, "gap", cfg.gap);
    write_attr(f, "seed", static_cast<double>(cfg.seed));
    write_attr(f, "test_share", cfg.test_share);
    write_attr(f, "hash_bits", static_cast<double>(cfg.hash_bits));
    std::string cl;
    for (const auto& c : feats.categories()) cl += (cl.empty() ? "" : "\n") + c;
    write_attr(f, "categories", cl);
    write_attr(f, "test_auroc", rep.test_auroc);
    write_attr(f, "test_apgr", rep.test_apgr);
    write_attr(f, "b2", static_cast<double>(model.b2));
    write_matrix(f, "w2", model.w2.data(), static_cast<hsize_t>(model.w2.size()), 1);
    if (model.hidden() > 0) {
      write_matrix(f, "W1", model.W1.data(), static_cast<hsize_t>(model.W1.cols()), static_cast<hsize_t>(model.W1.rows()));
      write_matrix(f, "b1", model.b1.data(), static_cast<hsize_t>(model.b1.size()), 1);
    }
  }
  std::filesystem::rename(tmp, cfg.output);
}

}  // namespace

RouterTrainReport train_router(const RouterTrainConfig& cfg) {
  const auto t0 = std::chrono::steady_clock::now();
  const QuestionCorpus corpus = QuestionCorpus::load(cfg.questions);
  const auto table = quality::QualityTable::load_wide_csv(cfg.matrix, {cfg.small, cfg.large});
  std::set<std::string> cats;
  for (const auto& q : corpus.questions()) cats.insert(q.category);
  TextFeatures feats(cfg.hash_bits, std::vector<std::string>(cats.begin(), cats.end()));

  std::vector<Example> train, test;
  make_examples(cfg, corpus, table, feats, train, test);
  RouterModel model(feats.dim(), cfg.kind == "mlp" ? cfg.hidden : 0, cfg.seed);
  train_epochs(model, train, cfg);
  RouterTrainReport rep;
  rep.n_train = train.size();
  rep.n_test = test.size();
  auto eval = [&](const std::vector<Example>& set, std::vector<double>& scores) {
    std::vector<bool> labels;
    for (const auto& e : set) {
      scores.push_back(model.predict(e.x));
      labels.push_back(e.label > 0.5f);
    }
    return metrics::auroc(scores, labels);
  };
  std::vector<double> s_train, s_test;
  rep.train_auroc = eval(train, s_train);
  rep.test_auroc = eval(test, s_test);
  std::vector<double> qw, qs, rnd;
  RngStream rr(cfg.seed, "router_random_baseline");
  double flops = 0;
  for (const auto& e : test) {
    qw.push_back(e.q_small);
    qs.push_back(e.q_large);
    rnd.push_back(rr.uniform());
    flops += model.flops(e.x.index.size());
  }
  const auto curve = metrics::pgr_curve(s_test, qw, qs);
  rep.test_apgr = metrics::apgr(curve);
  rep.test_cpt50 = metrics::cpt(curve, 0.5);
  rep.random_apgr = metrics::apgr(metrics::pgr_curve(rnd, qw, qs));
  rep.q_weak = std::accumulate(qw.begin(), qw.end(), 0.0) / qw.size();
  rep.q_strong = std::accumulate(qs.begin(), qs.end(), 0.0) / qs.size();
  rep.flops_per_query = flops / test.size();
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  if (!cfg.output.empty()) write_weights(cfg, rep, feats, model);
  return rep;
}

namespace {

/// Checks of one weights file; every failure is an InputError naming the file and the
/// dataset or attribute.
struct WeightsFile {
  const std::filesystem::path& file;
  H5::H5File& f;

  [[noreturn]] void fail(const std::string& what, const std::string& msg) const {
    throw InputError(SourcePos{file, 0, 0}, "weights", what + ": " + msg);
  }
  bool has_attr(const std::string& name) const { return f.attrExists(name); }
  std::string text(const std::string& name) const {
    if (!has_attr(name)) fail("attribute '" + name + "'", "missing");
    H5::Attribute a = f.openAttribute(name);
    if (a.getTypeClass() != H5T_STRING) fail("attribute '" + name + "'", "expected a string");
    if (a.getSpace().getSimpleExtentNpoints() != 1) fail("attribute '" + name + "'", "expected a scalar string");
    std::string out;
    a.read(a.getStrType(), out);
    if (out.size() > (1u << 20)) fail("attribute '" + name + "'", "longer than 1 MiB");
    return out;
  }
  double number(const std::string& name) const {
    if (!has_attr(name)) fail("attribute '" + name + "'", "missing");
    H5::Attribute a = f.openAttribute(name);
    const auto cls = a.getTypeClass();
    if (cls != H5T_FLOAT && cls != H5T_INTEGER) fail("attribute '" + name + "'", "expected a number");
    if (a.getSpace().getSimpleExtentNpoints() != 1) fail("attribute '" + name + "'", "expected a scalar");
    double v = 0;
    a.read(H5::PredType::NATIVE_DOUBLE, &v);
    if (!std::isfinite(v)) fail("attribute '" + name + "'", "not a finite number");
    return v;
  }
  /// Reads dataset `name` of shape exactly rows × cols (float) into `out` (rows·cols floats)
  /// and checks every value is finite.
  void matrix(const std::string& name, hsize_t rows, hsize_t cols, float* out) const {
    if (!f.nameExists(name)) fail("dataset '" + name + "'", "missing");
    H5::DataSet ds = f.openDataSet(name);
    if (ds.getTypeClass() != H5T_FLOAT) fail("dataset '" + name + "'", "expected floating-point values");
    H5::DataSpace sp = ds.getSpace();
    if (!sp.isSimple() || sp.getSimpleExtentNdims() != 2)
      fail("dataset '" + name + "'", fmt::format("expected rank 2 ({} × {}), got rank {}", rows, cols,
                                                 sp.isSimple() ? sp.getSimpleExtentNdims() : -1));
    hsize_t dims[2] = {0, 0};
    sp.getSimpleExtentDims(dims);
    if (dims[0] != rows || dims[1] != cols)
      fail("dataset '" + name + "'",
           fmt::format("shape {} × {} does not match the declared dimensions ({} × {})", dims[0], dims[1], rows, cols));
    ds.read(out, H5::PredType::NATIVE_FLOAT);
    const std::size_t n = static_cast<std::size_t>(rows * cols);
    for (std::size_t i = 0; i < n; ++i)
      if (!std::isfinite(out[i]))
        fail("dataset '" + name + "'", fmt::format("value {} (element {}) is not finite", out[i], i));
  }
  /// Length of the 1-column dataset `name` (its first dimension), checked in [lo, hi].
  hsize_t length(const std::string& name, hsize_t lo, hsize_t hi) const {
    if (!f.nameExists(name)) fail("dataset '" + name + "'", "missing");
    H5::DataSpace sp = f.openDataSet(name).getSpace();
    if (!sp.isSimple() || sp.getSimpleExtentNdims() != 2) fail("dataset '" + name + "'", "expected rank 2 (n × 1)");
    hsize_t dims[2] = {0, 0};
    sp.getSimpleExtentDims(dims);
    if (dims[1] != 1) fail("dataset '" + name + "'", fmt::format("expected n × 1, got {} × {}", dims[0], dims[1]));
    if (dims[0] < lo || dims[0] > hi)
      fail("dataset '" + name + "'", fmt::format("length {} outside [{}, {}]", dims[0], lo, hi));
    return dims[0];
  }
};

}  // namespace

std::unique_ptr<RouterKernel> RouterKernel::load(const std::filesystem::path& file) {
  if (!input_exists(file))
    throw InputError(SourcePos{file, 0, 0}, "weights", "router weights not found: run `collabsim train-router -o " + file.string() + "` first");
  check_input_file(file, SourcePos{}, "weights", "router weights");
  H5::Exception::dontPrint();
  if (!H5::H5File::isHdf5(file.string()))
    throw InputError(SourcePos{file, 0, 0}, "weights", "not an HDF5 file (expected router weights from `collabsim train-router`)");
  try {
    H5::H5File f(file.string(), H5F_ACC_RDONLY);
    const WeightsFile w{file, f};
    const std::string kind = w.text("kind");
    if (kind != "logistic" && kind != "mlp")
      w.fail("attribute 'kind'", "'" + quote_excerpt(kind) + "' is not a router kind (logistic, mlp)");
    const double bits_d = w.number("hash_bits");
    if (bits_d != std::floor(bits_d) || bits_d < kMinHashBits || bits_d > kMaxHashBits)
      w.fail("attribute 'hash_bits'",
             fmt::format("{} is not an integer in [{}, {}]", bits_d, kMinHashBits, kMaxHashBits));
    const int bits = static_cast<int>(bits_d);
    std::vector<std::string> cats;
    std::string cl = w.text("categories"), cur;
    for (char c : cl) {
      if (c == '\n') cats.push_back(cur), cur.clear();
      else cur += c;
    }
    if (!cl.empty()) cats.push_back(cur);
    if (cats.size() > 4096) w.fail("attribute 'categories'", fmt::format("{} categories (at most 4096)", cats.size()));
    const std::string label = w.text("label");
    if (label != "small_correct" && label != "quality_gap")
      w.fail("attribute 'label'", "'" + quote_excerpt(label) + "' is not a router label (small_correct, quality_gap)");
    const double seed = w.number("seed");
    if (seed < 0 || seed != std::floor(seed) || seed > 9.007199254740992e15)
      w.fail("attribute 'seed'", "not a non-negative integer");
    TextFeatures feats(bits, cats);
    const hsize_t dim = feats.dim();
    RouterModel m;
    const int hidden = kind == "mlp" ? static_cast<int>(w.length("b1", 1, kMaxHidden)) : 0;
    if (static_cast<double>(hidden) * static_cast<double>(dim) > kMaxWeights)
      w.fail("dataset 'W1'", fmt::format("{} × {} weights is above the limit of {}", hidden, dim, kMaxWeights));
    m.set_shape(feats.dim(), hidden);
    m.b2 = static_cast<float>(w.number("b2"));
    const hsize_t n2 = hidden > 0 ? static_cast<hsize_t>(hidden) : dim;
    m.w2.resize(static_cast<Eigen::Index>(n2));
    w.matrix("w2", n2, 1, m.w2.data());
    if (hidden > 0) {
      // Stored as written by train_router: dim rows of `hidden` floats (= W1 column-major).
      m.W1.resize(hidden, feats.dim());
      w.matrix("W1", dim, static_cast<hsize_t>(hidden), m.W1.data());
      m.b1.resize(hidden);
      w.matrix("b1", static_cast<hsize_t>(hidden), 1, m.b1.data());
    } else if (f.nameExists("W1") || f.nameExists("b1")) {
      w.fail("dataset 'W1'", "a logistic router has no hidden layer, but the file has W1/b1 (kind should be mlp?)");
    }
    std::unique_ptr<RouterKernel> k(new RouterKernel(std::move(feats), std::move(m)));
    k->label_ = label;
    k->seed_ = static_cast<std::uint64_t>(seed);
    k->small_ = w.text("small");
    k->large_ = w.text("large");
    // Files written before the attribute existed used router_training's default split.
    k->test_share_ = w.has_attr("test_share") ? w.number("test_share") : 0.2;
    if (!(k->test_share_ > 0 && k->test_share_ < 1)) w.fail("attribute 'test_share'", "not in (0, 1)");
    return k;
  } catch (const H5::Exception& e) {
    throw InputError(SourcePos{file, 0, 0}, "weights", "not a collabsim router file: " + e.getDetailMsg());
  }
}

double RouterKernel::score(const Question& q) const { return model_.predict(features_.extract(question_text(q), q.category)); }

double RouterKernel::flops(const Question& q) const {
  return model_.flops(features_.extract(question_text(q), q.category).index.size());
}

}  // namespace collabsim::kernels
