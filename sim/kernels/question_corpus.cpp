#include "sim/kernels/question_corpus.hpp"

#include <cctype>
#include <charconv>
#include <fstream>

#include "sim/core/error.hpp"
#include "sim/core/input_file.hpp"

namespace collabsim::kernels {
namespace {

struct Parser {
  const std::string& s;
  std::size_t i = 0;
  const std::filesystem::path& file;
  std::size_t line;

  [[noreturn]] void fail(const std::string& key, const std::string& msg) const {
    throw InputError(SourcePos{file, line, i + 1}, key, msg);
  }
  void ws() {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  }
  void expect(char c) {
    ws();
    if (i >= s.size() || s[i] != c) fail("", std::string("malformed JSON: expected '") + c + "'");
    ++i;
  }
  static void utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) out += static_cast<char>(cp);
    else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  unsigned hex4(const std::string& key) {
    if (i + 4 > s.size()) fail(key, "bad \\u escape");
    unsigned v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = s[i++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= c - '0';
      else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
      else fail(key, "bad \\u escape");
    }
    return v;
  }
  std::string string(const std::string& key) {
    expect('"');
    std::string out;
    while (i < s.size() && s[i] != '"') {
      char c = s[i++];
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i >= s.size()) fail(key, "unterminated escape");
      c = s[i++];
      switch (c) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned cp = hex4(key);
          if (cp >= 0xD800 && cp < 0xDC00 && i + 1 < s.size() && s[i] == '\\' && s[i + 1] == 'u') {
            i += 2;
            const unsigned lo = hex4(key);
            if (lo < 0xDC00 || lo > 0xDFFF) fail(key, "bad \\u surrogate pair");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          utf8(out, cp);
          break;
        }
        default: fail(key, "unknown escape");
      }
    }
    if (i >= s.size()) fail(key, "unterminated string");
    ++i;
    return out;
  }
  std::int64_t integer(const std::string& key) {
    ws();
    std::int64_t v = 0;
    const auto r = std::from_chars(s.data() + i, s.data() + s.size(), v);
    if (r.ec != std::errc()) fail(key, "expected an integer");
    i = static_cast<std::size_t>(r.ptr - s.data());
    return v;
  }
  /// Skips a string, an array (nested at most kMaxDepth deep: no unbounded recursion) or
  /// a bare scalar.
  void skip_value(const std::string& key, int depth = 0) {
    static constexpr int kMaxDepth = 64;
    ws();
    if (i < s.size() && s[i] == '"') string(key);
    else if (i < s.size() && s[i] == '[') {
      if (depth >= kMaxDepth) fail(key, "arrays nested more than 64 deep");
      ++i;
      ws();
      while (i < s.size() && s[i] != ']') {
        const std::size_t before = i;
        skip_value(key, depth + 1);
        if (i == before) fail(key, "malformed JSON: unexpected character in an array");
        ws();
        if (i < s.size() && s[i] == ',') ++i;
        ws();
      }
      expect(']');
    } else {
      while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']') ++i;
    }
  }
};

}  // namespace

QuestionCorpus QuestionCorpus::load(const std::filesystem::path& file) {
  if (input_exists(file)) check_input_file(file, SourcePos{}, "", "the question file");
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw InputError(SourcePos{file, 0, 0}, "",
                     "cannot open the MMLU-Pro questions (TIGER-AI-Lab/MMLU-Pro, Apache-2.0); expected under "
                     "<data-dir>/quality/mmlu_pro/mmlu_pro_questions.jsonl");
  QuestionCorpus c;
  std::string line;
  std::size_t lineno = 0;
  while (read_line(in, line, kMaxTableLineBytes, file, lineno + 1)) {
    ++lineno;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    Parser p{line, 0, file, lineno};
    Question q;
    bool have_id = false;
    p.expect('{');
    p.ws();
    bool first = true;
    while (p.i < line.size() && line[p.i] != '}') {
      if (!first) p.expect(',');
      first = false;
      const std::string key = p.string("");
      p.expect(':');
      if (key == "question_id") {
        q.id = p.integer(key);
        have_id = true;
      } else if (key == "category") {
        q.category = p.string(key);
      } else if (key == "question") {
        q.text = p.string(key);
      } else if (key == "options") {
        p.expect('[');
        p.ws();
        while (p.i < line.size() && line[p.i] != ']') {
          if (!q.options.empty()) p.expect(',');
          q.options.push_back(p.string(key));
          p.ws();
        }
        p.expect(']');
      } else {
        p.skip_value(key);
      }
      p.ws();
    }
    p.expect('}');
    p.ws();
    if (p.i < line.size()) p.fail("", "trailing characters after the JSON object (one object per line)");
    if (!have_id) p.fail("question_id", "missing");
    if (c.by_id_.count(q.id))
      p.fail("question_id", "question id " + std::to_string(q.id) + " appears twice");
    c.by_id_[q.id] = c.q_.size();
    c.q_.push_back(std::move(q));
  }
  return c;
}

const Question* QuestionCorpus::find(std::int64_t id) const {
  const auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &q_[it->second];
}

}  // namespace collabsim::kernels
