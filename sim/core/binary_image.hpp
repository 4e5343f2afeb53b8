#pragma once
/// \file binary_image.hpp
/// A byte image of parsed data (vectors of plain numbers and strings, little-endian host
/// layout), written by ImageWriter and read back by ImageReader with every length checked
/// against what is left, so a truncated or foreign image is refused (ImageReader::ok()
/// false) instead of read past its end. Used by the parsed-input store
/// (study/input_cache.hpp) for traces and quality tables; an image is only read by the
/// build that wrote it (the store's key names the build), so no portable encoding is needed.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace collabsim {

/// Appends values to a byte string.
class ImageWriter {
 public:
  template <class T>
  void value(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    bytes_.append(reinterpret_cast<const char*>(&v), sizeof(T));
  }
  /// A count (uint64) then the elements' bytes.
  template <class T>
  void vec(const std::vector<T>& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    value<std::uint64_t>(v.size());
    if (!v.empty()) bytes_.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
  }
  void str(std::string_view s) {
    value<std::uint64_t>(s.size());
    bytes_.append(s.data(), s.size());
  }
  void strs(const std::vector<std::string>& v) {
    value<std::uint64_t>(v.size());
    for (const auto& s : v) str(s);
  }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

/// Reads what an ImageWriter wrote, in the same order. A read past the end (or a count
/// larger than the bytes left) sets ok() to false and yields empty values; callers check
/// ok() (and at_end()) once at the end.
class ImageReader {
 public:
  explicit ImageReader(std::string_view bytes) : p_(bytes) {}
  template <class T>
  T value() {
    static_assert(std::is_trivially_copyable_v<T>);
    T v{};
    if (!take(sizeof(T))) return v;
    std::memcpy(&v, p_.data() - sizeof(T), sizeof(T));
    return v;
  }
  template <class T>
  std::vector<T> vec() {
    const auto n = value<std::uint64_t>();
    std::vector<T> v;
    if (!ok_ || n > p_.size() / sizeof(T)) {
      ok_ = false;
      return v;
    }
    v.resize(n);
    if (n) std::memcpy(v.data(), p_.data(), n * sizeof(T));
    take(n * sizeof(T));
    return v;
  }
  std::string str() {
    const auto n = value<std::uint64_t>();
    if (!ok_ || n > p_.size()) {
      ok_ = false;
      return {};
    }
    std::string s(p_.substr(0, n));
    take(n);
    return s;
  }
  std::vector<std::string> strs() {
    const auto n = value<std::uint64_t>();
    std::vector<std::string> v;
    if (!ok_ || n > p_.size() / sizeof(std::uint64_t)) {  // each string takes at least its count
      ok_ = false;
      return v;
    }
    v.reserve(n);
    for (std::uint64_t i = 0; i < n && ok_; ++i) v.push_back(str());
    return v;
  }
  bool ok() const { return ok_; }
  bool at_end() const { return p_.empty(); }

 private:
  bool take(std::size_t n) {
    if (!ok_ || n > p_.size()) {
      ok_ = false;
      return false;
    }
    p_.remove_prefix(n);
    return true;
  }
  std::string_view p_;
  bool ok_ = true;
};

}  // namespace collabsim
