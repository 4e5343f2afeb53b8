/// \file cmd_list.cpp
/// `collabsim list`: every mechanism and scenario key with default, unit and help.

#include <fmt/format.h>

#include "sim/cli/commands.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/mechanisms/registry.hpp"

namespace collabsim::cli {

Command add_list_command(CLI::App& app) {
  auto* list = app.add_subcommand("list", "list mechanisms and scenario keys with defaults, units and allowed values");
  return {list, [] {
            fmt::print("Mechanisms (set [mechanism] name = \"...\"; parameters in [mechanism.<name>], with default [unit]):\n\n");
            for (const auto& m : mechanism_registry()) {
              fmt::print("  {:<12} {}\n  {:<12} ref: {}\n", m.name, m.summary, "", m.reference);
              fmt::print("{}\n", describe_fields(m.params));
            }
            fmt::print("Scenario sections:\n\n  [run]\n{}\n  [workload]\n{}\n"
                       "  [workload.arrivals]  format = \"generated\" (docs/WORKLOADS.md)\n{}\n"
                       "  [workload.lengths]  format = \"generated\"\n{}\n"
                       "  [workload.service]  any format; served by deployments with latency = \"service_time\"\n{}\n"
                       "  [workload.attributes]  any format; per-request user, private share, SLO (docs/WORKLOADS.md)\n{}\n"
                       "  [workload.attributes.categories.<category>]  overrides for one quality category\n{}\n"
                       "  [quality]\n{}\n  [slo]  service-level objectives (slo_attainment, goodput_rps in /summary)\n{}\n"
                       "  [devices.<name>] (and device cards)\n{}\n"
                       "  [links.<name>]\n{}\n  [deployments.<name>]\n{}\n  model cards (models/llms/<id>.toml)\n{}\n"
                       "  [sweep]  parameter study for `collabsim sweep` (ignored by `run`): \"<key path>\" = [values] or\n"
                       "           {{ from = a, to = b, step = s }}; mode = \"grid\" | \"zip\"; seeds = N;\n"
                       "           skip = [{{ \"<key path>\" = value, ... }}] (points matching every entry are skipped)\n",
                       describe_fields(run_fields()), describe_fields(workload_fields()),
                       describe_fields(workload::arrival_fields()), describe_fields(workload::length_fields()),
                       describe_fields(workload::service_fields()), describe_fields(workload::attribute_fields()),
                       describe_fields(workload::category_attribute_fields()), describe_fields(quality_fields()),
                       describe_fields(slo_fields()),
                       describe_fields(device_fields()), describe_fields(link_fields()),
                       describe_fields(deployment_fields()), describe_fields(model_card_fields()));
            return kExitOk;
          }};
}

}  // namespace collabsim::cli
