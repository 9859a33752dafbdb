// Compiled hamming_topk programs executed by the functional model must give exactly the brute-force
// top-k, across tiling, batching and the corner cases of the issue (k = 1, k = max, N < k, N not a
// multiple of the tile, all-equal distances).
#include <gtest/gtest.h>

#include <array>
#include <random>

#include "bitgrid/checker.h"
#include "bitgrid/error.h"
#include "bitgrid/executor.h"
#include "bitgrid/floatknn.h"
#include "bitgrid/workloads/hamming_topk.h"
#include "bitgrid/workloads/program_parts.h"

using namespace bitgrid;

namespace {
void expect_matches_bruteforce(const HammingTopkWorkload& w, const HwConfig& hw, const std::string& what) {
  const HammingTopkCompiled c = compile_hamming_topk(w, hw);
  const auto mem = execute(c.program, hw, c.memory);
  std::vector<int64_t> nb;
  std::vector<int32_t> d;
  decode_hamming_topk(c.layout, mem, nb, d);
  const auto ref = knn_hamming(w.database, w.queries, w.k);
  ASSERT_EQ(nb.size(), ref.size());
  for (size_t i = 0; i < ref.size(); ++i) {
    ASSERT_EQ(nb[i], ref[i].empty() ? -1 : static_cast<int64_t>(ref[i].index)) << what << " entry " << i;
    ASSERT_EQ(d[i], ref[i].empty() ? INT32_MAX : static_cast<int32_t>(ref[i].dist)) << what << " entry " << i;
  }
}
HwConfig small_hw() {
  HwConfig hw;
  hw.ham_lanes = 4;
  hw.ham_bits_per_lane = 128;
  hw.dbuf_kib = 4;
  hw.qbuf_kib = 2;
  hw.rbuf_kib = 2;
  hw.topk_max = 16;
  hw.queue_depth = 2;
  hw.validate("test");
  return hw;
}
}  // namespace

TEST(Compiler, RandomWorkloadsMatchBruteForce) {
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 40; ++trial) {
    HwConfig hw = trial % 2 ? small_hw() : HwConfig{};
    HammingTopkWorkload w;
    const size_t bits = 64 * (1 + rng() % 6);
    w.database = random_codes(1 + rng() % 3000, bits, rng());
    w.queries = random_codes(1 + rng() % 40, bits, rng());
    w.k = 1 + rng() % static_cast<size_t>(hw.topk_max);
    expect_matches_bruteforce(w, hw, "trial " + std::to_string(trial));
  }
}

TEST(Compiler, CornerCases) {
  const HwConfig hw = small_hw();
  HammingTopkWorkload w;
  w.database = random_codes(5, 256, 1);  // N < k
  w.queries = random_codes(3, 256, 2);
  w.k = 16;  // k = topk_max
  expect_matches_bruteforce(w, hw, "N<k, k=max");
  w.k = 1;
  expect_matches_bruteforce(w, hw, "k=1");
  // all-equal distances: every database code identical
  CodeSet same = random_codes(1, 256, 3);
  w.database.n = 777;
  w.database.data.clear();
  for (size_t i = 0; i < 777; ++i) w.database.data.insert(w.database.data.end(), same.data.begin(), same.data.end());
  w.k = 16;
  expect_matches_bruteforce(w, hw, "all equal");
  // N not a multiple of the tile or of the lanes; many tiles and batches
  w.database = random_codes(1001, 192, 4);
  w.queries = random_codes(50, 192, 5);
  w.tile_codes = 30;  // not a multiple of the lanes either
  w.query_batch = 7;
  expect_matches_bruteforce(w, hw, "tiles+batches");
}

TEST(Compiler, ProgramsAreDoubleBufferedAndPipelined) {
  // The load of tile t+1 must be dispatched before the hamtopks of tile t (software pipelining).
  HammingTopkWorkload w;
  w.database = random_codes(5000, 256, 1);
  w.queries = random_codes(2, 256, 2);
  w.k = 4;
  w.tile_codes = 1000;
  const HammingTopkCompiled c = compile_hamming_topk(w, HwConfig{});
  int loads_before_first_compute = 0;
  for (const auto& i : c.program.insns) {
    if (i.op() == isa::Op::kHamtopk) break;
    if (i.op() == isa::Op::kLoad) ++loads_before_first_compute;
  }
  EXPECT_EQ(loads_before_first_compute, 3);  // tile 0, queries, tile 1
  uint64_t halves = 0;
  for (const auto& i : c.program.insns)
    if (i.op() == isa::Op::kLoad && i.get(isa::kLOAD_BUF) == 1)
      halves |= uint64_t{1} << (i.get(isa::kLOAD_SPM_ADDR) ? 1 : 0);
  EXPECT_EQ(halves, 3u);  // both dbuf halves used
}

