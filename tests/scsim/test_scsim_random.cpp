// Random programs on random machines: the SystemC model's cycle count, per-unit busy cycles and issue
// counts, and DRAM statistics must equal those of the per-cycle transcription of the rules
// (the shared timing oracle, tests/oracle/rule_oracle.h). Programs are token-balanced in program order (no deadlock, no
// overflow) but otherwise random: overlapping DMA, zero-word transfers, finish while units are still busy. A failure
// prints its seed; rerun one with --gtest_filter and SCSIM_SEED=<seed>.
#include <gtest/gtest.h>

#include <cstdlib>

#include "bitgrid/executor.h"
#include "rule_oracle.h"
#include "scsim_util.h"

namespace bitgrid::scsim_test {
namespace {

template <class T>
T pick(std::mt19937_64& rng, std::initializer_list<T> v) {
  return *(v.begin() + rng() % v.size());
}
uint64_t uniform(std::mt19937_64& rng, uint64_t lo, uint64_t hi) { return lo + rng() % (hi - lo + 1); }

HwConfig random_hw(std::mt19937_64& rng) {
  HwConfig hw;
  hw.dram_bytes_per_cycle = pick(rng, {8L, 16L, 32L, 64L});
  hw.dram_burst_bytes = std::max(hw.dram_bytes_per_cycle, pick(rng, {8L, 32L, 64L, 256L, 1024L}));
  hw.dma_max_outstanding = pick(rng, {1L, 2L, 3L, 4L, 16L});
  hw.dram_latency = pick(rng, {1L, 2L, 5L, 20L, 100L});
  hw.ham_lanes = pick(rng, {1L, 2L, 4L, 8L, 16L});
  hw.ham_bits_per_lane = pick(rng, {64L, 128L, 256L});
  hw.ham_queries = pick(rng, {1L, 1L, 2L, 4L, 8L});
  hw.max_code_bits = 512;
  hw.topk_max = pick(rng, {4L, 16L, 64L});
  hw.qbuf_kib = 2;
  hw.dbuf_kib = 16;
  hw.rbuf_kib = 2;
  hw.queue_depth = pick(rng, {2L, 4L, 8L});
  return hw;
}

// Token-balanced in program order: an instruction pops a counter only if earlier instructions pushed
// more than earlier ones popped. Then the earliest unissued instruction can always issue eventually,
// so the program cannot deadlock; fewer than token_max pushes per counter rule out overflow.
Program random_program(std::mt19937_64& rng, const HwConfig& hw, uint64_t dram_bytes, int n) {
  const uint64_t Wb = static_cast<uint64_t>(hw.beat_words()), BW = static_cast<uint64_t>(hw.dram_bytes_per_cycle);
  const uint64_t m = static_cast<uint64_t>(hw.ham_bits_per_lane / 64), L = static_cast<uint64_t>(hw.ham_lanes);
  const uint64_t Q = static_cast<uint64_t>(hw.ham_queries);
  const uint64_t Rd = static_cast<uint64_t>(hw.row_words(isa::Buf::kDbuf));
  long avail[4] = {0, 0, 0, 0}, pushed[4] = {0, 0, 0, 0};  // l2c c2l c2s s2c
  // per queue: {pop_prev counter, pop_next counter, push_prev counter, push_next counter}
  const int ctr[3][4] = {{-1, 1, -1, 0}, {0, 3, 1, 2}, {2, -1, 3, -1}};
  Program p;
  auto flags = [&](int q) {
    Deps d;
    bool* f[4] = {&d.pop_prev, &d.pop_next, &d.push_prev, &d.push_next};
    for (int i = 0; i < 2; ++i)
      if (ctr[q][i] >= 0 && avail[ctr[q][i]] > 0 && rng() % 3 != 0) {
        *f[i] = true;
        --avail[ctr[q][i]];
      }
    for (int i = 2; i < 4; ++i)
      if (ctr[q][i] >= 0 && pushed[ctr[q][i]] < 200 && rng() % 2) {
        *f[i] = true;
        ++pushed[ctr[q][i]];
      }
    return d;
  };
  auto commit = [&](const Deps& d, int q) {  // pushes become available to later instructions
    for (int i = 2; i < 4; ++i)
      if ((i == 2 ? d.push_prev : d.push_next) && ctr[q][i] >= 0) ++avail[ctr[q][i]];
  };
  auto transfer = [&](isa::Buf buf, bool load, Deps d) {
    const uint64_t words = static_cast<uint64_t>(hw.buf_words(buf));
    const uint64_t beats = rng() % 5 == 0 ? 0 : uniform(rng, 1, std::min<uint64_t>(48, words / Wb));
    const uint64_t nw = beats * Wb;
    const uint64_t spm = nw ? uniform(rng, 0, (words - nw) / Wb) * Wb : 0;
    const uint64_t dram = nw ? uniform(rng, 0, (dram_bytes - nw * 8) / BW) * BW : 0;
    return load ? make_load(buf, spm, nw, dram, d) : make_store(buf, spm, nw, dram, d);
  };
  for (int i = 0; i < n; ++i) {
    const int kind = static_cast<int>(rng() % 10);
    if (kind < 3) {
      const Deps d = flags(0);
      p.insns.push_back(transfer(rng() % 2 ? isa::Buf::kDbuf : isa::Buf::kQbuf, true, d));
      commit(d, 0);
    } else if (kind < 5) {
      const Deps d = flags(2);
      p.insns.push_back(transfer(isa::Buf::kRbuf, false, d));
      commit(d, 2);
    } else if (kind < 6) {
      const Deps d = flags(1);
      p.insns.push_back(make_nop(d));
      commit(d, 1);
    } else {
      const Deps d = flags(1);
      isa::HamtopkInsn h;
      h.init = rng() % 2;
      h.n_q = uniform(rng, 1, Q);
      h.k = uniform(rng, 1,
                    std::min<uint64_t>(static_cast<uint64_t>(hw.topk_max),
                                       static_cast<uint64_t>(hw.buf_words(isa::Buf::kRbuf)) / h.n_q));
      h.code_words = uniform(rng, 1, static_cast<uint64_t>((hw.max_code_bits / 64)));
      h.n_codes = uniform(rng, 1, 300);
      const uint64_t S = (h.code_words + m - 1) / m, G = (h.n_codes + L - 1) / L;
      h.q_addr =
          uniform(rng, 0, (static_cast<uint64_t>(hw.buf_words(isa::Buf::kQbuf)) - S * Q * m) / (Q * m)) * (Q * m);
      const uint64_t span = G * S * L * m, dwords = static_cast<uint64_t>(hw.buf_words(isa::Buf::kDbuf));
      if (span > dwords) h.n_codes = L;
      const uint64_t span2 = ((h.n_codes + L - 1) / L) * S * L * m;
      h.db_addr = uniform(rng, 0, (dwords - span2) / Rd) * Rd;
      h.base_index = rng() % 100000;
      h.r_addr = uniform(rng, 0, static_cast<uint64_t>(hw.buf_words(isa::Buf::kRbuf)) - h.n_q * h.k);
      p.insns.push_back(hamtopk(h, d));
      commit(d, 1);
    }
  }
  Deps fin;
  if (avail[0] > 0 && rng() % 2) fin.pop_prev = true;
  if (avail[3] > 0 && rng() % 2) fin.pop_next = true;
  p.insns.push_back(make_finish(fin));
  return p;
}

void compare(uint64_t seed) {
  std::mt19937_64 rng(seed);
  const HwConfig hw = random_hw(rng);
  const uint64_t dram_bytes = 1 << 16;
  const Program p = random_program(rng, hw, dram_bytes, static_cast<int>(uniform(rng, 1, 60)));
  std::vector<uint8_t> mem(dram_bytes);
  for (auto& b : mem) b = static_cast<uint8_t>(rng());
  SCOPED_TRACE(testing::Message() << "seed " << seed << "\n" << hw.to_yaml());
  const bgtest::OracleResult want = bgtest::rule_oracle(hw, p, dram_bytes, 10000000);
  const SimResult got = run(hw, p, mem);
  ASSERT_EQ(got.cycles, want.cycles);
  // Every instruction's issue and completion cycle, in issue order.
  ASSERT_EQ(got.insn_log.size(), want.recs.size());
  for (size_t i = 0; i < want.recs.size(); ++i) {
    ASSERT_EQ(got.insn_log[i][0], want.recs[i].index) << "issue order differs at position " << i;
    ASSERT_EQ(got.insn_log[i][1], want.recs[i].issue) << "instruction " << want.recs[i].index;
    ASSERT_EQ(got.insn_log[i][2], want.recs[i].complete) << "instruction " << want.recs[i].index;
  }
  for (int u = 0; u < 3; ++u) {
    ASSERT_EQ(got.units[u].busy_cycles, want.units[u].busy_cycles) << "unit " << u;
    ASSERT_EQ(got.units[u].insns, want.units[u].insns) << "unit " << u;
  }
  ASSERT_EQ(got.dram.read_requests, want.dram.read_requests);
  ASSERT_EQ(got.dram.read_bytes, want.dram.read_bytes);
  ASSERT_EQ(got.dram.write_beats, want.dram.write_beats);
  ASSERT_EQ(got.dram.write_bytes, want.dram.write_bytes);
  ASSERT_EQ(got.dram.bus_busy_cycles, want.dram.bus_busy_cycles);
}

TEST(ScsimRandom, MatchesPerCycleRules) {
  if (const char* s = std::getenv("SCSIM_SEED")) {
    compare(std::strtoull(s, nullptr, 0));
    return;
  }
  for (uint64_t seed = 1; seed <= 400; ++seed) {
    compare(seed);
    if (HasFatalFailure()) return;
  }
}

TEST(ScsimRandom, KnnJobsMatchPerCycleRulesAndReference) {
  for (uint64_t seed = 1000; seed < 1040; ++seed) {
    std::mt19937_64 rng(seed);
    HwConfig hw = random_hw(rng);
    hw.dbuf_kib = 64;
    hw.qbuf_kib = 8;
    hw.rbuf_kib = 8;
    const size_t words = uniform(rng, 1, 8), n = uniform(rng, 1, 400), nq = uniform(rng, 1, 6);
    const size_t k = uniform(rng, 1, static_cast<uint64_t>(hw.topk_max));
    const size_t tile = uniform(rng, 1, 120);
    const CodeSet db = random_codes(rng, n, words, pick(rng, {16, 64}));
    const CodeSet qs = random_codes(rng, nq, words, 64);
    const KnnJob job = make_knn_job(hw, db, qs, k, tile);
    SCOPED_TRACE(testing::Message() << "seed " << seed << "\n" << hw.to_yaml());
    ASSERT_NO_THROW(check_program(job.program, hw, job.dram.size()));
    const bgtest::OracleResult want = bgtest::rule_oracle(hw, job.program, job.dram.size(), 100000000);
    const SimResult got = run(hw, job.program, job.dram);
    ASSERT_EQ(got.cycles, want.cycles);
    for (int u = 0; u < 3; ++u) ASSERT_EQ(got.units[u].busy_cycles, want.units[u].busy_cycles) << "unit " << u;
    ASSERT_EQ(got.dram.bus_busy_cycles, want.dram.bus_busy_cycles);
    ASSERT_EQ(got.memory, execute(job.program, hw, job.dram));
  }
}

}  // namespace
}  // namespace bitgrid::scsim_test
