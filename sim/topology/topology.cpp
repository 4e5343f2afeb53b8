#include "sim/topology/topology.hpp"

#include <algorithm>
#include <limits>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/dijkstra_shortest_paths.hpp>

namespace collabsim {
namespace {

enum class VertexKind { Device, Deployment };
struct VertexProps {
  VertexKind kind;
  std::size_t index;  // into Scenario::devices or Scenario::deployments
};
struct EdgeProps {
  double latency;             // s
  std::size_t link;           // index into Scenario::links (npos for hosted-on)
  bool up;
};
using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, VertexProps, EdgeProps>;
constexpr std::size_t kNoLink = std::numeric_limits<std::size_t>::max();

}  // namespace

Topology::Topology(std::span<const DeviceSpec> devices, std::span<const LinkSpec> links,
                   std::span<const DeploymentSpec> deployments, const std::string& origin_name) {
  Graph g;
  for (std::size_t i = 0; i < devices.size(); ++i) {
    device_names_.push_back(devices[i].name);
    boost::add_vertex(VertexProps{VertexKind::Device, i}, g);
  }
  for (std::size_t i = 0; i < links.size(); ++i) {
    const auto& l = links[i];
    const auto a = device_index(l.from), b = device_index(l.to);
    boost::add_edge(a, b, EdgeProps{l.latency, i, true}, g);
    boost::add_edge(b, a, EdgeProps{l.latency, i, false}, g);
  }
  for (std::size_t i = 0; i < deployments.size(); ++i) {
    const auto v = boost::add_vertex(VertexProps{VertexKind::Deployment, i}, g);
    const auto dev = device_index(deployments[i].device);
    boost::add_edge(v, dev, EdgeProps{0.0, kNoLink, true}, g);
    hosted_on_.push_back(dev);
  }
  num_vertices_ = boost::num_vertices(g);

  const std::size_t n = device_names_.size();
  paths_.assign(n * n, std::nullopt);
  std::vector<double> dist(num_vertices_);
  std::vector<Graph::vertex_descriptor> pred(num_vertices_);
  for (std::size_t s = 0; s < n; ++s) {
    boost::dijkstra_shortest_paths(
        g, s,
        boost::predecessor_map(boost::make_iterator_property_map(pred.begin(), boost::get(boost::vertex_index, g)))
            .distance_map(boost::make_iterator_property_map(dist.begin(), boost::get(boost::vertex_index, g)))
            .weight_map(boost::get(&EdgeProps::latency, g)));
    for (std::size_t t = 0; t < n; ++t) {
      if (t == s) {
        paths_[s * n + t] = Path{};
        continue;
      }
      if (pred[t] == t) continue;  // unreachable
      Path p;
      p.latency = dist[t];
      for (auto v = t; v != s; v = pred[v]) {
        // Pick the lowest-latency parallel edge pred[v] → v.
        double best = std::numeric_limits<double>::infinity();
        Hop hop{kNoLink, true};
        for (auto [e, end] = boost::out_edges(pred[v], g); e != end; ++e)
          if (boost::target(*e, g) == v && g[*e].latency < best) {
            best = g[*e].latency;
            hop = Hop{g[*e].link, g[*e].up};
          }
        p.hops.push_back(hop);
      }
      std::reverse(p.hops.begin(), p.hops.end());
      paths_[s * n + t] = std::move(p);
    }
  }

  // Every deployment must be reachable from the origin and able to answer back.
  const auto origin = device_index(origin_name);
  for (std::size_t i = 0; i < deployments.size(); ++i) {
    const auto dev = hosted_on_[i];
    if (!path(origin, dev) || !path(dev, origin))
      throw InputError(deployments[i].pos, "deployments." + deployments[i].name + ".device",
                       "device '" + device_names_[dev] + "' is unreachable from the workload origin '" +
                           origin_name + "': no chain of [links] joins them");
  }
}

std::size_t Topology::device_index(const std::string& name) const {
  for (std::size_t i = 0; i < device_names_.size(); ++i)
    if (device_names_[i] == name) return i;
  throw std::out_of_range("no device '" + name + "'");
}

}  // namespace collabsim
