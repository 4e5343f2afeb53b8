#include <unistd.h>

#include <cstdlib>

#include "sim/cli/commands.hpp"

namespace collabsim::cli {

std::filesystem::path shared_data_dir(const std::string& option) {
  if (!option.empty()) return option;
  if (const char* env = std::getenv("COLLABSIM_DATA"); env && *env) return env;
  return std::filesystem::path("..") / "shared" / "data";
}

std::filesystem::path input_store_dir() {
  if (const char* env = std::getenv("COLLABSIM_CACHE")) {
    const std::string v = env;
    if (v.empty() || v == "off" || v == "0") return {};
    return v;
  }
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return std::filesystem::path(xdg) / "collabsim";
  if (const char* home = std::getenv("HOME"); home && *home) return std::filesystem::path(home) / ".cache" / "collabsim";
  return {};
}

bool stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

}  // namespace collabsim::cli
