// The program checker: ranges, alignment, issue faults, deadlock detection with the stuck queues named,
// and data races.
#include <gtest/gtest.h>

#include "bitgrid/checker.h"
#include "bitgrid/error.h"
#include "bitgrid/executor.h"
#include "bitgrid/insn.h"
#include "unit_util.h"

using namespace bitgrid;

namespace {
using bgtest::error_of;
using bgtest::has;
std::string check_error(const Program& p, const HwConfig& hw, uint64_t dram = 1 << 20) {
  try {
    check_program(p, hw, dram);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
Insn ham(isa::HamtopkInsn h, Deps d = {}) {
  h.deps = d;
  return encode(h);
}
}  // namespace

TEST(Checker, AcceptsASynchronisedProgram) {
  HwConfig hw;
  Program p;
  p.insns = {make_load(isa::Buf::kQbuf, 0, 4, 0, Deps{false, false, false, true}),
             ham({true, 1, 1, 0, 0, 0, 0, 1}, Deps{true, false, false, true}),
             make_store(isa::Buf::kRbuf, 0, 4, 64, Deps{true, false, true, false}),
             make_finish(Deps{false, true, false, false})};
  EXPECT_EQ(check_error(p, hw), "");
}

TEST(Checker, DeadlockNamesStuckQueuesAndTokens) {
  HwConfig hw;
  Program p;
  // compute waits for an l2c token that no load ever pushes
  p.insns = {make_load(isa::Buf::kQbuf, 0, 4, 0), ham({true, 1, 1, 0, 0, 0, 0, 1}, Deps{true, false, false, false}),
             make_finish()};
  const std::string e = check_error(p, hw);
  EXPECT_TRUE(has(e, "deadlock")) << e;
  EXPECT_TRUE(has(e, "compute queue stuck at instruction 1")) << e;
  EXPECT_TRUE(has(e, "l2c")) << e;
}

TEST(Checker, DispatchBlockedByFullQueueIsADeadlock) {
  HwConfig hw;
  hw.queue_depth = 2;
  Program p;
  // Three loads wait for c2l tokens pushed by a later compute instruction: the load queue fills
  // (depth 2), dispatch blocks on the third load and the nop that would release them never arrives.
  for (int i = 0; i < 3; ++i) p.insns.push_back(make_load(isa::Buf::kQbuf, 0, 0, 0, Deps{false, true, false, false}));
  for (int i = 0; i < 3; ++i) p.insns.push_back(make_nop(Deps{false, false, true, false}));
  p.insns.push_back(make_finish());
  const std::string e = check_error(p, hw);
  EXPECT_TRUE(has(e, "dispatch blocked at instruction 2")) << e;
  EXPECT_TRUE(has(e, "load queue stuck at instruction 0")) << e;
  hw.queue_depth = 4;  // with room for all three loads the nops arrive and release them
  EXPECT_EQ(check_error(p, hw), "");
}

TEST(Checker, MissingFinishAndTokenOverflow) {
  HwConfig hw;
  Program p;
  p.insns = {make_nop()};
  EXPECT_TRUE(has(check_error(p, hw), "without a finish"));
  hw.token_max = 2;
  p.insns.clear();
  for (int i = 0; i < 3; ++i) p.insns.push_back(make_load(isa::Buf::kQbuf, 0, 0, 0, Deps{false, false, false, true}));
  p.insns.push_back(make_finish());
  EXPECT_TRUE(has(check_error(p, hw), "token_max")) << check_error(p, hw);
}

TEST(Checker, RangeAndAlignmentErrorsNameTheLimit) {
  HwConfig hw;  // 32-byte beats = 4 words, topk_max 64
  auto one = [&](Insn i) {
    Program p;
    p.insns = {i, make_finish()};
    return check_error(p, hw, 4096);
  };
  EXPECT_TRUE(has(one(make_load(isa::Buf::kQbuf, 2, 4, 0)), "multiples of the DRAM beat"));
  EXPECT_TRUE(has(one(make_load(isa::Buf::kQbuf, 0, 4, 4096)), "exceed the memory image"));
  EXPECT_TRUE(has(one(make_load(isa::Buf::kRbuf, 0, 4, 0)), "load can only fill"));
  EXPECT_TRUE(has(one(make_load(isa::Buf::kQbuf, 2048, 4, 0)), "exceed qbuf"));
  EXPECT_TRUE(has(one(ham({true, 65, 1, 0, 0, 0, 0, 1})), "topk_max = 64"));
  EXPECT_TRUE(has(one(ham({true, 4, 17, 0, 0, 0, 0, 1})), "max_code_bits = 1024"));
  EXPECT_TRUE(has(one(ham({true, 4, 1, 0, 3, 0, 0, 1})), "db_addr must be a multiple of 8"));
  EXPECT_TRUE(has(one(ham({true, 4, 1, 0, 0, 0, 0, 0})), "n_codes"));
  Insn bad = make_nop();
  bad.w[1] = 1;  // reserved bits
  EXPECT_TRUE(has(one(bad), "reserved bits"));
  Insn unk;  // the first opcode value no instruction has
  uint64_t free_op = 0;
  while (isa::op_def(free_op) != nullptr) ++free_op;
  unk.set(isa::kOpcodeField, free_op);
  EXPECT_TRUE(has(one(unk), "unknown opcode " + std::to_string(free_op)));
  EXPECT_TRUE(has(one(make_load(isa::Buf::kQbuf, 0, 4, 0, Deps{true, false, false, false})), "no previous queue"));
}

// The faults the hardware detects at issue (docs/ISA.md "Machine faults"), one rule for every backend.
TEST(Checker, IssueFaults) {
  HwConfig hw;  // 4-word beats
  auto bit = [](isa::Fault f) { return 1u << static_cast<int>(f); };
  Insn unk;
  uint64_t free_op = 0;
  while (isa::op_def(free_op) != nullptr) ++free_op;
  unk.set(isa::kOpcodeField, free_op);
  EXPECT_EQ(issue_faults(unk, hw), bit(isa::Fault::kUnknownOpcode));
  EXPECT_EQ(issue_faults(make_load(isa::Buf::kRbuf, 0, 4, 0), hw), bit(isa::Fault::kBadBuffer));
  EXPECT_EQ(issue_faults(make_store(isa::Buf::kQbuf, 0, 8, 0), hw), bit(isa::Fault::kBadBuffer));
  EXPECT_EQ(issue_faults(make_load(isa::Buf::kRbuf, 0, 0, 0), hw), 0u);  // a token-only move is legal
  EXPECT_EQ(issue_faults(make_load(isa::Buf::kRbuf, 0, 3, 0), hw), 0u);  // no whole beat: moves nothing
  EXPECT_EQ(issue_faults(make_load(isa::Buf::kQbuf, 0, 4, 0, Deps{false, false, true, false}), hw),
            bit(isa::Fault::kBadTokenFlag));
  EXPECT_EQ(issue_faults(make_store(isa::Buf::kRbuf, 0, 4, 0, Deps{false, true, false, false}), hw),
            bit(isa::Fault::kBadTokenFlag));
  EXPECT_EQ(issue_faults(make_load(isa::Buf::kRbuf, 0, 4, 0, Deps{true, false, false, false}), hw),
            bit(isa::Fault::kBadTokenFlag) | bit(isa::Fault::kBadBuffer));
  EXPECT_EQ(issue_faults(make_nop(Deps{true, true, true, true}), hw), 0u);
  EXPECT_EQ(fault_names(bit(isa::Fault::kBadBuffer) | bit(isa::Fault::kTokenOverflow)), "token_overflow, bad_buffer");
}

// A machine that leaves an engine out (has_<engine> = 0): its opcodes are unknown_opcode, transfers into
// the buffers only it uses are bad_buffer, and the checker says which parameter did it.
TEST(Checker, AbsentEngineFaults) {
  auto bit = [](isa::Fault f) { return 1u << static_cast<int>(f); };
  HwConfig full, no_mac, no_ham;
  no_mac.has_bitmac = 0;
  no_mac.has_hashgrid = 0;  // the hash-grid encoder writes abuf/obuf too: without both, they are left out
  no_mac.has_binenc = 0;    // and the binary encoder reads obuf
  no_mac.has_lut = 0;       // and the table unit reads obuf and writes abuf
  no_mac.has_signacc = 0;   // and the sign-select accumulator reads obuf and pbuf and writes abuf
  no_mac.has_wpack = 0;     // and the weight packer reads obuf and writes wbuf
  no_mac.has_tabacc = 0;    // and the table accumulator reads abuf/wbuf/sbuf and writes obuf
  no_ham.has_hamtopk = 0;
  no_ham.has_binenc = 0;
  no_ham.has_signacc = 0;
  Insn gemm, ham;
  gemm.set(isa::kOpcodeField, static_cast<uint64_t>(isa::Op::kGemm));
  ham.set(isa::kOpcodeField, static_cast<uint64_t>(isa::Op::kHamtopk));
  EXPECT_EQ(issue_faults(gemm, full), 0u);
  EXPECT_EQ(issue_faults(gemm, no_mac), bit(isa::Fault::kUnknownOpcode));
  EXPECT_EQ(issue_faults(ham, no_mac), 0u);
  EXPECT_EQ(issue_faults(ham, no_ham), bit(isa::Fault::kUnknownOpcode));
  EXPECT_EQ(issue_faults(make_load(isa::Buf::kAbuf, 0, 4, 0), full), 0u);
  EXPECT_EQ(issue_faults(make_load(isa::Buf::kAbuf, 0, 4, 0), no_mac), bit(isa::Fault::kBadBuffer));
  EXPECT_EQ(issue_faults(make_store(isa::Buf::kPbuf, 0, 4, 0), no_mac), bit(isa::Fault::kBadBuffer));
  EXPECT_EQ(issue_faults(make_load(isa::Buf::kQbuf, 0, 4, 0), no_mac), 0u);
  EXPECT_EQ(issue_faults(make_load(isa::Buf::kQbuf, 0, 4, 0), no_ham), bit(isa::Fault::kBadBuffer));
  EXPECT_EQ(issue_faults(make_load(isa::Buf::kAbuf, 0, 0, 0), no_mac), 0u);  // moves nothing
  EXPECT_TRUE(has(check_insn(gemm, no_mac, 1 << 20), "gemm needs the bitmac engine"));
  EXPECT_TRUE(has(check_insn(gemm, no_mac, 1 << 20), "has_bitmac: 0"));
  const std::string why = check_insn(make_load(isa::Buf::kAbuf, 0, 4, 0), no_mac, 1 << 20);
  EXPECT_TRUE(has(why, "load can only fill qbuf, dbuf on this machine")) << why;
  EXPECT_TRUE(has(why, "abuf is left out with its engines")) << why;
  EXPECT_TRUE(isa::buf_present(static_cast<uint64_t>(isa::Buf::kRbuf), no_mac));
  EXPECT_FALSE(isa::buf_present(static_cast<uint64_t>(isa::Buf::kRbuf), no_ham));
  EXPECT_FALSE(isa::buf_present(static_cast<uint64_t>(isa::Buf::kObuf), no_mac));
  // A whole program is refused for the engine first, before the loads into its buffers.
  Program p;
  p.insns = {make_load(isa::Buf::kAbuf, 0, 4, 0), gemm, make_finish()};
  try {
    check_program(p, no_mac, 1 << 20);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_TRUE(has(e.what(), "needs the bitmac engine (gemm at instruction 1)")) << e.what();
    EXPECT_TRUE(has(e.what(), "has_bitmac: 0")) << e.what();
  }
}

// The functional executor stops at the first instruction that faults, as the machine does.
TEST(Checker, ExecutorStopsAtAFault) {
  HwConfig hw;
  Program p;
  p.insns = {make_load(isa::Buf::kQbuf, 0, 4, 0), make_load(isa::Buf::kRbuf, 0, 4, 0), make_finish()};
  const ExecResult r = execute_program(p, hw, std::vector<uint8_t>(64, 0));
  EXPECT_EQ(r.fault.causes, 1u << static_cast<int>(isa::Fault::kBadBuffer));
  EXPECT_EQ(r.fault.insn, 1);
  EXPECT_TRUE(has(r.fault.describe(p), "bad_buffer")) << r.fault.describe(p);
  EXPECT_TRUE(has(r.fault.describe(p), "instruction 1 (load buf=rbuf")) << r.fault.describe(p);
  EXPECT_THROW(execute(p, hw, std::vector<uint8_t>(64, 0)), Error);
}

// Data races: two units touching one word, one writing, with no chain of tokens between them.
TEST(Checker, RacesAreFoundAndTokensRemoveThem) {
  HwConfig hw;
  Program p;
  // The load fills qbuf words 0..3 while the hamtopk reads word 0: nothing orders them.
  p.insns = {make_load(isa::Buf::kQbuf, 0, 4, 0), ham({true, 1, 1, 0, 0, 0, 0, 1}), make_finish()};
  std::string r = find_race(p, hw, 1 << 12);
  EXPECT_TRUE(has(r, "race on qbuf words 0..0")) << r;
  EXPECT_TRUE(has(r, "instructions 0 (load") && has(r, "and 1 (hamtopk")) << r;
  EXPECT_TRUE(has(check_error(p, hw, 1 << 12), "race")) << check_error(p, hw, 1 << 12);
  // A token from the load to the hamtopk orders them; the store of rbuf then races with the finish
  // (DRAM) unless it pushes a token the finish pops.
  p.insns = {make_load(isa::Buf::kQbuf, 0, 4, 0, Deps{false, false, false, true}),
             ham({true, 1, 1, 0, 0, 0, 0, 1}, Deps{true, false, false, true}),
             make_store(isa::Buf::kRbuf, 0, 4, 64, Deps{true, false, false, false}), make_finish()};
  r = find_race(p, hw, 1 << 12);
  EXPECT_TRUE(has(r, "DRAM bytes 64..95")) << r;
  p.insns[2] = make_store(isa::Buf::kRbuf, 0, 4, 64, Deps{true, false, true, false});
  p.insns[3] = make_finish(Deps{false, true, false, false});
  EXPECT_EQ(find_race(p, hw, 1 << 12), "");
  // Disjoint words need no token: loading qbuf 4..7 while the hamtopk reads word 0.
  p.insns.insert(p.insns.begin() + 2, make_load(isa::Buf::kQbuf, 4, 4, 0));
  EXPECT_EQ(find_race(p, hw, 1 << 12), "");
  // Tokens order transitively: load -> compute -> store -> compute; a store reading rbuf the second
  // hamtopk then overwrites is ordered by s2c.
  p.insns = {make_load(isa::Buf::kQbuf, 0, 4, 0, Deps{false, false, false, true}),
             ham({true, 1, 1, 0, 0, 0, 0, 1}, Deps{true, false, false, true}),
             make_store(isa::Buf::kRbuf, 0, 4, 64, Deps{true, false, true, false}),
             ham({true, 1, 1, 0, 0, 0, 0, 1}, Deps{false, true, false, true}),
             make_store(isa::Buf::kRbuf, 0, 4, 128, Deps{true, false, true, false}),
             make_finish(Deps{false, true, false, false})};
  EXPECT_EQ(find_race(p, hw, 1 << 12), "");
  p.insns[3] = ham({true, 1, 1, 0, 0, 0, 0, 1}, Deps{false, false, false, true});  // no s2c: rbuf race
  r = find_race(p, hw, 1 << 12);
  EXPECT_TRUE(has(r, "rbuf words 0..0")) << r;
}
