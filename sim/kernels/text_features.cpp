#include "sim/kernels/text_features.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <stdexcept>
#include <string>

namespace collabsim::kernels {
namespace {
/// 64-bit finaliser (SplitMix64's), spreading a feature key over the hash slots.
std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
}  // namespace

namespace {
int checked_bits(int bits) {
  if (bits < kMinHashBits || bits > kMaxHashBits)
    throw std::invalid_argument("hash_bits " + std::to_string(bits) + " is outside [" + std::to_string(kMinHashBits) +
                                ", " + std::to_string(kMaxHashBits) + "]");
  return bits;
}
}  // namespace

TextFeatures::TextFeatures(int hash_bits, std::vector<std::string> categories)
    : bits_(checked_bits(hash_bits)), hashed_(1u << bits_), categories_(std::move(categories)) {}

SparseVector TextFeatures::extract(const std::string& text, const std::string& category) const {
  // Hash every feature on the fly (no token strings) into a dense per-thread scratch
  // array, remembering the touched slots: O(n) in the text length, no sorting.
  thread_local std::vector<float> scratch;
  thread_local std::vector<std::uint32_t> touched;
  if (scratch.size() != hashed_) scratch.assign(hashed_, 0.0f);
  touched.clear();
  const std::uint32_t mask = hashed_ - 1;
  auto add = [&](std::uint64_t h) {
    h = mix(h);
    const auto slot = static_cast<std::uint32_t>(h & mask);
    if (scratch[slot] == 0.0f) touched.push_back(slot);
    scratch[slot] += (h >> 63) ? -1.0f : 1.0f;
    if (scratch[slot] == 0.0f) scratch[slot] = 1e-30f;  // keep "touched" (cancelled later)
  };
  auto lower = [](char ch) -> unsigned char {
    const auto u = static_cast<unsigned char>(ch);
    return (u >= 'A' && u <= 'Z') ? static_cast<unsigned char>(u + 32) : u;
  };
  auto alnum = [](unsigned char u) { return (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || u >= 0x80; };
  std::uint64_t word = 0, prev_word = 0;
  bool in_word = false, have_prev = false;
  unsigned char c0 = 0, c1 = 0;
  std::size_t pos = 0;
  auto end_word = [&]() {
    add(word ^ 0x1234ULL);
    if (have_prev) add(prev_word * 0x9E3779B97F4A7C15ULL ^ word ^ 0x5678ULL);
    prev_word = word;
    have_prev = true;
    in_word = false;
  };
  for (char ch : text) {
    const unsigned char u = lower(ch);
    if (pos >= 2) add((static_cast<std::uint64_t>(c0) << 16 | static_cast<std::uint64_t>(c1) << 8 | u) ^ 0x9abc000000ULL);
    c0 = c1;
    c1 = u;
    ++pos;
    if (alnum(u)) {
      if (!in_word) word = 0xcbf29ce484222325ULL, in_word = true;
      word = (word ^ u) * 0x100000001b3ULL;
    } else if (in_word) {
      end_word();
    }
  }
  if (in_word) end_word();
  SparseVector out;
  out.index.reserve(touched.size() + 2);
  out.value.reserve(touched.size() + 2);
  double norm = 0;
  for (const std::uint32_t slot : touched) {  // in first-touch order (deterministic)
    const float v = std::abs(scratch[slot]) < 0.5f ? 0.0f : scratch[slot];
    scratch[slot] = 0.0f;
    if (v == 0.0f) continue;
    out.index.push_back(slot);
    out.value.push_back(v);
    norm += static_cast<double>(v) * v;
  }
  const float inv = norm > 0 ? static_cast<float>(1.0 / std::sqrt(norm)) : 1.0f;
  for (auto& v : out.value) v *= inv;
  const auto it = std::find(categories_.begin(), categories_.end(), category);
  out.index.push_back(hashed_ + static_cast<std::uint32_t>(it - categories_.begin()));  // unknown → last slot
  out.value.push_back(1.0f);
  out.index.push_back(hashed_ + static_cast<std::uint32_t>(categories_.size()) + 1);
  out.value.push_back(static_cast<float>(std::log1p(static_cast<double>(text.size())) / 8.0));
  return out;
}

}  // namespace collabsim::kernels
