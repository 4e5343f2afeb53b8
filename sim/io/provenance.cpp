#include "sim/io/provenance.hpp"

#include <nettle/sha2.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>

#include "sim/io/h5_reader.hpp"

namespace collabsim {
namespace fs = std::filesystem;

namespace {

/// SHA-256 (FIPS 180-4) by GNU Nettle: no library context to set up, where OpenSSL 3's
/// EVP_DigestInit_ex spent ~5.2M instructions per process loading its default provider
/// and name map before the first digest (issue 26). Same digests.
struct Digest {
  Digest() { sha256_init(&ctx); }
  void update(const void* p, std::size_t n) { sha256_update(&ctx, n, static_cast<const std::uint8_t*>(p)); }
  std::string hex() {
    std::uint8_t md[SHA256_DIGEST_SIZE];
    sha256_digest(&ctx, SHA256_DIGEST_SIZE, md);
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(2 * SHA256_DIGEST_SIZE, '0');
    for (unsigned i = 0; i < SHA256_DIGEST_SIZE; ++i) {
      out[2 * i] = digits[md[i] >> 4];
      out[2 * i + 1] = digits[md[i] & 15];
    }
    return out;
  }
  sha256_ctx ctx;
};

}  // namespace

std::string sha256_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file.string() + " to hash it");
  Digest d;
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    d.update(buf.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) throw std::runtime_error("error reading " + file.string() + " to hash it");
  return d.hex();
}

std::string sha256_text(const std::string& bytes) {
  Digest d;
  d.update(bytes.data(), bytes.size());
  return d.hex();
}

