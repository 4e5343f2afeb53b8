#include "sim/hardware/model_card.hpp"

#include "sim/config/params.hpp"

namespace collabsim {

std::span<const Field> model_card_fields() {
  static const std::vector<Field> f = {
      Field::text("title", std::nullopt, "model name"),
      Field::text("source", std::nullopt, "paper or model card the architecture comes from"),
      Field::real("params", 0.0, "parameters", "total parameters (0 = unknown, API-only model)", 0.0, 1e15),
      Field::real("active_params", 0.0, "parameters", "parameters active per token (MoE; 0 = params)", 0.0, 1e15),
      Field::integer("layers", 0, "1", "transformer layers (0 = unknown)", 0, 1e4),
      Field::integer("hidden", 0, "1", "hidden size (0 = unknown)", 0, 1e6),
      Field::integer("heads", 0, "1", "attention heads (0 = unknown)", 0, 1e4),
      Field::integer("kv_heads", 0, "1", "key/value heads (GQA) (0 = unknown)", 0, 1e4),
      Field::integer("head_dim", 0, "1", "dimension per head (0 = unknown)", 0, 1e5),
      Field::real("bytes_per_param", 2.0, "bytes", "bytes per stored weight", 0.01, 8),
      Field::real("kv_bytes_per_element", 2.0, "bytes", "bytes per KV-cache element", 0.01, 8),
      Field::text("quality_column", "", "default column in quality tables"),
      Field::integer("context_window", 0, "tokens",
                     "context window: prompt + output tokens the model can hold (0 = unknown, not checked)", 0,
                     1e9),
  };
  return f;
}

ModelCard model_card_from(const ParamSet& c, const std::string& id) {
  ModelCard m;
  m.id = id;
  m.title = c.text("title");
  m.source = c.text("source");
  m.params = c.number("params");
  m.active_params = c.number("active_params") > 0 ? c.number("active_params") : m.params;
  m.layers = static_cast<int>(c.integer("layers"));
  m.hidden = static_cast<int>(c.integer("hidden"));
  m.heads = static_cast<int>(c.integer("heads"));
  m.kv_heads = static_cast<int>(c.integer("kv_heads"));
  m.head_dim = static_cast<int>(c.integer("head_dim"));
  m.bytes_per_param = c.number("bytes_per_param");
  m.kv_bytes_per_element = c.number("kv_bytes_per_element");
  m.quality_column = c.text("quality_column");
  m.context_window = c.integer("context_window");
  return m;
}

}  // namespace collabsim
