// rtl/controller.sv (QueueDepth 4, TokenMax 7; the -G values of tests/rtl/CMakeLists.txt) against a
// cycle-by-cycle C++ transcription of rules R1-R4 of docs/ARCHITECTURE.md, on random token-correct
// instruction streams. The three units are emulated in C++: each instruction carries an id (bits 95:64)
// by which the emulated unit looks up its fixed random execution time E; a unit that is issued in c is
// busy (idle_i = 0) in c+1 .. c+E and signals complete_i in c+E. Every cycle the test compares
// insn_ready_o (R1), the issue of each unit and the issued instruction (R2), the occupancy registers,
// the four token counters (R3) and done_o (R4) with the reference; error_o must stay 0.
#include <gtest/gtest.h>

#include <array>
#include <deque>
#include <memory>
#include <random>
#include <vector>

#include "Vdut.h"
#include "rtl_test_util.h"

namespace {

using namespace bgtest;

constexpr unsigned kDepth = 4, kTokenMax = 7, kCntW = 3;
constexpr unsigned kOpNop = 0, kOpLoad = 1, kOpStore = 2, kOpHamtopk = 3, kOpFinish = 15;
enum Tok { kL2C = 0, kC2L = 1, kC2S = 2, kS2C = 3 };
enum Unit { kLd = 0, kCu = 1, kSt = 2 };

struct Insn {
  unsigned op = kOpNop;
  bool pop_prev = false, pop_next = false, push_prev = false, push_next = false;
  unsigned e = 1;  // execution time of the emulated unit
  Unit unit() const { return op == kOpLoad ? kLd : op == kOpStore ? kSt : kCu; }
  // Token counters this instruction pops / pushes (-1: none), by unit and flag.
  int pop_a() const {
    return unit() == kLd ? (pop_next ? kC2L : -1) : unit() == kSt ? (pop_prev ? kC2S : -1) : (pop_prev ? kL2C : -1);
  }
  int pop_b() const { return unit() == kCu && pop_next ? kS2C : -1; }
  int push_a() const {
    return unit() == kLd ? (push_next ? kL2C : -1) : unit() == kSt ? (push_prev ? kS2C : -1) : (push_prev ? kC2L : -1);
  }
  int push_b() const { return unit() == kCu && push_next ? kC2S : -1; }
};

// Per-cycle state of the rules (the reference), independent of the DUT.
struct RefCycle {
  bool ready = false;                    // R1: presented instruction accepted this cycle
  std::array<int, 3> issue{-1, -1, -1};  // R2: index of the instruction each unit issues (-1: none)
  std::array<unsigned, 3> occ{};         // occupancy at the start of the cycle
  std::array<unsigned, 4> tok{};         // token counters at the start of the cycle
  bool done = false;
};

// Runs R1-R4 on `prog`; returns false if the program overflows a counter or does not finish.
bool reference(const std::vector<Insn>& prog, std::vector<RefCycle>& trace) {
  std::array<std::deque<int>, 3> q;
  std::array<unsigned, 4> tok{};
  struct U {
    bool busy = false;
    uint64_t end = 0;
    int insn = -1;
  };
  std::array<U, 3> unit;
  bool done = false;
  int after_done = 0;
  size_t next = 0;
  trace.clear();
  for (uint64_t c = 0; c < 20000; ++c) {
    RefCycle rc;
    rc.done = done;
    rc.tok = tok;
    for (int u = 0; u < 3; ++u) rc.occ[u] = static_cast<unsigned>(q[u].size());
    // R4: the run ends at done. The DUT is checked for a few more cycles, in which (controller.sv) nothing
    // issues while instructions still in flight complete and push their tokens.
    if (done && ++after_done > 5) return true;
    // R1
    int accepted = -1;
    if (next < prog.size() && q[prog[next].unit()].size() < kDepth) {
      rc.ready = true;
      accepted = static_cast<int>(next);
    }
    // R2 (start-of-cycle values)
    std::array<int, 4> pops{}, pushes{};
    bool finish_now = false;
    for (int u = 0; u < 3; ++u) {
      if (done || unit[u].busy || q[u].empty()) continue;
      const Insn& in = prog[q[u].front()];
      if (in.pop_a() >= 0 && tok[in.pop_a()] == 0) continue;
      if (in.pop_b() >= 0 && tok[in.pop_b()] == 0) continue;
      rc.issue[u] = q[u].front();
    }
    // Completions in this cycle push at its end.
    for (int u = 0; u < 3; ++u)
      if (unit[u].busy && unit[u].end == c) {
        const Insn& in = prog[unit[u].insn];
        if (in.push_a() >= 0) ++pushes[in.push_a()];
        if (in.push_b() >= 0) ++pushes[in.push_b()];
        unit[u].busy = false;
      }
    for (int u = 0; u < 3; ++u) {
      if (rc.issue[u] < 0) continue;
      const Insn& in = prog[rc.issue[u]];
      q[u].pop_front();
      if (in.pop_a() >= 0) ++pops[in.pop_a()];
      if (in.pop_b() >= 0) ++pops[in.pop_b()];
      if (in.op == kOpFinish) {
        finish_now = true;
      } else {
        unit[u] = {true, c + in.e, rc.issue[u]};
      }
    }
    // R3: pushes and pops of one cycle net out.
    for (int t = 0; t < 4; ++t) {
      const int v = static_cast<int>(tok[t]) + pushes[t] - pops[t];
      if (v > static_cast<int>(kTokenMax)) return false;
      tok[t] = static_cast<unsigned>(v);
    }
    if (accepted >= 0) {
      q[prog[next].unit()].push_back(accepted);
      ++next;
    }
    if (finish_now) done = true;  // R4: done from c+1
    trace.push_back(rc);
  }
  return false;
}

// Random program whose pops are all covered by pushes of earlier instructions (so it cannot deadlock),
// ending with finish.
std::vector<Insn> random_program(std::mt19937_64& rng, int n, unsigned max_e) {
  std::uniform_real_distribution<double> u01(0, 1);
  std::array<int, 4> po{};  // program-order token balance
  auto want = [&](int t, double p) { return po[t] > 0 && u01(rng) < p; };
  auto push_p = [&](int t) { return u01(rng) < (po[t] >= 3 ? 0.2 : 0.7); };
  std::vector<Insn> prog;
  for (int i = 0; i < n; ++i) {
    Insn in;
    const double r = u01(rng);
    in.e = (rng() % 8 == 0) ? 1 + static_cast<unsigned>(rng() % (3 * max_e)) : 1 + static_cast<unsigned>(rng() % max_e);
    if (r < 0.35) {
      in.op = kOpLoad;
      in.pop_next = want(kC2L, 0.9);
      in.push_next = push_p(kL2C);
    } else if (r < 0.75) {
      in.op = (rng() % 3 == 0) ? kOpNop : kOpHamtopk;
      in.pop_prev = want(kL2C, 0.9);
      in.pop_next = want(kS2C, 0.9);
      in.push_prev = push_p(kC2L);
      in.push_next = push_p(kC2S);
    } else {
      in.op = kOpStore;
      in.pop_prev = want(kC2S, 0.9);
      in.push_prev = push_p(kS2C);
    }
    if (in.pop_a() >= 0) --po[in.pop_a()];
    if (in.pop_b() >= 0) --po[in.pop_b()];
    if (in.push_a() >= 0) ++po[in.push_a()];
    if (in.push_b() >= 0) ++po[in.push_b()];
    prog.push_back(in);
  }
  Insn fin;
  fin.op = kOpFinish;
  fin.pop_prev = po[kL2C] > 0 && rng() % 2;
  fin.pop_next = po[kS2C] > 0;  // wait for the last store, as the compiler does
  prog.push_back(fin);
  return prog;
}

struct Stats {
  uint64_t programs = 0, rejected = 0, cycles = 0, stalls = 0, token_waits = 0, same_cycle_issues = 0;
  unsigned max_tok = 0;
};

void set_insn(VlWide<4>& port, const Insn& in, unsigned id) {
  for (unsigned w = 0; w < 2; ++w) set_word(port, w, 0);
  set_bits(port, 0, 4, in.op);
  set_bits(port, 4, 1, in.pop_prev);
  set_bits(port, 5, 1, in.pop_next);
  set_bits(port, 6, 1, in.push_prev);
  set_bits(port, 7, 1, in.push_next);
  set_bits(port, 64, 32, id);
}

// Drives the DUT with `prog` and the emulated units; compares with `trace` every cycle.
void run_dut(const std::vector<Insn>& prog, const std::vector<RefCycle>& trace, Stats& st) {
  Clocked<Vdut> sim;
  struct U {
    bool busy = false;
    uint64_t end = 0;
  };
  std::array<U, 3> unit;
  size_t next = 0;
  for (uint64_t c = 0; c < trace.size(); ++c) {
    const RefCycle& rc = trace[c];
    ASSERT_EQ(sim.cycle(), c);
    sim->insn_valid_i = next < prog.size();
    if (next < prog.size()) set_insn(sim->insn_i, prog[next], static_cast<unsigned>(next));
    sim->ld_idle_i = !unit[kLd].busy;
    sim->cu_idle_i = !unit[kCu].busy;
    sim->st_idle_i = !unit[kSt].busy;
    sim->ld_complete_i = unit[kLd].busy && unit[kLd].end == c;
    sim->cu_complete_i = unit[kCu].busy && unit[kCu].end == c;
    sim->st_complete_i = unit[kSt].busy && unit[kSt].end == c;
    sim->ld_error_i = 0;
    sim->st_error_i = 0;
    sim.settle();
    ASSERT_EQ(sim->done_o, rc.done) << "done_o, cycle " << c;
    ASSERT_EQ(sim->error_o, 0u) << "cycle " << c << " cause " << unsigned{sim->err_cause_o};
    for (int u = 0; u < 3; ++u)
      ASSERT_EQ(get_bits(sim->occ_o, kCntW * u, kCntW), rc.occ[u]) << "occupancy of queue " << u << ", cycle " << c;
    for (int t = 0; t < 4; ++t) {
      ASSERT_EQ(get_bits(sim->tokens_o, 8 * t, 8), rc.tok[t])
          << "token counter " << t << ", cycle " << c << (rc.done ? " (after done)" : "");
      st.max_tok = std::max(st.max_tok, rc.tok[t]);
    }
    if (next < prog.size()) {
      ASSERT_EQ(sim->insn_ready_o, rc.ready) << "insn_ready_o for insn " << next << ", cycle " << c;
      if (!rc.ready) ++st.stalls;
    }
    const uint8_t issue_pins[3] = {sim->ld_issue_o, sim->cu_issue_o, sim->st_issue_o};
    int n_issued = 0;
    for (int u = 0; u < 3; ++u) {
      const int exp = rc.issue[u];
      ASSERT_EQ(get_bits(sim->issue_o, u, 1), exp >= 0) << "issue_o of unit " << u << ", cycle " << c;
      const bool to_unit = exp >= 0 && prog[exp].op != kOpFinish;
      ASSERT_EQ(issue_pins[u], to_unit) << "issue of unit " << u << ", cycle " << c;
      if (exp >= 0) ++n_issued;
      if (!to_unit) continue;
      const VlWide<4>& ip = u == kLd ? sim->ld_insn_o : u == kCu ? sim->cu_insn_o : sim->st_insn_o;
      const unsigned id = static_cast<unsigned>(get_bits(ip, 64, 32));
      ASSERT_EQ(id, static_cast<unsigned>(exp)) << "instruction issued to unit " << u << ", cycle " << c;
      ASSERT_EQ(get_bits(ip, 0, 8), get_bits(sim->heads_o, 8 * u, 8));
      unit[u] = {true, c + prog[id].e};
    }
    if (n_issued > 1) ++st.same_cycle_issues;
    // A unit whose head waits for a token only.
    for (int u = 0; u < 3; ++u) {
      if (rc.issue[u] < 0 && !unit[u].busy && rc.occ[u] > 0 && !rc.done) ++st.token_waits;
    }
    for (int u = 0; u < 3; ++u)
      if (unit[u].busy && unit[u].end == c) unit[u].busy = false;
    if (next < prog.size() && sim->insn_ready_o) ++next;
    sim.edge();
  }
  st.cycles += trace.size();
}

void random_programs(uint64_t seed, int count, int len, unsigned max_e, Stats& st) {
  std::mt19937_64 rng(seed);
  std::vector<RefCycle> trace;
  while (st.programs < static_cast<uint64_t>(count)) {
    const auto prog = random_program(rng, len, max_e);
    if (!reference(prog, trace)) {
      ++st.rejected;
      ASSERT_LT(st.rejected, 10u * count + 100) << "generator produces too many invalid programs";
      continue;
    }
    ++st.programs;
    run_dut(prog, trace, st);
    if (::testing::Test::HasFatalFailure()) {
      ADD_FAILURE() << "program " << st.programs - 1 << " (seed " << seed << ")";
      return;
    }
  }
}

// Runs `prog` with E = 1 units for `cycles` cycles (ld_error_i high in cycle `unit_err_cycle`); returns
// err_cause_o at the end and checks that error_o was 0 until `first_error_cycle` and 1 from then on.
unsigned run_for_error(const std::vector<Insn>& prog, int cycles, int first_error_cycle, int unit_err_cycle = -1) {
  Clocked<Vdut> sim;
  std::array<bool, 3> busy{};
  size_t next = 0;
  for (int c = 0; c < cycles; ++c) {
    sim->insn_valid_i = next < prog.size();
    if (next < prog.size()) set_insn(sim->insn_i, prog[next], static_cast<unsigned>(next));
    sim->ld_idle_i = !busy[kLd];
    sim->cu_idle_i = !busy[kCu];
    sim->st_idle_i = !busy[kSt];
    sim->ld_complete_i = busy[kLd];
    sim->cu_complete_i = busy[kCu];
    sim->st_complete_i = busy[kSt];
    sim->ld_error_i = c == unit_err_cycle;
    sim->st_error_i = 0;
    sim.settle();
    EXPECT_EQ(sim->error_o, c >= first_error_cycle) << "cycle " << c;
    busy = {sim->ld_issue_o != 0, sim->cu_issue_o != 0, sim->st_issue_o != 0};
    if (next < prog.size() && sim->insn_ready_o) ++next;
    sim.edge();
  }
  sim.settle();
  return sim->err_cause_o;
}

TEST(Controller, TokenOverflowIsAnError) {
  // TokenMax + 1 loads pushing l2c, nothing popping it. With E = 1 the load unit issues every second cycle
  // (R2): load i is issued in 1+2i and completes in 2+2i, so the (TokenMax+1)-th push is at the end of
  // cycle 2+2*TokenMax and error_o (a register) is 1 from the next cycle on.
  Insn ld;
  ld.op = kOpLoad;
  ld.push_next = true;
  std::vector<Insn> prog(kTokenMax + 1, ld);
  EXPECT_EQ(run_for_error(prog, 30, 2 * kTokenMax + 3), 1u);
  prog.pop_back();
  EXPECT_EQ(run_for_error(prog, 30, 1000), 0u);  // exactly TokenMax is fine
}

TEST(Controller, BadFlagsOpcodeAndUnitErrors) {
  Insn bad_ld;
  bad_ld.op = kOpLoad;
  bad_ld.push_prev = true;                        // loads have no previous unit
  EXPECT_EQ(run_for_error({bad_ld}, 10, 2), 2u);  // issued in cycle 1
  Insn bad_st2;
  bad_st2.op = kOpStore;
  bad_st2.push_next = true;
  EXPECT_EQ(run_for_error({bad_st2}, 10, 2), 2u);
  Insn bad_op;
  bad_op.op = 5;
  EXPECT_EQ(run_for_error({bad_op}, 10, 2), 4u);
  Insn nop;
  EXPECT_EQ(run_for_error({nop}, 10, 4, 3), 8u);  // ld_error_i in cycle 3
}

TEST(Controller, RandomProgramsShortE) {
  Stats st;
  random_programs(1, 200, 40, 3, st);
  EXPECT_GT(st.stalls, 100u);
  EXPECT_GT(st.token_waits, 100u);
  EXPECT_GT(st.same_cycle_issues, 100u);
  std::printf("programs %lu (rejected %lu), cycles %lu, stalls %lu, token waits %lu, max token %u\n",
              (unsigned long)st.programs, (unsigned long)st.rejected, (unsigned long)st.cycles,
              (unsigned long)st.stalls, (unsigned long)st.token_waits, st.max_tok);
}

TEST(Controller, RandomProgramsLongE) {
  Stats st;
  random_programs(2, 150, 60, 12, st);
  EXPECT_GT(st.stalls, 100u);
  std::printf("programs %lu (rejected %lu), cycles %lu, stalls %lu, token waits %lu, max token %u\n",
              (unsigned long)st.programs, (unsigned long)st.rejected, (unsigned long)st.cycles,
              (unsigned long)st.stalls, (unsigned long)st.token_waits, st.max_tok);
}

}  // namespace
