// Replays inputs through a fuzz harness without libFuzzer (the normal build's CTest label
// `fuzz-regression`): `collabsim_fuzz_replay <harness> <file-or-dir>...`. Every file (dirs
// are walked recursively, sorted) goes through the same entry point the fuzzer calls. Exit
// status 0 when every input ends cleanly (parsed, or rejected with an InputError); 1 when
// any input escapes with another exception (a crash under a sanitizer build aborts at once).
#include <algorithm>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <vector>

#include "fuzz/harnesses.hpp"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: collabsim_fuzz_replay <scenario|azure|mooncake|quality|weights|questions|result_file|sweep_spec|golden|resume_part> <file-or-dir>...\n";
    return 2;
  }
  const auto entry = collabsim::fuzz::find(argv[1]);
  if (!entry) {
    std::cerr << "unknown harness '" << argv[1] << "'\n";
    return 2;
  }
  std::vector<fs::path> files;
  for (int i = 2; i < argc; ++i) {
    const fs::path p = argv[i];
    if (fs::is_directory(p)) {
      for (const auto& e : fs::recursive_directory_iterator(p))
        if (e.is_regular_file()) files.push_back(e.path());
    } else if (fs::is_regular_file(p)) {
      files.push_back(p);
    } else {
      std::cerr << p.string() << ": not a file or folder\n";
      return 2;
    }
  }
  std::sort(files.begin(), files.end());
  int failures = 0;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (std::getenv("COLLABSIM_FUZZ_VERBOSE")) std::cerr << f.filename().string() << "\n";
    try {
      entry(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    } catch (const std::exception& e) {
      std::cerr << f.string() << ": escaped exception: " << e.what() << "\n";
      ++failures;
    }
  }
  std::cout << argv[1] << ": " << files.size() << " inputs replayed, " << failures << " failed\n";
  return failures ? 1 : 0;
}
