// rtl/bg_controller.sv (QueueDepth 4, TokenMax 7; the -G values of tests/rtl/CMakeLists.txt) against a
// cycle-by-cycle C++ transcription of rules R1-R4 of docs/ARCHITECTURE.md and of the machine faults
// (configs/isa/spine.yaml), on random instruction streams, with and without illegal instructions.
//
// Instructions are built with the generated encoders (bitgrid/gen/isa.h); queues and token routing come
// from isa::kPopToken / kPushToken, fault bits from isa::Fault. The three units are emulated in C++: each
// load, store and hamtopk carries its program index in a real field (LoadInsn/StoreInsn::dram_addr,
// HamtopkInsn::base_index), by which the emulated unit, decoding an instruction with the generated
// decoder, finds its execution time E (decoding its queue's head_o at issue) and the fault bits it reports
// for it (fault_i, for the presented insn_i: the slice of the instruction's queue; the other units' slices
// are random and must be ignored); a nop takes E = 1 (R5); an undefined opcode is fault unknown_opcode
// of the compute unit. A unit issued in c is busy (idle_i = 0) in c+1 .. c+E and signals complete_i in c+E.
//
// Every cycle the test compares insn_ready_o (R1), the issue of each queue (issued_o, and issue_o, which
// excludes finish) and the issued instruction (head_o), the occupancy registers, the token counters (R3),
// done_o (R4), error_o and cause_o with the reference. Faults: a head that could issue but is illegal (a
// token flag towards a queue that does not exist, or its unit's fault_i) does not issue and pops nothing;
// a token counter above TokenMax after a cycle's pushes is a fault too; the cycle's fault bits are recorded
// in cause_o, error_o is 1 from the next cycle on, and nothing issues after (done_o likewise after finish).
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <deque>
#include <random>
#include <vector>

#include "Vdut.h"
#include "rtl_test_util.h"

