// Registries of user-facing choices (config/choice.hpp): each row array is the single
// source of its key's allowed values, and names read into rows behave as their row says.
#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "sim/config/choice.hpp"
#include "sim/hardware/deployment_spec.hpp"
#include "sim/hardware/dispatch.hpp"
#include "sim/hardware/pool_dispatch.hpp"
#include "sim/hardware/scheduler.hpp"
#include "sim/quality/quality_table.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/workload/arrival_process.hpp"
#include "sim/workload/generated_source.hpp"
#include "sim/workload/generator_spec.hpp"
#include "sim/workload/length_source.hpp"

namespace collabsim {
namespace {

/// The declared choices of `key` in `fields`; fails the test when the key is absent.
std::vector<std::string> choices_of(std::span<const Field> fields, const std::string& key) {
  for (const auto& f : fields)
    if (f.key == key) return f.choices;
  ADD_FAILURE() << "no field " << key;
  return {};
}

}  // namespace

TEST(Registries, FieldChoicesAreTheRowNames) {
  EXPECT_EQ(choices_of(deployment_fields(), "scheduler"), choice_names(schedulers()));
  EXPECT_EQ(choices_of(deployment_fields(), "dispatch"), choice_names(dispatch_policies()));
  EXPECT_EQ(choices_of(deployment_fields(), "pool_dispatch"), choice_names(pool_dispatch_policies()));
  EXPECT_EQ(choices_of(deployment_fields(), "latency"), choice_names(latency_modes()));
  EXPECT_EQ(choices_of(workload::arrival_fields(), "process"), choice_names(workload::arrival_processes()));
  EXPECT_EQ(choices_of(workload::length_fields(), "source"), choice_names(workload::length_sources()));
  std::vector<std::string> formats = {"auto"};
  for (const auto& n : choice_names(quality::quality_formats())) formats.push_back(n);
  EXPECT_EQ(choices_of(quality_fields(), "format"), formats);
  // Every batching key is a deployment key (the loader validates them together).
  for (const auto& b : batching_fields())
    EXPECT_TRUE(std::any_of(deployment_fields().begin(), deployment_fields().end(),
                            [&](const Field& f) { return f.key == b.key; }))
        << b.key;
}

TEST(Registries, UnknownNamesThrowListingTheKnownOnes) {
  EXPECT_EQ(std::string(scheduler_named("fcfs").name), "fcfs");
  try {
    scheduler_named("sjf");
    FAIL() << "no throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("continuous, fcfs"), std::string::npos) << e.what();
  }
  EXPECT_THROW(dispatch_named("random"), std::invalid_argument);
  EXPECT_THROW(pool_dispatch_named("fastest"), std::invalid_argument);
  EXPECT_THROW(workload::arrival_process_named("hawkes"), std::invalid_argument);
  EXPECT_THROW(workload::length_source_named("zipf"), std::invalid_argument);
}

TEST(Registries, RowsCarryTheVariantsBehaviour) {
  EXPECT_TRUE(scheduler_named("continuous").batching);
  EXPECT_FALSE(scheduler_named("continuous").holds_service_time);
  EXPECT_FALSE(scheduler_named("fcfs").batching);
  EXPECT_TRUE(scheduler_named("fcfs").holds_service_time);
  // Pool-dispatch scores: least_loaded ignores speed, expected_delay = (n + 1) × S.
  const auto& ll = pool_dispatch_named("least_loaded");
  const auto& ed = pool_dispatch_named("expected_delay");
  EXPECT_FALSE(ll.reads_service_time);
  EXPECT_TRUE(ed.reads_service_time);
  EXPECT_DOUBLE_EQ(ll.score(2.0, 5.0), 2.0);
  EXPECT_DOUBLE_EQ(ed.score(2.0, 5.0), 15.0);
  // A fast member with more requests beats a slow idle one under expected_delay only.
  EXPECT_LT(ed.score(1.0, 1.0), ed.score(0.0, 3.0));
  EXPECT_GT(ll.score(1.0, 1.0), ll.score(0.0, 3.0));
  EXPECT_NE(dispatch_named("round_robin").make(), nullptr);
  // Arrival processes: the renewal rows carry their gap family.
  EXPECT_EQ(workload::arrival_process_named("poisson").gap, workload::DistKind::Exponential);
  EXPECT_EQ(workload::arrival_process_named("gamma").gap, workload::DistKind::Gamma);
  EXPECT_TRUE(workload::arrival_process_named("servegen").reads_windows);
  EXPECT_TRUE(workload::arrival_process_named("closed_loop").closed_loop);
  EXPECT_FALSE(workload::arrival_process_named("closed_loop").renewal);
  // Length sources: which file each reads, and a fixed source's drawer draws nothing.
  EXPECT_TRUE(workload::length_source_named("trace").reads_trace);
  EXPECT_FALSE(workload::length_source_named("trace").reads_dataset);
  EXPECT_TRUE(workload::length_source_named("servegen").reads_dataset);
  EXPECT_FALSE(workload::length_source_named("lognormal").reads_trace);
  {
    workload::GeneratedWorkload w;
    w.lengths.source = &workload::length_source_named("fixed");
    w.lengths.prompt_tokens = 7;
    w.lengths.output_tokens = 3;
    const auto drawer = w.lengths.source->make(w, {});
    RngStream rng(1, "generated_lengths", 0), untouched(1, "generated_lengths", 0);
    workload::SourceRequest r;
    drawer->draw(rng, r);
    EXPECT_EQ(r.prompt_tokens, 7);
    EXPECT_EQ(r.output_tokens, 3);
    EXPECT_EQ(rng.uniform(), untouched.uniform());  // no draw taken from the request's stream
  }
  // Quality formats: "auto" tries the header rules in row order.
  const auto formats = quality::quality_formats();
  ASSERT_EQ(formats.size(), 3u);
  EXPECT_TRUE(formats[0].detect({"query_id", "model", "score"}));
  EXPECT_FALSE(formats[0].detect({"question_id", "m1"}));
  EXPECT_TRUE(formats[1].detect({"question_id", "m1"}));
  EXPECT_TRUE(formats[2].detect({"prompt", "gpt-4"}));
  EXPECT_FALSE(formats[2].detect({"question", "gpt-4"}));
}

TEST(Registries, DefaultsAreTheFirstRows) {
  const DeploymentSpec d;
  EXPECT_EQ(d.scheduler, &schedulers().front());
  ASSERT_TRUE(d.batching);  // the default scheduler batches
  EXPECT_EQ(d.batching->dispatch, &dispatch_policies().front());
  EXPECT_EQ(d.pool_dispatch, &pool_dispatch_policies().front());
  const workload::ArrivalSpec a;
  EXPECT_EQ(std::string(a.process->name), "poisson");
  const workload::LengthSpec l;
  EXPECT_EQ(std::string(l.source->name), "lognormal");
}

}  // namespace collabsim
