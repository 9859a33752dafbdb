// The MAC-array engine of the reference model (docs/ARCHITECTURE.md §3.2, R11) and the linear-layer
// compiler: datatype tables against DESIGN.md, the term decomposition, the requantizer's rounding and
// saturation by hand, the packed layouts bit by bit, hand-computed gemms, legality, the timing rule against
// the oracle, and compiled layers of every datatype against the direct integer computation.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <random>
#include <set>

#include "bitgrid/engine.h"
#include "bitgrid/engines/bitmac.h"
#include "bitgrid/error.h"
#include "bitgrid/executor.h"
#include "bitgrid/workloads/model.h"
#include "rule_oracle.h"

using namespace bitgrid;

namespace {

HwConfig hw_file(const std::string& name) {
  const std::string f = std::string(BITGRID_SOURCE_DIR) + "/configs/hw/" + name + ".yaml";
  return HwConfig::from_yaml(YAML::LoadFile(f), f);
}

std::set<int> table_values(int dt) {
  std::set<int> v;
  const auto& d = isa::kDtypes[static_cast<size_t>(dt)];
  for (uint32_t q = 0; q < (1u << d.bits); ++q)
    for (uint32_t sel = 0; sel < 4; ++sel) v.insert(isa::dtype_value(dt, q, sel));
  return v;
}

// Radix-4 Booth digits of a b-bit two's-complement code, written here from the textbook definition.
std::vector<int> booth(int value, int digits) {
  std::vector<int> d;
  const unsigned u = static_cast<unsigned>(value);
  auto bit = [&](int i) { return i < 0 ? 0 : static_cast<int>((u >> std::min(i, 31)) & 1); };
  for (int i = 0; i < digits; ++i) d.push_back(-2 * bit(2 * i + 1) + bit(2 * i) + bit(2 * i - 1));
  return d;
}

bool is_pow2_or_zero(int v) { return v >= 0 && (v & (v - 1)) == 0; }

// The tile worked by hand on the tiny array (C = 8, one pair of k-tiles: K = 16): channel 0's INT8 weights all
// 1 with scale 2, channel 1's all -1 with scale 3, bias `bias1` on channel 1, mult 1, shift 0; packed into
// wbuf/sbuf at 0, activations x = 1..16 in `rows` rows of abuf.
void place_hand_tile(const HwConfig& hw, Scratchpads& spm, int32_t bias1, int rows) {
  bitmac::Tile t;
  t.dtype = isa::kDtypeInt8;
  t.codes.assign(8 * 16, 0);
  for (int k = 0; k < 16; ++k) {
    t.codes[0 * 16 + k] = 1;
    t.codes[1 * 16 + k] = 0xFF;
  }
  t.scale.assign(8, 0);
  t.sel.assign(8, 0);
  t.scale[0] = 2;
  t.scale[1] = 3;
  t.channels.assign(8, bitmac::Channel{0, 1, 0});
  t.channels[1].bias = bias1;
  const auto w = bitmac::pack_weights(hw, t), s = bitmac::pack_side(hw, t);
  std::copy(w.begin(), w.end(), spm.data(isa::Buf::kWbuf));
  std::copy(s.begin(), s.end(), spm.data(isa::Buf::kSbuf));
  auto* a = reinterpret_cast<int8_t*>(spm.data(isa::Buf::kAbuf));
  for (int r = 0; r < rows; ++r)
    for (int k = 0; k < 16; ++k) a[16 * r + k] = static_cast<int8_t>(k + 1);
}

// Random operands for a layer of the shape and datatype `l` gives: codes, scales, selectors, channel
// parameters (bias within +-bias_span, mult 1..mult_max, shift in [shift_lo, shift_lo + shift_span)) and, for
// a layer reading x, INT8 activations.
void random_operands(LinearQ& l, std::mt19937_64& rng, int32_t bias_span, uint32_t mult_max, unsigned shift_lo,
                     unsigned shift_span) {
  const uint64_t ng = l.k / l.group;
  if (l.input.empty()) {
    l.x.resize(l.m * l.k);
    for (auto& v : l.x) v = static_cast<int8_t>(rng());
  }
  l.codes.resize(l.n * l.k);
  for (auto& v : l.codes) v = static_cast<uint8_t>(rng() & ((1u << isa::kDtypes[l.dtype].bits) - 1));
  l.scale.resize(l.n * ng);
  l.sel.resize(l.n * ng);
  for (auto& v : l.scale) v = static_cast<uint8_t>(rng());
  for (auto& v : l.sel) v = static_cast<uint8_t>(rng() % 4);
  l.channels.resize(l.n);
  for (auto& c : l.channels)
    c = {static_cast<int32_t>(rng() % (2 * static_cast<uint64_t>(bias_span) + 1)) - bias_span,
         static_cast<uint16_t>(1 + rng() % mult_max), static_cast<uint8_t>(shift_lo + rng() % shift_span)};
}

}  // namespace

