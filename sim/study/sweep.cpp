#include "sim/study/sweep.hpp"

#include <H5Cpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <deque>
#include <exception>
#include <fstream>
#include <limits>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "collabsim/version.hpp"
#include "sim/core/error.hpp"
#include "sim/io/h5_reader.hpp"
#include "sim/io/h5_table.hpp"
#include "sim/io/output_path.hpp"
#include "sim/io/provenance.hpp"
#include "sim/io/result_file.hpp"
#include "sim/io/summary.hpp"
#include "sim/mechanisms/registry.hpp"
#include "sim/scenario/scenario_tree.hpp"
#include "sim/study/input_cache.hpp"
#include "sim/study/parallel.hpp"
#include "sim/study/point_runner.hpp"
#include "sim/study/sweep_parts.hpp"
#include "sim/scenario/scenario_inputs.hpp"
#include "sim/results/stats.hpp"
#include "sim/results/tradeoff.hpp"

namespace collabsim {
namespace fs = std::filesystem;

std::string fnv1a_hex(const std::string& text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return fmt::format("{:016x}", h);
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// A point of the plan with its label and, when it failed validation, why.
struct Planned {
  SweepPoint point;
  std::string label;  ///< "key=value, ..., seed=N"
  bool valid = true;
  std::string error;
};


/// Where point `index`'s part file lives in the `parts` folder (pNNNNNN.h5).
fs::path part_path(const fs::path& parts, std::uint64_t index) { return parts / (part_name(index) + ".h5"); }

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}


/// The text that identifies a sweep: what must be equal for a resume to be allowed.
std::string manifest_text(const SweepOptions& o, const Scenario& base, const SweepSpec& spec, std::size_t points) {
  std::string m = "collabsim sweep manifest 1\n";
  m += "scenario = " + fs::absolute(o.scenario).lexically_normal().string() + "\n";
  m += "scenario_fnv1a = " + fnv1a_hex(base.source_text) + "\n";
  for (const auto& u : o.load.unsets) m += "unset = " + u + "\n";
  for (const auto& s : o.load.overrides) m += "set = " + s + "\n";
  m += std::string("mode = ") + (spec.zip ? "zip" : "grid") + "\n";
  m += fmt::format("seeds = {}\n", spec.seeds);
  for (const auto& a : spec.axes) {
    m += "axis " + a.key + " =";
    for (const auto& v : a.values) m += " " + v.toml;
    m += "\n";
  }
  for (const auto& r : spec.skip) {
    m += "skip =";
    for (const auto& [k, v] : r) m += " " + k + "=" + v.toml;
    m += "\n";
  }
  m += fmt::format("keep_requests = {}\n", o.keep_requests ? "true" : "false");
  m += fmt::format("points = {}\n", points);
  return m;
}

/// "was: …" / "now: …" lines for the manifest lines that differ.
std::string manifest_diff(const std::string& was, const std::string& now) {
  auto lines = [](const std::string& t) {
    std::vector<std::string> v;
    std::istringstream is(t);
    for (std::string l; std::getline(is, l);) v.push_back(l);
    return v;
  };
  const auto a = lines(was), b = lines(now);
  std::string out;
  for (const auto& l : a)
    if (std::find(b.begin(), b.end(), l) == b.end()) out += "\n  was: " + l;
  for (const auto& l : b)
    if (std::find(a.begin(), a.end(), l) == a.end()) out += "\n  now: " + l;
  return out;
}

/// The sweep manifest stored in an existing sweep file (empty when it is not one).
std::string stored_manifest(const fs::path& file) {
  try {
    H5::Exception::dontPrint();
    if (!H5::H5File::isHdf5(file.string())) return "";
    H5::H5File f(file.string(), H5F_ACC_RDONLY);
    if (!f.attrExists("sweep_manifest")) return "";
    const H5::Attribute a = f.openAttribute("sweep_manifest");
    std::string s;
    a.read(a.getStrType(), s);
    return s;
  } catch (const H5::Exception&) {
    return "";
  }
}

void set_attr(H5::H5File& f, const std::string& name, const std::string& value) {
  H5::StrType st(H5::PredType::C_S1, H5T_VARIABLE);
  H5::DataSpace scalar(H5S_SCALAR);
  const char* p = value.c_str();
  f.createAttribute(name, st, scalar).write(st, &p);
}

void set_attr(H5::H5File& f, const std::string& name, std::int64_t value) {
  H5::DataSpace scalar(H5S_SCALAR);
  f.createAttribute(name, H5::PredType::NATIVE_INT64, scalar).write(H5::PredType::NATIVE_INT64, &value);
}

/// A typed column of the swept values of `axis` (one value per row of `values`).
TableColumn axis_column(const Axis& axis, const std::vector<const AxisValue*>& values) {
  TableColumn c{axis.key, "", {}};
  switch (axis.column_kind()) {
    case AxisValue::Kind::Integer: {
      std::vector<std::int64_t> v;
      for (const auto* x : values)
        v.push_back(x->kind == AxisValue::Kind::Integer ? x->integer : static_cast<std::int64_t>(x->number));
      c.values = std::move(v);
      break;
    }
    case AxisValue::Kind::Real: {
      std::vector<double> v;
      for (const auto* x : values) v.push_back(x->number);
      c.values = std::move(v);
      break;
    }
    default: {
      std::vector<std::string> v;
      for (const auto* x : values) v.push_back(x->kind == AxisValue::Kind::Text ? x->text : x->toml);
      c.values = std::move(v);
    }
  }
  return c;
}

/// Per point of the plan, what the sweep file's /sweep/points holds: identity, status,
/// every /summary metric (NaN where it failed), the calibrated value and the error.
struct PointRows {
  std::vector<std::vector<double>> metric;  ///< [metric][point], Summary::columns() order
  std::vector<std::int64_t> point, combo, seed_index, seed, status;
  std::vector<std::string> error;
  std::vector<double> calibrated;
};

/// Every point's row: a point run by this invocation from the row its outcome handed over
/// in memory (`in_memory[i]`, item 5), a point kept from an earlier run from its part file.
PointRows read_points(const std::vector<Planned>& plan, const std::vector<std::string>& runtime_errors,
                      const std::vector<std::optional<PointRow>>& in_memory, const fs::path& parts,
                      const MetricRow& metric_cols) {
  const std::size_t n = plan.size();
  PointRows r;
  r.metric.assign(metric_cols.size(), std::vector<double>(n, kNaN));
  r.point.resize(n), r.combo.resize(n), r.seed_index.resize(n), r.seed.resize(n), r.status.resize(n);
  r.error.resize(n);
  r.calibrated.assign(n, kNaN);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& p = plan[i];
    r.point[i] = static_cast<std::int64_t>(p.point.index);
    r.combo[i] = static_cast<std::int64_t>(p.point.combo);
    r.seed_index[i] = p.point.seed_index;
    r.seed[i] = static_cast<std::int64_t>(p.point.seed);
    const fs::path part = part_path(parts, i);
    if (p.valid && runtime_errors[i].empty() && (in_memory[i] || fs::exists(part))) {
      const PointRow row = in_memory[i] ? *in_memory[i] : read_point_row(part);
      for (std::size_t m = 0; m < metric_cols.size() && m < row.metrics.size(); ++m) r.metric[m][i] = row.metrics[m];
      r.calibrated[i] = row.calibrated;
      r.status[i] = 0;
    } else {
      r.status[i] = 1;
      r.error[i] = !p.valid ? p.error : runtime_errors[i];
    }
  }
  return r;
}

