// Functional correctness of hamtopk programs on the SystemC model: kNN jobs built with the make_*
// builders and laid out per docs/ARCHITECTURE.md §2, results compared with bitgrid::knn_hamming and
// the whole final DRAM image with the reference executor (bitgrid::execute).
#include <gtest/gtest.h>

#include <cstring>

#include "bitgrid/executor.h"
#include "bitgrid/topk.h"
#include "scsim_util.h"
#include "systemc_top.h"

namespace bitgrid::scsim_test {
namespace {

struct KnnCase {
  long lanes, bits, bw;
  size_t n, nq, words, k, tile;
  int density;
};

void check_knn(const KnnCase& c, uint64_t seed) {
  SCOPED_TRACE(testing::Message() << "lanes " << c.lanes << " bits " << c.bits << " bw " << c.bw << " n " << c.n
                                  << " nq " << c.nq << " words " << c.words << " k " << c.k << " tile " << c.tile
                                  << " seed " << seed);
  HwConfig hw = small_hw();
  hw.ham_lanes = c.lanes;
  hw.ham_bits_per_lane = c.bits;
  hw.dram_bytes_per_cycle = c.bw;
  hw.dram_burst_bytes = std::max<long>(c.bw, 128);
  hw.max_code_bits = 1024;
  std::mt19937_64 rng(seed);
  const CodeSet db = random_codes(rng, c.n, c.words, c.density);
  const CodeSet qs = random_codes(rng, c.nq, c.words, c.density);
  const KnnJob job = make_knn_job(hw, db, qs, c.k, c.tile);
  ASSERT_NO_THROW(check_program(job.program, hw, job.dram.size()));
  const SimResult r = run(hw, job.program, job.dram);
  const std::vector<Neighbor> want = knn_hamming(db, qs, c.k);
  for (size_t q = 0; q < c.nq; ++q)
    for (size_t i = 0; i < c.k; ++i) {
      uint64_t w;
      std::memcpy(&w, r.memory.data() + job.result_addr + q * job.result_stride + i * 8, 8);
      const Neighbor got = Neighbor::from_word(w);
      ASSERT_EQ(got.index, want[q * c.k + i].index) << "query " << q << " entry " << i;
      ASSERT_EQ(got.dist, want[q * c.k + i].dist) << "query " << q << " entry " << i;
    }
  EXPECT_EQ(r.memory, execute(job.program, hw, job.dram));
  EXPECT_EQ(r.units[1].insns, count_actions(job.program, hw).insns[1]);
}

TEST(ScsimHamtopk, KnnMatchesReference) {
  const KnnCase cases[] = {
      {8, 64, 32, 100, 3, 1, 5, 40, 64},     // one word per code, partial last group and tile
      {8, 64, 32, 300, 4, 4, 10, 64, 64},    // four tiles, merged through the rbuf state
      {4, 128, 32, 77, 2, 3, 7, 32, 64},     // cw = 3, m = 2: padded step
      {16, 256, 64, 129, 3, 5, 16, 48, 64},  // cw = 5, m = 4
      {1, 64, 8, 20, 2, 2, 4, 7, 64},        // one lane, narrow bus
      {8, 64, 32, 500, 2, 2, 20, 100, 16},   // sparse bits: many equal distances (index order)
      {8, 64, 32, 5, 2, 1, 12, 3, 64},       // k > n: empty entries
      {2, 512, 16, 33, 2, 16, 3, 11, 64},    // 1024-bit codes, m = 8
  };
  uint64_t seed = 1;
  for (const auto& c : cases) check_knn(c, seed++);
}

TEST(ScsimHamtopk, ActionCountersMatchTheProgram) {
  HwConfig hw = small_hw();
  hw.ham_lanes = 4;
  hw.ham_bits_per_lane = 128;
  std::mt19937_64 rng(5);
  const CodeSet db = random_codes(rng, 150, 3), qs = random_codes(rng, 3, 3);
  const KnnJob job = make_knn_job(hw, db, qs, 6, 40);
  const SimResult r = run(hw, job.program, job.dram);
  const ActionCounts want = count_actions(job.program, hw);
  std::map<std::string, uint64_t> got;
  for (const auto& c : scsim::ScTop::instance().counters()) got[c.name] = c.value;
  // The engine's lane operations, from the rule (G*S lane steps of L lanes x m words per hamtopk).
  uint64_t word_ops = 0, hamtopks = 0;
  for (const auto& in : job.program.insns)
    if (in.op() == isa::Op::kHamtopk) {
      const auto h = decode<isa::HamtopkInsn>(in);
      word_ops += (h.n_codes + 3) / 4 * ((h.code_words + 1) / 2) * 4 * 2;
      ++hamtopks;
    }
  EXPECT_EQ(got["compute_unit.hamtopk.insns"], hamtopks);
  EXPECT_EQ(got["compute_unit.hamtopk.word_op"], word_ops);
  EXPECT_EQ(want.get("hamtopk.word_op"), word_ops);
  // Buffer words: the DMA units' transfers as the model made them, plus the engine's, against the
  // static counts of the program.
  for (const char* b : {"qbuf", "dbuf", "rbuf"}) {
    EXPECT_EQ(got[std::string(b) + ".read_words"], want.get(std::string("sram.") + b + ".read_words")) << b;
    EXPECT_EQ(got[std::string(b) + ".write_words"], want.get(std::string("sram.") + b + ".write_words")) << b;
  }
  EXPECT_EQ(r.dram.read_bytes, want.get("dram.read_bytes"));
  EXPECT_EQ(r.dram.write_bytes, want.get("dram.write_bytes"));
  for (int u = 0; u < 3; ++u) EXPECT_EQ(r.units[u].insns, want.insns[u]) << u;
}

TEST(ScsimHamtopk, StateEntriesMergeWithTheTile) {
  // Two hamtopk on one query, the second reading the first's state: equal to one scan of both tiles.
  check_knn({8, 64, 32, 64, 1, 2, 8, 32, 32}, 99);
}

TEST(ScsimHamtopk, EmptyEntryAndWordLayout) {
  // n_codes = 1, k = 3: entry 0 is {index = base, dist}, entries 1, 2 are all ones.
  HwConfig hw = small_hw();
  std::vector<uint8_t> mem(4096, 0);
  const uint64_t q = 0x0F0F, d = 0x00FF;  // distance popcount(0x0FF0) = 8
  std::memcpy(mem.data(), &q, 8);
  std::memcpy(mem.data() + 256, &d, 8);
  Program p;
  p.insns.push_back(make_load(isa::Buf::kQbuf, 0, 4, 0));
  p.insns.push_back(make_load(isa::Buf::kDbuf, 0, 8, 256, deps(false, false, false, true)));
  isa::HamtopkInsn h;
  h.init = 1;
  h.code_words = 1;
  h.k = 3;
  h.base_index = 1000;
  h.n_codes = 1;
  p.insns.push_back(hamtopk(h, deps(true, false, false, true)));
  p.insns.push_back(make_store(isa::Buf::kRbuf, 0, 4, 1024, deps(true, false, true, false)));
  p.insns.push_back(make_finish(deps(false, true, false, false)));
  const SimResult r = run(hw, p, mem);
  uint64_t w[4];
  std::memcpy(w, r.memory.data() + 1024, 32);
  EXPECT_EQ(w[0], (uint64_t{1000} << 32) | 8u);
  EXPECT_EQ(w[1], ~uint64_t{0});
  EXPECT_EQ(w[2], ~uint64_t{0});
  EXPECT_EQ(w[3], 0u);  // rbuf word 3 was never written
}

}  // namespace
}  // namespace bitgrid::scsim_test
