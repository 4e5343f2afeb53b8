#include "sim/workload/request_attributes.hpp"

#include <algorithm>
#include <cmath>

#include "sim/core/error.hpp"
#include "sim/core/rng.hpp"
#include "sim/workload/distribution.hpp"

namespace collabsim::workload {

std::span<const Field> attribute_fields() {
  static const std::vector<Field> f = {
      Field::integer("users", 0, "users",
                     "N users issuing the requests: each request gets a user_id drawn from [0, N) (0 = no user ids)", 0,
                     1e7),
      Field::real("user_zipf", 0.0, "1",
                  "Zipf exponent s of user popularity, P(user k) ∝ (k+1)^-s (0 = uniform over the users)", 0.0, 10.0),
      Field::text("private_share", "fixed",
                  "per-request share of private prompt tokens: fixed (workload.private_share for every request) or "
                  "beta (drawn from Beta(private_alpha, private_beta))",
                  {"fixed", "beta"}),
      Field::real("private_alpha", 1.0, "1", "beta: shape α of the private share's Beta distribution", 1e-3, 1e3),
      Field::real("private_beta", 1.0, "1", "beta: shape β of the private share's Beta distribution", 1e-3, 1e3),
  };
  return f;
}

std::span<const Field> category_attribute_fields() {
  static const std::vector<Field> f = {
      Field::real("private_share", -1.0, "1",
                  "share of private prompt tokens of this category's requests (replaces the draw; -1 = not set)",
                  -1.0, 1.0),
      Field::quantity("ttft", "0 s", Dimension::Time,
                      "TTFT target of this category's requests (replaces [slo] ttft; 0 = not set)"),
      Field::quantity("tpot", "0 s", Dimension::Time,
                      "TPOT target of this category's requests (replaces [slo] tpot; 0 = not set)"),
  };
  return f;
}

AttributeSpec attribute_from(const ParamSet& p) {
  AttributeSpec a;
  a.given = true;
  a.users = p.integer("users");
  a.user_zipf = p.number("user_zipf");
  a.private_share = p.text("private_share");
  a.private_alpha = p.number("private_alpha");
  a.private_beta = p.number("private_beta");
  if (a.user_zipf > 0 && a.users == 0)
    throw InputError(p.pos("user_zipf"), "workload.attributes.user_zipf", "a popularity skew needs users > 0");
  if (a.private_share != "beta")
    for (const char* k : {"private_alpha", "private_beta"})
      if (p.given(k))
        throw InputError(p.pos(k), std::string("workload.attributes.") + k, "applies to private_share = \"beta\"");
  return a;
}

CategoryAttributes category_attribute_from(const ParamSet& p, std::string category) {
  CategoryAttributes c;
  c.category = std::move(category);
  c.private_share = p.number("private_share");
  c.slo_ttft = p.number("ttft");
  c.slo_tpot = p.number("tpot");
  return c;
}

AttributeDrawer::AttributeDrawer(const AttributeSpec& spec, std::uint64_t seed, double default_private_share,
                                 double slo_ttft, double slo_tpot)
    : spec_(spec), seed_(seed), private_share_(default_private_share), slo_ttft_(slo_ttft), slo_tpot_(slo_tpot) {
  if (spec_.users > 0 && spec_.user_zipf > 0) {
    user_cdf_.resize(static_cast<std::size_t>(spec_.users));
    double sum = 0;
    for (std::size_t k = 0; k < user_cdf_.size(); ++k) {
      sum += std::pow(static_cast<double>(k + 1), -spec_.user_zipf);
      user_cdf_[k] = sum;
    }
    for (auto& c : user_cdf_) c /= sum;
    user_cdf_.back() = 1.0;
  }
}

RequestAttributes AttributeDrawer::draw(std::uint64_t id, const std::string& category) const {
  RequestAttributes a;
  a.private_share = private_share_;
  a.slo_ttft = slo_ttft_;
  a.slo_tpot = slo_tpot_;
  if (spec_.users > 0) {
    RngStream rng(seed_, "user", id);
    const double u = rng.uniform();
    if (user_cdf_.empty()) {
      a.user = std::min<std::int64_t>(spec_.users - 1, static_cast<std::int64_t>(u * static_cast<double>(spec_.users)));
    } else {
      const auto it = std::upper_bound(user_cdf_.begin(), user_cdf_.end(), u);
      a.user = std::min<std::int64_t>(spec_.users - 1, it - user_cdf_.begin());
    }
  }
  if (spec_.private_share == "beta") {
    RngStream rng(seed_, "private_share", id);
    // Gamma(k, 1) has mean k and cv 1/√k (distribution.hpp parameterises by mean and cv).
    const Distribution x(DistKind::Gamma, spec_.private_alpha, 1.0 / std::sqrt(spec_.private_alpha));
    const Distribution y(DistKind::Gamma, spec_.private_beta, 1.0 / std::sqrt(spec_.private_beta));
    const double gx = x.sample(rng), gy = y.sample(rng);
    a.private_share = gx + gy > 0 ? std::clamp(gx / (gx + gy), 0.0, 1.0) : 0.0;
  }
  for (const auto& c : spec_.categories) {
    if (c.category != category) continue;
    if (c.private_share >= 0) a.private_share = c.private_share;
    if (c.slo_ttft > 0) a.slo_ttft = c.slo_ttft;
    if (c.slo_tpot > 0) a.slo_tpot = c.slo_tpot;
    break;
  }
  return a;
}

}  // namespace collabsim::workload