// DESIGN.md §5.2: FP4 x2 = {0, ±1, ±2, ±3, ±4, ±6, ±8, ±12}, BitMoD-4 special values {+10, -10, +16, -16}
// (= ±5 ER, ±8 EA unscaled); FP3 x2 = {0, ±2, ±4, ±8}, BitMoD-3 special values {+6, -6, +12, -12}.
TEST(BitmacDtypes, TablesAreTheOnesOfTheDesign) {
  const std::set<int> fp4 = {0, 1, -1, 2, -2, 3, -3, 4, -4, 6, -6, 8, -8, 12, -12};
  const std::set<int> fp3 = {0, 2, -2, 4, -4, 8, -8};
  EXPECT_EQ(table_values(isa::kDtypeFp4), fp4);
  EXPECT_EQ(table_values(isa::kDtypeFp3), fp3);
  std::set<int> bm4 = fp4, bm3 = fp3;
  bm4.insert({10, -10, 16, -16});
  bm3.insert({6, -6, 12, -12});
  EXPECT_EQ(table_values(isa::kDtypeBitmod4), bm4);
  EXPECT_EQ(table_values(isa::kDtypeBitmod3), bm3);
  // The special value replaces FP's -0 code, one per selector.
  EXPECT_EQ(isa::dtype_value(isa::kDtypeBitmod4, 8, 0), 10);
  EXPECT_EQ(isa::dtype_value(isa::kDtypeBitmod4, 8, 1), -10);
  EXPECT_EQ(isa::dtype_value(isa::kDtypeBitmod4, 8, 2), 16);
  EXPECT_EQ(isa::dtype_value(isa::kDtypeBitmod4, 8, 3), -16);
  EXPECT_EQ(isa::dtype_value(isa::kDtypeBitmod3, 4, 2), 12);
  EXPECT_EQ(isa::dtype_value(isa::kDtypeFp4, 8, 2), 0);  // plain FP4: -0 is zero whatever the selector
  // INT types: two's complement of the code's bits.
  EXPECT_EQ(isa::dtype_value(isa::kDtypeInt8, 0x80, 0), -128);
  EXPECT_EQ(isa::dtype_value(isa::kDtypeInt6, 0x20, 0), -32);
  EXPECT_EQ(isa::dtype_value(isa::kDtypeInt4, 0x7, 0), 7);
  EXPECT_EQ(isa::dtype_value(isa::kDtypeInt3, 0x4, 0), -4);
  EXPECT_EQ(isa::dtype_value(isa::kDtypeInt3, 0xFC, 0), -4);  // bits above the code are ignored
  // Bits per weight (storage 4.0625 / 3.0625 with the 8-bit scale and 2-bit selector per 128, DESIGN.md).
  EXPECT_EQ(isa::kDtypes[isa::kDtypeBitmod4].bits, 4);
  EXPECT_EQ(isa::kDtypes[isa::kDtypeBitmod3].bits, 3);
}

// DESIGN.md §5.2: radix-4 Booth for INT (INT8: 4 terms, INT6: 3, INT4/INT3: 2), at most 2 terms for FP.
TEST(BitmacDtypes, TermsReconstructEveryValue) {
  const int expect_terms[] = {4, 3, 2, 2, 2, 2, 2, 2};
  for (int dt = 0; dt < static_cast<int>(isa::kDtypes.size()); ++dt) {
    const auto& d = isa::kDtypes[static_cast<size_t>(dt)];
    EXPECT_EQ(d.terms, expect_terms[dt]) << d.name;
    for (uint32_t q = 0; q < (1u << d.bits); ++q)
      for (uint32_t sel = 0; sel < 4; ++sel) {
        const int v = isa::dtype_value(dt, q, sel);
        if (!d.table) {
          int sum = 0, scale = 1;
          for (int digit : booth(v, d.terms)) {
            EXPECT_TRUE(digit >= -2 && digit <= 2);
            sum += digit * scale;
            scale *= 4;
          }
          EXPECT_EQ(sum, v) << d.name << " code " << q;
        } else {
          const int a = std::abs(v);
          int hi = a ? 1 : 0;
          while (hi && hi * 2 <= a) hi *= 2;
          EXPECT_TRUE(is_pow2_or_zero(a - hi)) << d.name << " value " << v << " needs more than 2 terms";
        }
      }
  }
}

