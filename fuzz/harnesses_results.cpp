// Harnesses for the surfaces of issue 23: result files through the checked HDF5 reader
// (inspect, compare, trace-export), sweep specifications and grid strings, golden files,
// and the parts of a resumed sweep. See harnesses.hpp.

#include <H5Cpp.h>

#include <cmath>
#include <sstream>
#include <vector>

#include <toml++/toml.h>

#include "fuzz/harness_support.hpp"
#include "fuzz/harnesses.hpp"
#include "sim/io/inspect.hpp"
#include "sim/io/trace_export.hpp"
#include "sim/results/compare.hpp"
#include "sim/study/golden.hpp"
#include "sim/study/sweep_parts.hpp"
#include "sim/study/sweep_spec.hpp"

namespace collabsim::fuzz {
namespace {

/// Names the readers look for, so the fuzzer meets the checks behind them.
const char* const kFields[] = {"request_id", "start_s",  "end_s",         "track",        "kind",
                               "deployment", "arrival_s", "latency_s",    "ttft_s",       "status",
                               "route",      "quality",  "prompt_tokens", "output_tokens", "quality_mean",
                               "latency_p99_s", "n_seeds", "seed_index",  "x",            "role",
                               "path",       "bytes",    "sha256",        "quality_mean_mean", "n_requests"};
const char* const kAttrs[] = {"file_kind", "schema_version", "sweep_axes",         "scenario",   "mechanism",
                              "seed",      "scenario_name",  "git_commit",         "units",      "calibrated_value",
                              "point_spec_sha256", "sweep_inputs_sha256", "scenario_source", "created"};
const char* const kTables[] = {"summary", "requests", "spans", "inputs", "sweep/points", "sweep/aggregate",
                               "devices/cloud"};
const char* const kTexts[] = {"run", "sweep", "x", "quality_mean", "x\nquality_mean", "", "H", "cascade"};

/// An attribute `name` on `obj` of a fuzzed class, shape and element count.
void put_attr(Bytes& b, H5::H5Object& obj, const std::string& name) {
  const std::uint8_t how = b.u8();
  const hsize_t n = how & 0x80 ? b.u8() % 120 : 1;
  H5::DataSpace sp = (how & 0x40) ? H5::DataSpace(H5S_NULL) : n == 1 && !(how & 0x20) ? H5::DataSpace(H5S_SCALAR)
                                                                                       : H5::DataSpace(1, &n);
  if ((how & 0x30) == 0x30) {  // rank 2
    const hsize_t d[2] = {1 + b.u8() % 3u, 1 + b.u8() % 3u};
    sp = H5::DataSpace(2, d);
  }
  const hssize_t count = sp.getSimpleExtentNpoints();
  switch (how % 4) {
    case 0: {  // variable-length text
      H5::StrType st(H5::PredType::C_S1, H5T_VARIABLE);
      std::vector<std::string> v;
      for (hssize_t i = 0; i < count; ++i) v.push_back(b.u8() & 1 ? kTexts[b.u8() % 8] : b.str(20));
      std::vector<const char*> ptr;
      for (const auto& s : v) ptr.push_back(s.c_str());
      auto a = obj.createAttribute(name, st, sp);
      if (count > 0) a.write(st, ptr.data());
      break;
    }
    case 1: {  // fixed-length text
      const std::size_t w = 1 + b.u8() % 12;
      H5::StrType st(H5::PredType::C_S1, w);
      std::vector<char> buf(static_cast<std::size_t>(std::max<hssize_t>(count, 1)) * w, 0);
      for (auto& c : buf) c = static_cast<char>(b.u8());
      auto a = obj.createAttribute(name, st, sp);
      if (count > 0) a.write(st, buf.data());
      break;
    }
    case 2: {
      std::vector<std::int64_t> v(static_cast<std::size_t>(std::max<hssize_t>(count, 1)));
      for (auto& x : v) x = static_cast<std::int64_t>(b.u32()) - 8;
      const H5::PredType& t = b.u8() & 1 ? H5::PredType::NATIVE_INT8 : H5::PredType::NATIVE_INT64;
      auto a = obj.createAttribute(name, t, sp);
      if (count > 0) a.write(H5::PredType::NATIVE_INT64, v.data());
      break;
    }
    default: {
      std::vector<double> v(static_cast<std::size_t>(std::max<hssize_t>(count, 1)));
      for (auto& x : v) x = b.f64();
      auto a = obj.createAttribute(name, H5::PredType::NATIVE_FLOAT, sp);
      if (count > 0) a.write(H5::PredType::NATIVE_DOUBLE, v.data());
    }
  }
}

/// A dataset at `path`: mostly a 1-D compound table of fuzzed fields, sometimes of another
/// rank, a plain numeric array, or declaring far more rows than it stores.
void put_table(Bytes& b, H5::H5File& f, const std::string& path) {
  const std::uint8_t how = b.u8();
  const std::size_t slash = path.find('/');
  if (slash != std::string::npos && !f.nameExists(path.substr(0, slash))) f.createGroup(path.substr(0, slash));
  hsize_t rows = b.u8() % 12;
  if (how == 0xff) rows = hsize_t{1} << 40;  // a damaged extent: never read
  const int rank = how % 16 == 1 ? 2 : how % 16 == 2 ? 0 : 1;
  std::vector<hsize_t> dims = rank == 2 ? std::vector<hsize_t>{rows, 2} : std::vector<hsize_t>{rows};
  H5::DataSpace sp = rank == 0 ? H5::DataSpace(H5S_SCALAR) : H5::DataSpace(rank, dims.data());
  const hsize_t elements = rank == 0 ? 1 : rank == 2 ? rows * 2 : rows;
  const bool store = rows < 4096;
  if (how % 16 == 3) {  // a plain float array, not a table
    H5::DataSet ds = f.createDataSet(path, H5::PredType::NATIVE_DOUBLE, sp);
    std::vector<double> v(static_cast<std::size_t>(store ? elements : 1));
    for (auto& x : v) x = b.f64();
    if (store && elements) ds.write(v.data(), H5::PredType::NATIVE_DOUBLE);
    return;
  }
  const int nfields = 1 + b.u8() % 10;
  struct F {
    std::string name;
    int type;  // 0 i8, 1 i32, 2 i64, 3 u64, 4 f32, 5 f64, 6 fixed text, 7 vlen text
    std::size_t size, off;
  };
  std::vector<F> fields;
  std::size_t off = 0;
  for (int i = 0; i < nfields; ++i) {
    F fd;
    fd.name = b.u8() & 0x80 ? b.str(10) : kFields[b.u8() % (sizeof kFields / sizeof *kFields)];
    fd.type = b.u8() % 8;
    fd.size = fd.type == 0 ? 1 : fd.type == 1 || fd.type == 4 ? 4 : fd.type == 6 ? 1 + b.u8() % 16 : 8;
    fd.off = off;
    off += fd.size;
    fields.push_back(fd);
  }
  H5::CompType t(off);
  H5::StrType vs(H5::PredType::C_S1, H5T_VARIABLE);
  for (const auto& fd : fields) {
    switch (fd.type) {
      case 0: t.insertMember(fd.name, fd.off, H5::PredType::NATIVE_INT8); break;
      case 1: t.insertMember(fd.name, fd.off, H5::PredType::NATIVE_INT32); break;
      case 2: t.insertMember(fd.name, fd.off, H5::PredType::NATIVE_INT64); break;
      case 3: t.insertMember(fd.name, fd.off, H5::PredType::NATIVE_UINT64); break;
      case 4: t.insertMember(fd.name, fd.off, H5::PredType::NATIVE_FLOAT); break;
      case 5: t.insertMember(fd.name, fd.off, H5::PredType::NATIVE_DOUBLE); break;
      case 6: t.insertMember(fd.name, fd.off, H5::StrType(H5::PredType::C_S1, fd.size)); break;
      default: t.insertMember(fd.name, fd.off, vs);
    }
  }
  H5::DataSet ds = f.createDataSet(path, t, sp);
  if (store && elements) {
    std::vector<unsigned char> buf(static_cast<std::size_t>(elements) * off);
    std::vector<std::string> texts;
    texts.reserve(static_cast<std::size_t>(elements) * fields.size());
    for (hsize_t r = 0; r < elements; ++r)
      for (const auto& fd : fields) {
        unsigned char* p = buf.data() + r * off + fd.off;
        if (fd.type == 7) {
          texts.push_back(b.u8() & 1 ? kTexts[b.u8() % 8] : b.str(12));
          const char* c = texts.back().c_str();
          std::memcpy(p, &c, sizeof c);
        } else if (fd.type == 5) {
          const double v = b.u8() & 1 ? static_cast<double>(b.u8()) / 8 : b.f64();
          std::memcpy(p, &v, 8);
        } else {
          for (std::size_t k = 0; k < fd.size; ++k) p[k] = b.u8();
        }
      }
    ds.write(buf.data(), t);
  }
  if (b.u8() & 1) put_attr(b, ds, "units");
}

/// An HDF5 file at `p` built from the bytes: root attributes and tables.
bool build_result(Bytes& b, const fs::path& p) {
  H5::Exception::dontPrint();
  try {
    H5::H5File f(p.string(), H5F_ACC_TRUNC);
    const int attrs = b.u8() % 8;
    for (int i = 0; i < attrs; ++i) {
      const std::string name = kAttrs[b.u8() % (sizeof kAttrs / sizeof *kAttrs)];
      if (!f.attrExists(name)) put_attr(b, f, name);
    }
    for (const char* table : kTables)
      if (b.u8() & 1) put_table(b, f, table);
    return true;
  } catch (const H5::Exception&) {
    return false;  // the harness's own file could not be written: no finding
  }
}

}  // namespace

int result_file(const std::uint8_t* data, std::size_t size) {
  Bytes b{data, size};
  const fs::path p = work_dir() / "result.h5";
  if (!build_result(b, p)) return 0;
  guarded([&] {
    std::ostringstream os;
    inspect_result(p, os, /*isolate=*/false);
  });
  guarded([&] {
    const ResultSet rs = read_result_set(p, /*isolate=*/false);
    if (rs.kind == ResultKind::run && rs.points.size() != 1) std::abort();  // a run has one row
    const ComparisonReport rep = compare_results(rs, rs, Tolerances{});
    if (rep.regression()) {  // a file never regresses against itself
      std::fprintf(stderr, "finding: %s regresses against itself\n", p.string().c_str());
      std::abort();
    }
  });
  guarded([&] {
    TraceExportOptions opt;
    opt.max_requests = 0;
    opt.isolate = false;
    (void)chrome_trace_json(p, opt);
  });
  return 0;
}

int sweep_spec(const std::uint8_t* data, std::size_t size) {
  // Lines "g:<arg>" are --grid arguments; everything else is the scenario's TOML ([sweep]).
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::string toml_text;
  std::vector<std::string> grids;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("g:", 0) == 0) grids.push_back(line.substr(2));
    else toml_text += line + "\n";
  }
  return guarded([&] {
    SweepSpec spec;
    try {
      const toml::table t = toml::parse(toml_text);
      const toml::node* s = t.get("sweep");
      spec = sweep_from_table(s ? s->as_table() : nullptr);
    } catch (const toml::parse_error&) {
      // TOML syntax is toml++'s business (the scenario loader reports it as an InputError)
    }
    for (const auto& g : grids) spec.axes.push_back(parse_grid_argument(g));
    spec.seeds = std::max(1, std::min(spec.seeds, 50));
    const auto combos = expand_combos(spec);
    for (const auto& c : combos)
      if (c.values.size() != spec.axes.size()) std::abort();
    for (const auto& a : spec.axes)
      for (const auto& v : a.values)
        if (v.kind == AxisValue::Kind::Integer && v.toml != std::to_string(v.integer)) {
          std::fprintf(stderr, "finding: integer %s written as %s\n", std::to_string(v.integer).c_str(), v.toml.c_str());
          std::abort();
        }
  });
}

