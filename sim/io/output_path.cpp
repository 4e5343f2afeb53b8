#include "sim/io/output_path.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>

#include <H5Fpublic.h>
#include <H5Epublic.h>

#include <fmt/format.h>

#include "sim/core/error.hpp"

namespace collabsim {
namespace fs = std::filesystem;

namespace {

const char* kind_of(fs::file_type t) {
  switch (t) {
    case fs::file_type::directory: return "a directory";
    case fs::file_type::fifo: return "a FIFO";
    case fs::file_type::socket: return "a socket";
    case fs::file_type::block: return "a block device";
    case fs::file_type::character: return "a character device";
    default: return "not a regular file";
  }
}

}  // namespace

void check_result_target(const fs::path& target) {
  std::error_code ec;
  if (!fs::is_regular_file(target, ec) || fs::file_size(target, ec) == 0) return;
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  if (H5Fis_hdf5(target.string().c_str()) > 0) return;
  throw InputError(SourcePos{"command line", 0, 0}, "-o",
                   "'" + target.string() + "' exists and is not an HDF5 result file; refusing to replace it "
                   "(a result only replaces an earlier result: remove the file or choose another output path)");
}

fs::path resolve_output_target(const fs::path& target) {
  const SourcePos pos{"command line", 0, 0};
  std::error_code ec;
  const auto link = fs::symlink_status(target, ec);
  fs::path out = target;
  if (!ec && fs::exists(link)) {
    if (fs::is_symlink(link)) {
      const auto st = fs::status(target, ec);
      if (ec || !fs::exists(st))
        throw InputError(pos, "-o", "'" + target.string() + "' is a dangling symlink; refusing to replace it");
      if (!fs::is_regular_file(st))
        throw InputError(pos, "-o", "'" + target.string() + "' is a symlink to " + kind_of(st.type()) +
                                        "; refusing to replace it");
      out = fs::canonical(target);
      fmt::print(stderr, "note: -o {} is a symlink; writing the regular file it points to, {}\n", target.string(),
                 out.string());
    } else if (!fs::is_regular_file(link)) {
      throw InputError(pos, "-o", "'" + target.string() + "' is " + kind_of(link.type()) +
                                      "; a result may only replace a regular file");
    }
  }
  if (out.has_parent_path()) {
    fs::create_directories(out.parent_path(), ec);
    if (ec) throw InputError(pos, "-o", "cannot create folder '" + out.parent_path().string() + "': " + ec.message());
  }
  return out;
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

fs::path temp_path_for(const fs::path& target) {
  fs::path tmp = target;
  tmp += ".tmp-" + std::to_string(::getpid());
  return tmp;
}

int remove_stale_temps(const fs::path& target) {
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  const std::string prefix = target.filename().string() + ".tmp-";
  std::error_code ec;
  int removed = 0;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string digits = name.substr(prefix.size());
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 9) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(digits));
    if (pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) continue;  // alive (or not ours to judge)
    std::error_code rec;
    if (fs::remove(it->path(), rec)) {
      fmt::print(stderr, "note: removed {} left by process {}, which no longer runs\n", it->path().string(), pid);
      ++removed;
    }
  }
  return removed;
}

