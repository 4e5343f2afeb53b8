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
    os << "\nsweep (mean over seeds, 95% interval of quality):\n";
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
  auto col = [&](const char* name) { return r.numbers(t, name); };
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
  for (std::size_t i = 0; i < q.size(); ++i) {
    std::string row;
    for (std::size_t a = 0; a < axes.size(); ++a) row += fmt::format("{:<{}} ", cols[a][i], w[a]);
    const std::string ci = std::isnan(qlo[i]) ? "-" : fmt::format("[{:.4f}, {:.4f}]", qlo[i], qhi[i]);
    os << fmt::format("{}{:>5} {:>8.4f} {:>17} {:>9.3f} {:>11.4f} {:>9.1f} {:>7.3f}\n", row, n_seeds[i], q[i], ci,
                      p99[i], cost[i], energy[i], large[i]);
  }
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