namespace {

using namespace bgtest;
namespace isa = bitgrid::isa;

constexpr unsigned kDepth = 4, kTokenMax = 7, kCntW = 3;
constexpr int kNQ = isa::kNumQueues, kNT = isa::kNumTokens, kNF = isa::kNumFaults;
constexpr int kLd = static_cast<int>(isa::Queue::kLoad);
constexpr int kCu = static_cast<int>(isa::Queue::kCompute);
constexpr int kSt = static_cast<int>(isa::Queue::kStore);
constexpr uint64_t fault_bit(isa::Fault f) { return uint64_t{1} << static_cast<unsigned>(f); }

enum class Kind { kLoad, kStore, kHamtopk, kNop, kFinish, kUnknown };

// One program instruction: what the test encodes and what its emulated unit does with it.
struct Prog {
  Kind kind = Kind::kNop;
  isa::Deps deps;
  unsigned e = 1;           // execution time (E = 1 for nop, R5)
  uint64_t unit_fault = 0;  // fault bits its unit reports while it is the head (besides unknown_opcode)
  Insn words{0, 0};         // the encoding
  // Everything its unit reports: the compute unit faults on an undefined opcode.
  uint64_t unit_faults() const {
    return unit_fault | (kind == Kind::kUnknown ? fault_bit(isa::Fault::kUnknownOpcode) : 0);
  }
  int queue() const { return kind == Kind::kLoad ? kLd : kind == Kind::kStore ? kSt : kCu; }
  bool flag(int dir, bool push) const {
    return push ? (dir ? deps.push_next : deps.push_prev) : (dir ? deps.pop_next : deps.pop_prev);
  }
  // A token flag towards a queue that does not exist (fault bad_token_flag).
  bool bad_flags() const {
    for (int dir = 0; dir < 2; ++dir)
      if ((flag(dir, false) && isa::kPopToken[queue()][dir] < 0) ||
          (flag(dir, true) && isa::kPushToken[queue()][dir] < 0))
        return true;
    return false;
  }
};

// Encodes instruction `id` of a program; the id goes into a real field of the instruction.
Insn encode_prog(const Prog& p, unsigned id, std::mt19937_64& rng) {
  switch (p.kind) {
    case Kind::kLoad: {  // the id in dram_addr
      Insn w = random_fields<isa::LoadInsn>(p.deps, rng);
      put_field(w, isa::kLOAD_DRAM_ADDR, id);
      return w;
    }
    case Kind::kStore: {
      Insn w = random_fields<isa::StoreInsn>(p.deps, rng);
      put_field(w, isa::kSTORE_DRAM_ADDR, id);
      return w;
    }
    case Kind::kHamtopk: {  // the id in base_index
      Insn w = random_fields<isa::HamtopkInsn>(p.deps, rng);
      put_field(w, isa::kHAMTOPK_BASE_INDEX, id);
      return w;
    }
    case Kind::kNop: {
      isa::NopInsn x;
      x.deps = p.deps;
      return encode(x);
    }
    case Kind::kFinish: {
      isa::FinishInsn x;
      x.deps = p.deps;
      return encode(x);
    }
    case Kind::kUnknown: {
      isa::NopInsn x;
      x.deps = p.deps;
      Insn w = encode(x);
      put_field(w, isa::kOpcodeField, undefined_opcode(static_cast<unsigned>(rng() % 3)));
      return w;
    }
  }
  return {0, 0};
}

// The emulated unit's view of a queue head (decoded with the generated decoders): the program index it
// carries (-1 for nop, finish and undefined opcodes) and the fault bits the unit reports for it.
struct HeadView {
  int id = -1;
  uint64_t fault = 0;
};
HeadView view_head(const Insn& w, const std::vector<Prog>& prog) {
  HeadView v;
  const isa::OpDef* def = isa::op_def(get_field(w, isa::kOpcodeField));
  if (def == nullptr) {
    v.fault = fault_bit(isa::Fault::kUnknownOpcode);
    return v;
  }
  switch (static_cast<isa::Op>(def->value)) {
    case isa::Op::kLoad:
      v.id = static_cast<int>(isa::LoadInsn::decode(w.data()).dram_addr);
      break;
    case isa::Op::kStore:
      v.id = static_cast<int>(isa::StoreInsn::decode(w.data()).dram_addr);
      break;
    case isa::Op::kHamtopk:
      v.id = static_cast<int>(isa::HamtopkInsn::decode(w.data()).base_index);
      break;
    default:
      break;
  }
  if (v.id >= 0 && static_cast<size_t>(v.id) < prog.size()) v.fault = prog[v.id].unit_faults();
  return v;
}

// Per-cycle state of the rules (the reference), independent of the DUT.
struct RefCycle {
  bool ready = false;                      // R1: presented instruction accepted this cycle
  std::array<int, kNQ> issue{-1, -1, -1};  // R2: index of the instruction each queue issues (-1: none)
  std::array<int, kNQ> head{-1, -1, -1};   // index of each queue's head (-1: empty)
  std::array<unsigned, kNQ> occ{};         // occupancy at the start of the cycle
  std::array<unsigned, kNT> tok{};         // token counters at the start of the cycle
  bool done = false, error = false;
  uint64_t cause = 0;
};
struct RefRun {
  std::vector<RefCycle> trace;
  int stop_cycle = -1;  // first cycle with done or error
  bool error = false, overflow = false;
};

// Runs R1-R4 and the fault rules on `prog`; the run is kept for `tail` cycles after done/error. Returns
// false if the program neither finishes nor faults within the cycle limit.
bool reference(const std::vector<Prog>& prog, RefRun& run, int tail = 6) {
  std::array<std::deque<int>, kNQ> q;
  std::array<unsigned, kNT> tok{};
  struct U {
    bool busy = false;
    uint64_t end = 0;
    int insn = -1;
  };
  std::array<U, kNQ> unit;
  bool done = false, error = false;
  uint64_t cause = 0;
  size_t next = 0;
  run = RefRun{};
  for (uint64_t c = 0; c < 20000; ++c) {
    RefCycle rc;
    rc.done = done;
    rc.error = error;
    rc.cause = cause;
    rc.tok = tok;
    for (int u = 0; u < kNQ; ++u) {
      rc.occ[u] = static_cast<unsigned>(q[u].size());
      rc.head[u] = q[u].empty() ? -1 : q[u].front();
    }
    if (done || error) {
      if (run.stop_cycle < 0) run.stop_cycle = static_cast<int>(c);
      if (static_cast<int>(c) >= run.stop_cycle + tail) return true;
    }
    // R1 (also after done/error: the command stream is accepted while there is room)
    const bool accept = next < prog.size() && q[prog[next].queue()].size() < kDepth;
    rc.ready = accept;
    // R2 and the issue faults (start-of-cycle values)
    uint64_t fault_now = 0;
    for (int u = 0; u < kNQ; ++u) {
      if (done || error || unit[u].busy || q[u].empty()) continue;
      const Prog& in = prog[q[u].front()];
      bool pops_ok = true;
      for (int dir = 0; dir < 2; ++dir) {
        const int t = isa::kPopToken[u][dir];
        if (in.flag(dir, false) && t >= 0 && tok[t] == 0) pops_ok = false;
      }
      if (!pops_ok) continue;
      const uint64_t f = in.unit_faults() | (in.bad_flags() ? fault_bit(isa::Fault::kBadTokenFlag) : 0);
      if (f != 0) {
        fault_now |= f;
        continue;
      }
      rc.issue[u] = q[u].front();
    }
    // Completions in this cycle push at its end (R2, R3).
    std::array<int, kNT> delta{};
    for (int u = 0; u < kNQ; ++u)
      if (unit[u].busy && unit[u].end == c) {
        const Prog& in = prog[unit[u].insn];
        for (int dir = 0; dir < 2; ++dir)
          if (in.flag(dir, true)) ++delta[isa::kPushToken[u][dir]];
        unit[u].busy = false;
      }
    bool finish_now = false;
    for (int u = 0; u < kNQ; ++u) {
      if (rc.issue[u] < 0) continue;
      const Prog& in = prog[rc.issue[u]];
      q[u].pop_front();
      for (int dir = 0; dir < 2; ++dir)
        if (in.flag(dir, false)) --delta[isa::kPopToken[u][dir]];
      if (in.kind == Kind::kFinish) {
        finish_now = true;
      } else {
        unit[u] = {true, c + in.e, rc.issue[u]};
      }
    }
    // R3: pushes and pops of one cycle net out; a counter above TokenMax is a fault.
    for (int t = 0; t < kNT; ++t) {
      const int v = static_cast<int>(tok[t]) + delta[t];
      if (v > static_cast<int>(kTokenMax)) {
        fault_now |= fault_bit(isa::Fault::kTokenOverflow);
        run.overflow = true;
      }
      tok[t] = static_cast<unsigned>(v) & 0xFF;
    }
    if (accept) {
      q[prog[next].queue()].push_back(static_cast<int>(next));
      ++next;
    }
    if (!error) cause = fault_now;
    if (fault_now) error = true;
    if (finish_now) done = true;
    run.trace.push_back(rc);
  }
  return false;
}

// Random program: loads, nops/hamtopks and stores whose pops are all covered by pushes of earlier
// instructions (so it cannot deadlock), ending with finish. With `fault`, one instruction is made illegal
// (bad token flag, a unit fault, or an undefined opcode). Token overflow happens by itself now and then.
std::vector<Prog> random_program(std::mt19937_64& rng, int n, unsigned max_e, bool fault) {
  std::uniform_real_distribution<double> u01(0, 1);
  std::array<int, kNT> po{};  // program-order token balance
  auto tok = [](int q, int dir, bool push) { return push ? isa::kPushToken[q][dir] : isa::kPopToken[q][dir]; };
  std::vector<Prog> prog;
  for (int i = 0; i < n; ++i) {
    Prog in;
    const double r = u01(rng);
    in.kind = r < 0.35 ? Kind::kLoad : r < 0.75 ? (rng() % 3 == 0 ? Kind::kNop : Kind::kHamtopk) : Kind::kStore;
    in.e = in.kind == Kind::kNop ? 1
           : (rng() % 8 == 0)    ? 1 + static_cast<unsigned>(rng() % (3 * max_e))
                                 : 1 + static_cast<unsigned>(rng() % max_e);
    const int q = in.queue();
    for (int dir = 0; dir < 2; ++dir) {
      const int tp = tok(q, dir, false), tq = tok(q, dir, true);
      const bool pop = tp >= 0 && po[tp] > 0 && u01(rng) < 0.9;
      const bool push = tq >= 0 && u01(rng) < (po[tq] >= 3 ? 0.2 : 0.7);
      (dir ? in.deps.pop_next : in.deps.pop_prev) = pop;
      (dir ? in.deps.push_next : in.deps.push_prev) = push;
      if (pop) --po[tp];
      if (push) ++po[tq];
    }
    prog.push_back(in);
  }
  Prog fin;
  fin.kind = Kind::kFinish;
  fin.deps.pop_prev = po[isa::kPopToken[kCu][0]] > 0 && rng() % 2;
  fin.deps.pop_next = po[isa::kPopToken[kCu][1]] > 0;  // wait for the last store, as the compiler does
  prog.push_back(fin);
  if (fault) {
    const size_t at = rng() % (prog.size() - 1);
    Prog& bad = prog[at];
    switch (rng() % 4) {
      case 0:  // a token flag towards the missing neighbour of the load or store queue
        bad.kind = rng() % 2 ? Kind::kLoad : Kind::kStore;
        if (bad.kind == Kind::kLoad) {
          (rng() % 2 ? bad.deps.pop_prev : bad.deps.push_prev) = true;
        } else {
          (rng() % 2 ? bad.deps.pop_next : bad.deps.push_next) = true;
        }
        break;
      case 1:  // the unit reports a fault for it
        if (bad.kind == Kind::kNop) bad.kind = Kind::kHamtopk;
        bad.unit_fault = fault_bit(bad.kind == Kind::kHamtopk ? isa::Fault::kUnknownOpcode : isa::Fault::kBadBuffer);
        if (rng() % 4 == 0) bad.unit_fault = 1 + rng() % ((1u << kNF) - 1);  // any bits
        break;
      case 2:
        bad.kind = Kind::kUnknown;
        break;
      default: {  // a flood of TokenMax+2 pushes of one counter (an overflow unless its popper keeps up)
        const int t = static_cast<int>(rng() % kNT);
        Prog pusher;
        for (int q = 0; q < kNQ; ++q)
          for (int dir = 0; dir < 2; ++dir)
            if (isa::kPushToken[q][dir] == t) {
              pusher.kind = q == kLd ? Kind::kLoad : q == kSt ? Kind::kStore : Kind::kHamtopk;
              (dir ? pusher.deps.push_next : pusher.deps.push_prev) = true;
            }
        prog.insert(prog.begin() + static_cast<long>(at), kTokenMax + 2, pusher);
        break;
      }
    }
  }
  for (size_t i = 0; i < prog.size(); ++i) prog[i].words = encode_prog(prog[i], static_cast<unsigned>(i), rng);
  return prog;
}

struct Stats {
  uint64_t programs = 0, rejected = 0, cycles = 0, stalls = 0, token_waits = 0, same_cycle_issues = 0;
  uint64_t errors = 0, overflows = 0, dones = 0, fault_heads_masked = 0;
  unsigned max_tok = 0;
};

// Drives the DUT with `prog` and the emulated units; compares with `run` every cycle.
void run_dut(const std::vector<Prog>& prog, const RefRun& run, Stats& st, std::mt19937_64& rng) {
  Clocked<Vdut> sim;
  struct U {
    bool busy = false;
    uint64_t end = 0;
  };
  std::array<U, kNQ> unit;
  size_t next = 0;
  for (uint64_t c = 0; c < run.trace.size(); ++c) {
    const RefCycle& rc = run.trace[c];
    ASSERT_EQ(sim.cycle(), c);
    sim->insn_valid_i = next < prog.size();
    const Insn offered = next < prog.size() ? prog[next].words : Insn{rng(), rng()};
    set_insn(sim->insn_i, offered);
    uint64_t idle = 0, complete = 0;
    for (int u = 0; u < kNQ; ++u) {
      idle |= uint64_t{!unit[u].busy} << u;
      complete |= uint64_t{unit[u].busy && unit[u].end == c} << u;
    }
    sim->idle_i = idle;
    sim->complete_i = complete;
    // The units' faults for the presented instruction, by what its unit decodes from insn_i; the other
    // units' slices (and all of them when nothing is presented) are random junk the controller must ignore.
    uint64_t faults = 0;
    for (int u = 0; u < kNQ; ++u) {
      const bool its_unit = next < prog.size() && prog[next].queue() == u;
      const uint64_t f = its_unit ? view_head(offered, prog).fault : rng() % (1u << kNF);
      faults |= f << (kNF * u);
    }
    sim->fault_i = faults;
    sim.settle();
    // An illegal head whose unit is busy must stay quiet (it may not issue yet).
    for (int u = 0; u < kNQ; ++u) {
      if (rc.head[u] < 0 || !unit[u].busy) continue;
      const Prog& h = prog[rc.head[u]];
      if (h.unit_faults() != 0 || h.bad_flags()) ++st.fault_heads_masked;
    }
    ASSERT_EQ(sim->done_o, rc.done) << "done_o, cycle " << c;
    ASSERT_EQ(sim->error_o, rc.error) << "error_o, cycle " << c;
    ASSERT_EQ(sim->cause_o, rc.cause) << "cause_o, cycle " << c;
    for (int u = 0; u < kNQ; ++u)
      ASSERT_EQ(get_bits(sim->occ_o, kCntW * u, kCntW), rc.occ[u]) << "occupancy of queue " << u << ", cycle " << c;
    for (int t = 0; t < kNT; ++t) {
      ASSERT_EQ(get_bits(sim->tokens_o, 8 * t, 8), rc.tok[t])
          << "token counter " << isa::kTokenNames[t] << ", cycle " << c << (rc.done ? " (after done)" : "");
      st.max_tok = std::max(st.max_tok, rc.tok[t]);
    }
    if (next < prog.size()) {
      ASSERT_EQ(sim->insn_ready_o, rc.ready) << "insn_ready_o for insn " << next << ", cycle " << c;
      if (!rc.ready) ++st.stalls;
    }
    ASSERT_EQ(sim->completed_o, complete) << "cycle " << c;
    int n_issued = 0;
    for (int u = 0; u < kNQ; ++u) {
      if (rc.head[u] >= 0) {
        const Insn head = get_insn(sim->head_o, u);
        ASSERT_EQ(head, prog[rc.head[u]].words) << "head of queue " << u << ", cycle " << c;
        ASSERT_EQ(get_bits(sim->heads_o, 8 * u, 8), head[0] & 0xFF) << "heads_o of queue " << u;
      }
      const int exp = rc.issue[u];
      ASSERT_EQ(get_bits(sim->issued_o, u, 1), exp >= 0) << "issued_o of queue " << u << ", cycle " << c;
      const bool to_unit = exp >= 0 && prog[exp].kind != Kind::kFinish;
      ASSERT_EQ(get_bits(sim->issue_o, u, 1), to_unit) << "issue_o of queue " << u << ", cycle " << c;
      if (exp >= 0) ++n_issued;
      if (!to_unit) continue;
      // The emulated unit takes the instruction by what it decodes from head_o.
      const HeadView v = view_head(get_insn(sim->head_o, u), prog);
      unit[u] = {true, c + (v.id >= 0 ? prog[v.id].e : 1)};
    }
    if (n_issued > 1) ++st.same_cycle_issues;
    // A unit whose head waits for a token only.
    for (int u = 0; u < kNQ; ++u)
      if (rc.issue[u] < 0 && !unit[u].busy && rc.occ[u] > 0 && !rc.done && !rc.error) ++st.token_waits;
    for (int u = 0; u < kNQ; ++u)
      if (unit[u].busy && unit[u].end == c) unit[u].busy = false;
    if (next < prog.size() && sim->insn_ready_o) ++next;
    sim.edge();
  }
  st.cycles += run.trace.size();
  if (run.error) ++st.errors;
  if (run.overflow) ++st.overflows;
  if (!run.trace.empty() && run.trace.back().done) ++st.dones;
}

void random_programs(uint64_t seed, int count, int len, unsigned max_e, double fault_prob, Stats& st) {
  std::mt19937_64 rng(seed);
  std::bernoulli_distribution faulty(fault_prob);
  RefRun run;
  while (st.programs < static_cast<uint64_t>(count)) {
    const auto prog = random_program(rng, len, max_e, faulty(rng));
    if (!reference(prog, run)) {
      ++st.rejected;
      ASSERT_LT(st.rejected, 10u * count + 100) << "generator produces too many programs that never stop";
      continue;
    }
    run.error = run.trace.back().error;
    ++st.programs;
    run_dut(prog, run, st, rng);
    if (::testing::Test::HasFatalFailure()) {
      ADD_FAILURE() << "program " << st.programs - 1 << " (seed " << seed << ")";
      return;
    }
  }
  std::printf(
      "programs %lu (rejected %lu), cycles %lu, stalls %lu, token waits %lu, max token %u, done %lu, "
      "error %lu (overflow %lu), illegal heads behind a busy unit %lu\n",
      (unsigned long)st.programs, (unsigned long)st.rejected, (unsigned long)st.cycles, (unsigned long)st.stalls,
      (unsigned long)st.token_waits, st.max_tok, (unsigned long)st.dones, (unsigned long)st.errors,
      (unsigned long)st.overflows, (unsigned long)st.fault_heads_masked);
}

// Runs a hand-written program against the reference and returns the reference run (for explicit checks of
// the cycle numbers the rules give).
RefRun run_program(std::vector<Prog> prog, int tail = 6) {
  std::mt19937_64 rng(7);
  for (size_t i = 0; i < prog.size(); ++i) prog[i].words = encode_prog(prog[i], static_cast<unsigned>(i), rng);
  RefRun run;
  EXPECT_TRUE(reference(prog, run, tail)) << "the program neither finishes nor faults";
  if (run.trace.empty()) return run;
  run.error = run.trace.back().error;
  Stats st;
  run_dut(prog, run, st, rng);
  return run;
}
// The cycle a run's error_o rises (-1: never), and the cycles in which any queue issues.
int error_cycle(const RefRun& run) {
  for (size_t c = 0; c < run.trace.size(); ++c)
    if (run.trace[c].error) return static_cast<int>(c);
  return -1;
}
int last_issue_cycle(const RefRun& run) {
  int last = -1;
  for (size_t c = 0; c < run.trace.size(); ++c)
    for (int u = 0; u < kNQ; ++u)
      if (run.trace[c].issue[u] >= 0) last = static_cast<int>(c);
  return last;
}
Prog make(Kind k, unsigned e = 1) {
  Prog p;
  p.kind = k;
  p.e = e;
  return p;
}

TEST(Controller, TokenOverflowIsAFault) {
  // TokenMax + 1 loads pushing l2c, nothing popping it. With E = 1 the load unit issues every second cycle
  // (R2): load i is issued in 1+2i and completes in 2+2i, so the (TokenMax+1)-th push is at the end of
  // cycle 2+2*TokenMax and error_o (a register) is 1 from the next cycle on.
  Prog ld = make(Kind::kLoad);
  ld.deps.push_next = true;
  std::vector<Prog> prog(kTokenMax + 1, ld);
  prog.push_back(make(Kind::kNop));
  const RefRun run = run_program(prog);
  EXPECT_EQ(error_cycle(run), static_cast<int>(2 * kTokenMax + 3));
  ASSERT_FALSE(run.trace.empty());
  EXPECT_EQ(run.trace.back().cause, fault_bit(isa::Fault::kTokenOverflow));
  EXPECT_EQ(run.trace.back().tok[isa::kPushToken[kLd][1]], kTokenMax + 1);  // stored, then frozen
  prog.erase(prog.begin());                                                 // exactly TokenMax is fine
  prog.push_back(make(Kind::kFinish));
  const RefRun ok = run_program(prog);
  EXPECT_EQ(error_cycle(ok), -1);
  EXPECT_TRUE(ok.trace.back().done);
}

TEST(Controller, PushAndPopAtTokenMaxNetOut) {
  // R3 nets a cycle's push and pop before the TokenMax check. Hamtopk A (accepted in cycle 0, E = 2*TokenMax+1)
  // keeps the compute unit busy in cycles 2 .. 2+2*TokenMax while TokenMax + 1 loads push l2c (load i is
  // issued in 2+2i and completes in 3+2i); nop B, which pops l2c, issues in cycle 3+2*TokenMax,
  // when the counter holds TokenMax and the last load pushes: no overflow, the counter stays at TokenMax, and
  // finish raises done.
  const int t = isa::kPushToken[kLd][1];
  ASSERT_EQ(t, isa::kPopToken[kCu][0]);
  Prog ld = make(Kind::kLoad), b = make(Kind::kNop);
  ld.deps.push_next = true;
  b.deps.pop_prev = true;
  std::vector<Prog> prog = {make(Kind::kHamtopk, 2 * kTokenMax + 1)};
  prog.insert(prog.end(), kTokenMax + 1, ld);
  prog.push_back(b);
  prog.push_back(make(Kind::kFinish));
  const int b_index = static_cast<int>(kTokenMax) + 2;
  const RefRun run = run_program(prog);
  EXPECT_EQ(error_cycle(run), -1);
  ASSERT_FALSE(run.trace.empty());
  EXPECT_TRUE(run.trace.back().done);
  const int c = static_cast<int>(2 * kTokenMax + 3);
  ASSERT_GT(static_cast<int>(run.trace.size()), c + 1);
  EXPECT_EQ(run.trace[c].issue[kCu], b_index);  // the case this test is about happens
  EXPECT_EQ(run.trace[c].tok[t], kTokenMax);
  EXPECT_EQ(run.trace[c + 1].tok[t], kTokenMax);
}

TEST(Controller, BadTokenFlagsDoNotIssue) {
  // Each head is accepted in cycle 0 and could issue in cycle 1: it does not, stays in its queue, and
  // error_o is 1 from cycle 2 with cause bad_token_flag; the nop behind it never issues either.
  for (int which = 0; which < 4; ++which) {
    Prog bad = make(which < 2 ? Kind::kLoad : Kind::kStore);
    if (which == 0) bad.deps.pop_prev = true;
    if (which == 1) bad.deps.push_prev = true;
    if (which == 2) bad.deps.pop_next = true;
    if (which == 3) bad.deps.push_next = true;
    ASSERT_TRUE(bad.bad_flags());
    const RefRun run = run_program({bad, make(Kind::kNop), make(Kind::kNop)});
    SCOPED_TRACE(which);
    EXPECT_EQ(error_cycle(run), 2);
    EXPECT_EQ(run.trace.back().cause, fault_bit(isa::Fault::kBadTokenFlag));
    EXPECT_EQ(last_issue_cycle(run), -1);
    EXPECT_EQ(run.trace.back().occ[bad.queue()], 1u);
  }
  // The compute queue has both neighbours: all four flags are legal there (tokens provided first).
  Prog ld = make(Kind::kLoad), st = make(Kind::kStore), cu = make(Kind::kNop);
  ld.deps.push_next = st.deps.push_prev = true;
  cu.deps = {true, true, true, true};
  const RefRun ok = run_program({ld, st, cu, make(Kind::kFinish)});
  EXPECT_EQ(error_cycle(ok), -1);
  EXPECT_TRUE(ok.trace.back().done);
}

TEST(Controller, UnitFaultStopsTheMachine) {
  // Load A (E = 3) is issued in cycle 1, busy 2..4; load B, whose unit reports faults 0b1010 for it, is
  // the head from cycle 2 but may issue only in cycle 5: it does not, error_o rises in cycle 6 with its
  // bits as the cause. The compute queue keeps issuing nops until then (in cycle 5 too), nothing after.
  Prog a = make(Kind::kLoad, 3), b = make(Kind::kLoad, 2);
  b.unit_fault = 0b1010;
  std::vector<Prog> prog = {a, b};
  for (int i = 0; i < 8; ++i) prog.push_back(make(Kind::kNop));
  const RefRun run = run_program(prog);
  EXPECT_EQ(error_cycle(run), 6);
  EXPECT_EQ(run.trace.back().cause, 0b1010u);
  EXPECT_EQ(last_issue_cycle(run), 5);
  EXPECT_EQ(run.trace.back().occ[kLd], 1u);
  // An undefined opcode: the compute unit's unknown_opcode fault.
  const RefRun unk = run_program({make(Kind::kNop), make(Kind::kUnknown, 1), make(Kind::kNop)});
  EXPECT_EQ(error_cycle(unk), 4);  // nop issued in 1, idle again in 3: the unknown head faults in 3
  EXPECT_EQ(unk.trace.back().cause, fault_bit(isa::Fault::kUnknownOpcode));
}

TEST(Controller, FinishRaisesDoneAndStopsIssue) {
  // The load is issued in 1 (E = 6: completes in 7); the nop, accepted in 1, is issued in 2 (busy in 3),
  // the finish in 4: done_o from cycle 5. The load behind it in the command stream is accepted (cycle 3)
  // but never issued; the in-flight load still completes and pushes its token after done.
  Prog ld = make(Kind::kLoad, 6);
  ld.deps.push_next = true;
  const RefRun run = run_program({ld, make(Kind::kNop), make(Kind::kFinish), make(Kind::kLoad)}, 10);
  ASSERT_GE(run.trace.size(), 12u);
  EXPECT_FALSE(run.trace[4].done);
  EXPECT_TRUE(run.trace[5].done);
  EXPECT_EQ(last_issue_cycle(run), 4);
  EXPECT_EQ(run.trace.back().tok[isa::kPushToken[kLd][1]], 1u);  // load: issued 1, completes 7
  EXPECT_EQ(run.trace.back().occ[kLd], 1u);
}

TEST(Controller, RandomProgramsShortE) {
  Stats st;
  random_programs(1, 200, 40, 3, 0.0, st);
  EXPECT_GT(st.stalls, 100u);
  EXPECT_GT(st.token_waits, 100u);
  EXPECT_GT(st.same_cycle_issues, 100u);
  EXPECT_GT(st.dones, 100u);
}

TEST(Controller, RandomProgramsLongE) {
  Stats st;
  random_programs(2, 150, 60, 12, 0.0, st);
  EXPECT_GT(st.stalls, 100u);
  EXPECT_GT(st.dones, 50u);
}

TEST(Controller, RandomProgramsWithFaults) {
  Stats st;
  random_programs(3, 300, 40, 4, 0.7, st);
  EXPECT_GT(st.errors, 150u);
  EXPECT_GT(st.overflows, 5u);
  EXPECT_GT(st.dones, 50u);
  EXPECT_GT(st.fault_heads_masked, 200u);  // cycles an illegal head waits on its busy unit
}

TEST(Controller, CompletionFromAnIdleUnitIsAsserted) {
  Clocked<Vdut> sim;
  sim.expect_assertions(true);
  sim->insn_valid_i = 0;
  sim->idle_i = 0b111;
  sim->complete_i = 0;
  sim->fault_i = 0;
  sim.tick();
  sim->complete_i = 0b010;  // the compute unit says it completed, but it is idle
  sim.tick();
  EXPECT_TRUE(fired_with(sim.take_fired(), "bg_controller: completion from an idle unit"));
  sim->complete_i = 0;
  sim.tick();
  EXPECT_TRUE(sim.take_fired().empty());
}

}  // namespace
