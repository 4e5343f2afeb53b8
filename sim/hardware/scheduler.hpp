#pragma once
/// \file scheduler.hpp
/// The registry of serving schedulers for shared devices (`deployments.<name>.scheduler`):
/// one SchedulerInfo row per scheduler (schedulers(), scheduler.cpp), the single source of
/// the key's allowed values, of its help in `collabsim list` and of the Server it builds.
/// The loader reads the name into a pointer to its row once (DeploymentSpec::scheduler);
/// nothing after load compares the name. Per-user devices ignore the scheduler: every
/// request runs on its own instance (PerUserInstances, make_server).

#include <memory>
#include <span>
#include <string>

namespace collabsim {

class Engine;
class LatencyModel;
class Server;
struct DeploymentSpec;
struct DeviceSpec;

struct SchedulerInfo {
  const char* name;
  const char* help;
  /// Iteration-level batching: the keys of batching_fields() (max_batch, dispatch, prefix
  /// caching, paged KV, autoscaling; DeploymentSpec::batching) apply. The loader refuses
  /// those keys, written, for a scheduler without batching.
  bool batching;
  /// Serves deployments with latency = "service_time" (Server::hold).
  bool holds_service_time;
  /// The Server for deployment `dep` on the shared device `dev`; `latency` and the specs
  /// must outlive it; `kv_capacity`: KV-cache bytes per replica (DeploymentServer::kv_capacity).
  std::unique_ptr<Server> (*make)(Engine& engine, const DeploymentSpec& dep, const DeviceSpec& dev,
                                  const LatencyModel& latency, double kv_capacity);
};

/// Every scheduler, the default ("continuous") first.
std::span<const SchedulerInfo> schedulers();
/// The row named `name`; throws std::invalid_argument (listing the names) otherwise.
const SchedulerInfo& scheduler_named(const std::string& name);

}  // namespace collabsim
