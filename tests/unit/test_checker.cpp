// Static program checks: ranges, alignment, and deadlock detection with the stuck queues named.
#include <gtest/gtest.h>

#include "bitgrid/error.h"
#include "bitgrid/executor.h"
#include "bitgrid/insn.h"

using namespace bitgrid;

namespace {
std::string check_error(const Program& p, const HwConfig& hw, uint64_t dram = 1 << 20) {
  try {
    check_program(p, hw, dram);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
bool has(const std::string& s, const std::string& sub) { return s.find(sub) != std::string::npos; }
}  // namespace

TEST(Checker, AcceptsASynchronisedProgram) {
  HwConfig hw;
  Program p;
  p.insns = {make_load(isa::Buf::kQbuf, 0, 4, 0, Deps{false, false, false, true}),
             make_hamtopk({true, 1, 1, 0, 0, 0, 0, 1}, Deps{true, false, false, true}),
             make_store(isa::Buf::kRbuf, 0, 4, 64, Deps{true, false, true, false}),
             make_finish(Deps{false, true, false, false})};
  EXPECT_EQ(check_error(p, hw), "");
}

TEST(Checker, DeadlockNamesStuckQueuesAndTokens) {
  HwConfig hw;
  Program p;
  // compute waits for an l2c token that no load ever pushes
  p.insns = {make_load(isa::Buf::kQbuf, 0, 4, 0),
             make_hamtopk({true, 1, 1, 0, 0, 0, 0, 1}, Deps{true, false, false, false}), make_finish()};
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
  EXPECT_TRUE(has(one(make_hamtopk({true, 65, 1, 0, 0, 0, 0, 1})), "topk_max = 64"));
  EXPECT_TRUE(has(one(make_hamtopk({true, 4, 17, 0, 0, 0, 0, 1})), "max_code_bits = 1024"));
  EXPECT_TRUE(has(one(make_hamtopk({true, 4, 1, 0, 3, 0, 0, 1})), "db_addr must be a multiple of 8"));
  EXPECT_TRUE(has(one(make_hamtopk({true, 4, 1, 0, 0, 0, 0, 0})), "n_codes"));
  Insn bad = make_nop();
  bad.w[1] = 1;  // reserved bits
  EXPECT_TRUE(has(one(bad), "reserved bits"));
  Insn unk;
  unk.set(isa::kOpcodeField, 9);
  EXPECT_TRUE(has(one(unk), "unknown opcode 9"));
  EXPECT_TRUE(has(one(make_load(isa::Buf::kQbuf, 0, 4, 0, Deps{true, false, false, false})), "no previous queue"));
}
