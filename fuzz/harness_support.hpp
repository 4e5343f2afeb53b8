#pragma once
/// \file harness_support.hpp
/// What the fuzz harnesses share: a per-process temp folder for the inputs, the guard that
/// swallows the clean rejection (InputError) and nothing else, and a reader of structured
/// bytes for the harnesses that build their input (an HDF5 file) from the fuzzer's bytes.

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "sim/core/error.hpp"

namespace collabsim::fuzz {
namespace fs = std::filesystem;

inline void remove_work_dir() {
  std::error_code ec;
  fs::remove_all(fs::temp_directory_path() / ("collabsim_fuzz_" + std::to_string(::getpid())), ec);
}

/// A per-process temp folder, made once (removed at exit); inputs are written into it.
inline const fs::path& work_dir() {
  static const fs::path dir = [] {
    const fs::path d = fs::temp_directory_path() / ("collabsim_fuzz_" + std::to_string(::getpid()));
    fs::create_directories(d);
    std::atexit(remove_work_dir);
    return d;
  }();
  return dir;
}

inline fs::path write_input(const std::string& name, const std::uint8_t* data, std::size_t size) {
  const fs::path p = work_dir() / name;
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return p;
}

/// Runs `f`, swallowing the clean rejection (InputError) and nothing else. With
/// $COLLABSIM_FUZZ_VERBOSE set, prints how each input ended (for checking a corpus).
template <class F>
int guarded(F&& f) {
  static const bool verbose = std::getenv("COLLABSIM_FUZZ_VERBOSE") != nullptr;
  try {
    f();
    if (verbose) std::fprintf(stderr, "  accepted\n");
  } catch (const InputError& e) {
    if (verbose) std::fprintf(stderr, "  rejected: %s\n", e.what());
  }
  return 0;
}

/// Reads bytes off the front of the input for the structured weights harness.
struct Bytes {
  const std::uint8_t* p;
  std::size_t n;
  std::uint8_t u8() { return n ? (--n, *p++) : 0; }
  // Little-endian, read in sequence (the order of `u8() | u8() << 8` would be unspecified,
  // and the replay driver (gcc) must read regression inputs as the fuzzer (clang) did).
  std::uint32_t u32() {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(u8()) << (8 * i);
    return v;
  }
  double f64() {
    std::uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits |= static_cast<std::uint64_t>(u8()) << (8 * i);
    double d;
    std::memcpy(&d, &bits, sizeof d);
    return d;
  }
  std::string str(std::size_t max) {
    std::string s;
    const std::size_t len = u8() % (max + 1);
    for (std::size_t i = 0; i < len && n; ++i) s += static_cast<char>(u8());
    return s;
  }
};


}  // namespace collabsim::fuzz
