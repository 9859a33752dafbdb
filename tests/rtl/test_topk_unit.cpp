// rtl/engines/hamtopk/bg_topk_unit.sv against bitgrid::TopK: a merge takes two cycles, so after every cycle the list
// equals the TopkMax smallest keys merged up to the cycle before (padded with empty entries), with merges back to
// back, with gaps and with junk on the inputs; shifting the list out yields TopK(k).result() for any k; a clear
// drops the merges in flight.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

#include "Vdut.h"
#include "bitgrid/topk.h"
#include "rtl_test_util.h"

namespace {

using namespace bgtest;
using bitgrid::Neighbor;
using bitgrid::TopK;

constexpr uint64_t kEmpty = ~uint64_t{0};

class TopkUnitTest : public ::testing::Test {
 protected:
  Clocked<Vdut> sim;
  std::mt19937_64 rng{777};
  std::vector<Neighbor> seen;     // every valid candidate whose merge has completed since the last clear
  std::vector<Neighbor> pending;  // the valid candidates presented in the last cycle (in their second merge cycle)

  // Clocks the unit; `now` are the valid candidates presented in this cycle.
  void tick(const std::vector<Neighbor>& now) {
    sim.tick();
    seen.insert(seen.end(), pending.begin(), pending.end());
    pending = now;
  }

  void set_idle_inputs() {
    sim->clear_i = 0;
    sim->shift_i = 0;
    sim->merge_i = 0;
    sim->cand_valid_i = 0;
  }

  void clear() {
    set_idle_inputs();
    sim->clear_i = 1;
    sim.tick();
    seen.clear();
    pending.clear();
    set_idle_inputs();
    check_list("after clear");
  }

  // Merges one cycle's candidates; lanes with valid[c] = false carry `junk` keys that must be ignored.
  void merge(const std::vector<Neighbor>& cand, const std::vector<bool>& valid, bool check = true) {
    ASSERT_EQ(cand.size(), kHamLanes);
    set_idle_inputs();
    sim->merge_i = 1;
    std::vector<Neighbor> now;
    for (unsigned c = 0; c < kHamLanes; ++c) {
      set_bits(sim->cand_valid_i, c, 1, valid[c]);
      set_word(sim->cand_key_i, c, cand[c].key());
      if (valid[c]) now.push_back(cand[c]);
    }
    tick(now);
    set_idle_inputs();
    if (check) check_list("after merge");
  }