namespace {

constexpr std::size_t kSlots = 256;
constexpr std::size_t kPathMax = 4096;

/// Fixed storage the signal handler can read without allocating: each slot holds a
/// NUL-terminated path while `used` is true.
struct TempSlots {
  std::array<std::atomic<bool>, kSlots> used{};
  std::array<std::array<char, kPathMax>, kSlots> path{};
  std::mutex mu;  // serialises registration (never taken by the handler)
};

TempSlots& slots() {
  static TempSlots s;
  return s;
}

/// The interrupt note: two fixed texts around a count, readable by the handler without
/// allocating. `active` is false while the texts are being replaced.
struct InterruptNote {
  static constexpr std::size_t kText = 1024;
  std::atomic<bool> active{false};
  std::atomic<std::size_t> count{0};
  std::array<char, kText> prefix{}, suffix{};
  std::mutex mu;
};

InterruptNote& note() {
  static InterruptNote n;
  return n;
}

/// write(2) of a NUL-terminated text, async-signal-safe.
void write_text(const char* text) {
  std::size_t len = 0;
  while (text[len]) ++len;
  while (len > 0) {
    const ssize_t w = ::write(STDERR_FILENO, text, len);
    if (w <= 0) return;
    text += w;
    len -= static_cast<std::size_t>(w);
  }
}

void write_note() {
  auto& n = note();
  if (!n.active.load(std::memory_order_acquire)) return;
  char digits[24];
  std::size_t v = n.count.load(std::memory_order_relaxed), i = sizeof digits - 1;
  digits[i] = '\0';
  do {
    digits[--i] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v > 0 && i > 0);
  write_text("\n");
  write_text(n.prefix.data());
  write_text(digits + i);
  write_text(n.suffix.data());
}

void on_signal(int sig) {
  auto& s = slots();
  for (std::size_t i = 0; i < kSlots; ++i)
    if (s.used[i].load(std::memory_order_acquire)) ::unlink(s.path[i].data());
  write_note();
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void install_handlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
      struct sigaction sa {};
      sa.sa_handler = on_signal;
      sigemptyset(&sa.sa_mask);
      ::sigaction(sig, &sa, nullptr);
    }
  });
}

}  // namespace

void register_temp(const fs::path& path) {
  install_handlers();
  auto& s = slots();
  const std::string p = fs::absolute(path).string();
  if (p.size() >= kPathMax) return;
  std::lock_guard lock(s.mu);
  for (std::size_t i = 0; i < kSlots; ++i)
    if (!s.used[i].load(std::memory_order_relaxed)) {
      std::memcpy(s.path[i].data(), p.c_str(), p.size() + 1);
      s.used[i].store(true, std::memory_order_release);
      return;
    }
}

void set_interrupt_note(const std::string& prefix, const std::string& suffix, std::size_t count) {
  install_handlers();
  auto& n = note();
  std::lock_guard lock(n.mu);
  n.active.store(false, std::memory_order_release);
  auto copy = [](std::array<char, InterruptNote::kText>& to, const std::string& from) {
    const std::size_t len = std::min(from.size(), to.size() - 1);
    std::memcpy(to.data(), from.data(), len);
    to[len] = '\0';
  };
  copy(n.prefix, prefix);
  copy(n.suffix, suffix);
  n.count.store(count, std::memory_order_relaxed);
  n.active.store(true, std::memory_order_release);
}

void set_interrupt_count(std::size_t count) { note().count.store(count, std::memory_order_relaxed); }

void clear_interrupt_note() { note().active.store(false, std::memory_order_release); }

void unregister_temp(const fs::path& path) {
  auto& s = slots();
  const std::string p = fs::absolute(path).string();
  std::lock_guard lock(s.mu);
  for (std::size_t i = 0; i < kSlots; ++i)
    if (s.used[i].load(std::memory_order_relaxed) && p == s.path[i].data()) {
      s.used[i].store(false, std::memory_order_release);
      return;
    }
}

}  // namespace collabsim

namespace collabsim {
void write_file_atomically(const fs::path& target, const std::vector<unsigned char>& bytes) {
  const fs::path out = resolve_output_target(target);
  const fs::path tmp = temp_path_for(out);
  register_temp(tmp);
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  bool ok = f != nullptr;
  if (ok) ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  if (f) ok = (std::fclose(f) == 0) && ok;
  std::error_code ec;
  if (ok) fs::rename(tmp, out, ec);
  if (!ok || ec) {
    fs::remove(tmp, ec);
    unregister_temp(tmp);
    throw std::runtime_error("cannot write '" + out.string() + "'");
  }
  unregister_temp(tmp);
}
}  // namespace collabsim
