#include "sim/hardware/per_user_instances.hpp"

namespace collabsim {

Task<Generation> PerUserInstances::generate(std::int64_t prompt, std::int64_t output, std::int64_t cached) {
  const Generation g = co_await serve_alone(engine_, latency_, dev_, prompt, output, cached);
  busy_s_ += g.device_time;
  co_return g;
}

Task<Generation> PerUserInstances::hold(std::int64_t prompt, std::int64_t output, double seconds) {
  const Generation g = co_await serve_for(engine_, dev_, prompt, output, seconds);
  busy_s_ += g.device_time;
  co_return g;
}

}  // namespace collabsim