/// The sweep file's root attributes: provenance, the scenario, the manifest and the shape.
void write_sweep_attributes(H5::H5File& f, const SweepOptions& o, const Scenario& base, const SweepSpec& spec,
                            std::size_t points, std::size_t combos, const std::string& manifest) {
  set_attr(f, "file_kind", "sweep");
  set_attr(f, "schema_version", kResultSchemaVersion);
  set_attr(f, "collabsim_version", std::string(kVersion));
  set_attr(f, "git_commit", std::string(kGitCommit));
  set_attr(f, "created", utc_now());
  set_attr(f, "scenario_file", o.scenario.string());
  set_attr(f, "scenario_name", base.run.name);
  set_attr(f, "scenario_source", base.source_text);
  set_attr(f, "sweep_manifest", manifest);
  std::string axes;
  for (const auto& a : spec.axes) axes += (axes.empty() ? "" : "\n") + a.key;
  set_attr(f, "sweep_axes", axes);
  set_attr(f, "seeds", static_cast<std::int64_t>(spec.seeds));
  set_attr(f, "n_points", static_cast<std::int64_t>(points));
  set_attr(f, "n_combos", static_cast<std::int64_t>(combos));
}

/// /sweep/points: one row per point (identity, status, swept values, metrics, error).
std::vector<TableColumn> points_table(const PointRows& r, const SweepSpec& spec, const std::vector<Combo>& combos,
                                      const std::vector<Planned>& plan, const MetricRow& metric_cols) {
  const std::size_t n = plan.size();
  std::vector<TableColumn> pc;
  pc.push_back({"point", "1", r.point});
  pc.push_back({"combo", "1", r.combo});
  pc.push_back({"seed_index", "1", r.seed_index});
  pc.push_back({"seed", "1", r.seed});
  pc.push_back({"status", "0 ok, 1 failed", r.status});
  for (std::size_t a = 0; a < spec.axes.size(); ++a) {
    std::vector<const AxisValue*> vals;
    for (const auto& p : plan) vals.push_back(&combos[p.point.combo].values[a]);
    pc.push_back(axis_column(spec.axes[a], vals));
  }
  for (std::size_t m = 0; m < metric_cols.size(); ++m) {
    const auto& [name, uv] = metric_cols[m];
    if (name.rfind("n_", 0) == 0) {
      std::vector<std::int64_t> v(n);
      for (std::size_t i = 0; i < n; ++i)
        v[i] = std::isnan(r.metric[m][i]) ? -1 : static_cast<std::int64_t>(r.metric[m][i]);
      pc.push_back({name, uv.first, std::move(v)});
    } else {
      pc.push_back({name, uv.first, r.metric[m]});
    }
  }
  pc.push_back({"calibrated_value", "1", r.calibrated});
  pc.push_back({"error", "", r.error});
  return pc;
}

/// Per combination, mean, sd and Student-t 95 % interval of every metric over its ok
/// seeds (appended to `agg`), and the operating points the trade-off metrics need.
TradeoffPoints aggregate_metrics(std::vector<TableColumn>& agg, const PointRows& r,
                                 const std::vector<std::vector<std::size_t>>& rows, const std::vector<Planned>& plan,
                                 int seeds, const MetricRow& metric_cols) {
  const std::size_t nc = rows.size();
  TradeoffPoints tp;
  tp.seed_share.assign(static_cast<std::size_t>(seeds), std::vector<double>(nc, kNaN));
  tp.seed_quality.assign(static_cast<std::size_t>(seeds), std::vector<double>(nc, kNaN));
  for (std::size_t m = 0; m < metric_cols.size(); ++m) {
    std::vector<double> mean(nc), sd(nc), lo(nc), hi(nc);
    for (std::size_t c = 0; c < nc; ++c) {
      std::vector<double> x;
      for (auto i : rows[c]) x.push_back(r.metric[m][i]);
      const MeanCi ci = mean_ci95(x);
      mean[c] = ci.mean, sd[c] = ci.sd, lo[c] = ci.lo, hi[c] = ci.hi;
    }
    const auto& [name, uv] = metric_cols[m];
    if (name == "large_share" || name == "quality_mean") {
      auto& per_seed = name == "large_share" ? tp.seed_share : tp.seed_quality;
      for (std::size_t c = 0; c < nc; ++c)
        for (auto i : rows[c])
          if (plan[i].point.seed_index >= 0 && plan[i].point.seed_index < seeds)
            per_seed[static_cast<std::size_t>(plan[i].point.seed_index)][c] = r.metric[m][i];
    }
    if (name == "large_share") tp.share = mean;
    if (name == "quality_mean") tp.quality = mean;
    if (name == "cost_per_1k_usd") tp.cost = mean;
    agg.push_back({name + "_mean", uv.first, mean});
    agg.push_back({name + "_sd", uv.first, sd});
    agg.push_back({name + "_ci95_lo", uv.first, lo});
    agg.push_back({name + "_ci95_hi", uv.first, hi});
  }
  return tp;
}

