#include "sim/mechanisms/two_model.hpp"

namespace collabsim {

std::vector<Field> two_model_fields() {
  return {Field::text("small", "slm", "deployment of the small model (SLM)"),
          Field::text("large", "llm", "deployment of the large model (LLM)")};
}

}  // namespace collabsim
