#include "sim/mechanisms/context.hpp"

namespace collabsim {

Context::Context(Engine& engine, const Scenario& sc, const Topology& topo, Network& net,
                 std::vector<DeploymentServer>& deps, const quality::QualityTable& table,
                 std::vector<std::size_t> quality_columns)
    : engine_(engine), sc_(sc), topo_(topo), net_(net), deps_(deps), table_(table),
      quality_columns_(std::move(quality_columns)) {}

Task<void> Context::compute_on_origin(const Request& r, RequestRecord& rec, double seconds) {
  if (seconds <= 0) co_return;
  co_await engine_.delay(from_seconds(seconds));
  const DeviceSpec& dev = sc_.devices[r.origin];
  const double j = dev.busy_power * dev.accelerators * seconds;
  rec.device_energy[r.origin] += j;
  rec.energy_j += j;
}

Task<Answer> Context::ask_tokens(std::size_t dep, const Request& r, RequestRecord& rec,
                                 std::int64_t prompt_tokens, std::int64_t output_tokens) {
  DeploymentServer& server = deps_[dep];
  const std::size_t device = topo_.deployment_device(dep);
  const double bpt = sc_.workload.bytes_per_token;
  Answer a;
  a.deployment = dep;
  if (device != r.origin) {
    const double bytes = static_cast<double>(prompt_tokens) * bpt;
    const Transfer up = co_await net_.send(r.origin, device, bytes, r.deadline);
    rec.bytes_up += static_cast<std::int64_t>(bytes);
    charge_radio(rec, net_.radio_energy(r.origin, device, bytes));
    if (up.timed_out) {
      a.timed_out = true;
      a.first_token_at_user = a.done_at_user = engine_.now();
      co_return a;
    }
  }
  a.generation = co_await server.generate(prompt_tokens, output_tokens);
  const Generation& g = a.generation;
  rec.tokens[dep] += g.output_tokens;
  rec.device_energy[device] += g.energy;
  rec.energy_j += g.energy;
  rec.cost_usd += g.cost;
  if (device != r.origin && !g.failed) {
    a.first_token_at_user = net_.arrival_time(device, r.origin, bpt, g.first_token);
    const Transfer last = co_await net_.send(device, r.origin, bpt, r.deadline);  // through the FIFOs
    a.done_at_user = std::max(engine_.now(), a.first_token_at_user);
    a.timed_out = last.timed_out;
    const double down = static_cast<double>(output_tokens) * bpt;
    rec.bytes_down += static_cast<std::int64_t>(down);
    charge_radio(rec, net_.radio_energy(device, r.origin, down));
  } else {
    a.first_token_at_user = g.first_token;
    a.done_at_user = g.end;
  }
  co_return a;
}

void Context::charge_radio(RequestRecord& rec, double joules) const {
  rec.energy_radio_j += joules;
  rec.energy_j += joules;
}

void Context::finish(const Request& r, RequestRecord& rec, const Answer& a, Route route,
                     bool escalated) const {
  rec.route = route;
  rec.escalated = escalated;
  rec.ttft_s = to_seconds(a.first_token_at_user - r.arrival);
  rec.latency_s = to_seconds(a.done_at_user - r.arrival);
  rec.tpot_s = r.output_tokens > 1
                   ? to_seconds(a.done_at_user - a.first_token_at_user) / static_cast<double>(r.output_tokens - 1)
                   : 0.0;
  if (a.generation.failed || a.timed_out) {  // no answer: quality 0, not counted in n_ok
    rec.status = a.timed_out ? Status::TimedOut : Status::Failed;
    rec.quality = 0.0;
    return;
  }
  rec.quality = score(a.deployment, r);
  rec.status = Status::Ok;
}

}  // namespace collabsim
