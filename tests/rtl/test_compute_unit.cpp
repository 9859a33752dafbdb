// rtl/bg_compute_unit.sv (the dispatcher in front of the compute engines; NumEngines from the package)
// against the engine contract of docs/ARCHITECTURE.md §6 and rules R2/R5, with the engines emulated in
// C++: an instruction issued in cycle c (issue_i while idle_o) whose opcode belongs to engine e
// (isa::op_def(op)->engine) starts that engine (start_o = 1 << e, combinationally in cycle c); the engine,
// with a random execution time E, raises last_i[e] in c+E; complete_o is high in exactly that cycle, the
// unit is busy in c+1 .. c+E and idle from c+E+1. A nop runs in the dispatcher itself with E = 1 and
// starts no engine. fault_o flags the instruction being dispatched to the queue (dsp_insn_i, a random
// instruction independent of the head) combinationally: unknown_opcode for an opcode no instruction has
// (the controller then does not issue it; issuing it anyway fires the assertion and starts nothing). Instructions are
// built with the generated encoders.
#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <vector>

#include "Vdut.h"
#include "rtl_test_util.h"

namespace {

using namespace bgtest;
namespace isa = bitgrid::isa;

constexpr unsigned kNumEngines = isa::kNumEngines;
constexpr uint64_t kUnknownOpcode = uint64_t{1} << static_cast<unsigned>(isa::Fault::kUnknownOpcode);

// A random instruction as the compute queue could present it: nops and engine instructions with random
// fields and token flags, finish (never issued: the controller keeps it), and undefined opcodes.
Insn random_head(std::mt19937_64& rng) {
  isa::Deps deps{rng() % 2 != 0, rng() % 2 != 0, rng() % 2 != 0, rng() % 2 != 0};
  switch (rng() % 6) {
    case 0: {
      isa::NopInsn x;
      x.deps = deps;
      return encode(x);
    }
    case 1: {
      isa::FinishInsn x;
      x.deps = deps;
      return encode(x);
    }
    case 2: {
      Insn w{rng(), rng()};
      put_field(w, isa::kOpcodeField, undefined_opcode(static_cast<unsigned>(rng() % 4)));
      return w;
    }
    default:
      return random_fields<isa::HamtopkInsn>(deps, rng);
  }
}

// What the dispatcher must do with an instruction, from the generated opcode table.
struct Expect {
  bool defined = false;
  int engine = -1;  // -1: runs in the dispatcher (nop) or nowhere
  bool issuable = false;
};
Expect expect_of(const Insn& w) {
  Expect e;
  const isa::OpDef* def = isa::op_def(get_field(w, isa::kOpcodeField));
  e.defined = def != nullptr;
  if (!def) return e;
  e.engine = def->engine;
  // The controller issues to the compute unit its own instructions except finish.
  e.issuable = def->queue == isa::Queue::kCompute && static_cast<isa::Op>(def->value) != isa::Op::kFinish;
  return e;
}

class ComputeUnitTest : public ::testing::Test {
 protected:
  Clocked<Vdut> sim;
  std::mt19937_64 rng{606};
  struct Running {
    uint64_t c = 0;
    unsigned e = 1;
    int engine = -1;
  };
  std::optional<Running> run;
  uint64_t completed = 0, engine_runs = 0, nops = 0, faults = 0, noise_checked = 0;

  bool busy_at(uint64_t t) const { return run && t > run->c && t <= run->c + run->e; }

