#pragma once
/// \file table.hpp
/// `collabsim table`: chosen metrics of run and sweep files as one table to paste into a
/// paper or a notebook, each cell the mean ± the half-width of its 95% interval (a sweep's
/// /sweep/aggregate: Student t over a combination's ok seeds; a run: the mean alone), in
/// CSV (one number a column: <metric>_mean, <metric>_ci95_hw), Markdown, or LaTeX with
/// booktabs rules (\toprule, \midrule, \bottomrule; Fear, booktabs package documentation).

#include <string>
#include <vector>

#include "sim/results/compare.hpp"

namespace collabsim {

enum class TableFormat { csv, markdown, latex };

/// Parses "csv", "md"/"markdown", "latex"/"tex"; throws InputError (key --format) otherwise.
TableFormat parse_table_format(const std::string& text);

/// One row: its key values (parallel to ResultTable::keys), seeds, and per metric the mean
/// and the half-width of the 95% interval (NaN for one seed or a run).
struct TableRow {
  std::vector<std::string> keys;
  std::int64_t n_seeds = 1;
  std::vector<double> mean, halfwidth;
};

struct ResultTable {
  std::vector<std::string> keys;     ///< key columns: `by` first, then the other swept keys (and "file")
  std::vector<std::string> metrics;  ///< in the order asked
  std::vector<std::string> units;    ///< parallel to metrics
  std::vector<TableRow> rows;        ///< in file order, then sorted stably by the `by` column
};

/// The table of `files` (runs: one row each; sweeps: one row per /sweep/aggregate
/// combination). `by`: the first key column, one of the swept keys, "mechanism" (the swept
/// mechanism.name, else the file's mechanism attribute), "scenario" or "file"; rows are
/// sorted by it (numbers numerically), ties in file order. A "file" column is added when
/// there are several files and `by` is not "file". Throws InputError naming the file: a
/// metric it lacks (did-you-mean), an unknown `by`, no metrics.
ResultTable build_table(const std::vector<ResultSet>& files, const std::vector<std::string>& metrics,
                        const std::string& by);

/// The table as text in `format`. CSV: a header row, numbers to 10 significant digits,
/// empty for NaN, texts quoted when they hold a comma or quote (RFC 4180). Markdown and
/// LaTeX: "mean ± hw" with the mean rounded to the half-width's second significant digit,
/// and a last line saying what ± is.
std::string render_table(const ResultTable& table, TableFormat format);

/// "0.5812 ± 0.0031": the half-width to 2 significant digits, the mean to the same
/// decimal place; the mean to 4 significant digits when hw is NaN ("−" when both are NaN).
std::string mean_pm(double mean, double halfwidth, const std::string& pm = " ± ");

}  // namespace collabsim