namespace {
/// The state of `file` that any change to it alters: device, inode, size, mtime and ctime
/// (ns); empty when stat fails. `changed_recently`: ctime within 2 s of now.
std::string file_state(const fs::path& file, bool& changed_recently) {
  struct stat st {};
  changed_recently = true;
  if (::stat(file.c_str(), &st) != 0) return {};
  const auto ns = [](const timespec& t) { return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec; };
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  changed_recently = ns(now) - ns(st.st_ctim) < 2'000'000'000;
  return fmt::format("{}:{}:{}:{}:{}", static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
                     static_cast<std::int64_t>(st.st_size), ns(st.st_mtim), ns(st.st_ctim));
}

bool is_hex64(const std::string& h) {
  return h.size() == 64 && std::all_of(h.begin(), h.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

constexpr const char* kHashMemoHeader = "collabsim file hash 1";

/// The stored hash of `path` in state `state`, or empty.
std::string read_memo(const fs::path& memo, const std::string& path, const std::string& state) {
  std::ifstream in(memo);
  std::string header, p, st, sha;
  if (!std::getline(in, header) || !std::getline(in, p) || !std::getline(in, st) || !std::getline(in, sha)) return {};
  return header == kHashMemoHeader && p == path && st == state && is_hex64(sha) ? sha : std::string();
}

/// Writes the memo atomically (temp file + rename); failures are ignored (a cache).
void write_memo(const fs::path& memo, const std::string& path, const std::string& state, const std::string& sha) {
  std::error_code ec;
  fs::create_directories(memo.parent_path(), ec);
  const fs::path tmp = memo.string() + fmt::format(".{}.tmp", static_cast<long>(::getpid()));
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << kHashMemoHeader << '\n' << path << '\n' << state << '\n' << sha << '\n';
    if (!out) {
      fs::remove(tmp, ec);
      return;
    }
  }
  fs::rename(tmp, memo, ec);
  if (ec) fs::remove(tmp, ec);
}
}  // namespace

InputRecord FileHashCache::record(const std::string& role, const fs::path& file) {
  std::error_code ec;
  fs::path abs = fs::weakly_canonical(fs::absolute(file, ec), ec);
  if (ec) abs = fs::absolute(file);
  InputRecord r{role, abs, 0, ""};
  r.bytes = fs::file_size(abs, ec);
  bool recent = true;
  std::string stamp = file_state(abs, recent);
  if (stamp.empty()) {  // no stat: size and mtime as std::filesystem sees them, this process only
    const auto mtime = fs::last_write_time(abs, ec).time_since_epoch().count();
    stamp = fmt::format("{}:{}", r.bytes, mtime);
  }
  {
    std::lock_guard lock(mu_);
    const auto it = done_.find(abs.string());
    if (it != done_.end() && it->second.first == stamp) {
      r.sha256 = it->second.second;
      return r;
    }
  }
  const fs::path memo = store_.empty() ? fs::path() : store_ / "hashes" / (sha256_text(abs.string()) + ".txt");
  if (!memo.empty() && !recent) r.sha256 = read_memo(memo, abs.string(), stamp);
  if (r.sha256.empty()) {
    r.sha256 = sha256_file(abs);
    if (!memo.empty() && !recent) write_memo(memo, abs.string(), stamp, r.sha256);
  }
  std::lock_guard lock(mu_);
  done_[abs.string()] = {stamp, r.sha256};
  return r;
}

std::vector<InputRecord> record_inputs(const std::vector<std::pair<std::string, fs::path>>& files,
                                       FileHashCache& cache) {
  std::vector<InputRecord> out;
  for (const auto& [role, path] : files) {
    if (path.empty()) continue;
    InputRecord r = cache.record(role, path);
    const bool seen = std::any_of(out.begin(), out.end(),
                                  [&](const InputRecord& o) { return o.role == r.role && o.path == r.path; });
    if (!seen) out.push_back(std::move(r));
  }
  return out;
}

std::vector<TableColumn> input_columns(const std::vector<InputRecord>& records) {
  std::vector<std::string> role, path, sha;
  std::vector<std::int64_t> bytes;
  for (const auto& r : records) {
    role.push_back(r.role);
    path.push_back(r.path.string());
    bytes.push_back(static_cast<std::int64_t>(r.bytes));
    sha.push_back(r.sha256);
  }
  return {TableColumn{"role", "", role}, TableColumn{"path", "", path}, TableColumn{"bytes", "bytes", bytes},
          TableColumn{"sha256", "", sha}};
}

std::vector<InputRecord> read_inputs(const H5Reader& reader) {
  if (!reader.exists("inputs")) return {};
  const H5TableInfo t = reader.table("inputs");
  const auto role = reader.strings(t, "role"), path = reader.strings(t, "path"), sha = reader.strings(t, "sha256");
  const auto bytes = reader.numbers(t, "bytes");
  std::vector<InputRecord> out;
  for (std::size_t i = 0; i < role.size(); ++i)
    out.push_back(InputRecord{role[i], path[i], static_cast<std::uint64_t>(bytes[i] < 0 ? 0 : bytes[i]), sha[i]});
  return out;
}

std::vector<std::string> input_differences(const std::vector<InputRecord>& base, const std::vector<InputRecord>& now) {
  std::vector<std::string> out;
  if (base.empty() || now.empty()) return out;
  auto find = [](const std::vector<InputRecord>& v, const InputRecord& r) {
    return std::find_if(v.begin(), v.end(), [&](const InputRecord& o) {
      return o.role == r.role && o.path.filename() == r.path.filename();
    });
  };
  auto short_hash = [](const std::string& h) { return h.substr(0, 12); };
  for (const auto& b : base) {
    const auto it = find(now, b);
    if (it == now.end())
      out.push_back(fmt::format("{} {}: only in BASE", b.role, b.path.string()));
    else if (it->sha256 != b.sha256)
      out.push_back(fmt::format("{} {}: content differs (sha256 {}… in BASE, {}… in NEW{})", b.role,
                                b.path.filename().string(), short_hash(b.sha256), short_hash(it->sha256),
                                it->path == b.path ? "" : ", read from " + it->path.string()));
  }
  for (const auto& n : now)
    if (find(base, n) == base.end()) out.push_back(fmt::format("{} {}: only in NEW", n.role, n.path.string()));
  return out;
}

}  // namespace collabsim
