// The table unit's reference model (model/src/engines/lut.cpp, ARCHITECTURE.md §3.6, R14): legality, execution time
// against the timing oracle, actions, and the function on a table and rows worked out here.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bitgrid/engine.h"
#include "bitgrid/engines/lut.h"
#include "rule_oracle.h"

namespace bitgrid {
namespace {

const Engine& lut_engine_() { return *engine_of(static_cast<uint64_t>(isa::Op::kLut)); }
bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

isa::LutInsn simple() {
  isa::LutInsn l;
  l.n_rows = 2;
  l.row_segs = 3;
  l.src_stride = 6;
  l.dst_stride = 8;
  return l;
}

TEST(LutEngine, Legality) {
  HwConfig hw;  // mac_cols 16: segments of 2 words; tbuf 2 KiB = 256 words
  auto check = [&](isa::LutInsn l) { return lut_engine_().check(encode(l), hw); };
  EXPECT_EQ(check(simple()), "");
  isa::LutInsn l = simple();
  l.n_rows = 0;
  EXPECT_TRUE(has(check(l), "n_rows must be at least 1"));
  l = simple();
  l.row_segs = 0;
  EXPECT_TRUE(has(check(l), "row_segs must be at least 1"));
  l = simple();
  l.t_addr = 16;
  EXPECT_TRUE(has(check(l), "t_addr must be a multiple of 32"));
  l.t_addr = 256 - 32;
  EXPECT_EQ(check(l), "");
  l.t_addr = 256;
  EXPECT_TRUE(has(check(l), "the table exceeds tbuf (256 words)"));
  for (auto set : {+[](isa::LutInsn& x) { x.src_addr = 1; }, +[](isa::LutInsn& x) { x.dst_addr = 3; },
                   +[](isa::LutInsn& x) { x.src_stride = 5; }, +[](isa::LutInsn& x) { x.dst_stride = 7; }}) {
    l = simple();
    set(l);
    EXPECT_TRUE(has(check(l), "must be a multiple of 2")) << check(l);
  }
  const uint64_t ow = static_cast<uint64_t>(hw.buf_words(isa::Buf::kObuf));
  l = simple();
  l.src_addr = ow - 6 - 6;  // the second row ends at obuf's end
  EXPECT_EQ(check(l), "");
  l.src_addr += 2;
  EXPECT_TRUE(has(check(l), "rows exceed obuf"));
  const uint64_t aw = static_cast<uint64_t>(hw.buf_words(isa::Buf::kAbuf));
  l = simple();
  l.dst_addr = aw - 8 - 6;
  EXPECT_EQ(check(l), "");
  l.dst_addr += 2;
  EXPECT_TRUE(has(check(l), "results exceed abuf"));
}

TEST(LutEngine, CyclesActionsAndFunction) {
  HwConfig hw;
  hw.mac_cols = 8;  // segments of one word
  const isa::LutInsn l = simple();
  const Insn in = encode(l);
  EXPECT_EQ(lut_engine_().cycles(in, hw), 8u + 2 * 3 + 2);
  EXPECT_EQ(lut_engine_().cycles(in, hw), bgtest::oracle_engine_cycles(hw, in));
  ActionCounts a;
  lut_engine_().count(in, hw, a);
  EXPECT_EQ(a.get("lut.lookup"), 2u * 3 * 8);
  EXPECT_EQ(a.get("sram.tbuf.read_words"), 32u);
  EXPECT_EQ(a.get("sram.abuf.write_words"), 6u);
  // table: x -> x/2 rounded toward -inf (arithmetic shift), as signed bytes
  int8_t half[256];
  for (int e = 0; e < 256; ++e) half[e] = static_cast<int8_t>((e < 128 ? e : e - 256) >> 1);
  Scratchpads spm(hw);
  const auto t = lut::pack_table(half);
  std::copy(t.begin(), t.end(), spm.data(isa::Buf::kTbuf));
  // row 0 (obuf 0..2): bytes 0, -1, 127, -128, 5, -5, ...; row 1 at 6
  const std::vector<int8_t> vals = {0, -1, 127, -128, 5, -5, 64, -64};
  for (uint64_t w = 0; w < 9; ++w) {
    uint64_t x = 0;
    for (uint64_t b = 0; b < 8; ++b) x |= uint64_t{static_cast<uint8_t>(vals[(w + b) % 8])} << (8 * b);
    spm.data(isa::Buf::kObuf)[w] = x;
  }
  std::vector<SpmWrite> wr;
  lut_engine_().execute(in, hw, spm, wr);
  ASSERT_EQ(wr.size(), 2u);
  EXPECT_EQ(wr[1].addr, 8u);
  for (uint64_t r = 0; r < 2; ++r)
    for (uint64_t w = 0; w < 3; ++w)
      for (uint64_t b = 0; b < 8; ++b) {
        const int8_t v = vals[(r * 6 + w + b) % 8];
        EXPECT_EQ(static_cast<int8_t>(wr[r].words[w] >> (8 * b)), v >> 1) << r << " " << w << " " << b;
      }
}

}  // namespace
}  // namespace bitgrid
