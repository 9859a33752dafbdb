// rtl/bg_scratchpad.sv (Words 64, RowWords 4, AWords 2, BWords 2, all four port modes enabled; the -G values
// of tests/rtl/CMakeLists.txt; BWWords 2, and 1 in the "narrow" set) against a C++ word array: port A beat
// writes and reads, port B 2-word (segment-aligned) reads and BWWords-word writes, one cycle of read latency, read data
// held until the port's next read, and a read colliding with a write of the same word in the same cycle returns the old
// word. Two writes of one word in one cycle and an access beyond the buffer are illegal and must fire the module's
// assertions.
#include <gtest/gtest.h>

#include <array>
#include <random>

#include "Vdut.h"
#include "rtl_test_util.h"

namespace {

using namespace bgtest;

#ifndef BG_SPM_BWWORDS
#define BG_SPM_BWWORDS 2
#endif
// Port B reads kBWords words and writes kBWWords (the narrow set: 1, the width of an engine's narrower writes).
constexpr unsigned kWords = 64, kAWords = 2, kBWords = 2, kBWWords = BG_SPM_BWWORDS;
// The words port B's access touches.
constexpr unsigned b_span(bool write) { return write ? kBWWords : kBWords; }

class ScratchpadTest : public ::testing::Test {
 protected:
  Clocked<Vdut> sim;  // no reset: the scratchpad has none
  std::array<uint64_t, kWords> mem{};
  std::mt19937_64 rng{2024};
  bool a_valid = false, b_valid = false;  // a read has happened on the port
  std::array<uint64_t, kAWords> a_exp{};
  std::array<uint64_t, kBWords> b_exp{};
  uint64_t collisions = 0, reads_checked = 0;

  enum Op { kNone, kRead, kWrite };
  struct Cmd {
    Op a = kNone, b = kNone;
    unsigned a_addr = 0, b_addr = 0;
    std::array<uint64_t, kAWords> a_data{};
    std::array<uint64_t, kBWWords> b_data{};
  };

  void step(const Cmd& cmd) {
    sim->a_req_i = cmd.a != kNone;
    sim->a_we_i = cmd.a == kWrite;
    sim->a_addr_i = cmd.a_addr;
    for (unsigned w = 0; w < kAWords; ++w) set_word(sim->a_wdata_i, w, cmd.a_data[w]);
    sim->b_req_i = cmd.b != kNone;
    sim->b_we_i = cmd.b == kWrite;
    sim->b_addr_i = cmd.b_addr;
    for (unsigned w = 0; w < kBWWords; ++w) set_word(sim->b_wdata_i, w, cmd.b_data[w]);
    sim.settle();
    const uint64_t c = sim.cycle();
    if (a_valid)
      for (unsigned w = 0; w < kAWords; ++w) {
        ASSERT_EQ(get_word(sim->a_rdata_o, w), a_exp[w]) << "port A word " << w << " cycle " << c;
        ++reads_checked;
      }
    if (b_valid)
      for (unsigned w = 0; w < kBWords; ++w) {
        ASSERT_EQ(get_word(sim->b_rdata_o, w), b_exp[w]) << "port B word " << w << " cycle " << c;
        ++reads_checked;
      }
    // Reads sample the memory as it is before this cycle's writes.
    if (cmd.a == kRead) {
      a_valid = true;
      for (unsigned w = 0; w < kAWords; ++w) a_exp[w] = mem[cmd.a_addr + w];
      if (cmd.b == kWrite && cmd.b_addr < cmd.a_addr + kAWords && cmd.a_addr < cmd.b_addr + kBWWords) ++collisions;
    }
    if (cmd.b == kRead) {
      b_valid = true;
      for (unsigned w = 0; w < kBWords; ++w) b_exp[w] = mem[cmd.b_addr + w];
      if (cmd.a == kWrite && cmd.a_addr < cmd.b_addr + kBWords && cmd.b_addr < cmd.a_addr + kAWords) ++collisions;
    }
    if (cmd.a == kWrite)
      for (unsigned w = 0; w < kAWords; ++w) mem[cmd.a_addr + w] = cmd.a_data[w];
    if (cmd.b == kWrite)
      for (unsigned w = 0; w < kBWWords; ++w) mem[cmd.b_addr + w] = cmd.b_data[w];
    sim.edge();
  }

  ScratchpadTest() {
    sim->a_req_i = 0;
    sim->b_req_i = 0;
    sim.settle();
  }

