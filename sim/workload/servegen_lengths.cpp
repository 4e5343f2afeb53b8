#include "sim/workload/servegen_lengths.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>

#include "sim/core/error.hpp"
#include "sim/core/input_file.hpp"
#include "sim/workload/trace_record.hpp"

namespace collabsim::workload {
namespace {

/// Largest dataset file read (the shipped ones are ≤ 0.2 MB).
constexpr std::uintmax_t kMaxDatasetBytes = 64u << 20;

/// A minimal reader for the dataset files' shape: an object of objects of strings.
class Scanner {
 public:
  Scanner(const std::filesystem::path& file, std::string text) : file_(file), s_(std::move(text)) {}
  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    const auto line = static_cast<std::size_t>(std::count(s_.begin(), s_.begin() + static_cast<long>(i_), '\n')) + 1;
    const auto nl = s_.rfind('\n', i_ == 0 ? 0 : i_ - 1);
    const std::size_t col = i_ - (nl == std::string::npos || nl >= i_ ? 0 : nl + 1) + 1;
    throw InputError(SourcePos{file_, line, col}, key, what);
  }
  void ws() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool eat(char c) {
    ws();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  void expect(char c, const std::string& key) {
    if (!eat(c)) fail(key, std::string("expected '") + c + "'");
  }
  std::string str(const std::string& key) {
    ws();
    if (i_ >= s_.size() || s_[i_] != '"') fail(key, "expected a string");
    std::string out;
    for (++i_; i_ < s_.size() && s_[i_] != '"'; ++i_) {
      if (s_[i_] == '\\') {
        if (++i_ >= s_.size()) break;
        out += s_[i_] == 'n' ? '\n' : s_[i_];
      } else {
        out += s_[i_];
      }
    }
    if (i_ >= s_.size()) fail(key, "unterminated string");
    ++i_;
    return out;
  }
  bool at_end() {
    ws();
    return i_ >= s_.size();
  }

 private:
  std::filesystem::path file_;
  std::string s_;
  std::size_t i_ = 0;
};

/// Parses `{tokens: probability, ...}` into a CDF table.
void parse_pmf(std::string_view text, Scanner& sc, const std::string& key, std::vector<std::int64_t>& support,
               std::vector<double>& cdf) {
  std::vector<std::pair<std::int64_t, double>> pmf;
  std::size_t i = 0;
  auto skip = [&] {
    while (i < text.size() && (std::isspace(static_cast<unsigned char>(text[i])) || text[i] == ',')) ++i;
  };
  skip();
  if (i >= text.size() || text[i] != '{') sc.fail(key, "expected a {tokens: probability} dictionary");
  ++i;
  for (;;) {
    skip();
    if (i < text.size() && text[i] == '}') break;
    auto number = [&](auto& v, const char* what) {
      const auto r = std::from_chars(text.data() + i, text.data() + text.size(), v);
      if (r.ec != std::errc())
        sc.fail(key, std::string("'") + quote_excerpt(text.substr(i, 20)) + "' is not " + what);
      i = static_cast<std::size_t>(r.ptr - text.data());
    };
    std::int64_t tokens = 0;
    double p = 0;
    number(tokens, "a token count");
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i >= text.size() || text[i] != ':') sc.fail(key, "expected ':' after a token count");
    ++i;
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    number(p, "a probability");
    if (tokens < 1 || tokens > kMaxRequestTokens)
      sc.fail(key, "token count " + std::to_string(tokens) + " outside [1, " + std::to_string(kMaxRequestTokens) + "]");
    if (!std::isfinite(p) || p < 0) sc.fail(key, "probability " + std::to_string(p) + " is negative or not finite");
    pmf.emplace_back(tokens, p);
    if (i >= text.size()) sc.fail(key, "unterminated dictionary");
  }
  if (pmf.empty()) return;  // "{}": no request in the window
  std::sort(pmf.begin(), pmf.end());
  double sum = 0;
  for (const auto& [t, p] : pmf) sum += p;
  if (std::abs(sum - 1.0) > 1e-6)
    sc.fail(key, "the probabilities add up to " + std::to_string(sum) + ", not 1");
  double c = 0;
  for (const auto& [t, p] : pmf) {
    c += p / sum;
    support.push_back(t);
    cdf.push_back(c);
  }
  cdf.back() = 1.0;
}

std::int64_t invert(const std::vector<std::int64_t>& support, const std::vector<double>& cdf, double u) {
  const auto it = std::upper_bound(cdf.begin(), cdf.end(), u);
  return support[std::min<std::size_t>(static_cast<std::size_t>(it - cdf.begin()), support.size() - 1)];
}

}  // namespace

