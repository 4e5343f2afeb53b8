#include "sim/quality/quality_table.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <type_traits>
#include <stdexcept>
#include <string_view>

#include "sim/core/error.hpp"
#include "sim/core/input_file.hpp"
#include "sim/core/strings.hpp"

namespace collabsim::quality {
namespace {

/// Splits one CSV line (RFC 4180 quoting) into fields and their 1-based columns. `out`'s
/// strings are reused (assigned, not rebuilt), and a line without quotes is cut at its
/// commas with memchr, so a wide table costs a copy per field, not a branch per byte.
void split_csv(const std::string& line, std::vector<std::string>& out, std::vector<std::size_t>& cols) {
  cols.clear();
  std::size_t n = 0;
  auto next = [&]() -> std::string& {
    if (n == out.size()) out.emplace_back();
    return out[n++];
  };
  const char* const begin = line.data();
  const char* end = begin + line.size();
  if (end != begin && end[-1] == '\r') --end;  // CRLF line ending
  const auto len = static_cast<std::size_t>(end - begin);
  if (!std::memchr(begin, '"', len) && !std::memchr(begin, '\r', len)) {  // fast path: no quotes, no CR
    const char* p = begin;
    for (;;) {
      const char* comma = static_cast<const char*>(std::memchr(p, ',', static_cast<std::size_t>(end - p)));
      const char* stop = comma ? comma : end;
      std::string& field = next();
      field.assign(p, stop);
      cols.push_back(static_cast<std::size_t>(p - begin) + 1);
      if (!comma) break;
      p = comma + 1;
    }
    out.resize(n);
    return;
  }
  std::string cur;
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= line.size(); ++i) {
    const char c = i < line.size() ? line[i] : ',';
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      next() = std::move(cur);
      cols.push_back(start + 1);
      cur.clear();
      start = i + 1;
    } else if (c != '\r') {
      cur += c;
    }
  }
  out.resize(n);
}

/// As split_csv, into views: of `line` itself when it has no quotes (nothing is copied, so
/// a row costs one memchr per field whatever the columns a scenario reads), else of
/// `owned` (split_csv's unquoted fields). The views live as long as `line` and `owned`.
void split_csv_views(const std::string& line, std::vector<std::string_view>& out, std::vector<std::size_t>& cols,
                     std::vector<std::string>& owned) {
  out.clear();
  cols.clear();
  const char* const begin = line.data();
  const char* end = begin + line.size();
  if (end != begin && end[-1] == '\r') --end;  // CRLF line ending
  const auto len = static_cast<std::size_t>(end - begin);
  if (!std::memchr(begin, '"', len) && !std::memchr(begin, '\r', len)) {
    const char* p = begin;
    for (;;) {
      const char* comma = static_cast<const char*>(std::memchr(p, ',', static_cast<std::size_t>(end - p)));
      const char* stop = comma ? comma : end;
      out.emplace_back(p, static_cast<std::size_t>(stop - p));
      cols.push_back(static_cast<std::size_t>(p - begin) + 1);
      if (!comma) break;
      p = comma + 1;
    }
    return;
  }
  split_csv(line, owned, cols);
  for (const auto& f : owned) out.emplace_back(f);
}

/// Throws the "no such model" InputError for `m`, naming the 3 closest of `names`.
[[noreturn]] void throw_missing_model(const std::filesystem::path& file, const std::string& m,
                                      const std::vector<std::string>& names) {
  std::vector<std::pair<std::size_t, std::string>> near;
  for (const auto& h : names)
    if (h.find('|') == std::string::npos) near.emplace_back(edit_distance(m, h), h);
  std::sort(near.begin(), near.end());
  std::string list;
  for (std::size_t i = 0; i < near.size() && i < 3; ++i) list += (i ? ", " : "") + near[i].second;
  throw InputError(SourcePos{file, 1, 1}, m, "no such model column in the quality table; closest: " + list);
}

