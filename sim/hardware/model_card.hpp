#pragma once
/// \file model_card.hpp
/// Architecture of a transformer LLM (a model card in models/llms) and what follows from
/// it: weight bytes and KV-cache bytes per token.

#include <span>
#include <cstdint>
#include <string>

namespace collabsim {

struct Field;
class ParamSet;

struct ModelCard {
  std::string id;              ///< card file stem
  std::string title, source;
  double params = 0;           ///< total parameters
  double active_params = 0;    ///< parameters used per token (= params unless MoE)
  int layers = 0, hidden = 0, heads = 0, kv_heads = 0, head_dim = 0;
  double bytes_per_param = 2;  ///< weight storage (2 = BF16, 1 = FP8/INT8, 0.5625 = 4-bit + scales)
  double kv_bytes_per_element = 2;
  std::string quality_column;  ///< default column in a quality table
  /// Context window in tokens (prompt + generated), from the model's card; 0 = unknown,
  /// not checked. A request beyond it gets status context_exceeded (Context::fits).
  std::int64_t context_window = 0;

  /// Weight bytes read per decode step: params × bytes_per_param.
  double weight_bytes() const { return params * bytes_per_param; }
  /// KV-cache bytes per token: 2 (K and V) × layers × kv_heads × head_dim × bytes/element.
  double kv_bytes_per_token() const {
    return 2.0 * layers * kv_heads * head_dim * kv_bytes_per_element;
  }
  /// Name of the first architecture field the roofline needs that the card lacks (params,
  /// layers, heads, kv_heads, head_dim), nullptr when it has them all.
  const char* missing_roofline_field() const {
    return params <= 0 ? "params" : layers <= 0 ? "layers" : heads <= 0 ? "heads"
         : kv_heads <= 0 ? "kv_heads" : head_dim <= 0 ? "head_dim" : nullptr;
  }
};

/// Keys of a model card.
std::span<const Field> model_card_fields();

/// A ModelCard from validated model_card_fields() values; `id` is the card's file stem.
ModelCard model_card_from(const ParamSet& p, const std::string& id);

}  // namespace collabsim
