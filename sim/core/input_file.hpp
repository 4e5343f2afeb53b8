#pragma once
/// \file input_file.hpp
/// Guards for files named by users (scenarios, cards, traces, quality tables, weights):
/// only regular files of a sane size are opened (no device nodes such as /dev/zero, no
/// FIFOs that block forever, no directories), and lines are read with a length cap so a
/// file without newlines cannot grow memory without bound.
///
/// Limits:
///  - kMaxInputFileBytes: 4 GiB per input file;
///  - a line of a text input: at most the reader's cap (kMaxTraceLineBytes for traces,
///    kMaxTableLineBytes for CSV tables and question JSONL).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <istream>
#include <string>
#include <string_view>

#include "sim/core/error.hpp"

namespace collabsim {

/// Largest input file accepted: 4 GiB.
inline constexpr std::uintmax_t kMaxInputFileBytes = std::uintmax_t{4} << 30;
/// Longest line of a trace (CSV row or JSON object): 4 MiB.
inline constexpr std::size_t kMaxTraceLineBytes = std::size_t{4} << 20;
/// Longest line of a CSV table or JSONL question file: 16 MiB.
inline constexpr std::size_t kMaxTableLineBytes = std::size_t{16} << 20;

/// Whether `file` exists (symlinks followed), without throwing: a name the system refuses
/// (too long: ENAMETOOLONG, a component that is not a folder: ENOTDIR, no permission)
/// counts as absent, so callers report "not found" with file and key instead of letting a
/// std::filesystem::filesystem_error escape. Found by the scenario fuzzer.
bool input_exists(const std::filesystem::path& file) noexcept;

/// Throws InputError unless `file` (symlinks followed) is an existing regular file of at
/// most kMaxInputFileBytes. `pos`/`key` say where the file was named (an empty pos names
/// the file itself); `what` says what it is ("trace", "device card") for the message.
/// The message never shows the file's content.
void check_input_file(const std::filesystem::path& file, const SourcePos& pos, const std::string& key,
                      const std::string& what);

/// As std::getline (the '\n' is consumed, not stored; a trailing '\r' is kept), but a line
/// longer than `max_bytes` throws InputError naming `file` and `lineno` (the 1-based number
/// of the line being read) instead of growing without bound. Returns false at the end of
/// the input when no character was read.
bool read_line(std::istream& in, std::string& line, std::size_t max_bytes, const std::filesystem::path& file,
               std::size_t lineno);

/// `text` made safe to quote in a message: at most `max_chars` bytes, control and non-ASCII
/// bytes shown as '?', "…" appended when cut.
std::string quote_excerpt(std::string_view text, std::size_t max_chars = 40);

}  // namespace collabsim
