// Mechanism token_routing's quality models: the measured curve (default) is read from its
// file and maps the token share to P(LLM outcome); the parametric option is kept, labelled.
#include <gtest/gtest.h>

#include "sim/core/error.hpp"
#include "test_support.hpp"

using namespace collabsim;
using namespace collabsim::testing;
namespace fs = std::filesystem;

namespace {

RunOutput run(const TempDir& d, const std::string& name, std::vector<std::string> sets) {
  sets.insert(sets.begin(), "workload.limit=300");
  // The quality model's ends (share 0 = small_only, 1 = large_only) hold request by request
  // only when the SLM holds every request: its 4k window is off explicitly here.
  sets.insert(sets.begin(), "deployments.slm.context_policy=\"ignore\"");
  return run_scenario_file(d, source_dir() / "scenarios" / "citer_token_routing.toml", name, std::move(sets));
}

}  // namespace

TEST(TokenRoutingQuality, MeasuredCurveIsReadAndMapsTheShare) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  const auto small = run(d, "s", {"mechanism.name=small_only"});
  const auto large = run(d, "l", {"mechanism.name=large_only"});
  ASSERT_GT(large.s.quality_mean, small.s.quality_mean + 0.05);
  // A curve that reaches the teacher at a 0.1 % share: nearly every answer takes the LLM's outcome.
  write_file(d.path / "steep.csv", "teacher_share,threshold,bpb_routed\n0,0,3.0\n0.001,0,2.0\n1,2,2.0\n");
  // A curve that stays at the student until 99.9 %: nearly every answer keeps the SLM's.
  write_file(d.path / "flat.csv", "teacher_share,threshold,bpb_routed\n0,0,3.0\n0.999,0,3.0\n1,2,2.0\n");
  const auto steep = run(d, "a", {"mechanism.token_routing.llm_share=0.5",
                                  "mechanism.token_routing.quality_curve=" + (d.path / "steep.csv").string()});
  const auto flat = run(d, "b", {"mechanism.token_routing.llm_share=0.5",
                                 "mechanism.token_routing.quality_curve=" + (d.path / "flat.csv").string()});
  EXPECT_NEAR(steep.s.quality_mean, large.s.quality_mean, 0.03);
  EXPECT_NEAR(flat.s.quality_mean, small.s.quality_mean, 0.03);
  // The shipped curve (default) lies between the two models at the scenario's 10 % share.
  const auto shipped = run(d, "m", {});
  EXPECT_GT(shipped.s.quality_mean, small.s.quality_mean);
  EXPECT_LT(shipped.s.quality_mean, large.s.quality_mean);
  // Share 0 and 1 are small_only and large_only under the measured model too.
  EXPECT_DOUBLE_EQ(run(d, "z", {"mechanism.token_routing.llm_share=0"}).s.quality_mean, small.s.quality_mean);
  EXPECT_DOUBLE_EQ(run(d, "o", {"mechanism.token_routing.llm_share=1"}).s.quality_mean, large.s.quality_mean);
}

TEST(TokenRoutingQuality, ParametricOptionAndBadInput) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  const auto large = run(d, "l", {"mechanism.name=large_only"});
  // Parametric: llm_share / critical_share = 1 → always the LLM's outcome; no curve is read.
  const auto par = run(d, "p", {"mechanism.token_routing.quality_model=parametric", "mechanism.token_routing.llm_share=0.5",
                                "mechanism.token_routing.critical_share=0.5",
                                "mechanism.token_routing.quality_curve=does_not_exist.csv"});
  EXPECT_DOUBLE_EQ(par.s.quality_mean, large.s.quality_mean);
  EXPECT_THROW(run(d, "x", {"mechanism.token_routing.quality_curve=does_not_exist.csv"}), InputError);
  EXPECT_THROW(run(d, "y", {"mechanism.token_routing.quality_model=oracle"}), InputError);
  write_file(d.path / "bad.csv", "teacher_share,threshold,bpb_routed\n0,0,2.0\n1,2,3.0\n");
  EXPECT_THROW(run(d, "w", {"mechanism.token_routing.quality_curve=" + (d.path / "bad.csv").string()}), InputError);
}
