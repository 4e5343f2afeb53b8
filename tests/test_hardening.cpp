// Untrusted input never crashes, hangs or lies (issue 10): every numeric key is finite and
// in range, durations fit the clock, readers reject what they cannot represent, weights
// are validated before use, card names are names, input files are regular files, runs
// have limits. Each case asserts the exact failure: an InputError whose message names the
// file (and line) and the key or column at fault.
//
// Scenarios here are hermetic: a small trace and quality table written to a temp folder,
// cards from the repository's models/ folder, so the whole file runs in well under a second.
#include <gtest/gtest.h>

#include <H5Cpp.h>
#include <sys/stat.h>

#include <cmath>
#include <limits>

#include "sim/config/toml_params.hpp"
#include "sim/core/engine.hpp"
#include "sim/core/input_file.hpp"
#include "sim/config/params.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/config/units.hpp"
#include "sim/kernels/lm_pair.hpp"
#include "sim/kernels/question_corpus.hpp"
#include "sim/kernels/router_training.hpp"
#include "sim/mechanisms/registry.hpp"
#include "sim/quality/quality_table.hpp"
#include "sim/workload/azure_trace.hpp"
#include "sim/workload/mooncake_trace.hpp"
#include "test_support.hpp"

using namespace collabsim;
using namespace collabsim::testing;
namespace fs = std::filesystem;

namespace {

/// what() of the InputError `f` throws; fails the test when it throws nothing or another type.
template <class F>
std::string input_error(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected InputError, got: " << e.what();
    return "";
  }
  ADD_FAILURE() << "expected InputError, nothing thrown";
  return "";
}

#define EXPECT_HAS(text, part) EXPECT_NE((text).find(part), std::string::npos) << (text)
#define EXPECT_LACKS(text, part) EXPECT_EQ((text).find(part), std::string::npos) << (text)

// ---------------------------------------------------------------- params and units

const std::vector<Field>& fields() {
  static const std::vector<Field> f = {
      Field::real("auroc", 0.75, "1", "AUROC", 0.5, 0.999999),
      Field::quantity("latency", "40 ms", Dimension::Time, "latency"),
      Field::integer("replicas", 1, "1", "servers", 1, 1024),
      Field::integer("tokens", 8, "tokens", "tokens", 1, 1e6),
      Field::real_list("thresholds", std::vector<double>{0.5}, "1", "thresholds", 0.0, 1.0),
      Field::text_list("stages", std::vector<std::string>{"a", "b"}, "stages", 2).distinct_entries(),
      Field::text_list("members", std::vector<std::string>{"a"}, "members", 1),
  };
  return f;
}

ParamSet params_of(const std::string& text) {
  const auto t = toml::parse(text, std::string_view("p.toml"));
  return read_params(t, fields(), "sec");
}

std::string params_error(const std::string& text) {
  return input_error([&] { params_of(text); });
}

TEST(HardenParams, RangeMessageIsNotGarbled) {
  const auto e = params_error("auroc = 1.5\n");
  EXPECT_HAS(e, "p.toml:1:9: key 'sec.auroc': value 1.5 is out of range: must be in [0.5, 0.999999]");
  EXPECT_LACKS(e, "1.5 1");
  EXPECT_LACKS(e, "] 1");
  const auto t = params_error("tokens = 0\n");
  EXPECT_HAS(t, "value 0 tokens is out of range: must be in [1, 1000000] tokens");
  const auto q = params_error("latency = \"2e9 s\"\n");  // the default cap of a duration
  EXPECT_HAS(q, "key 'sec.latency': value 2000000000 s is out of range: must be in [0, 1000000000] s");
}

TEST(HardenParams, NonFiniteNumbersAreRejectedEverywhere) {
  EXPECT_HAS(params_error("auroc = inf\n"), "key 'sec.auroc': value inf is not a finite number");
  EXPECT_HAS(params_error("auroc = nan\n"), "key 'sec.auroc': value nan is not a finite number");
  EXPECT_HAS(params_error("latency = \"inf ms\"\n"), "key 'sec.latency': 'inf ms' is not a finite number");
  EXPECT_HAS(params_error("latency = \"nan s\"\n"), "not a finite number");
  EXPECT_HAS(params_error("latency = \"1e308 h\"\n"), "overflows a double");
  EXPECT_HAS(params_error("thresholds = [0.3, nan]\n"), "p.toml:1:20: key 'sec.thresholds': value nan is not a finite");
}

TEST(HardenParams, IntegerKeysGivenInfOrHugeFloatsSayWhy) {
  const auto inf = params_error("replicas = inf\n");
  EXPECT_HAS(inf, "key 'sec.replicas': expected an integer, got inf");
  EXPECT_LACKS(inf, "e+18");
  const auto huge = params_error("replicas = 1e300\n");
  EXPECT_HAS(huge, "key 'sec.replicas': value 1e+300 is out of range: must be in [1, 1024]");
  EXPECT_LACKS(huge, "-9.2");
  EXPECT_HAS(params_error("replicas = 2.5\n"), "expected an integer, got 2.5");
  EXPECT_HAS(params_error("replicas = 0\n"), "value 0 is out of range: must be in [1, 1024]");
}

TEST(HardenParams, ScalarForAShortListIsAOneElementList) {
  EXPECT_EQ(params_of("thresholds = 0.3\n").numbers("thresholds"), std::vector<double>{0.3});
  EXPECT_EQ(params_of("members = \"x\"\n").texts("members"), std::vector<std::string>{"x"});
  EXPECT_HAS(params_error("thresholds = 3\n"), "value 3 is out of range");
  EXPECT_HAS(params_error("stages = \"a\"\n"), "key 'sec.stages': needs at least 2 entries, got a single value");
}

TEST(HardenParams, DuplicateListEntriesNameKeyAndEntry) {
  const auto e = params_error("stages = [\"a\", \"b\", \"a\"]\n");
  EXPECT_HAS(e, "p.toml:1:21: key 'sec.stages': 'a' appears twice (entries 1 and 3)");
}

