#pragma once
/// \file commands.hpp
/// The `collabsim` subcommands. Each `add_*_command` registers one subcommand on the
/// CLI11 app and returns the action main() runs when it was chosen. Exit status: 0
/// success, 1 a regression found (compare, check) or an internal error, 2 bad input (the
/// message names file, line and key).

#include <filesystem>
#include <functional>
#include <string>

#include <CLI/CLI.hpp>

namespace collabsim {
struct Summary;
}

namespace collabsim::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRegression = 1;
inline constexpr int kExitBadInput = 2;

/// A registered subcommand: its CLI11 node and what to do when it is chosen.
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;  ///< returns the exit status; may throw InputError (→ 2)
};

Command add_run_command(CLI::App& app);
Command add_sweep_command(CLI::App& app);
Command add_compare_command(CLI::App& app);
Command add_check_command(CLI::App& app);
Command add_list_command(CLI::App& app);
Command add_inspect_command(CLI::App& app);
Command add_train_router_command(CLI::App& app);
Command add_train_lm_command(CLI::App& app);
Command add_attack_router_command(CLI::App& app);
Command add_plot_command(CLI::App& app);
Command add_table_command(CLI::App& app);
Command add_trace_export_command(CLI::App& app);

/// The shared-data folder: `option` if given, else $COLLABSIM_DATA, else ../shared/data.
std::filesystem::path shared_data_dir(const std::string& option);

/// The parsed-input store of `run` and `sweep` (InputCache, study/input_cache.hpp): input
/// hashes and parsed traces and quality tables kept across processes.
/// $COLLABSIM_CACHE if set ("", "off" or "0": none), else $XDG_CACHE_HOME/collabsim, else
/// $HOME/.cache/collabsim, else none.
std::filesystem::path input_store_dir();

/// The one-line summary table of `run` (header, then one row per run).
void print_summary_header();
void print_summary_row(const std::string& label, const Summary& s);

/// True when stderr is a terminal (progress lines are drawn only then).
bool stderr_is_terminal();

}  // namespace collabsim::cli
