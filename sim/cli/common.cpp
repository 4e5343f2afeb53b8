#include <unistd.h>

#include <cstdlib>

#include "sim/cli/commands.hpp"

namespace collabsim::cli {

std::filesystem::path shared_data_dir(const std::string& option) {
  if (!option.empty()) return option;
  if (const char* env = std::getenv("COLLABSIM_DATA"); env && *env) return env;
  return std::filesystem::path("..") / "shared" / "data";
}

bool stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

}  // namespace collabsim::cli
