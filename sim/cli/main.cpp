/// \file main.cpp
/// collabsim command line: run, sweep, compare, check, list, inspect, train-router, train-lm,
/// plot, table, trace-export.
/// Exit status: 0 success, 1 a regression (compare, check) or an internal error, 2 bad
/// input (message names file, line and key), including an unknown subcommand or option.

#include <cstdlib>
#include <exception>
#include <vector>

#include <fmt/format.h>

#include "collabsim/version.hpp"
#include "sim/cli/commands.hpp"
#include "sim/core/error.hpp"

using namespace collabsim;

int main(int argc, char** argv) {
  CLI::App app{"collabsim: discrete-event simulator of LLM–SLM collaboration"};
  app.set_version_flag("--version", fmt::format("collabsim {} ({})", kVersion, kGitCommit));
  app.require_subcommand(1);
  std::vector<cli::Command> commands = {
      cli::add_run_command(app),     cli::add_sweep_command(app),        cli::add_compare_command(app),
      cli::add_check_command(app),   cli::add_list_command(app),         cli::add_inspect_command(app),
      cli::add_train_router_command(app), cli::add_train_lm_command(app),
      cli::add_attack_router_command(app),
      cli::add_plot_command(app),   cli::add_table_command(app),        cli::add_trace_export_command(app),
  };
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints CLI11's message
    if (app.get_subcommands().empty()) {
      std::string names;
      for (const auto& c : commands) names += (names.empty() ? "" : ", ") + c.app->get_name();
      fmt::print(stderr, "subcommands: {} (collabsim <subcommand> --help)\n", names);
    }
    return cli::kExitBadInput;
  }
  try {
    for (const auto& c : commands)
      if (c.app->parsed()) return c.run();
  } catch (const InputError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return cli::kExitBadInput;
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
  return cli::kExitBadInput;
}