// Round half up, then saturate, then ReLU (docs/ARCHITECTURE.md §3.2), values worked by hand.
TEST(BitmacRequant, RoundingSaturationRelu) {
  using bitmac::Channel;
  using bitmac::requant;
  EXPECT_EQ(requant(100, Channel{0, 1, 1}, false, false), 50);
  EXPECT_EQ(requant(3, Channel{0, 1, 1}, false, false), 2);     // 1.5 -> 2
  EXPECT_EQ(requant(-3, Channel{0, 1, 1}, false, false), -1);   // -1.5 -> -1 (half up)
  EXPECT_EQ(requant(-5, Channel{0, 1, 2}, false, false), -1);   // -1.25 -> -1
  EXPECT_EQ(requant(-7, Channel{0, 1, 2}, false, false), -2);   // -1.75 -> -2
  EXPECT_EQ(requant(10, Channel{-4, 3, 0}, false, false), 18);  // (10 - 4) * 3
  EXPECT_EQ(requant(1000, Channel{0, 1, 0}, false, false), 127);
  EXPECT_EQ(requant(-1000, Channel{0, 1, 0}, false, false), -128);
  EXPECT_EQ(requant(-1000, Channel{0, 1, 0}, true, false), 0);
  EXPECT_EQ(requant(1000, Channel{0, 1, 0}, false, true), 1000);
  EXPECT_EQ(requant(int64_t{1} << 40, Channel{0, 65535, 0}, false, true), 2147483647);
  EXPECT_EQ(requant(-(int64_t{1} << 40), Channel{0, 65535, 0}, false, true), -2147483648LL);
  EXPECT_EQ(requant(int64_t{1} << 43, Channel{0, 65535, 63}, false, false), 0);  // 2^59 * 65535 / 2^63 < 0.5
}

// The wbuf and sbuf layouts of §3.2, bit by bit: one code and one parameter set at known places.
TEST(BitmacLayout, PackedPlanesAndSideRows) {
  const HwConfig hw = hw_file("tiny");  // R = C = 8: a pair-plane is 2 words
  bitmac::Tile t;
  t.dtype = isa::kDtypeInt4;
  t.group_pairs = 1;
  t.n_groups = 2;  // K = 2 * 2R = 32
  const uint64_t K = 32, C = 8;
  t.codes.assign(C * K, 0);
  t.codes[3 * K + 16 + 5] = 0xA;  // channel 3, pair 1, kk = 5: bits 1 and 3
  t.scale.assign(C * 2, 0);
  t.sel.assign(C * 2, 0);
  t.scale[6 * 2 + 1] = 0x5A;
  t.sel[6 * 2 + 1] = 2;
  t.channels.assign(C, bitmac::Channel{0, 0, 0});
  t.channels[5] = bitmac::Channel{-2, 0x1234, 17};
  const auto w = bitmac::pack_weights(hw, t);
  ASSERT_EQ(w.size(), 2u * 4 * 2);  // 2 pairs x 4 planes x 2 words
  const uint64_t idx = 5 * C + 3;   // kk * C + c = 43: word 0, bit 43
  for (uint64_t i = 0; i < 4; ++i)
    for (uint64_t p = 0; p < 2; ++p)
      for (uint64_t word = 0; word < 2; ++word) {
        const uint64_t expect = (p == 1 && word == 0 && (i == 1 || i == 3)) ? uint64_t{1} << idx : 0;
        EXPECT_EQ(w[(p * 4 + i) * 2 + word], expect) << "pair " << p << " plane " << i << " word " << word;
      }
  const auto s = bitmac::pack_side(hw, t);
  ASSERT_EQ(s.size(), (4u + 2) * 2);  // rows of C/4 = 2 words
  // channel 5: entry 1 of word 1 in each row
  EXPECT_EQ((s[0 * 2 + 1] >> 16) & 0xFFFF, 0xFFFEu);  // bias[15:0] of -2
  EXPECT_EQ((s[1 * 2 + 1] >> 16) & 0xFFFF, 0xFFFFu);  // bias[31:16]
  EXPECT_EQ((s[2 * 2 + 1] >> 16) & 0xFFFF, 0x1234u);
  EXPECT_EQ((s[3 * 2 + 1] >> 16) & 0xFFFF, 17u);
  // channel 6, group 1: row 5, word 1, entry 2
  EXPECT_EQ((s[5 * 2 + 1] >> 32) & 0xFFFF, 0x25Au);
}