  // Cycles with merge_i = 0 but random candidate data: the list must not change.
  void idle_with_junk(int n) {
    for (int i = 0; i < n; ++i) {
      set_idle_inputs();
      set_bits(sim->cand_valid_i, 0, kHamLanes, rng());
      for (unsigned c = 0; c < kHamLanes; ++c) set_word(sim->cand_key_i, c, rng() & 0xFFFF'FFFF'0000'FFFFull);
      tick({});
    }
    set_idle_inputs();
    check_list("after idle cycles");
  }

  std::vector<Neighbor> reference(size_t k) const {
    TopK top(k);
    for (const auto& n : seen) top.push(n);
    return top.result();
  }

  void check_list(const char* what) {
    const auto exp = reference(kTopkMax);
    for (unsigned j = 0; j < kTopkMax; ++j) {
      ASSERT_EQ(get_word(sim->list_o, j), exp[j].key())
          << what << ": slot " << j << " (cycle " << sim.cycle() << ", " << seen.size() << " candidates)";
    }
    ASSERT_EQ(sim->head_o, exp[0].key());
  }

  // Reads the first k slots out through head_o with shift_i, as the hamtopk engine's write-back does: after
  // one idle cycle, which completes the last merge (the unit never shifts while a merge is in flight).
  void shift_out_and_check(size_t k) {
    set_idle_inputs();
    tick({});
    check_list("after the last merge");
    const auto exp = reference(k);
    const auto full = reference(kTopkMax);
    for (size_t i = 0; i < k; ++i) {
      set_idle_inputs();
      sim.settle();
      ASSERT_EQ(sim->head_o, exp[i].key()) << "k=" << k << " entry " << i;
      sim->shift_i = 1;
      sim.tick();
    }
    set_idle_inputs();
    // the rest of the list moved up by k slots, empties filled in from the end
    for (unsigned j = 0; j < kTopkMax; ++j) {
      const uint64_t e = j + k < kTopkMax ? full[j + k].key() : kEmpty;
      ASSERT_EQ(get_word(sim->list_o, j), e) << "after shifting out " << k << ", slot " << j;
    }
  }

  // Fresh unique indices in random order.
  std::vector<uint32_t> unique_indices(size_t n, uint32_t base) {
    std::vector<uint32_t> v(n);
    std::iota(v.begin(), v.end(), base);
    std::shuffle(v.begin(), v.end(), rng);
    return v;
  }

  // Streams `n` candidates in cycles of random lane masks; dists uniform in [0, dmax].
  void random_stream(size_t n, uint32_t dmax, uint32_t index_base, double valid_prob) {
    const auto idx = unique_indices(n, index_base);
    std::bernoulli_distribution vd(valid_prob);
    size_t next = 0;
    while (next < n) {
      std::vector<Neighbor> cand(kHamLanes);
      std::vector<bool> valid(kHamLanes);
      for (unsigned c = 0; c < kHamLanes; ++c) {
        valid[c] = next < n && vd(rng);
        if (valid[c]) {
          cand[c] = {static_cast<uint32_t>(rng() % (dmax + 1)), idx[next++]};
        } else {
          cand[c] = {0, static_cast<uint32_t>(rng() % 4)};  // junk smaller than anything valid
        }
      }
      merge(cand, valid);
    }
  }
};

TEST_F(TopkUnitTest, ResetsToEmpty) { check_list("after reset"); }

TEST_F(TopkUnitTest, RandomStreams) {
  for (int round = 0; round < 40; ++round) {
    clear();
    const size_t n = 1 + rng() % (4 * kTopkMax + 3 * kHamLanes);
    const uint32_t dmax = (round % 3 == 0) ? 4 : (round % 3 == 1) ? 64 : 2048;
    random_stream(n, dmax, static_cast<uint32_t>(rng() % 100000), round % 2 ? 1.0 : 0.6);
    idle_with_junk(2);
    shift_out_and_check(1 + rng() % kTopkMax);
  }
}

TEST_F(TopkUnitTest, AllEqualDistancesLowerIndexWins) {
  for (int round = 0; round < 6; ++round) {
    clear();
    // indices arrive in random order across lanes and cycles; ties on distance resolve by index
    random_stream(3 * kTopkMax + kHamLanes + 1, 0, 1000 * round, 1.0);
    shift_out_and_check(kTopkMax);
  }
  // Strictly descending indices, every lane valid: the last candidates must end up first.
  clear();
  uint32_t idx = 10 * kTopkMax * kHamLanes;
  for (unsigned cyc = 0; cyc < 2 * kTopkMax; ++cyc) {
    std::vector<Neighbor> cand(kHamLanes);
    for (auto& c : cand) c = {5, idx--};
    merge(cand, std::vector<bool>(kHamLanes, true));
  }
  shift_out_and_check(kTopkMax);
}

TEST_F(TopkUnitTest, KEqualsOne) {
  for (int round = 0; round < 10; ++round) {
    clear();
    random_stream(1 + rng() % (3 * kHamLanes), round % 2 ? 3 : 500, round * 100, 0.7);
    shift_out_and_check(1);
  }
}

TEST_F(TopkUnitTest, KEqualsTopkMax) {
  for (int round = 0; round < 10; ++round) {
    clear();
    random_stream(kTopkMax + rng() % (3 * kTopkMax), round % 2 ? 8 : 1000, round * 1000, 0.8);
    shift_out_and_check(kTopkMax);
  }
}

TEST_F(TopkUnitTest, FewerCandidatesThanK) {
  for (size_t n = 0; n < kTopkMax; n += 1 + kTopkMax / 8) {
    clear();
    random_stream(n, 100, 50, 0.5);
    shift_out_and_check(kTopkMax);  // padded with empty entries
  }
}

TEST_F(TopkUnitTest, MaskedLanesNeverEnter) {
  clear();
  // valid candidates have large keys, masked lanes the smallest possible keys
  for (unsigned cyc = 0; cyc < kTopkMax + 4; ++cyc) {
    std::vector<Neighbor> cand(kHamLanes);
    std::vector<bool> valid(kHamLanes);
    for (unsigned c = 0; c < kHamLanes; ++c) {
      valid[c] = c == cyc % kHamLanes;
      cand[c] = valid[c] ? Neighbor{1000 + static_cast<uint32_t>(rng() % 50), 100 + cyc} : Neighbor{0, c};
    }
    merge(cand, valid);
  }
  // all lanes masked: nothing changes
  std::vector<Neighbor> junk(kHamLanes, Neighbor{0, 0});
  merge(junk, std::vector<bool>(kHamLanes, false));
  shift_out_and_check(kTopkMax);
}

TEST_F(TopkUnitTest, SingleLaneLoadsLikeStateReadBack) {
  // The hamtopk engine loads an rbuf state by merging one entry per cycle on lane 0, including empty
  // (all ones) entries, which must leave the list unchanged.
  for (int round = 0; round < 4; ++round) {
    clear();
    const size_t k = 1 + rng() % kTopkMax;
    const size_t filled = rng() % (k + 1);
    std::vector<Neighbor> state;
    for (size_t i = 0; i < filled; ++i) state.push_back({static_cast<uint32_t>(rng() % 40), static_cast<uint32_t>(i)});
    std::sort(state.begin(), state.end());
    state.resize(k);  // empties at the end
    for (const auto& e : state) {
      std::vector<Neighbor> cand(kHamLanes, Neighbor{0, 0});
      std::vector<bool> valid(kHamLanes, false);
      cand[0] = e;
      valid[0] = true;
      merge(cand, valid);
    }
    random_stream(rng() % (2 * kTopkMax), 40, 1u << 20, 0.9);
    shift_out_and_check(k);
  }
}

TEST_F(TopkUnitTest, ClearWinsOverMerge) {
  random_stream(2 * kTopkMax, 20, 0, 1.0);
  // clear together with a merge (and with the previous cycle's merge in its second cycle): the list ends up
  // empty and stays so
  set_idle_inputs();
  sim->clear_i = 1;
  sim->merge_i = 1;
  set_bits(sim->cand_valid_i, 0, kHamLanes, ~uint64_t{0});
  for (unsigned c = 0; c < kHamLanes; ++c) set_word(sim->cand_key_i, c, c);
  sim.tick();
  seen.clear();
  pending.clear();
  set_idle_inputs();
  check_list("after clear+merge");
  idle_with_junk(2);
  // a clear in a merge's second cycle drops it too
  random_stream(kTopkMax + 1, 20, 100, 1.0);
  std::vector<Neighbor> small(kHamLanes, Neighbor{0, 7});
  merge(small, std::vector<bool>(kHamLanes, true));
  clear();
  idle_with_junk(2);
  ASSERT_EQ(get_word(sim->list_o, 0), kEmpty);
}

}  // namespace