/// Opens a quality table for reading (the checks of check_input_file) and reads its header
/// (BOM stripped) into `f`/`cols`.
std::ifstream open_table(const std::filesystem::path& file, std::vector<std::string>& f, std::vector<std::size_t>& cols) {
  if (!input_exists(file)) throw InputError(SourcePos{file, 0, 0}, "", "cannot open the quality table");
  check_input_file(file, SourcePos{}, "", "the quality table");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(SourcePos{file, 0, 0}, "", "cannot open the quality table");
  std::string line;
  if (!read_line(in, line, kMaxTableLineBytes, file, 1))
    throw InputError(SourcePos{file, 0, 0}, "", "the quality table is empty: expected a CSV header");
  if (line.size() >= 3 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);
  split_csv(line, f, cols);
  return in;
}

long column_of(const std::vector<std::string>& f, const std::string& name) {
  const auto it = std::find(f.begin(), f.end(), name);
  return it == f.end() ? -1 : static_cast<long>(it - f.begin());
}

/// Parses `s` as a number into `out`; InputError (file, line, col, key) when it is not one
/// or (floating point) not finite.
template <class T>
void parse_num(std::string_view s, T& out, const std::filesystem::path& file, std::size_t line, std::size_t col,
               const std::string& key) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size())
    throw InputError(SourcePos{file, line, col}, key, "'" + quote_excerpt(s) + "' is not a number");
  if constexpr (std::is_floating_point_v<T>)
    if (!std::isfinite(out))
      throw InputError(SourcePos{file, line, col}, key,
                       "'" + quote_excerpt(s) + "' is not a finite number (leave the cell blank for no score)");
}

/// An optional cell of a long-format row: `out` is left as it is when the cell is blank,
/// else set to the parsed value; throws InputError(`bad`) when it is below 0 or above `max`.
template <class T>
void optional_cell(const std::string& cell, T& out, T max, const char* bad, const std::filesystem::path& file,
                   std::size_t line, std::size_t col, const char* key) {
  if (cell.empty()) return;
  T v = 0;
  parse_num(cell, v, file, line, col, key);
  if (v < 0 || v > max) throw InputError(SourcePos{file, line, col}, key, bad);
  out = v;
}

/// The wide table's header: opens `file`, reads and splits its first line (BOM dropped)
/// into `f` / `cols`. Throws InputError when the file is missing, unreadable or empty.
std::ifstream open_wide(const std::filesystem::path& file, std::string& line, std::vector<std::string>& f,
                        std::vector<std::size_t>& cols) {
  if (!input_exists(file))
    throw InputError(SourcePos{file, 0, 0}, "",
                     "cannot open the quality table (for the MMLU-Pro matrix: derived from TIGER-AI-Lab/MMLU-Pro "
                     "eval_results, Apache-2.0; expected under <data-dir>/quality/mmlu_pro/)");
  check_input_file(file, SourcePos{}, "", "the quality table");
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw InputError(SourcePos{file, 0, 0}, "",
                     "cannot open the quality table (for the MMLU-Pro matrix: derived from TIGER-AI-Lab/MMLU-Pro "
                     "eval_results, Apache-2.0; expected under <data-dir>/quality/mmlu_pro/)");
  if (!read_line(in, line, kMaxTableLineBytes, file, 1))
    throw InputError(SourcePos{file, 0, 0}, "", "the quality table is empty: expected a CSV header with question_id");
  if (line.size() >= 3 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);
  split_csv(line, f, cols);
  return in;
}

/// Throws InputError when a column name appears twice in header `f` (it would make
/// "the column X" ambiguous).
void check_unique_columns(const std::vector<std::string>& f, const std::vector<std::size_t>& cols,
                          const std::filesystem::path& file) {
  std::map<std::string, std::size_t> seen;
  for (std::size_t i = 0; i < f.size(); ++i) {
    const auto [it, fresh] = seen.emplace(f[i], i);
    if (!fresh)
      throw InputError(SourcePos{file, 1, cols[i]}, quote_excerpt(f[i], 80),
                       "column name appears twice in the header (columns " + std::to_string(it->second + 1) +
                           " and " + std::to_string(i + 1) + ")");
  }
}

