// The sign-select accumulator's reference model (model/src/engines/signacc.cpp, ARCHITECTURE.md §3.7, R15/R16):
// legality, execution time against the timing oracle, the reciprocal, and the function against EcoFormer's
// linear attention worked out here pair by pair (kernel h_n^T h_j + c, DESIGN.md §5.3), not through S and z.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "bitgrid/engine.h"
#include "bitgrid/engines/signacc.h"
#include "rule_oracle.h"

namespace bitgrid {
namespace {

const Engine& eng() { return *engine_of(static_cast<uint64_t>(isa::Op::kSacc)); }
bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// h_t of a code word: +1 if bit t is set.
int h(uint64_t code, uint64_t t) { return ((code >> t) & 1) ? 1 : -1; }
int8_t byte_at(const uint64_t* w, uint64_t i) { return static_cast<int8_t>(w[i / 8] >> (8 * (i % 8))); }
void put_byte(uint64_t* w, uint64_t i, int8_t v) {
  w[i / 8] = (w[i / 8] & ~(uint64_t{0xFF} << (8 * (i % 8)))) | (uint64_t{static_cast<uint8_t>(v)} << (8 * (i % 8)));
}
void apply_writes(Scratchpads& spm, const std::vector<SpmWrite>& wr) {
  for (const auto& w : wr) std::copy(w.words.begin(), w.words.end(), spm.data(w.buf, w.addr));
}

// Keys/values/queries of one attention head on the machine's buffers: keys' codes in dbuf from 0, values in obuf
// rows of d bytes from 0, queries' codes in qbuf from 0, the state at pbuf 0, results at abuf 0.
struct Head {
  uint64_t b = 0, G = 0, d = 0;
  std::vector<uint64_t> keys, queries;
  std::vector<std::vector<int8_t>> values;
};
Head random_head(std::mt19937_64& rng, const HwConfig& hw, uint64_t b, uint64_t G, uint64_t n) {
  Head x;
  x.b = b, x.G = G, x.d = G * signacc::cols(hw);
  for (uint64_t j = 0; j < n; ++j) {
    x.keys.push_back(rng());
    x.queries.push_back(rng());
    std::vector<int8_t> v(x.d);
    for (auto& e : v) e = static_cast<int8_t>(rng());
    x.values.push_back(v);
  }
  return x;
}
void load(Scratchpads& spm, const Head& x) {
  for (size_t j = 0; j < x.keys.size(); ++j) {
    spm.data(isa::Buf::kDbuf)[j] = x.keys[j];
    spm.data(isa::Buf::kQbuf)[j] = x.queries[j];
    for (uint64_t c = 0; c < x.d; ++c) put_byte(spm.data(isa::Buf::kObuf, j * x.d / 8), c, x.values[j][c]);
  }
}
Insn sacc(const Head& x, uint64_t first, uint64_t n, bool init) {
  isa::SaccInsn a;
  a.init = init, a.code_bits = x.b, a.row_segs = x.G, a.n_keys = n;
  a.k_addr = first, a.v_addr = first * x.d / 8, a.v_stride = x.d / 8;
  return encode(a);
}
Insn sqry(const Head& x, uint64_t n, uint64_t form, uint64_t gain = 0) {
  isa::SqryInsn q;
  q.form = form, q.code_bits = x.b, q.row_segs = x.G, q.n_q = n, q.v_stride = x.d / 8, q.gain_log2 = gain;
  return encode(q);
}

// The attention output from the pairwise kernel k(n, j) = h_n^T h_j + c (c = b + 1), as a real number:
// form 0 [sum_j h_n^T h_j v_j + c v_n] / [sum_j h_n^T h_j + N c], form 1 [sum_j k(n,j) v_j] / [sum_j k(n,j)].
double attention(const Head& x, uint64_t n, uint64_t col, uint64_t form) {
  const double c = static_cast<double>(x.b) + 1;
  double num = 0, den = 0;
  for (size_t j = 0; j < x.keys.size(); ++j) {
    double dot = 0;
    for (uint64_t t = 0; t < x.b; ++t) dot += h(x.queries[n], t) * h(x.keys[j], t);
    num += (form ? dot + c : dot) * x.values[j][col];
    den += dot + c;
  }
  if (form == 0) num += c * x.values[n][col];
  return num / den;
}

TEST(SignaccEngine, ReciprocalIsTheFloorOfItsFixedPointQuotient) {
  for (int64_t den : {1, 2, 3, 5, 7, 17, 100, 255, 256, 257, 3136, 65535, 65536, 1000003, 0x7FFFFFFF}) {
    const signacc::Recip r = signacc::recip(static_cast<int32_t>(den));
    const unsigned L = static_cast<unsigned>(std::floor(std::log2(static_cast<double>(den)))) + 1;
    EXPECT_EQ(r.shift, L + 15) << den;
    EXPECT_LE(static_cast<long double>(r.r) * den, std::ldexp(1.0L, static_cast<int>(L + 15))) << den;
    EXPECT_GT(static_cast<long double>(r.r + 1) * den, std::ldexp(1.0L, static_cast<int>(L + 15))) << den;
    EXPECT_GE(r.r, 1u << 15) << den;
    EXPECT_LE(r.r, 1u << 16) << den;
  }
  EXPECT_EQ(signacc::recip(0).r, 0u);
  EXPECT_EQ(signacc::recip(-5).r, 0u);
  // results: 7/2 = 3.5 rounds up, -7/2 = -3.5 rounds up to -3, saturation both ways, an empty state gives 0
  EXPECT_EQ(signacc::result(7, signacc::recip(2)), 4);
  EXPECT_EQ(signacc::result(-7, signacc::recip(2)), -3);
  EXPECT_EQ(signacc::result(1000, signacc::recip(3)), 127);
  EXPECT_EQ(signacc::result(-1000, signacc::recip(3)), -128);
  EXPECT_EQ(signacc::result(1000, signacc::recip(0)), 0);
  // with a gain: round(2^g num / den): 7*2/3 = 4.67 -> 5, -1*128/4 = -32, 100*4/3 = 133.3 saturates
  EXPECT_EQ(signacc::result(7, signacc::recip(3), 1), 5);
  EXPECT_EQ(signacc::result(-1, signacc::recip(4), 7), -32);
  EXPECT_EQ(signacc::result(100, signacc::recip(3), 2), 127);
  EXPECT_EQ(signacc::result(3, signacc::recip(1000), 7), 0);  // 0.384 rounds to 0
  EXPECT_EQ(signacc::result(4, signacc::recip(1000), 7), 1);  // 0.512 rounds to 1
}

TEST(SignaccEngine, Legality) {
  HwConfig hw;  // mac_cols 16, sacc_bits 16, pbuf 32 KiB = 4096 words
  auto check = [&](const Insn& in) { return eng().check(in, hw); };
  std::mt19937_64 rng(1);
  const Head x = random_head(rng, hw, 16, 4, 3);
  EXPECT_EQ(check(sacc(x, 0, 3, true)), "");
  EXPECT_EQ(check(sqry(x, 3, 0)), "");
  isa::SaccInsn a = decode<isa::SaccInsn>(sacc(x, 0, 3, true));
  a.code_bits = 17;
  EXPECT_TRUE(has(check(encode(a)), "code_bits must be in 1..sacc_bits (16)"));
  a.code_bits = 0;
  EXPECT_TRUE(has(check(encode(a)), "code_bits must be in 1..sacc_bits"));
  a.code_bits = 16;
  a.n_keys = 0;
  EXPECT_TRUE(has(check(encode(a)), "n_keys must be at least 1"));
  a.n_keys = 3;
  a.s_addr = 8;
  EXPECT_TRUE(has(check(encode(a)), "s_addr must be a multiple of 16"));
  // the state: (17*4 + 2) rows of 16 words = 1120 words
  EXPECT_EQ(signacc::state_words(16, 4, hw), 1120u);
  a.s_addr = 4096 - 1120;
  EXPECT_EQ(check(encode(a)), "");
  a.s_addr += 16;
  EXPECT_TRUE(has(check(encode(a)), "the state (1120 words) exceeds pbuf (4096 words)"));
  a.s_addr = 0;
  a.v_addr = 1;
  EXPECT_TRUE(has(check(encode(a)), "v_addr must be a multiple of 2"));
  a.v_addr = 0;
  a.k_addr = static_cast<uint64_t>(hw.buf_words(isa::Buf::kDbuf)) - 2;
  EXPECT_TRUE(has(check(encode(a)), "key codes exceed dbuf"));
  isa::SqryInsn q = decode<isa::SqryInsn>(sqry(x, 3, 1));
  q.dst_addr = static_cast<uint64_t>(hw.buf_words(isa::Buf::kAbuf)) - 3 * 8 + 2;
  EXPECT_TRUE(has(check(encode(q)), "rows exceed abuf"));
  q.dst_addr = 0;
  q.v_addr = static_cast<uint64_t>(hw.buf_words(isa::Buf::kObuf)) - 8;  // form 1 reads no value rows
  EXPECT_EQ(check(encode(q)), "");
  q.form = 0;
  EXPECT_TRUE(has(check(encode(q)), "rows exceed obuf"));
  q.form = 1;
  q.q_addr = static_cast<uint64_t>(hw.buf_words(isa::Buf::kQbuf)) - 2;
  EXPECT_TRUE(has(check(encode(q)), "query codes exceed qbuf"));
  // the overflow limit: 128 N (2b + 1) < 2^31
  EXPECT_EQ(signacc::max_keys(16), 508400u);
  EXPECT_LT(128.0 * 508400 * 33, std::ldexp(1.0, 31));
  EXPECT_GE(128.0 * 508401 * 33, std::ldexp(1.0, 31));
}

TEST(SignaccEngine, CyclesAndActions) {
  HwConfig hw;
  std::mt19937_64 rng(2);
  for (uint64_t b : {1, 5, 15, 16})
    for (uint64_t G : {1, 3})
      for (bool init : {true, false}) {
        const Head x = random_head(rng, hw, b, G, 7);
        for (const Insn& in : {sacc(x, 0, 7, init), sqry(x, 7, init ? 0 : 1)})
          EXPECT_EQ(eng().cycles(in, hw), bgtest::oracle_engine_cycles(hw, in)) << b << " " << G;
      }
  const Head x = random_head(rng, hw, 16, 4, 10);  // d = 64, the PVTv2-B0 stage-1 head
  ActionCounts a;
  eng().count(sacc(x, 0, 10, true), hw, a);
  EXPECT_EQ(a.get("signacc.sel_add"), 10u * (4 * 17 * 16 + 16));
  EXPECT_EQ(a.get("sram.pbuf.read_words"), 0u);
  EXPECT_EQ(a.get("sram.pbuf.write_words"), 1120u);
  EXPECT_EQ(a.get("sram.obuf.read_words"), 10u * 8);
  eng().count(sqry(x, 10, 0), hw, a);
  EXPECT_EQ(a.get("signacc.div_step"), 10u * 4 * 17);
  EXPECT_EQ(a.get("signacc.out_mul"), 10u * 64);
  EXPECT_EQ(a.get("sram.abuf.write_words"), 10u * 8);
}

// The function against the pairwise kernel: the results are within half a unit (rounding) plus the reciprocal's
// 2^-15 relative error of the real quotient, clamped to INT8.
TEST(SignaccEngine, AttentionMatchesThePairwiseKernel) {
  for (uint64_t cols : {8, 16}) {
    HwConfig hw;
    hw.mac_cols = static_cast<int>(cols);
    hw.sacc_bits = 64;
    std::mt19937_64 rng(3 + cols);
    for (uint64_t b : {1, 5, 16, 63, 64})
      for (uint64_t n : {1, 2, 9, 40}) {
        const Head x = random_head(rng, hw, b, 2, n);
        for (uint64_t form : {0, 1}) {
          Scratchpads spm(hw);
          load(spm, x);
          std::vector<SpmWrite> wr;
          eng().execute(sacc(x, 0, n, true), hw, spm, wr);
          apply_writes(spm, wr);
          wr.clear();
          const uint64_t gain = (b + n + form) % 8;  // every gain comes up
          eng().execute(sqry(x, n, form, gain), hw, spm, wr);
          ASSERT_EQ(wr.size(), 1u);
          ASSERT_EQ(wr[0].buf, isa::Buf::kAbuf);
          for (uint64_t q = 0; q < n; ++q)
            for (uint64_t c = 0; c < x.d; ++c) {
              const double want = attention(x, q, c, form) * double(1u << gain);
              const double clamped = std::min(127.0, std::max(-128.0, want));
              const double got = byte_at(wr[0].words.data(), q * x.d + c);
              EXPECT_LE(std::abs(got - clamped), 0.5 + std::abs(want) * std::ldexp(1.0, -15) + 1e-9)
                  << "cols " << cols << " b " << b << " n " << n << " form " << form << " q " << q << " c " << c;
              if (form == 1) {  // a convex combination of the values
                EXPECT_TRUE(want >= -128.5 * (1u << gain) && want <= 127.5 * (1u << gain));
              }
            }
        }
      }
  }
}

// A sequence folded in pieces (init, then continuing from pbuf) leaves the state of one pass; the state's
// entries are sign-extended 32-bit sums whose z and N are the code-bit and key counts.
TEST(SignaccEngine, StateFoldsInPieces) {
  HwConfig hw;
  hw.mac_cols = 8;
  std::mt19937_64 rng(4);
  const Head x = random_head(rng, hw, 13, 3, 25);
  Scratchpads one(hw), pieces(hw);
  load(one, x);
  load(pieces, x);
  std::vector<SpmWrite> wr;
  eng().execute(sacc(x, 0, 25, true), hw, one, wr);
  apply_writes(one, wr);
  for (auto [first, n] : {std::pair<uint64_t, uint64_t>{0, 10}, {10, 1}, {11, 14}}) {
    wr.clear();
    eng().execute(sacc(x, first, n, first == 0), hw, pieces, wr);
    apply_writes(pieces, wr);
  }
  const uint64_t words = signacc::state_words(13, 3, hw);
  for (uint64_t i = 0; i < words; ++i) EXPECT_EQ(one.data(isa::Buf::kPbuf)[i], pieces.data(isa::Buf::kPbuf)[i]) << i;
  const uint64_t* st = one.data(isa::Buf::kPbuf);
  EXPECT_EQ(st[signacc::n_word(13, 3, hw)], 25u);
  for (uint64_t t = 0; t < 13; ++t) {
    int64_t z = 0, s = 0;
    for (uint64_t j = 0; j < 25; ++j) z += h(x.keys[j], t), s += h(x.keys[j], t) * x.values[j][5];
    EXPECT_EQ(static_cast<int64_t>(st[signacc::z_word(13, t, 3, hw)]), z) << t;
    EXPECT_EQ(static_cast<int64_t>(st[signacc::s_word(t, 5, 3, hw)]), s) << t;
  }
}

// An empty (all-zero) state has a zero denominator: every result is 0. All-one and all-zero codes with b = 5.
TEST(SignaccEngine, EmptyStateAndUniformCodes) {
  HwConfig hw;
  std::mt19937_64 rng(5);
  Head x = random_head(rng, hw, 5, 1, 6);
  Scratchpads spm(hw);
  load(spm, x);
  std::vector<SpmWrite> wr;
  eng().execute(sqry(x, 6, 1), hw, spm, wr);
  for (uint64_t w : wr[0].words) EXPECT_EQ(w, 0u);
  // all keys all-one, all queries all-zero: h_n^T h_j = -5, kernel -5 + 6 = 1 (form 1: the plain mean)
  for (auto& k : x.keys) k = ~uint64_t{0};
  for (auto& q : x.queries) q = 0;
  load(spm, x);
  wr.clear();
  eng().execute(sacc(x, 0, 6, true), hw, spm, wr);
  apply_writes(spm, wr);
  wr.clear();
  eng().execute(sqry(x, 6, 1), hw, spm, wr);
  for (uint64_t c = 0; c < x.d; ++c) {
    double mean = 0;
    for (const auto& v : x.values) mean += v[c];
    mean /= 6;
    EXPECT_LE(std::abs(byte_at(wr[0].words.data(), 2 * x.d + c) - mean), 0.5 + 1e-9) << c;
  }
}

}  // namespace
}  // namespace bitgrid
