// The weight packer (model/src/engines/wpack.cpp, ARCHITECTURE.md §3.8, R18) and signacc's sdiv (R17): legality,
// execution time against the timing oracle, and the function end to end - a matrix packed by wpack and multiplied by
// the MAC array's gemm gives the matrix product worked out here; sdiv's quotients are within one of the exact
// round(2^g num / den).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "bitgrid/engine.h"
#include "bitgrid/engines/bitmac.h"
#include "bitgrid/engines/wpack.h"
#include "rule_oracle.h"

namespace bitgrid {
namespace {

const Engine& pack_engine() { return *engine_of(static_cast<uint64_t>(isa::Op::kWpack)); }
const Engine& gemm_engine() { return *engine_of(static_cast<uint64_t>(isa::Op::kGemm)); }
const Engine& div_engine() { return *engine_of(static_cast<uint64_t>(isa::Op::kSdiv)); }
bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
void put_byte(uint64_t* w, uint64_t i, int8_t v) {
  w[i / 8] = (w[i / 8] & ~(uint64_t{0xFF} << (8 * (i % 8)))) | (uint64_t{static_cast<uint8_t>(v)} << (8 * (i % 8)));
}
int8_t byte_at(const uint64_t* w, uint64_t i) { return static_cast<int8_t>(w[i / 8] >> (8 * (i % 8))); }
void run(const Engine& e, const Insn& in, const HwConfig& hw, Scratchpads& spm) {
  ASSERT_EQ(e.check(in, hw), "");
  std::vector<SpmWrite> wr;
  e.execute(in, hw, spm, wr);
  for (const auto& w : wr) std::copy(w.words.begin(), w.words.end(), spm.data(w.buf, w.addr));
}

HwConfig machine(int rows, int cols, int parallel) {
  HwConfig hw;
  hw.mac_rows = rows, hw.mac_cols = cols, hw.mac_parallel = parallel;
  return hw;
}

// M [rows][cols] INT8 in obuf at `addr` with `stride` words per row; X [m][K] in abuf at 0; W packed from M by
// wpack (trans 0: W[c][k] = M[c][k]; trans 1: W[c][k] = M[k][c]), then one gemm with INT32 outputs; the result
// against sum_k X[m][k] W[c][k] computed here.
void pack_and_multiply(const HwConfig& hw, bool trans, uint64_t n_pairs, uint64_t n_rows, uint64_t stride_extra,
                       uint64_t dst, uint64_t seed, int fill = 256) {
  std::mt19937_64 rng(seed);
  const uint64_t C = bitmac::cols(hw), K = 2 * bitmac::rows(hw) * n_pairs, m = 3;
  const uint64_t W = C / 8, row_bytes = trans ? C : K, src = 2 * W;
  const uint64_t stride = (row_bytes / 8 + W - 1) / W * W + stride_extra * W;
  Scratchpads spm(hw);
  const uint64_t rows = trans ? K : C;
  std::vector<std::vector<int8_t>> M(rows, std::vector<int8_t>(row_bytes));
  for (uint64_t r = 0; r < rows; ++r)
    for (uint64_t i = 0; i < row_bytes; ++i) {
      M[r][i] = static_cast<int8_t>(fill == 256 ? rng() : static_cast<uint64_t>(fill));
      if (r < n_rows) put_byte(spm.data(isa::Buf::kObuf, src + r * stride), i, M[r][i]);
    }
  std::vector<int8_t> X(m * K);
  for (uint64_t i = 0; i < m * K; ++i) {
    X[i] = static_cast<int8_t>(rng());
    put_byte(spm.data(isa::Buf::kAbuf), i, X[i]);
  }
  // channel parameters: out32, mult 1, shift 0; group scales 1
  bitmac::Tile side;
  side.group_pairs = n_pairs;
  side.scale.assign(C, 1);
  side.sel.assign(C, 0);
  side.channels.assign(C, bitmac::Channel{});
  const std::vector<uint64_t> sw = bitmac::pack_side(hw, side);
  std::copy(sw.begin(), sw.end(), spm.data(isa::Buf::kSbuf));
  isa::WpackInsn p;
  p.trans = trans, p.n_pairs = n_pairs, p.n_rows = n_rows, p.src_addr = src, p.src_stride = stride, p.dst_addr = dst;
  run(pack_engine(), encode(p), hw, spm);
  EXPECT_EQ(pack_engine().cycles(encode(p), hw), bgtest::oracle_engine_cycles(hw, encode(p)));
  isa::GemmInsn g;
  g.dtype = isa::kDtypeInt8, g.out32 = 1, g.m_rows = m, g.group_pairs = n_pairs, g.n_groups = 1, g.w_addr = dst;
  g.o_stride = C / 2;
  run(gemm_engine(), encode(g), hw, spm);
  for (uint64_t r = 0; r < m; ++r)
    for (uint64_t c = 0; c < C; ++c) {
      int64_t want = 0;
      for (uint64_t k = 0; k < K; ++k) {
        const bool present = (trans ? k : c) < n_rows;
        const int64_t w = present ? (trans ? M[k][c] : M[c][k]) : 0;
        want += int64_t{X[r * K + k]} * w;
      }
      const uint64_t word = spm.data(isa::Buf::kObuf)[r * C / 2 + c / 2];
      const auto got = static_cast<int32_t>(static_cast<uint32_t>(word >> (32 * (c % 2))));
      ASSERT_EQ(got, want) << "trans " << trans << " pairs " << n_pairs << " rows " << n_rows << " [" << r << "][" << c
                           << "] R " << hw.mac_rows << " C " << C;
    }
}

TEST(WpackEngine, PackedWeightsMultiplyAsTheMatrix) {
  for (const auto& [R, C, par] : {std::tuple{16, 16, 0}, {8, 8, 0}, {8, 16, 1}, {8, 32, 0}, {16, 8, 0}}) {
    const HwConfig hw = machine(R, C, par);
    const uint64_t wport = bitmac::planes_per_read(hw) * bitmac::plane_words(hw);
    for (bool trans : {false, true})
      for (uint64_t pairs : {1, 3}) {
        const uint64_t K = 2 * static_cast<uint64_t>(R) * pairs, full = trans ? K : static_cast<uint64_t>(C);
        for (uint64_t rows : {uint64_t{1}, full - 1, full}) {
          pack_and_multiply(hw, trans, pairs, rows, 0, 0, rows * 7 + pairs);
          pack_and_multiply(hw, trans, pairs, rows, 3, 2 * wport, rows * 5 + pairs);  // strided rows, a later tile
        }
        for (int v : {0, -1, -128, 127}) pack_and_multiply(hw, trans, pairs, full, 1, wport, 3, v);
      }
  }
}

TEST(WpackEngine, LegalityAndCounts) {
  HwConfig hw = machine(16, 16, 0);  // obuf 128 KiB = 16384 words, wbuf 512 KiB = 65536 words
  isa::WpackInsn p;
  p.trans = 0, p.n_pairs = 2, p.n_rows = 16, p.src_stride = 8;
  auto check = [&] { return pack_engine().check(encode(p), hw); };
  EXPECT_EQ(check(), "");
  p.n_rows = 17;
  EXPECT_TRUE(has(check(), "n_rows must be at most mac_cols (16)")) << check();
  p.trans = 1;  // K = 64 rows
  EXPECT_EQ(check(), "");
  p.n_rows = 65;
  EXPECT_TRUE(has(check(), "n_rows must be at most K = 2*mac_rows*n_pairs (64)")) << check();
  p.n_rows = 0;
  EXPECT_TRUE(has(check(), "n_rows must be at least 1"));
  p.n_rows = 64, p.n_pairs = 0;
  EXPECT_TRUE(has(check(), "n_pairs must be at least 1"));
  p.n_pairs = 2, p.src_addr = 1;
  EXPECT_TRUE(has(check(), "src_addr must be a multiple of 2"));
  p.src_addr = 0, p.src_stride = 3;
  EXPECT_TRUE(has(check(), "src_stride must be a multiple of 2"));
  p.src_stride = 2, p.src_addr = 16384 - 63 * 2;  // row 63 ends at 16384 + 2
  EXPECT_TRUE(has(check(), "source rows exceed obuf (16384 words)")) << check();
  p.src_addr = 0, p.dst_addr = 4;
  EXPECT_TRUE(has(check(), "dst_addr must be a multiple of 8"));
  p.dst_addr = 65536 - 64;  // a tile of 2 pairs = 128 words
  EXPECT_TRUE(has(check(), "the tile (128 words) exceeds wbuf (65536 words)")) << check();
  p.dst_addr = 0;
  ActionCounts a;
  pack_engine().count(encode(p), hw, a);
  EXPECT_EQ(a.get("wpack.byte_in"), 2u * 32 * 16);
  EXPECT_EQ(a.get("sram.obuf.read_words"), 64u * 2);  // one 2-word port read per source row
  EXPECT_EQ(a.get("sram.wbuf.write_words"), 128u);
  HwConfig no_mac = hw;
  no_mac.has_bitmac = 0;
  EXPECT_THROW(pack_engine().validate(no_mac, "hw.yaml"), std::exception);
}

TEST(SdivEngine, QuotientsWithinOneOfTheExactOnes) {
  for (const int C : {8, 16, 64}) {
    const HwConfig hw = machine(16, C, 0);
    std::mt19937_64 rng(static_cast<uint64_t>(C));
    Scratchpads spm(hw);
    const uint64_t n = 9, G = 2, W = static_cast<uint64_t>(C) / 8, stride = G * 4 * W + W, den_at = 4001;
    std::vector<int32_t> nums(n * G * static_cast<uint64_t>(C)), dens(n);
    const int32_t specials[] = {0, 1, -1, 2147483647, -2147483647 - 1, 1 << 20};
    for (uint64_t m = 0; m < n; ++m) {
      dens[m] = m == 0 ? 0 : m == 1 ? -5 : m == 2 ? 1 : m == 3 ? 2147483647 : static_cast<int32_t>(rng() % 200000) + 1;
      spm.data(isa::Buf::kObuf)[den_at + 3 * m] = static_cast<uint64_t>(static_cast<int64_t>(dens[m]));
      for (uint64_t i = 0; i < G * static_cast<uint64_t>(C); ++i) {
        const int32_t v = i < 6 ? specials[i] : static_cast<int32_t>(rng() % 20000000) - 10000000;
        nums[m * G * static_cast<uint64_t>(C) + i] = v;
        uint64_t& w = spm.data(isa::Buf::kObuf)[m * stride + i / 2];
        w |= uint64_t{static_cast<uint32_t>(v)} << (32 * (i % 2));
      }
    }
    for (uint64_t gain = 0; gain < 8; gain += 3) {
      isa::SdivInsn d;
      d.n_rows = n, d.row_segs = G, d.num_stride = stride, d.den_addr = den_at, d.den_stride = 3, d.dst_addr = 8 * W;
      d.gain_log2 = gain;
      run(div_engine(), encode(d), hw, spm);
      EXPECT_EQ(div_engine().cycles(encode(d), hw), bgtest::oracle_engine_cycles(hw, encode(d)));
      for (uint64_t m = 0; m < n; ++m)
        for (uint64_t i = 0; i < G * static_cast<uint64_t>(C); ++i) {
          const int got = byte_at(spm.data(isa::Buf::kAbuf, 8 * W), m * G * static_cast<uint64_t>(C) + i);
          if (dens[m] <= 0) {
            ASSERT_EQ(got, 0) << "den " << dens[m];
            continue;
          }
          const double exact =
              std::ldexp(double(nums[m * G * static_cast<uint64_t>(C) + i]), static_cast<int>(gain)) / double(dens[m]);
          const double want = std::clamp(std::round(exact), -128.0, 127.0);
          ASSERT_LE(std::abs(got - want), 1.0) << "C " << C << " row " << m << " col " << i << " exact " << exact;
        }
    }
  }
  const HwConfig hw = machine(16, 16, 0);
  isa::SdivInsn d;
  d.n_rows = 2, d.row_segs = 1, d.num_stride = 8;
  EXPECT_EQ(div_engine().check(encode(d), hw), "");
  d.num_addr = 1;
  EXPECT_TRUE(has(div_engine().check(encode(d), hw), "num_addr must be a multiple of 2"));
  d.num_addr = 16384 - 8;  // the second row's numerators end past obuf
  EXPECT_TRUE(has(div_engine().check(encode(d), hw), "numerator rows exceed obuf"));
  d.num_addr = 0, d.den_addr = 16384 - 1, d.den_stride = 1;
  EXPECT_TRUE(has(div_engine().check(encode(d), hw), "denominators exceed obuf"));
  d.den_addr = 0, d.dst_addr = 32768 - 2;
  EXPECT_TRUE(has(div_engine().check(encode(d), hw), "results exceed abuf"));
}

}  // namespace
}  // namespace bitgrid