/// Trade-off metrics per series (tradeoff.hpp), appended to `agg`: the combination's PGR
/// and its series' APGR (with its interval over seeds), CPT(50 %), CPT(80 %) and AIQ.
void tradeoff_columns(std::vector<TableColumn>& agg, const TradeoffPoints& tp) {
  const std::size_t nc = tp.series.size();
  std::vector<double> pgr;
  const auto series = series_tradeoffs(tp, pgr);
  std::vector<std::int64_t> series_index(nc);
  std::vector<double> q_weak(nc), q_strong(nc), apgr(nc), apgr_lo(nc), apgr_hi(nc), cpt50(nc), cpt80(nc), aiq(nc);
  for (std::size_t c = 0; c < nc; ++c) {
    std::size_t k = 0;
    while (series[k].name != tp.series[c]) ++k;
    const SeriesTradeoff& t = series[k];
    series_index[c] = static_cast<std::int64_t>(k);
    q_weak[c] = t.q_weak, q_strong[c] = t.q_strong, apgr[c] = t.apgr, apgr_lo[c] = t.apgr_ci95_lo;
    apgr_hi[c] = t.apgr_ci95_hi, cpt50[c] = t.cpt50, cpt80[c] = t.cpt80, aiq[c] = t.aiq;
  }
  agg.push_back({"series", "1", series_index});
  agg.push_back({"series_name", "", tp.series});
  agg.push_back({"pgr", "1", pgr});
  agg.push_back({"series_q_weak", "1", q_weak});
  agg.push_back({"series_q_strong", "1", q_strong});
  agg.push_back({"series_apgr", "1", apgr});
  agg.push_back({"series_apgr_ci95_lo", "1", apgr_lo});
  agg.push_back({"series_apgr_ci95_hi", "1", apgr_hi});
  agg.push_back({"series_cpt50", "1", cpt50});
  agg.push_back({"series_cpt80", "1", cpt80});
  agg.push_back({"series_aiq", "1", aiq});
}

/// /sweep/aggregate: one row per combination over its ok seeds.
std::vector<TableColumn> aggregate_table(const PointRows& r, const SweepSpec& spec, const std::vector<Combo>& combos,
                                         const std::vector<Planned>& plan, const std::string& mechanism,
                                         const MetricRow& metric_cols) {
  const std::size_t nc = combos.size();
  std::vector<std::int64_t> ac(nc), n_seeds(nc, 0);
  std::vector<std::vector<std::size_t>> rows(nc);
  for (std::size_t i = 0; i < plan.size(); ++i)
    if (r.status[i] == 0) rows[plan[i].point.combo].push_back(i);
  for (std::size_t c = 0; c < nc; ++c) {
    ac[c] = static_cast<std::int64_t>(c);
    n_seeds[c] = static_cast<std::int64_t>(rows[c].size());
  }
  std::vector<TableColumn> agg;
  agg.push_back({"combo", "1", ac});
  for (std::size_t a = 0; a < spec.axes.size(); ++a) {
    std::vector<const AxisValue*> vals;
    for (const auto& cmb : combos) vals.push_back(&cmb.values[a]);
    agg.push_back(axis_column(spec.axes[a], vals));
  }
  agg.push_back({"n_seeds", "seeds", n_seeds});
  TradeoffPoints tp = aggregate_metrics(agg, r, rows, plan, spec.seeds, metric_cols);
  tp.series = series_names(spec, combos, mechanism);
  tradeoff_columns(agg, tp);
  return agg;
}

