#include "fuzz/harnesses.hpp"
#include "fuzz/harness_support.hpp"

#include <H5Cpp.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "sim/core/error.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/kernels/question_corpus.hpp"
#include "sim/kernels/router_training.hpp"
#include "sim/mechanisms/registry.hpp"
#include "sim/quality/quality_table.hpp"
#include "sim/workload/trace_record.hpp"

namespace collabsim::fuzz {
namespace fs = std::filesystem;

int scenario(const std::uint8_t* data, std::size_t size) {
  const fs::path p = write_input("scenario.toml", data, size);
  return guarded([&] {
    LoadOptions opt;
    opt.output = work_dir() / "out.h5";  // never written: the harness only loads
    (void)load_scenario(p, opt);  // the mechanism's parameters included
  });
}

int azure(const std::uint8_t* data, std::size_t size) {
  const fs::path p = write_input("trace.csv", data, size);
  return guarded([&] {
    auto r = workload::open_trace("azure_csv", p);
    while (r->next()) {
    }
  });
}

int mooncake(const std::uint8_t* data, std::size_t size) {
  const fs::path p = write_input("trace.jsonl", data, size);
  return guarded([&] {
    auto r = workload::open_trace("mooncake_jsonl", p);
    while (r->next()) {
    }
  });
}

int quality(const std::uint8_t* data, std::size_t size) {
  const fs::path p = write_input("quality.csv", data, size);
  return guarded([&] {
    const auto t = quality::QualityTable::load_wide_csv(p, {"A", "B"});
    for (std::size_t r = 0; r < t.num_queries(); ++r)
      for (std::size_t m = 0; m < t.num_models(); ++m) (void)t.score(r, m), (void)t.pred(r, m), (void)t.out_chars(r, m);
  });
}

int questions(const std::uint8_t* data, std::size_t size) {
  const fs::path p = write_input("questions.jsonl", data, size);
  return guarded([&] { kernels::QuestionCorpus::load(p); });
}

int weights(const std::uint8_t* data, std::size_t size) {
  Bytes b{data, size};
  const fs::path p = work_dir() / "weights.h5";
  H5::Exception::dontPrint();
  try {  // writing the file is the harness's own business: an HDF5 refusal here is no finding
    static const char* kKinds[] = {"logistic", "mlp", "", "transformer"};
    // flags: bits 0-1 kind, bit 2 label quality_gap, bit 3 W1/b1 also for a logistic kind,
    // bit 4 fuzzed seed, bit 5 fuzzed b2, bit 6 no hash_bits attribute, bit 7 no kind.
    const std::uint8_t flags = b.u8();
    H5::H5File f(p.string(), H5F_ACC_TRUNC);
    H5::StrType st(H5::PredType::C_S1, H5T_VARIABLE);
    auto put_str = [&](const char* name, const std::string& v) {
      const char* c = v.c_str();
      f.createAttribute(name, st, H5::DataSpace(H5S_SCALAR)).write(st, &c);
    };
    auto put_num = [&](const char* name, double v) {
      f.createAttribute(name, H5::PredType::NATIVE_DOUBLE, H5::DataSpace(H5S_SCALAR))
          .write(H5::PredType::NATIVE_DOUBLE, &v);
    };
    const bool mlp_kind = (flags & 3) == 1;
    if (!(flags & 0x80)) put_str("kind", kKinds[flags & 3]);
    put_str("label", (flags & 0x04) ? "quality_gap" : "small_correct");
    // hash_bits: a small integer most of the time, any double (NaN, inf, huge) otherwise.
    const std::uint8_t hb = b.u8();
    const double bits = (hb & 0x80) ? b.f64() : static_cast<double>(static_cast<int>(hb % 40) - 4);
    if (!(flags & 0x40)) put_num("hash_bits", bits);
    std::string cats = b.str(24);
    put_str("categories", cats);
    put_num("b2", (flags & 0x20) ? b.f64() : 0.25);
    put_num("seed", (flags & 0x10) ? b.f64() : 3.0);
    // Declared dimension as the loader will compute it (when hash_bits is sane), then each
    // dataset's shape = declared ± a fuzzed delta, or a fuzzed shape outright.
    std::size_t ncat = cats.empty() ? 0 : 1;
    for (char c : cats) ncat += c == '\n';
    const bool sane = bits >= 1 && bits <= 16 && bits == static_cast<int>(bits);
    const hsize_t dim = sane ? (hsize_t{1} << static_cast<int>(bits)) + ncat + 2 : 8;
    const hsize_t hidden = 1 + b.u8() % 8;
    auto shape = [&](hsize_t rows, hsize_t cols, hsize_t out[2]) {
      const std::uint8_t m = b.u8();
      if (m < 160) {
        out[0] = rows, out[1] = cols;
      } else if (m < 200) {
        out[0] = rows + (b.u8() % 5) - 2 + (rows < 2 ? 2 : 0), out[1] = cols;
      } else if (m < 230) {
        out[0] = cols, out[1] = rows;
      } else {
        out[0] = b.u8() % 64, out[1] = b.u8() % 4;
      }
    };
    auto put_mat = [&](const char* name, hsize_t rows, hsize_t cols) {
      hsize_t dims[2];
      shape(rows, cols, dims);
      if (dims[0] * dims[1] > (hsize_t{1} << 22)) dims[0] = dims[1] = 1;  // keep executions fast
      std::vector<float> v(static_cast<std::size_t>(dims[0] * dims[1]), 0.01f);
      const std::uint8_t special = b.u8();  // > 240: one non-finite value at a fuzzed index
      if (!v.empty() && special > 240) v[b.u32() % v.size()] = special & 1 ? NAN : INFINITY;
      const int nfill = b.u8() % 16;  // a few fuzzed values at fuzzed indices
      for (int k = 0; k < nfill && !v.empty(); ++k) {
        const std::size_t i = b.u32() % v.size();
        v[i] = static_cast<float>(static_cast<int>(b.u8()) - 128) / 64.0f;
      }
      const int rank = b.u8() % 8 == 0 ? 1 : 2;
      H5::DataSpace sp(rank, dims);
      if (rank == 1) {
        hsize_t n = dims[0] * dims[1];
        sp = H5::DataSpace(1, &n);
      }
      f.createDataSet(name, H5::PredType::NATIVE_FLOAT, sp).write(v.data(), H5::PredType::NATIVE_FLOAT);
    };
    put_mat("w2", mlp_kind ? hidden : dim, 1);
    if (mlp_kind || (flags & 0x08)) {
      put_mat("W1", dim, hidden);
      put_mat("b1", hidden, 1);
    }
  } catch (const H5::Exception&) {
    return 0;
  }
  return guarded([&] {
    auto k = kernels::RouterKernel::load(p);
    const kernels::Question q{1, "math", "What is 2 + 2? Explain in a sentence.", {"3", "4", "five"}};
    (void)k->score(q);
    (void)k->flops(q);
  });
}

Entry find(const std::string& name) {
  if (name == "scenario") return scenario;
  if (name == "azure") return azure;
  if (name == "mooncake") return mooncake;
  if (name == "quality") return quality;
  if (name == "weights") return weights;
  if (name == "questions") return questions;
  if (name == "result_file") return result_file;
  if (name == "sweep_spec") return sweep_spec;
  if (name == "golden") return golden;
  if (name == "resume_part") return resume_part;
  return nullptr;
}

}  // namespace collabsim::fuzz
