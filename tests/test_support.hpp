#pragma once
// Helpers shared by the tests: locating the repo and data, reading result files, running the CLI.

#include <H5Cpp.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "sim/mechanisms/registry.hpp"
#include "sim/study/run_scenario.hpp"
#include "sim/scenario/scenario.hpp"

namespace collabsim::testing {

/// The source tree and the built CLI, from build/generated/test_paths.cpp (written by CMake).
const char* source_dir_path();
const char* collabsim_binary_path();

inline std::filesystem::path source_dir() { return source_dir_path(); }

inline std::filesystem::path data_dir() {
  if (const char* env = std::getenv("COLLABSIM_DATA"); env && *env) return env;
  return source_dir() / ".." / "shared" / "data";
}

/// True when the environment sets COLLABSIM_REQUIRE_DATA=1 (test.sh does when ../shared/data
/// exists): a test that needs the shared data then fails instead of skipping, so a run
/// cannot pass on skips.
inline bool data_required() {
  const char* env = std::getenv("COLLABSIM_REQUIRE_DATA");
  return env && std::string(env) == "1";
}

/// Use at the top of a test (or SetUpTestSuite) that needs shared-data file or folder
/// `needed`: when it is absent the test is skipped, or fails under COLLABSIM_REQUIRE_DATA=1.
#define COLLABSIM_NEED_DATA(needed)                                                                     \
  do {                                                                                                  \
    const std::filesystem::path collabsim_needed_ = (needed);                                           \
    if (!std::filesystem::exists(collabsim_needed_)) {                                                  \
      if (::collabsim::testing::data_required())                                                        \
        FAIL() << "COLLABSIM_REQUIRE_DATA=1 but the shared data is missing: " << collabsim_needed_;     \
      GTEST_SKIP() << "no shared data at " << collabsim_needed_;                                        \
    }                                                                                                   \
  } while (0)

/// A fresh empty folder under the system temp dir, removed at scope exit.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("collabsim_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter()++));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  static int& counter() {
    static int c = 0;
    return c;
  }
};

inline void write_file(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

/// Reads one field of a 1-D compound dataset as T (HDF5 converts the member type).
template <class T>
std::vector<T> read_column(const std::filesystem::path& file, const std::string& dataset,
                           const std::string& field) {
  H5::H5File f(file.string(), H5F_ACC_RDONLY);
  H5::DataSet ds = f.openDataSet(dataset);
  hsize_t n = 0;
  ds.getSpace().getSimpleExtentDims(&n);
  H5::CompType t(sizeof(T));
  if constexpr (std::is_same_v<T, double>)
    t.insertMember(field, 0, H5::PredType::NATIVE_DOUBLE);
  else
    t.insertMember(field, 0, H5::PredType::NATIVE_INT64);
  std::vector<T> out(n);
  if (n) ds.read(out.data(), t);
  return out;
}

/// Raw bytes of a dataset in its file type (for bit-identity checks).
inline std::vector<unsigned char> read_raw(const std::filesystem::path& file, const std::string& dataset) {
  H5::H5File f(file.string(), H5F_ACC_RDONLY);
  H5::DataSet ds = f.openDataSet(dataset);
  H5::DataType t = ds.getDataType();
  hsize_t n = 0;
  ds.getSpace().getSimpleExtentDims(&n);
  std::vector<unsigned char> out(n * t.getSize());
  if (n) ds.read(out.data(), t);
  return out;
}

/// Runs the collabsim binary with `args`; returns exit status, fills `output` (stdout+stderr).
inline int run_cli(const std::string& args, std::string& output) {
  const std::filesystem::path log = std::filesystem::temp_directory_path() /
                                    ("collabsim_cli_" + std::to_string(::getpid()) + ".log");
  const std::string cmd = std::string(collabsim_binary_path()) + " " + args + " > " + log.string() + " 2>&1";
  const int rc = std::system(cmd.c_str());
  output = read_file(log);
  std::filesystem::remove(log);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/// Summary and file of one run.
struct RunOutput {
  Summary s;
  std::filesystem::path file;
};

/// Runs `scenario` with `sets` overrides against the shared data, writing `<dir>/<name>.h5`.
inline RunOutput run_scenario_file(const TempDir& dir, const std::filesystem::path& scenario, const std::string& name,
                                   std::vector<std::string> sets) {
  LoadOptions opt;
  opt.overrides = std::move(sets);
  opt.data_dir = data_dir();
  opt.output = dir.path / (name + ".h5");
  const Scenario sc = load_scenario(scenario, opt);
  return {run_scenario(sc).summary, *opt.output};
}

}  // namespace collabsim::testing
