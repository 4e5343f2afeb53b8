#pragma once
/// \file text_features.hpp
/// Sparse features of a question for router models: hashed word unigrams and bigrams and
/// character 3-grams (the hashing trick, Weinberger et al., ICML 2009, with a sign hash),
/// L2-normalised, plus one-hot category and log(1 + characters) in reserved slots.
/// ASCII letters are lower-cased; bytes ≥ 0x80 count as word characters (UTF-8 text).

#include <cstdint>
#include <string>
#include <vector>

namespace collabsim::kernels {

/// A sparse vector: unique indices (in first-occurrence order) and their values.
struct SparseVector {
  std::vector<std::uint32_t> index;
  std::vector<float> value;
};

/// Range of TextFeatures' hash_bits: 2^24 slots (a 64 MiB scratch array) at most.
inline constexpr int kMinHashBits = 1, kMaxHashBits = 24;

class TextFeatures {
 public:
  /// `hash_bits`: the hashed part has 2^hash_bits slots (e.g. 18). Categories map to
  /// slots after it (unknown categories share one slot), then one slot for log length.
  /// Throws std::invalid_argument unless kMinHashBits ≤ hash_bits ≤ kMaxHashBits.
  TextFeatures(int hash_bits, std::vector<std::string> categories);

  /// Total dimension.
  std::uint32_t dim() const { return hashed_ + static_cast<std::uint32_t>(categories_.size()) + 2; }
  int hash_bits() const { return bits_; }
  const std::vector<std::string>& categories() const { return categories_; }

  /// Features of `text` (question and options joined) in `category`.
  SparseVector extract(const std::string& text, const std::string& category) const;

 private:
  int bits_;
  std::uint32_t hashed_;
  std::vector<std::string> categories_;
};

}  // namespace collabsim::kernels
