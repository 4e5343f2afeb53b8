/// \file cmd_inspect.cpp
/// `collabsim inspect FILE.h5`: what a run or sweep file holds.

#include <iostream>
#include <memory>

#include "sim/cli/commands.hpp"
#include "sim/io/inspect.hpp"

namespace collabsim::cli {

Command add_inspect_command(CLI::App& app) {
  auto file = std::make_shared<std::string>();
  auto* inspect = app.add_subcommand("inspect", "describe a run or sweep result file (attributes, datasets, summary, sweep tables)");
  inspect->add_option("file", *file, "result file (.h5)")->required();
  return {inspect, [file] {
            inspect_result(*file, std::cout);
            return kExitOk;
          }};
}

}  // namespace collabsim::cli
