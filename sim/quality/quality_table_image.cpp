// QualityTable as a byte image for the parsed-input store (study/input_cache.hpp).
#include "sim/core/binary_image.hpp"
#include "sim/quality/quality_table.hpp"

namespace collabsim::quality {

namespace {
constexpr std::uint64_t kImageMagic = 0x31'6c'62'61'74'71'63'63ULL;  // "cctqabl1" (layout 1)
}  // namespace

std::string QualityTable::image() const {
  ImageWriter w;
  w.value(kImageMagic);
  w.strs(models_);
  w.vec(line_);
  w.vec(query_id_);
  w.vec(question_chars_);
  w.strs(category_);
  w.vec(answer_);
  const auto per_model = [&](const auto& columns) {
    for (const auto& c : columns) w.vec(c);
  };
  per_model(score_);
  per_model(pred_);
  per_model(out_chars_);
  per_model(cost_);
  per_model(out_tokens_);
  return w.bytes();
}

std::optional<QualityTable> QualityTable::from_image(std::string_view bytes, const std::filesystem::path& file) {
  ImageReader r(bytes);
  if (r.value<std::uint64_t>() != kImageMagic || !r.ok()) return std::nullopt;
  QualityTable t;
  t.file_ = file;
  t.models_ = r.strs();
  t.line_ = r.vec<std::size_t>();
  t.query_id_ = r.vec<std::int64_t>();
  t.question_chars_ = r.vec<std::int64_t>();
  t.category_ = r.strs();
  t.answer_ = r.vec<char>();
  const std::size_t k = t.models_.size();
  const auto per_model = [&](auto& columns) {
    using Column = typename std::decay_t<decltype(columns)>::value_type;
    columns.resize(k);
    for (auto& c : columns) c = r.vec<typename Column::value_type>();
  };
  per_model(t.score_);
  per_model(t.pred_);
  per_model(t.out_chars_);
  per_model(t.cost_);
  per_model(t.out_tokens_);
  if (!r.ok() || !r.at_end()) return std::nullopt;
  // Every row-indexed column has one entry per query (optional ones may be empty).
  const std::size_t n = t.query_id_.size();
  const auto rows_ok = [n](const auto& v, bool optional) { return v.size() == n || (optional && v.empty()); };
  if (!rows_ok(t.line_, false) || !rows_ok(t.question_chars_, false) || !rows_ok(t.category_, false) ||
      !rows_ok(t.answer_, true))
    return std::nullopt;
  for (std::size_t m = 0; m < k; ++m)
    if (!rows_ok(t.score_[m], false) || !rows_ok(t.pred_[m], true) || !rows_ok(t.out_chars_[m], true) ||
        !rows_ok(t.cost_[m], true) || !rows_ok(t.out_tokens_[m], true))
      return std::nullopt;
  return t;
}

}  // namespace collabsim::quality
