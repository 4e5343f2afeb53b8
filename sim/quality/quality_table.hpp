#pragma once
/// \file quality_table.hpp
/// Per-query, per-model outcomes (scores in [0, 1]) from a wide CSV as the MMLU-Pro
/// 30-model matrix (TIGER-AI-Lab/MMLU-Pro eval_results, Apache-2.0; see
/// shared/data/quality/SOURCE.md): `question_id, category, ..., answer, ..., <M>,
/// <M>|pred, <M>|out_chars, ...`. Only the requested model columns are loaded, as column
/// vectors (12,032 rows × k models).

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace collabsim::quality {

class QualityTable {
 public:
  /// Loads `models` (and their `|pred`, `|out_chars` companions when present). Throws
  /// InputError naming file, line and column for a missing file (or one that is not a
  /// regular file of at most 4 GiB), an empty file, a missing model column (listing similar
  /// names), a missing `question_id` column, a column name that appears twice in the
  /// header, a question id that appears twice, a non-numeric or non-finite cell (`nan`,
  /// `inf`: a missing score is a blank cell), a score outside [0, 1], a header without
  /// rows, and a requested model column whose cells are all blank.
  static QualityTable load_wide_csv(const std::filesystem::path& file, const std::vector<std::string>& models);

  std::size_t num_queries() const { return query_id_.size(); }
  std::size_t num_models() const { return models_.size(); }
  const std::vector<std::string>& models() const { return models_; }
  /// Index of a loaded model column; throws std::out_of_range listing the loaded ones.
  std::size_t model_index(const std::string& name) const;
  std::int64_t query_id(std::size_t row) const { return query_id_[row]; }
  const std::string& category(std::size_t row) const { return category_[row]; }
  /// Characters of question + options (-1 when the table has no such column).
  std::int64_t question_chars(std::size_t row) const { return question_chars_[row]; }
  bool has_score(std::size_t row, std::size_t model) const { return !std::isnan(score_[model][row]); }
  /// Score in [0, 1]; NaN when blank.
  double score(std::size_t row, std::size_t model) const { return score_[model][row]; }
  /// Predicted answer letter; '\0' when blank or absent.
  char pred(std::size_t row, std::size_t model) const { return pred_[model].empty() ? '\0' : pred_[model][row]; }
  /// Answer key letter; '\0' when absent.
  char answer(std::size_t row) const { return answer_.empty() ? '\0' : answer_[row]; }
  /// Output length in characters; -1 when blank or absent.
  std::int64_t out_chars(std::size_t row, std::size_t model) const {
    return out_chars_[model].empty() ? -1 : out_chars_[model][row];
  }

 private:
  std::vector<std::string> models_;
  std::vector<std::int64_t> query_id_, question_chars_;
  std::vector<std::string> category_;
  std::vector<char> answer_;
  std::vector<std::vector<double>> score_;
  std::vector<std::vector<char>> pred_;
  std::vector<std::vector<std::int64_t>> out_chars_;
};

}  // namespace collabsim::quality
