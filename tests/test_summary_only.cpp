// Summary-only runs: `collabsim run --no-requests` writes every dataset but /requests, with
// the same /summary as a full run.

#include <gtest/gtest.h>

#include <H5Cpp.h>

#include <string>

#include "test_support.hpp"

namespace collabsim::testing {
namespace {

TEST(SummaryOnly, NoRequestsFlagLeavesOutOnlyTheRequestsTable) {
  TempDir d;
  const auto scenario = source_dir() / "scenarios" / "edge_cloud_cascade.toml";
  const auto full = d.path / "full.h5", slim = d.path / "slim.h5";
  const std::string common = " --set workload.limit=400 --data-dir " + data_dir().string() + " -q";
  std::string out;
  ASSERT_EQ(run_cli("run " + scenario.string() + " -o " + full.string() + common, out), 0) << out;
  ASSERT_EQ(run_cli("run " + scenario.string() + " -o " + slim.string() + common + " --no-requests", out), 0) << out;
  {
    H5::H5File a(full.string(), H5F_ACC_RDONLY), b(slim.string(), H5F_ACC_RDONLY);
    EXPECT_TRUE(a.nameExists("requests"));
    EXPECT_FALSE(b.nameExists("requests"));
    EXPECT_TRUE(b.nameExists("summary"));
  }
  EXPECT_EQ(read_raw(full, "summary"), read_raw(slim, "summary"));
  EXPECT_EQ(read_column<std::int64_t>(slim, "summary", "n_requests").at(0), 400);
}

}  // namespace
}  // namespace collabsim::testing
