#pragma once
/// \file error.hpp
/// The one exception type for bad user input (scenario TOML, traces, quality tables,
/// CLI values). Every message names the file, the line (and column where known) and the
/// key or column at fault, so a user can go straight to the mistake.

#include <cstddef>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace collabsim {

/// Where in an input file something was found. `line`/`column` are 1-based; 0 = unknown.
struct SourcePos {
  std::filesystem::path file;
  std::size_t line = 0;
  std::size_t column = 0;
};

/// Bad input: malformed file, unknown key, wrong unit, out-of-range value, missing file.
/// what() reads "FILE:LINE:COL: key 'KEY': MESSAGE" with the parts that are known.
/// The CLI catches it, prints what() and exits with status 2.
class InputError : public std::runtime_error {
 public:
  InputError(const SourcePos& pos, const std::string& key, const std::string& message)
      : std::runtime_error(format(pos, key, message)), pos_(pos), key_(key) {}

  const SourcePos& pos() const noexcept { return pos_; }
  const std::string& key() const noexcept { return key_; }

 private:
  static std::string format(const SourcePos& pos, const std::string& key,
                            const std::string& message) {
    std::string out;
    if (!pos.file.empty()) {
      out += pos.file.string();
      if (pos.line > 0) {
        out += ':' + std::to_string(pos.line);
        if (pos.column > 0) out += ':' + std::to_string(pos.column);
      }
      out += ": ";
    }
    if (!key.empty()) out += "key '" + key + "': ";
    out += message;
    return out;
  }

  SourcePos pos_;
  std::string key_;
};

/// A run went past a limit: the simulated-time or event cap of Engine::set_limits, or a
/// duration that does not fit the integer-nanosecond clock. It is an InputError because in
/// a correct program only input (extreme rates, sizes, token counts or the limits
/// themselves) gets there, so the CLI reports it like bad input (exit 2). `key` names the
/// scenario key that sets the limit ("run.max_sim_time", "run.max_events") when there is one.
class LimitError : public InputError {
 public:
  LimitError(const std::string& key, const std::string& message) : InputError(SourcePos{}, key, message) {}
};

}  // namespace collabsim