// A gemm worked by hand on the tiny array: x = 1..16, channel 0's INT8 weights all 1 with scale 2, channel
// 1's all -1 with scale 3, bias 5 on channel 1; 2 * 136 = 272 saturates INT8, INT32 keeps it.
TEST(BitmacEngine, HandComputedGemm) {
  const HwConfig hw = hw_file("tiny");
  const Engine* e = engine_of(static_cast<uint64_t>(isa::Op::kGemm));
  ASSERT_NE(e, nullptr);
  Scratchpads spm(hw);
  place_hand_tile(hw, spm, 5, 1);
  for (bool out32 : {false, true}) {
    isa::GemmInsn g;
    g.dtype = isa::kDtypeInt8;
    g.m_rows = 1;
    g.group_pairs = 1;
    g.n_groups = 1;
    g.out32 = out32;
    const Insn in = encode(g);
    ASSERT_EQ(e->check(in, hw), "");
    std::vector<SpmWrite> writes;
    e->execute(in, hw, spm, writes);
    ASSERT_EQ(writes.size(), 1u);
    if (!out32) {
      ASSERT_EQ(writes[0].words.size(), 1u);
      EXPECT_EQ(static_cast<int8_t>(writes[0].words[0] & 0xFF), 127);          // 272 saturates
      EXPECT_EQ(static_cast<int8_t>((writes[0].words[0] >> 8) & 0xFF), -128);  // -408 + 5 saturates
    } else {
      ASSERT_EQ(writes[0].words.size(), 4u);
      EXPECT_EQ(static_cast<int32_t>(writes[0].words[0] & 0xFFFFFFFF), 272);
      EXPECT_EQ(static_cast<int32_t>(writes[0].words[0] >> 32), -403);
      EXPECT_EQ(writes[0].words[1], 0u);  // channels without weights
    }
    // R11 by hand: T = 4 (INT8 bit-serial), one pair: 2*4*1*1 + 20 (+3).
    EXPECT_EQ(e->cycles(in, hw), out32 ? 31u : 28u);
  }
}

TEST(BitmacEngine, LegalityNamesTheLimit) {
  const HwConfig hw = hw_file("default");  // R = C = 16
  const Engine* e = engine_of(static_cast<uint64_t>(isa::Op::kGemm));
  auto err = [&](isa::GemmInsn g) { return e->check(encode(g), hw); };
  isa::GemmInsn ok;
  ok.dtype = isa::kDtypeInt4;
  ok.m_rows = 2;
  ok.group_pairs = 4;
  ok.n_groups = 2;
  ok.o_stride = 2;
  EXPECT_EQ(err(ok), "");
  auto g = ok;
  g.m_rows = 0;
  EXPECT_NE(err(g).find("m_rows"), std::string::npos);
  g = ok;
  g.group_pairs = 1;  // 2T = 4 cycles < the rescaler's 8: legal, the slots stretch to T' = 4 (R11)
  EXPECT_EQ(err(g), "");
  EXPECT_EQ(e->cycles(encode(g), hw), 2u * 4 * 2 * 2 + 20);  // 2T' * M * P + 20, P = 1 * 2
  g = ok;
  g.group_pairs = 63;  // 63 * 32 = 2016 weights > 1024
  EXPECT_NE(err(g).find("1024"), std::string::npos);
  g = ok;
  g.a_addr = 2;
  EXPECT_NE(err(g).find("a_addr must be a multiple of 4"), std::string::npos);
  g = ok;
  g.w_addr = 4;
  EXPECT_NE(err(g).find("w_addr must be a multiple of 8"), std::string::npos);
  g = ok;
  g.o_stride = 1;
  EXPECT_NE(err(g).find("o_stride"), std::string::npos);
  g = ok;
  g.s_addr = 65532;
  EXPECT_NE(err(g).find("sbuf"), std::string::npos);
  g = ok;
  g.w_addr = (512 * 128) - 8;
  EXPECT_NE(err(g).find("wbuf"), std::string::npos);
}

