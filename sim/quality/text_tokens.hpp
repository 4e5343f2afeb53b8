#pragma once
/// \file text_tokens.hpp
/// Token counts from character counts of a question or a model's response (quality.
/// prompt_tokens = "question", quality.output_tokens = "model").

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace collabsim::quality {

/// max(1, ceil(chars / chars_per_token)) tokens for a text of `chars` characters.
/// `chars_per_token` > 0; the scenario default 4 is OpenAI's rule of thumb for English text
/// with its BPE tokenizers ("one token generally corresponds to ~4 characters of common
/// English text", OpenAI Help Center, *What are tokens and how to count them?*).
/// Returns -1 when `chars` < 0 (the length is unknown).
inline std::int64_t tokens_from_chars(std::int64_t chars, double chars_per_token) {
  if (chars < 0) return -1;
  const double tok = std::ceil(static_cast<double>(chars) / chars_per_token);
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(tok));
}

}  // namespace collabsim::quality
