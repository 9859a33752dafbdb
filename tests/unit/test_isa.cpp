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
  // configs/isa.yaml: hamtopk.base_index is bits [95:64], n_codes [127:112]; load.dram_addr [95:64].
  Insn i = make_hamtopk({true, 5, 4, 0, 0, 0xDEADBEEF, 0, 0x1234});
  EXPECT_EQ(i.w[1] & 0xFFFFFFFFu, 0xDEADBEEFu);
  EXPECT_EQ(i.w[1] >> 48, 0x1234u);
  EXPECT_EQ(i.w[0] & 0xF, 3u);  // opcode hamtopk = 3
  Insn l = make_load(isa::Buf::kDbuf, 0, 4, 0x80000000u);
  EXPECT_EQ(l.w[1] & 0xFFFFFFFFu, 0x80000000u);
}

TEST(Isa, ValueTooWideForFieldIsAnError) {
  HamTopk h;
  h.k = 128;  // 7-bit field
  EXPECT_THROW(make_hamtopk(h), Error);
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
    p.insns = {make_load(isa::Buf::kQbuf, 0, 4, 0), make_hamtopk({}), make_finish()};
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