TEST(HardenUnits, DaysAndNonFiniteQuantities) {
  EXPECT_DOUBLE_EQ(parse_quantity("30 d", Dimension::Time), 30 * 86400.0);
  EXPECT_THROW(parse_quantity("inf s", Dimension::Time), std::invalid_argument);
  EXPECT_THROW(parse_quantity("-inf W", Dimension::Power), std::invalid_argument);
  EXPECT_THROW(parse_quantity("1e308 kWh", Dimension::Energy), std::invalid_argument);
}

// ---------------------------------------------------------------- clock and engine

TEST(HardenTime, ConversionsCheckOverflowAndNaN) {
  EXPECT_EQ(from_seconds(1.5), 1'500'000'000);
  EXPECT_EQ(from_seconds(-1.0), 0);
  EXPECT_THROW(from_seconds(std::numeric_limits<double>::infinity()), LimitError);
  EXPECT_THROW(from_seconds(1e10), LimitError);
  EXPECT_THROW(from_seconds(std::nan("")), std::domain_error);
  EXPECT_EQ(from_nanoseconds(2.9), 2);
  EXPECT_THROW(from_nanoseconds(1e19), LimitError);
  EXPECT_EQ(add_time(5, 6), 11);
  EXPECT_THROW(add_time(kTimeNever - 10, 20), LimitError);
}

Task<void> sleeper(Engine& e, SimTime dt, int n) {
  for (int i = 0; i < n; ++i) co_await e.delay(dt);
}

TEST(HardenEngine, SimulatedTimeLimitStopsTheRun) {
  Engine e;
  e.set_limits(10 * kNsPerSecond, std::numeric_limits<std::uint64_t>::max());
  e.spawn(sleeper(e, kNsPerSecond, 100));
  const auto msg = input_error([&] { e.run(); });
  EXPECT_HAS(msg, "key 'run.max_sim_time': simulation limit exceeded");
  EXPECT_LE(e.now(), 10 * kNsPerSecond);
}

TEST(HardenEngine, EventLimitStopsTheRun) {
  Engine e;
  e.set_limits(kTimeNever, 50);
  e.spawn(sleeper(e, 1, 1000));
  const auto msg = input_error([&] { e.run(); });
  EXPECT_HAS(msg, "key 'run.max_events': simulation limit exceeded: 50 events");
  EXPECT_EQ(e.events_processed(), 50u);
}

TEST(HardenEngine, DelayPastTheClockIsAnErrorNotAWrap) {
  Engine e;
  e.spawn(sleeper(e, kTimeNever / 2 + 1, 3));
  const auto msg = input_error([&] { e.run(); });
  EXPECT_HAS(msg, "does not fit the simulation clock");
  EXPECT_GE(e.now(), 0);
}

TEST(HardenEngine, SpawnPastTheLimitIsAnError) {
  Engine e;
  e.set_limits(kNsPerSecond, 1000);
  e.spawn(sleeper(e, 1, 1), 5 * kNsPerSecond);
  EXPECT_THROW(e.run(), LimitError);
}

// ---------------------------------------------------------------- hermetic scenario

/// A small Azure trace, quality table and scenario in `dir`; `edit` replaces one anchor.
struct Hermetic {
  fs::path dir, scenario, trace, table;
};

const char* kScenarioText = R"([run]
name = "hermetic"
seed = 7
models_dir = "MODELS"

[workload]
format = "azure_csv"
trace = "TRACE"
origin = "phone"

[quality]
table = "TABLE"

[devices.phone]
card = "iphone_15_pro"

[devices.cloud]
card = "h100_sxm"
accelerators = 4

[links.cellular]
from = "phone"
to = "cloud"
up_bandwidth = "10 Mbit/s"
down_bandwidth = "50 Mbit/s"
latency = "40 ms"

[deployments.slm]
model = "phi-3-mini"
device = "phone"

[deployments.llm]
model = "llama-3.1-70b"
device = "cloud"

[mechanism]
name = "cascade"

[mechanism.cascade]
stages = ["slm", "llm"]
thresholds = [0.5]

[mechanism.random]
p = 0.5
)";

std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  const auto pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << "anchor not found: " << from;
  if (pos != std::string::npos) text.replace(pos, from.size(), to);
  return text;
}

Hermetic hermetic(const TempDir& d, const std::string& from = "", const std::string& to = "") {
  Hermetic h{d.path, d.path / "scenario.toml", d.path / "trace.csv", d.path / "quality.csv"};
  write_file(h.trace,
             "TIMESTAMP,ContextTokens,GeneratedTokens\n"
             "2023-11-16 18:15:46.6805900,374,44\n"
             "2023-11-16 18:15:47.0000000,100,20\n"
             "2023-11-16 18:15:48.5000000,250,30\n");
  std::string q = "question_id,category,Phi-3-mini-4k-instruct,Meta-Llama-3_1-70B-Instruct\n";
  for (int i = 1; i <= 6; ++i) q += std::to_string(i) + ",math," + (i % 2 ? "1" : "0") + ",1\n";
  write_file(h.table, q);
  std::string text = kScenarioText;
  text = replace_once(text, "MODELS", (source_dir() / "models").string());
  text = replace_once(text, "TRACE", h.trace.string());
  text = replace_once(text, "TABLE", h.table.string());
  if (!from.empty()) text = replace_once(text, from, to);
  write_file(h.scenario, text);
  return h;
}

std::string load_error(const Hermetic& h, std::vector<std::string> sets = {}) {
  LoadOptions opt;
  opt.overrides = std::move(sets);
  opt.output = h.dir / "out.h5";
  return input_error([&] { load_scenario(h.scenario, opt); });
}

