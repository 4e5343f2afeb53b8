// The test suite's own rule for the shared data: a test that needs it skips when it is
// absent, and fails instead when COLLABSIM_REQUIRE_DATA=1 (test.sh sets it when
// ../shared/data exists), so a run without the data cannot pass on skips.
#include <gtest/gtest.h>

#include <unistd.h>

#include "test_support.hpp"

using namespace collabsim::testing;
namespace fs = std::filesystem;

namespace {

/// Runs one test of this binary (`filter`) with `env` prepended; returns the exit status
/// and fills `output`.
int run_self(const std::string& env, const std::string& filter, std::string& output) {
  char self[4096] = {};
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  EXPECT_GT(n, 0);
  TempDir dir;
  const fs::path log = dir.path / "out.log";
  const std::string cmd =
      env + " '" + std::string(self) + "' --gtest_filter=" + filter + " > '" + log.string() + "' 2>&1";
  const int rc = std::system(cmd.c_str());
  output = read_file(log);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

}  // namespace

TEST(TestSupport, MissingSharedDataSkipsOrFailsWhenRequired) {
  // A test that reads the MMLU-Pro matrix, pointed at a folder that does not exist.
  const std::string test = "Irt.FitReproducesAccuracyAndAgreementOnTheMmluProMatrix";
  const std::string nowhere = "COLLABSIM_DATA=/nonexistent/collabsim-data";
  std::string out;
  EXPECT_EQ(run_self("env -u COLLABSIM_REQUIRE_DATA " + nowhere, test, out), 0) << out;
  EXPECT_NE(out.find("[  SKIPPED ]"), std::string::npos) << out;
  EXPECT_NE(out.find("no shared data at"), std::string::npos) << out;
  EXPECT_NE(run_self("env COLLABSIM_REQUIRE_DATA=1 " + nowhere, test, out), 0) << out;
  EXPECT_NE(out.find("COLLABSIM_REQUIRE_DATA=1 but the shared data is missing"), std::string::npos) << out;
  EXPECT_NE(out.find("[  FAILED  ]"), std::string::npos) << out;
  EXPECT_EQ(out.find("[  SKIPPED ]"), std::string::npos) << out;
}
