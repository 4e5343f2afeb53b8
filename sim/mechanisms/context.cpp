#include "sim/mechanisms/context.hpp"

namespace collabsim {

Context::Context(Engine& engine, const Scenario& sc, const Topology& topo, Network& net,
                 std::vector<DeploymentServer>& deps, const quality::QualityTable& table,
                 std::vector<std::size_t> quality_columns)
    : engine_(engine), sc_(sc), topo_(topo), net_(net), deps_(deps), table_(table),
      quality_columns_(std::move(quality_columns)) {}

Task<Answer> Context::ask(std::size_t dep, const Request& r, RequestRecord& rec) {
  DeploymentServer& server = deps_[dep];
  const std::size_t device = topo_.deployment_device(dep);
  const double bpt = sc_.workload.bytes_per_token;
  if (device != r.origin) {
    const double bytes = static_cast<double>(r.prompt_tokens) * bpt;
    co_await net_.send(r.origin, device, bytes);
    rec.bytes_up += static_cast<std::int64_t>(bytes);
  }
  Answer a;
  a.deployment = dep;
  a.generation = co_await server.generate(r.prompt_tokens, r.output_tokens);
  const Generation& g = a.generation;
  if (device != r.origin) {
    a.first_token_at_user = g.first_token + from_seconds(net_.unloaded_time(device, r.origin, bpt));
    co_await net_.send(device, r.origin, bpt);  // the last token, through the FIFOs
    a.done_at_user = engine_.now();
    rec.bytes_down += static_cast<std::int64_t>(static_cast<double>(r.output_tokens) * bpt);
  } else {
    a.first_token_at_user = g.first_token;
    a.done_at_user = g.end;
  }
  rec.tokens[dep] += g.output_tokens;
  rec.device_energy[device] += g.energy;
  rec.energy_j += g.energy;
  rec.cost_usd += g.cost;
  co_return a;
}

void Context::finish(const Request& r, RequestRecord& rec, const Answer& a, Route route,
                     bool escalated) const {
  rec.route = route;
  rec.escalated = escalated;
  rec.ttft_s = to_seconds(a.first_token_at_user - r.arrival);
  rec.latency_s = to_seconds(a.done_at_user - r.arrival);
  if (a.generation.failed) {  // no answer: quality 0, counted in n_requests but not n_ok
    rec.status = Status::Failed;
    rec.quality = 0.0;
    return;
  }
  rec.quality = score(a.deployment, r);
  rec.status = Status::Ok;
}

}  // namespace collabsim
