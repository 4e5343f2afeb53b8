#pragma once
/// \file question_corpus.hpp
/// MMLU-Pro questions (shared/data/quality/mmlu_pro/mmlu_pro_questions.jsonl; TIGER-AI-Lab/
/// MMLU-Pro, Apache-2.0): one JSON object per line with question_id, category, src,
/// question, options[], answer. A small strict reader (JSON strings with escapes, arrays
/// of strings, integers), enough for these flat records.

#include <cstdint>
#include <filesystem>
#include <string>
#include <unordered_map>
#include <vector>

namespace collabsim::kernels {

struct Question {
  std::int64_t id = 0;
  std::string category;
  std::string text;                  ///< question
  std::vector<std::string> options;  ///< answer options
};

class QuestionCorpus {
 public:
  /// Throws InputError (file, line, column, key) for a missing file (or one that is not a
  /// regular file of at most 4 GiB), a malformed line, characters after a line's object, a
  /// line over 16 MiB, arrays nested over 64 deep, or a question id that appears twice.
  static QuestionCorpus load(const std::filesystem::path& file);
  const std::vector<Question>& questions() const { return q_; }
  /// Question by id; nullptr when absent.
  const Question* find(std::int64_t id) const;

 private:
  std::vector<Question> q_;
  std::unordered_map<std::int64_t, std::size_t> by_id_;
};

}  // namespace collabsim::kernels
