// rtl/bg_assert_en.sv: the enable of the modules' SVA assertions is 0 under reset and in the first cycle
// after reset is released (cycle 0), 1 from the first clock edge after release on, and drops at once when
// reset is asserted again (asynchronous reset).
#include <gtest/gtest.h>

#include "Vdut.h"
#include "rtl_test_util.h"

namespace {

using namespace bgtest;

TEST(AssertEnTest, OffUntilTheFirstEdgeAfterResetThenOn) {
  Clocked<Vdut> sim;
  sim.settle();
  EXPECT_EQ(sim->en_o, 0) << "cycle 0 (reset just released; a clock edge under reset does not enable)";
  for (int c = 1; c <= 5; ++c) {
    sim.tick();
    sim.settle();
    EXPECT_EQ(sim->en_o, 1) << "cycle " << c;
  }
  sim->rst_ni = 0;  // asynchronous: off without a clock edge
  sim.settle();
  EXPECT_EQ(sim->en_o, 0);
  sim.tick();  // an edge under reset keeps it off
  sim.settle();
  EXPECT_EQ(sim->en_o, 0);
  sim->rst_ni = 1;
  sim.settle();
  EXPECT_EQ(sim->en_o, 0);
  sim.tick();
  sim.settle();
  EXPECT_EQ(sim->en_o, 1);
}

}  // namespace
