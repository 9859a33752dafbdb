// Per-unit timing of the SystemC model against the rules of docs/ARCHITECTURE.md §4, with expected
// values derived by hand (closed forms) or by replaying the rule on a separate DramModel.
#include <gtest/gtest.h>

#include <algorithm>

#include "scsim_util.h"

namespace bitgrid::scsim_test {
namespace {

using isa::Buf;

// R7 replayed on its own DramModel: returns E of one load of nb beats issued in cycle c0 on an idle bus.
uint64_t load_E_by_rule(const HwConfig& hw, uint64_t c0, uint64_t beats) {
  DramModel d(hw.dram_bytes_per_cycle, hw.dram_latency, std::vector<uint8_t>(beats * hw.dram_bytes_per_cycle, 0));
  const uint64_t BB = static_cast<uint64_t>(hw.burst_beats()), MO = static_cast<uint64_t>(hw.dma_max_outstanding);
  std::vector<uint64_t> req, last;
  uint64_t t = c0 + 1;
  for (uint64_t first = 0; first < beats; first += BB) {
    const uint64_t nb = std::min(BB, beats - first);
    // wait for a cycle with fewer than MO outstanding bursts
    for (;; ++t) {
      uint64_t out = 0;
      for (size_t i = 0; i < req.size(); ++i) out += (req[i] <= t && t <= last[i]);
      if (out < MO) break;
    }
    const uint64_t start = d.read(t, static_cast<uint32_t>(first * hw.dram_bytes_per_cycle), static_cast<uint32_t>(nb));
    req.push_back(t);
    last.push_back(start + nb - 1);
    ++t;
  }
  return last.back() - c0;
}

// One load of `beats` beats whose completion token releases finish: load issues in cycle 1, E cycles,
// token visible in 2+E, finish issues then: cycles = E + 3.
SimResult one_load(const HwConfig& hw, uint64_t beats) {
  Program p;
  p.insns.push_back(make_load(Buf::kDbuf, 0, beats * hw.beat_words(), 0, deps(false, false, false, true)));
  p.insns.push_back(make_finish(deps(true, false, false, false)));
  return run(hw, p, beats * hw.dram_bytes_per_cycle + 64);
}

TEST(ScsimLoad, ManyOutstandingIsBusLimited) {
  // dma_max_outstanding >= bursts: bursts are requested in c0+1, c0+2, ..., the bus is the limit:
  // beat 0 at c0+1+lat, the rest back to back: E = lat + NB.
  for (long lat : {1L, 7L, 100L})
    for (long burst : {32L, 64L, 256L})
      for (uint64_t beats : {1ull, 3ull, 8ull, 33ull}) {
        HwConfig hw = small_hw();
        hw.dram_latency = lat;
        hw.dram_burst_bytes = burst;
        hw.dma_max_outstanding = 64;
        const SimResult r = one_load(hw, beats);
        const uint64_t E = static_cast<uint64_t>(lat) + beats;
        EXPECT_EQ(r.units[0].busy_cycles, E) << "lat " << lat << " burst " << burst << " beats " << beats;
        EXPECT_EQ(r.cycles, E + 3) << "lat " << lat << " burst " << burst << " beats " << beats;
        EXPECT_EQ(r.dram.read_requests, (beats + hw.burst_beats() - 1) / hw.burst_beats());
        EXPECT_EQ(r.dram.read_bytes, beats * 32);
      }
}

TEST(ScsimLoad, OneOutstandingPaysLatencyPerBurst) {
  // dma_max_outstanding = 1: burst j+1 waits for burst j's last beat: E = bursts*lat + NB.
  for (long lat : {1L, 5L, 40L})
    for (uint64_t beats : {1ull, 8ull, 9ull, 20ull}) {
      HwConfig hw = small_hw();
      hw.dram_latency = lat;
      hw.dram_burst_bytes = 128;  // 4 beats
      hw.dma_max_outstanding = 1;
      const uint64_t bursts = (beats + 3) / 4;
      const SimResult r = one_load(hw, beats);
      EXPECT_EQ(r.units[0].busy_cycles, bursts * static_cast<uint64_t>(lat) + beats) << lat << " " << beats;
      EXPECT_EQ(r.cycles, bursts * static_cast<uint64_t>(lat) + beats + 3);
    }
}

TEST(ScsimLoad, TwoOutstandingByHand) {
  // BW 32, burst 32 (1 beat), 2 outstanding, latency 10, 5 beats, c0 = 1:
  //   req 2 -> beat 12; req 3 -> 13; req max(4, 12+1)=13 -> 23; req max(14, 13+1)=14 -> 24;
  //   req max(15, 23+1)=24 -> 34.  E = 34 - 1 = 33.
  HwConfig hw = small_hw();
  hw.dram_latency = 10;
  hw.dram_burst_bytes = 32;
  hw.dma_max_outstanding = 2;
  const SimResult r = one_load(hw, 5);
  EXPECT_EQ(r.units[0].busy_cycles, 33u);
  EXPECT_EQ(r.cycles, 36u);
}

TEST(ScsimLoad, MatchesRuleReplayOnDramModel) {
  for (long bw : {8L, 32L, 64L})
    for (long burst : {64L, 256L, 1024L})
      for (long mo : {1L, 2L, 3L, 16L})
        for (long lat : {1L, 13L, 60L})
          for (uint64_t beats : {1ull, 5ull, 64ull, 77ull}) {
            if (burst < bw) continue;
            HwConfig hw = small_hw();
            hw.dram_bytes_per_cycle = bw;
            hw.dram_burst_bytes = burst;
            hw.dma_max_outstanding = mo;
            hw.dram_latency = lat;
            hw.dbuf_kib = 64;
            const SimResult r = one_load(hw, beats);
            const uint64_t E = load_E_by_rule(hw, 1, beats);
            ASSERT_EQ(r.units[0].busy_cycles, E) << bw << " " << burst << " " << mo << " " << lat << " " << beats;
            ASSERT_EQ(r.cycles, E + 3);
          }
}

TEST(ScsimLoad, ZeroWordsTakesOneCycle) {
  HwConfig hw = small_hw();
  const SimResult r = one_load(hw, 0);
  EXPECT_EQ(r.units[0].busy_cycles, 1u);
  EXPECT_EQ(r.cycles, 4u);
  EXPECT_EQ(r.dram.read_requests, 0u);
}

TEST(ScsimStore, SingleStoreClosedForm) {
  // Store issues in cycle 1; beat b presented in 3+b, acknowledged lat later on an idle bus:
  // E = NB + 1 + lat; finish (pop_next on s2c) issues in 1+E+1: cycles = E + 3.
  for (long lat : {1L, 9L, 100L})
    for (uint64_t beats : {0ull, 1ull, 2ull, 17ull}) {
      HwConfig hw = small_hw();
      hw.dram_latency = lat;
      Program p;
      p.insns.push_back(make_store(Buf::kRbuf, 0, beats * hw.beat_words(), 0, deps(false, false, true, false)));
      p.insns.push_back(make_finish(deps(false, true, false, false)));
      const SimResult r = run(hw, p, 4096);
      const uint64_t E = beats ? beats + 1 + static_cast<uint64_t>(lat) : 1;
      EXPECT_EQ(r.units[2].busy_cycles, E) << lat << " " << beats;
      EXPECT_EQ(r.cycles, E + 3) << lat << " " << beats;
      EXPECT_EQ(r.dram.write_beats, beats);
    }
}

TEST(ScsimDram, WriteBeatGoesBeforeReadOfTheSameCycle) {
  // store (3 beats, issued in 1, beats in 3,4,5) and load (2 beats, one burst, issued in 2, request in 3).
  // Cycle 3: the write takes slot 3+lat, then the read starts at 4+lat (beats 4+lat, 5+lat); store
  // beats 1 and 2 queue behind it: acks 6+lat, 7+lat. With lat 5: store ends 12 (E 11), load ends 10
  // (E 8); finish pops both tokens and issues in 13: cycles 14. (Read-first order would give 13.)
  HwConfig hw = small_hw();
  hw.dram_latency = 5;
  hw.dma_max_outstanding = 4;
  Program p;
  p.insns.push_back(make_store(Buf::kRbuf, 0, 3 * hw.beat_words(), 0, deps(false, false, true, false)));
  p.insns.push_back(make_load(Buf::kDbuf, 0, 2 * hw.beat_words(), 1024, deps(false, false, false, true)));
  p.insns.push_back(make_finish(deps(true, true, false, false)));
  const SimResult r = run(hw, p, 4096);
  EXPECT_EQ(r.units[2].busy_cycles, 11u);
  EXPECT_EQ(r.units[0].busy_cycles, 8u);
  EXPECT_EQ(r.cycles, 14u);
  EXPECT_EQ(r.dram.bus_busy_cycles, 5u);
}

isa::HamtopkInsn ham(bool init, uint64_t k, uint64_t cw, uint64_t n) {
  isa::HamtopkInsn h;
  h.init = init;
  h.k = k;
  h.code_words = cw;
  h.n_codes = n;
  return h;
}

TEST(ScsimCompute, HamtopkExecutionTime) {
  // hamtopk issues in cycle 1 and runs E = (init ? 0 : k) + G*S + k + 4; finish follows in 1+E+1.
  for (long lanes : {1L, 8L, 16L})
    for (long bits : {64L, 256L})
      for (uint64_t cw : {1ull, 3ull, 4ull, 16ull})
        for (uint64_t n : {1ull, 7ull, 8ull, 100ull})
          for (uint64_t k : {1ull, 10ull})
            for (bool init : {true, false}) {
              HwConfig hw = small_hw();
              hw.ham_lanes = lanes;
              hw.ham_bits_per_lane = bits;
              Program p;
              p.insns.push_back(hamtopk(ham(init, k, cw, n)));
              const uint64_t E = bgtest::oracle_engine_cycles(hw, p.insns[0]);  // R9
              p.insns.push_back(make_finish());
              const SimResult r = run(hw, p, 64);
              ASSERT_EQ(r.units[1].busy_cycles, E);
              ASSERT_EQ(r.cycles, E + 3);
              ASSERT_EQ(r.units[1].insns, 2u);
            }
}

TEST(ScsimCompute, NopsAreTwoCyclesApart) {
  // E = 1, so back-to-back nops issue every 2 cycles: 1, 3, ..., 2N-1; finish in 2N+1.
  HwConfig hw = small_hw();
  for (int n : {1, 5, 40}) {
    Program p;
    for (int i = 0; i < n; ++i) p.insns.push_back(make_nop());
    p.insns.push_back(make_finish());
    const SimResult r = run(hw, p, 64);
    EXPECT_EQ(r.cycles, 2u * n + 2);
    EXPECT_EQ(r.units[1].busy_cycles, static_cast<uint64_t>(n));
  }
}

TEST(ScsimController, DispatchBlocksOnFullQueue) {
  // 5 nops, a load (4 beats, lat 10, E 14) pushing l2c, finish popping it. Worked through R1/R2 by hand:
  // queue_depth 2: the dispatcher waits for room behind the nops, accepts the load in cycle 7, the load
  //   issues in 8, ends in 22, finish issues in 23: 24 cycles.
  // queue_depth 8: the load is accepted in 5, issues in 6, ends in 20, finish in 21: 22 cycles.
  for (long depth : {2L, 8L}) {
    HwConfig hw = small_hw();
    hw.queue_depth = depth;
    hw.dram_latency = 10;
    Program p;
    for (int i = 0; i < 5; ++i) p.insns.push_back(make_nop());
    p.insns.push_back(make_load(Buf::kDbuf, 0, 4 * hw.beat_words(), 0, deps(false, false, false, true)));
    p.insns.push_back(make_finish(deps(true, false, false, false)));
    const SimResult r = run(hw, p, 4096);
    EXPECT_EQ(r.units[0].busy_cycles, 14u);
    EXPECT_EQ(r.cycles, depth == 2 ? 24u : 22u) << "queue_depth " << depth;
  }
}

TEST(ScsimController, PopDoesNotMakeRoomInTheSameCycle) {
  // queue_depth 2: hamtopk (k=1, init, cw=1, n=128, 8 lanes: G*S=16, E=21), 3 nops, a load of 4 beats
  // (lat 20: E=24) pushing l2c, finish popping it. By hand (R1, R2):
  //   0 accept ham; 1 accept nop0, ham issues (ends 22); 2 accept nop1 (occupancy 2 from 3 on);
  //   nop2 presented from 3, blocked; 23 nop0 issues (pop at the end of 23: no room in 23);
  //   24 accept nop2; 25 accept load, nop1 issues; 26 accept finish, load issues (ends 50);
  //   27 nop2 issues (ends 28); finish waits for l2c (visible in 51) and issues in 51: 52 cycles.
  // (If the pop of cycle 23 made room in 23, the load would issue in 25 and the run take 51 cycles.)
  HwConfig hw = small_hw();
  hw.queue_depth = 2;
  hw.dram_latency = 20;
  Program p;
  p.insns.push_back(hamtopk(ham(true, 1, 1, 128)));
  for (int i = 0; i < 3; ++i) p.insns.push_back(make_nop());
  p.insns.push_back(make_load(Buf::kDbuf, 0, 4 * hw.beat_words(), 0, deps(false, false, false, true)));
  p.insns.push_back(make_finish(deps(true, false, false, false)));
  const SimResult r = run(hw, p, 4096);
  EXPECT_EQ(r.units[0].busy_cycles, 24u);
  EXPECT_EQ(r.units[1].busy_cycles, 24u);
  EXPECT_EQ(r.cycles, 52u);
}

TEST(ScsimController, TokenChainClosedForm) {
  // load -> hamtopk -> store -> finish, each waiting for its predecessor's token:
  // load 1..1+EL, hamtopk issues 2+EL, store 3+EL+EH, finish 4+EL+EH+ES: cycles 5+EL+EH+ES.
  HwConfig hw = small_hw();
  hw.dram_latency = 30;
  const uint64_t NBl = 16, NBs = 2;
  Program p;
  p.insns.push_back(make_load(Buf::kDbuf, 0, NBl * hw.beat_words(), 0, deps(false, false, false, true)));
  p.insns.push_back(hamtopk(ham(true, 8, 2, 32), deps(true, false, false, true)));
  p.insns.push_back(make_store(Buf::kRbuf, 0, NBs * hw.beat_words(), 8192, deps(true, false, true, false)));
  p.insns.push_back(make_finish(deps(false, true, false, false)));
  const SimResult r = run(hw, p, 16384);
  const uint64_t EL = 30 + NBl, EH = 0 + 4 * 2 + 8 + 4, ES = NBs + 1 + 30;
  EXPECT_EQ(r.units[0].busy_cycles, EL);
  EXPECT_EQ(r.units[1].busy_cycles, EH);
  EXPECT_EQ(r.units[2].busy_cycles, ES);
  EXPECT_EQ(r.cycles, 5 + EL + EH + ES);
  EXPECT_EQ(r.units[0].insns, 1u);
  EXPECT_EQ(r.units[1].insns, 2u);
  EXPECT_EQ(r.units[2].insns, 1u);
}

TEST(ScsimController, FinishEndsTheRunWhileUnitsAreBusy) {
  // finish does not wait for the load: it issues in cycle 2, cycles = 3. The job covers cycles 0..2:
  // the load (issued in 1) was busy in cycle 2 only and made its first request in 2.
  HwConfig hw = small_hw();
  Program p;
  p.insns.push_back(make_load(Buf::kDbuf, 0, 64 * hw.beat_words(), 0));
  p.insns.push_back(make_finish());
  const SimResult r = run(hw, p, 64 * 32);
  EXPECT_EQ(r.cycles, 3u);
  EXPECT_EQ(r.units[0].busy_cycles, 1u);
  EXPECT_EQ(r.dram.read_requests, 1u);
}

TEST(ScsimErrors, DeadlockNamesTheStuckHeads) {
  HwConfig hw = small_hw();
  Program p;
  p.insns.push_back(make_nop(deps(true, false, false, false)));                         // waits for l2c forever
  p.insns.push_back(make_store(Buf::kRbuf, 0, 0, 0, deps(true, false, false, false)));  // waits for c2s
  p.insns.push_back(make_finish());
  SimOptions opt;
  opt.stall_cycles = 1000;
  try {
    run(hw, p, 64, opt);
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("deadlock"), std::string::npos) << msg;
    EXPECT_NE(msg.find("compute queue"), std::string::npos) << msg;
    EXPECT_NE(msg.find("nop"), std::string::npos) << msg;
    EXPECT_NE(msg.find("l2c"), std::string::npos) << msg;
    EXPECT_NE(msg.find("store queue"), std::string::npos) << msg;
    EXPECT_NE(msg.find("c2s"), std::string::npos) << msg;
  }
}

TEST(ScsimErrors, MaxCycles) {
  HwConfig hw = small_hw();
  Program p;
  p.insns.push_back(make_load(Buf::kDbuf, 0, 64 * hw.beat_words(), 0, deps(false, false, false, true)));
  p.insns.push_back(make_finish(deps(true, false, false, false)));
  SimOptions opt;
  // E = 20 + 64 = 84, cycles = 87: a limit of 87 passes, 86 does not
  opt.max_cycles = 87;
  EXPECT_EQ(run(hw, p, 64 * 32, opt).cycles, 87u);
  opt.max_cycles = 86;
  EXPECT_THROW(run(hw, p, 64 * 32, opt), Error);
}

// A token push above token_max is a machine fault: the run stops in that cycle with the fault, as the
// oracle (and the RTL) do.
TEST(ScsimFaults, TokenOverflow) {
  HwConfig hw = small_hw();
  hw.token_max = 1;
  Program p;
  p.insns.push_back(hamtopk(ham(true, 1, 1, 800)));  // keeps the compute unit busy
  p.insns.push_back(make_load(Buf::kDbuf, 0, 0, 0, deps(false, false, false, true)));
  p.insns.push_back(make_load(Buf::kDbuf, 0, 0, 0, deps(false, false, false, true)));
  p.insns.push_back(make_nop(deps(true, false, false, false)));
  p.insns.push_back(make_nop(deps(true, false, false, false)));
  p.insns.push_back(make_finish());
  const SimResult r = run(hw, p, 64);
  const bgtest::OracleResult want = bgtest::rule_oracle(hw, p, 64);
  EXPECT_EQ(r.fault.causes, 1u << static_cast<int>(isa::Fault::kTokenOverflow));
  EXPECT_EQ(want.fault.causes, r.fault.causes);
  EXPECT_EQ(r.fault.cycle, want.fault.cycle);
  EXPECT_EQ(r.cycles, want.cycles);
  EXPECT_EQ(r.fault.insn, 2);  // the second load's push
  EXPECT_NE(r.fault.describe(p).find("token_overflow"), std::string::npos) << r.fault.describe(p);
}

// Illegal instructions stop the machine when they reach issue, without issuing or writing; the cycle
// and the cause are the oracle's.
TEST(ScsimFaults, IllegalInstructionsStopAtIssue) {
  HwConfig hw = small_hw();
  Insn unknown;  // the first opcode value no instruction has
  uint64_t free_op = 0;
  while (isa::op_def(free_op) != nullptr) ++free_op;
  unknown.set(isa::kOpcodeField, free_op);
  const std::vector<std::pair<Insn, isa::Fault>> cases = {
      {make_load(Buf::kRbuf, 0, 8, 0), isa::Fault::kBadBuffer},
      {make_store(Buf::kDbuf, 0, 8, 0), isa::Fault::kBadBuffer},
      {make_load(Buf::kQbuf, 0, 8, 0, deps(true, false, false, false)), isa::Fault::kBadTokenFlag},
      {make_store(Buf::kRbuf, 0, 8, 0, deps(false, false, false, true)), isa::Fault::kBadTokenFlag},
      {unknown, isa::Fault::kUnknownOpcode},
  };
  for (const auto& [bad, fault] : cases) {
    // The finish waits for the good load, which is behind the bad instruction on the load queue or
    // runs beside it.
    Program p;
    p.insns.push_back(make_nop());
    p.insns.push_back(bad);
    p.insns.push_back(make_load(Buf::kQbuf, 0, 8, 0, deps(false, false, false, true)));
    p.insns.push_back(make_finish(deps(true, false, false, false)));
    std::vector<uint8_t> mem(4096, 0x11);
    const SimResult r = run(hw, p, mem);
    const bgtest::OracleResult want = bgtest::rule_oracle(hw, p, 4096);
    SCOPED_TRACE(disassemble(bad));
    EXPECT_EQ(r.fault.causes, 1u << static_cast<int>(fault));
    EXPECT_EQ(want.fault.causes, r.fault.causes);
    EXPECT_EQ(r.fault.cycle, want.fault.cycle);
    EXPECT_EQ(r.fault.insn, 1);
    EXPECT_EQ(r.cycles, want.cycles);
    EXPECT_EQ(r.memory, mem);  // nothing was stored
    for (int u = 0; u < 3; ++u) EXPECT_EQ(r.units[u].insns, want.units[u].insns) << u;
  }
}

TEST(ScsimErrors, BadJobs) {
  HwConfig hw = small_hw();
  Program p;
  p.insns.push_back(make_load(Buf::kDbuf, 0, 8, 4096));  // past a 4096-byte image
  p.insns.push_back(make_finish());
  EXPECT_THROW(run(hw, p, 4096), Error);
  Program q;
  q.insns.push_back(make_load(Buf::kDbuf, 3, 8, 0));  // not beat aligned
  q.insns.push_back(make_finish());
  EXPECT_THROW(run(hw, q, 4096), Error);
}

TEST(ScsimBackend, RepeatedJobsAreIndependent) {
  HwConfig a = small_hw(), b = small_hw();
  b.dram_latency = 3;
  b.queue_depth = 4;
  Program p;
  p.insns.push_back(make_load(Buf::kDbuf, 0, 32 * a.beat_words(), 0, deps(false, false, false, true)));
  p.insns.push_back(hamtopk(ham(true, 4, 1, 64), deps(true, false, false, true)));
  p.insns.push_back(make_store(Buf::kRbuf, 0, 4, 2048, deps(true, false, true, false)));
  p.insns.push_back(make_finish(deps(false, true, false, false)));
  const SimResult r1 = run(a, p, 4096);
  const SimResult r2 = run(b, p, 4096);
  const SimResult r3 = run(a, p, 4096);
  EXPECT_EQ(r1.cycles, r3.cycles);
  EXPECT_NE(r1.cycles, r2.cycles);
  EXPECT_EQ(r1.memory, r3.memory);
  EXPECT_EQ(r1.dram.bus_busy_cycles, r3.dram.bus_busy_cycles);
  EXPECT_EQ(r1.units[0].busy_cycles, r3.units[0].busy_cycles);
  EXPECT_STREQ(backend_name(), "systemc");
}

}  // namespace
}  // namespace bitgrid::scsim_test