/// /sweep/runs/p<N>/: a copy of every ok point's run file (keep_requests).
void copy_runs(H5::H5File& f, const PointRows& r, const fs::path& parts) {
  H5::Group runs = f.createGroup("sweep/runs");
  for (std::size_t i = 0; i < r.status.size(); ++i) {
    if (r.status[i] != 0) continue;
    const fs::path part = part_path(parts, i);
    H5::H5File src(part.string(), H5F_ACC_RDONLY);
    H5::Group dst = runs.createGroup(part_name(i));
    const H5::Group sroot = src.openGroup("/");
    for (hsize_t k = 0; k < sroot.getNumObjs(); ++k) {
      const std::string name = sroot.getObjnameByIdx(k);
      if (H5Ocopy(src.getId(), name.c_str(), dst.getId(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT) < 0)
        throw std::runtime_error("cannot copy " + name + " of " + part.string());
    }
  }
}

/// Writes the sweep file from the finished parts (rank 0): to a temporary file, renamed
/// into place when complete.
void write_sweep_file(const SweepOptions& o, const Scenario& base, const SweepSpec& spec,
                      const std::vector<Combo>& combos, const std::vector<Planned>& plan,
                      const std::vector<std::string>& runtime_errors, const std::vector<std::optional<PointRow>>& rows,
                      const fs::path& parts, const std::string& manifest) {
  const auto metric_cols = Summary{}.columns();
  const PointRows r = read_points(plan, runtime_errors, rows, parts, metric_cols);
  const fs::path target = resolve_output_target(o.output);
  const fs::path tmp = temp_path_for(target);
  register_temp(tmp);
  try {
    H5::H5File f(tmp.string(), H5F_ACC_TRUNC);
    write_sweep_attributes(f, o, base, spec, plan.size(), combos.size(), manifest);
    H5::Group root = f.openGroup("/");
    {  // the base scenario's inputs (each point's own are in its run file under /sweep/runs)
      FileHashCache hashes(o.input_store);
      write_table(root, "inputs", input_columns(record_inputs(scenario_inputs(base), hashes)));
    }
    write_table(root, "sweep/points", points_table(r, spec, combos, plan, metric_cols));
    write_table(root, "sweep/aggregate", aggregate_table(r, spec, combos, plan, base.mechanism.name, metric_cols));
    if (o.keep_requests) copy_runs(f, r, parts);
    f.close();
    fs::rename(tmp, target);
    unregister_temp(tmp);
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    unregister_temp(tmp);
    throw;
  }
}

/// The base scenario's [sweep] with the command line's --grid axes (replacing an axis of
/// the same key), --zip and --seeds applied. Throws InputError for a bad table or value.
SweepSpec sweep_spec_of(const SweepOptions& o, const toml::table& base_tree) {
  const toml::node* sweep_node = base_tree.get("sweep");
  if (sweep_node && !sweep_node->is_table())
    throw InputError(SourcePos{o.scenario, sweep_node->source().begin.line, sweep_node->source().begin.column}, "sweep",
                     "expected a table [sweep]");
  SweepSpec spec = sweep_from_table(sweep_node ? sweep_node->as_table() : nullptr);
  for (std::size_t i = 0; i < o.grid.size(); ++i)  // W8: one key swept twice is ambiguous
    for (std::size_t j = 0; j < i; ++j)
      if (o.grid[i].key == o.grid[j].key)
        throw InputError(o.grid[i].pos, o.grid[i].key,
                         "--grid names this key twice (the values of one would be dropped): give all of them in one "
                         "--grid " + o.grid[i].key + "=...");
  for (const auto& g : o.grid) {
    auto it = std::find_if(spec.axes.begin(), spec.axes.end(), [&](const Axis& a) { return a.key == g.key; });
    if (it != spec.axes.end())
      *it = g;
    else
      spec.axes.push_back(g);
  }
  if (o.zip) spec.zip = *o.zip;
  if (o.seeds) {
    if (*o.seeds < 1 || *o.seeds > 10000) throw InputError(SourcePos{"--seeds", 1, 1}, "--seeds", "must be in [1, 10000]");
    spec.seeds = *o.seeds;
  }
  for (const auto& a : spec.axes)
    if (a.key == "run.seed" && spec.seeds > 1)
      throw InputError(a.pos, a.key, "run.seed is swept and --seeds/seeds > 1 derives seeds too: choose one");
  return spec;
}

/// Every point's overrides (the command line's, the combination's values, the derived
/// seed), not yet validated (validate_points).
std::vector<Planned> plan_points(const SweepOptions& o, const Scenario& base, const SweepSpec& spec,
                                 const std::vector<Combo>& combos) {
  std::vector<Planned> plan;
  for (std::size_t c = 0; c < combos.size(); ++c)
    for (int s = 0; s < spec.seeds; ++s) {
      Planned p;
      p.point.index = plan.size();
      p.point.combo = c;
      p.point.seed_index = s;
      p.point.overrides = o.load.overrides;
      for (std::size_t a = 0; a < spec.axes.size(); ++a) {
        p.point.overrides.push_back(spec.axes[a].key + "=" + combos[c].values[a].toml);
        p.label += (p.label.empty() ? "" : ", ") + spec.axes[a].key + "=" + combos[c].values[a].toml;
      }
      p.point.seed = base.run.seed + static_cast<std::uint64_t>(s);
      if (spec.seeds > 1) p.point.overrides.push_back(fmt::format("run.seed={}", p.point.seed));
      plan.push_back(std::move(p));
    }
  return plan;
}

/// One point's validation, as a worker rank hands it to rank 0.
struct Validation {
  std::uint64_t index = 0;
  bool valid = true;
  std::uint64_t seed = 0;
  std::string error;
};

/// Loads the points of `plan` whose index ≡ rank (mod ranks), on `o.threads` threads, before
/// any point runs (an invalid point is found now, not mid-sweep): the load validates the
/// mechanism's parameters and each swept key (check_swept_key). Returns their outcomes in
/// index order. Each rank validates its share, so a 110-point sweep's 47 ms of loads (one
/// load_scenario per point, ~0.43 ms) take half that on 2 ranks or 2 threads.
std::vector<Validation> validate_share(const SweepOptions& o, const toml::table& base_tree, const SweepSpec& spec,
                                       const std::vector<Planned>& plan, int rank, int ranks) {
  std::vector<Validation> out;
  for (std::size_t i = static_cast<std::size_t>(rank); i < plan.size(); i += static_cast<std::size_t>(ranks))
    out.push_back(Validation{i, true, plan[i].point.seed, {}});
  parallel_for(out.size(), std::max(1, o.threads), [&](std::size_t k) {
    Validation& v = out[k];
    try {
      LoadOptions lo = o.load;
      lo.overrides = plan[v.index].point.overrides;
      lo.output.reset();
      const Scenario sc = load_scenario(o.scenario, lo);
      v.seed = sc.run.seed;
      for (const auto& a : spec.axes) check_swept_key(a, base_tree, sc.mechanism.name);
    } catch (const InputError& e) {
      v.valid = false;
      v.error = e.what();
    }
  }, nullptr);
  return out;
}

/// Validations as bytes for SweepTransport::gather: per point its index (8), valid (1),
/// seed (8), error length (8) and error bytes.
std::string encode(const std::vector<Validation>& vs) {
  std::string b;
  auto put = [&](const void* p, std::size_t n) { b.append(static_cast<const char*>(p), n); };
  for (const auto& v : vs) {
    const unsigned char valid = v.valid;
    const std::uint64_t len = v.error.size();
    put(&v.index, 8);
    put(&valid, 1);
    put(&v.seed, 8);
    put(&len, 8);
    put(v.error.data(), v.error.size());
  }
  return b;
}

std::vector<Validation> decode(const std::string& b) {
  std::vector<Validation> vs;
  std::size_t at = 0;
  auto get = [&](void* p, std::size_t n) {
    if (n > b.size() - at) throw std::runtime_error("malformed point validations from a sweep rank");
    std::memcpy(p, b.data() + at, n);
    at += n;
  };
  while (at < b.size()) {
    Validation v;
    unsigned char valid = 0;
    std::uint64_t len = 0;
    get(&v.index, 8);
    get(&valid, 1);
    get(&v.seed, 8);
    get(&len, 8);
    if (len > b.size() - at) throw std::runtime_error("malformed point validations from a sweep rank");
    v.valid = valid != 0;
    v.error.assign(b.data() + at, len);
    at += len;
    vs.push_back(std::move(v));
  }
  return vs;
}

/// Validates every point of `plan`, shared among the ranks (validate_share), and gives rank 0
/// the outcomes: the validated seed (a point's run.seed), invalid points marked with their
/// message, and every label completed with its seed. Returns rank 0's verdict, the same on
/// every rank: empty, or the InputError message of the first invalid point when not
/// keep_going (rank 0 broadcasts it; no rank throws alone, so none waits for one that left).
std::string validate_points(const SweepOptions& o, const toml::table& base_tree, const SweepSpec& spec,
                            std::vector<Planned>& plan, SweepTransport& tr) {
  const std::vector<Validation> mine = validate_share(o, base_tree, spec, plan, tr.rank(), tr.size());
  const std::vector<std::string> all = tr.gather(encode(mine));
  std::string verdict;
  if (tr.rank() == 0) {
    std::size_t seen = 0;
    for (const auto& bytes : all)
      for (auto& v : decode(bytes)) {
        if (v.index >= plan.size()) throw std::runtime_error("a sweep rank validated a point that does not exist");
        Planned& p = plan[v.index];
        p.point.seed = v.seed;
        p.valid = v.valid;
        p.error = std::move(v.error);
        ++seen;
      }
    if (seen != plan.size())
      throw std::runtime_error(fmt::format("sweep ranks validated {} of {} points", seen, plan.size()));
    for (auto& p : plan) {
      if (!p.valid && !o.keep_going && verdict.empty())
        verdict = InputError(SourcePos{o.scenario, 0, 0}, "sweep",
                             fmt::format("point {} ({}) is invalid: {}\n(--keep-going records invalid points and "
                                         "runs the others)",
                                         p.point.index, p.label, p.error))
                      .what();
      p.label += (p.label.empty() ? "" : ", ") + fmt::format("seed={}", p.point.seed);
    }
  }
  std::vector<std::uint64_t> none;
  tr.broadcast(none, verdict);
  return verdict;
}

/// Rank 0's view of earlier work: the points already finished in `parts`, whether the
/// output already holds this very sweep, and the valid points still to run.
struct ResumeState {
  std::set<std::uint64_t> done;
  bool up_to_date = false;
  std::vector<std::uint64_t> pending;
  std::vector<std::string> notes;  ///< parts not trusted (rerun) and stray files (sweep_parts.hpp)
};

/// What each part must carry to be reused (sweep_parts.hpp): per point, the hash of its
/// full specification; for the sweep, the hash of its input files.
struct PartHashes {
  std::vector<std::string> spec;
  std::string inputs;
};

PartHashes part_hashes(const Scenario& base, const std::vector<Planned>& plan, const std::string& manifest,
                       const std::filesystem::path& store) {
  PartHashes h;
  FileHashCache files(store);
  h.inputs = sweep_inputs_hash(record_inputs(scenario_inputs(base), files));
  h.spec.reserve(plan.size());
  for (const auto& p : plan) h.spec.push_back(point_spec_hash(manifest, p.point.index, p.point.overrides));
  return h;
}

/// Reads (and prepares) the resume state of `parts` for `manifest`. Throws InputError
/// when the parts folder or the output hold a different sweep (unless restart).
ResumeState resume_state(const SweepOptions& o, const Scenario& base, const std::vector<Planned>& plan,
                         const fs::path& parts, const std::string& manifest, const PartHashes& hashes) {
  ResumeState rs;
  {  // refuse a non-regular or non-HDF5 target, or one of the inputs, before any work (W6)
    const fs::path target = resolve_output_target(o.output);
    check_result_target(target);
    check_output_not_input(target, scenario_inputs(base));
  }
  if (o.restart && fs::exists(parts)) fs::remove_all(parts);
  if (fs::exists(parts)) {
    const std::string was = read_text(parts / "manifest.txt");
    if (was != manifest)
      throw InputError(SourcePos{o.output, 0, 0}, "-o",
                       "the unfinished sweep in " + parts.string() + " is a different sweep:" +
                           manifest_diff(was, manifest) +
                           "\nrun the same command to resume it, or add --restart to discard its points");
    // W5: a part is kept only when it is this point's, made from these inputs, and whole.
    PartScan scan = scan_parts(parts, hashes.spec, hashes.inputs);
    rs.done = std::move(scan.done);
    for (auto& n : scan.rerun) rs.notes.push_back(std::move(n));
    for (auto& n : scan.ignored) rs.notes.push_back(std::move(n));
  } else if (fs::exists(o.output) && !o.restart) {
    const std::string was = stored_manifest(o.output);
    if (was == manifest) {
      rs.up_to_date = true;
    } else if (!was.empty()) {
      throw InputError(SourcePos{o.output, 0, 0}, "-o",
                       o.output.string() + " holds a different sweep:" + manifest_diff(was, manifest) +
                           "\nadd --restart to replace it");
    }
  }
  if (!rs.up_to_date) {
    fs::create_directories(parts);
    if (!fs::exists(parts / "manifest.txt"))
      write_file_atomically(parts / "manifest.txt", std::vector<unsigned char>(manifest.begin(), manifest.end()));
    for (const auto& p : plan)
      if (p.valid && !rs.done.count(p.point.index)) rs.pending.push_back(p.point.index);
  }
  return rs;
}

/// What running the points leaves behind (rank 0 counts, every rank reports).
struct RunTally {
  std::vector<std::string> runtime_errors;  ///< per point, "" unless it failed while running
  std::vector<std::optional<PointRow>> rows;  ///< per point, its row when it ran ok in this invocation
  std::string fatal;                        ///< the first failure without keep_going
  std::chrono::steady_clock::time_point t0;
};

/// Rank 0, for one finished point: writes its part file (atomically) or records its
/// failure (the first one stops the sweep unless keep_going), then reports progress.
void receive_point(const SweepOptions& o, const std::vector<Planned>& plan, const fs::path& parts,
                   std::size_t reused, PointMessage&& m, SweepReport& rep, RunTally& tally, std::atomic<bool>& stop) {
  if (m.ok) {
    if (!m.part_written) write_file_atomically(part_path(parts, m.index), m.image);  // for a resume only
    tally.rows[m.index] = PointRow{std::move(m.summary_row), m.calibrated_value};
    ++rep.ran;
    set_interrupt_count(reused + rep.ran);  // what Ctrl-C now would leave behind
  } else {
    ++rep.failed;
    tally.runtime_errors[m.index] = m.error.empty() ? "failed" : m.error;
    rep.failures.push_back(fmt::format("point {} ({}): {}", m.index, plan[m.index].label, m.error));
    if (!o.keep_going && tally.fatal.empty()) {
      tally.fatal = rep.failures.back();
      stop = true;
    }
  }
  if (o.progress) {
    SweepProgress pr;
    pr.done = reused + rep.ran + rep.failed;
    pr.total = plan.size();
    pr.failed = rep.failed;
    pr.ran = rep.ran + rep.failed;
    pr.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - tally.t0).count();
    o.progress(pr);
  }
}

