#include "sim/config/toml_params.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/scenario/scenario_tree.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "sim/core/input_file.hpp"
#include "sim/core/strings.hpp"
#include "sim/hardware/profile_cache.hpp"
#include "sim/workload/trace_formats.hpp"
#include "sim/quality/quality_table.hpp"
#include "sim/config/choice.hpp"

#ifndef COLLABSIM_DEFAULT_SOURCE_DIR
#define COLLABSIM_DEFAULT_SOURCE_DIR ""
#endif

namespace collabsim {
namespace fs = std::filesystem;

// ---------------------------------------------------------------- declarations (once)

std::span<const Field> run_fields() {
  static const std::vector<Field> f = {
      Field::text("name", "", "run name; output defaults to results/<name>.h5 (default: file stem)"),
      Field::integer("seed", 1, "1", "master seed of every random stream", 0, 9.2e18),
      Field::text("data_dir", "",
                  "folder of the shared data, relative to this file (else --data-dir, "
                  "$COLLABSIM_DATA, ../shared/data)"),
      Field::text("models_dir", "../models", "folder of device and model cards, relative to this file"),
      Field::text("output", "", "result file (default results/<name>.h5; results/<name>-<mechanism>.h5 when --set mechanism.name overrides it)"),
      Field::quantity("sample_interval", "1 s", Dimension::Time,
                      "period of the /devices and /links timelines (0 = none; else ≥ 1 ms)", 0.0, 1e6),
      Field::boolean("record_spans", false,
                     "record every request's spans (queue, prefill, decode, transfers, steps) in /spans, "
                     "for collabsim trace-export and the Gantt figure"),
      Field::quantity("max_sim_time", "30 d", Dimension::Time,
                      "a run whose simulated time passes this stops with an error (a runaway guard)", 1e-9,
                      kMaxDurationSeconds),
      Field::integer("max_events", 2'000'000'000, "events",
                     "a run that processes more events stops with an error (a runaway guard)", 1, 9.2e18),
      Field::integer("max_in_flight", 500'000, "requests",
                     "a run with more requests in flight at once stops with an error (each holds ~1-2 KB of "
                     "state: an overload that never drains would exhaust memory)", 1, 1e9),
  };
  return f;
}

std::vector<std::string> workload_format_names() {
  std::vector<std::string> names = workload::trace_format_names();
  names.emplace_back("generated");
  return names;
}

std::span<const Field> workload_fields() {
  static const std::vector<Field> f = {
      Field::text("format", "azure_csv",
                  "trace format, or \"generated\" ([workload.arrivals], [workload.lengths]; docs/WORKLOADS.md)",
                  workload_format_names()),
      Field::text("trace", "", "trace file, relative to the data dir (required unless format = \"generated\")"),
      Field::text("origin", std::nullopt, "device the requests are issued from"),
      Field::integer("limit", 0, "requests", "replay only the first N requests (0 = all)", 0),
      Field::real("rate_scale", 1.0, "1", "arrival-rate multiplier (inter-arrival gaps / scale)",
                  1e-6, 1e6),
      Field::real("bytes_per_token", 4.0, "bytes", "bytes on the wire per token (UTF-8 text ≈ 4)",
                  0.0, 1e6),
      Field::quantity("timeout", "0 s", Dimension::Time,
                      "a request still waiting on the network this long after arrival times out (0 = never)"),
      Field::real("private_share", 0.0, "1",
                  "share of prompt tokens that are private (counted when sent off the device)", 0.0, 1.0),
      Field::quantity("start", "0 s", Dimension::Time,
                      "replay only the requests arriving at or after this time of the trace's own clock "
                      "(0 = its first row); the window's start becomes simulated time 0"),
      Field::quantity("end", "0 s", Dimension::Time,
                      "replay only the requests arriving before this time of the trace's clock (0 = to the end)"),
      Field::integer("repeat", 1, "1",
                     "replay the trace this many times back to back (copy k starts one mean "
                     "inter-arrival gap after copy k-1 ends)",
                     1, 1e4),
      Field::quantity("duration", "0 s", Dimension::Time,
                      "generated: no request arrives at or after this simulated time (0 = no bound; a "
                      "generated workload needs limit or duration unless it reads a ServeGen file)"),
  };
  return f;
}

std::span<const Field> slo_fields() {
  static const std::vector<Field> f = {
      Field::quantity("ttft", "0 s", Dimension::Time,
                      "time-to-first-token target: a request attains its SLO only if its TTFT is at most this "
                      "(0 = no TTFT target)"),
      Field::quantity("tpot", "0 s", Dimension::Time,
                      "time-per-output-token target (answers that arrive in one piece meet it; 0 = no TPOT target)"),
  };
  return f;
}

namespace {

/// `quality.format`'s allowed values: "auto" and the rows of quality::quality_formats().
std::vector<std::string> quality_format_names() {
  std::vector<std::string> out = {"auto"};
  for (const auto& n : choice_names(quality::quality_formats())) out.push_back(n);
  return out;
}

/// `quality.format`'s help over the registry rows.
std::string quality_format_help() {
  return choice_help("quality table format (docs/QUALITY.md); auto = by header, trying in turn",
                     quality::quality_formats());
}

}  // namespace

std::span<const Field> quality_fields() {
  static const std::vector<Field> f = {
      Field::text("table", std::nullopt, "quality table (CSV, see quality.format), relative to the data dir"),
      Field::text("questions", "", "question texts (MMLU-Pro JSONL) for router kernels, relative to the data dir"),
      Field::text("format", "auto", quality_format_help(), quality_format_names()),
      Field::text("blank", "skip",
                  "blank score cell in a column in use: skip the question (counted in /summary "
                  "n_questions_skipped), score it zero, or stop with an error",
                  {"skip", "zero", "error"}),
      Field::text_list("categories", std::vector<std::string>{},
                       "join requests only to questions of these categories (the table's category column, "
                       "e.g. [\"health\", \"biology\"]; empty = all)",
                       0),
      Field::text("prompt_tokens", "trace",
                  "prompt length: from the trace, or from the joined question's text "
                  "(ceil(question_chars / chars_per_token))",
                  {"trace", "question"}),
      Field::text("output_tokens", "trace",
                  "output length: from the trace (the same for every model), or per model from that model's "
                  "own response to the joined question (ceil(<column>|out_chars / chars_per_token); questions "
                  "without an out_chars for a column in use are left out of the join)",
                  {"trace", "model"}),
      Field::real("chars_per_token", 4.0, "characters",
                  "characters per token for prompt_tokens = \"question\" and output_tokens = \"model\" "
                  "(≈ 4 for English text with GPT "
                  "BPE tokenizers, OpenAI tokenizer guidance; docs/QUALITY.md)",
                  0.5, 100.0),
      Field::text("synthetic", "none",
                  "none: the table's own scores; irt: every score drawn from a 2PL IRT model fitted to the "
                  "table (same models' accuracy and correlation; stream (run.seed, irt_draw); docs/QUALITY.md)",
                  {"none", "irt"}),
      Field::text_list("irt_columns", std::vector<std::string>{},
                       "more model columns for the IRT fit, beyond those in use (more columns pin the "
                       "question parameters better)",
                       0),
  };
  return f;
}

// ---------------------------------------------------------------- helpers

namespace {

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

/// Largest TOML file (scenario, card) read: 16 MiB, far above any real one.
constexpr std::uintmax_t kMaxTomlBytes = std::uintmax_t{16} << 20;

toml::table parse_toml_file(const fs::path& p, const SourcePos& referrer, const std::string& key,
                            const std::string& what) {
  if (!input_exists(p))
    throw InputError(referrer, key, what + " '" + p.string() + "' does not exist");
  check_input_file(p, referrer, key, what);
  if (std::error_code ec; fs::file_size(p, ec) > kMaxTomlBytes)
    throw InputError(referrer, key, what + " '" + p.string() + "' is larger than 16 MiB: not a TOML card or scenario");
  try {
    return toml::parse_file(p.string());
  } catch (const toml::parse_error& e) {
    SourcePos pos{p, e.source().begin.line, e.source().begin.column};
    throw InputError(pos, "", std::string("malformed TOML: ") + std::string(e.description()));
  }
}

const toml::table& require_table(const toml::table& root, const std::string& key,
                                 const fs::path& file) {
  const toml::node* n = root.get(key);
  if (!n) throw InputError(SourcePos{file, 0, 0}, key, "required section [" + key + "] is missing");
  if (!n->is_table()) throw InputError(pos_of(*n), key, "expected a table [" + key + "]");
  return *n->as_table();
}

/// Throws InputError unless `name` (a device or model card name from `key`) is a plain
/// file name: not empty, no '/' or '\\', not "." or "..", no control characters. A card
/// name names a card in its folder; it is not a path.
void check_card_name(const std::string& name, const SourcePos& pos, const std::string& key, const std::string& what) {
  const bool bad_char = std::any_of(name.begin(), name.end(), [](char c) {
    return c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
  });
  if (name.empty() || name == "." || name == ".." || bad_char)
    throw InputError(pos, key,
                     "'" + quote_excerpt(name) + "' is not a " + what +
                         " name: write the card's file name without folder or extension (no '/', '..')");
}

/// Applies one "a.b.c=value" override to the tree. The value is parsed as a TOML value;
/// when that fails it is taken as a plain string (so --set mechanism.name=cascade works).
void apply_override(toml::table& root, const std::string& assignment) {
  const auto eq = assignment.find('=');
  const SourcePos pos{"--set '" + assignment + "'", 0, 0};  // no line/column: they would read as part of the value
  if (eq == std::string::npos || eq == 0)
    throw InputError(pos, assignment, "expected key=value (e.g. mechanism.threshold=0.4)");
  const std::string path = assignment.substr(0, eq);
  const std::string value = assignment.substr(eq + 1);
  toml::table parsed;
  try {
    parsed = toml::parse("v = " + value, std::string_view("--set " + assignment));
  } catch (const toml::parse_error&) {
    // A bare string (--set mechanism.name=cascade): parsed as a TOML basic string so the
    // node keeps its "--set ..." position for messages.
    std::string quoted = "v = \"";
    for (const char c : value) {
      const auto u = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') quoted += '\\', quoted += c;
      else if (u < 0x20 || u == 0x7f) quoted += fmt::format("\\u{:04x}", u);
      else quoted += c;
    }
    quoted += '"';
    try {
      parsed = toml::parse(quoted, std::string_view("--set " + assignment));
    } catch (const toml::parse_error&) {  // e.g. invalid UTF-8: keep the value, lose the position
      parsed = toml::parse("v = \"\"", std::string_view("--set " + assignment));
      parsed.insert_or_assign("v", value);
    }
  }
  toml::table* t = &root;
  std::size_t start = 0;
  for (;;) {
    const auto dot = path.find('.', start);
    const std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (part.empty()) throw InputError(pos, path, "empty key component");
    if (dot == std::string::npos) {
      t->insert_or_assign(part, std::move(*parsed.get("v")));  // moved: keeps the "--set" position
      return;
    }
    toml::node* next = t->get(part);
    if (!next) {
      t->insert(part, toml::table{});
      next = t->get(part);
    }
    if (!next->is_table())
      throw InputError(pos, path, "'" + part + "' is not a table, cannot set a key inside it");
    t = next->as_table();
    start = dot + 1;
  }
}

/// Removes one "a.b.c" key (a value or a whole table) from the tree (`--unset`). Throws
/// InputError naming the key when the scenario does not hold it (a typo must not pass
/// silently), or when a component on the way is not a table.
void apply_unset(toml::table& root, const std::string& path) {
  const SourcePos pos{"--unset '" + path + "'", 0, 0};
  toml::table* t = &root;
  std::size_t start = 0;
  for (;;) {
    const auto dot = path.find('.', start);
    const std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (part.empty()) throw InputError(pos, path, "empty key component (write --unset section.key)");
    toml::node* next = t->get(part);
    if (!next)
      throw InputError(pos, path,
                       "the scenario has no '" + path.substr(0, dot == std::string::npos ? path.size() : dot) +
                           "' to unset");
    if (dot == std::string::npos) {
      t->erase(part);
      return;
    }
    if (!next->is_table()) throw InputError(pos, path, "'" + part + "' is not a table, it holds no keys");
    t = next->as_table();
    start = dot + 1;
  }
}

/// Where each shared-data file comes from (from ../shared/data/*/SOURCE.md), for errors.
std::string data_origin(const std::string& rel) {
  if (rel.find("azure_llm_2023") != std::string::npos)
    return "the Azure LLM inference trace 2023 (repository Azure/AzurePublicDataset, "
           "data/AzureLLMInferenceTrace_*.csv, CC BY 4.0; Patel et al., Splitwise, ISCA 2024)";
  if (rel.find("mooncake") != std::string::npos)
    return "the Mooncake FAST'25 trace (repository kvcache-ai/Mooncake, "
           "FAST25-release/traces/conversation_trace.jsonl, Apache-2.0)";
  if (rel.find("mmlu_pro") != std::string::npos)
    return "the MMLU-Pro 30-model matrix derived from TIGER-AI-Lab/MMLU-Pro eval_results "
           "(Apache-2.0); see shared/data/quality/SOURCE.md";
  if (rel.find("servegen") != std::string::npos)
    return "a ServeGen per-client window file (repository alibaba/ServeGen, data/<pool>/chunk-<client>-trace.csv, "
           "Apache-2.0); see shared/data/traces/SOURCE.md";
  if (rel.find("routellm") != std::string::npos)
    return "RouteLLM evaluation data (repository lm-sys/RouteLLM, Apache-2.0)";
  return "a data file";
}

fs::path resolve_data_file(const std::string& rel, const std::vector<fs::path>& data_dirs,
                           const SourcePos& pos, const std::string& key) {
  const fs::path p(rel);
  if (rel.empty()) throw InputError(pos, key, "empty file name");
  if (p.is_absolute()) {
    if (input_exists(p)) {
      check_input_file(p, pos, key, "data file");
      return p;
    }
  } else {
    for (const auto& d : data_dirs)
      if (input_exists(d / p)) {
        const fs::path found = fs::weakly_canonical(d / p);
        check_input_file(found, pos, key, "data file");
        return found;
      }
  }
  std::string looked;
  if (p.is_absolute())
    looked = p.string();
  else
    for (const auto& d : data_dirs) looked += (looked.empty() ? "" : ", ") + (d / p).string();
  throw InputError(pos, key,
                   "file '" + rel + "' not found (looked in: " + looked + "). It is " +
                       data_origin(rel) +
                       ". Point --data-dir or $COLLABSIM_DATA at the folder that holds it.");
}

std::string file_stem(const fs::path& p) { return p.stem().string(); }

/// "-<mechanism>" when the overrides set mechanism.name (the default result name then says
/// which mechanism ran, so it never replaces the scenario's own result; W6), else "".
std::string mechanism_suffix(const std::vector<std::string>& overrides) {
  std::string name;
  for (const auto& o : overrides) {
    const auto eq = o.find('=');
    if (eq == std::string::npos) continue;
    std::string key = o.substr(0, eq), value = o.substr(eq + 1);
    auto trim = [](std::string& t) {
      while (!t.empty() && (t.back() == ' ' || t.back() == '"' || t.back() == '\'')) t.pop_back();
      while (!t.empty() && (t.front() == ' ' || t.front() == '"' || t.front() == '\'')) t.erase(t.begin());
    };
    trim(key);
    trim(value);
    if (key == "mechanism.name") name = value;
  }
  const bool safe = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
  return safe && name != "." && name != ".." ? "-" + name : "";
}

/// The sub-tables of [workload] ([workload.arrivals], [workload.lengths],
/// [workload.service]) and the checks that tie them to the format.
void read_generated_workload(const toml::table& wl_t, const ParamSet& wl, const std::vector<fs::path>& data_dirs,
                             WorkloadSpec& w) {
  auto sub = [&](const char* name) -> const toml::table* {
    const toml::node* n = wl_t.get(name);
    if (!n) return nullptr;
    if (!n->is_table())
      throw InputError(pos_of(*n), std::string("workload.") + name, std::string("expected a table [workload.") + name + "]");
    return n->as_table();
  };
  const toml::table empty;
  const toml::table* arr_t = sub("arrivals");
  const toml::table* len_t = sub("lengths");
  const toml::table* svc_t = sub("service");
  if (svc_t) w.service = workload::service_from(read_params(*svc_t, workload::service_fields(), "workload.service"),
                                                "workload.service");
  if (!w.generated()) {
    for (const auto& [t, name] :
         std::initializer_list<std::pair<const toml::table*, const char*>>{{arr_t, "arrivals"}, {len_t, "lengths"}})
      if (t)
        throw InputError(pos_of(*t), std::string("workload.") + name,
                         std::string("[workload.") + name + "] belongs to format = \"generated\"");
    if (wl.given("duration"))
      throw InputError(wl.pos("duration"), "workload.duration",
                       "a trace ends by itself; bound it with workload.end or workload.limit");
    return;
  }
  const ParamSet a = read_params(arr_t ? *arr_t : empty, workload::arrival_fields(), "workload.arrivals");
  w.arrivals = workload::arrival_from(a, "workload.arrivals");
  if (!arr_t) w.arrivals.pos = pos_of(wl_t);
  if (w.arrivals.process->reads_windows)
    w.arrivals.servegen = resolve_data_file(a.text("servegen_file"), data_dirs, a.pos("servegen_file"),
                                            "workload.arrivals.servegen_file");
  const ParamSet l = read_params(len_t ? *len_t : empty, workload::length_fields(), "workload.lengths");
  w.lengths = workload::length_from(l, "workload.lengths");
  if (w.lengths.source->reads_trace)
    w.lengths.trace = resolve_data_file(l.text("trace"), data_dirs, l.pos("trace"), "workload.lengths.trace");
  if (w.lengths.source->reads_dataset)
    w.lengths.dataset = resolve_data_file(l.text("dataset"), data_dirs, l.pos("dataset"), "workload.lengths.dataset");
  if (wl.given("repeat"))
    throw InputError(wl.pos("repeat"), "workload.repeat", "repeat replays a trace; a generator runs on: use duration");
  if (!w.arrivals.process->reads_windows)
    for (const char* k : {"start", "end"})
      if (wl.given(k))
        throw InputError(wl.pos(k), std::string("workload.") + k,
                         "a window of the generator's clock applies to a ServeGen file only; use duration");
  if (!w.arrivals.process->reads_windows && w.limit == 0 && w.duration == 0)
    throw InputError(w.arrivals.pos, "workload.limit",
                     "a generated workload needs a bound: workload.limit (requests) or workload.duration (s)");
  if (w.arrivals.process->closed_loop && wl.given("rate_scale"))
    throw InputError(wl.pos("rate_scale"), "workload.rate_scale",
                     "a closed loop's rate follows from users and think time; rate_scale does not apply");
}

}  // namespace

const DeviceSpec& Scenario::device(const std::string& name) const {
  for (const auto& d : devices)
    if (d.name == name) return d;
  throw std::out_of_range("no device '" + name + "'");
}

const DeploymentSpec& Scenario::deployment(const std::string& name) const {
  for (const auto& d : deployments)
    if (d.name == name) return d;
  throw std::out_of_range("no deployment '" + name + "'");
}

std::size_t Scenario::deployment_index(const std::string& name, const SourcePos& pos,
                                       const std::string& key) const {
  for (std::size_t i = 0; i < deployments.size(); ++i)
    if (deployments[i].name == name) return i;
  std::string list;
  for (const auto& d : deployments) list += (list.empty() ? "" : ", ") + d.name;
  throw InputError(pos, key, "no deployment named '" + name + "' (deployments: " + list + ")");
}

// ---------------------------------------------------------------- loader steps

namespace {

/// The scenario file parsed, `options.unsets` removed and `options.overrides` applied.
toml::table read_tree(const fs::path& file, const LoadOptions& options) {
  if (!input_exists(file)) throw InputError(SourcePos{file, 0, 0}, "", "scenario file does not exist");
  check_input_file(file, SourcePos{}, "", "the scenario");
  if (std::error_code ec; fs::file_size(file, ec) > kMaxTomlBytes)
    throw InputError(SourcePos{file, 0, 0}, "", "the scenario is larger than 16 MiB: not a scenario file");
  toml::table root = parse_toml_file(file, SourcePos{file, 0, 0}, "", "scenario");
  for (const auto& u : options.unsets) apply_unset(root, u);  // first: --unset k --set k=... replaces k
  for (const auto& o : options.overrides) apply_override(root, o);
  return root;
}

/// Parses the scenario file, applies the --set overrides (recorded with the text they
/// produce) and refuses unknown sections.
void read_root(const fs::path& file, const LoadOptions& options, Scenario& sc, toml::table& root) {
  root = read_tree(file, options);
  sc.source_text = read_text(file);
  sc.overrides = options.overrides;
  {
    std::ostringstream os;
    os << toml::toml_formatter(root);
    sc.effective_toml = os.str();
  }
  // [sweep] describes a parameter study (sim/study/sweep_spec.hpp); a single run ignores it.
  static const std::vector<std::string> kSections = {"run",   "workload",    "quality",   "devices",
                                                     "links", "deployments", "mechanism", "sweep", "slo"};
  for (const auto& [k, node] : root) {
    const std::string key(k.str());
    if (std::find(kSections.begin(), kSections.end(), key) == kSections.end()) {
      std::string hint;
      std::size_t best = 4;
      for (const auto& known : kSections)
        if (const auto d = edit_distance(key, known); d < best) best = d, hint = "did you mean '" + known + "'? ";
      throw InputError(pos_of(node), key,
                       "unknown section; " + hint +
                           "(known: run, workload, quality, slo, devices, links, deployments, mechanism, sweep)");
    }
  }
}

/// [run]: name (a plain file name: it becomes results/<name>.h5), seed, timelines, spans,
/// limits and the output file. Returns the section's parameters (the folders read them).
ParamSet read_run(const toml::table& root, const fs::path& file, const LoadOptions& options, RunSpec& r) {
  const toml::table empty;
  const toml::table* run_t = root.get("run") ? root.get("run")->as_table() : &empty;
  if (!run_t) throw InputError(pos_of(*root.get("run")), "run", "expected a table [run]");
  ParamSet run = read_params(*run_t, run_fields(), "run");
  r.name = run.text("name").empty() ? file_stem(file) : run.text("name");
  const std::string& n = r.name;  // it must stay inside the output folder
  const bool bad = n == "." || n == ".." || n.find('/') != std::string::npos || n.find('\\') != std::string::npos ||
                   std::any_of(n.begin(), n.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; });
  if (bad)
    throw InputError(run.given("name") ? run.pos("name") : SourcePos{file, 0, 0}, "run.name",
                     "'" + quote_excerpt(n) + "' is not a run name: no '/', '\\', '..' or control characters "
                     "(the name becomes results/<name>.h5; use run.output or -o for another folder)");
  r.seed = static_cast<std::uint64_t>(run.integer("seed"));
  r.sample_interval = run.number("sample_interval");
  r.record_spans = run.flag("record_spans");
  if (r.sample_interval > 0 && r.sample_interval < 1e-3)
    throw InputError(run.pos("sample_interval"), "run.sample_interval",
                     fmt::format("{} s is too fine: use 0 (no timelines) or at least 1 ms", r.sample_interval));
  r.max_sim_time = run.number("max_sim_time");
  r.max_events = static_cast<std::uint64_t>(run.integer("max_events"));
  r.max_in_flight = run.integer("max_in_flight");
  if (options.output)
    r.output = *options.output;
  else if (!run.text("output").empty())
    r.output = run.text("output");
  else
    r.output = fs::path("results") / (r.name + mechanism_suffix(options.overrides) + ".h5");
  return run;
}

/// Where a scenario's files are: its own folder, the data folders in order of precedence
/// (--data-dir, $COLLABSIM_DATA, run.data_dir, ../shared/data, the source tree's) and the
/// cards folder (run.models_dir, else the source tree's models/).
struct Folders {
  fs::path dir;
  std::vector<fs::path> data_dirs;
  fs::path models_dir;
};

Folders scenario_folders(const fs::path& file, const ParamSet& run, const LoadOptions& options) {
  Folders f;
  f.dir = fs::absolute(file).parent_path();
  if (options.data_dir) {  // a folder that is not there is an error, never a silent fallback
    std::error_code ec;
    if (!fs::is_directory(*options.data_dir, ec))
      throw InputError(SourcePos{"command line", 0, 0}, "--data-dir",
                       "'" + options.data_dir->string() + "' is not a folder" +
                           (fs::exists(*options.data_dir, ec) ? "" : " (it does not exist)") +
                           ": data files are never looked up elsewhere in its place");
    f.data_dirs.push_back(*options.data_dir);
  }
  if (const char* env = std::getenv("COLLABSIM_DATA"); env && *env) f.data_dirs.emplace_back(env);
  if (!run.text("data_dir").empty()) f.data_dirs.push_back(f.dir / run.text("data_dir"));
  f.data_dirs.emplace_back(fs::path("..") / "shared" / "data");
  if (std::string(COLLABSIM_DEFAULT_SOURCE_DIR).size())
    f.data_dirs.push_back(fs::path(COLLABSIM_DEFAULT_SOURCE_DIR) / ".." / "shared" / "data");
  f.models_dir = f.dir / run.text("models_dir");
  if (!input_exists(f.models_dir) && std::string(COLLABSIM_DEFAULT_SOURCE_DIR).size())
    f.models_dir = fs::path(COLLABSIM_DEFAULT_SOURCE_DIR) / "models";
  return f;
}

/// [workload.attributes] and its [workload.attributes.categories.<category>] tables
/// (workload/request_attributes.hpp), when present.
void read_attributes(const toml::table& wl_t, WorkloadSpec& w) {
  const toml::node* at_n = wl_t.get("attributes");
  if (!at_n) return;
  if (!at_n->is_table()) throw InputError(pos_of(*at_n), "workload.attributes", "expected a table [workload.attributes]");
  static const std::vector<std::string> kAttributeTables = {"categories"};
  const toml::table& at_t = *at_n->as_table();
  w.attributes = workload::attribute_from(
      read_params(at_t, workload::attribute_fields(), "workload.attributes", kAttributeTables));
  w.attributes.pos = pos_of(at_t);
  const toml::node* cat_n = at_t.get("categories");
  if (!cat_n) return;
  if (!cat_n->is_table())
    throw InputError(pos_of(*cat_n), "workload.attributes.categories",
                     "expected tables [workload.attributes.categories.<category>]");
  for (const auto& [k, node] : *cat_n->as_table()) {
    const std::string ctx = "workload.attributes.categories." + std::string(k.str());
    if (!node.is_table()) throw InputError(pos_of(node), ctx, "expected a table [" + ctx + "]");
    auto c = workload::category_attribute_from(
        read_params(*node.as_table(), workload::category_attribute_fields(), ctx), std::string(k.str()));
    c.pos = pos_of(node);
    w.attributes.categories.push_back(std::move(c));
  }
}

/// [workload.users] (workload/user_sessions.hpp), when present: users and sessions for a
/// trace without user ids. Refused beside [workload.attributes] users (two sources of user
/// ids) and with a closed-loop generator (which has its own users).
void read_users(const toml::table& wl_t, WorkloadSpec& w) {
  const toml::node* n = wl_t.get("users");
  if (!n) return;
  if (!n->is_table()) throw InputError(pos_of(*n), "workload.users", "expected a table [workload.users]");
  w.users = workload::user_spec_from(read_params(*n->as_table(), workload::user_fields(), "workload.users"));
  w.users.pos = pos_of(*n);
  if (w.attributes.users > 0)
    throw InputError(w.users.pos, "workload.users",
                     "give users either in [workload.users] or as workload.attributes.users, not both");
  if (w.generated() && w.arrivals.process && w.arrivals.process->closed_loop)
    throw InputError(w.users.pos, "workload.users",
                     "applies to open arrivals (a trace, or a poisson/gamma/weibull/servegen generator); a closed "
                     "loop has its own users (workload.arrivals.users)");
}

/// [workload]: the trace (or a generator), its window and scaling, and its sub-tables.
/// Returns the section's parameters (the origin is checked once the devices are known).
ParamSet read_workload(const toml::table& root, const fs::path& file, const Folders& folders, WorkloadSpec& w) {
  const toml::table& wl_t = require_table(root, "workload", file);
  static const std::vector<std::string> kWorkloadTables = {"arrivals", "lengths", "service", "attributes", "users"};
  ParamSet wl = read_params(wl_t, workload_fields(), "workload", kWorkloadTables);
  w.format = wl.text("format");
  const bool generated = w.generated();
  if (!generated && wl.text("trace").empty())
    throw InputError(wl.given("trace") ? wl.pos("trace") : pos_of(wl_t), "workload.trace",
                     "required: the trace file (or set workload.format = \"generated\")");
  if (generated && wl.given("trace"))
    throw InputError(wl.pos("trace"), "workload.trace",
                     "a generated workload reads no trace here; lengths from a trace are workload.lengths.trace");
  if (!generated) w.trace = resolve_data_file(wl.text("trace"), folders.data_dirs, wl.pos("trace"), "workload.trace");
  w.origin = wl.text("origin");
  w.limit = wl.integer("limit");
  w.rate_scale = wl.number("rate_scale");
  w.bytes_per_token = wl.number("bytes_per_token");
  w.timeout = wl.number("timeout");
  w.private_share = wl.number("private_share");
  w.repeat = wl.integer("repeat");
  w.start = wl.number("start");
  w.end = wl.number("end");
  if (w.end > 0 && w.end <= w.start)
    throw InputError(wl.pos("end"), "workload.end",
                     fmt::format("the window ends ({} s) before it starts ({} s)", w.end, w.start));
  w.duration = wl.number("duration");
  w.pos = pos_of(wl_t);
  read_generated_workload(wl_t, wl, folders.data_dirs, w);
  read_attributes(wl_t, w);
  read_users(wl_t, w);
  return wl;
}

/// [quality]: the table (resolved in the data folders), its format and blank policy, the
/// categories joined, prompt lengths from questions, the synthetic IRT option.
void read_quality(const toml::table& root, const fs::path& file, const Folders& folders, QualitySpec& q) {
  const toml::table& q_t = require_table(root, "quality", file);
  const ParamSet p = read_params(q_t, quality_fields(), "quality");
  q.table = resolve_data_file(p.text("table"), folders.data_dirs, p.pos("table"), "quality.table");
  q.pos = pos_of(q_t);
  q.format = p.text("format");
  q.blank = p.text("blank");
  q.categories = p.texts("categories");
  q.categories_pos = p.given("categories") ? p.pos("categories") : q.pos;
  q.prompt_tokens = p.text("prompt_tokens");
  q.output_tokens = p.text("output_tokens");
  q.chars_per_token = p.number("chars_per_token");
  q.synthetic = p.text("synthetic");
  q.irt_columns = p.texts("irt_columns");
  if (!p.text("questions").empty())
    q.questions = resolve_data_file(p.text("questions"), folders.data_dirs, p.pos("questions"), "quality.questions");
}

/// [slo] (optional): TTFT and TPOT targets.
void read_slo(const toml::table& root, SloSpec& slo) {
  const auto* slo_n = root.get("slo");
  if (!slo_n) return;
  if (!slo_n->is_table()) throw InputError(pos_of(*slo_n), "slo", "expected a table [slo]");
  const ParamSet p = read_params(*slo_n->as_table(), slo_fields(), "slo");
  slo.ttft = p.number("ttft");
  slo.tpot = p.number("tpot");
  slo.pos = pos_of(*slo_n);
}

/// [devices.*] merged over their cards: the card's keys lie under the scenario's; nodes
/// are read in place, so every message names the file (card or scenario) and line of the
/// value at fault.
void read_devices(const toml::table& root, const fs::path& file, const Folders& folders, Scenario& sc) {
  const toml::table& dev_t = require_table(root, "devices", file);
  for (const auto& [k, node] : dev_t) {
    const std::string name(k.str());
    const std::string ctx = "devices." + name;
    if (!node.is_table()) throw InputError(pos_of(node), ctx, "expected a table [" + ctx + "]");
    const toml::table& t = *node.as_table();
    std::optional<toml::table> card_t;
    if (const auto card = t.get("card"); card && card->is_string()) {
      const std::string card_name = card->value<std::string>().value();
      check_card_name(card_name, pos_of(*card), ctx + ".card", "device card");
      const fs::path card_path = folders.models_dir / "devices" / (card_name + ".toml");
      card_t = parse_toml_file(card_path, pos_of(*card), ctx + ".card", "device card");
      sc.card_files.emplace_back("device_card", card_path);
      if (card_t->contains("card"))
        throw InputError(pos_of(*card_t->get("card")), ctx + ".card", "a device card cannot name another card");
    }
    const ParamSet p = read_params_over(t, card_t ? &*card_t : nullptr, device_fields(), ctx);
    DeviceSpec d = device_from(p, name, ctx);
    if (!d.allreduce_profile.empty())
      d.allreduce_profile = resolve_data_file(d.allreduce_profile, folders.data_dirs, p.pos("allreduce_profile"),
                                              ctx + ".allreduce_profile")
                                .string();
    d.pos = pos_of(t);
    sc.devices.push_back(std::move(d));
  }
  if (sc.devices.empty()) throw InputError(pos_of(dev_t), "devices", "no devices declared");
}

/// Throws InputError at `pos`/`key`, listing the devices, unless a device is named `name`.
void check_device(const Scenario& sc, const std::string& name, const SourcePos& pos, const std::string& key) {
  for (const auto& d : sc.devices)
    if (d.name == name) return;
  std::string list;
  for (const auto& d : sc.devices) list += (list.empty() ? "" : ", ") + d.name;
  throw InputError(pos, key, "no device named '" + name + "' (devices: " + list + ")");
}

/// [links.*]: between declared devices; an RRC radio needs a per-user end; a bandwidth
/// trace is a file beside the scenario.
void read_links(const toml::table& root, const Folders& folders, Scenario& sc) {
  const auto* lt = root.get("links");
  if (!lt) return;
  if (!lt->is_table()) throw InputError(pos_of(*lt), "links", "expected a table [links]");
  for (const auto& [k, node] : *lt->as_table()) {
    const std::string ctx = "links." + std::string(k.str());
    if (!node.is_table()) throw InputError(pos_of(node), ctx, "expected a table [" + ctx + "]");
    const ParamSet p = read_params(*node.as_table(), link_fields(), ctx);
    check_device(sc, p.text("from"), p.pos("from"), ctx + ".from");
    check_device(sc, p.text("to"), p.pos("to"), ctx + ".to");
    LinkSpec l = link_from(p, std::string(k.str()), ctx);
    if (l.rrc.model != RadioModel::none && !sc.device(l.from).per_user && !sc.device(l.to).per_user)
      throw InputError(p.pos("radio"), ctx + ".radio",
                       "an RRC radio belongs to a per-user end: neither '" + l.from + "' nor '" + l.to +
                           "' is a per-user device");
    if (!p.text("bandwidth_trace").empty()) {
      l.bandwidth_trace = folders.dir / p.text("bandwidth_trace");
      if (!input_exists(l.bandwidth_trace))
        throw InputError(p.pos("bandwidth_trace"), ctx + ".bandwidth_trace",
                         "file '" + l.bandwidth_trace.string() + "' does not exist");
      check_input_file(l.bandwidth_trace, p.pos("bandwidth_trace"), ctx + ".bandwidth_trace", "bandwidth trace");
    }
    l.pos = pos_of(node);
    sc.links.push_back(std::move(l));
  }
}

/// A deployment's measured latency profile: SplitwiseSim's perf_model.csv (`splitwise`
/// selects its rows) or a CSV beside the scenario. Parsed now, through `profiles` when
/// given (one parse per process), so a bad file or selection fails at load and the runs
/// reuse the table (DeploymentSpec::profile_table).
void read_latency_profile(const ParamSet& p, const std::string& ctx, const Folders& folders, ProfileCache* profiles,
                          DeploymentSpec& d) {
  d.splitwise = p.text("splitwise");
  if (!d.splitwise.empty()) {
    if (p.text("profile").empty())
      throw InputError(p.pos("splitwise"), ctx + ".splitwise", "needs `profile` = SplitwiseSim's perf_model.csv");
    d.profile = resolve_data_file(p.text("profile"), folders.data_dirs, p.pos("profile"), ctx + ".profile");
    try {
      d.profile_table = profiles ? profiles->get(d.profile, d.splitwise) : load_profile(d.profile, d.splitwise);
    } catch (const std::invalid_argument& e) {
      throw InputError(p.pos("splitwise"), ctx + ".splitwise", e.what());
    }
  } else if (!p.text("profile").empty()) {
    d.profile = folders.dir / p.text("profile");
    if (!input_exists(d.profile))
      throw InputError(p.pos("profile"), ctx + ".profile", "file '" + d.profile.string() + "' does not exist");
    check_input_file(d.profile, p.pos("profile"), ctx + ".profile", "latency profile");
    d.profile_table = profiles ? profiles->get(d.profile, "") : load_profile(d.profile, "");
  }
}

/// The API energy estimate of a deployment on a priced API (docs/ENERGY.md): the
/// provider's assumed hardware card, whose busy power sets ApiEnergySpec::power.
void read_api_energy(const ParamSet& p, const std::string& ctx, const Folders& folders, const DeviceSpec& dev,
                     DeploymentSpec& d) {
  if (!d.api_energy) return;
  ApiEnergySpec& api = *d.api_energy;
  const SourcePos& cpos = p.pos("api_energy_card");
  check_card_name(api.card, cpos, ctx + ".api_energy_card", "device card");
  if (dev.busy_power > 0)
    throw InputError(cpos, ctx + ".api_energy_card",
                     "device '" + dev.name + "' has a power model (busy_power > 0): the API energy estimate is "
                     "for deployments on a priced API with no hardware model");
  const toml::table card = parse_toml_file(folders.models_dir / "devices" / (api.card + ".toml"), cpos,
                                           ctx + ".api_energy_card", "device card");
  const DeviceSpec hw =
      device_from(read_params(card, device_fields(), ctx + ".api_energy_card"), api.card, ctx + ".api_energy_card");
  if (hw.busy_power <= 0)
    throw InputError(cpos, ctx + ".api_energy_card", "card '" + api.card + "' has no busy_power");
  api.power = hw.busy_watts_per_sequence(api.accelerators, api.batch);
}

/// What a deployment needs from its device: the roofline's numbers (without a profile),
/// a shared pool for autoscaling and prefix caching, and room for the weights.
void check_deployment_device(const ParamSet& p, const std::string& ctx, const DeviceSpec& dev,
                             const DeploymentSpec& d) {
  const ModelCard& m = d.model;
  if (d.profile.empty()) {  // the roofline needs the architecture and the hardware
    if (const char* missing = m.missing_roofline_field())
      throw InputError(p.pos("model"), ctx + ".model",
                       "model card '" + m.id + "' has no '" + missing +
                           "': the roofline needs it; give the deployment a measured `profile` instead");
    if (dev.peak_flops <= 0 || dev.memory_bandwidth <= 0)
      throw InputError(p.pos("device"), ctx + ".device",
                       "device '" + dev.name + "' has no peak_flops/memory_bandwidth: the roofline "
                       "needs them; give the deployment a measured `profile` instead");
  }
  if (d.autoscaled() && dev.per_user)
    throw InputError(p.pos("autoscale"), ctx + ".autoscale",
                     "device '" + dev.name + "' is per-user: autoscaling applies to shared pools");
  if (d.prefix_cache() && dev.per_user)
    throw InputError(p.pos("prefix_cache"), ctx + ".prefix_cache",
                     "device '" + dev.name + "' is per-user: prefix caching applies to shared pools");
  if (d.autoscaled() && d.batching->autoscale->min_replicas > dev.replicas)
    throw InputError(p.pos("autoscale_min_replicas"), ctx + ".autoscale_min_replicas",
                     fmt::format("{} exceeds device '{}' replicas = {}", d.batching->autoscale->min_replicas, dev.name,
                                 dev.replicas));
  // The weights must fit in the memory of one replica (when the memory is known).
  const double mem = d.usable_memory(dev);
  if (dev.memory > 0 && m.weight_bytes() >= mem)
    throw InputError(p.pos("device"), ctx + ".device",
                     fmt::format("model '{}' needs {:.1f} GB of weights but device '{}' has "
                                 "{:.1f} GB usable per replica (memory × accelerators × kv_memory_utilization); "
                                 "raise accelerators or quantise",
                                 m.id, m.weight_bytes() / 1e9, dev.name, mem / 1e9));
}

/// Records the card files a deployment was read from (provenance: scenario_inputs.hpp).
void record_cards(const DeploymentSpec& d, const Folders& folders, Scenario& sc) {
  sc.card_files.emplace_back("model_card", folders.models_dir / "llms" / (d.model.id + ".toml"));
  if (d.api_energy)
    sc.card_files.emplace_back("device_card", folders.models_dir / "devices" / (d.api_energy->card + ".toml"));
}

/// One [deployments.<name>] with its model card.
DeploymentSpec read_deployment(const std::string& name, const toml::node& node, const Folders& folders,
                               ProfileCache* profiles, const Scenario& sc) {
  const std::string ctx = "deployments." + name;
  if (!node.is_table()) throw InputError(pos_of(node), ctx, "expected a table [" + ctx + "]");
  const ParamSet p = read_params(*node.as_table(), deployment_fields(), ctx);
  DeploymentSpec d = deployment_from(p, name);
  d.device = p.text("device");
  check_device(sc, d.device, p.pos("device"), ctx + ".device");
  check_card_name(p.text("model"), p.pos("model"), ctx + ".model", "model card");
  const fs::path card_path = folders.models_dir / "llms" / (p.text("model") + ".toml");
  const toml::table card = parse_toml_file(card_path, p.pos("model"), ctx + ".model", "model card");
  d.model = model_card_from(read_params(card, model_card_fields(), ""), p.text("model"));
  d.quality_column = p.text("quality_column").empty() ? d.model.quality_column : p.text("quality_column");
  if (d.quality_column.empty())
    throw InputError(p.pos("model"), ctx + ".quality_column", "no quality column: set it here or in the model card");
  read_latency_profile(p, ctx, folders, profiles, d);
  d.pos = pos_of(node);
  const DeviceSpec& dev = sc.device(d.device);
  read_api_energy(p, ctx, folders, dev, d);
  check_deployment_device(p, ctx, dev, d);
  return d;
}

/// Prefill/decode disaggregation: the decode deployment exists, runs the same model, does
/// not hand on again, and both ends are shared pools on the roofline model.
void check_disaggregation(const Scenario& sc) {
  for (const auto& d : sc.deployments) {
    if (d.decode_on.empty()) continue;
    const std::string key = "deployments." + d.name + ".decode_on";
    const DeploymentSpec& to = sc.deployments[sc.deployment_index(d.decode_on, d.decode_on_pos, key)];
    if (to.name == d.name) throw InputError(d.decode_on_pos, key, "a deployment cannot decode for itself");
    if (to.model.id != d.model.id)
      throw InputError(d.decode_on_pos, key,
                       "'" + to.name + "' runs model '" + to.model.id + "', not '" + d.model.id +
                           "': the decode continues the prefill's KV cache, so both must run the same model");
    if (!to.decode_on.empty())
      throw InputError(d.decode_on_pos, key, "'" + to.name + "' itself hands its decode on: no chains");
    if (sc.device(d.device).per_user || sc.device(to.device).per_user)
      throw InputError(d.decode_on_pos, key, "disaggregation joins two shared pools (neither device per-user)");
    if (d.latency != LatencyMode::model || to.latency != LatencyMode::model)
      throw InputError(d.decode_on_pos, key, "disaggregation needs latency = \"model\" on both deployments");
  }
}

/// Heterogeneous pools (share_with): members exist, serve the same model with the same
/// latency mode, are listed once and do not nest.
void check_pools(const Scenario& sc) {
  for (const auto& d : sc.deployments) {
    const std::string key = "deployments." + d.name + ".share_with";
    for (const auto& m : d.share_with) {
      const DeploymentSpec& to = sc.deployments[sc.deployment_index(m, d.share_with_pos, key)];
      if (to.name == d.name) throw InputError(d.share_with_pos, key, "a deployment cannot share with itself");
      if (to.model.id != d.model.id)
        throw InputError(d.share_with_pos, key,
                         "'" + to.name + "' runs model '" + to.model.id + "', not '" + d.model.id +
                             "': the members of a pool serve the same model");
      if (!to.share_with.empty())
        throw InputError(d.share_with_pos, key, "'" + to.name + "' has its own share_with: no nested pools");
      if (std::count(d.share_with.begin(), d.share_with.end(), m) > 1)
        throw InputError(d.share_with_pos, key, "'" + m + "' is listed twice");
      if (to.latency != d.latency)
        throw InputError(d.share_with_pos, key, "'" + to.name + "' must have the same latency mode");
    }
  }
}

/// share_with and decode_on as deployment indices (DeploymentSpec::pool, decode_index),
/// after check_pools and check_disaggregation validated the names.
void resolve_serving(Scenario& sc) {
  for (std::size_t i = 0; i < sc.deployments.size(); ++i) {
    DeploymentSpec& d = sc.deployments[i];
    const std::string ctx = "deployments." + d.name;
    if (!d.share_with.empty()) {
      d.pool.push_back(i);
      for (const auto& m : d.share_with) d.pool.push_back(sc.deployment_index(m, d.share_with_pos, ctx + ".share_with"));
    }
    if (!d.decode_on.empty()) d.decode_index = sc.deployment_index(d.decode_on, d.decode_on_pos, ctx + ".decode_on");
  }
}

/// latency = "service_time" and [workload.service] go together: each needs the other, and
/// a shared device serves service times with scheduler = "fcfs".
void check_service_time(const Scenario& sc) {
  bool any_service_time = false;
  for (const auto& d : sc.deployments) {
    if (d.latency != LatencyMode::service_time) continue;
    any_service_time = true;
    const std::string key = "deployments." + d.name + ".latency";
    if (sc.workload.service.distribution == "none")
      throw InputError(d.latency_pos, key,
                       "latency = \"service_time\" serves each request for its service time: set "
                       "[workload.service] distribution and mean");
    if (!sc.device(d.device).per_user && !d.scheduler->holds_service_time)
      throw InputError(d.latency_pos, key,
                       "latency = \"service_time\" needs scheduler = \"fcfs\" on a shared device (a continuous "
                       "batch has no per-request service time)");
  }
  if (sc.workload.service.distribution != "none" && !any_service_time)
    throw InputError(sc.workload.service.pos, "workload.service.distribution",
                     "no deployment has latency = \"service_time\", so no request would be served for its "
                     "service time");
}

/// Every string value under a key named `weights` in `t` (any depth), in table order.
void collect_weight_values(const toml::table& t, std::vector<std::string>& out) {
  for (const auto& [k, node] : t) {
    if (k.str() == "weights" && node.is_string()) out.push_back(**node.as_string());
    if (const auto* sub = node.as_table()) collect_weight_values(*sub, out);
  }
}

/// The declaration named `name`; throws InputError at `pos`/`key` suggesting the closest
/// name and listing the known ones otherwise.
const MechanismDeclaration& find_declaration(std::span<const MechanismDeclaration> mechanisms,
                                             const std::string& name, const SourcePos& pos, const std::string& key) {
  for (const auto& m : mechanisms)
    if (m.name == name) return m;
  std::string list, best;
  std::size_t best_d = 4;
  for (const auto& m : mechanisms) {
    list += (list.empty() ? "" : ", ") + m.name;
    if (const auto d = edit_distance(name, m.name); d < best_d) best_d = d, best = m.name;
  }
  const std::string hint = best.empty() ? "" : "; did you mean '" + best + "'?";
  throw InputError(pos, key, "unknown mechanism '" + name + "'" + hint + " (known: " + list + ")");
}

/// `fields` without the distinct-entries check: the chosen mechanism checks its
/// deployment lists itself (ParamSet::require_distinct) after its cross-field rules, so
/// the error it reports first is the most specific one.
std::vector<Field> deferred_lists(const std::vector<Field>& fields) {
  std::vector<Field> out = fields;
  for (auto& f : out) f.distinct = false;
  return out;
}

/// [mechanism]: its registry name and one sub-table of parameters per mechanism, so a
/// scenario can carry settings for several mechanisms and switch with --set
/// mechanism.name=... Every sub-table is validated, used or not: a typo or a bad value in
/// the settings of another mechanism is an error now, not when someone switches to it.
void read_mechanism(const toml::table& root, const fs::path& file, std::span<const MechanismDeclaration> mechanisms,
                    MechanismSpec& m) {
  const toml::table& mech_t = require_table(root, "mechanism", file);
  collect_weight_values(mech_t, m.weight_values);
  const toml::node* name = mech_t.get("name");
  if (!name || !name->is_string())
    throw InputError(name ? pos_of(*name) : pos_of(mech_t), "mechanism.name",
                     "required: the mechanism's registry name (see `collabsim list`)");
  m.name = name->value<std::string>().value();
  m.pos = pos_of(mech_t);
  const MechanismDeclaration& chosen = find_declaration(mechanisms, m.name, pos_of(*name), "mechanism.name");
  std::optional<ParamSet> params;
  for (const auto& [k, v] : mech_t) {
    const std::string key(k.str());
    if (key == "name") continue;
    if (!v.is_table())
      throw InputError(pos_of(v), "mechanism." + key,
                       "parameters go in a sub-table [mechanism." + m.name + "] (see `collabsim list`)");
    const MechanismDeclaration& other = find_declaration(mechanisms, key, pos_of(v), "mechanism." + key);
    if (key == m.name)
      params = read_params(*v.as_table(), deferred_lists(other.params), "mechanism." + key);
    else
      read_params(*v.as_table(), other.params, "mechanism." + key);
  }
  static const toml::table kEmpty;
  m.params = params ? std::move(*params) : read_params(kEmpty, deferred_lists(chosen.params), "mechanism." + m.name);
}

}  // namespace

