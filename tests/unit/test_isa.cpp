// Instruction encoding, assembly round trips and the program file format.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <random>

#include "bitgrid/error.h"
#include "bitgrid/insn.h"

using namespace bitgrid;

TEST(Isa, EveryFieldRoundTripsWithoutDisturbingOthers) {
  std::mt19937_64 rng(7);
  for (const auto& op : isa::kOps) {
    for (int trial = 0; trial < 50; ++trial) {
      Insn i;
      i.set(isa::kOpcodeField, op.value);
      std::vector<uint64_t> vals;
      for (int f = 0; f < op.num_fields; ++f) {
        const auto& fd = op.fields[f];
        const uint64_t mask = fd.width >= 64 ? ~uint64_t{0} : (uint64_t{1} << fd.width) - 1;
        vals.push_back(rng() & mask);
        i.set(fd, vals.back());
      }
      EXPECT_EQ(i.get(isa::kOpcodeField), op.value);
      for (int f = 0; f < op.num_fields; ++f)
        EXPECT_EQ(i.get(op.fields[f]), vals[f]) << op.name << "." << op.fields[f].name;
      EXPECT_EQ(assemble(disassemble(i)), i) << disassemble(i);
    }
  }
}

TEST(Isa, FieldPositionsMatchTheSpecTable) {
  // configs/isa/engines/hamtopk.yaml: hamtopk.base_index is bits [95:64], n_codes [127:112], n_q [63:58];
  // load.dram_addr [95:64].
  Insn i = encode(isa::HamtopkInsn{true, 5, 4, 0, 0, 0xDEADBEEF, 0, 0x1234, 33, {}});
  EXPECT_EQ(i.w[1] & 0xFFFFFFFFu, 0xDEADBEEFu);
  EXPECT_EQ(i.w[1] >> 48, 0x1234u);
  EXPECT_EQ(i.w[0] >> 58, 33u);
  EXPECT_EQ(isa::HamtopkInsn{}.n_q, 1u);  // a builder's default: one query
  EXPECT_EQ(i.w[0] & 0xF, 3u);            // opcode hamtopk = 3
  Insn l = make_load(isa::Buf::kDbuf, 0, 4, 0x80000000u);
  EXPECT_EQ(l.w[1] & 0xFFFFFFFFu, 0x80000000u);
}

TEST(Isa, ValueTooWideForFieldIsAnError) {
  isa::HamtopkInsn h;
  h.k = 128;  // 7-bit field
  EXPECT_THROW(encode(h), Error);
  EXPECT_THROW(assemble("hamtopk k=200"), Error);
  EXPECT_THROW(assemble("frobnicate x=1"), Error);
  EXPECT_THROW(assemble("load buf=qbuf bogus=1"), Error);
}

TEST(Isa, DisassemblyNamesBuffersAndDeps) {
  const Insn i = make_store(isa::Buf::kRbuf, 8, 16, 64, Deps{true, false, true, false});
  EXPECT_EQ(disassemble(i), "store buf=rbuf spm_addr=8 nwords=16 dram_addr=64 [pop_prev push_prev]");
}

TEST(Crc32, KnownVector) {
  // The CRC-32 (IEEE) check value of "123456789" is 0xCBF43926.
  const char* s = "123456789";
  EXPECT_EQ(crc32(reinterpret_cast<const uint8_t*>(s), 9), 0xCBF43926u);
}

class ProgramFile : public ::testing::Test {
 protected:
  std::string path = ::testing::TempDir() + "prog_test.bgp";
  Program prog() {
    Program p;
    p.insns = {make_load(isa::Buf::kQbuf, 0, 4, 0), encode(isa::HamtopkInsn{true, 1, 1, 0, 0, 0, 0, 1, 1, {}}),
               make_finish()};
    return p;
  }
  std::vector<char> bytes() {
    std::ifstream f(path, std::ios::binary);
    return std::vector<char>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  }
  void write(const std::vector<char>& b) {
    std::ofstream f(path, std::ios::binary);
    f.write(b.data(), static_cast<std::streamsize>(b.size()));
  }
};

