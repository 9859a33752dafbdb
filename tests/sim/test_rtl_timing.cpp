// Timing and functional tests of the RTL (rtl/bitgrid_top.sv) in its SystemC harness, against the rules of
// docs/ARCHITECTURE.md §4. Expected cycle counts are computed here from the rules and the shared DramModel
// (per-unit formulas below, and the timing oracle tests/oracle/rule_oracle.h for whole programs), never taken
// from the RTL. This file is compiled once per verilated config (tests/sim/CMakeLists.txt); the config is
// the model's own (bitgrid::rtl::model_config()), dram_latency is varied freely since only the DramModel
// uses it.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <string>

#include "bitgrid/error.h"
#include "bitgrid/executor.h"
#include "rtl_harness.h"
#include "rule_oracle.h"
#include "workloads.h"

namespace {

using bgtest::round_up;
using bitgrid::Deps;
using bitgrid::HwConfig;
using bitgrid::Program;
using bitgrid::isa::Buf;

HwConfig model_hw(long latency = -1) {
  HwConfig hw = bitgrid::rtl::model_config();
  if (latency > 0) hw.dram_latency = latency;
  return hw;
}

struct RtlRun {
  bitgrid::SimResult res;
  bitgrid::rtl::RunInfo info;
};

RtlRun run_rtl(const HwConfig& hw, const Program& p, std::vector<uint8_t> mem, bitgrid::SimOptions opt = {}) {
  RtlRun r;
  r.res = bitgrid::rtl::run(hw, p, std::move(mem), opt, &r.info);
  return r;
}

const bitgrid::rtl::InsnRecord& rec_of(const RtlRun& r, size_t index) {
  for (const auto& x : r.info.insns)
    if (x.index == index) return x;
  throw std::runtime_error("instruction " + std::to_string(index) + " never issued");
}

// R7 for a load issued in cycle c0 on an idle bus: returns the cycle of the last beat (E = result - c0).
uint64_t r7_last_beat(const HwConfig& hw, uint64_t c0, uint64_t nb, uint32_t addr) {
  bitgrid::DramModel d(hw.dram_bytes_per_cycle, hw.dram_latency,
                       std::vector<uint8_t>(addr + nb * hw.dram_bytes_per_cycle));
  const uint64_t bb = static_cast<uint64_t>(hw.burst_beats());
  const uint64_t bursts = (nb + bb - 1) / bb;
  std::vector<uint64_t> last;  // last-beat cycle of each requested burst
  uint64_t t = c0 + 1;         // burst 0 in c0+1
  while (last.size() < bursts) {
    uint64_t outstanding = 0;  // requested before t, last beat >= t
    for (uint64_t l : last) outstanding += (l >= t);
    if (last.empty() || outstanding < static_cast<uint64_t>(hw.dma_max_outstanding)) {
      const uint64_t j = last.size();
      const uint64_t beats = std::min(bb, nb - j * bb);
      const uint64_t start =
          d.read(t, addr + static_cast<uint32_t>(j * bb * hw.dram_bytes_per_cycle), static_cast<uint32_t>(beats));
      last.push_back(start + beats - 1);
    }
    ++t;
  }
  return last.back();
}

// R8 for a store issued in cycle c0 on an idle bus: returns the cycle of the last beat's acknowledgement.
uint64_t r8_last_ack(const HwConfig& hw, uint64_t c0, uint64_t nb) {
  bitgrid::DramModel d(hw.dram_bytes_per_cycle, hw.dram_latency, std::vector<uint8_t>(nb * hw.dram_bytes_per_cycle));
  std::vector<uint8_t> beat(static_cast<size_t>(hw.dram_bytes_per_cycle));
  uint64_t ack = 0;
  for (uint64_t b = 0; b < nb; ++b)
    ack = d.write(c0 + 2 + b, static_cast<uint32_t>(b * hw.dram_bytes_per_cycle), beat.data());
  return ack;
}

// Checks the RTL run against the rule transcription: cycle count, every instruction's accept/issue/complete
// cycle, per-unit busy cycles and instruction counts, DRAM statistics.
void expect_rules(const HwConfig& hw, const Program& p, const RtlRun& r, size_t dram_bytes) {
  const bgtest::OracleResult want = bgtest::rule_oracle(hw, p, dram_bytes);
  EXPECT_EQ(r.res.cycles, want.cycles);
  ASSERT_EQ(r.info.insns.size(), want.recs.size());
  for (size_t i = 0; i < want.recs.size(); ++i) {
    const auto& g = r.info.insns[i];
    const auto& w = want.recs[i];
    ASSERT_EQ(g.index, w.index) << "issue order differs at position " << i;
    EXPECT_EQ(g.accept_cycle, w.accept) << "instruction " << w.index;
    EXPECT_EQ(g.issue_cycle, w.issue) << "instruction " << w.index;
    EXPECT_EQ(g.complete_cycle, w.complete) << "instruction " << w.index;
  }
  for (int u = 0; u < 3; ++u) {
    EXPECT_EQ(r.res.units[u].busy_cycles, want.units[u].busy_cycles) << "unit " << u;
    EXPECT_EQ(r.res.units[u].insns, want.units[u].insns) << "unit " << u;
  }
  EXPECT_EQ(r.res.dram.read_requests, want.dram.read_requests);
  EXPECT_EQ(r.res.dram.write_beats, want.dram.write_beats);
  EXPECT_EQ(r.res.dram.bus_busy_cycles, want.dram.bus_busy_cycles);
}

std::vector<uint8_t> random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

// ---------------------------------------------------------------------------------------------------------
// R7: a load in isolation. Program: load (push_next); finish (pop_prev). The load is accepted in cycle 0 and
// issues in cycle 1 (= c0); finish issues the cycle after the load's last beat, so cycles = c0 + E + 2.
TEST(RtlLoad, IsolatedLoadFollowsR7) {
  const HwConfig base = model_hw();
  const uint64_t Wb = static_cast<uint64_t>(base.beat_words()), BB = static_cast<uint64_t>(base.burst_beats());
  const uint64_t max_nb = static_cast<uint64_t>(base.buf_words(Buf::kDbuf)) / Wb;
  for (long latency : {1L, 2L, 5L, 23L, 100L}) {
    const HwConfig hw = model_hw(latency);
    for (uint64_t nb :
         {uint64_t{1}, uint64_t{2}, BB - 1, BB, BB + 1, 2 * BB, 3 * BB + 1, 5 * BB - 1, 9 * BB + 2, max_nb}) {
      if (nb == 0 || nb > max_nb) continue;
      SCOPED_TRACE("latency " + std::to_string(latency) + ", NB " + std::to_string(nb));
      const uint32_t addr = static_cast<uint32_t>(3 * hw.dram_bytes_per_cycle);
      Program p;
      Deps ld;
      ld.push_next = true;
      Deps fin;
      fin.pop_prev = true;
      p.insns.push_back(bitgrid::make_load(Buf::kDbuf, 0, nb * Wb, addr, ld));
      p.insns.push_back(bitgrid::make_finish(fin));
      const size_t bytes = addr + nb * static_cast<uint64_t>(hw.dram_bytes_per_cycle) + 64;
      const RtlRun r = run_rtl(hw, p, random_bytes(bytes, static_cast<uint32_t>(nb)));
      const uint64_t c0 = 1, last = r7_last_beat(hw, c0, nb, addr), E = last - c0;
      EXPECT_EQ(rec_of(r, 0).issue_cycle, c0);
      EXPECT_EQ(rec_of(r, 0).complete_cycle, c0 + E);
      EXPECT_EQ(r.res.cycles, c0 + E + 2);
      EXPECT_EQ(r.res.units[0].busy_cycles, E);
      EXPECT_EQ(r.res.dram.read_requests, (nb + BB - 1) / BB);
      EXPECT_EQ(r.res.dram.read_bytes, nb * static_cast<uint64_t>(hw.dram_bytes_per_cycle));
      expect_rules(hw, p, r, bytes);
    }
  }
}

// R5: load and store with nwords = 0 take one cycle; back-to-back instructions of a unit are E+1 apart (R2).
TEST(RtlLoad, ZeroWordTransfersTakeOneCycle) {
  const HwConfig hw = model_hw();
  Program p;
  Deps push_n, push_p, fin;
  push_n.push_next = true;
  push_p.push_prev = true;
  p.insns.push_back(bitgrid::make_load(Buf::kQbuf, 0, 0, 0));
  p.insns.push_back(bitgrid::make_load(Buf::kRbuf, 0, 0, 0, push_n));  // token-only: any buffer id
  p.insns.push_back(bitgrid::make_store(Buf::kQbuf, 0, 0, 0, push_p));
  fin.pop_prev = true;
  fin.pop_next = true;
  p.insns.push_back(bitgrid::make_finish(fin));
  const RtlRun r = run_rtl(hw, p, std::vector<uint8_t>(256));
  // load0: accepted 0, issued 1, complete 2; load1: accepted 1, issued 3 (idle again in 3), complete 4;
  // store: accepted 2, issued 3, complete 4; finish: accepted 3, tokens visible in 5 -> issues 5, cycles 6.
  EXPECT_EQ(rec_of(r, 0).issue_cycle, 1u);
  EXPECT_EQ(rec_of(r, 0).complete_cycle, 2u);
  EXPECT_EQ(rec_of(r, 1).issue_cycle, 3u);
  EXPECT_EQ(rec_of(r, 1).complete_cycle, 4u);
  EXPECT_EQ(rec_of(r, 2).issue_cycle, 3u);
  EXPECT_EQ(rec_of(r, 2).complete_cycle, 4u);
  EXPECT_EQ(rec_of(r, 3).issue_cycle, 5u);
  EXPECT_EQ(r.res.cycles, 6u);
  expect_rules(hw, p, r, 256);
}

// ---------------------------------------------------------------------------------------------------------
// R8: a store in isolation. Program: store (push_prev); finish (pop_next): c0 = 1, cycles = c0 + E + 2.
TEST(RtlStore, IsolatedStoreFollowsR8) {
  const HwConfig base = model_hw();
  const uint64_t Wb = static_cast<uint64_t>(base.beat_words());
  const uint64_t max_nb = static_cast<uint64_t>(base.buf_words(Buf::kRbuf)) / Wb;
  for (long latency : {1L, 4L, 31L}) {
    const HwConfig hw = model_hw(latency);
    for (uint64_t nb : {uint64_t{1}, uint64_t{2}, uint64_t{7}, uint64_t{16}, max_nb}) {
      if (nb > max_nb) continue;
      SCOPED_TRACE("latency " + std::to_string(latency) + ", NB " + std::to_string(nb));
      Program p;
      Deps st, fin;
      st.push_prev = true;
      fin.pop_next = true;
      p.insns.push_back(bitgrid::make_store(Buf::kRbuf, 0, nb * Wb, 0, st));
      p.insns.push_back(bitgrid::make_finish(fin));
      const size_t bytes = nb * static_cast<uint64_t>(hw.dram_bytes_per_cycle);
      const RtlRun r = run_rtl(hw, p, std::vector<uint8_t>(bytes, 0xAB));
      const uint64_t c0 = 1, E = r8_last_ack(hw, c0, nb) - c0;
      EXPECT_EQ(rec_of(r, 0).complete_cycle, c0 + E);
      EXPECT_EQ(r.res.cycles, c0 + E + 2);
      EXPECT_EQ(r.res.units[2].busy_cycles, E);
      EXPECT_EQ(r.res.dram.write_beats, nb);
      // rbuf was never written: the RTL's scratchpads start zeroed, so zeros were stored.
      for (uint8_t b : r.res.memory) ASSERT_EQ(b, 0);
      expect_rules(hw, p, r, bytes);
    }
  }
}

// R6: a store and a load overlapping on the one DRAM bus (the store's beat is taken first in a cycle).
TEST(RtlDram, LoadAndStoreShareTheBus) {
  const HwConfig base = model_hw();
  const uint64_t Wb = static_cast<uint64_t>(base.beat_words()), BB = static_cast<uint64_t>(base.burst_beats());
  const uint64_t nb_ld = std::min<uint64_t>(3 * BB + 1, static_cast<uint64_t>(base.buf_words(Buf::kDbuf)) / Wb);
  const uint64_t nb_st = std::min<uint64_t>(9, static_cast<uint64_t>(base.buf_words(Buf::kRbuf)) / Wb);
  for (long latency : {1L, 3L, 12L}) {
    const HwConfig hw = model_hw(latency);
    Program p;
    Deps st, ld, nop, fin;
    st.push_prev = true;
    ld.push_next = true;
    nop.pop_prev = true;
    fin.pop_next = true;
    p.insns.push_back(bitgrid::make_store(Buf::kRbuf, 0, nb_st * Wb, 0, st));
    p.insns.push_back(bitgrid::make_load(Buf::kDbuf, 0, nb_ld * Wb, 4096, ld));
    p.insns.push_back(bitgrid::make_nop(nop));
    p.insns.push_back(bitgrid::make_finish(fin));
    const size_t bytes = 4096 + nb_ld * static_cast<uint64_t>(hw.dram_bytes_per_cycle);
    const RtlRun r = run_rtl(hw, p, random_bytes(bytes, 5));
    expect_rules(hw, p, r, bytes);
  }
}

// ---------------------------------------------------------------------------------------------------------
// R1/R2: nops through the compute queue. Nop k issues in 1 + 2k (E = 1, E+1 apart); with queue_depth 2
// instruction j >= 3 is accepted in 2j - 2 (the pop in 2j - 3 makes room only in 2j - 2). Finish after N
// nops issues in 2N + 1, so cycles = 2N + 2 for any depth.
TEST(RtlDispatch, NopsAndQueueFull) {
  const HwConfig hw = model_hw();
  const uint64_t N = 11;
  Program p;
  for (uint64_t i = 0; i < N; ++i) p.insns.push_back(bitgrid::make_nop());
  p.insns.push_back(bitgrid::make_finish());
  const RtlRun r = run_rtl(hw, p, std::vector<uint8_t>(64));
  EXPECT_EQ(r.res.cycles, 2 * N + 2);
  for (uint64_t k = 0; k < N; ++k) EXPECT_EQ(rec_of(r, k).issue_cycle, 1 + 2 * k);
  if (hw.queue_depth == 2) {
    for (uint64_t j = 3; j <= N; ++j) EXPECT_EQ(rec_of(r, j).accept_cycle, 2 * j - 2) << "instruction " << j;
  }
  EXPECT_EQ(r.res.units[1].insns, N + 1);
  EXPECT_EQ(r.res.units[1].busy_cycles, N);
  expect_rules(hw, p, r, 64);
}

// R1: a full load queue blocks the host, so a later compute instruction is accepted late.
TEST(RtlDispatch, FullLoadQueueBlocksHost) {
  const HwConfig hw = model_hw(9);
  const uint64_t Wb = static_cast<uint64_t>(hw.beat_words());
  Program p;
  const uint64_t nloads = static_cast<uint64_t>(hw.queue_depth) + 3;
  Deps last;
  last.push_next = true;
  for (uint64_t i = 0; i < nloads; ++i)
    p.insns.push_back(bitgrid::make_load(Buf::kQbuf, 0, 2 * Wb, 0, i + 1 == nloads ? last : Deps{}));
  Deps nop;
  nop.pop_prev = true;
  p.insns.push_back(bitgrid::make_nop(nop));
  p.insns.push_back(bitgrid::make_finish());
  const RtlRun r = run_rtl(hw, p, random_bytes(1024, 9));
  // The nop is presented right after the last load is accepted, i.e. not before load nloads-1-depth issued.
  EXPECT_GT(rec_of(r, nloads).accept_cycle, rec_of(r, nloads - 1 - static_cast<size_t>(hw.queue_depth)).issue_cycle);
  expect_rules(hw, p, r, 1024);
}

// R2/R3: a token wait. load (push_next); nop (pop_prev); finish: the nop issues the cycle after the load's
// last beat, E = 1, finish right after: cycles = (c0 + E_load) + 4.
TEST(RtlTokens, ComputeWaitsForLoadToken) {
  const HwConfig hw = model_hw(13);
  const uint64_t Wb = static_cast<uint64_t>(hw.beat_words());
  const uint64_t nb = std::min<uint64_t>(5, static_cast<uint64_t>(hw.buf_words(Buf::kQbuf)) / Wb);
  Program p;
  Deps ld, nop;
  ld.push_next = true;
  nop.pop_prev = true;
  p.insns.push_back(bitgrid::make_load(Buf::kQbuf, 0, nb * Wb, 0, ld));
  p.insns.push_back(bitgrid::make_nop(nop));
  p.insns.push_back(bitgrid::make_finish());
  const RtlRun r = run_rtl(hw, p, random_bytes(nb * static_cast<uint64_t>(hw.dram_bytes_per_cycle), 3));
  const uint64_t load_end = r7_last_beat(hw, 1, nb, 0);
  EXPECT_EQ(rec_of(r, 0).complete_cycle, load_end);
  EXPECT_EQ(rec_of(r, 1).issue_cycle, load_end + 1);
  EXPECT_EQ(rec_of(r, 2).issue_cycle, load_end + 3);
  EXPECT_EQ(r.res.cycles, load_end + 4);
  expect_rules(hw, p, r, nb * static_cast<uint64_t>(hw.dram_bytes_per_cycle));
}

// R3: pushes beyond token_max raise error_o, which the harness reports.
// Each job starts from zeroed scratchpads, even when the job before stopped on a machine fault while an
// engine was writing its results (found by the hand-built random programs of the cosim): the harness
// clears the scratchpads under reset, after the last edge of the old job.
TEST(RtlHarness, JobsStartFromClearScratchpadsAfterAFaultMidWrite) {
  const HwConfig hw = model_hw();
  const uint64_t wb = static_cast<uint64_t>(hw.beat_words());
  const uint64_t k = std::min<uint64_t>(static_cast<uint64_t>(hw.topk_max), 4);
  const uint64_t n = static_cast<uint64_t>(hw.ham_lanes) * 20;
  const bitgrid::Insn ham = bgtest::hamtopk({1, k, 1, 0, 0, 0, 0, n, {}});
  // The hamtopk issues in cycle 1 and writes its k entries in its last k cycles; the fault must fall so
  // that the machine stops in one of them. Token-only loads in front of the illegal one move the fault.
  const uint64_t end = 1 + bgtest::oracle_engine_cycles(hw, ham);
  bool hit = false;
  for (int nloads = 0; nloads < 60; ++nloads) {
    Program first;
    first.insns.push_back(ham);
    for (int i = 0; i < nloads; ++i) first.insns.push_back(bitgrid::make_load(Buf::kQbuf, 0, 0, 0));
    first.insns.push_back(bitgrid::make_load(Buf::kRbuf, 0, wb, 0));  // illegal: bad_buffer
    Deps push_next, pop_prev;
    push_next.push_next = true;
    pop_prev.pop_prev = true;
    first.insns.push_back(bitgrid::make_load(Buf::kQbuf, 0, 0, 0, push_next));  // the finish waits for it
    first.insns.push_back(bitgrid::make_finish(pop_prev));
    const RtlRun r1 = run_rtl(hw, first, std::vector<uint8_t>(1024, 0));
    ASSERT_TRUE(r1.res.fault) << nloads;
    const uint64_t stop = r1.res.fault.cycle + 1;  // the last cycle the old job's RTL runs
    hit = hit || (stop + k > end && stop <= end);
    Program second;  // stores the hamtopk's k entries (rbuf 0..k-1) to DRAM: zeros
    Deps push, pop;
    push.push_prev = true;
    pop.pop_next = true;
    const uint64_t words = round_up(k, wb);
    second.insns.push_back(bitgrid::make_store(Buf::kRbuf, 0, words, 0, push));
    second.insns.push_back(bitgrid::make_finish(pop));
    const RtlRun r2 = run_rtl(hw, second, std::vector<uint8_t>(1024, 0x33));
    for (uint64_t b = 0; b < words * 8; ++b)
      ASSERT_EQ(r2.res.memory[b], 0) << "byte " << b << ", " << nloads << " loads";
  }
  EXPECT_TRUE(hit) << "no fault fell into the hamtopk's write cycles; adjust the test";
}

// A push above token_max is a machine fault (R10): the run ends in the cycle after it, as the oracle says.
TEST(RtlFaults, TokenOverflow) {
  const HwConfig hw = model_hw();
  Program p;
  Deps ld, nop;
  ld.push_next = true;
  for (long i = 0; i <= hw.token_max; ++i) p.insns.push_back(bitgrid::make_load(Buf::kQbuf, 0, 0, 0, ld));
  nop.pop_next = true;  // waits forever for s2c: nothing consumes l2c
  p.insns.push_back(bitgrid::make_nop(nop));
  p.insns.push_back(bitgrid::make_finish());
  const RtlRun r = run_rtl(hw, p, std::vector<uint8_t>(64));
  const bgtest::OracleResult want = bgtest::rule_oracle(hw, p, 64);
  EXPECT_EQ(r.res.fault.causes, 1u << static_cast<int>(bitgrid::isa::Fault::kTokenOverflow));
  EXPECT_EQ(r.res.fault.causes, want.fault.causes);
  EXPECT_EQ(r.res.fault.cycle, want.fault.cycle);
  EXPECT_EQ(r.res.cycles, want.cycles);
  EXPECT_EQ(r.res.fault.cycle + 1, r.res.cycles);
}

// Illegal instructions do not issue; error_o rises the cycle after the one they reach issue in (R10). The
// fault, its cycle and every instruction's timing are the oracle's, and nothing is written.
TEST(RtlFaults, IllegalInstructionsStopAtIssue) {
  const HwConfig hw = model_hw();
  const uint64_t wb = static_cast<uint64_t>(hw.beat_words());
  bitgrid::Insn unknown;  // the first opcode no instruction has
  uint64_t free_op = 0;
  while (bitgrid::isa::op_def(free_op) != nullptr) ++free_op;
  unknown.set(bitgrid::isa::kOpcodeField, free_op);
  Deps pop_prev, push_next;
  pop_prev.pop_prev = true;
  push_next.push_next = true;
  const std::vector<std::pair<bitgrid::Insn, bitgrid::isa::Fault>> cases = {
      {bitgrid::make_load(Buf::kRbuf, 0, wb, 0), bitgrid::isa::Fault::kBadBuffer},
      {bitgrid::make_store(Buf::kDbuf, 0, 2 * wb, 0), bitgrid::isa::Fault::kBadBuffer},
      {bitgrid::make_load(Buf::kQbuf, 0, wb, 0, pop_prev), bitgrid::isa::Fault::kBadTokenFlag},
      {bitgrid::make_store(Buf::kRbuf, 0, wb, 0, push_next), bitgrid::isa::Fault::kBadTokenFlag},
      {unknown, bitgrid::isa::Fault::kUnknownOpcode},
  };
  for (const auto& [bad, fault] : cases) {
    SCOPED_TRACE(bitgrid::disassemble(bad));
    Program p;
    p.insns.push_back(bitgrid::make_nop());
    p.insns.push_back(bad);
    p.insns.push_back(bitgrid::make_load(Buf::kQbuf, 0, wb, 0, push_next));
    p.insns.push_back(bitgrid::make_finish(pop_prev));
    std::vector<uint8_t> mem(1024, 0x5A);
    const RtlRun r = run_rtl(hw, p, mem);
    const bgtest::OracleResult want = bgtest::rule_oracle(hw, p, mem.size());
    EXPECT_EQ(r.res.fault.causes, 1u << static_cast<int>(fault));
    EXPECT_EQ(r.res.fault.causes, want.fault.causes);
    EXPECT_EQ(r.res.fault.cycle, want.fault.cycle);
    EXPECT_EQ(r.res.fault.insn, 1);
    EXPECT_EQ(r.res.cycles, want.cycles);
    EXPECT_EQ(r.res.memory, mem);
    ASSERT_EQ(r.info.insns.size(), want.recs.size());
    for (size_t i = 0; i < want.recs.size(); ++i) {
      EXPECT_EQ(r.info.insns[i].index, want.recs[i].index);
      EXPECT_EQ(r.info.insns[i].issue_cycle, want.recs[i].issue);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// The watchdog names the stuck heads.
TEST(RtlHarness, DeadlockIsReported) {
  const HwConfig hw = model_hw();
  Program p;
  Deps nop;
  nop.pop_prev = true;  // no load ever pushes l2c
  p.insns.push_back(bitgrid::make_nop(nop));
  p.insns.push_back(bitgrid::make_finish());
  bitgrid::SimOptions opt;
  opt.stall_cycles = 200;
  try {
    run_rtl(hw, p, std::vector<uint8_t>(64), opt);
    FAIL() << "expected a deadlock error";
  } catch (const bitgrid::Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("deadlock"), std::string::npos) << m;
    EXPECT_NE(m.find("compute queue"), std::string::npos) << m;
    EXPECT_NE(m.find("l2c"), std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  }
}

TEST(RtlHarness, MissingFinishIsReported) {
  Program p;
  p.insns.push_back(bitgrid::make_nop());
  EXPECT_THROW(run_rtl(model_hw(), p, std::vector<uint8_t>(64)), bitgrid::Error);
}

TEST(RtlHarness, CycleLimit) {
  Program p;
  for (int i = 0; i < 20; ++i) p.insns.push_back(bitgrid::make_nop());
  p.insns.push_back(bitgrid::make_finish());
  bitgrid::SimOptions opt;
  opt.max_cycles = 10;
  EXPECT_THROW(run_rtl(model_hw(), p, std::vector<uint8_t>(64), opt), bitgrid::Error);
  opt.max_cycles = 42;  // exactly the cycle count 2*20+2
  EXPECT_EQ(run_rtl(model_hw(), p, std::vector<uint8_t>(64), opt).res.cycles, 42u);
}

TEST(RtlHarness, DramAccessOutsideTheImageIsAnError) {
  const HwConfig hw = model_hw();
  Program p;
  p.insns.push_back(bitgrid::make_load(Buf::kQbuf, 0, static_cast<uint64_t>(hw.beat_words()), 4096));
  p.insns.push_back(bitgrid::make_finish());
  EXPECT_THROW(run_rtl(hw, p, std::vector<uint8_t>(64)), bitgrid::Error);
}

TEST(RtlHarness, RefusesOtherConfigs) {
  HwConfig other = model_hw();
  other.ham_lanes = other.ham_lanes == 1 ? 2 : other.ham_lanes / 2;
  Program p;
  p.insns.push_back(bitgrid::make_finish());
  EXPECT_THROW(bitgrid::rtl::run(other, p, std::vector<uint8_t>(64), {}), bitgrid::Error);
  // run_backend() also refuses a different dram_latency (the executable serves exactly its build config).
  HwConfig lat = model_hw();
  lat.dram_latency += 1;
  try {
    bitgrid::run_backend(lat, p, std::vector<uint8_t>(64), {});
    FAIL() << "expected a config error";
  } catch (const bitgrid::Error& e) {
    EXPECT_NE(std::string(e.what()).find("dram_latency"), std::string::npos) << e.what();
  }
  EXPECT_EQ(bitgrid::run_backend(model_hw(), p, std::vector<uint8_t>(64), {}).cycles, 2u);
  EXPECT_STREQ(bitgrid::backend_name(), "rtl");
}

TEST(RtlHarness, TraceFilesPerJob) {
  const HwConfig hw = model_hw();
  const bgtest::Workload w = bgtest::legal_workload(hw, 77, 2, 8);
  const std::string dir = ::testing::TempDir();
  for (const char* name : {"bitgrid_trace_a.fst", "bitgrid_trace_b.fst"}) {
    bitgrid::SimOptions opt;
    opt.trace_path = dir + name;
    std::remove(opt.trace_path.c_str());
    run_rtl(hw, w.prog, w.mem, opt);
    std::ifstream f(opt.trace_path, std::ios::binary | std::ios::ate);
    ASSERT_TRUE(f.good()) << opt.trace_path;
    EXPECT_GT(static_cast<long>(f.tellg()), 1000) << opt.trace_path;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Whole programs: DMA round trips through hamtopk and stores. Output memory equals the functional
// executor's; every instruction's timing equals the rule transcription (R1-R9); repeated jobs in one
// process give identical results.
TEST(RtlPrograms, RandomWorkloadsMatchExecutorAndRules) {
  for (uint32_t seed = 1; seed <= 12; ++seed) {
    for (long latency : {1L, 17L}) {
      SCOPED_TRACE("seed " + std::to_string(seed) + ", latency " + std::to_string(latency));
      const HwConfig hw = model_hw(latency);
      const bgtest::Workload w = bgtest::legal_workload(hw, seed, 1 + static_cast<int>(seed % 5));
      const RtlRun r = run_rtl(hw, w.prog, w.mem);
      const std::vector<uint8_t> want = bitgrid::execute(w.prog, hw, w.mem);
      ASSERT_EQ(r.res.memory.size(), want.size());
      size_t first_diff = want.size();
      for (size_t i = 0; i < want.size(); ++i)
        if (r.res.memory[i] != want[i]) {
          first_diff = i;
          break;
        }
      EXPECT_EQ(first_diff, want.size()) << "output memory differs from the executor at byte " << first_diff;
      expect_rules(hw, w.prog, r, w.mem.size());
    }
  }
}

TEST(RtlPrograms, RepeatedJobsAreIdentical) {
  const HwConfig hw = model_hw();
  const bgtest::Workload w = bgtest::legal_workload(hw, 99, 4);
  const RtlRun a = run_rtl(hw, w.prog, w.mem);
  const RtlRun b = run_rtl(hw, w.prog, w.mem);
  EXPECT_EQ(a.res.cycles, b.res.cycles);
  EXPECT_EQ(a.res.memory, b.res.memory);
  for (int u = 0; u < 3; ++u) EXPECT_EQ(a.res.units[u].busy_cycles, b.res.units[u].busy_cycles);
}

}  // namespace
