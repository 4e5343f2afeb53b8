#pragma once
/// \file rng.hpp
/// Seeded random streams, one per (seed, purpose, entity). Each stream is a xoshiro256**
/// generator (Blackman & Vigna 2018, https://prng.di.unimi.it/) whose state is filled by
/// SplitMix64 from a hash of the triple, so adding a device or a request never shifts the
/// draws of another. Distributions are written here (not std::*_distribution) so results
/// are bit-identical across standard libraries.

#include <cmath>
#include <cstdint>
#include <string_view>

namespace collabsim {

/// SplitMix64 step (Steele, Lea & Flood 2014): a 64-bit bijective mixer.
inline constexpr std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/// FNV-1a 64-bit hash of a purpose name (stable across platforms and runs).
inline constexpr std::uint64_t hash_name(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

/// One independent random stream. Cheap to construct (4 SplitMix64 steps); copyable.
class RngStream {
 public:
  /// Stream for (seed, purpose, entity). `purpose` names what the draws are for
  /// ("arrivals", "confidence", "question_join"); `entity` is an index (request id, device id).
  RngStream(std::uint64_t seed, std::string_view purpose, std::uint64_t entity = 0) {
    std::uint64_t x = seed ^ (hash_name(purpose) * 0x9E3779B97F4A7C15ULL);
    x ^= splitmix64(x) + entity * 0xD1B54A32D192ED03ULL;
    for (auto& w : s_) w = splitmix64(x);
  }

  /// Next raw 64-bit value (xoshiro256**).
  std::uint64_t next_u64() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  /// Uniform double in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

  /// Uniform integer in [0, n) by Lemire's multiply-shift (bias < n / 2^64; n ≥ 1).
  std::uint64_t below(std::uint64_t n) {
    __extension__ using u128 = unsigned __int128;  // GCC/Clang extension, exact 64×64→128 product
    return static_cast<std::uint64_t>((static_cast<u128>(next_u64()) * n) >> 64);
  }

  /// Exponential variate with the given mean (any unit); mean ≥ 0.
  double exponential(double mean) { return -mean * std::log1p(-uniform()); }

  /// Standard normal variate (Box–Muller, one value per call; the pair's second is dropped
  /// so the stream position depends only on the number of calls).
  double normal() {
    const double u1 = 1.0 - uniform();  // (0, 1]
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

  /// Bernoulli trial with success probability p.
  bool bernoulli(double p) { return uniform() < p; }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

}  // namespace collabsim