// The model's execution time equals the rule written again from the page (tests/oracle) for every
// datatype, both array kinds and random shapes.
TEST(BitmacEngine, CyclesFollowR11) {
  std::mt19937_64 rng(3);
  for (const char* f : {"default", "small", "tiny"}) {
    const HwConfig hw = hw_file(f);
    const Engine* e = engine_of(static_cast<uint64_t>(isa::Op::kGemm));
    for (int i = 0; i < 200; ++i) {
      isa::GemmInsn g;
      g.dtype = rng() % 8;
      g.m_rows = 1 + rng() % 1023;
      g.group_pairs = 1 + rng() % 63;
      g.n_groups = 1 + rng() % 4095;
      g.out32 = rng() % 2;
      EXPECT_EQ(e->cycles(encode(g), hw), bgtest::oracle_engine_cycles(hw, encode(g)));
    }
  }
}

// Compiled layers (tiling over M and N, packing, double buffering, tokens) run by the functional executor
// give exactly the direct integer computation, for every datatype on three machines.
TEST(LinearCompiler, EveryDatatypeMatchesTheDirectComputation) {
  std::mt19937_64 rng(11);
  for (const char* f : {"default", "small", "tiny"}) {
    const HwConfig hw = hw_file(f);
    for (uint64_t dt = 0; dt < isa::kDtypes.size(); ++dt)
      for (int rep = 0; rep < 3; ++rep) {
        LinearQ l;
        l.dtype = dt;
        const uint64_t R = bitmac::rows(hw), T = bitmac::terms(hw, dt);
        l.group = 2 * R * ((4 + T - 1) / T);
        l.k = l.group * (hw.wbuf_kib > 1 ? 1 + rng() % 3 : 1);
        l.m = 1 + rng() % (hw.abuf_kib > 1 ? 70 : 5);
        l.n = 1 + rng() % (3 * bitmac::cols(hw));
        l.relu = rng() % 2;
        l.out32 = rng() % 3 == 0;
        random_operands(l, rng, 10000, 65535, 8, 24);
        const ModelCompiled c = compile_model({l}, hw);
        const ExecResult r = execute_program(c.program, hw, c.memory);
        ASSERT_FALSE(r.fault) << f;
        const auto y = decode_layer(l, c.layers[0], r.memory), ref = linear_reference(l);
        ASSERT_EQ(y, ref) << f << " " << isa::kDtypes[dt].name << " M=" << l.m << " K=" << l.k << " N=" << l.n;
        // the outputs are not trivially constant (the comparison can fail)
        EXPECT_GT(std::set<int32_t>(ref.begin(), ref.end()).size(), 1u);
      }
  }
}