/// A number cell of a wide row (integer or finite real) into `out`; throws InputError
/// naming line, column and `key` otherwise.
template <class T>
void wide_number(std::string_view s, const std::filesystem::path& file, std::size_t line, std::size_t col,
                 const std::string& key, T& out) {
  parse_num(s, out, file, line, col, key);
}

}  // namespace

QualityTable QualityTable::empty(const std::filesystem::path& file, const std::vector<std::string>& models) {
  QualityTable t;
  t.file_ = file;
  t.models_ = models;
  const std::size_t k = models.size();
  t.score_.resize(k);
  t.pred_.resize(k);
  t.out_chars_.resize(k);
  t.cost_.resize(k);
  t.out_tokens_.resize(k);
  return t;
}

std::span<const QualityFormatInfo> quality_formats() {
  static const QualityFormatInfo kRows[] = {
      {"long", "query_id, model, score[, cost_usd, output_tokens] rows",
       [](const std::vector<std::string>& h) {
         return column_of(h, "query_id") >= 0 && column_of(h, "model") >= 0 && column_of(h, "score") >= 0;
       },
       QualityTable::load_long_csv},
      {"wide", "question_id + one column per model",
       [](const std::vector<std::string>& h) { return column_of(h, "question_id") >= 0; }, QualityTable::load_wide_csv},
      {"routellm", "prompt + True/False columns (RouteLLM responses)",
       [](const std::vector<std::string>& h) { return column_of(h, "prompt") >= 0; }, QualityTable::load_routellm_csv},
  };
  return kRows;
}

QualityTable QualityTable::load(const std::filesystem::path& file, const std::vector<std::string>& models,
                                const std::string& format, BlankPolicy blank) {
  const QualityFormatInfo* row = nullptr;
  std::string names;
  for (const auto& f : quality_formats()) {
    names += std::string(", ") + f.name;
    if (format == f.name) row = &f;
  }
  if (format == "auto") {
    std::vector<std::string> f;
    std::vector<std::size_t> cols;
    open_table(file, f, cols);
    for (const auto& r : quality_formats())
      if (!row && r.detect(f)) row = &r;
    if (!row) {
      std::string head;
      for (std::size_t i = 0; i < f.size() && i < 4; ++i) head += (i ? ", " : "") + quote_excerpt(f[i], 40);
      throw InputError(SourcePos{file, 1, 1}, "quality.format",
                       "cannot tell the quality table's format from its header (" + head +
                           "): expected question_id (wide), query_id + model + score (long) or prompt (routellm); "
                           "set quality.format");
    }
  }
  if (!row)
    throw InputError(SourcePos{file, 0, 0}, "quality.format",
                     "unknown quality table format '" + quote_excerpt(format) + "' (auto" + names + ")");
  QualityTable t = row->load(file, models);
  t.apply_blank_policy(blank);
  return t;
}

void QualityTable::apply_blank_policy(BlankPolicy blank) {
  if (blank == BlankPolicy::skip) return;
  for (std::size_t r = 0; r < num_queries(); ++r)
    for (std::size_t m = 0; m < models_.size(); ++m) {
      if (!std::isnan(score_[m][r])) continue;
      if (blank == BlankPolicy::error)
        throw InputError(SourcePos{file_, line_[r], 0}, models_[m],
                         "question " + std::to_string(query_id_[r]) + " has no score in column '" + models_[m] +
                             "' (quality.blank = \"error\"; " + std::to_string(blanks(m)) +
                             " blank cell(s) in that column; \"skip\" leaves such questions out, \"zero\" scores them 0)");
      score_[m][r] = 0.0;
    }
}

std::size_t QualityTable::blanks(std::size_t model) const {
  return static_cast<std::size_t>(std::count_if(score_[model].begin(), score_[model].end(),
                                                [](double v) { return std::isnan(v); }));
}

