#include "sim/core/input_file.hpp"

#include <system_error>

namespace collabsim {
namespace fs = std::filesystem;

bool input_exists(const fs::path& file) noexcept {
  std::error_code ec;
  return fs::exists(file, ec) && !ec;
}

void check_input_file(const fs::path& file, const SourcePos& pos, const std::string& key, const std::string& what) {
  const SourcePos at = pos.file.empty() ? SourcePos{file, 0, 0} : pos;
  const std::string name = pos.file.empty() ? std::string() : " '" + file.string() + "'";
  std::error_code ec;
  const fs::file_status st = fs::status(file, ec);  // follows symlinks
  if (ec || !fs::exists(st)) throw InputError(at, key, what + name + " does not exist");
  if (fs::is_directory(st)) throw InputError(at, key, what + name + " is a directory, not a file");
  if (!fs::is_regular_file(st)) {
    const char* kind = fs::is_fifo(st)            ? "a FIFO"
                       : fs::is_character_file(st) ? "a character device"
                       : fs::is_block_file(st)     ? "a block device"
                       : fs::is_socket(st)         ? "a socket"
                                                   : "not a regular file";
    throw InputError(at, key, what + name + " is " + kind + "; only regular files are read");
  }
  const std::uintmax_t size = fs::file_size(file, ec);
  if (ec) throw InputError(at, key, what + name + " cannot be read: " + ec.message());
  if (size > kMaxInputFileBytes)
    throw InputError(at, key,
                     what + name + " is " + std::to_string(size) + " bytes, above the limit of 4 GiB (" +
                         std::to_string(kMaxInputFileBytes) + " bytes) for an input file");
}

bool read_line(std::istream& in, std::string& line, std::size_t max_bytes, const fs::path& file,
               std::size_t lineno) {
  line.clear();
  if (!in.good()) {
    in.setstate(std::ios::failbit);
    return false;
  }
  // istream::getline into a small buffer scans the stream's buffer for '\n' (memchr in
  // libstdc++) instead of a virtual-free call per byte; a full buffer (failbit, no '\n'
  // yet) is appended and the read goes on, so the length check still bounds memory.
  char buf[4096];
  bool any = false;
  for (;;) {
    in.getline(buf, sizeof buf);
    const auto got = static_cast<std::size_t>(in.gcount());
    if (got > 0) any = true;
    if (in.bad()) return false;
    const bool full = in.fail() && !in.eof() && got == sizeof buf - 1;  // no '\n' within the buffer
    const bool delimited = !in.fail() && !in.eof();                     // '\n' extracted (counted in got)
    line.append(buf, delimited ? got - 1 : got);
    if (line.size() > max_bytes)
      throw InputError(SourcePos{file, lineno, 0}, "",
                       "line longer than " + std::to_string(max_bytes) + " bytes (not a file of the expected format?)");
    if (full) {
      in.clear();
      continue;
    }
    if (in.eof()) {  // the last line without '\n': a line if anything was read
      in.clear(any ? std::ios::eofbit : (std::ios::eofbit | std::ios::failbit));
      return any;
    }
    return true;
  }
}

std::string quote_excerpt(std::string_view text, std::size_t max_chars) {
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < max_chars; ++i) {
    const auto u = static_cast<unsigned char>(text[i]);
    out += (u >= 0x20 && u < 0x7f) ? static_cast<char>(u) : '?';
  }
  if (text.size() > max_chars) out += "…";
  return out;
}

}  // namespace collabsim
