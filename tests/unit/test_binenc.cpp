// The binary encoder's reference model (model/src/engines/binenc.cpp, ARCHITECTURE.md §3.5, R13) and the INT8
// SimHash path (bitgrid::quantize_rows_int8, bitgrid::sign_codes_int8): legality, execution time against the timing
// oracle, actions, and the function against codes and addresses worked out here.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "bitgrid/engine.h"
#include "bitgrid/error.h"
#include "bitgrid/floatknn.h"
#include "bitgrid/ksh.h"
#include "rule_oracle.h"

namespace bitgrid {
namespace {

const Engine& benc_engine() { return *engine_of(static_cast<uint64_t>(isa::Op::kBenc)); }

isa::BencInsn simple() {
  isa::BencInsn b;
  b.code_words = 2;
  b.n_codes = 3;
  b.src_stride = 16;
  return b;
}

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

TEST(BinencEngine, Legality) {
  HwConfig hw;  // mac_cols 16: obuf reads of 2 words
  const Engine& e = benc_engine();
  auto check = [&](isa::BencInsn b) { return e.check(encode(b), hw); };
  EXPECT_EQ(check(simple()), "");
  isa::BencInsn b = simple();
  b.code_words = 0;
  EXPECT_TRUE(has(check(b), "code_words = 0 is outside 1..32"));
  b.code_words = 33;
  EXPECT_TRUE(has(check(b), "code_words = 33 is outside 1..32"));
  b = simple();
  b.n_codes = 0;
  EXPECT_TRUE(has(check(b), "n_codes must be at least 1"));
  b = simple();
  b.p_log2 = 7;
  EXPECT_TRUE(has(check(b), "p_log2 = 7 is above 6"));
  b = simple();
  b.src_addr = 1;
  EXPECT_TRUE(has(check(b), "src_addr must be a multiple of 2"));
  b = simple();
  b.src_stride = 3;
  EXPECT_TRUE(has(check(b), "src_stride must be a multiple of 2"));
  const uint64_t ow = static_cast<uint64_t>(hw.buf_words(isa::Buf::kObuf));
  b = simple();
  b.src_addr = ow - 2 * 16 - 16;  // the last row ends exactly at obuf's end
  EXPECT_EQ(check(b), "");
  b.src_addr += 2;
  EXPECT_TRUE(has(check(b), "rows exceed obuf"));
  const uint64_t qw = static_cast<uint64_t>(hw.buf_words(isa::Buf::kQbuf));
  b = simple();
  b.dst_addr = qw - 6;  // 3 codes x 2 words, P = 1
  EXPECT_EQ(check(b), "");
  b.dst_addr += 1;
  EXPECT_TRUE(has(check(b), "codes exceed qbuf"));
  b.dst = 1;  // dbuf is larger
  EXPECT_EQ(check(b), "");
}

TEST(BinencEngine, CyclesAndActions) {
  for (long cols : {8L, 16L, 64L}) {
    HwConfig hw;
    hw.mac_cols = cols;
    for (uint64_t m_log2 : {0u, 2u})
      for (uint64_t cw : {1u, 3u, 4u})
        for (uint64_t n : {1u, 5u}) {
          isa::BencInsn b;
          b.m_log2 = m_log2;
          b.code_words = cw;
          b.n_codes = n;
          b.src_stride = 32;
          const Insn in = encode(b);
          const uint64_t m = uint64_t{1} << m_log2, words = (cw + m - 1) / m * m;
          EXPECT_EQ(benc_engine().cycles(in, hw), n * words * (64 / static_cast<uint64_t>(cols)) + 2);
          EXPECT_EQ(benc_engine().cycles(in, hw), bgtest::oracle_engine_cycles(hw, in));
          ActionCounts a;
          benc_engine().count(in, hw, a);
          EXPECT_EQ(a.get("binenc.code_word"), n * words);
          EXPECT_EQ(a.get("sram.obuf.read_words"), n * cw * 8);
          EXPECT_EQ(a.get("sram.qbuf.write_words"), n * words);
        }
  }
}

// Two codes of 3 words into a dbuf tile layout with P = 2, m = 2 (S = 2 steps, one padding word), c_first = 1:
// code 1 is position 1 of group 0, code 2 position 0 of group 1. Bytes 0x00 (zero: bit 1), 0x7F, 0x80, 0xFF.
TEST(BinencEngine, PacksSignsIntoTheLayout) {
  HwConfig hw;
  Scratchpads spm(hw);
  uint64_t* ob = spm.data(isa::Buf::kObuf);
  // row 0 at 0: word w's 64 bytes: output t = byte t; row 1 at 40 (stride 40)
  const uint64_t pat[3] = {0x00000000000000FFull, 0x7F80FF007F80FF00ull, 0x8080808080808080ull};
  for (uint64_t r = 0; r < 2; ++r)
    for (uint64_t w = 0; w < 3; ++w)
      for (uint64_t j = 0; j < 8; ++j) ob[r * 40 + w * 8 + j] = r ? ~pat[w] : pat[w];
  // signs of pat[w] repeated 8 times: bit t for byte t%8 of the pattern
  auto code_of = [](uint64_t word) {
    uint64_t c = 0;
    for (int t = 0; t < 64; ++t) c |= uint64_t{static_cast<int8_t>(word >> (8 * (t % 8))) >= 0} << t;
    return c;
  };
  isa::BencInsn b;
  b.dst = 1;
  b.p_log2 = 1;
  b.m_log2 = 1;
  b.code_words = 3;
  b.src_stride = 40;
  b.n_codes = 2;
  b.c_first = 1;
  b.dst_addr = 100;
  std::vector<SpmWrite> wr;
  benc_engine().execute(encode(b), hw, spm, wr);
  std::vector<std::pair<uint64_t, uint64_t>> got;
  for (const auto& w : wr) {
    EXPECT_EQ(w.buf, isa::Buf::kDbuf);
    for (size_t j = 0; j < w.words.size(); ++j) got.push_back({w.addr + j, w.words[j]});
  }
  // word(c, w) = ((c/2)*2 + w/2)*4 + (c%2)*2 + w%2
  const std::vector<std::pair<uint64_t, uint64_t>> want = {
      {100 + 2, code_of(pat[0])},  {100 + 3, code_of(pat[1])},  {100 + 6, code_of(pat[2])},   {100 + 7, 0},
      {100 + 8, code_of(~pat[0])}, {100 + 9, code_of(~pat[1])}, {100 + 12, code_of(~pat[2])}, {100 + 13, 0}};
  EXPECT_EQ(got, want);
  EXPECT_EQ(code_of(pat[0]), 0xFEFEFEFEFEFEFEFEull);  // byte 0 = -1, bytes 1-7 = 0
  // the race checker sees the whole span of the interleaved codes
  std::vector<Access> acc;
  benc_engine().accesses(encode(b), hw, acc);
  ASSERT_FALSE(acc.empty());
  EXPECT_EQ(acc.back().lo, 102u);
  EXPECT_EQ(acc.back().hi, 114u);
  EXPECT_TRUE(acc.back().write);
}

TEST(SimhashInt8, QuantizesRowsByTheirOwnScale) {
  const FloatMatrix x{3, 4, {0.5f, -1.0f, 0.25f, 0.0f, 0, 0, 0, 0, 3.0f, 1.5f, -0.75f, 0.011f}};
  const std::vector<int8_t> q = quantize_rows_int8(x);
  // row 0: scale 127/1: 63.5 -> 64 (half away from zero), -127, 31.75 -> 32, 0; row 1 zero; row 2: 127/3
  const std::vector<int8_t> want = {64, -127, 32, 0, 0, 0, 0, 0, 127, 64, -32, 0};
  EXPECT_EQ(q, want);
}

TEST(SimhashInt8, SignsOfExactDotProducts) {
  std::mt19937_64 rng(3);
  const size_t n = 50, dim = 37, bits = 128;
  std::vector<int8_t> x(n * dim), p(bits * dim);
  for (auto& v : x) v = static_cast<int8_t>(rng());
  for (auto& v : p) v = static_cast<int8_t>(rng());
  std::fill_n(x.begin(), dim, int8_t{0});  // a zero row: every dot product 0, every bit 1
  const CodeSet c = sign_codes_int8(x, n, dim, p, bits);
  ASSERT_EQ(c.words, 2u);
  EXPECT_EQ(c.code(0)[0], ~uint64_t{0});
  EXPECT_EQ(c.code(0)[1], ~uint64_t{0});
  for (size_t i = 0; i < n; ++i)
    for (size_t b = 0; b < bits; ++b) {
      long long y = 0;
      for (size_t d = 0; d < dim; ++d) y += static_cast<long long>(x[i * dim + d]) * p[b * dim + d];
      EXPECT_EQ((c.code(i)[b / 64] >> (b % 64)) & 1, y >= 0 ? 1u : 0u) << i << " " << b;
    }
}

}  // namespace
}  // namespace bitgrid

