#include "sim/workload/servegen_windows.hpp"

#include <charconv>
#include <cmath>
#include <fstream>
#include <string>
#include <string_view>

#include "sim/core/error.hpp"
#include "sim/core/input_file.hpp"

namespace collabsim::workload {

std::vector<ServegenWindow> read_servegen_windows(const std::filesystem::path& file) {
  static const char* kCols[] = {"window_start_s", "rate", "cv", "pattern", "param1", "param2"};
  if (!input_exists(file))
    throw InputError(SourcePos{file, 0, 0}, "",
                     "cannot open the ServeGen window file (alibaba/ServeGen data/<pool>/chunk-<client>-trace.csv)");
  check_input_file(file, SourcePos{}, "", "the ServeGen window file");
  std::ifstream in(file, std::ios::binary);
  std::vector<ServegenWindow> out;
  std::string line;
  std::size_t lineno = 0;
  while (read_line(in, line, kMaxTraceLineBytes, file, lineno + 1)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::string_view f[6];
    std::size_t col[6];
    std::size_t start = 0, n = 0;
    for (;;) {
      const auto comma = line.find(',', start);
      if (n == 6) throw InputError(SourcePos{file, lineno, start + 1}, "row", "more than 6 fields");
      col[n] = start + 1;
      f[n++] = std::string_view(line).substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    if (n != 6)
      throw InputError(SourcePos{file, lineno, line.size() + 1}, kCols[n],
                       "missing field: expected 6 fields (window_start_s,rate,cv,pattern,param1,param2), got " +
                           std::to_string(n));
    double v[6] = {};
    for (int c : {0, 1, 2, 4, 5}) {
      const auto s = f[c];
      const auto r = std::from_chars(s.data(), s.data() + s.size(), v[c]);
      if (r.ec != std::errc() || r.ptr != s.data() + s.size() || !std::isfinite(v[c]))
        throw InputError(SourcePos{file, lineno, col[c]}, kCols[c], "'" + quote_excerpt(s) + "' is not a finite number");
      if (v[c] < 0) throw InputError(SourcePos{file, lineno, col[c]}, kCols[c], "negative value " + std::string(s));
    }
    ServegenWindow w;
    w.start_s = v[0];
    w.rate = v[1];
    w.cv = v[2];
    w.line = lineno;
    if (f[3] == "Gamma")
      w.family = DistKind::Gamma;
    else if (f[3] == "Weibull")
      w.family = DistKind::Weibull;
    else if (!f[3].empty())
      throw InputError(SourcePos{file, lineno, col[3]}, kCols[3],
                       "'" + quote_excerpt(f[3]) + "' is not a ServeGen pattern (Gamma, Weibull or empty)");
    if (w.start_s > 1e9)
      throw InputError(SourcePos{file, lineno, col[0]}, kCols[0], "window start beyond 1e9 s");
    if (!out.empty() && w.start_s <= out.back().start_s)
      throw InputError(SourcePos{file, lineno, col[0]}, kCols[0], "window start is not after the previous row's");
    if (!out.empty()) out.back().end_s = w.start_s;
    out.push_back(w);
  }
  if (out.empty()) throw InputError(SourcePos{file, lineno, 0}, "", "the ServeGen window file has no rows");
  const double last_len = out.size() > 1 ? out[out.size() - 1].start_s - out[out.size() - 2].start_s : 600.0;
  out.back().end_s = out.back().start_s + last_len;
  return out;
}

}  // namespace collabsim::workload
