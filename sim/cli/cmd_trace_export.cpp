/// \file cmd_trace_export.cpp
/// `collabsim trace-export RESULT.h5 -o trace.json [--requests N]`: request timelines as
/// Chrome trace-event JSON for ui.perfetto.dev / chrome://tracing (io/trace_export.hpp).

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sim/cli/commands.hpp"
#include "sim/core/error.hpp"
#include "sim/io/output_path.hpp"
#include "sim/io/trace_export.hpp"

namespace collabsim::cli {

Command add_trace_export_command(CLI::App& app) {
  struct Args {
    std::string file, output;
    std::size_t requests = 100;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "trace-export", "write a run's request timelines (/spans, from run.record_spans = true) as Chrome "
                      "trace-event JSON for ui.perfetto.dev or chrome://tracing");
  cmd->add_option("file", a->file, "run result file (.h5) written with run.record_spans = true")->required();
  cmd->add_option("-o,--output", a->output, "trace JSON to write (replaced atomically)")->required();
  cmd->add_option("--requests", a->requests, "export the first N request ids (0 = all)")
      ->check(CLI::NonNegativeNumber);
  return {cmd, [a] {
            {  // the JSON never replaces the result it is made from (W6)
              std::error_code ec;
              if (std::filesystem::equivalent(a->output, a->file, ec))
                throw InputError(SourcePos{"command line", 0, 0}, "-o",
                                 "'" + a->output + "' is the result file being exported; choose another output path");
            }
            TraceExportStats st;
            const std::string text = chrome_trace_json(a->file, TraceExportOptions{a->requests}, &st);
            write_file_atomically(a->output, std::vector<unsigned char>(text.begin(), text.end()));
            fmt::print("{}: {} requests, {} slices on {} tracks, {} flow arrows ({} bytes); open it in "
                       "https://ui.perfetto.dev\n",
                       a->output, st.requests, st.slices, st.tracks, st.flows, text.size());
            return kExitOk;
          }};
}

}  // namespace collabsim::cli