TEST(HardenScenario, HermeticScenarioRunsAndLimitsAreLoaded) {
  TempDir d;
  const auto h = hermetic(d);
  LoadOptions opt;
  opt.output = d.path / "out.h5";
  opt.overrides = {"run.max_sim_time=\"2 d\"", "run.max_events=1000"};
  const Scenario sc = load_scenario(h.scenario, opt);
  EXPECT_DOUBLE_EQ(sc.run.max_sim_time, 2 * 86400.0);
  EXPECT_EQ(sc.run.max_events, 1000u);
  const Scenario def = load_scenario(h.scenario, LoadOptions{{}, std::nullopt, d.path / "out.h5"});
  EXPECT_DOUBLE_EQ(def.run.max_sim_time, 30 * 86400.0);
  EXPECT_EQ(def.run.max_events, 2'000'000'000u);
  const auto res = run_scenario(sc);
  EXPECT_EQ(res.summary.n_requests, 3);
}

TEST(HardenScenario, DurationAndRateKeysFromTheIssue) {
  TempDir d;
  const auto h = hermetic(d);
  EXPECT_HAS(load_error(h, {"links.cellular.latency=\"1e308 ms\""}), "key 'links.cellular.latency': value");
  EXPECT_HAS(load_error(h, {"links.cellular.jitter=\"inf ms\""}), "key 'links.cellular.jitter': 'inf ms' is not a finite");
  EXPECT_HAS(load_error(h, {"workload.timeout=\"inf s\""}), "key 'workload.timeout'");
  EXPECT_HAS(load_error(h, {"devices.cloud.peak_flops=\"1e-300 FLOP/s\""}),
             "key 'devices.cloud.peak_flops': 1e-300 FLOP/s: use 0 (unknown) or at least 1 MFLOP/s");
  EXPECT_HAS(load_error(h, {"run.sample_interval=\"1e-9 s\""}), "key 'run.sample_interval'");
  EXPECT_HAS(load_error(h, {"devices.cloud.price=\"inf USD/h\""}), "key 'devices.cloud.price'");
  EXPECT_HAS(load_error(h, {"devices.cloud.busy_power=\"1e300 W\""}), "key 'devices.cloud.busy_power': value");
  EXPECT_HAS(load_error(h, {"links.cellular.radio_energy_up=\"inf nJ/bit\""}), "key 'links.cellular.radio_energy_up'");
  EXPECT_HAS(load_error(h, {"devices.cloud.replicas=inf"}), "key 'devices.cloud.replicas': expected an integer, got inf");
  const auto set = load_error(h, {"devices.cloud.accelerators=0"});
  EXPECT_HAS(set, "--set devices.cloud.accelerators=0:1:");  // the value node's own position
  EXPECT_HAS(set, "value 0 is out of range: must be in [1, 1024]");
}

TEST(HardenScenario, CardKeysNameTheCardFileAndLine) {
  TempDir d;
  fs::create_directories(d.path / "models" / "devices");
  fs::copy(source_dir() / "models" / "llms", d.path / "models" / "llms", fs::copy_options::recursive);
  fs::copy(source_dir() / "models" / "devices" / "iphone_15_pro.toml", d.path / "models" / "devices");
  write_file(d.path / "models" / "devices" / "bad.toml",
             "title = \"bad\"\nsource = \"test\"\npeak_flops = \"989 TFLOP/s\"\nmemory_bandwidth = \"3 TB/s\"\n"
             "accelerators = 0\n");
  auto h = hermetic(d, "card = \"h100_sxm\"\naccelerators = 4", "card = \"bad\"");
  std::string text = read_file(h.scenario);
  text = replace_once(text, (source_dir() / "models").string(), (d.path / "models").string());
  write_file(h.scenario, text);
  const auto e = load_error(h);
  EXPECT_HAS(e, (d.path / "models" / "devices" / "bad.toml").string() + ":5:16: key 'devices.cloud.accelerators'");
  EXPECT_HAS(e, "value 0 is out of range: must be in [1, 1024]");
  // The scenario's own key over a card names the scenario's line.
  auto h2 = hermetic(d, "accelerators = 4", "accelerators = 2000");
  EXPECT_HAS(load_error(h2), "scenario.toml:19:16: key 'devices.cloud.accelerators'");
}

TEST(HardenScenario, CardAndModelNamesAreNamesNotPaths) {
  TempDir d;
  const auto h = hermetic(d);
  EXPECT_HAS(load_error(h, {"deployments.llm.model=../devices/h100_sxm"}),
             "key 'deployments.llm.model': '../devices/h100_sxm' is not a model card name");
  EXPECT_HAS(load_error(h, {"devices.cloud.card=/etc/passwd"}), "key 'devices.cloud.card': '/etc/passwd' is not a device card name");
  EXPECT_HAS(load_error(h, {"devices.cloud.card=.."}), "is not a device card name");
  EXPECT_HAS(load_error(h, {"deployments.llm.model=\"\""}), "is not a model card name");
}

TEST(HardenScenario, RunNameCannotLeaveTheOutputFolder) {
  TempDir d;
  const auto h = hermetic(d);
  EXPECT_HAS(load_error(h, {"run.name=../../escape"}), "key 'run.name': '../../escape' is not a run name");
  EXPECT_HAS(load_error(h, {"run.name=.."}), "is not a run name");
  EXPECT_HAS(load_error(h, {"run.name=a/b"}), "is not a run name");
}

TEST(HardenScenario, InputFilesMustBeRegularFiles) {
  TempDir d;
  const auto h = hermetic(d);
  EXPECT_HAS(load_error(h, {"workload.trace=/dev/zero"}), "key 'workload.trace': data file '/dev/zero' is a character device");
  EXPECT_HAS(load_error(h, {"quality.table=\"" + d.path.string() + "\""}), "is a directory");
  const fs::path fifo = d.path / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_HAS(load_error(h, {"workload.trace=\"" + fifo.string() + "\""}), "is a FIFO; only regular files are read");
  // A name the system refuses (ENAMETOOLONG) is "not found", not a std::filesystem_error
  // (found by the scenario fuzzer).
  EXPECT_HAS(load_error(h, {"workload.trace=" + std::string(5000, 'a')}), "key 'workload.trace': file 'aaaa");
  EXPECT_HAS(load_error(h, {"workload.trace=" + std::string(5000, 'a')}), "not found");
  // A scenario that is a device node is refused before reading.
  EXPECT_HAS(input_error([] { load_scenario("/dev/zero"); }), "/dev/zero: the scenario is a character device");
}

TEST(HardenScenario, UnknownSectionAndMechanismSuggestTheClosest) {
  TempDir d;
  const auto h = hermetic(d, "[workload]", "[workloda]");
  EXPECT_HAS(load_error(h), "key 'workloda': unknown section; did you mean 'workload'?");
}

/// The load error of the hermetic scenario after `sets` (the loader validates every
/// [mechanism.<name>] table).
std::string mechanism_error(const Hermetic& h, std::vector<std::string> sets) {
  LoadOptions opt;
  opt.overrides = std::move(sets);
  opt.output = h.dir / "out.h5";
  return input_error([&] { (void)load_scenario(h.scenario, opt); });
}

TEST(HardenRegistry, EveryMechanismTableIsValidatedUsedOrNot) {
  TempDir d;
  const auto h = hermetic(d);
  EXPECT_HAS(mechanism_error(h, {"mechanism.random.p=2"}), "key 'mechanism.random.p': value 2 is out of range");
  EXPECT_HAS(mechanism_error(h, {"mechanism.bandit.arms=[\"slm\", \"slm\"]"}),
             "key 'mechanism.bandit.arms': 'slm' appears twice");
  EXPECT_HAS(mechanism_error(h, {"mechanism.offline_fallback.deadline=\"inf s\""}),
             "key 'mechanism.offline_fallback.deadline': 'inf s' is not a finite number");
  EXPECT_HAS(mechanism_error(h, {"mechanism.cascde.thresholds=[0.5]"}),
             "key 'mechanism.cascde': unknown mechanism 'cascde'; did you mean 'cascade'?");
  EXPECT_HAS(mechanism_error(h, {"mechanism.name=routr"}), "unknown mechanism 'routr'; did you mean 'router'?");
  EXPECT_HAS(mechanism_error(h, {"mechanism.random.typo=1"}), "key 'mechanism.random.typo': unknown key");
}

TEST(HardenRegistry, DuplicateDeploymentsInTheChosenMechanismNameTheKey) {
  TempDir d;
  const auto h = hermetic(d);
  LoadOptions opt;
  opt.overrides = {"mechanism.cascade.stages=[\"slm\", \"slm\"]"};
  opt.output = d.path / "out.h5";
  const Scenario sc = load_scenario(h.scenario, opt);
  EXPECT_HAS(input_error([&] { run_scenario(sc); }), "key 'mechanism.cascade.stages': 'slm' appears twice");
  EXPECT_FALSE(fs::exists(d.path / "out.h5"));
  opt.overrides = {"mechanism.name=bandit", "mechanism.bandit.arms=[\"llm\", \"slm\", \"llm\"]"};
  const Scenario sb = load_scenario(h.scenario, opt);
  EXPECT_HAS(input_error([&] { run_scenario(sb); }), "key 'mechanism.bandit.arms': 'llm' appears twice");
}

TEST(HardenRegistry, MechanismErrorsNameTheKeyAsWritten) {
  TempDir d;
  const auto h = hermetic(d);
  // The error of building the mechanism, after `sets` (the load itself succeeds).
  auto build_error = [&](std::vector<std::string> sets) {
    LoadOptions opt;
    opt.overrides = std::move(sets);
    opt.output = d.path / "out.h5";
    const Scenario sc = load_scenario(h.scenario, opt);
    return input_error([&] { run_scenario(sc); });
  };
  EXPECT_HAS(build_error({"mechanism.cascade.stages=[\"slm\", \"nope\"]"}), "key 'mechanism.cascade.stages'");
  EXPECT_HAS(build_error({"mechanism.cascade.thresholds=[0.5, 0.5]"}),
             "key 'mechanism.cascade.thresholds': 2 stages need 1 thresholds, got 2");
  EXPECT_HAS(build_error({"mechanism.name=fusion", "mechanism.fusion.members=[\"slm\", \"nope\"]"}),
             "key 'mechanism.fusion.members'");
  EXPECT_HAS(build_error({"mechanism.name=fusion", "mechanism.fusion.members=[\"slm\", \"llm\"]",
                          "mechanism.fusion.weights=[1.0]"}),
             "key 'mechanism.fusion.weights': 2 members need 2 weights, got 1");
  EXPECT_HAS(build_error({"mechanism.name=random", "mechanism.random.small=\"nope\""}), "key 'mechanism.random.small'");
  EXPECT_HAS(build_error({"mechanism.name=oracle", "mechanism.oracle.large=\"nope\""}), "key 'mechanism.oracle.large'");
  EXPECT_FALSE(fs::exists(d.path / "out.h5"));
}

// ---------------------------------------------------------------- trace readers

std::string azure_error(const TempDir& d, const std::string& text) {
  write_file(d.path / "t.csv", text);
  return input_error([&] {
    workload::AzureTraceReader r(d.path / "t.csv");
    while (r.next()) {
    }
  });
}

const std::string kAzureHeader = "TIMESTAMP,ContextTokens,GeneratedTokens\n";

TEST(HardenAzure, CalendarDatesOnly) {
  EXPECT_FALSE(workload::parse_timestamp_ns("2023-11-31 00:00:00"));
  EXPECT_FALSE(workload::parse_timestamp_ns("2023-02-29 00:00:00"));
  EXPECT_TRUE(workload::parse_timestamp_ns("2024-02-29 00:00:00"));
  EXPECT_FALSE(workload::parse_timestamp_ns("9999-01-01 00:00:00"));
  EXPECT_FALSE(workload::parse_timestamp_ns("1969-12-31 23:59:59"));
  TempDir d;
  const auto e = azure_error(d, kAzureHeader + "2023-11-30 10:00:00,10,10\n2023-11-31 10:00:00,10,10\n");
  EXPECT_HAS(e, "t.csv:3:1: key 'TIMESTAMP': '2023-11-31 10:00:00' is not a valid timestamp");
}

TEST(HardenAzure, EmptyHeaderOnlyAndForeignFiles) {
  TempDir d;
  EXPECT_HAS(azure_error(d, ""), "t.csv: key 'header': the trace is empty");
  EXPECT_HAS(azure_error(d, kAzureHeader), "t.csv:1: the trace has no requests (only a header)");
  EXPECT_HAS(azure_error(d, kAzureHeader + "\n\n"), "the trace has no requests");
  // A file of another format: the message names file and line but never echoes the line.
  const auto e = azure_error(d, "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n");
  EXPECT_HAS(e, "t.csv:1:1: key 'header': expected the header 'TIMESTAMP,ContextTokens,GeneratedTokens'");
  EXPECT_LACKS(e, "root");
  EXPECT_LACKS(e, "bash");
}

TEST(HardenAzure, TokenCountsAndSpanAreBounded) {
  TempDir d;
  EXPECT_HAS(azure_error(d, kAzureHeader + "2023-11-16 18:15:46,1000000000000,10\n"),
             "t.csv:2:21: key 'ContextTokens': token count 1000000000000 is above the limit of 10000000");
  EXPECT_HAS(azure_error(d, kAzureHeader + "2023-11-16 18:15:46,10,99999999\n"), "key 'GeneratedTokens'");
  EXPECT_HAS(azure_error(d, kAzureHeader + "2023-11-16 18:15:46,10,10\n2099-11-16 18:15:46,10,10\n"),
             "t.csv:3:1: key 'TIMESTAMP': timestamp is more than 1e9 s");
  EXPECT_HAS(azure_error(d, kAzureHeader + "2023-11-16 18:15:46,10,99999999999999999999\n"),
             "is not an integer token count");
}

TEST(HardenAzure, LongLinesAreBounded) {
  TempDir d;
  EXPECT_HAS(azure_error(d, kAzureHeader + std::string(kMaxTraceLineBytes + 10, 'x')),
             "t.csv:2: line longer than 4194304 bytes");
}

std::string mooncake_error(const TempDir& d, const std::string& text) {
  write_file(d.path / "m.jsonl", text);
  return input_error([&] {
    workload::MooncakeTraceReader r(d.path / "m.jsonl");
    while (r.next()) {
    }
  });
}

TEST(HardenMooncake, OneObjectPerLineNothingAfterIt) {
  TempDir d;
  const std::string ok = R"({"timestamp": 0, "input_length": 10, "output_length": 5, "hash_ids": [1, 2]})";
  EXPECT_HAS(mooncake_error(d, ok + " garbage\n"), "m.jsonl:1:");
  EXPECT_HAS(mooncake_error(d, ok + " garbage\n"), "trailing characters after the JSON object");
  EXPECT_HAS(mooncake_error(d, ok + ok + "\n"), "trailing characters after the JSON object");
  EXPECT_HAS(mooncake_error(d, R"({"timestamp": 0, "timestamp": 5, "input_length": 1, "output_length": 1})" "\n"),
             "key 'timestamp': duplicate key");
  EXPECT_HAS(mooncake_error(d, ""), "m.jsonl: the trace has no requests");
  EXPECT_HAS(mooncake_error(d, "\n  \n"), "the trace has no requests");
}

TEST(HardenMooncake, TimestampsAndTokensAreBounded) {
  TempDir d;
  const auto span = mooncake_error(d, R"({"timestamp": 0, "input_length": 1, "output_length": 1})" "\n"
                                      R"({"timestamp": 10000000000000, "input_length": 1, "output_length": 1})" "\n");
  EXPECT_HAS(span, "m.jsonl:2:1: key 'timestamp': timestamp is more than 1e9 s");
  EXPECT_HAS(mooncake_error(d, R"({"timestamp": 0, "input_length": 1000000000000, "output_length": 1})" "\n"),
             "m.jsonl:1:1: key 'input_length': 1000000000000 tokens is above the limit");
  EXPECT_HAS(mooncake_error(d, R"({"timestamp": 99999999999999999999, "input_length": 1, "output_length": 1})" "\n"),
             "key 'timestamp': integer does not fit 64 bits");
}

TEST(HardenTraces, DeviceNodesAndDirectoriesAreRefusedByTheReaders) {
  TempDir d;
  EXPECT_HAS(input_error([] { workload::AzureTraceReader r("/dev/zero"); }), "/dev/zero: the trace is a character device");
  EXPECT_HAS(input_error([] { workload::MooncakeTraceReader r("/dev/zero"); }), "is a character device");
  EXPECT_HAS(input_error([&] { workload::AzureTraceReader r(d.path); }), "is a directory");
}

// ---------------------------------------------------------------- quality table

std::string quality_error(const TempDir& d, const std::string& text,
                          std::vector<std::string> models = {"A", "B"}) {
  write_file(d.path / "q.csv", text);
  return input_error([&] { quality::QualityTable::load_wide_csv(d.path / "q.csv", models); });
}

TEST(HardenQuality, NonFiniteCellsNameFileLineAndColumn) {
  TempDir d;
  EXPECT_HAS(quality_error(d, "question_id,A,B\n1,0.5,1\n2,nan,1\n"),
             "q.csv:3:3: key 'A': 'nan' is not a finite number");
  EXPECT_HAS(quality_error(d, "question_id,A,B\n1,0.5,inf\n"), "q.csv:2:7: key 'B': 'inf' is not a finite number");
}

TEST(HardenQuality, DuplicatesAreRejected) {
  TempDir d;
  EXPECT_HAS(quality_error(d, "question_id,A,B\n1,0.5,1\n2,1,1\n1,0,0\n"),
             "q.csv:4:1: key 'question_id': question id 1 appears twice (first on line 2)");
  EXPECT_HAS(quality_error(d, "question_id,A,B,A\n1,0.5,1,0\n"),
             "q.csv:1:17: key 'A': column name appears twice in the header (columns 2 and 4)");
}

TEST(HardenQuality, EmptyHeaderOnlyAndAllBlankTablesNameTheFile) {
  TempDir d;
  EXPECT_HAS(quality_error(d, ""), "q.csv: the quality table is empty");
  EXPECT_HAS(quality_error(d, "question_id,A,B\n"), "q.csv:1: the quality table has a header but no rows");
  EXPECT_HAS(quality_error(d, "question_id,A,B\n1,,1\n2,,0\n"), "q.csv:1:13: key 'A': model column has no scores");
  // Not a quality table at all: named, not echoed.
  const auto e = quality_error(d, "root:x:0:0:root:/root:/bin/bash\n");
  EXPECT_HAS(e, "q.csv:1:1: key 'question_id': the header has no question_id column");
  EXPECT_LACKS(e, "root");
  EXPECT_HAS(input_error([] { quality::QualityTable::load_wide_csv("/dev/zero", {"A"}); }), "is a character device");
}

// ---------------------------------------------------------------- question corpus

TEST(HardenQuestions, DuplicatesTrailingGarbageAndDeepNesting) {
  TempDir d;
  auto err = [&](const std::string& text) {
    write_file(d.path / "q.jsonl", text);
    return input_error([&] { kernels::QuestionCorpus::load(d.path / "q.jsonl"); });
  };
  const std::string q = R"({"question_id": 1, "category": "math", "question": "x", "options": ["a", "b"]})";
  EXPECT_HAS(err(q + "\n" + q + "\n"), "q.jsonl:2:");
  EXPECT_HAS(err(q + "\n" + q + "\n"), "question id 1 appears twice");
  EXPECT_HAS(err(q + "{}\n"), "trailing characters after the JSON object");
  EXPECT_HAS(err(R"({"question_id": 1, "x": )" + std::string(100000, '[') + "\n"), "nested more than 64 deep");
}

// ---------------------------------------------------------------- weights files

struct Weights {
  std::string kind = "logistic", label = "small_correct", categories = "math\nlaw";
  double hash_bits = 4, b2 = 0.1, seed = 1;
  hsize_t w2_rows = 0;  ///< 0 = the right length
  hsize_t w1_rows = 0, w1_cols = 0, b1_rows = 0;
  int hidden = 0;
  float w2_fill = 0.01f;
  bool skip_w1 = false;
  bool skip_columns = false;  ///< leave out the `small`/`large` column attributes
};

void write_str(H5::H5File& f, const char* name, const std::string& v) {
  H5::StrType st(H5::PredType::C_S1, H5T_VARIABLE);
  const char* p = v.c_str();
  f.createAttribute(name, st, H5::DataSpace(H5S_SCALAR)).write(st, &p);
}
void write_num(H5::H5File& f, const char* name, double v) {
  f.createAttribute(name, H5::PredType::NATIVE_DOUBLE, H5::DataSpace(H5S_SCALAR)).write(H5::PredType::NATIVE_DOUBLE, &v);
}
void write_mat(H5::H5File& f, const char* name, hsize_t rows, hsize_t cols, float fill) {
  std::vector<float> v(rows * cols, fill);
  hsize_t dims[2] = {rows, cols};
  f.createDataSet(name, H5::PredType::NATIVE_FLOAT, H5::DataSpace(2, dims)).write(v.data(), H5::PredType::NATIVE_FLOAT);
}

/// dim of a feature space with 2^bits slots and 2 categories.
hsize_t dim_of(int bits) { return (hsize_t{1} << bits) + 2 + 2; }

fs::path write_weights(const fs::path& p, const Weights& w) {
  H5::H5File f(p.string(), H5F_ACC_TRUNC);
  write_str(f, "kind", w.kind);
  write_str(f, "label", w.label);
  if (!w.skip_columns) {
    write_str(f, "small", "Phi-3-mini-4k-instruct");
    write_str(f, "large", "Meta-Llama-3_1-70B-Instruct");
  }
  write_str(f, "categories", w.categories);
  write_num(f, "hash_bits", w.hash_bits);
  write_num(f, "b2", w.b2);
  write_num(f, "seed", w.seed);
  const hsize_t dim = w.hash_bits >= 1 && w.hash_bits <= 20 ? dim_of(static_cast<int>(w.hash_bits)) : 16;
  const hsize_t n2 = w.w2_rows ? w.w2_rows : (w.hidden ? static_cast<hsize_t>(w.hidden) : dim);
  write_mat(f, "w2", n2, 1, w.w2_fill);
  if (w.hidden && !w.skip_w1) {
    write_mat(f, "W1", w.w1_rows ? w.w1_rows : dim, w.w1_cols ? w.w1_cols : static_cast<hsize_t>(w.hidden), 0.01f);
    write_mat(f, "b1", w.b1_rows ? w.b1_rows : static_cast<hsize_t>(w.hidden), 1, 0.0f);
  } else if (w.hidden) {
    write_mat(f, "b1", static_cast<hsize_t>(w.hidden), 1, 0.0f);
  }
  return p;
}

std::string weights_error(const TempDir& d, const Weights& w) {
  const fs::path p = write_weights(d.path / "w.h5", w);
  return input_error([&] { kernels::RouterKernel::load(p); });
}

TEST(HardenWeights, ValidFilesLoadAndScore) {
  TempDir d;
  Weights w;
  auto k = kernels::RouterKernel::load(write_weights(d.path / "ok.h5", w));
  kernels::Question q{1, "math", "What is 2 + 2?", {"3", "4"}};
  const double s = k->score(q);
  EXPECT_GT(s, 0.0);
  EXPECT_LT(s, 1.0);
  w.kind = "mlp";
  w.hidden = 3;
  auto m = kernels::RouterKernel::load(write_weights(d.path / "mlp.h5", w));
  EXPECT_GT(m->score(q), 0.0);
  // The shipped router loads.
  EXPECT_NO_THROW(kernels::RouterKernel::load(source_dir() / "models" / "routers" / "phi3-llama70b-logistic.h5"));
}

TEST(HardenWeights, ShapesAttributesAndValuesAreCheckedBeforeUse) {
  TempDir d;
  const std::string file = (d.path / "w.h5").string() + ": key 'weights': ";
  Weights half;
  half.w2_rows = dim_of(4) / 2;
  EXPECT_HAS(weights_error(d, half), file + "dataset 'w2': shape 10 × 1 does not match the declared dimensions (20 × 1)");
  Weights no_columns;
  no_columns.skip_columns = true;
  EXPECT_HAS(weights_error(d, no_columns), file + "attribute 'small': missing");
  for (double bits : {26.0, 31.0, -1.0, 0.0, 2.5}) {
    Weights b;
    b.hash_bits = bits;
    EXPECT_HAS(weights_error(d, b), file + "attribute 'hash_bits': ");
    EXPECT_HAS(weights_error(d, b), "is not an integer in [1, 24]");
  }
  Weights rows;
  rows.kind = "mlp";
  rows.hidden = 3;
  rows.w1_rows = dim_of(4) + 5;
  EXPECT_HAS(weights_error(d, rows), file + "dataset 'W1': shape 25 × 3 does not match the declared dimensions (20 × 3)");
  Weights transposed;
  transposed.kind = "mlp";
  transposed.hidden = 3;
  transposed.w1_rows = 3;
  transposed.w1_cols = dim_of(4);
  EXPECT_HAS(weights_error(d, transposed), "dataset 'W1': shape 3 × 20 does not match");
  Weights short_b1;
  short_b1.kind = "mlp";
  short_b1.hidden = 4;
  short_b1.b1_rows = 2;  // hidden is taken from b1: then w2 and W1 disagree
  EXPECT_HAS(weights_error(d, short_b1), "does not match the declared dimensions");
  Weights nan;
  nan.w2_fill = std::nanf("");
  EXPECT_HAS(weights_error(d, nan), file + "dataset 'w2': value nan (element 0) is not finite");
  Weights kind;
  kind.kind = "transformer";
  EXPECT_HAS(weights_error(d, kind), file + "attribute 'kind': 'transformer' is not a router kind");
  Weights b2;
  b2.b2 = std::numeric_limits<double>::infinity();
  EXPECT_HAS(weights_error(d, b2), file + "attribute 'b2': not a finite number");
  Weights label;
  label.label = "whatever";
  EXPECT_HAS(weights_error(d, label), "attribute 'label'");
  Weights no_w1;
  no_w1.kind = "mlp";
  no_w1.hidden = 3;
  no_w1.skip_w1 = true;
  EXPECT_HAS(weights_error(d, no_w1), file + "dataset 'W1': missing");
}

TEST(HardenWeights, NotHdf5AndDeviceNodes) {
  TempDir d;
  write_file(d.path / "x.h5", "root:x:0:0:root:/root:/bin/bash\n");
  const auto e = input_error([&] { kernels::RouterKernel::load(d.path / "x.h5"); });
  EXPECT_HAS(e, "x.h5: key 'weights': not an HDF5 file");
  EXPECT_LACKS(e, "root");
  EXPECT_HAS(input_error([] { kernels::RouterKernel::load("/dev/zero"); }), "is a character device");
}

TEST(HardenWeights, LmPairReportIsChecked) {
  TempDir d;
  auto report = [&](hsize_t n, double fill) {
    H5::H5File f((d.path / "lm.h5").string(), H5F_ACC_TRUNC);
    std::vector<double> v(n, fill);
    f.createDataSet("alpha", H5::PredType::NATIVE_DOUBLE, H5::DataSpace(1, &n)).write(v.data(), H5::PredType::NATIVE_DOUBLE);
    return d.path / "lm.h5";
  };
  EXPECT_DOUBLE_EQ(kernels::measured_alpha(report(8, 0.5), 3), 0.5);
  EXPECT_HAS(input_error([&] { kernels::measured_alpha(report(16, 0.5), 3); }), "dataset 'alpha': expected 8");
  EXPECT_HAS(input_error([&] { kernels::measured_alpha(report(4, 0.5), 3); }), "dataset 'alpha': expected 8");
  EXPECT_HAS(input_error([&] { kernels::measured_alpha(report(8, std::nan("")), 3); }), "is not an acceptance rate");
}

// ---------------------------------------------------------------- CLI: exit 2, nothing left behind

TEST(HardenCli, BadInputsExitTwoAndLeaveNoFile) {
  TempDir d;
  const fs::path out = d.path / "out" / "r.h5";
  const std::vector<std::pair<std::string, std::string>> edits = {
      {"trace = \"" + (d.path / "trace.csv").string() + "\"", "trace = \"/dev/zero\""},
      {"model = \"llama-3.1-70b\"", "model = \"../devices/h100_sxm\""},
      {"p = 0.5", "p = inf"},
      {"latency = \"40 ms\"", "latency = \"1e308 ms\""},
      {"name = \"hermetic\"", "name = \"../../escape\""},
  };
  for (const auto& [from, to] : edits) {
    const auto h = hermetic(d, from, to);
    std::string log;
    const int rc = run_cli("run " + h.scenario.string() + " -o " + out.string(), log);
    EXPECT_EQ(rc, 2) << to << "\n" << log;
    EXPECT_HAS(log, "scenario.toml:");
    EXPECT_FALSE(fs::exists(out)) << to;
  }
  if (fs::exists(out.parent_path()))
    for (const auto& e : fs::directory_iterator(out.parent_path()))
      EXPECT_EQ(e.path().string().find(".tmp-"), std::string::npos) << e.path();
}

}  // namespace

