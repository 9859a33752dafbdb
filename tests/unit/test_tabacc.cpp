// The table accumulator (model/src/engines/tabacc.cpp, ARCHITECTURE.md §3.9, R19): legality, execution time against
// the timing oracle, actions, and the function against MemoryFormer's layer worked out here (DESIGN.md §5.3: index =
// sum_i [z_i >= 0] 2^(tau-1-i), y = sum_k T_k[index_k] + bias), requantized as the MAC array's outputs.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "bitgrid/engine.h"
#include "bitgrid/engines/bitmac.h"
#include "bitgrid/engines/tabacc.h"
#include "rule_oracle.h"

namespace bitgrid {
namespace {

const Engine& eng() { return *engine_of(static_cast<uint64_t>(isa::Op::kTacc)); }
bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
void put_byte(uint64_t* w, uint64_t i, int8_t v) {
  w[i / 8] = (w[i / 8] & ~(uint64_t{0xFF} << (8 * (i % 8)))) | (uint64_t{static_cast<uint8_t>(v)} << (8 * (i % 8)));
}
int8_t byte_at(const uint64_t* w, uint64_t i) { return static_cast<int8_t>(w[i / 8] >> (8 * (i % 8))); }

HwConfig machine(int rows, int cols) {
  HwConfig hw;
  hw.mac_rows = rows, hw.mac_cols = cols;
  return hw;
}

struct Layer {
  uint64_t tau = 8, k = 1, segs = 1, n = 1;
  std::vector<std::vector<int8_t>> x;       // [n][k*tau]
  std::vector<std::vector<int8_t>> tables;  // [k*2^tau][segs*C]
  std::vector<bitmac::Channel> ch;          // [segs*C]
  bool relu = false;
};

// The layer on the machine's buffers (inputs at abuf a_addr with a stride, tables at wbuf t_addr, parameters at sbuf
// s_addr, outputs at obuf o_addr with a stride), executed; the outputs against y worked out here.
void run_layer(const HwConfig& hw, const Layer& L, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const uint64_t C = tabacc::cols(hw), A = tabacc::a_words(hw), W = tabacc::seg_words(hw);
  Scratchpads spm(hw);
  isa::TaccInsn t;
  t.tau = L.tau, t.n_chunks = L.k, t.out_segs = L.segs, t.n_rows = L.n, t.relu = L.relu;
  t.a_addr = A * (rng() % 4);
  t.a_stride = A * (tabacc::row_reads(hw, L.tau, L.k) + rng() % 3);
  t.t_addr = W * (1 + rng() % 5);
  t.s_addr = (C / 4) * (rng() % 3);
  t.o_addr = W * (rng() % 4);
  t.o_stride = W * (L.segs + rng() % 2);
  for (uint64_t m = 0; m < L.n; ++m)
    for (uint64_t i = 0; i < L.k * L.tau; ++i)
      put_byte(spm.data(isa::Buf::kAbuf, t.a_addr + m * t.a_stride), i, L.x[m][i]);
  const uint64_t rw = L.segs * W;
  for (uint64_t r = 0; r < L.tables.size(); ++r)
    for (uint64_t o = 0; o < L.segs * C; ++o) put_byte(spm.data(isa::Buf::kWbuf, t.t_addr + r * rw), o, L.tables[r][o]);
  for (uint64_t g = 0; g < L.segs; ++g) {
    bitmac::Tile side;
    side.n_groups = 0;
    side.channels.assign(L.ch.begin() + static_cast<std::ptrdiff_t>(g * C),
                         L.ch.begin() + static_cast<std::ptrdiff_t>(g * C + C));
    const std::vector<uint64_t> sw = bitmac::pack_side(hw, side);
    std::copy(sw.begin(), sw.end(), spm.data(isa::Buf::kSbuf, t.s_addr + g * C));
  }
  const Insn in = encode(t);
  ASSERT_EQ(eng().check(in, hw), "");
  EXPECT_EQ(eng().cycles(in, hw), bgtest::oracle_engine_cycles(hw, in));
  std::vector<SpmWrite> wr;
  eng().execute(in, hw, spm, wr);
  for (const auto& w : wr) std::copy(w.words.begin(), w.words.end(), spm.data(w.buf, w.addr));
  for (uint64_t m = 0; m < L.n; ++m)
    for (uint64_t o = 0; o < L.segs * C; ++o) {
      int64_t acc = 0;
      for (uint64_t c = 0; c < L.k; ++c) {
        uint64_t idx = 0;
        for (uint64_t i = 0; i < L.tau; ++i)
          if (L.x[m][c * L.tau + i] >= 0) idx |= uint64_t{1} << (L.tau - 1 - i);
        acc += L.tables[(c << L.tau) + idx][o];
      }
      const int64_t want = bitmac::requant(acc, L.ch[o], L.relu, false);
      ASSERT_EQ(byte_at(spm.data(isa::Buf::kObuf, t.o_addr + m * t.o_stride), o), want)
          << "row " << m << " out " << o << " tau " << L.tau << " K " << L.k << " C " << C;
    }
}

Layer random_layer(std::mt19937_64& rng, const HwConfig& hw, uint64_t tau, uint64_t k, uint64_t segs, uint64_t n,
                   int fill = 256) {
  const uint64_t C = tabacc::cols(hw);
  Layer L;
  L.tau = tau, L.k = k, L.segs = segs, L.n = n, L.relu = rng() % 2;
  L.x.assign(n, std::vector<int8_t>(k * tau));
  for (auto& r : L.x)
    for (auto& v : r) v = static_cast<int8_t>(fill == 256 ? rng() : static_cast<uint64_t>(fill));
  L.tables.assign(k << tau, std::vector<int8_t>(segs * C));
  for (auto& r : L.tables)
    for (auto& v : r) v = static_cast<int8_t>(rng());
  for (uint64_t o = 0; o < segs * C; ++o)
    L.ch.push_back({static_cast<int32_t>(rng() % 2001) - 1000, static_cast<uint16_t>(1 + rng() % 4000),
                    static_cast<uint8_t>(6 + rng() % 8)});
  return L;
}

TEST(TabaccEngine, SumsTheIndexedTableRows) {
  for (const auto& [R, C] : {std::pair{16, 16}, {8, 8}, {8, 32}}) {
    const HwConfig hw = machine(R, C);
    std::mt19937_64 rng(static_cast<uint64_t>(R * C));
    for (uint64_t tau : {1, 3, 4, 8})
      for (uint64_t k : {1, 3, 8})
        for (uint64_t segs : {1, 2}) run_layer(hw, random_layer(rng, hw, tau, k, segs, 3), rng());
    // corner inputs: all >= 0 (index all ones), all negative (index 0), zeros (count as >= 0), -1
    for (int v : {0, 5, -1, -128, 127}) run_layer(hw, random_layer(rng, hw, 4, 5, 1, 2, v), rng());
  }
  // the widest: 64 chunks of 8 signs (512 inputs), sums up to 64 x 128 in magnitude
  const HwConfig hw = machine(16, 16);
  std::mt19937_64 rng(9);
  Layer L = random_layer(rng, hw, 8, 64, 1, 2);
  for (auto& r : L.tables) std::fill(r.begin(), r.end(), int8_t{-128});
  L.ch.assign(16, bitmac::Channel{0, 1, 0});  // y = sat8(-8192)
  run_layer(hw, L, 1);
}

TEST(TabaccEngine, LegalityCyclesAndCounts) {
  const HwConfig hw = machine(16, 16);  // abuf 32768, wbuf 65536, sbuf 4096, obuf 16384 words
  isa::TaccInsn t;
  t.tau = 8, t.n_chunks = 8, t.out_segs = 4, t.n_rows = 10, t.a_stride = 8, t.o_stride = 8;
  auto check = [&] { return eng().check(encode(t), hw); };
  EXPECT_EQ(check(), "");
  t.tau = 9;
  EXPECT_TRUE(has(check(), "tau must be in 1..8"));
  t.tau = 8, t.n_chunks = 65;
  EXPECT_TRUE(has(check(), "n_chunks must be in 1..64"));
  t.n_chunks = 8, t.a_addr = 2;
  EXPECT_TRUE(has(check(), "a_addr must be a multiple of 4"));
  t.a_addr = 0, t.t_addr = 1;
  EXPECT_TRUE(has(check(), "t_addr must be a multiple of 2"));
  // 8 tables x 256 rows x 4 segments x 2 words = 16384 words
  t.t_addr = 65536 - 16384 + 2;
  EXPECT_TRUE(has(check(), "the tables (16384 words) exceed wbuf (65536 words)")) << check();
  t.t_addr = 0, t.s_addr = 4096 - 4 * 16 + 4;
  EXPECT_TRUE(has(check(), "channel parameters exceed sbuf")) << check();
  t.s_addr = 0, t.o_addr = 16384 - 9 * 8 - 6;
  EXPECT_TRUE(has(check(), "output rows exceed obuf")) << check();
  t.o_addr = 0;
  // R19 by hand: Ra = 64/32 = 2, per segment max(8, 4) + 3 = 11: 10 * (2 + 1 + 4 * 11) + 2
  EXPECT_EQ(eng().cycles(encode(t), hw), 10u * (2 + 1 + 44) + 2);
  t.n_chunks = 2, t.tau = 3;  // Ra = 1, per segment max(2, 4) + 3 = 7
  EXPECT_EQ(eng().cycles(encode(t), hw), 10u * (1 + 1 + 28) + 2);
  t.n_chunks = 8, t.tau = 8;
  ActionCounts a;
  eng().count(encode(t), hw, a);
  EXPECT_EQ(a.get("tabacc.tab_add"), 10u * 4 * 8 * 16);
  EXPECT_EQ(a.get("tabacc.requant"), 10u * 4 * 16);
  EXPECT_EQ(a.get("sram.wbuf.read_words"), 10u * 4 * 8 * 2);
  EXPECT_EQ(a.get("sram.abuf.read_words"), 10u * 2 * 4);
  EXPECT_EQ(a.get("sram.obuf.write_words"), 10u * 4 * 2);
  HwConfig no_mac = hw;
  no_mac.has_bitmac = 0;
  EXPECT_THROW(eng().validate(no_mac, "hw.yaml"), std::exception);
}

}  // namespace
}  // namespace bitgrid