int golden(const std::uint8_t* data, std::size_t size) {
  const fs::path dir = work_dir();
  if (!fs::exists(dir / "s.toml")) std::ofstream(dir / "s.toml") << "# a scenario only needs to exist here\n";
  const fs::path p = write_input("golden.toml", data, size);
  return guarded([&] {
    const GoldenFile g = read_golden(p, false);
    // Every metric gets a finite new value; the updated text must read back with them.
    std::vector<GoldenCaseResult> results(g.cases.size());
    for (std::size_t i = 0; i < g.cases.size(); ++i) {
      results[i].ok = true;
      for (std::size_t j = 0; j < g.cases[i].metrics.size(); ++j) results[i].got.push_back(0.25 + 0.5 * static_cast<double>(j));
    }
    std::string original;
    {
      std::ifstream in(p, std::ios::binary);
      std::ostringstream os;
      os << in.rdbuf();
      original = os.str();
    }
    try {
      (void)updated_golden_text(original, g, results);
    } catch (const std::exception& e) {  // check --update would write TOML it cannot read (W4)
      std::fprintf(stderr, "finding: --update of a valid golden file fails: %s\n", e.what());
      std::abort();
    }
  });
}

int resume_part(const std::uint8_t* data, std::size_t size) {
  Bytes b{data, size};
  // The part's name: a valid one for a fuzzed index, or fuzzed text.
  const std::uint8_t how = b.u8();
  std::string name = how & 1 ? part_name(b.u8() % 6) + ".h5" : b.str(16);
  if (const auto idx = parse_part_name(name); idx && part_name(*idx) + ".h5" != name) std::abort();
  if (name.empty() || name.find('/') != std::string::npos || name.find('\0') != std::string::npos || name == "." ||
      name == "..")
    name = "p000000.h5";
  const fs::path parts = work_dir() / "parts";
  std::error_code ec;
  fs::remove_all(parts, ec);
  fs::create_directories(parts);
  if (!build_result(b, parts / name)) return 0;
  return guarded([&] {
    const std::vector<std::string> spec = {"H", "H1", "H2", "H3"};
    const PartScan scan = scan_parts(parts, spec, "H", /*isolate=*/false);
    for (auto i : scan.done)
      if (i >= spec.size()) std::abort();  // a part outside the plan is never kept
    if (scan.done.size() + scan.rerun.size() + scan.ignored.size() > 1) std::abort();
  });
}

}  // namespace collabsim::fuzz