/// A finished point for rank 0: its outcome and, when ok, its /sweep/points row (item 5:
/// the sweep file is merged from these rows; the image becomes the part kept for resume).
PointMessage point_message(std::uint64_t index, PointOutcome& r) {
  PointMessage m{index, r.ok, r.bad_input, r.error, std::move(r.image), {}, kNaN};
  if (r.ok) {
    PointRow row = point_row(r);
    m.summary_row = std::move(row.metrics);
    m.calibrated_value = row.calibrated;
  }
  return m;
}

/// Where this rank's threads take their next point from (a position in the pending list).
/// Each worker rank starts with a deal of `deal` positions that every rank computes alike
/// (worker w: (w-1)·deal …, so no rank waits for an answer before its first point); rank 0
/// hands out the rest in order from one counter, to its own threads and to the workers that
/// ask, and a worker keeps one unstarted position per thread in hand or on the way. So a rank
/// that draws cheap points takes more of them: the ranks finish together whatever the points
/// cost (a fixed every-size-th share left rank 0 of a 22-point sweep 19% more instructions
/// than rank 1 on 2 ranks), and at the end a worker holds at most one unstarted point per
/// thread while rank 0 may have run out (threads + 1 before: rank 0 of a 110-point sweep on
/// 2 ranks × 1 thread sat idle for its last 0.1 s).
class PointSource {
 public:
  /// `rank` of `ranks`; `deal`: the positions each worker starts with (fewer when the sweep
  /// is short: no more than pending / ranks, so rank 0 gets its share too).
  PointSource(std::size_t pending, int rank, int ranks, std::size_t deal, std::atomic<bool>& stop)
      : pending_(pending), root_(rank == 0), stop_(stop) {
    deal = std::min(deal, pending / static_cast<std::size_t>(std::max(1, ranks)));
    const std::size_t dealt = std::min(pending, static_cast<std::size_t>(std::max(0, ranks - 1)) * deal);
    next_ = dealt;
    handed_out_ = dealt;
    if (!root_)
      for (std::size_t k = static_cast<std::size_t>(rank - 1) * deal; k < std::min(dealt, rank * deal); ++k)
        given_.push_back(static_cast<std::int64_t>(k));
  }