TEST_F(ProgramFile, RoundTrip) {
  save_program(path, prog());
  const Program q = load_program(path);
  ASSERT_EQ(q.insns.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(q.insns[i], prog().insns[i]);
}

TEST_F(ProgramFile, TruncatedCorruptAndForeignFilesAreRejected) {
  save_program(path, prog());
  auto b = bytes();
  write(std::vector<char>(b.begin(), b.end() - 5));
  EXPECT_THROW(load_program(path), Error);
  write(std::vector<char>(b.begin(), b.begin() + 10));
  EXPECT_THROW(load_program(path), Error);
  auto c = b;
  c[30] ^= 1;
  write(c);
  try {
    load_program(path);
    FAIL() << "corrupt program accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("CRC"), std::string::npos) << e.what();
  }
  auto d = b;
  d[0] = 'X';
  write(d);
  EXPECT_THROW(load_program(path), Error);
  auto t = b;
  t.push_back(0);
  write(t);
  EXPECT_THROW(load_program(path), Error);
  EXPECT_THROW(load_program(path + ".missing"), Error);
}

// The generated per-instruction structs (bitgrid/gen/isa.h) against the generic bit-walking field access
// (Insn::get/set over the generated field table): two independent paths through the same positions.
TEST(Isa, GeneratedEncodersAgreeWithTheFieldTable) {
  std::mt19937_64 rng(11);
  auto rnd = [&](const isa::FieldDef& f) {
    return rng() & (f.width >= 64 ? ~uint64_t{0} : (uint64_t{1} << f.width) - 1);
  };
  for (int trial = 0; trial < 200; ++trial) {
    isa::HamtopkInsn h{rnd(isa::kHAMTOPK_INIT),       rnd(isa::kHAMTOPK_K),
                       rnd(isa::kHAMTOPK_CODE_WORDS), rnd(isa::kHAMTOPK_Q_ADDR),
                       rnd(isa::kHAMTOPK_DB_ADDR),    rnd(isa::kHAMTOPK_BASE_INDEX),
                       rnd(isa::kHAMTOPK_R_ADDR),     rnd(isa::kHAMTOPK_N_CODES),
                       rnd(isa::kHAMTOPK_N_Q),        {rng() % 2 == 0, rng() % 2 == 0, rng() % 2 == 0, rng() % 2 == 0}};
    const Insn i = encode(h);
    EXPECT_EQ(i.get(isa::kOpcodeField), static_cast<uint64_t>(isa::Op::kHamtopk));
    EXPECT_EQ(i.get(isa::kHAMTOPK_K), h.k);
    EXPECT_EQ(i.get(isa::kHAMTOPK_DB_ADDR), h.db_addr);
    EXPECT_EQ(i.get(isa::kHAMTOPK_BASE_INDEX), h.base_index);
    EXPECT_EQ(i.get(isa::kHAMTOPK_N_CODES), h.n_codes);
    EXPECT_EQ(i.pop_next(), h.deps.pop_next);
    EXPECT_EQ(i.push_prev(), h.deps.push_prev);
    const auto back = decode<isa::HamtopkInsn>(i);
    EXPECT_EQ(back.q_addr, h.q_addr);
    EXPECT_EQ(back.n_q, h.n_q);
    EXPECT_EQ(back.r_addr, h.r_addr);
    EXPECT_EQ(back.init, h.init);
    EXPECT_EQ(back.deps.pop_prev, h.deps.pop_prev);
    EXPECT_EQ(back.deps.push_next, h.deps.push_next);
    isa::LoadInsn l{
        rnd(isa::kLOAD_BUF), rnd(isa::kLOAD_SPM_ADDR), rnd(isa::kLOAD_NWORDS), rnd(isa::kLOAD_DRAM_ADDR), {}};
    const Insn li = encode(l);
    EXPECT_EQ(li.get(isa::kLOAD_SPM_ADDR), l.spm_addr);
    EXPECT_EQ(li.get(isa::kLOAD_DRAM_ADDR), l.dram_addr);
    EXPECT_EQ(decode<isa::LoadInsn>(li).nwords, l.nwords);
  }
}

// Token routing is generated from the queue order of configs/isa/spine.yaml: every counter has exactly one
// pushing and one popping queue, neighbours of each other, pushed towards the popper.
TEST(Isa, TokenRoutingConnectsNeighbouringQueues) {
  for (int t = 0; t < isa::kNumTokens; ++t) {
    int pushers = 0, poppers = 0, pusher = -1, popper = -1, push_dir = -1, pop_dir = -1;
    for (int q = 0; q < isa::kNumQueues; ++q)
      for (int d = 0; d < 2; ++d) {
        if (isa::kPushToken[q][d] == t) ++pushers, pusher = q, push_dir = d;
        if (isa::kPopToken[q][d] == t) ++poppers, popper = q, pop_dir = d;
      }
    EXPECT_EQ(pushers, 1) << isa::kTokenNames[t];
    EXPECT_EQ(poppers, 1) << isa::kTokenNames[t];
    EXPECT_EQ(popper, pusher + (push_dir == 1 ? 1 : -1)) << isa::kTokenNames[t];
    EXPECT_EQ(pop_dir, 1 - push_dir) << isa::kTokenNames[t];
  }
  // The names of docs/ARCHITECTURE.md R3.
  EXPECT_STREQ(isa::kTokenNames[static_cast<size_t>(isa::kPushToken[0][1])], "l2c");
  EXPECT_STREQ(isa::kTokenNames[static_cast<size_t>(isa::kPushToken[1][0])], "c2l");
  EXPECT_STREQ(isa::kTokenNames[static_cast<size_t>(isa::kPushToken[1][1])], "c2s");
  EXPECT_STREQ(isa::kTokenNames[static_cast<size_t>(isa::kPushToken[2][0])], "s2c");
  EXPECT_EQ(isa::kPopToken[0][0], -1);   // the load queue has no previous queue
  EXPECT_EQ(isa::kPushToken[2][1], -1);  // the store queue has no next queue
}
