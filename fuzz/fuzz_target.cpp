// libFuzzer entry point of one harness; COLLABSIM_FUZZ_HARNESS names it (fuzz/CMakeLists.txt
// builds one executable per harness: fuzz_scenario, fuzz_azure, ...).
#include <cstddef>
#include <cstdint>

#include "fuzz/harnesses.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return collabsim::fuzz::COLLABSIM_FUZZ_HARNESS(data, size);
}
