#pragma once
/// \file request.hpp
/// One user request as the simulation sees it.

#include <cstddef>
#include <cstdint>
#include <span>

#include "sim/core/time.hpp"

namespace collabsim {

struct Request {
  std::uint64_t id = 0;              ///< 0-based position in the workload
  SimTime arrival = 0;               ///< ns since the start of the run
  std::size_t origin = 0;            ///< device index (Topology) the request is issued from
  std::int64_t prompt_tokens = 0;    ///< tokens (from the trace)
  std::int64_t output_tokens = 0;    ///< tokens to generate (from the trace)
  std::size_t quality_row = 0;       ///< row of the joined question in the QualityTable
  std::int64_t query_id = -1;        ///< that question's id
  SimTime deadline = kTimeNever;     ///< network waits give up at this time (workload.timeout)
  /// s of service at deployments with latency = "service_time" ([workload.service]);
  /// < 0 = none (service follows from the tokens and the latency model).
  double service_s = -1;
  // Request attributes ([workload.attributes], workload/request_attributes.hpp).
  double private_share = 0;          ///< share of prompt tokens that are private, [0, 1]
  std::int64_t user = -1;            ///< issuing user's id in [0, workload.attributes.users), -1 = none
  double slo_ttft = 0;               ///< s, TTFT target (0 = none)
  double slo_tpot = 0;               ///< s, TPOT target (0 = none)
  /// Prefix-block hash ids of the prompt (Mooncake `hash_ids`, 512 tokens per block; empty
  /// for other traces, generated workloads and prompts sized from the question text): a
  /// view into the run's read-only trace data, carried by reference down to the replicas
  /// that cache KV blocks (deployments.<name>.prefix_cache).
  std::span<const std::int64_t> prefix_blocks;
};

}  // namespace collabsim