  void init_memory() {
    for (unsigned a = 0; a < kWords; a += kAWords) {
      Cmd cmd;
      cmd.a = kWrite;
      cmd.a_addr = a;
      for (auto& d : cmd.a_data) d = rng();
      step(cmd);
    }
  }
};

TEST_F(ScratchpadTest, WriteThenReadEveryWord) {
  init_memory();
  // Read every beat on A and every segment on B, with idle cycles in between (data must be held).
  for (unsigned a = 0; a < kWords; a += kAWords) {
    Cmd cmd;
    cmd.a = kRead;
    cmd.a_addr = a;
    cmd.b = kRead;
    cmd.b_addr = (kWords - kBWords - a) & ~(kBWords - 1);
    step(cmd);
    step(Cmd{});
    step(Cmd{});
    if (HasFatalFailure()) return;
  }
}

TEST_F(ScratchpadTest, SameCycleReadReturnsOldWord) {
  init_memory();
  // B writes words 4..5 (the narrow set: word 5) while A reads beat 4..5: A sees the old words, the next A
  // read sees the new ones.
  Cmd cmd;
  cmd.a = kRead;
  cmd.a_addr = 4;
  cmd.b = kWrite;
  cmd.b_addr = 6 - kBWWords;
  cmd.b_data.fill(0x0123456789ABCDEFull);
  cmd.b_data[kBWWords - 1] = 0xFEDCBA9876543210ull;
  const uint64_t old5 = mem[5];
  step(cmd);
  step(Cmd{});
  EXPECT_EQ(a_exp[1], old5);
  EXPECT_NE(old5, cmd.b_data[kBWWords - 1]);
  Cmd rd;
  rd.a = kRead;
  rd.a_addr = 4;
  step(rd);
  step(Cmd{});
  EXPECT_EQ(a_exp[1], 0xFEDCBA9876543210ull);
  // A writes beat 8..9 while B reads 8..9.
  Cmd cmd2;
  cmd2.a = kWrite;
  cmd2.a_addr = 8;
  cmd2.a_data = {0x1111, 0x2222};
  cmd2.b = kRead;
  cmd2.b_addr = 8;
  step(cmd2);
  step(Cmd{});
  Cmd rd2;
  rd2.b = kRead;
  rd2.b_addr = 8;
  step(rd2);
  step(Cmd{});
  EXPECT_EQ(b_exp[0], 0x1111u);
}

TEST_F(ScratchpadTest, RandomTraffic) {
  init_memory();
  for (int i = 0; i < 20000; ++i) {
    Cmd cmd;
    const unsigned ra = rng() % 3, rb = rng() % 3;
    cmd.a = static_cast<Op>(ra);
    cmd.b = static_cast<Op>(rb);
    // Half of the time the two ports touch the same row segment, to provoke collisions.
    cmd.a_addr = static_cast<unsigned>(rng() % kWords) & ~(kAWords - 1);
    if (rng() % 2) {
      cmd.b_addr = cmd.a_addr;
    } else {
      cmd.b_addr = static_cast<unsigned>(rng() % kWords);
    }
    cmd.b_addr &= ~(b_span(cmd.b == kWrite) - 1);  // reads kBWords-, writes kBWWords-aligned
    for (auto& d : cmd.a_data) d = rng();
    for (auto& d : cmd.b_data) d = rng();
    // Two writes of one word in one cycle are illegal (asserted; see IllegalAccessesAreAsserted): avoid them.
    if (cmd.a == kWrite && cmd.b == kWrite && cmd.b_addr < cmd.a_addr + kAWords && cmd.a_addr < cmd.b_addr + kBWWords)
      cmd.b = kNone;
    step(cmd);
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(collisions, 1000u);
  EXPECT_GT(reads_checked, 50000u);
}

TEST_F(ScratchpadTest, IllegalAccessesAreAsserted) {
  init_memory();
  sim.expect_assertions(true);
  // both ports write words 8..9
  sim->a_req_i = 1;
  sim->a_we_i = 1;
  sim->a_addr_i = 8;
  sim->b_req_i = 1;
  sim->b_we_i = 1;
  sim->b_addr_i = 8;
  sim.tick();
  EXPECT_TRUE(fired_with(sim.take_fired(), "bg_scratchpad: both ports write one word in one cycle"));
  sim->b_req_i = 0;
  sim->a_addr_i = kWords;  // one beat past the end
  sim.tick();
  EXPECT_TRUE(fired_with(sim.take_fired(), "bg_scratchpad: port A access beyond the buffer"));
  sim->a_req_i = 0;
  sim->b_req_i = 1;
  sim->b_we_i = 0;
  sim->b_addr_i = (1u << 20) - kBWords;  // the last segment of the address space
  sim.tick();
  EXPECT_TRUE(fired_with(sim.take_fired(), "bg_scratchpad: port B access beyond the buffer"));
  sim->b_addr_i = kWords - kBWords;  // the last segment of the buffer: fine
  sim.tick();
  sim->b_req_i = 0;
  sim.tick();
  EXPECT_TRUE(sim.take_fired().empty());
}

}  // namespace
