#include "sim/hardware/deployment_spec.hpp"

#include <stdexcept>

#include "sim/config/choice.hpp"
#include "sim/config/params.hpp"

namespace collabsim {
namespace {

/// The `latency` field's help, "name: help; ..." over latency_modes().
std::string latency_help() {
  std::string out;
  for (const auto& m : latency_modes()) out += (out.empty() ? "" : "; ") + std::string(m.name) + ": " + m.help;
  return out;
}

}  // namespace

std::span<const Field> batching_fields() {
  static const std::vector<Field> f = {
      Field::integer("max_batch", 256, "sequences", "continuous batching: sequences per iteration", 1, 1e6),
      Field::integer("max_prefill_tokens", 0, "tokens",
                     "chunked prefill: prompt tokens per iteration (0 = whole prompts)", 0, 1e9),
      Field::quantity("iteration_overhead", "0 ms", Dimension::Time, "fixed time per batching iteration", 0.0, 1e6),
      Field::text("kv_admission", "reserve",
                  "continuous batching: reserve the KV of prompt + output at admission (no preemption) or "
                  "paged (KV blocks taken as sequences grow; the latest-admitted sequence is preempted when "
                  "they run out, as vLLM)",
                  {"reserve", "paged"}),
      Field::text("preemption", "recompute",
                  "paged KV admission: a preempted sequence's KV is freed and recomputed (prompt + generated "
                  "prefilled again) or swapped to host memory at the device's swap_bandwidth",
                  {"recompute", "swap"}),
      Field::integer("kv_block_tokens", 16, "tokens", "paged KV admission: tokens per KV block (vLLM: 16)", 1,
                     1e6),
      Field::text("dispatch", dispatch_policies().front().name,
                  choice_help("replica choice for a new request", dispatch_policies()),
                  choice_names(dispatch_policies())),
      Field::boolean("prefix_cache", false,
                     "continuous batching: reuse KV blocks of earlier prompts keyed by the trace's prefix-block "
                     "hash ids (Mooncake hash_ids), LRU-evicted under the KV limit; prefill only uncached blocks"),
      Field::integer("prefix_block_tokens", 512, "tokens",
                     "prefix caching: tokens per prefix-block hash id (Mooncake FAST'25 traces: 512)", 1, 1e7),
      Field::boolean("autoscale", false,
                     "continuous batching on a shared device: start/stop replicas with load (off = fixed "
                     "provisioning of the device's replicas)"),
      Field::integer("autoscale_min_replicas", 1, "replicas",
                     "autoscaling: replicas always up (loaded at t = 0); at most the device's replicas", 1, 1e6),
      Field::quantity("autoscale_interval", "10 s", Dimension::Time, "autoscaling: time between evaluations", 1e-3,
                      1e6),
      Field::real("autoscale_up", 32, "sequences",
                  "autoscaling: start a replica when sequences (running + waiting) per up replica exceed this", 0,
                  1e9),
      Field::real("autoscale_down", 8, "sequences",
                  "autoscaling: drain a replica when sequences per up replica fall below this (< autoscale_up)", 0,
                  1e9),
  };
  return f;
}

std::span<const Field> deployment_fields() {
  static const std::vector<Field> f = [] {
    std::vector<Field> out = {
        Field::text("model", std::nullopt, "model card in <models_dir>/llms/<model>.toml"),
        Field::text("device", std::nullopt, "device that hosts the model"),
        Field::text("quality_column", "", "quality-table column (default: the model card's)"),
        Field::quantity("price_input", "0 USD/Mtok", Dimension::TokenPrice,
                        "API price per prompt token (0 = owned deployment, priced by device time)", 0.0, 1.0),
        Field::quantity("price_output", "0 USD/Mtok", Dimension::TokenPrice,
                        "API price per generated token", 0.0, 1.0),
        Field::text("scheduler", schedulers().front().name,
                    choice_help("shared devices (per-user devices serve each request alone)", schedulers()),
                    choice_names(schedulers())),
        Field::real("kv_memory_utilization", 0.9, "1",
                    "share of replica memory for weights + KV cache (vLLM gpu_memory_utilization)", 0.01, 1.0),
        Field::text("context_policy", "fail",
                    "a request beyond the model's context_window: fail (status context_exceeded, as vLLM, llama.cpp "
                    "and MLC refuse it; cascades skip the stage, routers take the other model), ignore (answer "
                    "anyway, the old behaviour: a simplification) or truncate (keep the last prompt tokens that fit; fail when the output alone does not)",
                    {"ignore", "fail", "truncate"}),
        Field::text("memory_policy", "fail",
                    "a request whose KV cache (prompt + output) exceeds the device's usable memory less the "
                    "weights: fail (status out_of_memory; cascades skip the stage, routers take the other model), "
                    "ignore (the old behaviour, a simplification: a batching replica fails it, status failed; "
                    "others answer) or truncate (keep the last prompt tokens that fit; fail when the output alone does not)",
                    {"ignore", "fail", "truncate"}),
        Field::text("decode_on", "",
                    "prefill/decode disaggregation (Splitwise, DistServe): the deployment (same model, another "
                    "shared device) that decodes after this one prefills; the prompt's KV crosses the link "
                    "between their devices (\"\" = colocated)"),
        Field::text_list("share_with", std::vector<std::string>{},
                         "heterogeneous pool: other deployments of the same model (e.g. on A100 devices beside "
                         "H100 ones) that share this deployment's requests, chosen per request by pool_dispatch",
                         0),
        Field::text("pool_dispatch", pool_dispatch_policies().front().name,
                    choice_help("member of a share_with pool for a request", pool_dispatch_policies()),
                    choice_names(pool_dispatch_policies())),
        Field::text("profile", "",
                    "measured latency profile CSV (phase,batch,tokens,ms) relative to this file; "
                    "empty = roofline from the model and device cards"),
        Field::text("splitwise", "",
                    "model/hardware/tp of SplitwiseSim's perf_model.csv (e.g. llama2-70b/h100-80gb/4): "
                    "`profile` is then that data file, prefill linear in batch tokens, decode bilinear in "
                    "(batch, context); \"\" = profile is a phase,batch,tokens,ms CSV"),
        Field::text("latency", "model", latency_help(), choice_names(latency_modes())),
        Field::text("api_energy_card", "",
                    "API energy estimate: device card of the provider's assumed hardware (e.g. h100_sxm); "
                    "\"\" = none. Reported apart, as an estimate, in /summary api_energy_estimate_per_request_j"),
        Field::integer("api_energy_accelerators", 8, "accelerators",
                       "API energy estimate: accelerators per model replica (assumption: one 8-GPU node)", 1, 1e6),
        Field::real("api_energy_batch", 32, "sequences",
                    "API energy estimate: sequences sharing a replica (assumption: the provider's mean batch)", 1e-3,
                    1e6),
    };
    out.insert(out.end(), batching_fields().begin(), batching_fields().end());
    return out;
  }();
  return f;
}

std::span<const LatencyModeInfo> latency_modes() {
  static constexpr LatencyModeInfo kModes[] = {
      {"model", LatencyMode::model, "step times from the roofline or profile"},
      {"service_time", LatencyMode::service_time,
       "each request is served for its [workload.service] time (queueing studies; scheduler fcfs or a per-user "
       "device)"},
  };
  return kModes;
}

LatencyMode latency_mode_from(const std::string& text) { return choice_row(latency_modes(), text, "latency mode").mode; }

LimitPolicy limit_policy_from(const std::string& text) {
  if (text == "ignore") return LimitPolicy::Ignore;
  if (text == "fail") return LimitPolicy::Fail;
  if (text == "truncate") return LimitPolicy::Truncate;
  throw std::invalid_argument("unknown limit policy '" + text + "'");
}

DeploymentSpec deployment_from(const ParamSet& p, const std::string& name) {
  DeploymentSpec d;
  d.name = name;
  d.price_input = p.number("price_input");
  d.price_output = p.number("price_output");
  d.scheduler = &scheduler_named(p.text("scheduler"));
  d.max_batch = static_cast<int>(p.integer("max_batch"));
  d.max_prefill_tokens = p.integer("max_prefill_tokens");
  d.kv_memory_utilization = p.number("kv_memory_utilization");
  d.iteration_overhead = p.number("iteration_overhead");
  d.dispatch = &dispatch_named(p.text("dispatch"));
  d.context_policy = limit_policy_from(p.text("context_policy"));
  d.api_energy_card = p.text("api_energy_card");
  d.api_energy_accelerators = static_cast<int>(p.integer("api_energy_accelerators"));
  d.api_energy_batch = p.number("api_energy_batch");
  d.prefix_cache = p.flag("prefix_cache");
  d.prefix_block_tokens = p.integer("prefix_block_tokens");
  d.decode_on = p.text("decode_on");
  d.decode_on_pos = p.pos("decode_on");
  d.share_with = p.texts("share_with");
  d.share_with_pos = p.pos("share_with");
  d.pool_dispatch = &pool_dispatch_named(p.text("pool_dispatch"));
  if (d.prefix_cache && !d.scheduler->batching)
    throw InputError(p.pos("prefix_cache"), "deployments." + name + ".prefix_cache",
                     "prefix caching needs scheduler = \"continuous\"");
  d.memory_policy = limit_policy_from(p.text("memory_policy"));
  d.kv_paged = p.text("kv_admission") == "paged";
  d.preemption_swap = p.text("preemption") == "swap";
  d.kv_block_tokens = p.integer("kv_block_tokens");
  if (d.kv_paged && d.prefix_cache)  // BatchingReplica supports one or the other, not both yet
    throw InputError(p.pos("kv_admission"), "deployments." + name + ".kv_admission",
                     "kv_admission = \"paged\" cannot be combined with prefix_cache = true yet: "
                     "use kv_admission = \"reserve\" with prefix caching");
  d.autoscale = p.flag("autoscale");
  d.autoscale_min_replicas = static_cast<int>(p.integer("autoscale_min_replicas"));
  d.autoscale_interval = p.number("autoscale_interval");
  d.autoscale_up = p.number("autoscale_up");
  d.autoscale_down = p.number("autoscale_down");
  if (d.autoscale && d.autoscale_down >= d.autoscale_up)
    throw InputError(p.pos("autoscale_down"), "deployments." + name + ".autoscale_down",
                     "autoscale_down must be below autoscale_up (hysteresis)");
  if (d.autoscale && !d.scheduler->batching)
    throw InputError(p.pos("autoscale"), "deployments." + name + ".autoscale",
                     "autoscaling needs scheduler = \"continuous\"");
  d.latency = latency_mode_from(p.text("latency"));
  d.latency_pos = p.pos("latency");
  if (!d.scheduler->batching)  // keys of another scheduler's spec (Vidur-style per-scheduler configs)
    for (const Field& f : batching_fields())
      if (p.given(f.key))
        throw InputError(p.pos(f.key), "deployments." + name + "." + f.key,
                         std::string("applies to a batching scheduler only; scheduler = \"") + d.scheduler->name +
                             "\" does not batch: remove it or set scheduler = \"continuous\"");
  return d;
}

}  // namespace collabsim
