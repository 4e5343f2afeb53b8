/// \file cmd_inspect.cpp
/// `collabsim inspect FILE.h5 [--explain]`: what a run or sweep file holds; with --explain,
/// each metric's definition, direction and source from the metric catalogue
/// (sim/results/metric_catalog.hpp), whose rows point into docs/GLOSSARY.md.

#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "sim/cli/commands.hpp"
#include "sim/io/inspect.hpp"
#include "sim/results/compare.hpp"
#include "sim/results/metric_catalog.hpp"

namespace collabsim::cli {
namespace {

struct InspectArgs {
  std::string file;
  bool explain = false;
};

/// One definition line per metric of `file` (its /summary or /sweep/points columns), in
/// file order; metrics the catalogue does not know are named as such.
void print_definitions(const ResultSet& rs, std::ostream& os) {
  os << "definitions (metric catalogue; the full rows are in docs/GLOSSARY.md):\n";
  for (std::size_t i = 0; i < rs.metrics.size(); ++i) {
    const MetricInfo* m = find_metric(rs.metrics[i]);
    if (!m) {
      os << fmt::format("  {}  [{}]: not in the metric catalogue\n", rs.metrics[i], rs.units[i]);
      continue;
    }
    const std::string dir = m->better == Better::higher  ? "higher is better"
                            : m->better == Better::lower ? "lower is better"
                                                         : "no better direction";
    os << fmt::format("  {}  [{}, {}]: {}.\n      source: {}; glossary: \"{}\"\n", m->name, m->unit, dir,
                      m->description, m->source, m->glossary);
  }
  if (rs.kind == ResultKind::sweep)
    os << "  <metric>_mean, _sd, _ci95_lo, _ci95_hi (/sweep/aggregate): mean over a combination's ok seeds, its\n"
          "      sample standard deviation and 95% Student-t interval, mean ± t(0.975, n−1)·sd/√n.\n"
          "      source: Student 1908; glossary: \"seed interval\"\n";
}

}  // namespace

Command add_inspect_command(CLI::App& app) {
  auto a = std::make_shared<InspectArgs>();
  auto* inspect = app.add_subcommand("inspect", "describe a run or sweep result file (attributes, datasets, summary, sweep tables)");
  inspect->add_option("file", a->file, "result file (.h5)")->required();
  inspect->add_flag("--explain", a->explain,
                    "also print each metric's definition, unit, better direction and source (from the metric "
                    "catalogue; the full rows are in docs/GLOSSARY.md)");
  return {inspect, [a] {
            inspect_result(a->file, std::cout);
            if (a->explain) print_definitions(read_result_set(a->file), std::cout);
            return kExitOk;
          }};
}

}  // namespace collabsim::cli