TEST(HardenScenario, PowerAndAutoscalingKeysAreChecked) {
  TempDir d;
  const auto h = hermetic(d);
  EXPECT_HAS(load_error(h, {"devices.cloud.power_cap=\"50 W\""}),
             "key 'devices.cloud.power_cap': power_cap must be above idle_power");
  EXPECT_HAS(load_error(h, {"devices.cloud.standby_power=\"100 W\""}),
             "key 'devices.cloud.standby_power': standby_power is above idle_power");
  EXPECT_HAS(load_error(h, {"devices.cloud.power_model=\"cubic\""}), "key 'devices.cloud.power_model'");
  EXPECT_HAS(load_error(h, {"deployments.llm.autoscale=true", "deployments.llm.autoscale_down=40"}),
             "key 'deployments.llm.autoscale_down': autoscale_down must be below autoscale_up");
  EXPECT_HAS(load_error(h, {"deployments.llm.autoscale=true", "deployments.llm.scheduler=\"fcfs\""}),
             "key 'deployments.llm.autoscale': autoscaling needs scheduler");
  // A batching key on a scheduler without batching is refused, naming the key (per-scheduler keys).
  EXPECT_HAS(load_error(h, {"deployments.llm.max_batch=8", "deployments.llm.scheduler=\"fcfs\""}),
             "key 'deployments.llm.max_batch': applies to a batching scheduler only");
  EXPECT_HAS(load_error(h, {"deployments.llm.dispatch=\"round_robin\"", "deployments.llm.scheduler=\"fcfs\""}),
             "key 'deployments.llm.dispatch': applies to a batching scheduler only");
  EXPECT_HAS(load_error(h, {"deployments.llm.scheduler=\"sjf\""}), "key 'deployments.llm.scheduler'");
  EXPECT_HAS(load_error(h, {"deployments.llm.autoscale=true", "deployments.llm.autoscale_min_replicas=2"}),
             "key 'deployments.llm.autoscale_min_replicas': 2 exceeds device 'cloud' replicas = 1");
  EXPECT_HAS(load_error(h, {"deployments.slm.autoscale=true"}), "key 'deployments.slm.autoscale': device 'phone' is per-user");
  EXPECT_HAS(load_error(h, {"devices.cloud.weight_load_bandwidth=\"0 GB/s\""}), "key 'devices.cloud.weight_load_bandwidth'");
  // Valid keys load, and an autoscaled run of the hermetic scenario answers every request.
  LoadOptions opt;
  opt.output = d.path / "as.h5";
  opt.overrides = {"deployments.llm.autoscale=true", "devices.cloud.replicas=2", "devices.cloud.power_cap=\"600 W\""};
  const Scenario sc = load_scenario(h.scenario, opt);
  EXPECT_DOUBLE_EQ(sc.device("cloud").power_cap, 600.0);
  for (const auto& dep : sc.deployments) EXPECT_EQ(dep.autoscaled(), dep.name == "llm") << dep.name;
  const auto res = run_scenario(sc);
  EXPECT_EQ(res.summary.n_ok, 3);
}

