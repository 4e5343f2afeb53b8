// Measured latency profiles: bilinear interpolation, extrapolation, bad rows.
#include <gtest/gtest.h>

#include "sim/hardware/latency_model.hpp"
#include "sim/hardware/profile_table.hpp"
#include "test_support.hpp"

using namespace collabsim;
using namespace collabsim::testing;

TEST(ProfileTable, InterpolatesInTokensAndBatch) {
  TempDir d;
  write_file(d.path / "p.csv",
             "phase,batch,tokens,ms\n"
             "prefill,1,100,10\nprefill,1,1000,100\n"
             "decode,1,0,20\ndecode,1,1000,30\n"
             "decode,8,0,40\ndecode,8,1000,60\n");
  ProfileTable p(d.path / "p.csv");
  EXPECT_NEAR(p.prefill(1, 550), 0.055, 1e-12);
  EXPECT_NEAR(p.prefill(1, 2000), 0.2, 1e-12);       // linear extrapolation
  EXPECT_NEAR(p.decode_step(1, 500), 0.025, 1e-12);
  EXPECT_NEAR(p.decode_step(8, 500), 0.050, 1e-12);
  EXPECT_NEAR(p.decode_step(4.5, 500), 0.0375, 1e-12);  // halfway in batch
  EXPECT_NEAR(p.decode_step(64, 0), 0.040, 1e-12);    // clamped in batch
  // Decode of 101 tokens after a 450-token prompt: 101 × step at context 500.
  ModelCard m;
  DeviceSpec dev;
  LatencyModel lat(m, dev, std::make_shared<ProfileTable>(d.path / "p.csv"));
  EXPECT_NEAR(lat.decode(450, 101), 101 * 0.025, 1e-12);
  IterationLoad load;
  load.decode_seqs = 8;
  load.decode_context = 8 * 500;
  load.prefill_seqs = 1;
  load.prefill_tokens = 100;
  EXPECT_NEAR(lat.iteration(load), 0.050 + 0.010, 1e-12);
}

TEST(ProfileTable, BadRowsNameFileLineAndColumn) {
  TempDir d;
  write_file(d.path / "p.csv", "phase,batch,tokens,ms\nprefill,1,100,10\ndecod,1,0,20\n");
  try {
    ProfileTable p(d.path / "p.csv");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("p.csv:3:1: key 'phase'"), std::string::npos) << e.what();
  }
  write_file(d.path / "q.csv", "phase,batch,tokens,ms\nprefill,1,100,x\ndecode,1,0,20\n");
  try {
    ProfileTable p(d.path / "q.csv");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("q.csv:2:15: key 'ms'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ProfileTable(d.path / "missing.csv"), InputError);
}