Scenario load_scenario(const fs::path& file, const LoadOptions& options,
                       std::span<const MechanismDeclaration> mechanisms) {
  Scenario sc;
  sc.file = file;
  toml::table root;
  read_root(file, options, sc, root);
  const ParamSet run = read_run(root, file, options, sc.run);
  const Folders folders = scenario_folders(file, run, options);
  const ParamSet wl = read_workload(root, file, folders, sc.workload);
  read_quality(root, file, folders, sc.quality);
  read_slo(root, sc.slo);
  read_devices(root, file, folders, sc);
  check_device(sc, sc.workload.origin, wl.pos("origin"), "workload.origin");
  read_links(root, folders, sc);
  const toml::table& dep_t = require_table(root, "deployments", file);
  for (const auto& [k, node] : dep_t) {
    sc.deployments.push_back(read_deployment(std::string(k.str()), node, folders, options.profiles, sc));
    record_cards(sc.deployments.back(), folders, sc);
  }
  if (sc.deployments.empty()) throw InputError(pos_of(dep_t), "deployments", "no deployments declared");
  check_disaggregation(sc);
  check_pools(sc);
  resolve_serving(sc);
  check_service_time(sc);
  read_mechanism(root, file, mechanisms, sc.mechanism);
  return sc;
}

toml::table scenario_tree(const fs::path& file, const LoadOptions& options) {
  return read_tree(file, options);
}

}  // namespace collabsim