// Per-variant specs (Vidur's per-scheduler configs): a deployment holds the spec of the
// variants it chose only, and a key of a variant it did not choose is refused, naming it.
TEST(HardenScenario, VariantKeysLiveInTheirSpecs) {
  TempDir d;
  const auto h = hermetic(d);
  EXPECT_HAS(load_error(h, {"deployments.llm.kv_block_tokens=32"}),
             "key 'deployments.llm.kv_block_tokens': applies with kv_admission = \"paged\" only");
  EXPECT_HAS(load_error(h, {"deployments.llm.preemption=\"swap\"", "deployments.llm.kv_admission=\"reserve\""}),
             "key 'deployments.llm.preemption': applies with kv_admission = \"paged\" only");
  EXPECT_HAS(load_error(h, {"deployments.llm.autoscale_up=16"}),
             "key 'deployments.llm.autoscale_up': applies with autoscale = true only");
  EXPECT_HAS(load_error(h, {"deployments.llm.api_energy_batch=16"}),
             "key 'deployments.llm.api_energy_batch': applies with an api_energy_card only");
  EXPECT_HAS(load_error(h, {"deployments.llm.kv_admission=\"paged\"", "deployments.llm.prefix_cache=true"}),
             "key 'deployments.llm.kv_admission': kv_admission = \"paged\" cannot be combined with prefix_cache");
  LoadOptions opt;
  opt.output = d.path / "v.h5";
  opt.overrides = {"deployments.llm.kv_admission=\"paged\"", "deployments.llm.preemption=\"swap\"",
                   "deployments.llm.kv_block_tokens=32", "deployments.llm.max_batch=8",
                   "deployments.slm.scheduler=\"fcfs\""};
  const Scenario sc = load_scenario(h.scenario, opt);
  const DeploymentSpec& llm = sc.deployments[sc.deployment_index("llm", {}, "")];
  ASSERT_TRUE(llm.batching);
  EXPECT_EQ(llm.batching->max_batch, 8);
  ASSERT_TRUE(llm.batching->paged);
  EXPECT_TRUE(llm.batching->paged->swap);
  EXPECT_EQ(llm.batching->paged->block_tokens, 32);
  EXPECT_FALSE(llm.batching->autoscale);
  EXPECT_FALSE(llm.api_energy);
  const DeploymentSpec& slm = sc.deployments[sc.deployment_index("slm", {}, "")];
  EXPECT_FALSE(slm.batching);  // fcfs holds no batching spec
  EXPECT_FALSE(slm.prefix_cache());
  EXPECT_FALSE(slm.autoscaled());
}