  // One cycle: `head` presented, issued if `issue` (and the unit is idle per the reference).
  void step(const Insn& head, bool issue, unsigned engine_e) {
    const uint64_t t = sim.cycle();
    const bool busy = busy_at(t);
    const bool due = busy && t == run->c + run->e;
    const Expect ex = expect_of(head);
    const Insn dsp = random_head(rng);
    const bool dsp_defined = expect_of(dsp).defined;
    set_insn(sim->insn_i, head);
    set_insn(sim->dsp_insn_i, dsp);
    sim->issue_i = issue;
    // Only the running engine signals, in its last cycle.
    uint64_t last = 0;
    if (due && run->engine >= 0) last = uint64_t{1} << run->engine;
    sim->last_i = last;
    sim.settle();
    ASSERT_EQ(sim->idle_o, !busy) << "idle_o, cycle " << t;
    ASSERT_EQ(sim->complete_o, due) << "complete_o, cycle " << t;
    ASSERT_EQ(sim->fault_o, dsp_defined ? 0u : kUnknownOpcode) << "fault_o, cycle " << t;
    if (!dsp_defined) ++faults;
    const bool starts = issue && !busy;
    const uint64_t want_start = starts && ex.engine >= 0 ? uint64_t{1} << ex.engine : 0;
    ASSERT_EQ(sim->start_o, want_start) << "start_o, cycle " << t;
    if (!starts) ++noise_checked;
    if (due) ++completed;
    if (starts) {
      run = Running{t, ex.engine >= 0 ? engine_e : 1, ex.engine};
      ++(ex.engine >= 0 ? engine_runs : nops);
    }
    sim.edge();
  }
};

TEST_F(ComputeUnitTest, ResetIdle) {
  sim->issue_i = 0;
  sim->last_i = 0;
  sim.settle();
  EXPECT_TRUE(sim->idle_o);
  EXPECT_FALSE(sim->complete_o);
  EXPECT_EQ(sim->start_o, 0u);
}

TEST_F(ComputeUnitTest, TheOpcodeTableIsWhatTheTestAssumes) {
  // Independent of the generated helpers used below: nop runs here, hamtopk is engine 0 (configs/isa).
  ASSERT_GE(kNumEngines, 1u);
  EXPECT_EQ(expect_of(encode(isa::NopInsn{})).engine, -1);
  EXPECT_TRUE(expect_of(encode(isa::NopInsn{})).issuable);
  EXPECT_EQ(expect_of(encode(isa::HamtopkInsn{})).engine, isa::kEngineHamtopk);
  EXPECT_FALSE(expect_of(encode(isa::FinishInsn{})).issuable);
  Insn bad = encode(isa::NopInsn{});
  put_field(bad, isa::kOpcodeField, undefined_opcode());
  EXPECT_FALSE(expect_of(bad).defined);
}

TEST_F(ComputeUnitTest, NopTakesOneCycle) {
  // nop issued in c: complete in c+1, issue again in c+2 (R2, R5); no engine is started.
  const Insn nop = encode(isa::NopInsn{});
  for (int i = 0; i < 10 && !HasFatalFailure(); ++i) step(nop, !busy_at(sim.cycle()), 1);
  EXPECT_EQ(nops, 5u);
  EXPECT_EQ(completed, 5u);
}

TEST_F(ComputeUnitTest, EngineStartAndLast) {
  // An engine instruction with E = 1, 2, 7: start_o in the issue cycle, complete_o with the engine's last_i.
  isa::HamtopkInsn h;
  h.k = 3;
  h.n_codes = 5;
  for (unsigned e : {1u, 2u, 7u, 1u}) {
    step(encode(h), true, e);
    while (run && sim.cycle() <= run->c + run->e && !HasFatalFailure()) step(encode(isa::NopInsn{}), false, 1);
  }
  EXPECT_EQ(engine_runs, 4u);
  EXPECT_EQ(completed, 4u);
}

TEST_F(ComputeUnitTest, RandomStream) {
  for (int i = 0; i < 30000 && !HasFatalFailure(); ++i) {
    Insn head = random_head(rng);
    const bool idle = !busy_at(sim.cycle());
    // The controller issues only a legal compute instruction, and only while the unit is idle.
    const bool issue = idle && expect_of(head).issuable && rng() % 4 != 0;
    const unsigned e = rng() % 3 == 0 ? 1 : 1 + static_cast<unsigned>(rng() % 30);
    step(head, issue, e);
  }
  EXPECT_GT(engine_runs, 500u);
  EXPECT_GT(nops, 200u);
  EXPECT_GT(faults, 2000u);
  EXPECT_GT(completed, 700u);
}

TEST_F(ComputeUnitTest, IllegalUseIsAsserted) {
  sim.expect_assertions(true);
  step(encode(isa::NopInsn{}), false, 1);
  // An engine signalling last while none runs.
  sim->issue_i = 0;
  sim->last_i = 1;
  sim.settle();
  EXPECT_FALSE(sim->complete_o);
  sim.edge();
  EXPECT_TRUE(fired_with(sim.take_fired(), "bg_compute_unit: an engine signalled last while not running"));
  sim->last_i = 0;
  // Issuing an undefined opcode (the controller never does): no engine starts, the assertion fires.
  Insn bad = encode(isa::HamtopkInsn{});
  put_field(bad, isa::kOpcodeField, undefined_opcode());
  set_insn(sim->insn_i, bad);
  set_insn(sim->dsp_insn_i, bad);
  sim->issue_i = 1;
  sim.settle();
  EXPECT_EQ(sim->fault_o, kUnknownOpcode);
  EXPECT_EQ(sim->start_o, 0u);
  sim.edge();
  EXPECT_TRUE(fired_with(sim.take_fired(), "bg_compute_unit: issued an instruction it faults on"));
}

}  // namespace
