#include "sim/io/recorder.hpp"

#include <stdexcept>

namespace collabsim {

Recorder::Recorder(std::vector<MeasurementSource> sources, SimTime interval)
    : sources_(std::move(sources)), interval_(interval) {
  cols_.resize(sources_.size());
  last_.resize(sources_.size());
  for (std::size_t s = 0; s < sources_.size(); ++s) {
    const MeasurementSource& src = sources_[s];
    if (!src.series.empty() && !src.sample)
      throw std::logic_error("Recorder: source " + src.path + " declares a timeline but no sample function");
    cols_[s].resize(src.series.size());
    last_[s].assign(src.series.size(), 0.0);
  }
}

void Recorder::take(SimTime now) {
  t_.push_back(to_seconds(now));
  for (std::size_t s = 0; s < sources_.size(); ++s) {
    const MeasurementSource& src = sources_[s];
    if (src.series.empty()) continue;
    scratch_.assign(src.series.size(), 0.0);
    src.sample(now, scratch_);
    for (std::size_t c = 0; c < src.series.size(); ++c) {
      if (src.series[c].aggregate == Aggregate::increment) {
        cols_[s][c].push_back(scratch_[c] - last_[s][c]);
        last_[s][c] = scratch_[c];
      } else {
        cols_[s][c].push_back(scratch_[c]);
      }
    }
  }
}

void Recorder::decimate() {
  auto keep_even = [](std::vector<double>& v) {
    std::size_t j = 0;
    for (std::size_t i = 0; i < v.size(); i += 2) v[j++] = v[i];
    v.resize(j);
  };
  auto sum_pairs = [](std::vector<double>& v) {  // kept sample i covers (t[i-2], t[i]]: add sample i-1
    std::size_t j = 0;
    for (std::size_t i = 0; i < v.size(); i += 2) v[j++] = v[i] + (i > 0 ? v[i - 1] : 0.0);
    v.resize(j);
  };
  keep_even(t_);
  for (std::size_t s = 0; s < sources_.size(); ++s)
    for (std::size_t c = 0; c < cols_[s].size(); ++c) {
      if (sources_[s].series[c].aggregate == Aggregate::increment)
        sum_pairs(cols_[s][c]);
      else
        keep_even(cols_[s][c]);
    }
  interval_ *= 2;
}

Task<void> Recorder::run(Engine& engine, std::function<bool()> done) {
  for (;;) {
    take(engine.now());
    if (done()) co_return;
    if (t_.size() >= kMaxSamples) decimate();
    co_await engine.delay(interval_);
  }
}

void Recorder::write(ResultFile& out, double horizon_s) const {
  for (std::size_t s = 0; s < sources_.size(); ++s) {
    const MeasurementSource& src = sources_[s];
    if (src.summary) {
      MetricRow row;
      for (const NamedValue& v : src.summary(horizon_s)) row.push_back({v.name, {v.unit, v.value}});
      if (!row.empty()) out.write_row(src.row_at == RowAt::path ? src.path : src.path + "/summary", row);
    }
    if (src.table)
      if (std::vector<TableColumn> cols = src.table(); !cols.empty()) out.write_columns(src.path, cols);
    if (src.series.empty() || t_.empty()) continue;
    std::vector<std::pair<std::string, std::string>> fields{{"time_s", "s"}};
    std::vector<std::vector<double>> columns{t_};
    for (std::size_t c = 0; c < src.series.size(); ++c) {
      fields.emplace_back(src.series[c].name, src.series[c].unit);
      columns.push_back(cols_[s][c]);
    }
    out.write_table(src.path + "/timeline", fields, columns);
  }
  if (interval_ > 0) out.set_attribute("timeline_interval_ns", static_cast<std::int64_t>(interval_));
}

}  // namespace collabsim