QualityTable QualityTable::load_long_csv(const std::filesystem::path& file, const std::vector<std::string>& models) {
  std::vector<std::string> f;
  std::vector<std::size_t> cols;
  std::ifstream in = open_table(file, f, cols);
  const long qid = column_of(f, "query_id"), mod = column_of(f, "model"), sc = column_of(f, "score"),
             cost = column_of(f, "cost_usd"), otok = column_of(f, "output_tokens"), cat = column_of(f, "category"),
             qchars = column_of(f, "question_chars");
  for (const auto& [c, name] : {std::pair{qid, "query_id"}, std::pair{mod, "model"}, std::pair{sc, "score"}})
    if (c < 0)
      throw InputError(SourcePos{file, 1, 1}, name,
                       std::string("the long-format header has no ") + name +
                           " column (expected query_id, model, score[, cost_usd, output_tokens])");
  const std::size_t width = f.size(), k = models.size();
  std::map<std::string, std::size_t> want;
  for (std::size_t m = 0; m < k; ++m) want.emplace(models[m], m);
  QualityTable t = empty(file, models);
  std::map<std::int64_t, std::size_t> row_of;               // query id -> row
  std::map<std::pair<std::size_t, std::size_t>, std::size_t> pair_line;  // (row, model) -> line
  std::set<std::string> seen_models;
  std::vector<std::size_t> rows_of_model(k, 0);
  std::string line;
  std::size_t lineno = 1;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  while (read_line(in, line, kMaxTableLineBytes, file, lineno + 1)) {
    ++lineno;
    if (line.empty() || line == "\r") continue;
    split_csv(line, f, cols);
    if (f.size() != width)
      throw InputError(SourcePos{file, lineno, 1}, "row",
                       "expected " + std::to_string(width) + " fields, got " + std::to_string(f.size()));
    std::int64_t id = 0;
    parse_num(f[qid], id, file, lineno, cols[qid], "query_id");
    auto [it, fresh] = row_of.emplace(id, t.query_id_.size());
    const std::size_t r = it->second;
    if (fresh) {
      t.query_id_.push_back(id);
      t.line_.push_back(lineno);
      t.category_.push_back(cat >= 0 ? f[cat] : std::string());
      std::int64_t qc = -1;
      if (qchars >= 0 && !f[qchars].empty()) parse_num(f[qchars], qc, file, lineno, cols[qchars], "question_chars");
      t.question_chars_.push_back(qc);
      for (std::size_t m = 0; m < k; ++m) {
        t.score_[m].push_back(nan);
        if (cost >= 0) t.cost_[m].push_back(nan);
        if (otok >= 0) t.out_tokens_[m].push_back(-1);
      }
    }
    seen_models.insert(f[mod]);
    const auto w = want.find(f[mod]);
    if (w == want.end()) continue;
    const std::size_t m = w->second;
    if (const auto [p, first] = pair_line.emplace(std::pair{r, m}, lineno); !first)
      throw InputError(SourcePos{file, lineno, cols[mod]}, f[mod],
                       "question " + std::to_string(id) + " and model '" + quote_excerpt(f[mod], 80) +
                           "' appear twice (first on line " + std::to_string(p->second) + ")");
    ++rows_of_model[m];
    optional_cell(f[sc], t.score_[m][r], 1.0, "score outside [0, 1]", file, lineno, cols[sc], "score");
    if (cost >= 0)
      optional_cell(f[cost], t.cost_[m][r], std::numeric_limits<double>::infinity(), "negative cost", file, lineno,
                    cols[cost], "cost_usd");
    if (otok >= 0)
      optional_cell(f[otok], t.out_tokens_[m][r], std::numeric_limits<std::int64_t>::max(), "negative token count",
                    file, lineno, cols[otok], "output_tokens");
  }
  if (t.query_id_.empty())
    throw InputError(SourcePos{file, lineno, 0}, "",
                     "the quality table has a header but no rows (no question to join requests to)");
  for (std::size_t m = 0; m < k; ++m) {
    if (rows_of_model[m] == 0)
      throw_missing_model(file, models[m], std::vector<std::string>(seen_models.begin(), seen_models.end()));
    if (t.blanks(m) == t.query_id_.size())
      throw InputError(SourcePos{file, 1, cols[sc]}, models[m],
                       "model column has no scores: every one of its " + std::to_string(t.query_id_.size()) +
                           " cells is blank");
  }
  return t;
}

