#pragma once
/// \file generation.hpp
/// What one generation on a deployment took.

#include <cstdint>

#include "sim/core/time.hpp"

namespace collabsim {

struct Generation {
  SimTime queued = 0;       ///< arrival at the deployment (ns, absolute)
  SimTime start = 0;        ///< admitted / service start (ns)
  SimTime first_token = 0;  ///< first output token produced (ns)
  SimTime end = 0;          ///< last output token produced (ns)
  std::int64_t prompt_tokens = 0;
  std::int64_t output_tokens = 0;
  double device_time = 0;   ///< s of replica time attributed to this request (batched
                            ///< iterations split by tokens processed)
  double energy = 0;        ///< J attributed to this request on the serving device
  double cost = 0;          ///< USD
  bool failed = false;      ///< could not be served (e.g. KV cache too small for it)
  bool battery_low = false; ///< failed: the user's own device was below its battery floor at the start
  std::int64_t prefix_hit_tokens = 0;  ///< prompt tokens served from the replica's prefix cache (not prefilled)
  int replica = -1;         ///< serving replica (continuous batching), −1 for a pool or per-user instance
};

}  // namespace collabsim
