#pragma once
/// \file request_attributes.hpp
/// Per-request attributes that mechanisms and metrics read beyond the token counts
/// (`[workload.attributes]`, docs/WORKLOADS.md): the user who issued the request, the share
/// of its prompt that is private, and its SLO targets (TTFT, TPOT). They come from seeded
/// draws keyed by the request id (so they do not depend on arrival order or on the thread
/// that runs a sweep point) and from per-category overrides joined through the request's
/// quality-table question (`[workload.attributes.categories.<category>]`).
///
/// Off by default: without `[workload.attributes]` every request has no user id (-1), the
/// scenario-wide `workload.private_share` and the `[slo]` targets, as before the section
/// existed.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sim/config/params.hpp"

namespace collabsim::workload {

/// Attribute overrides for the requests joined to questions of one category.
struct CategoryAttributes {
  std::string category;
  double private_share = -1;  ///< share in [0, 1]; < 0 = not overridden
  double slo_ttft = 0;        ///< s; 0 = not overridden
  double slo_tpot = 0;        ///< s; 0 = not overridden
  SourcePos pos;
};

/// `[workload.attributes]`.
struct AttributeSpec {
  bool given = false;               ///< the section exists (adds the attribute columns to /requests)
  std::int64_t users = 0;           ///< N users issuing the requests (0 = no user ids)
  double user_zipf = 0;             ///< Zipf exponent s of user popularity (0 = uniform)
  std::string private_share = "fixed";  ///< "fixed" (workload.private_share) | "beta"
  double private_alpha = 1, private_beta = 1;  ///< "beta": shape parameters α, β > 0
  std::vector<CategoryAttributes> categories;
  SourcePos pos;
};

/// Keys of `[workload.attributes]` and of `[workload.attributes.categories.<name>]`.
std::span<const Field> attribute_fields();
std::span<const Field> category_attribute_fields();
AttributeSpec attribute_from(const ParamSet& p);
CategoryAttributes category_attribute_from(const ParamSet& p, std::string category);

/// A request's drawn attributes.
struct RequestAttributes {
  std::int64_t user = -1;     ///< user id in [0, users), -1 = none
  double private_share = 0;   ///< share of prompt tokens that are private, [0, 1]
  double slo_ttft = 0;        ///< s, 0 = no TTFT target
  double slo_tpot = 0;        ///< s, 0 = no TPOT target
};

/// Draws the attributes of request `id` joined to a question of `category`.
/// Users: uniform over [0, N) or Zipf, P(user k) ∝ (k + 1)^−s (Zipf 1949; the popularity
/// skew of per-user traffic, e.g. Breslau et al., INFOCOM 1999), by inversion of the
/// precomputed CDF (O(N) memory, O(log N) per draw), stream (seed, "user", id).
/// Private share: fixed, or Beta(α, β) = X/(X + Y) with X ~ Gamma(α), Y ~ Gamma(β)
/// (Marsaglia & Tsang samplers, distribution.hpp), stream (seed, "private_share", id); a
/// category's `private_share` replaces the draw. SLO targets: the category's, else the
/// scenario's `[slo]`.
class AttributeDrawer {
 public:
  /// `default_private_share`: workload.private_share; `slo_ttft`, `slo_tpot`: [slo] (s, 0 = none).
  AttributeDrawer(const AttributeSpec& spec, std::uint64_t seed, double default_private_share, double slo_ttft,
                  double slo_tpot);
  RequestAttributes draw(std::uint64_t id, const std::string& category) const;

 private:
  const AttributeSpec& spec_;
  std::uint64_t seed_;
  double private_share_, slo_ttft_, slo_tpot_;
  std::vector<double> user_cdf_;  // Zipf: cumulative probabilities, last = 1
};

}  // namespace collabsim::workload