QualityTable QualityTable::load_routellm_csv(const std::filesystem::path& file,
                                             const std::vector<std::string>& models) {
  std::vector<std::string> f;
  std::vector<std::size_t> cols;
  std::ifstream in = open_table(file, f, cols);
  const long prompt = column_of(f, "prompt");
  if (prompt < 0)
    throw InputError(SourcePos{file, 1, 1}, "prompt", "the RouteLLM header has no prompt column");
  const std::size_t width = f.size(), k = models.size();
  std::vector<long> col;
  for (const auto& m : models) {
    const long c = column_of(f, m);
    if (c < 0) throw_missing_model(file, m, f);
    col.push_back(c);
  }
  const std::vector<std::string> header = f;
  const std::vector<std::size_t> header_cols = cols;
  QualityTable t = empty(file, models);
  const std::string category = file.stem().string();
  std::string line, rec;
  std::size_t lineno = 1;
  while (read_line(in, line, kMaxTableLineBytes, file, lineno + 1)) {
    ++lineno;
    const std::size_t start = lineno;
    rec = line;
    // A quoted field may hold newlines: join lines while the quotes are unbalanced.
    while (std::count(rec.begin(), rec.end(), '"') % 2 == 1) {
      if (!read_line(in, line, kMaxTableLineBytes, file, lineno + 1))
        throw InputError(SourcePos{file, start, 1}, "prompt", "unterminated quoted field (the file ends inside it)");
      ++lineno;
      if (rec.size() + line.size() > kMaxTableLineBytes)
        throw InputError(SourcePos{file, start, 1}, "prompt", "a quoted record longer than 16 MiB");
      rec += '\n';
      rec += line;
    }
    if (rec.empty() || rec == "\r") continue;
    split_csv(rec, f, cols);
    if (f.size() != width)
      throw InputError(SourcePos{file, start, 1}, "row",
                       "expected " + std::to_string(width) + " fields, got " + std::to_string(f.size()));
    t.query_id_.push_back(static_cast<std::int64_t>(t.query_id_.size()));
    t.line_.push_back(start);
    t.category_.push_back(category);
    const auto& p = f[prompt];
    t.question_chars_.push_back(static_cast<std::int64_t>(
        std::count_if(p.begin(), p.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; })));
    for (std::size_t m = 0; m < k; ++m) {
      const std::string& c = f[col[m]];
      double v = std::numeric_limits<double>::quiet_NaN();
      if (c == "True" || c == "true" || c == "1") v = 1.0;
      else if (c == "False" || c == "false" || c == "0") v = 0.0;
      else if (!c.empty())
        throw InputError(SourcePos{file, start, cols[col[m]]}, header[col[m]],
                         "'" + quote_excerpt(c) + "' is not True/False (RouteLLM correctness cell)");
      t.score_[m].push_back(v);
    }
  }
  if (t.query_id_.empty())
    throw InputError(SourcePos{file, lineno, 0}, "",
                     "the quality table has a header but no rows (no question to join requests to)");
  for (std::size_t m = 0; m < k; ++m)
    if (t.blanks(m) == t.query_id_.size())
      throw InputError(SourcePos{file, 1, header_cols[col[m]]}, models[m],
                       "model column has no scores: every one of its " + std::to_string(t.query_id_.size()) +
                           " cells is blank");
  return t;
}

