#include "sim/io/inspect.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "sim/core/error.hpp"
#include "sim/io/h5_reader.hpp"
#include "sim/io/provenance.hpp"

namespace collabsim {
namespace {

/// Groups and datasets inspect lists at most (a damaged file can hold link cycles).
constexpr std::size_t kMaxListed = 100000;
constexpr int kMaxDepth = 32;

void describe_dataset(const H5Reader& r, const std::string& path, std::ostream& os) {
  const auto shape = r.shape(path);
  if (shape.cls != H5T_COMPOUND || shape.dims.size() != 1) {
    std::string dims;
    for (auto d : shape.dims) dims += (dims.empty() ? "" : " x ") + std::to_string(d);
    os << fmt::format("  /{}  (rank {}{}{}, not a table)\n", path, shape.dims.size(), dims.empty() ? "" : ": ", dims);
    return;
  }
  const H5TableInfo t = r.table(path);
  os << fmt::format("  /{}  ({} rows)\n", path, t.rows);
  const std::vector<std::string> units = r.units(t);
  const bool show = t.rows == 1;
  for (std::size_t i = 0; i < t.fields.size(); ++i) {
    const H5Field& f = t.fields[i];
    const std::string unit = i < units.size() ? units[i] : "";
    std::string value;
    if (show && f.numeric()) {
      const double v = r.numbers(t, f.name)[0];
      value = f.cls == H5T_INTEGER && std::isfinite(v) && std::fabs(v) < 9e15 ? fmt::format("{:.0f}", v)
                                                                              : fmt::format("{:.6g}", v);
    } else if (show && f.cls == H5T_STRING) {
      value = r.strings(t, f.name)[0];
    }
    os << fmt::format("      {:<24} {:<12} {}\n", f.name, unit, value);
  }
}

void walk(const H5Reader& r, const std::string& group, const std::string& prefix, int depth, std::size_t& listed,
          std::ostream& os) {
  if (depth > kMaxDepth) return;
  for (const auto& [name, is_group] : r.children(group)) {
    if (++listed > kMaxListed) return;
    const std::string path = prefix.empty() ? name : prefix + "/" + name;
    if (is_group) {
      if (path == "sweep/runs") {  // one run file per point: too many to list
        os << fmt::format("  /sweep/runs  ({} run files, one group per point with its /requests, /summary, ...)\n",
                          r.children("/" + path).size());
        continue;
      }
      walk(r, "/" + path, path, depth + 1, listed, os);
    } else {
      describe_dataset(r, path, os);
    }
  }
}

}  // namespace

void inspect_result(const std::filesystem::path& file, std::ostream& os, bool isolate) {
  const H5Reader r(file, isolate);
  os << file.string() << "\n";
  for (const auto& name : r.attr_names()) {
    const H5AttrValue v = r.attr(name);
    if ((name == "scenario" || name == "scenario_source" || name == "sweep_manifest") &&
        v.kind == H5AttrValue::Kind::text && v.elements == 1) {
      os << fmt::format("  @{:<18} ({} lines of TOML)\n", name, std::count(v.text[0].begin(), v.text[0].end(), '\n'));
      continue;
    }
    os << fmt::format("  @{:<18} {}\n", name, v.describe());
  }
  std::size_t listed = 0;
  walk(r, "/", "", 0, listed, os);
  print_inputs(r, os);
  if (r.exists("sweep/aggregate")) {
    os << "\nsweep (mean over seeds ± 95% Student-t interval over seeds; a percentile is each seed's percentile\n"
          "over its requests, its interval is over the seeds):\n";
    print_sweep_table(r, os);
  }
}

std::vector<std::string> sweep_axes(const H5Reader& r) {
  std::vector<std::string> axes;
  if (!r.has_attr("sweep_axes")) return axes;
  const std::string s = r.attr_string("sweep_axes");
  for (std::size_t start = 0; !s.empty();) {
    const auto nl = s.find('\n', start);
    std::string axis = s.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    if (!axis.empty()) axes.push_back(std::move(axis));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return axes;
}

void print_sweep_table(const H5Reader& r, std::ostream& os) {
  const std::vector<std::string> axes = sweep_axes(r);
  const H5TableInfo t = r.table("sweep/aggregate");
  std::vector<std::vector<std::string>> cols;
  for (const auto& a : axes) {
    const H5Field* f = t.field(a);
    if (!f) r.fail("@sweep_axes", "names '" + a + "', which /sweep/aggregate has no field for");
    std::vector<std::string> c;
    if (f->numeric())
      for (double x : r.numbers(t, a)) c.push_back(fmt::format("{}", x));
    else if (f->cls == H5T_STRING)
      c = r.strings(t, a);
    else
      r.fail("sweep/aggregate", "field '" + a + "' (a swept key) is neither a number nor text");
    cols.push_back(std::move(c));
  }
  auto col = [&](const std::string& name) { return r.numbers(t, name); };
  const auto n_seeds = col("n_seeds");
  // Every metric shown with the half-width of its 95% Student-t interval over seeds.
  struct Shown {
    const char* metric;
    const char* head;
    int decimals;
    std::vector<double> mean, lo, hi;
  };
  std::vector<Shown> shown = {{"quality_mean", "quality", 4, {}, {}, {}},
                              {"latency_p99_s", "p99 [s]", 3, {}, {}, {}},
                              {"cost_per_1k_usd", "USD/1k req", 4, {}, {}, {}},
                              {"energy_per_request_j", "J/req", 1, {}, {}, {}},
                              {"large_share", "large", 3, {}, {}, {}}};
  for (auto& m : shown) {
    m.mean = col(std::string(m.metric) + "_mean");
    m.lo = col(std::string(m.metric) + "_ci95_lo");
    m.hi = col(std::string(m.metric) + "_ci95_hi");
  }
  auto cell = [](const Shown& m, std::size_t i) {
    const double hw = (m.hi[i] - m.lo[i]) / 2;
    return std::isnan(hw) ? fmt::format("{:.{}f}", m.mean[i], m.decimals)
                          : fmt::format("{:.{}f} ± {:.{}f}", m.mean[i], m.decimals, hw, m.decimals);
  };
  std::vector<std::size_t> w;
  for (std::size_t a = 0; a < axes.size(); ++a) {
    std::size_t m = axes[a].size();
    for (const auto& v : cols[a]) m = std::max(m, v.size());
    w.push_back(m);
  }
  std::vector<std::size_t> mw;
  for (const auto& m : shown) {
    std::size_t width = std::string(m.head).size();
    for (std::size_t i = 0; i < n_seeds.size(); ++i) width = std::max(width, cell(m, i).size() - 1);  // '±' is 2 bytes
    mw.push_back(width);
  }
  std::string head;
  for (std::size_t a = 0; a < axes.size(); ++a) head += fmt::format("{:<{}} ", axes[a], w[a]);
  head += fmt::format("{:>5}", "seeds");
  for (std::size_t k = 0; k < shown.size(); ++k) head += fmt::format(" {:>{}}", shown[k].head, mw[k]);
  os << head << "\n";
  for (std::size_t i = 0; i < n_seeds.size(); ++i) {
    std::string row;
    for (std::size_t a = 0; a < axes.size(); ++a) row += fmt::format("{:<{}} ", cols[a][i], w[a]);
    row += fmt::format("{:>5}", n_seeds[i]);
    for (std::size_t k = 0; k < shown.size(); ++k) {
      const std::string c = cell(shown[k], i);
      row += std::string(1 + mw[k] - (c.size() - (c.find("±") != std::string::npos ? 1 : 0)), ' ') + c;
    }
    os << row << "\n";
  }
  const bool any = std::any_of(n_seeds.begin(), n_seeds.end(), [](double n) { return n > 1; });
  if (any)
    os << "± half-width of the 95% Student-t interval over a combination's ok seeds, mean ± t(0.975, n−1)·sd/√n "
          "(every metric's is in /sweep/aggregate as <metric>_ci95_lo/_hi)\n";
}

void print_inputs(const H5Reader& r, std::ostream& os) {
  const auto inputs = read_inputs(r);
  if (inputs.empty()) return;
  os << "\ninputs (role, sha256, bytes, path):\n";
  for (const auto& in : inputs)
    os << fmt::format("  {:<16} {} {:>10} {}\n", in.role, in.sha256, in.bytes, in.path.string());
}

void print_sweep_table(const std::filesystem::path& file, std::ostream& os, bool isolate) {
  const H5Reader r(file, isolate);
  print_sweep_table(r, os);
}

}  // namespace collabsim
