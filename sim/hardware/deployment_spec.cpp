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
  const std::string ctx = "deployments." + name;
  DeploymentSpec d;
  d.name = name;
  d.price_input = p.number("price_input");
  d.price_output = p.number("price_output");
  d.scheduler = &scheduler_named(p.text("scheduler"));
  d.kv_memory_utilization = p.number("kv_memory_utilization");
  d.context_policy = limit_policy_from(p.text("context_policy"));
  d.memory_policy = limit_policy_from(p.text("memory_policy"));
  d.decode_on = p.text("decode_on");
  d.decode_on_pos = p.pos("decode_on");
  d.share_with = p.texts("share_with");
  d.share_with_pos = p.pos("share_with");
  d.pool_dispatch = &pool_dispatch_named(p.text("pool_dispatch"));
  d.latency = latency_mode_from(p.text("latency"));
  d.latency_pos = p.pos("latency");
  if (d.scheduler->batching) {
    d.batching = batching_from(p, ctx);
  } else {  // keys of another scheduler's spec (Vidur-style per-scheduler configs)
    d.batching.reset();
    if (p.flag("prefix_cache"))
      throw InputError(p.pos("prefix_cache"), ctx + ".prefix_cache", "prefix caching needs scheduler = \"continuous\"");
    if (p.flag("autoscale"))
      throw InputError(p.pos("autoscale"), ctx + ".autoscale", "autoscaling needs scheduler = \"continuous\"");
    for (const Field& f : batching_fields())
      if (p.given(f.key))
        throw InputError(p.pos(f.key), ctx + "." + f.key,
                         std::string("applies to a batching scheduler only; scheduler = \"") + d.scheduler->name +
                             "\" does not batch: remove it or set scheduler = \"continuous\"");
  }
  if (!p.text("api_energy_card").empty()) {
    d.api_energy = ApiEnergySpec{p.text("api_energy_card"), static_cast<int>(p.integer("api_energy_accelerators")),
                                 p.number("api_energy_batch"), 0.0};
  } else {
    for (const char* k : {"api_energy_accelerators", "api_energy_batch"})
      if (p.given(k))
        throw InputError(p.pos(k), ctx + "." + k,
                         "applies with an api_energy_card only: remove it or name the provider's assumed card");
  }
  return d;
}

}  // namespace collabsim