QualityTable QualityTable::load_wide_csv(const std::filesystem::path& file, const std::vector<std::string>& models) {
  std::string line;
  std::vector<std::string> f;
  std::vector<std::size_t> cols;
  std::ifstream in = open_wide(file, line, f, cols);
  auto find = [&](const std::string& name) { return column_of(f, name); };
  const long qid = find("question_id"), cat = find("category"), qchars = find("question_chars"), ans = find("answer");
  if (qid < 0)
    throw InputError(SourcePos{file, 1, 1}, "question_id",
                     "the header has no question_id column (is this a wide quality CSV?)");
  check_unique_columns(f, cols, file);
  QualityTable t = empty(file, models);
  std::vector<long> score_col, pred_col, out_col;
  for (const auto& m : models) {
    const long c = find(m);
    if (c < 0) throw_missing_model(file, m, f);
    score_col.push_back(c);
    pred_col.push_back(find(m + "|pred"));
    out_col.push_back(find(m + "|out_chars"));
  }
  const std::size_t k = models.size();
  std::size_t lineno = 1;
  const std::size_t width = f.size();
  auto num = [&](std::string_view s, std::size_t col, const std::string& key, auto& out) {
    wide_number(s, file, lineno, col, key, out);
  };
  std::vector<std::string> header = f;
  const std::vector<std::size_t> header_cols = cols;
  std::map<std::int64_t, std::size_t> id_line;  // question id -> line, for duplicates
  std::vector<std::string_view> row;  // the row's fields (views)
  std::vector<std::string> owned;   // a quoted row's unquoted fields
  std::vector<std::size_t> scored(k, 0);
  while (read_line(in, line, kMaxTableLineBytes, file, lineno + 1)) {
    ++lineno;
    if (line.empty() || line == "\r") continue;
    split_csv_views(line, row, cols, owned);
    if (row.size() != width)
      throw InputError(SourcePos{file, lineno, 1}, "row",
                       "expected " + std::to_string(width) + " fields, got " + std::to_string(row.size()));
    std::int64_t id = 0;
    num(row[qid], cols[qid], "question_id", id);
    if (const auto [it, fresh] = id_line.emplace(id, lineno); !fresh)
      throw InputError(SourcePos{file, lineno, cols[qid]}, "question_id",
                       "question id " + std::to_string(id) + " appears twice (first on line " +
                           std::to_string(it->second) + ")");
    t.query_id_.push_back(id);
    t.line_.push_back(lineno);
    t.category_.push_back(cat >= 0 ? std::string(row[cat]) : std::string());
    std::int64_t qc = -1;
    if (qchars >= 0 && !row[qchars].empty()) num(row[qchars], cols[qchars], "question_chars", qc);
    t.question_chars_.push_back(qc);
    if (ans >= 0) t.answer_.push_back(row[ans].empty() ? '\0' : row[ans][0]);
    for (std::size_t m = 0; m < k; ++m) {
      const auto& cell = row[score_col[m]];
      double v = std::numeric_limits<double>::quiet_NaN();
      if (!cell.empty()) {
        num(cell, cols[score_col[m]], header[score_col[m]], v);
        if (v < 0 || v > 1)
          throw InputError(SourcePos{file, lineno, cols[score_col[m]]}, header[score_col[m]], "score outside [0, 1]");
        ++scored[m];
      }
      t.score_[m].push_back(v);
      if (pred_col[m] >= 0) t.pred_[m].push_back(row[pred_col[m]].empty() ? '\0' : row[pred_col[m]][0]);
      if (out_col[m] >= 0) {
        std::int64_t oc = -1;
        if (!row[out_col[m]].empty()) num(row[out_col[m]], cols[out_col[m]], header[out_col[m]], oc);
        t.out_chars_[m].push_back(oc);
      }
    }
  }
  if (t.query_id_.empty())
    throw InputError(SourcePos{file, lineno, 0}, "",
                     "the quality table has a header but no rows (no question to join requests to)");
  for (std::size_t m = 0; m < k; ++m)
    if (scored[m] == 0)
      throw InputError(SourcePos{file, 1, header_cols[score_col[m]]}, models[m],
                       "model column has no scores: every one of its " + std::to_string(t.query_id_.size()) +
                           " cells is blank");
  return t;
}

std::size_t QualityTable::model_index(const std::string& name) const {
  for (std::size_t i = 0; i < models_.size(); ++i)
    if (models_[i] == name) return i;
  std::string list;
  for (const auto& m : models_) list += (list.empty() ? "" : ", ") + m;
  throw std::out_of_range("model '" + name + "' is not loaded (loaded: " + list + ")");
}

}  // namespace collabsim::quality
