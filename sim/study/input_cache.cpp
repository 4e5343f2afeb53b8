#include "sim/study/input_cache.hpp"

#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <optional>

#include <fmt/format.h>

#include "sim/core/binary_image.hpp"
#include "sim/core/input_file.hpp"
#include "collabsim/version.hpp"

namespace collabsim {

namespace {
/// Runs `load` once per slot; an exception is rethrown to every caller (call_once lets the
/// next caller retry, so each caller sees the same error).
template <class T, class F>
std::shared_ptr<const T> once(std::once_flag& flag, std::shared_ptr<const T>& value, F&& load) {
  std::call_once(flag, [&] { value = load(); });
  return value;
}
/// The build that parses: version, commit, and the size and mtime (ns) of the binary
/// (executable or shared object) that holds this code, so a rebuilt parser never reads an
/// image of an older one.
std::string build_identity() {
  Dl_info info{};
  std::string bin = "/proc/self/exe";
  if (::dladdr(reinterpret_cast<void*>(&build_identity), &info) != 0 && info.dli_fname && *info.dli_fname)
    bin = info.dli_fname;
  struct stat st {};
  if (::stat(bin.c_str(), &st) != 0 && ::stat("/proc/self/exe", &st) != 0) return {};
  return fmt::format("{} {} {} {}.{}", kVersion, kGitCommit, static_cast<std::int64_t>(st.st_size),
                     static_cast<std::int64_t>(st.st_mtim.tv_sec), static_cast<std::int64_t>(st.st_mtim.tv_nsec));
}

constexpr std::uint64_t kTraceMagic = 0x31'65'63'61'72'74'63'63ULL;  // "cctrace1" (layout 1)

std::string trace_image(const workload::TraceData& t) {
  ImageWriter w;
  w.value(kTraceMagic);
  w.vec(t.records);
  w.value(t.span_ns);
  w.vec(t.blocks);
  w.vec(t.block_begin);
  return w.bytes();
}

std::shared_ptr<const workload::TraceData> trace_from_image(std::string_view bytes) {
  ImageReader r(bytes);
  if (r.value<std::uint64_t>() != kTraceMagic || !r.ok()) return nullptr;
  auto t = std::make_shared<workload::TraceData>();
  t->records = r.vec<workload::TraceRecord>();
  t->span_ns = r.value<std::int64_t>();
  t->blocks = r.vec<std::int64_t>();
  t->block_begin = r.vec<std::size_t>();
  if (!r.ok() || !r.at_end() || t->records.empty()) return nullptr;
  if (!t->block_begin.empty() &&
      (t->block_begin.size() != t->records.size() + 1 || t->block_begin.back() != t->blocks.size() ||
       !std::is_sorted(t->block_begin.begin(), t->block_begin.end())))
    return nullptr;
  return t;
}

/// The whole file, or std::nullopt when it cannot be read.
std::optional<std::string> read_image(const std::filesystem::path& file) {
  if (file.empty()) return std::nullopt;
  std::ifstream in(file, std::ios::binary | std::ios::ate);
  if (!in) return std::nullopt;
  const std::streamoff size = in.tellg();
  if (size < 0 || static_cast<std::uintmax_t>(size) > kMaxInputFileBytes) return std::nullopt;
  std::string bytes(static_cast<std::size_t>(size), '\0');
  in.seekg(0);
  if (!in.read(bytes.data(), size)) return std::nullopt;  // one read, not a byte at a time
  return bytes;
}

/// Writes `bytes` to `file` atomically; failures are ignored (a cache).
void write_image(const std::filesystem::path& file, const std::string& bytes) {
  if (file.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  const std::filesystem::path tmp = file.string() + fmt::format(".{}.tmp", static_cast<long>(::getpid()));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      std::filesystem::remove(tmp, ec);
      return;
    }
  }
  std::filesystem::rename(tmp, file, ec);
  if (ec) std::filesystem::remove(tmp, ec);
}
}  // namespace

InputCache::InputCache(std::filesystem::path store) : store_(std::move(store)), hashes_(store_) {}

std::filesystem::path InputCache::image_path(const std::string& kind, const std::filesystem::path& file,
                                             const std::string& args) {
  if (store_.empty()) return {};
  static_assert(sizeof(void*) == 8, "images hold the host layout of a 64-bit build");
  try {
    const std::string id = build_identity();
    if (id.empty()) return {};
    const InputRecord r = hashes_.record(kind, file);
    return store_ / "inputs" / (kind + "-" + sha256_text(r.sha256 + '\n' + args + '\n' + id) + ".bin");
  } catch (const std::exception&) {
    return {};  // unreadable: the loader reports it with file and key
  }
}

std::shared_ptr<const workload::TraceData> InputCache::trace(const std::string& format, const std::filesystem::path& file) {
  std::shared_ptr<Slot<workload::TraceData>> slot;
  {
    std::lock_guard lock(mu_);
    auto& s = traces_[format + '\n' + file.string()];
    if (!s) s = std::make_shared<Slot<workload::TraceData>>();
    slot = s;
  }
  return once(slot->once, slot->value, [&]() -> std::shared_ptr<const workload::TraceData> {
    const std::filesystem::path image = image_path("trace", file, format);
    if (const auto bytes = read_image(image))
      if (auto t = trace_from_image(*bytes)) return t;
    auto t = workload::read_trace(format, file);
    write_image(image, trace_image(*t));
    return t;
  });
}

std::shared_ptr<const quality::QualityTable> InputCache::quality(const std::filesystem::path& file,
                                                                 const std::vector<std::string>& columns,
                                                                 const std::string& format,
                                                                 quality::BlankPolicy blank) {
  std::string key = file.string() + '\n' + format + '\n' + std::to_string(static_cast<int>(blank));
  for (const auto& c : columns) key += '\n' + c;
  std::shared_ptr<Slot<quality::QualityTable>> slot;
  {
    std::lock_guard lock(mu_);
    auto& s = tables_[key];
    if (!s) s = std::make_shared<Slot<quality::QualityTable>>();
    slot = s;
  }
  return once(slot->once, slot->value, [&]() -> std::shared_ptr<const quality::QualityTable> {
    const std::filesystem::path image = image_path("quality_table", file, key.substr(file.string().size()));
    if (const auto bytes = read_image(image))
      if (auto t = quality::QualityTable::from_image(*bytes, file)) return std::make_shared<const quality::QualityTable>(std::move(*t));
    auto t = std::make_shared<const quality::QualityTable>(quality::QualityTable::load(file, columns, format, blank));
    write_image(image, t->image());
    return t;
  });
}

}  // namespace collabsim
