#include "sim/io/record.hpp"

#include <cstring>
#include <stdexcept>

namespace collabsim {

Route Route::at(std::size_t i) {
  if (i > 127) throw std::out_of_range("route index " + std::to_string(i) + " does not fit the int8 route column");
  return Route{static_cast<std::int8_t>(i)};
}
namespace {
std::size_t type_size(Column::Type t) {
  switch (t) {
    case Column::Type::F64:
    case Column::Type::I64:
    case Column::Type::U64: return 8;
    default: return 1;
  }
}
template <class T>
void put(unsigned char* base, std::size_t off, T v) {
  std::memcpy(base + off, &v, sizeof(T));
}
}  // namespace

RecordLayout::RecordLayout(const std::vector<std::string>& deps, const std::vector<std::string>& devs,
                           bool attributes, bool prefix_column)
    : n_deployments_(deps.size()), n_devices_(devs.size()), attributes_(attributes), prefix_column_(prefix_column) {
  auto add = [&](std::string name, std::string unit, Column::Type t) {
    columns_.push_back(Column{std::move(name), std::move(unit), t, size_});
    size_ += type_size(t);
  };
  using T = Column::Type;
  add("request_id", "1", T::U64);
  add("query_id", "1", T::I64);
  add("arrival_s", "s", T::F64);
  add("ttft_s", "s", T::F64);
  add("latency_s", "s", T::F64);
  add("tpot_s", "s", T::F64);
  add("prompt_tokens", "tokens", T::I64);
  add("output_tokens", "tokens", T::I64);
  add("bytes_up", "bytes", T::I64);
  add("bytes_down", "bytes", T::I64);
  add("cost_usd", "USD", T::F64);
  add("energy_j", "J", T::F64);
  add("energy_radio_j", "J", T::F64);
  add("quality", "1", T::F64);
  add("private_tokens_sent", "tokens", T::I64);
  if (prefix_column_) add("prefix_hit_tokens", "tokens", T::I64);
  for (const auto& d : deps) add("tokens_" + d, "tokens", T::I64);
  for (const auto& d : devs) add("energy_" + d + "_j", "J", T::F64);
  add("route", "model index in mechanism order (0=small)", T::I8);
  add("escalated", "bool", T::U8);
  add("status", "0=ok,1=failed,2=timed_out,3=context_exceeded,4=out_of_memory,5=battery_low", T::I8);
  if (attributes_) {
    add("user_id", "1", T::I64);
    add("private_share", "1", T::F64);
    add("slo_ttft_s", "s", T::F64);
    add("slo_tpot_s", "s", T::F64);
    add("battery_soc", "1", T::F64);
  }
}

void RecordLayout::encode(const RequestRecord& r, unsigned char* out) const {
  if (r.tokens.size() != n_deployments_ || r.device_energy.size() != n_devices_)
    throw std::logic_error("RequestRecord does not match the layout");
  std::memset(out, 0, size_);
  std::size_t i = 0;
  auto off = [&]() { return columns_[i++].offset; };
  put(out, off(), r.request_id);
  put(out, off(), r.query_id);
  put(out, off(), r.arrival_s);
  put(out, off(), r.ttft_s);
  put(out, off(), r.latency_s);
  put(out, off(), r.tpot_s);
  put(out, off(), r.prompt_tokens);
  put(out, off(), r.output_tokens);
  put(out, off(), r.bytes_up);
  put(out, off(), r.bytes_down);
  put(out, off(), r.cost_usd);
  put(out, off(), r.energy_j);
  put(out, off(), r.energy_radio_j);
  put(out, off(), r.quality);
  put(out, off(), r.private_tokens_sent);
  if (prefix_column_) put(out, off(), r.prefix_hit_tokens);
  for (auto t : r.tokens) put(out, off(), t);
  for (auto e : r.device_energy) put(out, off(), e);
  put(out, off(), r.route.index);
  put(out, off(), static_cast<std::uint8_t>(r.escalated));
  put(out, off(), static_cast<std::int8_t>(r.status));
  if (attributes_) {
    put(out, off(), r.user_id);
    put(out, off(), r.private_share);
    put(out, off(), r.slo_ttft_s);
    put(out, off(), r.slo_tpot_s);
    put(out, off(), r.battery_soc);
  }
}

}  // namespace collabsim