TEST(LinearCompiler, ErrorsNameTheLayerAndTheLimit) {
  const HwConfig hw = hw_file("tiny");
  LinearQ l;
  l.name = "fc9";
  l.x.assign(1 * 48, 0);
  l.m = 1;
  l.k = 48;
  l.n = 8;
  l.group = 24;  // not a multiple of 2R = 16
  auto err = [&](LinearQ x) {
    x.codes.assign(x.n * x.k, 0);  // well-formed operands of the shape
    x.scale.assign(x.n * (x.group ? x.k / x.group : 0), 0);
    x.sel = x.scale;
    x.channels.assign(x.n, {});
    try {
      compile_model({x}, hw);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(err(l).find("layer fc9: group 24 is not a multiple of 2*mac_rows = 16"), std::string::npos) << err(l);
  l.group = 32;
  EXPECT_NE(err(l).find("does not divide K = 48"), std::string::npos);
  l.k = 1024;
  l.group = 128;  // one group of 8 channels x 128 INT8 weights: 1 KiB, half of wbuf is 512 bytes
  l.x.assign(1024, 0);
  EXPECT_NE(err(l).find("layer fc9: one group of 8 output channels x 128 weights (1024 bytes) or its parameters "
                        "exceed half of wbuf (512 bytes"),
            std::string::npos)
      << err(l);
  l.group = 16;
  l.k = 80;  // 5 groups: 640 bytes of INT8 weights per tile, more than half of wbuf, so K is split
  l.x.assign(80, 0);
  EXPECT_EQ(err(l), "");
  l.k = 16 * 4100;  // 4100 groups: past the 48-bit accumulator's exact range
  l.x.assign(l.k, 0);
  EXPECT_NE(err(l).find("above the 4095 the 48-bit accumulator holds exactly"), std::string::npos) << err(l);
  // a split K is loaded row by row in chunks that start on a DRAM beat: K must be whole beats
  HwConfig wide = hw_file("default");  // 2R = 32
  wide.dram_bytes_per_cycle = 64;
  wide.wbuf_kib = 4;
  LinearQ k;
  k.name = "fc2";
  k.m = 1;
  k.k = 32 * 81;
  k.group = 32;
  k.n = 16;
  k.x.assign(k.k, 0);
  k.codes.assign(k.n * k.k, 0);
  k.scale.assign(k.n * k.k / k.group, 0);
  k.sel = k.scale;
  k.channels.assign(k.n, {});
  try {
    compile_model({k}, wide);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("layer fc2: K = 2592 must be a multiple of dram_bytes_per_cycle = 64"),
              std::string::npos)
        << e.what();
  }
  l.k = 64;
  l.group = 16;
  l.x.assign(64, 0);
  l.dtype = isa::kDtypeInt4;  // T = 2: a 16-weight group takes 4 cycles, stretched to the rescaler's 8 (R11)
  EXPECT_EQ(err(l), "");
}

// Partial sums by hand on the tiny array: x = 1..16, channel 0's INT8 weights all 1 with scale 2 (acc 272),
// channel 1's all -1 with scale 3 (acc -408). acc_out writes them to pbuf row m (word m*C + c) sign-extended;
// acc_in adds pbuf's 48-bit values, wrapping: 2^47 - 1 + 272 = -2^47 + 271.
TEST(BitmacEngine, PartialSumsByHand) {
  const HwConfig hw = hw_file("tiny");  // C = 8
  const Engine* e = engine_of(static_cast<uint64_t>(isa::Op::kGemm));
  Scratchpads spm(hw);
  place_hand_tile(hw, spm, 0, 2);  // rows 0 and 1 alike
  isa::GemmInsn g;
  g.dtype = isa::kDtypeInt8;
  g.m_rows = 2;
  g.group_pairs = 1;
  g.n_groups = 1;
  g.o_stride = 1;
  g.acc_out = 1;
  std::vector<SpmWrite> writes;
  ASSERT_EQ(e->check(encode(g), hw), "");
  e->execute(encode(g), hw, spm, writes);
  ASSERT_EQ(writes.size(), 2u);
  for (uint64_t m = 0; m < 2; ++m) {
    EXPECT_EQ(writes[m].buf, isa::Buf::kPbuf);
    EXPECT_EQ(writes[m].addr, m * 8);
    ASSERT_EQ(writes[m].words.size(), 8u);
    EXPECT_EQ(writes[m].words[0], 272u);
    EXPECT_EQ(writes[m].words[1], static_cast<uint64_t>(int64_t{-408}));
    EXPECT_EQ(writes[m].words[2], 0u);
  }
  // acc_in, INT32 outputs: row 0 adds 1000 and -(2^40) to columns 0 and 1; row 1 holds 2^47 - 1 in column 0
  // (and junk above bit 47, which does not count)
  uint64_t* pb = spm.data(isa::Buf::kPbuf);
  pb[0] = 1000;
  pb[1] = static_cast<uint64_t>(-(int64_t{1} << 40));
  pb[8] = (uint64_t{0xABCD} << 48) | ((uint64_t{1} << 47) - 1);
  g.acc_out = 0;
  g.acc_in = 1;
  g.out32 = 1;
  g.o_stride = 4;
  writes.clear();
  ASSERT_EQ(e->check(encode(g), hw), "");
  e->execute(encode(g), hw, spm, writes);
  ASSERT_EQ(writes.size(), 2u);
  EXPECT_EQ(writes[0].buf, isa::Buf::kObuf);
  auto out32 = [&](int m, int c) {
    return static_cast<int32_t>(static_cast<uint32_t>(writes[m].words[c / 2] >> (32 * (c % 2))));
  };
  EXPECT_EQ(out32(0, 0), 1272);
  EXPECT_EQ(out32(0, 1), std::numeric_limits<int32_t>::min());  // -2^40 - 408 saturates
  // -2^47 + 271 (wrapped) saturates low; without the wrap it would saturate high
  EXPECT_EQ(out32(1, 0), std::numeric_limits<int32_t>::min());
  EXPECT_EQ(out32(1, 1), -408);
  // legality: acc_out takes no ReLU or INT32, partial sums must fit pbuf (1 KiB = 16 rows of 8)
  g.acc_out = 1;
  EXPECT_NE(e->check(encode(g), hw).find("relu and out32 must be 0"), std::string::npos);
  g.out32 = 0;
  g.m_rows = 17;
  g.o_stride = 1;
  EXPECT_NE(e->check(encode(g), hw).find("partial sums of 17 rows exceed pbuf (16 rows)"), std::string::npos)
      << e->check(encode(g), hw);
}

// Layers whose K is split into chunks (partial sums through pbuf, activations loaded row by row per chunk)
// give exactly the direct computation, on three machines with small weight buffers, for every datatype.
TEST(LinearCompiler, SplitKMatchesTheDirectComputation) {
  std::mt19937_64 rng(12);
  for (const char* f : {"default", "small", "tiny"}) {
    HwConfig hw = hw_file(f);
    hw.wbuf_kib = 4;  // (tiny: 1)
    if (std::string(f) == "tiny") hw.wbuf_kib = 1;
    for (uint64_t dt = 0; dt < isa::kDtypes.size(); ++dt) {
      LinearQ l;
      l.dtype = dt;
      const uint64_t R = bitmac::rows(hw), T = bitmac::terms(hw, dt);
      l.group = 2 * R * ((4 + T - 1) / T);
      const uint64_t wbuf_bytes = static_cast<uint64_t>(hw.wbuf_kib) * 1024;
      // more than half of wbuf holds for one tile, up to three times as much
      const uint64_t per_group = bitmac::weight_words(hw, dt, l.group / (2 * R), 1) * 8;
      const uint64_t abuf_half_groups = static_cast<uint64_t>(hw.abuf_kib) * 512 / l.group;
      const uint64_t fit = wbuf_bytes / 2 / per_group;  // groups of one tile that half of wbuf holds
      const uint64_t ng = std::min(abuf_half_groups, fit + 1 + rng() % (2 * fit + 1));
      l.k = l.group * ng;
      l.m = 1 + rng() % 5;
      l.n = 4 + rng() % (2 * bitmac::cols(hw));
      l.relu = rng() % 3 == 0;
      l.out32 = dt % 3 == 0;
      random_operands(l, rng, 10000, 65535, 22, 8);  // |t| up to ~K * 2^31: some outputs in range
      const ModelCompiled c = compile_model({l}, hw);
      ASSERT_GT(c.layers[0].k_chunks, 1u) << f << " " << isa::kDtypes[dt].name << " K=" << l.k;
      const ExecResult r = execute_program(c.program, hw, c.memory);
      ASSERT_FALSE(r.fault) << f;
      const auto y = decode_layer(l, c.layers[0], r.memory), ref = linear_reference(l);
      ASSERT_EQ(y, ref) << f << " " << isa::kDtypes[dt].name << " M=" << l.m << " K=" << l.k << " N=" << l.n
                        << " chunks " << c.layers[0].k_chunks;
      EXPECT_GT(std::set<int32_t>(ref.begin(), ref.end()).size(), 1u)
          << f << " " << isa::kDtypes[dt].name << " M=" << l.m << " K=" << l.k << " N=" << l.n << " first " << ref[0];
    }
  }
}

// o_abuf: the INT8 outputs go to abuf (where a later gemm reads them), never overlapping the gemm's own
// activations; INT32 or accumulator outputs cannot go there.
TEST(BitmacEngine, OutputsToAbuf) {
  const HwConfig hw = hw_file("tiny");  // R = C = 8: one output row is 1 word
  const Engine* e = engine_of(static_cast<uint64_t>(isa::Op::kGemm));
  isa::GemmInsn g;
  g.dtype = isa::kDtypeInt8;
  g.m_rows = 2;
  g.group_pairs = 1;
  g.n_groups = 1;  // K = 16: activations at words 0..3
  g.o_abuf = 1;
  g.o_addr = 4;
  g.o_stride = 1;
  EXPECT_EQ(e->check(encode(g), hw), "");
  std::vector<Access> acc;
  e->accesses(encode(g), hw, acc);
  bool writes_abuf = false, writes_obuf = false;
  for (const auto& a : acc) {
    writes_abuf |= a.write && a.space == static_cast<int>(isa::Buf::kAbuf) && a.lo == 4 && a.hi == 6;
    writes_obuf |= a.write && a.space == static_cast<int>(isa::Buf::kObuf);
  }
  EXPECT_TRUE(writes_abuf);
  EXPECT_FALSE(writes_obuf);
  Scratchpads spm(hw);
  std::vector<SpmWrite> w;
  e->execute(encode(g), hw, spm, w);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0].buf, isa::Buf::kAbuf);
  EXPECT_EQ(w[1].addr, 5u);
  g.o_addr = 3;  // overlaps row 1's activations (words 2..3)
  EXPECT_NE(e->check(encode(g), hw).find("overlap the gemm's own activations"), std::string::npos);
  g.o_addr = 4;
  g.out32 = 1;
  g.o_stride = 4;
  EXPECT_NE(e->check(encode(g), hw).find("o_abuf writes INT8 outputs"), std::string::npos);
  g.out32 = 0;
  g.o_stride = 1;
  g.o_addr = 127;  // abuf is 128 words: row 1 would be word 128
  EXPECT_NE(e->check(encode(g), hw).find("outputs exceed abuf"), std::string::npos);
}

