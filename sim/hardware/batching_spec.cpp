#include "sim/hardware/batching_spec.hpp"

#include <vector>

#include "sim/config/choice.hpp"
#include "sim/core/error.hpp"

namespace collabsim {
namespace {

/// InputError when `key` is written although its sub-variant is off (`needs` says which).
void refuse_if_given(const ParamSet& p, const std::string& ctx, const char* key, const char* needs) {
  if (p.given(key))
    throw InputError(p.pos(key), ctx + "." + key,
                     std::string("applies with ") + needs + " only: remove it or set " + needs);
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

BatchingSpec batching_from(const ParamSet& p, const std::string& ctx) {
  BatchingSpec b;
  b.max_batch = static_cast<int>(p.integer("max_batch"));
  b.max_prefill_tokens = p.integer("max_prefill_tokens");
  b.iteration_overhead = p.number("iteration_overhead");
  b.dispatch = &dispatch_named(p.text("dispatch"));
  b.prefix_cache = p.flag("prefix_cache");
  b.prefix_block_tokens = p.integer("prefix_block_tokens");
  if (p.text("kv_admission") == "paged") {
    if (b.prefix_cache)  // BatchingReplica supports one or the other, not both yet
      throw InputError(p.pos("kv_admission"), ctx + ".kv_admission",
                       "kv_admission = \"paged\" cannot be combined with prefix_cache = true yet: "
                       "use kv_admission = \"reserve\" with prefix caching");
    b.paged = PagedKvSpec{p.text("preemption") == "swap", p.integer("kv_block_tokens")};
  } else {
    for (const char* k : {"preemption", "kv_block_tokens"}) refuse_if_given(p, ctx, k, "kv_admission = \"paged\"");
  }
  if (p.flag("autoscale")) {
    b.autoscale = AutoscaleSpec{static_cast<int>(p.integer("autoscale_min_replicas")), p.number("autoscale_interval"),
                                p.number("autoscale_up"), p.number("autoscale_down")};
    if (b.autoscale->down >= b.autoscale->up)
      throw InputError(p.pos("autoscale_down"), ctx + ".autoscale_down",
                       "autoscale_down must be below autoscale_up (hysteresis)");
  } else {
    for (const char* k : {"autoscale_min_replicas", "autoscale_interval", "autoscale_up", "autoscale_down"})
      refuse_if_given(p, ctx, k, "autoscale = true");
  }
  return b;
}

}  // namespace collabsim
