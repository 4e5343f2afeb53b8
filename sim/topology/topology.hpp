#pragma once
/// \file topology.hpp
/// The scenario as a graph (Boost.Graph adjacency_list): vertices are devices and model
/// deployments, directed edges are link directions (weight = propagation latency) and
/// hosted-on relations (deployment → device, weight 0). Shortest-latency paths between all
/// device pairs are computed once with Dijkstra at load.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sim/hardware/deployment_spec.hpp"
#include "sim/hardware/device_spec.hpp"
#include "sim/network/link_spec.hpp"

namespace collabsim {

/// One hop of a path: the link (index into the links given to Topology) and its direction.
struct Hop {
  std::size_t link;
  bool up;  ///< true: from → to (the link's "up" direction)
};

/// A route between two devices: hops in order and their summed propagation latency (s).
struct Path {
  std::vector<Hop> hops;
  double latency = 0;
};

class Topology {
 public:
  /// Builds the graph of `devices`, `links` (between device names) and `deployments`
  /// (each on a device) and all device-to-device paths. Throws InputError when a
  /// deployment is unreachable from the device `origin` (where requests come from) or
  /// cannot answer back; std::out_of_range for a name that is not a device.
  Topology(std::span<const DeviceSpec> devices, std::span<const LinkSpec> links,
           std::span<const DeploymentSpec> deployments, const std::string& origin);

  std::size_t num_vertices() const { return num_vertices_; }
  std::size_t device_index(const std::string& name) const;
  const std::string& device_name(std::size_t i) const { return device_names_[i]; }
  /// Device hosting a deployment (by deployment index), found through its hosted-on edge.
  std::size_t deployment_device(std::size_t deployment) const { return hosted_on_[deployment]; }

  /// Shortest-latency path; std::nullopt when `to` is unreachable from `from`.
  const std::optional<Path>& path(std::size_t from, std::size_t to) const {
    return paths_[from * device_names_.size() + to];
  }

 private:
  std::vector<std::string> device_names_;
  std::vector<std::size_t> hosted_on_;
  std::vector<std::optional<Path>> paths_;  // row-major [from][to]
  std::size_t num_vertices_ = 0;
};

}  // namespace collabsim