  /// Rank 0: the next position, or -1 when none is left or the sweep stops (any thread).
  std::int64_t claim() {
    if (stop_.load()) return -1;
    const std::size_t k = next_.fetch_add(1);
    return k < pending_ ? static_cast<std::int64_t>(k) : -1;
  }

  /// A compute thread's next position: rank 0 claims; a worker waits for an answer in hand
  /// (or for the news that none will come). -1: nothing more for this thread.
  std::int64_t take() {
    if (root_) return claim();
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !given_.empty() || closed_; });
    if (given_.empty()) return -1;
    const std::int64_t k = given_.front();
    given_.pop_front();
    return k;
  }

  /// Worker main thread: answers that arrived go to the threads, and new asks keep
  /// `ahead` unstarted positions in hand or on the way; after the first -1, the last answers are
  /// collected and rank 0 is told this rank asks no more.
  void trade(SweepTransport& tr, std::size_t ahead) {
    while (auto a = tr.poll_answer()) {
      --outstanding_;
      std::lock_guard lock(mu_);
      if (*a < 0)
        exhausted_ = true;
      else
        given_.push_back(*a);
      cv_.notify_one();
    }
    std::size_t in_hand = 0;
    {
      std::lock_guard lock(mu_);
      in_hand = given_.size();
    }
    while (!exhausted_ && in_hand + outstanding_ < ahead) {
      tr.ask();
      ++outstanding_;
      ++in_hand;
    }
    if (exhausted_ && outstanding_ == 0 && !stopped_asking_) {
      tr.stop_asking();
      stopped_asking_ = true;
      std::lock_guard lock(mu_);
      closed_ = true;
      cv_.notify_all();
    }
  }

  /// Worker: every answer collected and rank 0 told (nothing more will be given).
  bool settled() const { return stopped_asking_; }

  /// Rank 0: answers every ask that arrived (a position, or -1 when none is left) and
  /// counts the workers that stopped asking.
  void serve(SweepTransport& tr) {
    while (auto a = tr.poll_ask()) {
      if (!a->second) {
        ++workers_done_;
        continue;
      }
      const std::int64_t k = claim();
      if (k >= 0) ++handed_out_;
      tr.answer(a->first, k);
    }
  }

  /// Rank 0: every worker stopped asking and `received` points arrived of those handed out.
  bool all_returned(int workers, std::size_t received) const {
    return workers_done_ == workers && received >= handed_out_;
  }

 private:
  std::size_t pending_;
  bool root_;
  std::atomic<bool>& stop_;
  std::atomic<std::size_t> next_{0};  // rank 0
  std::mutex mu_;                     // worker: given_, closed_
  std::condition_variable cv_;
  std::deque<std::int64_t> given_;
  bool closed_ = false;
  std::size_t outstanding_ = 0;  // worker main thread only
  bool exhausted_ = false;
  bool stopped_asking_ = false;
  std::size_t handed_out_ = 0;  // rank 0 main thread only
  int workers_done_ = 0;
};

