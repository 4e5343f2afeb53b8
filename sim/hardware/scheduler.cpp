#include "sim/hardware/scheduler.hpp"

#include "sim/config/choice.hpp"
#include "sim/hardware/batching_pool.hpp"
#include "sim/hardware/fcfs_pool.hpp"

namespace collabsim {

std::span<const SchedulerInfo> schedulers() {
  static const SchedulerInfo kRows[] = {
      {"continuous",
       "iteration-level continuous batching (vLLM, SGLang): replicas of up to max_batch sequences behind a "
       "dispatch policy",
       true, false, make_batching_pool},
      {"fcfs", "one request at a time per replica, one FCFS line (an M/G/c station)", false, true, make_fcfs_pool},
  };
  return kRows;
}

const SchedulerInfo& scheduler_named(const std::string& name) {
  return choice_row(schedulers(), name, "scheduler");
}

}  // namespace collabsim
