#include "sim/io/inspect.hpp"

#include <H5Cpp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "sim/core/error.hpp"
#include "sim/core/input_file.hpp"
#include "sim/io/h5_table.hpp"

namespace collabsim {
namespace {

std::string read_string_attr(const H5::Attribute& a) {
  std::string s;
  a.read(a.getStrType(), s);
  return s;
}

void describe_dataset(const H5::DataSet& ds, const std::string& name, std::ostream& os) {
  H5::DataSpace sp = ds.getSpace();
  hsize_t n = 0;
  if (sp.getSimpleExtentNdims() == 1) sp.getSimpleExtentDims(&n);
  os << fmt::format("  /{}  ({} rows)\n", name, n);
  if (ds.getTypeClass() != H5T_COMPOUND) return;
  H5::CompType ct = ds.getCompType();
  const int members = ct.getNmembers();
  std::vector<unsigned char> row(ct.getSize());
  const bool show = n == 1;
  if (show) ds.read(row.data(), ct);
  std::vector<std::string> units;
  if (ds.attrExists("units")) {
    H5::Attribute a = ds.openAttribute("units");
    hsize_t nu = 0;
    a.getSpace().getSimpleExtentDims(&nu);
    std::vector<char*> ptrs(nu);
    H5::StrType st(H5::PredType::C_S1, H5T_VARIABLE);
    a.read(st, ptrs.data());
    for (auto* p : ptrs) units.emplace_back(p ? p : "");
    H5Dvlen_reclaim(st.getId(), a.getSpace().getId(), H5P_DEFAULT, ptrs.data());
  }
  for (int i = 0; i < members; ++i) {
    const std::string unit = i < static_cast<int>(units.size()) ? units[i] : "";
    std::string value;
    if (show) {
      const auto off = ct.getMemberOffset(i);
      const auto cls = ct.getMemberClass(i);
      if (cls == H5T_FLOAT) {
        double v;
        std::memcpy(&v, row.data() + off, 8);
        value = fmt::format("{:.6g}", v);
      } else if (cls == H5T_INTEGER) {
        std::int64_t v;
        std::memcpy(&v, row.data() + off, 8);
        value = fmt::format("{}", v);
      }
    }
    os << fmt::format("      {:<24} {:<12} {}\n", ct.getMemberName(i), unit, value);
  }
}

}  // namespace

void inspect_result(const std::filesystem::path& file, std::ostream& os) {
  if (!input_exists(file)) throw InputError(SourcePos{file, 0, 0}, "", "no such file");
  if (!std::filesystem::is_regular_file(file)) throw InputError(SourcePos{file, 0, 0}, "", "not a regular file");
  H5::Exception::dontPrint();
  if (H5Fis_hdf5(file.string().c_str()) <= 0)
    throw InputError(SourcePos{file, 0, 0}, "", "not an HDF5 file (collabsim run and sweep write HDF5 result files)");
  H5::H5File f(file.string(), H5F_ACC_RDONLY);
  os << file.string() << "\n";
  for (int i = 0; i < f.getNumAttrs(); ++i) {
    H5::Attribute a = f.openAttribute(static_cast<unsigned>(i));
    const std::string name = a.getName();
    if (name == "scenario" || name == "scenario_source" || name == "sweep_manifest") {
      const std::string text = read_string_attr(a);
      os << fmt::format("  @{:<18} ({} lines of TOML)\n", name, std::count(text.begin(), text.end(), '\n'));
      continue;
    }
    if (a.getTypeClass() == H5T_STRING)
      os << fmt::format("  @{:<18} {}\n", name, read_string_attr(a));
    else {
      std::int64_t v = 0;
      a.read(H5::PredType::NATIVE_INT64, &v);
      os << fmt::format("  @{:<18} {}\n", name, v);
    }
  }
  std::function<void(H5::Group&, const std::string&)> walk = [&](H5::Group& g, const std::string& prefix) {
    for (hsize_t i = 0; i < g.getNumObjs(); ++i) {
      const std::string name = g.getObjnameByIdx(i);
      const std::string path = prefix.empty() ? name : prefix + "/" + name;
      if (g.getObjTypeByIdx(i) == H5G_GROUP) {
        H5::Group sub = g.openGroup(name);
        if (path == "sweep/runs") {  // one run file per point: too many to list
          os << fmt::format("  /sweep/runs  ({} run files, one group per point with its /requests, /summary, ...)\n",
                            sub.getNumObjs());
          continue;
        }
        walk(sub, path);
      } else if (g.getObjTypeByIdx(i) == H5G_DATASET) {
        describe_dataset(g.openDataSet(name), path, os);
      }
    }
  };
  H5::Group root = f.openGroup("/");
  walk(root, "");
  if (f.nameExists("sweep") && f.nameExists("sweep/aggregate")) {
    os << "\nsweep (mean over seeds, 95% Student-t interval of quality):\n";
    print_sweep_table(f, os);
  }
}

void print_sweep_table(const H5::H5File& f, std::ostream& os) {
  std::vector<std::string> axes;
  if (f.attrExists("sweep_axes")) {
    const std::string s = read_string_attr(f.openAttribute("sweep_axes"));
    for (std::size_t start = 0; !s.empty();) {
      const auto nl = s.find('\n', start);
      axes.push_back(s.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
  }
  const std::string t = "sweep/aggregate";
  std::vector<std::vector<std::string>> cols;
  for (const auto& a : axes) {
    std::vector<std::string> c;
    if (auto v = read_numeric_field(f, t, a))
      for (double x : *v) c.push_back(fmt::format("{}", x));
    else if (auto sv = read_string_field(f, t, a))
      c = *sv;
    cols.push_back(std::move(c));
  }
  auto col = [&](const char* name) {
    auto v = read_numeric_field(f, t, name);
    if (!v) throw InputError(SourcePos{f.getFileName(), 0, 0}, name, "sweep/aggregate has no such field");
    return *v;
  };
  const auto n_seeds = col("n_seeds"), q = col("quality_mean_mean"), qlo = col("quality_mean_ci95_lo"),
             qhi = col("quality_mean_ci95_hi"), p99 = col("latency_p99_s_mean"), cost = col("cost_per_1k_usd_mean"),
             energy = col("energy_per_request_j_mean"), large = col("large_share_mean");
  std::vector<std::size_t> w;
  for (std::size_t a = 0; a < axes.size(); ++a) {
    std::size_t m = axes[a].size();
    for (const auto& v : cols[a]) m = std::max(m, v.size());
    w.push_back(m);
  }
  std::string head;
  for (std::size_t a = 0; a < axes.size(); ++a) head += fmt::format("{:<{}} ", axes[a], w[a]);
  os << fmt::format("{}{:>5} {:>8} {:>17} {:>9} {:>11} {:>9} {:>7}\n", head, "seeds", "quality", "95% CI", "p99 [s]",
                    "USD/1k req", "J/req", "large");
  for (std::size_t r = 0; r < q.size(); ++r) {
    std::string row;
    for (std::size_t a = 0; a < axes.size(); ++a) row += fmt::format("{:<{}} ", cols[a][r], w[a]);
    const std::string ci = std::isnan(qlo[r]) ? "-" : fmt::format("[{:.4f}, {:.4f}]", qlo[r], qhi[r]);
    os << fmt::format("{}{:>5} {:>8.4f} {:>17} {:>9.3f} {:>11.4f} {:>9.1f} {:>7.3f}\n", row, n_seeds[r], q[r], ci, p99[r],
                      cost[r], energy[r], large[r]);
  }
}

}  // namespace collabsim
