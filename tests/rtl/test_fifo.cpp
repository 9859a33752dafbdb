// rtl/bg_fifo.sv (Width 8, Depth 4; the -G values of tests/rtl/CMakeLists.txt) against a std::deque:
// count/full/empty are the occupancy register, the head (and the entry behind it) is first-word-fall-through,
// the read/write slots count pops/pushes modulo Depth, and a pop does not
// make room for a push of the same cycle. Pushing a full FIFO or popping an empty one is illegal: the
// request is ignored and the module's assertion fires (checked on purpose in IllegalUseIsIgnoredAndAsserted).
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
  uint64_t pushes = 0, pops = 0, push_pop = 0, to_full = 0, to_empty = 0;

  // One cycle: check the outputs as they are at the start of the cycle, then push/pop (an illegal
  // request is ignored).
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
    if (ref.size() >= 2) {
      ASSERT_EQ(sim->second_o, ref[1]) << "cycle " << c;
    }
    // The pointers: the head's slot advances by one per pop, the write slot by one per push (mod Depth).
    ASSERT_EQ(sim->rptr_o, pops % kDepth) << "cycle " << c;
    ASSERT_EQ(sim->wptr_o, pushes % kDepth) << "cycle " << c;
    const bool full = ref.size() == kDepth, empty = ref.empty();
    const bool do_push = push && !full, do_pop = pop && !empty;
    if (do_push && do_pop) ++push_pop;
    if (do_pop) {
      ref.pop_front();
      ++pops;
    }
    if (do_push) {
      ref.push_back(data & mask64(kWidth));
      ++pushes;
    }
    if (do_push && !do_pop && ref.size() == kDepth) ++to_full;
    if (do_pop && !do_push && ref.empty()) ++to_empty;
    sim.edge();
  }
  // A legal cycle: a push only when not full, a pop only when not empty.
  void legal_step(bool push, bool pop, uint32_t data) { step(push && ref.size() < kDepth, pop && !ref.empty(), data); }
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
  // Fill to full, drain to empty, push+pop with one entry and with Depth-1 entries, refill.
  for (uint32_t i = 0; i < kDepth; ++i) step(true, false, 0x10 + i);
  ASSERT_EQ(ref.size(), kDepth);
  step(false, false, 0xEE);
  step(false, true, 0);  // full -> Depth-1
  step(true, true, 0xCC);
  ASSERT_EQ(ref.size(), kDepth - 1);
  for (unsigned i = 0; i < kDepth - 1; ++i) step(false, true, 0);
  ASSERT_TRUE(ref.empty());
  step(true, false, 0xAB);
  step(true, true, 0xAC);  // one entry: both happen, the head moves to the new word
  ASSERT_EQ(ref.size(), 1u);
  step(false, true, 0);
  step(false, false, 0);
  for (uint32_t i = 0; i < kDepth; ++i) step(true, false, 0x20 + i);
  for (unsigned i = 0; i < kDepth; ++i) step(false, true, 0);
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
      legal_step(bp(rng), bq(rng), static_cast<uint32_t>(rng()));
      if (HasFatalFailure()) return;
    }
  }
  // The corners must have been exercised.
  EXPECT_GT(to_full, 50u);
  EXPECT_GT(to_empty, 50u);
  EXPECT_GT(push_pop, 200u);
  EXPECT_GT(pushes, 1000u);
}

TEST_F(FifoTest, IllegalUseIsIgnoredAndAsserted) {
  sim.expect_assertions(true);
  step(false, false, 0);  // the assertions are live from the second cycle after reset
  for (uint32_t i = 0; i < kDepth; ++i) step(true, false, 0x10 + i);
  EXPECT_TRUE(sim.take_fired().empty());
  step(true, false, 0xEE);  // push into a full FIFO: ignored
  EXPECT_TRUE(fired_with(sim.take_fired(), "bg_fifo: push into a full FIFO"));
  step(true, true, 0xDD);  // full: the pop happens, the push does not (no room until the next cycle)
  EXPECT_TRUE(fired_with(sim.take_fired(), "bg_fifo: push into a full FIFO"));
  ASSERT_EQ(ref.size(), kDepth - 1);
  for (unsigned i = 0; i < kDepth - 1; ++i) step(false, true, 0);
  EXPECT_TRUE(sim.take_fired().empty());
  step(false, true, 0);  // pop of an empty FIFO: ignored
  EXPECT_TRUE(fired_with(sim.take_fired(), "bg_fifo: pop from an empty FIFO"));
  step(true, true, 0xAB);  // empty: the push happens, the pop does not
  EXPECT_TRUE(fired_with(sim.take_fired(), "bg_fifo: pop from an empty FIFO"));
  ASSERT_EQ(ref.size(), 1u);
  step(false, false, 0);
  step(false, true, 0);
  step(false, false, 0);
  EXPECT_TRUE(sim.take_fired().empty());
}

}  // namespace
