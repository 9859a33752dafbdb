// rtl/fifo.sv (Width 8, Depth 4; the -G values of tests/rtl/CMakeLists.txt) against a std::deque:
// count/full/empty are the occupancy register, the head is first-word-fall-through, a push into a full
// FIFO and a pop of an empty one are ignored, and a pop does not make room for a push of the same cycle.
#include <gtest/gtest.h>

#include <deque>
#include <random>

#include "Vdut.h"
#include "rtl_test_util.h"

namespace {

using namespace bgtest;

constexpr unsigned kWidth = 8;
constexpr unsigned kDepth = 4;

class FifoTest : public ::testing::Test {
 protected:
  Clocked<Vdut> sim;
  std::deque<uint32_t> ref;
  std::mt19937_64 rng{12345};
  uint64_t pushes = 0, pops = 0, full_push_pop = 0, empty_push_pop = 0, blocked_push = 0, empty_pop = 0;

  // One cycle: check the outputs as they are at the start of the cycle, then push/pop.
  void step(bool push, bool pop, uint32_t data) {
    sim->push_i = push;
    sim->pop_i = pop;
    sim->wdata_i = data & mask64(kWidth);
    sim.settle();
    const uint64_t c = sim.cycle();
    ASSERT_EQ(sim->count_o, ref.size()) << "cycle " << c;
    ASSERT_EQ(sim->full_o, ref.size() == kDepth) << "cycle " << c;
    ASSERT_EQ(sim->empty_o, ref.empty()) << "cycle " << c;
    if (!ref.empty()) {
      ASSERT_EQ(sim->head_o, ref.front()) << "cycle " << c;
    }
    const bool full = ref.size() == kDepth, empty = ref.empty();
    if (push && pop && full) ++full_push_pop;
    if (push && pop && empty) ++empty_push_pop;
    if (push && full) ++blocked_push;
    if (pop && empty) ++empty_pop;
    const bool do_push = push && !full, do_pop = pop && !empty;
    if (do_pop) {
      ref.pop_front();
      ++pops;
    }
    if (do_push) {
      ref.push_back(data & mask64(kWidth));
      ++pushes;
    }
    sim.edge();
  }
};

TEST_F(FifoTest, ResetIsEmpty) {
  sim->push_i = 0;
  sim->pop_i = 0;
  sim.settle();
  EXPECT_EQ(sim->count_o, 0u);
  EXPECT_EQ(sim->empty_o, 1u);
  EXPECT_EQ(sim->full_o, 0u);
}

TEST_F(FifoTest, FillDrainCorners) {
  // Fill to full, push+pop while full (push ignored), drain, push+pop while empty (pop ignored).
  for (uint32_t i = 0; i < kDepth; ++i) step(true, false, 0x10 + i);
  step(true, false, 0xEE);  // ignored
  step(true, true, 0xDD);   // pop happens, push ignored
  ASSERT_EQ(ref.size(), kDepth - 1);
  step(true, true, 0xCC);  // not full: both happen
  ASSERT_EQ(ref.size(), kDepth - 1);
  for (unsigned i = 0; i < kDepth + 2; ++i) step(false, true, 0);
  step(true, true, 0xAB);  // empty: push happens, pop ignored
  ASSERT_EQ(ref.size(), 1u);
  step(false, false, 0);
  step(false, true, 0);
  step(false, false, 0);
}

TEST_F(FifoTest, RandomPushPop) {
  // Phases biased towards filling, draining and balanced traffic, so full and empty are both frequent.
  const double probs[][2] = {{0.9, 0.2}, {0.2, 0.9}, {0.5, 0.5}, {0.95, 0.95}, {0.7, 0.6}};
  for (int phase = 0; phase < 200; ++phase) {
    const auto& p = probs[rng() % 5];
    std::bernoulli_distribution bp(p[0]), bq(p[1]);
    const int len = 5 + static_cast<int>(rng() % 30);
    for (int i = 0; i < len; ++i) {
      step(bp(rng), bq(rng), static_cast<uint32_t>(rng()));
      if (HasFatalFailure()) return;
    }
  }
  // The corners must have been exercised.
  EXPECT_GT(full_push_pop, 10u);
  EXPECT_GT(empty_push_pop, 10u);
  EXPECT_GT(blocked_push, 10u);
  EXPECT_GT(empty_pop, 10u);
  EXPECT_GT(pushes, 1000u);
}

}  // namespace
