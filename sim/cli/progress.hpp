#pragma once
/// \file progress.hpp
/// A progress line redrawn in place on stderr (only used when stderr is a terminal), at
/// most 10 times per second.

#include <chrono>
#include <string>

namespace collabsim::cli {

class ProgressLine {
 public:
  explicit ProgressLine(std::string label) : label_(std::move(label)) {}
  ~ProgressLine() { clear(); }
  /// Redraws "[label] text" unless the last draw was < 100 ms ago (`force` draws anyway).
  void show(const std::string& text, bool force = false);
  /// Erases the line if one was drawn.
  void clear();

 private:
  std::string label_;
  std::chrono::steady_clock::time_point last_{};
  bool drawn_ = false;
};

}  // namespace collabsim::cli