/// What a rank's compute threads hand its main thread: finished pending positions, and the
/// end of the threads (with the first exception, if one threw). Guarded by `mu`.
struct Finished {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::size_t> positions;
  bool done = false;
  std::exception_ptr error;
};

/// This rank's compute threads (`o.threads`): each runs the points `source` gives it until
/// none is left, storing the outcome by pending position and reporting it in `out`.
void compute_points(const SweepOptions& o, const std::vector<Planned>& plan, const std::vector<std::uint64_t>& pending,
                    const PartHashes& hashes, InputCache& inputs, PointSource& source,
                    std::vector<PointOutcome>& outcome, Finished& out) {
  try {
    const int threads = std::max(1, o.threads);
    parallel_for(static_cast<std::size_t>(threads), threads, [&](std::size_t) {
      for (std::int64_t k; (k = source.take()) >= 0;) {
        const auto pos = static_cast<std::size_t>(k);
        LoadOptions lo = o.load;
        lo.overrides = plan[pending[pos]].point.overrides;
        lo.output.reset();
        outcome[pos] = run_point(o.scenario, lo, inputs, o.keep_requests,
                                 {{"point_spec_sha256", hashes.spec[pending[pos]]}, {"sweep_inputs_sha256", hashes.inputs}});
        std::lock_guard lock(out.mu);
        out.positions.push_back(pos);
        out.cv.notify_one();
      }
    }, nullptr);
  } catch (...) {
    std::lock_guard lock(out.mu);
    out.error = std::current_exception();
  }
  std::lock_guard lock(out.mu);
  out.done = true;
  out.cv.notify_one();
}

/// The pending points, handed out one at a time to whichever rank and thread is free (see
/// PointSource) and run on `o.threads` threads per rank; each finished point goes to rank 0
/// (its own or through the transport), which writes its part file and reports progress.
/// Returns when every point handed out has arrived and every worker has stopped asking.
RunTally run_points(const SweepOptions& o, SweepTransport& tr, const std::vector<Planned>& plan,
                    const std::vector<std::uint64_t>& pending, const fs::path& parts, std::size_t reused,
                    const PartHashes& hashes, std::size_t deal, SweepReport& rep) {
  const bool root_rank = tr.rank() == 0;
  const int workers = tr.size() - 1;
  const bool share_files = tr.ranks_share_files();

  InputCache inputs(o.input_store);  // every rank reads the images the first one wrote
  std::vector<PointOutcome> outcome(pending.size());  // by pending position
  Finished fin;
  std::atomic<bool> stop{false};
  const std::size_t ahead = static_cast<std::size_t>(std::max(1, o.threads));  // unstarted, per worker
  PointSource source(pending.size(), tr.rank(), tr.size(), deal, stop);
  std::jthread compute([&] { compute_points(o, plan, pending, hashes, inputs, source, outcome, fin); });

  RunTally tally;
  tally.t0 = std::chrono::steady_clock::now();
  tally.runtime_errors.resize(plan.size());
  tally.rows.resize(plan.size());
  bool finished_all = false, failed = false;  // this rank's threads are done (failed: one threw)
  std::size_t received = 0;                   // rank 0: points that arrived from workers
  auto handle = [&](PointMessage&& m) {  // rank 0
    receive_point(o, plan, parts, reused, std::move(m), rep, tally, stop);
  };
  for (;;) {
    if (!root_rank && !failed) source.trade(tr, ahead);
    std::deque<std::size_t> batch;
    {
      // Wakes for a finished point or the end of this rank's threads; once that end was
      // seen (rank 0 waiting for workers), it only sleeps between polls of the transport.
      // With ranks, the transport is polled every 10 ms while this rank's threads compute (a
      // worker has its next point in hand, so an answer that late costs nothing; polling
      // every 2 ms woke the ranks' cores 1,000 times a second) and every 1 ms after.
      const bool seen = finished_all;
      const int poll_ms = workers == 0 ? 50 : seen ? 1 : 10;
      std::unique_lock lock(fin.mu);
      fin.cv.wait_for(lock, std::chrono::milliseconds(poll_ms),
                      [&] { return !fin.positions.empty() || (fin.done && !seen); });
      batch.swap(fin.positions);
      finished_all = fin.done;
      failed = fin.error != nullptr;
    }
    for (auto pos : batch) {
      PointMessage m = point_message(pending[pos], outcome[pos]);
      outcome[pos] = PointOutcome{};
      if (root_rank) {
        handle(std::move(m));
      } else {
        if (m.ok && share_files) {  // rank 0 would write these very bytes to this very path
          try {
            write_file_atomically(part_path(parts, m.index), m.image);
            m.part_written = true;
            m.image = {};
          } catch (const std::exception&) {
            // the image travels after all: rank 0 writes it, or reports why it cannot
          }
        }
        tr.send(m);
      }
    }
    if (root_rank) {
      source.serve(tr);
      while (auto m = tr.poll()) {
        ++received;
        handle(std::move(*m));
      }
    }
    if (finished_all && (root_rank ? source.all_returned(workers, received) : source.settled() || failed)) break;
  }
  compute.join();
  if (!root_rank) tr.flush();
  if (fin.error) std::rethrow_exception(fin.error);
  return tally;
}

}  // namespace

