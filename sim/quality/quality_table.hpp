#pragma once
/// \file quality_table.hpp
/// Per-query, per-model outcomes (scores in [0, 1]) from a wide CSV as the MMLU-Pro
/// 30-model matrix (TIGER-AI-Lab/MMLU-Pro eval_results, Apache-2.0; see
/// shared/data/quality/SOURCE.md): `question_id, category, ..., answer, ..., <M>,
/// <M>|pred, <M>|out_chars, ...`. Only the requested model columns are loaded, as column
/// vectors (12,032 rows × k models).
///
/// Three formats (docs/QUALITY.md): `wide` (above), `long` (one row per (question, model):
/// `query_id, model, score[, cost_usd, output_tokens, category, question_chars]`) and
/// `routellm` (RouteLLM's response CSVs, lm-sys/RouteLLM, Apache-2.0: `prompt, <model>...`
/// with True/False cells, one row per question). `load` picks one by `format` or, for
/// "auto", by the header. A blank-cell policy (BlankPolicy) is applied to the loaded columns.

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <string_view>
#include <string>
#include <span>
#include <vector>

namespace collabsim::quality {

struct IrtModel;

/// What a blank score cell of a column in use means (`quality.blank`).
enum class BlankPolicy {
  skip,   ///< the question is left out of the join (QueryJoin counts it)
  zero,   ///< the blank scores 0 (a missing answer is a wrong answer)
  error,  ///< the first blank cell is an InputError naming file, line, question and column
};


class QualityTable {
 public:
  /// Loads `models` from `file` in `format` ("auto", "wide", "long", "routellm"; "auto":
  /// `query_id`+`model`+`score` in the header ⇒ long, `question_id` ⇒ wide, `prompt` ⇒
  /// routellm), then applies `blank` to the loaded columns. Throws InputError as the
  /// format's loader, for an unknown format or an undetectable header (naming the file and
  /// the header's first columns), and under BlankPolicy::error for the first blank cell
  /// (file, line, question id, column).
  static QualityTable load(const std::filesystem::path& file, const std::vector<std::string>& models,
                           const std::string& format = "auto", BlankPolicy blank = BlankPolicy::skip);

  /// Loads `models` (and their `|pred`, `|out_chars` companions when present). Throws
  /// InputError naming file, line and column for a missing file (or one that is not a
  /// regular file of at most 4 GiB), an empty file, a missing model column (listing similar
  /// names), a missing `question_id` column, a column name that appears twice in the
  /// header, a question id that appears twice, a non-numeric or non-finite cell (`nan`,
  /// `inf`: a missing score is a blank cell), a score outside [0, 1], a header without
  /// rows, and a requested model column whose cells are all blank.
  static QualityTable load_wide_csv(const std::filesystem::path& file, const std::vector<std::string>& models);

  /// Long format: one row per (question, model) pair, `query_id, model, score` plus optional
  /// `cost_usd` (USD), `output_tokens` (tokens), `category`, `question_chars` (characters).
  /// Questions keep the order of their first row; a (question, model) pair without a row is
  /// a blank cell. Throws InputError (file, line, column) as load_wide_csv, and for a
  /// missing required column, a pair given twice, and a requested model with no row.
  static QualityTable load_long_csv(const std::filesystem::path& file, const std::vector<std::string>& models);
  /// RouteLLM response CSV (routellm/evals/*/responses: `prompt, <model>, ...`, cells
  /// True/False, 1/0 or blank; quoted prompts may span lines). Question id = 0-based row
  /// index, category = the file's stem (e.g. `mmlu_anatomy`), question_chars = the prompt's
  /// length in UTF-8 characters. Throws InputError (file, line, column) for a missing
  /// `prompt` or model column, a cell that is not a boolean, an unterminated quote.
  static QualityTable load_routellm_csv(const std::filesystem::path& file, const std::vector<std::string>& models);

  /// The file the table was read from.
  const std::filesystem::path& file() const { return file_; }
  /// Line of the file where question `row` starts (its first row in the long format).
  std::size_t line(std::size_t row) const { return line_[row]; }
  /// Cost of answering question `row` with `model`, USD; NaN when absent (long format only).
  double cost_usd(std::size_t row, std::size_t model) const {
    return cost_[model].empty() ? std::numeric_limits<double>::quiet_NaN() : cost_[model][row];
  }
  /// Output length, tokens; -1 when absent (long format only).
  std::int64_t output_tokens(std::size_t row, std::size_t model) const {
    return out_tokens_[model].empty() ? -1 : out_tokens_[model][row];
  }
  /// Cells of column `model` that are blank.
  std::size_t blanks(std::size_t model) const;

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

  /// The table as a byte image (core/binary_image.hpp) for the parsed-input store
  /// (study/input_cache.hpp): every column, line numbers included, not the file path.
  std::string image() const;
  /// The table an image() holds, with `file` as its file() (the file it was parsed from);
  /// std::nullopt when `bytes` is not a whole image (truncated, another layout).
  static std::optional<QualityTable> from_image(std::string_view bytes, const std::filesystem::path& file);

 private:
  /// A table of `file` with one empty column of every kind per model (the readers fill it).
  static QualityTable empty(const std::filesystem::path& file, const std::vector<std::string>& models);
  friend QualityTable draw_irt(const QualityTable& t, const IrtModel& model, std::uint64_t seed);
  void apply_blank_policy(BlankPolicy blank);
  std::filesystem::path file_;
  std::vector<std::size_t> line_;
  std::vector<std::vector<double>> cost_;
  std::vector<std::vector<std::int64_t>> out_tokens_;
  std::vector<std::string> models_;
  std::vector<std::int64_t> query_id_, question_chars_;
  std::vector<std::string> category_;
  std::vector<char> answer_;
  std::vector<std::vector<double>> score_;
  std::vector<std::vector<char>> pred_;
  std::vector<std::vector<std::int64_t>> out_chars_;
};

/// A quality-table format (`quality.format`): one row per format in quality_formats(), the
/// single source of the key's allowed values (with "auto"), its help in `collabsim list`,
/// the header rule of "auto" and the loader QualityTable::load calls. A new format is its
/// `QualityTable::load_<format>` plus one row (docs/EXTENDING.md).
struct QualityFormatInfo {
  const char* name;
  const char* help;
  /// True when a header (the file's column names) is in this format; "auto" takes the
  /// first row, in registry order, whose rule holds.
  bool (*detect)(const std::vector<std::string>& header);
  QualityTable (*load)(const std::filesystem::path& file, const std::vector<std::string>& models);
};

/// Every format, in the order "auto" tries their header rules: long, wide, routellm.
std::span<const QualityFormatInfo> quality_formats();

}  // namespace collabsim::quality