TEST(Compiler, LimitsAreNamed) {
  HwConfig hw;
  HammingTopkWorkload w;
  w.database = random_codes(10, 256, 1);
  w.queries = random_codes(1, 256, 2);
  w.k = 65;
  try {
    compile_hamming_topk(w, hw);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("topk_max = 64"), std::string::npos) << e.what();
  }
  w.k = 5;
  w.database = random_codes(10, 2048, 1);
  w.queries = random_codes(1, 2048, 2);
  try {
    compile_hamming_topk(w, hw);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("max_code_bits = 1024"), std::string::npos) << e.what();
  }
  hw.max_code_bits = 2048;
  hw.dbuf_kib = 1;  // one group of 8 codes x 2048 bits = 2 KiB > half of dbuf
  try {
    compile_hamming_topk(w, hw);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("does not fit half of dbuf"), std::string::npos) << e.what();
  }
}

// Program parts (bitgrid/workloads/program_parts.h): the barrier between two parts consumes every token the first
// leaves in a counter and orders the second after the first's last store; the images join at the second's base.
namespace {

std::array<long, 4> tokens_after(const Program& p, size_t n) {
  std::array<long, 4> t{};
  for (size_t i = 0; i < n; ++i) {
    const Insn& in = p.insns[i];
    const int q = static_cast<int>(in.queue());
    const bool pop[2] = {in.pop_prev(), in.pop_next()}, push[2] = {in.push_prev(), in.push_next()};
    for (int d = 0; d < 2; ++d) {
      if (pop[d] && isa::kPopToken[q][d] >= 0) --t[static_cast<size_t>(isa::kPopToken[q][d])];
      if (push[d] && isa::kPushToken[q][d] >= 0) ++t[static_cast<size_t>(isa::kPushToken[q][d])];
    }
  }
  return t;
}

}  // namespace

TEST(ProgramParts, BarrierDrainsTokensAndJoinsImages) {
  HwConfig hw;
  Lowered a;  // leaves a c2l and a l2c token; its last store pushes the s2c its finish pops
  a.program.insns = {make_load(isa::Buf::kAbuf, 0, 4, 0, Deps{false, false, false, true}),
                     make_nop(Deps{false, false, true, true}),
                     make_nop(Deps{false, false, false, true}),
                     make_store(isa::Buf::kObuf, 0, 4, 32, Deps{true, false, true, false}),
                     make_store(isa::Buf::kObuf, 0, 4, 64, Deps{true, false, true, false}),
                     make_finish(Deps{false, true, false, false})};
  a.comments.assign(6, "a");
  a.sections = {"a"};
  a.insn_section.assign(6, 0);
  a.memory.assign(96, 1);
  Lowered b;  // reads what a stored, in a image that starts at a's end
  b.program.insns = {make_load(isa::Buf::kAbuf, 0, 4, 32, Deps{false, false, false, true}),
                     make_nop(Deps{true, false, false, true}),
                     make_store(isa::Buf::kObuf, 0, 4, 96, Deps{true, false, true, false}),
                     make_finish(Deps{false, true, false, false})};
  b.comments.assign(4, "b");
  b.memory.assign(128, 2);
  Lowered all;
  append_part(all, std::move(a), "");
  const size_t a_insns = all.program.insns.size();
  append_part(all, std::move(b), "b");
  check_program(all.program, hw, all.memory.size());
  const size_t b_first = all.program.insns.size() - 4;
  EXPECT_GT(b_first, a_insns - 1);  // a's finish replaced by the barrier
  const auto t = tokens_after(all.program, b_first);
  for (long v : t) EXPECT_EQ(v, 0);  // b starts from empty counters
  // the barrier's last load waits for a compute nop that follows a's last store
  EXPECT_EQ(all.program.insns[b_first - 1].op(), isa::Op::kLoad);
  EXPECT_TRUE(all.program.insns[b_first - 1].pop_next());
  EXPECT_EQ(all.sections, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(all.insn_section.back(), 1u);
  ASSERT_EQ(all.memory.size(), 128u);
  EXPECT_EQ(all.memory[95], 1);  // a's bytes below its end, b's above
  EXPECT_EQ(all.memory[96], 2);
  Lowered shorter;
  shorter.memory.assign(64, 0);
  shorter.program.insns = {make_finish()};
  EXPECT_THROW(append_part(all, std::move(shorter), "c"), Error);
}
