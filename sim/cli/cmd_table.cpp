/// \file cmd_table.cpp
/// `collabsim table FILE.h5... --metrics M1,M2 [--by KEY] [--format csv|md|latex] [-o OUT]`:
/// chosen metrics of run and sweep files as one table with mean ± 95% half-width
/// (sim/results/table.hpp).

#include <fstream>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "sim/cli/commands.hpp"
#include "sim/core/error.hpp"
#include "sim/results/table.hpp"

namespace collabsim::cli {
namespace {

struct TableArgs {
  std::vector<std::string> files, metrics;
  std::string by = "mechanism", format = "md", output;
};

}  // namespace

Command add_table_command(CLI::App& app) {
  auto a = std::make_shared<TableArgs>();
  auto* cmd = app.add_subcommand(
      "table", "chosen metrics of run and sweep files as one table (CSV, Markdown, LaTeX booktabs), mean ± 95% half-width");
  cmd->add_option("files", a->files, "run or sweep result files (.h5)")->required();
  cmd->add_option("--metrics", a->metrics,
                  "comma-separated /summary metrics (default quality_mean,latency_p99_s,cost_per_1k_usd,"
                  "energy_per_request_j)")
      ->delimiter(',');
  cmd->add_option("--by", a->by,
                  "first column and sort key: a swept key (e.g. workload.rate_scale), mechanism, scenario or file "
                  "(default mechanism)");
  cmd->add_option("--format", a->format, "csv, md (default) or latex (booktabs: needs \\usepackage{booktabs})");
  cmd->add_option("-o,--output", a->output, "write the table to this file instead of stdout (replaced)");
  cmd->footer(
      "\nA sweep gives one row per combination of its swept keys (/sweep/aggregate): the mean over the\n"
      "combination's ok seeds ± the half-width of its 95% Student-t interval, mean ± t(0.975, n-1)·sd/√n.\n"
      "A run gives one row with its values (no interval). CSV has one number per column\n"
      "(<metric>_mean, <metric>_ci95_hw, empty for none); Markdown and LaTeX round the mean to the\n"
      "half-width's second significant digit.\n\n"
      "Exit status: 0 ok, 2 bad input (a missing or non-result file, an unknown metric or key).");
  return {cmd, [a] {
            const std::vector<std::string> metrics =
                a->metrics.empty() ? std::vector<std::string>{"quality_mean", "latency_p99_s", "cost_per_1k_usd",
                                                              "energy_per_request_j"}
                                   : a->metrics;
            const TableFormat format = parse_table_format(a->format);
            std::vector<ResultSet> sets;
            for (const auto& f : a->files) sets.push_back(read_result_set(f));
            const std::string text = render_table(build_table(sets, metrics, a->by), format);
            if (a->output.empty()) {
              std::cout << text;
            } else {
              for (const auto& f : a->files)
                if (std::filesystem::exists(a->output) && std::filesystem::equivalent(f, a->output))
                  throw InputError(SourcePos{a->output}, "-o", "is one of the inputs: nothing written");
              std::ofstream out(a->output, std::ios::binary | std::ios::trunc);
              out << text;
              if (!out.flush()) throw std::runtime_error("cannot write " + a->output);
            }
            return kExitOk;
          }};
}

}  // namespace collabsim::cli
