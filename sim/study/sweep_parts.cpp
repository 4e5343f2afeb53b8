#include "sim/study/sweep_parts.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>

#include <fmt/format.h>

#include "sim/core/error.hpp"
#include "sim/io/h5_reader.hpp"
#include "sim/io/summary.hpp"

namespace collabsim {
namespace fs = std::filesystem;

std::string part_name(std::uint64_t index) { return fmt::format("p{:06d}", index); }

std::optional<std::uint64_t> parse_part_name(const std::string& f) {
  if (f.size() < 10 || f.size() > 19 || f[0] != 'p' || f.compare(f.size() - 3, 3, ".h5") != 0) return std::nullopt;
  std::uint64_t v = 0;
  for (std::size_t i = 1; i + 3 < f.size(); ++i) {
    if (f[i] < '0' || f[i] > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(f[i] - '0');
  }
  if (part_name(v) + ".h5" != f) return std::nullopt;  // no extra leading zeros: one name per index
  return v;
}

std::string point_spec_hash(const std::string& manifest, std::uint64_t index, const std::vector<std::string>& overrides) {
  std::string text = manifest + fmt::format("point = {}\n", index);
  for (const auto& o : overrides) text += "point set = " + o + "\n";
  return sha256_text(text);
}

std::string sweep_inputs_hash(const std::vector<InputRecord>& inputs) {
  std::string text;
  for (const auto& r : inputs) text += r.role + "\t" + r.path.string() + "\t" + r.sha256 + "\n";
  return sha256_text(text);
}

PointRow point_row(const PointOutcome& o) {
  PointRow r;
  for (const auto& [name, unit_value] : o.summary.columns()) {
    double v = unit_value.second;
    // ResultFile::write_row stores n_ counts as int64: the part reads back the truncation.
    if (name.rfind("n_", 0) == 0 && std::isfinite(v)) v = static_cast<double>(static_cast<std::int64_t>(v));
    r.metrics.push_back(v);
  }
  r.calibrated = o.calibrated_key.empty() ? std::numeric_limits<double>::quiet_NaN() : o.calibrated_value;
  return r;
}

PointRow read_point_row(const fs::path& part) {
  const auto cols = Summary{}.columns();
  PointRow r;
  r.metrics.assign(cols.size(), std::numeric_limits<double>::quiet_NaN());
  r.calibrated = std::numeric_limits<double>::quiet_NaN();
  const H5Reader f(part, /*isolate=*/false);  // kept parts were checked by scan_parts
  const H5TableInfo summary = f.table("summary");
  for (std::size_t m = 0; m < cols.size(); ++m) {
    const H5Field* field = summary.field(cols[m].first);
    if (field && field->numeric() && summary.rows == 1) r.metrics[m] = f.numbers(summary, field->name)[0];
  }
  if (const auto v = f.attr_text("calibrated_value")) {
    char* end = nullptr;
    const double x = std::strtod(v->c_str(), &end);
    r.calibrated = !v->empty() && end && *end == '\0' ? x : std::numeric_limits<double>::quiet_NaN();
  }
  return r;
}

namespace {

/// Why the part `file` of point `index` cannot be kept, or "" when it can.
std::string part_problem(const fs::path& file, const std::string& spec_hash, const std::string& inputs_hash,
                         bool isolate) {
  try {
    const H5Reader r(file, isolate);
    if (!r.has_attr("point_spec_sha256")) return "it carries no point_spec_sha256 (another sweep, or an older collabsim)";
    if (r.attr_string("point_spec_sha256") != spec_hash) return "it was made for another point specification";
    if (!r.has_attr("sweep_inputs_sha256") || r.attr_string("sweep_inputs_sha256") != inputs_hash)
      return "it was made from other input files (their SHA-256 differ)";
    const H5TableInfo t = r.table("summary");
    if (t.rows != 1) return fmt::format("its /summary has {} rows, not one", t.rows);
    for (const auto& [name, unit_value] : Summary{}.columns()) {
      const H5Field* f = t.field(name);
      if (!f || !f->numeric()) return "its /summary lacks the number '" + name + "'";
    }
    r.row(t);
    return "";
  } catch (const InputError& e) {
    return std::string("it cannot be read: ") + e.what();
  }
}

}  // namespace

PartScan scan_parts(const fs::path& parts, const std::vector<std::string>& spec_hash, const std::string& inputs_hash,
                    bool isolate) {
  PartScan scan;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(parts)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    const std::string name = path.filename().string();
    if (name == "manifest.txt" || name.find(".tmp-") != std::string::npos) continue;
    const auto index = parse_part_name(name);
    if (!index) {
      scan.ignored.push_back(name + ": not a part name (p + 6 or more digits + .h5); ignored");
      continue;
    }
    std::string why;
    if (*index >= spec_hash.size())
      why = fmt::format("point {} is not in this sweep's plan of {} points", *index, spec_hash.size());
    else
      why = part_problem(path, spec_hash[*index], inputs_hash, isolate);
    if (why.empty()) {
      scan.done.insert(*index);
      continue;
    }
    std::error_code ec;
    fs::remove(path, ec);
    scan.rerun.push_back(name + ": " + why + (*index < spec_hash.size() ? "; its point runs again" : "; removed"));
  }
  return scan;
}

}  // namespace collabsim
