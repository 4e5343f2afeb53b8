#include "sim/quality/quality_table.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <limits>
#include <map>
#include <type_traits>
#include <stdexcept>

#include "sim/core/error.hpp"
#include "sim/core/input_file.hpp"
#include "sim/core/strings.hpp"

namespace collabsim::quality {
namespace {

/// Splits one CSV line (RFC 4180 quoting) into fields and their 1-based columns.
void split_csv(const std::string& line, std::vector<std::string>& out, std::vector<std::size_t>& cols) {
  out.clear();
  cols.clear();
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
      out.push_back(std::move(cur));
      cols.push_back(start + 1);
      cur.clear();
      start = i + 1;
    } else if (c != '\r') {
      cur += c;
    }
  }
}


}  // namespace

QualityTable QualityTable::load_wide_csv(const std::filesystem::path& file, const std::vector<std::string>& models) {
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
  std::string line;
  std::vector<std::string> f;
  std::vector<std::size_t> cols;
  if (!read_line(in, line, kMaxTableLineBytes, file, 1))
    throw InputError(SourcePos{file, 0, 0}, "", "the quality table is empty: expected a CSV header with question_id");
  if (line.size() >= 3 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);
  split_csv(line, f, cols);
  auto find = [&](const std::string& name) -> long {
    const auto it = std::find(f.begin(), f.end(), name);
    return it == f.end() ? -1 : static_cast<long>(it - f.begin());
  };
  const long qid = find("question_id"), cat = find("category"), qchars = find("question_chars"), ans = find("answer");
  if (qid < 0)
    throw InputError(SourcePos{file, 1, 1}, "question_id",
                     "the header has no question_id column (is this a wide quality CSV?)");
  {  // a repeated column name makes "the column X" ambiguous
    std::map<std::string, std::size_t> seen;
    for (std::size_t i = 0; i < f.size(); ++i) {
      const auto [it, fresh] = seen.emplace(f[i], i);
      if (!fresh)
        throw InputError(SourcePos{file, 1, cols[i]}, quote_excerpt(f[i], 80),
                         "column name appears twice in the header (columns " + std::to_string(it->second + 1) +
                             " and " + std::to_string(i + 1) + ")");
    }
  }
  QualityTable t;
  t.models_ = models;
  std::vector<long> score_col, pred_col, out_col;
  for (const auto& m : models) {
    const long c = find(m);
    if (c < 0) {
      std::vector<std::pair<std::size_t, std::string>> near;
      for (const auto& h : f)
        if (h.find('|') == std::string::npos) near.emplace_back(edit_distance(m, h), h);
      std::sort(near.begin(), near.end());
      std::string list;
      for (std::size_t i = 0; i < near.size() && i < 3; ++i) list += (i ? ", " : "") + near[i].second;
      throw InputError(SourcePos{file, 1, 1}, m, "no such model column in the quality table; closest: " + list);
    }
    score_col.push_back(c);
    pred_col.push_back(find(m + "|pred"));
    out_col.push_back(find(m + "|out_chars"));
  }
  const std::size_t k = models.size();
  t.score_.resize(k);
  t.pred_.resize(k);
  t.out_chars_.resize(k);
  std::size_t lineno = 1;
  const std::size_t width = f.size();
  auto num = [&](const std::string& s, std::size_t col, const std::string& key, auto& out) {
    const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size())
      throw InputError(SourcePos{file, lineno, col}, key, "'" + quote_excerpt(s) + "' is not a number");
    if constexpr (std::is_floating_point_v<std::decay_t<decltype(out)>>)
      if (!std::isfinite(out))
        throw InputError(SourcePos{file, lineno, col}, key,
                         "'" + quote_excerpt(s) + "' is not a finite number (leave the cell blank for no score)");
  };
  std::vector<std::string> header = f;
  const std::vector<std::size_t> header_cols = cols;
  std::map<std::int64_t, std::size_t> id_line;  // question id -> line, for duplicates
  std::vector<std::size_t> scored(k, 0);
  while (read_line(in, line, kMaxTableLineBytes, file, lineno + 1)) {
    ++lineno;
    if (line.empty() || line == "\r") continue;
    split_csv(line, f, cols);
    if (f.size() != width)
      throw InputError(SourcePos{file, lineno, 1}, "row",
                       "expected " + std::to_string(width) + " fields, got " + std::to_string(f.size()));
    std::int64_t id = 0;
    num(f[qid], cols[qid], "question_id", id);
    if (const auto [it, fresh] = id_line.emplace(id, lineno); !fresh)
      throw InputError(SourcePos{file, lineno, cols[qid]}, "question_id",
                       "question id " + std::to_string(id) + " appears twice (first on line " +
                           std::to_string(it->second) + ")");
    t.query_id_.push_back(id);
    t.category_.push_back(cat >= 0 ? f[cat] : std::string());
    std::int64_t qc = -1;
    if (qchars >= 0 && !f[qchars].empty()) num(f[qchars], cols[qchars], "question_chars", qc);
    t.question_chars_.push_back(qc);
    if (ans >= 0) t.answer_.push_back(f[ans].empty() ? '\0' : f[ans][0]);
    for (std::size_t m = 0; m < k; ++m) {
      const auto& cell = f[score_col[m]];
      double v = std::numeric_limits<double>::quiet_NaN();
      if (!cell.empty()) {
        num(cell, cols[score_col[m]], header[score_col[m]], v);
        if (v < 0 || v > 1)
          throw InputError(SourcePos{file, lineno, cols[score_col[m]]}, header[score_col[m]], "score outside [0, 1]");
        ++scored[m];
      }
      t.score_[m].push_back(v);
      if (pred_col[m] >= 0) t.pred_[m].push_back(f[pred_col[m]].empty() ? '\0' : f[pred_col[m]][0]);
      if (out_col[m] >= 0) {
        std::int64_t oc = -1;
        if (!f[out_col[m]].empty()) num(f[out_col[m]], cols[out_col[m]], header[out_col[m]], oc);
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