std::vector<ServegenLengthWindow> read_servegen_lengths(const std::filesystem::path& file) {
  if (!input_exists(file))
    throw InputError(SourcePos{file, 0, 0}, "",
                     "cannot open the ServeGen dataset file (alibaba/ServeGen data/<pool>/chunk-<client>-dataset.json)");
  check_input_file(file, SourcePos{}, "", "the ServeGen dataset file");
  std::error_code ec;
  if (std::filesystem::file_size(file, ec) > kMaxDatasetBytes)
    throw InputError(SourcePos{file, 0, 0}, "", "larger than 64 MiB: not a ServeGen dataset file");
  std::ifstream in(file, std::ios::binary);
  Scanner sc(file, std::string(std::istreambuf_iterator<char>(in), {}));
  std::vector<ServegenLengthWindow> out;
  sc.expect('{', "");
  if (!sc.eat('}')) {
    do {
      const std::string key = sc.str("window");
      ServegenLengthWindow w;
      const auto r = std::from_chars(key.data(), key.data() + key.size(), w.start_s);
      if (r.ec != std::errc() || r.ptr != key.data() + key.size() || !std::isfinite(w.start_s) || w.start_s < 0)
        sc.fail(key, "a window key must be its start in seconds (a non-negative number)");
      sc.expect(':', key);
      sc.expect('{', key);
      bool in_seen = false, out_seen = false;
      if (!sc.eat('}')) {
        do {
          const std::string field = sc.str(key);
          sc.expect(':', key + "." + field);
          const std::string value = sc.str(key + "." + field);
          if (field == "input_tokens") {
            parse_pmf(value, sc, key + ".input_tokens", w.input_tokens, w.input_cdf);
            in_seen = true;
          } else if (field == "output_tokens") {
            parse_pmf(value, sc, key + ".output_tokens", w.output_tokens, w.output_cdf);
            out_seen = true;
          }
        } while (sc.eat(','));
        sc.expect('}', key);
      }
      if (!in_seen || !out_seen) sc.fail(key, std::string("the window has no ") + (in_seen ? "output" : "input") + "_tokens");
      // An empty PMF ("{}") marks a window without requests: it is left out, and requests
      // in its span draw from the window before it.
      if (!w.input_tokens.empty() && !w.output_tokens.empty()) out.push_back(std::move(w));
    } while (sc.eat(','));
    sc.expect('}', "");
  }
  if (!sc.at_end()) sc.fail("", "text after the closing '}'");
  if (out.empty())
    throw InputError(SourcePos{file, 1, 1}, "", "the ServeGen dataset file has no window with both length distributions");
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.start_s < b.start_s; });
  return out;
}

void draw_servegen_lengths(const std::vector<ServegenLengthWindow>& windows, double clock_s, RngStream& rng,
                           std::int64_t& prompt, std::int64_t& output) {
  auto it = std::upper_bound(windows.begin(), windows.end(), clock_s,
                             [](double t, const ServegenLengthWindow& w) { return t < w.start_s; });
  const ServegenLengthWindow& w = it == windows.begin() ? windows.front() : *std::prev(it);
  prompt = invert(w.input_tokens, w.input_cdf, rng.uniform());
  output = invert(w.output_tokens, w.output_cdf, rng.uniform());
}

}  // namespace collabsim::workload