Scenario load_sweep_base(const SweepOptions& o, LoadOptions* used) {
  LoadOptions lo = o.load;
  lo.output.reset();
  if (used) *used = lo;
  try {
    return load_scenario(o.scenario, lo);
  } catch (const InputError&) {
    const std::exception_ptr first = std::current_exception();
    std::vector<Axis> axes = o.grid;  // the command line's axes win over [sweep]'s of the same key
    try {
      const toml::table raw = scenario_tree(o.scenario, lo);
      const toml::node* sweep = raw.get("sweep");
      if (sweep && sweep->is_table())
        for (auto& a : sweep_from_table(sweep->as_table()).axes)
          if (std::none_of(axes.begin(), axes.end(), [&](const Axis& g) { return g.key == a.key; }))
            axes.push_back(std::move(a));
    } catch (const std::exception&) {
      std::rethrow_exception(first);  // not readable as TOML, or a malformed [sweep]: the first error stands
    }
    if (axes.empty()) std::rethrow_exception(first);
    for (const auto& a : axes)
      if (!a.values.empty()) lo.overrides.push_back(a.key + "=" + a.values.front().toml);
    if (used) *used = lo;
    return load_scenario(o.scenario, lo);
  }
}

SweepReport run_sweep(const SweepOptions& o) {
  std::unique_ptr<SweepTransport> own;
  SweepTransport* tr = o.transport;
  if (!tr) {
    own = local_transport();
    tr = own.get();
  }
  const bool root_rank = tr->rank() == 0;
  SweepReport rep;
  rep.output = o.output;

  // The base scenario (validated with the --set overrides) and its [sweep] table.
  LoadOptions base_load;
  const Scenario base = load_sweep_base(o, &base_load);
  const toml::table base_tree = scenario_tree(o.scenario, base_load);
  const SweepSpec spec = sweep_spec_of(o, base_tree);
  const std::vector<Combo> combos = expand_combos(spec);
  std::vector<Planned> plan = plan_points(o, base, spec, combos);
  if (std::string invalid = validate_points(o, base_tree, spec, plan, *tr); !invalid.empty())
    throw InputError(SourcePos{}, "", invalid);
  rep.points = plan.size();

  // Rank 0: resume state → the points still to run.
  const fs::path parts = fs::path(o.output.string() + ".parts");
  const std::string manifest = manifest_text(o, base, spec, plan.size());
  const PartHashes hashes = part_hashes(base, plan, manifest, o.input_store);
  ResumeState resume;
  std::string error;
  if (root_rank) {
    try {
      resume = resume_state(o, base, plan, parts, manifest, hashes);
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  // Rank 0's word: whether the output is up to date, and each worker's first deal of points
  // (one running and one unstarted per thread of rank 0's).
  std::vector<std::uint64_t> flag{resume.up_to_date ? 1u : 0u, 2u * static_cast<std::uint64_t>(std::max(1, o.threads))};
  tr->broadcast(flag, error);
  if (!error.empty()) throw InputError(SourcePos{}, "", error);
  if (flag.size() != 2) throw std::logic_error("sweep: rank 0's word has " + std::to_string(flag.size()) + " values");
  rep.up_to_date = flag[0] == 1;
  const std::size_t deal = flag[1];
  if (rep.up_to_date) return rep;
  tr->broadcast(resume.pending, error);
  rep.reused = root_rank ? resume.done.size() : 0;
  rep.resume_notes = std::move(resume.notes);

  // Ctrl-C (or SIGTERM/SIGHUP) from here on says how many points are kept and how to resume.
  struct NoteGuard {
    ~NoteGuard() { clear_interrupt_note(); }
  } note_guard;
  if (root_rank)
    set_interrupt_note("interrupted: ",
                       fmt::format(" of {} points are kept in {}; run the same command again to resume (kept points "
                                   "are not run again)\n",
                                   plan.size(), parts.string()),
                       resume.done.size());
  const RunTally tally = run_points(o, *tr, plan, resume.pending, parts, resume.done.size(), hashes, deal, rep);
  if (root_rank && tally.fatal.empty()) {
    for (const auto& p : plan)
      if (!p.valid) {
        ++rep.failed;
        rep.failures.push_back(fmt::format("point {} ({}): {}", p.point.index, p.label, p.error));
      }
    write_sweep_file(o, base, spec, combos, plan, tally.runtime_errors, tally.rows, parts, manifest);
    clear_interrupt_note();  // the sweep file is whole: nothing left to resume
    std::error_code ec;
    fs::remove_all(parts, ec);
  }
  rep.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - tally.t0).count();
  tr->barrier();
  if (!tally.fatal.empty())
    throw InputError(SourcePos{o.scenario, 0, 0}, "sweep",
                     tally.fatal + "\n(finished points are kept in " + parts.string() +
                         "; fix the input and run the same command to resume, or add --keep-going)");
  return rep;
}

}  // namespace collabsim
