/// \file cmd_plot.cpp
/// `collabsim plot FILE.h5... -o DIR [--label-by KEY] [--color-by KEY] [--format png,pdf]
/// [--y METRIC]`: paper figures from run and sweep files. The figures are drawn by the
/// Python analysis layer (analysis/collabsim_plot.py, Debian's /usr/bin/python3 with h5py,
/// numpy and matplotlib); this command finds the script, runs it with the same arguments
/// and returns its exit status (0 ok, 2 bad input such as a missing or non-HDF5 file, 1
/// anything else).

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "sim/cli/commands.hpp"
#include "sim/results/compare.hpp"

#ifndef COLLABSIM_DEFAULT_SOURCE_DIR
#define COLLABSIM_DEFAULT_SOURCE_DIR ""
#endif

extern char** environ;

namespace collabsim::cli {

namespace {

namespace fs = std::filesystem;

constexpr const char* kPython = "/usr/bin/python3";
constexpr const char* kScript = "collabsim_plot.py";

/// The plotting script: <source dir>/analysis first (known at compile time), then
/// <folder of the executable>/../analysis (an installed or moved tree). Empty if neither.
fs::path find_script() {
  std::vector<fs::path> candidates;
  if (std::string(COLLABSIM_DEFAULT_SOURCE_DIR).size())
    candidates.push_back(fs::path(COLLABSIM_DEFAULT_SOURCE_DIR) / "analysis" / kScript);
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) candidates.push_back(exe.parent_path() / ".." / "analysis" / kScript);
  for (const auto& c : candidates)
    if (fs::is_regular_file(c, ec)) return c;
  return {};
}

struct PlotOptions {
  std::vector<std::string> files;
  std::string outdir;
  std::string label_by;
  std::string color_by;
  std::string format = "png,pdf";
  std::string y;
  std::string only;
  double window_s = 0;
  double spec_c = -1;
};

/// Runs `argv` and waits for it; returns its exit status (1 when it died of a signal).
int spawn_and_wait(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (const int rc = ::posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ); rc != 0) {
    fmt::print(stderr, "error: cannot start {}: {}\n", args[0], std::strerror(rc));
    return 1;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      fmt::print(stderr, "error: waiting for {}: {}\n", args[0], std::strerror(errno));
      return 1;
    }
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  fmt::print(stderr, "error: {} ended by signal {}\n", args[0], WTERMSIG(status));
  return 1;
}

}  // namespace

Command add_plot_command(CLI::App& app) {
  auto opt = std::make_shared<PlotOptions>();
  auto* plot = app.add_subcommand(
      "plot", "paper figures (PNG/PDF) from run and sweep files: cost–quality with hulls and AIQ, PGR/APGR, CDFs, "
              "sweeps with confidence bands, energy, device timelines, speculative speed-up (analysis/collabsim_plot.py)");
  plot->add_option("files", opt->files, "run or sweep result files (.h5)")->required()->expected(1, -1);
  plot->add_option("-o,--outdir", opt->outdir, "folder for the figures (created)")->required();
  plot->add_option("--label-by", opt->label_by,
                   "label each run / sweep point by this key (root attribute, scenario key path or swept axis)");
  plot->add_option("--color-by", opt->color_by, "group series (colour, marker, line style) by this key");
  plot->add_option("--format", opt->format, "comma-separated figure formats")->capture_default_str();
  plot->add_option("--y", opt->y, "metric of the sweep figure (a /summary field, e.g. latency_p99_s)");
  plot->add_option("--only", opt->only, "comma-separated figure names to draw (default: every figure the inputs allow)");
  plot->add_option("--window", opt->window_s, "device timelines: rolling-mean window [s] (default: 1/50 of the run, at least 5 samples)");
  plot->add_option("--spec-c", opt->spec_c,
                   "speculative figure: c = draft step time / target step time (default: p50 TPOT of the small_only run "
                   "over that of the large_only run given, else 0.05, stated in the figure)");
  return {plot, [opt] {
            const fs::path script = find_script();
            if (script.empty()) {
              fmt::print(stderr, "error: {} not found in {}/analysis nor next to the executable\n", kScript,
                         COLLABSIM_DEFAULT_SOURCE_DIR);
              return 1;
            }
            if (::access(kPython, X_OK) != 0) {
              fmt::print(stderr, "error: {} not found (install python3-h5py python3-matplotlib)\n", kPython);
              return 1;
            }
            // Every file through the checked reader first (h5_reader.hpp): a damaged or foreign
            // file is bad input naming it (exit 2), never a Python traceback.
            for (const auto& f : opt->files) read_result_set(f);
            std::vector<std::string> args = {kPython, script.string()};
            for (const auto& f : opt->files) args.push_back(f);
            args.insert(args.end(), {"-o", opt->outdir, "--format", opt->format});
            if (!opt->label_by.empty()) args.insert(args.end(), {"--label-by", opt->label_by});
            if (!opt->color_by.empty()) args.insert(args.end(), {"--color-by", opt->color_by});
            if (!opt->y.empty()) args.insert(args.end(), {"--y", opt->y});
            if (!opt->only.empty()) args.insert(args.end(), {"--only", opt->only});
            if (opt->window_s > 0) args.insert(args.end(), {"--window", fmt::format("{}", opt->window_s)});
            if (opt->spec_c >= 0) args.insert(args.end(), {"--spec-c", fmt::format("{}", opt->spec_c)});
            return spawn_and_wait(args);
          }};
}

}  // namespace collabsim::cli
