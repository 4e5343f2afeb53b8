#pragma once
/// \file strings.hpp
/// Small string helpers shared by the input readers (did-you-mean suggestions, splitting
/// unquoted CSV rows).

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

namespace collabsim {

/// Levenshtein distance between `a` and `b` (insertions, deletions, substitutions).
inline std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

/// The comma-separated fields of an unquoted CSV row ("a,,b" → {"a", "", "b"}).
inline std::vector<std::string> split_commas(const std::string& line) {
  std::vector<std::string> f;
  std::size_t start = 0;
  for (;;) {
    const auto comma = line.find(',', start);
    f.push_back(line.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return f;
}

}  // namespace collabsim