namespace bitgrid {
namespace {

// Kernelized hashing (bitgrid/ksh.h): the INT8 twin's constants by hand, and its codes against the float encoder's.
TEST(Ksh, Int8ConstantsAndAgreementWithFloat) {
  const FloatMatrix db = random_gaussian(400, 24, 5);
  const KshFloat k = ksh_fit(db, 20, 64, 9);
  EXPECT_GT(k.sigma, 0.5);  // unit rows: squared distances in [0, 4], about 2 for random directions
  EXPECT_LT(k.sigma, 3.5);
  const KshInt8 q = ksh_int8(k);
  // u = acc/127 as (acc*mult + 2^(shift-1)) >> shift: 2^22/127 = 33025.98 (2^23/127 would not fit 16 bits)
  EXPECT_EQ(q.shift, 22);
  EXPECT_EQ(q.mult, 33026);
  EXPECT_EQ(q.table[127], 127);  // u = 127: x = a, exp(0)
  EXPECT_EQ(q.table[0], static_cast<int8_t>(std::lround(127 * std::exp(-1 / k.sigma))));
  for (int e = 129; e < 256; ++e) EXPECT_LE(q.table[e - 1], q.table[e]);  // exp grows with u (-127..)
  for (int e = 1; e < 128; ++e) EXPECT_LE(q.table[e - 1], q.table[e]);
  const CodeSet f = ksh_codes(k, db), i8 = ksh_codes_int8(q, normalize_rows_int8(db), db.rows);
  uint64_t flips = 0;
  for (size_t w = 0; w < f.data.size(); ++w)
    flips += static_cast<uint64_t>(__builtin_popcountll(f.data[w] ^ i8.data[w]));
  EXPECT_LT(static_cast<double>(flips) / (db.rows * 64.0), 0.05) << flips;
  EXPECT_THROW(ksh_fit(db, 0, 64, 1), Error);
  EXPECT_THROW(ksh_fit(db, 401, 64, 1), Error);
}

}  // namespace
}  // namespace bitgrid