// Chains of layers whose intermediate outputs stay in abuf (o_abuf; no store, no load) give the same final
// outputs as the direct computation and as the same chain through DRAM, on three machines; the kept layers
// have no outputs in DRAM, and the program moves fewer bytes.
TEST(LinearCompiler, ChainsKeptOnChip) {
  std::mt19937_64 rng(21);
  for (const char* f : {"default", "small", "tiny"}) {
    const HwConfig hw = hw_file(f);
    for (int rep = 0; rep < 4; ++rep) {
      const uint64_t R = bitmac::rows(hw), C = bitmac::cols(hw), nl = 2 + rep % 2;
      std::vector<LinearQ> ls(nl);
      const uint64_t m = 1 + rng() % (hw.abuf_kib > 1 ? 40 : 6);
      for (uint64_t i = 0; i < nl; ++i) {
        LinearQ& l = ls[i];
        l.name = "l" + std::to_string(i);
        l.m = m;
        l.dtype = rng() % isa::kDtypes.size();
        l.group = 2 * R;
        l.k = i == 0 ? l.group * (1 + rng() % 2) : ls[i - 1].n;
        l.n = i + 1 < nl ? std::lcm(C, 2 * R) * (1 + rng() % 2) : 1 + rng() % (2 * C);
        if (i > 0) l.input = ls[i - 1].name;
        l.relu = i + 1 < nl;
        random_operands(l, rng, 1000, 4000, 12, 6);
        if (i > 0) {
          const auto y = linear_reference(ls[i - 1]);
          l.x.assign(y.begin(), y.end());
        }
      }
      const ModelCompiled on = compile_model(ls, hw, true), off = compile_model(ls, hw, false);
      for (uint64_t i = 0; i + 1 < nl; ++i) {
        EXPECT_TRUE(on.layers[i].on_chip) << f << " layer " << i;
        EXPECT_FALSE(off.layers[i].on_chip);
      }
      EXPECT_FALSE(on.layers[nl - 1].on_chip);
      const ExecResult a = execute_program(on.program, hw, on.memory), b = execute_program(off.program, hw, off.memory);
      ASSERT_FALSE(a.fault || b.fault) << f;
      const auto ref = linear_reference(ls.back());
      EXPECT_EQ(decode_layer(ls.back(), on.layers.back(), a.memory), ref) << f << " rep " << rep;
      EXPECT_EQ(decode_layer(ls.back(), off.layers.back(), b.memory), ref) << f << " rep " << rep;
      EXPECT_THROW(decode_layer(ls[0], on.layers[0], a.memory), Error);
      auto stores = [](const Program& p) {
        size_t n = 0;
        for (const auto& in : p.insns) n += in.op() == isa::Op::kStore && in.get(isa::kSTORE_NWORDS) > 0;
        return n;
      };
      EXPECT_LT(stores(on.program), stores(off.program)) << f;
      EXPECT_GT(std::set<int32_t>(ref.begin(), ref.end()).size(), 1u) << f;
    }
  }
}
