// rtl/engines/hamtopk/bg_hamming_unit.sv against bitgrid::hamming: groups of HamLanes codes streamed S = ceil(cw/M)
// steps each, back to back and with gaps; corner cases all zeros / all ones / cw not a multiple of M. A group's
// distances are due exactly in the cycle after its last step (popcounts registered, then shown as they are
// accumulated).
#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <vector>

#include "Vdut.h"
#include "bitgrid/hamming.h"
#include "rtl_test_util.h"

namespace {

using namespace bgtest;

struct Group {
  unsigned cw = 0;                           // code words
  std::vector<uint64_t> query;               // cw words
  std::vector<std::vector<uint64_t>> codes;  // kHamLanes codes of cw words
};

class HammingUnitTest : public ::testing::Test {
 protected:
  Clocked<Vdut> sim;
  std::mt19937_64 rng{12345};
  std::deque<std::vector<uint32_t>> expected;  // distances of the groups still in flight
  std::deque<uint64_t> due;                    // ... and the cycle each must be shown in
  unsigned groups_seen = 0;

  // Drives random junk with valid_i = 0 (the unit must ignore it).
  void idle_cycle() {
    sim->valid_i = 0;
    sim->first_i = rng() & 1;
    sim->last_i = rng() & 1;
    for (unsigned j = 0; j < kM; ++j) set_word(sim->q_i, j, rng());
    for (unsigned w = 0; w < kHamLanes * kM; ++w) set_word(sim->d_i, w, rng());
    tick_and_check();
  }

  void tick_and_check() {
    sim.tick();
    if (sim->valid_o) {
      ASSERT_FALSE(expected.empty()) << "valid_o without a completed group, cycle " << sim.cycle();
      ASSERT_EQ(sim.cycle(), due.front()) << "valid_o of group " << groups_seen;
      const auto exp = expected.front();
      expected.pop_front();
      due.pop_front();
      for (unsigned l = 0; l < kHamLanes; ++l) {
        EXPECT_EQ(get_bits(sim->dist_o, l * kDistW, kDistW), exp[l])
            << "group " << groups_seen << " lane " << l << " cycle " << sim.cycle();
      }
      ++groups_seen;
    }
  }

  // Streams one group; gap_prob: chance of an idle cycle before each step.
  void stream(const Group& g, double gap_prob) {
    std::vector<uint32_t> exp(kHamLanes);
    for (unsigned l = 0; l < kHamLanes; ++l) exp[l] = bitgrid::hamming(g.query.data(), g.codes[l].data(), g.cw);
    expected.push_back(exp);
    const unsigned steps = ceil_div(g.cw, kM);
    std::bernoulli_distribution gap(gap_prob);
    for (unsigned s = 0; s < steps; ++s) {
      while (gap(rng)) idle_cycle();
      sim->valid_i = 1;
      sim->first_i = s == 0;
      sim->last_i = s == steps - 1;
      for (unsigned j = 0; j < kM; ++j) {
        const unsigned w = s * kM + j;  // zero padding past cw, as the layout guarantees
        set_word(sim->q_i, j, w < g.cw ? g.query[w] : 0);
        for (unsigned l = 0; l < kHamLanes; ++l) set_word(sim->d_i, l * kM + j, w < g.cw ? g.codes[l][w] : 0);
      }
      if (s == steps - 1) due.push_back(sim.cycle() + 1);
      tick_and_check();
    }
  }

  void finish() {
    for (int i = 0; i < 3; ++i) idle_cycle();
    EXPECT_TRUE(expected.empty()) << expected.size() << " groups never reported";
  }

  Group random_group(unsigned cw) {
    Group g;
    g.cw = cw;
    g.query.resize(cw);
    for (auto& w : g.query) w = rng();
    g.codes.assign(kHamLanes, std::vector<uint64_t>(cw));
    for (auto& c : g.codes) {
      for (unsigned w = 0; w < cw; ++w) {
        // mix of independent words and near copies of the query (small distances)
        c[w] = (rng() % 3 == 0) ? g.query[w] ^ (uint64_t{1} << (rng() % 64)) : rng();
      }
    }
    return g;
  }

  Group const_group(unsigned cw, uint64_t qword, uint64_t dword) {
    Group g;
    g.cw = cw;
    g.query.assign(cw, qword);
    g.codes.assign(kHamLanes, std::vector<uint64_t>(cw, dword));
    return g;
  }
};

TEST_F(HammingUnitTest, RandomCodesEveryLength) {
  for (unsigned cw = 1; cw <= kMaxCodeWords; ++cw) {
    for (int i = 0; i < 6; ++i) stream(random_group(cw), 0.0);  // back to back
    for (int i = 0; i < 6; ++i) stream(random_group(cw), 0.3);  // with gaps
  }
  finish();
  EXPECT_EQ(groups_seen, kMaxCodeWords * 12);
}

TEST_F(HammingUnitTest, MixedLengthsBackToBack) {
  for (int i = 0; i < 200; ++i) stream(random_group(1 + static_cast<unsigned>(rng() % kMaxCodeWords)), 0.1);
  finish();
  EXPECT_EQ(groups_seen, 200u);
}

TEST_F(HammingUnitTest, AllZerosAndAllOnes) {
  const uint64_t ones = ~uint64_t{0};
  for (unsigned cw : {1u, kMaxCodeWords}) {
    stream(const_group(cw, 0, 0), 0.0);        // 0
    stream(const_group(cw, ones, ones), 0.0);  // 0
    stream(const_group(cw, 0, ones), 0.0);     // 64*cw, the largest distance
    stream(const_group(cw, ones, 0), 0.0);     // 64*cw
  }
  finish();
  EXPECT_EQ(groups_seen, 8u);
}

TEST_F(HammingUnitTest, MaximumDistanceValue) {
  // Explicit value check (not just agreement with the model): all bits differ over the longest code.
  const Group g = const_group(kMaxCodeWords, 0, ~uint64_t{0});
  ASSERT_EQ(bitgrid::hamming(g.query.data(), g.codes[0].data(), g.cw), kMaxCodeBits);
  stream(g, 0.0);
  finish();
}

TEST_F(HammingUnitTest, CodeWordsNotMultipleOfM) {
  // With M > 1 the last step of every group is partly zero padding.
  for (unsigned cw = 1; cw <= kMaxCodeWords; ++cw) {
    if (cw % kM == 0 && kM > 1) continue;
    for (int i = 0; i < 4; ++i) stream(random_group(cw), 0.2);
    stream(const_group(cw, 0, ~uint64_t{0}), 0.0);
  }
  finish();
}

TEST_F(HammingUnitTest, HoldsAccumulatorAcrossGaps) {
  // Long gaps inside a group must not disturb the accumulation.
  for (int i = 0; i < 20; ++i) stream(random_group(kMaxCodeWords), 0.8);
  finish();
  EXPECT_EQ(groups_seen, 20u);
}

}  // namespace
