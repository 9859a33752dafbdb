// The hash-grid encoder engine of the reference model (docs/ARCHITECTURE.md §3.4, R12): the descriptor and the
// bank-interleaved table layout bit by bit, the requantizer by hand, the conflict-free banking of the 2^D corners,
// hgenc's INT32 features against the fixed-point encoder of §3.3 (hashgrid::encode_fixed, written separately) on
// real level tables, its INT8 features against the requantization of those, legality and the timing rule against
// the oracle.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "bitgrid/engine.h"
#include "bitgrid/engines/hashgrid.h"
#include "bitgrid/hashgrid.h"
#include "rule_oracle.h"

using namespace bitgrid;

namespace {

HwConfig hw_file(const std::string& name) {
  const std::string f = std::string(BITGRID_SOURCE_DIR) + "/configs/hw/" + name + ".yaml";
  return HwConfig::from_yaml(YAML::LoadFile(f), f);
}

Insn encode(const isa::HgencInsn& h) {
  Insn in;
  h.encode(in.w);
  return in;
}

const Engine& hg() {
  const Engine* e = engine_of(static_cast<uint64_t>(isa::Op::kHgenc));
  if (!e) throw std::runtime_error("no hgenc engine");
  return *e;
}

TEST(HgencLayout, DescriptorBitsByHand) {
  hgenc::Descriptor d;
  d.scale_q = 0x12345678u;
  d.stride1 = 181;
  d.stride2 = 181u * 181u;
  d.size = 32768;
  d.base = 0xabcde;
  d.mult = 0xbeef;
  d.dense = true;
  d.shift = 45;
  uint64_t line[4] = {1, 2, 3, 4};
  hgenc::pack_descriptor(d, line);
  EXPECT_EQ(line[0], 0x000000b5'12345678ull);
  EXPECT_EQ(line[1], (uint64_t{32768} << 32) | 32761u);
  EXPECT_EQ(line[2], (uint64_t{45} << 56) | (uint64_t{1} << 48) | (uint64_t{0xbeef} << 32) | 0xabcdeu);
  EXPECT_EQ(line[3], 0u);
  const hgenc::Descriptor u = hgenc::unpack_descriptor(line);
  EXPECT_EQ(u.scale_q, d.scale_q);
  EXPECT_EQ(u.stride2, d.stride2);
  EXPECT_EQ(u.size, d.size);
  EXPECT_EQ(u.base, d.base);
  EXPECT_EQ(u.mult, d.mult);
  EXPECT_TRUE(u.dense);
  EXPECT_EQ(u.shift, 45u);
}

// Entry i: pair j = i >> 1, line 2*(j / epl) + (i & 1), slot j % epl, epl = 16 / F (§3.4).
TEST(HgencLayout, EntryPositionsByHand) {
  // F = 2: 8 entries per line.
  EXPECT_EQ(hgenc::entry_pos(0, 0, 2).line, 0u);
  EXPECT_EQ(hgenc::entry_pos(0, 1, 2).line, 1u);
  EXPECT_EQ(hgenc::entry_pos(0, 2, 2).line, 0u);
  EXPECT_EQ(hgenc::entry_pos(0, 2, 2).slot, 1u);
  EXPECT_EQ(hgenc::entry_pos(0, 15, 2).line, 1u);
  EXPECT_EQ(hgenc::entry_pos(0, 15, 2).slot, 7u);
  EXPECT_EQ(hgenc::entry_pos(0, 16, 2).line, 2u);
  EXPECT_EQ(hgenc::entry_pos(10, 17, 2).line, 13u);
  EXPECT_EQ(hgenc::entry_pos(10, 17, 2).slot, 0u);
  // F = 8: 2 entries per line; F = 1: 16.
  EXPECT_EQ(hgenc::entry_pos(0, 5, 8).line, 3u);  // j = 2: line 2*1 + 1
  EXPECT_EQ(hgenc::entry_pos(0, 5, 8).slot, 0u);
  EXPECT_EQ(hgenc::entry_pos(0, 33, 1).line, 3u);  // j = 16: line 2*1 + 1
  EXPECT_EQ(hgenc::table_lines(8, 2), 2u);
  EXPECT_EQ(hgenc::table_lines(24, 2), 4u);  // 12 pairs: 2 lines per bank
  EXPECT_EQ(hgenc::table_lines(32768, 2), 4096u);

  // pack_table: entry 3 (F = 2, values 0x1111 * (2i + f + 1)) lies in line 1, slot 1, bits 32..63.
  std::vector<int16_t> v(2 * 24);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int16_t>(0x0101 * (i + 1));
  std::vector<uint64_t> lines(hgenc::table_lines(24, 2) * 4, ~uint64_t{0});
  hgenc::pack_table(v.data(), 24, 2, lines.data());
  EXPECT_EQ((lines[1 * 4 + 0] >> 32) & 0xffff, 0x0707u);  // entry 3, f = 0: value index 6
  EXPECT_EQ((lines[1 * 4 + 0] >> 48) & 0xffff, 0x0808u);
  EXPECT_EQ(lines[0 * 4 + 0] & 0xffff, 0x0101u);  // entry 0
  EXPECT_EQ(lines[2 * 4 + 0] & 0xffff, 0x2121u);  // entry 16 (j = 8: line 2, slot 0), value index 32 = 0x0101 * 33
}

TEST(HgencLayout, RequantRoundsHalfUpAndSaturates) {
  EXPECT_EQ(hgenc::requant8(100, 1, 0), 100);
  EXPECT_EQ(hgenc::requant8(5, 1, 1), 3);                 // 2.5 -> 3
  EXPECT_EQ(hgenc::requant8(-5, 1, 1), -2);               // -2.5 -> -2 (half up)
  EXPECT_EQ(hgenc::requant8(-7, 1, 2), -2);               // -1.75 -> -2
  EXPECT_EQ(hgenc::requant8(1000, 3, 4), 127);            // 187.5 saturates
  EXPECT_EQ(hgenc::requant8(-1000, 3, 4), -128);          // -187.5 saturates
  EXPECT_EQ(hgenc::requant8(0x7fffffff, 0xffff, 47), 1);  // (2^31-1)(2^16-1) / 2^47 = 0.99998 -> 1
  EXPECT_EQ(hgenc::requant8(100, 0x10000 + 1, 0), 100);   // mult keeps its 16 bits
}

// A level's descriptor as the compiler makes it (written here from §3.4's table).
hgenc::Descriptor descriptor_of(const hashgrid::Level& lv, uint32_t base, uint32_t mult = 0, uint32_t shift = 0) {
  hgenc::Descriptor d;
  d.scale_q = lv.scale_q;
  d.stride1 = lv.res;
  d.stride2 = lv.res * lv.res;
  d.size = lv.size;
  d.dense = lv.dense;
  d.base = base;
  d.mult = mult;
  d.shift = shift;
  return d;
}

// §3.4's claim: corners k and k ^ 1 of every point fall into lines of different parity (different banks), on
// every level of random grids, so one copy per pair of corners and two banks serve the 2^D reads in one cycle.
TEST(HgencLayout, CornerPairsNeverShareABank) {
  std::mt19937 rng(11);
  for (int cfg = 0; cfg < 30; ++cfg) {
    hashgrid::GridConfig c;
    c.dims = 2 + rng() % 2;
    c.levels = 1 + rng() % 16;
    c.features = 1u << (rng() % 4);
    c.log2_table = 8 + rng() % 12;
    c.base_res = 2 + rng() % 30;
    c.per_level_scale = 1.0f + static_cast<float>(rng() % 1000) / 1000.0f;
    while (c.levels > 1 && std::pow(c.per_level_scale, c.levels - 1) * c.base_res > 30000) --c.levels;
    const auto levels = hashgrid::level_table(c);
    for (const auto& lv : levels)
      for (int n = 0; n < 200; ++n) {
        uint32_t cell[3];
        for (uint32_t d = 0; d < c.dims; ++d) cell[d] = rng() % (lv.res + 1);
        for (uint32_t k = 0; k < (1u << c.dims); k += 2) {
          uint32_t c0[3], c1[3];
          for (uint32_t d = 0; d < c.dims; ++d) c0[d] = c1[d] = cell[d] + ((k >> d) & 1);
          c1[0] += 1;
          const uint32_t i0 = hashgrid::corner_index(lv, c.dims, c0), i1 = hashgrid::corner_index(lv, c.dims, c1);
          ASSERT_NE(hgenc::entry_pos(lv.offset, i0, c.features).line % 2,
                    hgenc::entry_pos(lv.offset, i1, c.features).line % 2)
              << "level res " << lv.res << " size " << lv.size << " cell " << cell[0];
        }
      }
  }
}

// The engine's INT32 features equal hashgrid::encode_fixed (§3.3's fixed point, a separate implementation) on
// real level tables packed into gbuf, for points in [0, 1] incl. 0, 1 and cell boundaries; and its INT8
// features are requant8 of those. Machines: tiny (1 engine, D <= 2), small (2 engines), default (4 engines).
TEST(HgencEngine, MatchesTheFixedPointEncoder) {
  std::mt19937 rng(5);
  for (const char* name : {"tiny", "small", "default"}) {
    const HwConfig hw = hw_file(name);
    const uint64_t E = hgenc::engines(hw), W = hgenc::write_words(hw), seg_lines = hgenc::segment_lines(hw);
    for (int trial = 0; trial < 12; ++trial) {
      hashgrid::GridConfig c;
      c.dims = hw.hg_max_dims == 3 ? 2 + trial % 2 : 2;
      c.features = 1u << (trial % 4);
      c.levels = 1 + rng() % 6;
      c.base_res = 2 + rng() % 8;
      c.per_level_scale = 1.3f + static_cast<float>(rng() % 100) / 100.0f;
      c.log2_table = 5;
      c.interp = trial % 3 == 2 ? hashgrid::Interp::smoothstep : hashgrid::Interp::linear;
      while (true) {  // the largest table that fits a segment beside the descriptors
        c.log2_table += 1;
        const auto lv = hashgrid::level_table(c);
        std::vector<uint64_t> per(E, 0);
        for (size_t l = 0; l < lv.size(); ++l) per[l % E] += hgenc::table_lines(lv[l].size, c.features);
        if (*std::max_element(per.begin(), per.end()) + 8 > seg_lines || c.log2_table >= 14) {
          c.log2_table -= 1;
          break;
        }
      }
      const auto levels = hashgrid::level_table(c);
      const uint64_t P = hashgrid::n_params(c, levels);
      std::vector<float> params(P);
      std::uniform_real_distribution<float> uni(-1.f, 1.f);
      for (float& v : params) v = uni(rng);
      const hashgrid::FixedTable tab = hashgrid::quantize_table(c, levels, params.data());

      Scratchpads spm(hw);
      const uint64_t seg_words = hgenc::segment_words(hw), d_row = 1;
      std::vector<uint64_t> next_line(E, d_row + hgenc::levels_per_engine(hw, c.levels));
      std::vector<hgenc::Descriptor> desc;
      for (uint32_t l = 0; l < c.levels; ++l) {
        const uint64_t e = l % E;
        const uint32_t base = static_cast<uint32_t>(next_line[e]);
        next_line[e] += hgenc::table_lines(levels[l].size, c.features);
        ASSERT_LE(next_line[e], seg_lines);
        desc.push_back(descriptor_of(levels[l], base, 1 + rng() % 0xffff, 12 + rng() % 20));
        uint64_t* seg = spm.data(isa::Buf::kGbuf, e * seg_words);
        hgenc::pack_descriptor(desc.back(), seg + (d_row + l / E) * 4);
        hgenc::pack_table(tab.values.data() + uint64_t{levels[l].offset} * c.features, levels[l].size, c.features,
                          seg + uint64_t{base} * 4);
      }
      // Points: corners of the cube, cell boundaries of a level, random.
      std::vector<uint32_t> xq;
      const uint32_t one = 1u << 23;
      const uint64_t row_max = hgenc::min_row_words(c.levels, c.features, false) + W;
      const uint32_t n_points = static_cast<uint32_t>(
          std::min<uint64_t>(40, std::min(hw.buf_words(isa::Buf::kObuf), hw.buf_words(isa::Buf::kAbuf)) / row_max - 1));
      for (uint32_t p = 0; p < n_points; ++p)
        for (uint32_t d = 0; d < c.dims; ++d) {
          uint32_t x = static_cast<uint32_t>(rng() % (one + 1));
          if (p < 8)
            x = ((p >> d) & 1) ? one : 0;
          else if (p < 16) {  // a cell boundary of level p % L: pos = k + 0 exactly when scale*x = k - 0.5
            const auto& lv = levels[p % c.levels];
            const double k = 1 + rng() % std::max<uint32_t>(1, lv.res - 1);
            x = std::min<uint32_t>(one, static_cast<uint32_t>(std::llround((k - 0.5) / lv.scale * one)));
          }
          xq.push_back(x);
        }
      uint64_t* xb = spm.data(isa::Buf::kXbuf, 0);
      for (uint32_t p = 0; p < n_points; ++p) {
        xb[2 * p] = uint64_t{xq[p * c.dims]} | (uint64_t{xq[p * c.dims + 1]} << 32);
        xb[2 * p + 1] = c.dims == 3 ? xq[p * c.dims + 2] : 0;
      }
      std::vector<int32_t> want(size_t{n_points} * c.levels * c.features);
      hashgrid::encode_fixed(c, levels, xq.data(), n_points, tab, want.data());

      for (int int8 = 0; int8 < 2; ++int8) {
        isa::HgencInsn h;
        h.dims3 = c.dims == 3;
        h.log2_f = static_cast<uint64_t>(__builtin_ctz(c.features));
        h.smooth = c.interp == hashgrid::Interp::smoothstep;
        h.o_abuf = static_cast<uint64_t>(int8);
        h.n_lev = c.levels;
        const uint64_t need = hgenc::min_row_words(c.levels, c.features, int8 != 0);
        h.o_row = (need + W - 1) / W * W + (trial % 2 ? W : 0);  // sometimes a padded row
        if (h.o_row > 32) h.o_row = (need + W - 1) / W * W;
        h.n_points = n_points;
        h.d_row = d_row;
        h.o_addr = W;
        const Insn in = encode(h);
        ASSERT_EQ(hg().check(in, hw), "") << name;
        std::vector<SpmWrite> writes;
        hg().execute(in, hw, spm, writes);
        ASSERT_EQ(writes.size(), 1u);
        EXPECT_EQ(writes[0].buf, int8 ? isa::Buf::kAbuf : isa::Buf::kObuf);
        EXPECT_EQ(writes[0].addr, W);
        ASSERT_EQ(writes[0].words.size(), n_points * h.o_row);
        for (uint32_t p = 0; p < n_points; ++p) {
          const uint64_t* row = writes[0].words.data() + p * h.o_row;
          const uint64_t nv = uint64_t{c.levels} * c.features;
          for (uint64_t v = 0; v < nv; ++v) {
            const int32_t a = want[p * nv + v];
            if (int8) {
              const hgenc::Descriptor& d = desc[v / c.features];
              ASSERT_EQ(static_cast<int8_t>(row[v / 8] >> (8 * (v % 8))), hgenc::requant8(a, d.mult, d.shift))
                  << name << " point " << p << " value " << v;
            } else {
              ASSERT_EQ(static_cast<int32_t>(row[v / 2] >> (32 * (v % 2))), a)
                  << name << " trial " << trial << " point " << p << " value " << v;
            }
          }
          const uint64_t bytes = nv * (int8 ? 1 : 4);  // the rest of the row is zero
          for (uint64_t b = bytes; b < h.o_row * 8; ++b) ASSERT_EQ((row[b / 8] >> (8 * (b % 8))) & 0xff, 0u);
        }
        EXPECT_EQ(hg().cycles(in, hw), bgtest::oracle_engine_cycles(hw, in));
      }
    }
  }
}

// R12 by hand on the default machine (4 engines, W = 2): 16 levels, 16-word INT32 rows: J = 4, T = max(4, 16/2).
TEST(HgencEngine, TimingByHand) {
  const HwConfig hw = hw_file("default");
  isa::HgencInsn h;
  h.log2_f = 1;
  h.n_lev = 16;
  h.o_row = 16;  // 32 INT32 values
  h.n_points = 10;
  EXPECT_EQ(hg().cycles(encode(h), hw), 4u + 11u * 8u + 6u);
  h.o_abuf = 1;
  h.o_row = 4;  // 32 INT8 values: T = J = 4
  EXPECT_EQ(hg().cycles(encode(h), hw), 4u + 11u * 4u + 6u);
  h.n_lev = 5;  // J = 2, T = max(2, 2)
  EXPECT_EQ(hg().cycles(encode(h), hw), 2u + 11u * 2u + 6u);
}

TEST(HgencEngine, LegalityNamesTheLimit) {
  const HwConfig hw = hw_file("tiny");  // 1 engine, D <= 2, mac_cols 8: W = 1
  isa::HgencInsn ok;
  ok.log2_f = 1;
  ok.n_lev = 4;
  ok.o_row = 1;
  ok.o_abuf = 1;
  ok.n_points = 3;
  ASSERT_EQ(hg().check(encode(ok), hw), "");
  auto err = [&](isa::HgencInsn h) { return hg().check(encode(h), hw); };
  auto h = ok;
  h.n_lev = 0;
  EXPECT_NE(err(h).find("n_lev"), std::string::npos);
  h = ok;
  h.n_lev = 33;
  EXPECT_NE(err(h).find("n_lev"), std::string::npos);
  h = ok;
  h.n_points = 0;
  EXPECT_NE(err(h).find("n_points"), std::string::npos);
  h = ok;
  h.dims3 = 1;
  EXPECT_NE(err(h).find("hg_max_dims"), std::string::npos);
  h = ok;
  h.o_abuf = 0;  // 8 INT32 values need 4 words
  EXPECT_NE(err(h).find("o_row"), std::string::npos);
  h = ok;
  h.o_row = 0;
  EXPECT_NE(err(h).find("o_row"), std::string::npos);
  h = ok;
  h.x_addr = 1;
  EXPECT_NE(err(h).find("x_addr"), std::string::npos);
  h = ok;
  h.n_points = static_cast<uint64_t>(hw.buf_words(isa::Buf::kXbuf)) / 2 + 1;
  EXPECT_NE(err(h).find("xbuf"), std::string::npos);
  h = ok;
  h.o_addr = static_cast<uint64_t>(hw.buf_words(isa::Buf::kAbuf)) - 2;
  EXPECT_NE(err(h).find("abuf"), std::string::npos);
  h = ok;
  h.d_row = hgenc::segment_lines(hw);
  EXPECT_NE(err(h).find("segment"), std::string::npos);
  const HwConfig def = hw_file("default");  // W = 2
  h = ok;
  h.o_row = 2;
  h.o_addr = 1;
  EXPECT_NE(hg().check(encode(h), def).find("o_addr"), std::string::npos);
  h = ok;
  h.o_row = 3;
  EXPECT_NE(hg().check(encode(h), def).find("multiple of 2"), std::string::npos);
  h = ok;
  h.o_row = 2;
  h.o_skip = 1;
  EXPECT_NE(hg().check(encode(h), def).find("o_skip"), std::string::npos);
  // rows at o_addr + p*(o_row + o_skip): the last row ends the span (no skip after it); tiny's abuf is 128 words
  h = ok;
  h.o_skip = 5;
  h.o_addr = 128 - (2 * 6 + 1);
  EXPECT_EQ(err(h), "");
  h.o_addr += 1;
  EXPECT_NE(err(h).find("abuf"), std::string::npos);
}

// o_skip: each row is written at o_addr + p*(o_row + o_skip), the same words as without a skip, and nothing
// between the rows (one write per row). Random gbuf bytes and points on the tiny machine (W = 1).
TEST(HgencEngine, SkippedWordsAreNotWritten) {
  const HwConfig hw = hw_file("tiny");
  Scratchpads spm(hw);
  std::mt19937_64 rng(11);
  for (auto b : {isa::Buf::kGbuf, isa::Buf::kXbuf})
    for (uint64_t i = 0; i < static_cast<uint64_t>(hw.buf_words(b)); ++i)
      spm.data(b)[i] = rng() & 0x007fffff007fffffull;
  isa::HgencInsn h;
  h.log2_f = 1;
  h.n_lev = 4;  // 8 INT8 values: one word
  h.o_abuf = 1;
  h.o_row = 1;
  h.n_points = 7;
  h.o_addr = 3;
  std::vector<SpmWrite> packed, skipped;
  hg().execute(encode(h), hw, spm, packed);
  ASSERT_EQ(packed.size(), 1u);
  ASSERT_EQ(packed[0].words.size(), 7u);
  h.o_skip = 3;
  ASSERT_EQ(hg().check(encode(h), hw), "");
  hg().execute(encode(h), hw, spm, skipped);
  ASSERT_EQ(skipped.size(), 7u);
  for (uint64_t p = 0; p < 7; ++p) {
    EXPECT_EQ(skipped[p].buf, isa::Buf::kAbuf);
    EXPECT_EQ(skipped[p].addr, 3 + p * 4);
    ASSERT_EQ(skipped[p].words.size(), 1u);
    EXPECT_EQ(skipped[p].words[0], packed[0].words[p]) << "point " << p;
  }
  // the race checker sees the whole span written, skips included: 6 * 4 + 1 words
  std::vector<Access> acc;
  hg().accesses(encode(h), hw, acc);
  ASSERT_EQ(acc.size(), 3u);
  EXPECT_EQ(acc[2].lo, 3u);
  EXPECT_EQ(acc[2].hi, 3u + 25u);
  EXPECT_TRUE(acc[2].write);
}

}  // namespace

namespace {

// configs/image_fit.yaml's grid (2-D, L 16, F 2, T 15, resolutions 16 .. 256: 14 dense levels, 2 hashed) on the
// default machine, 1,000 random points: the engine's INT32 features against encode_fixed.
TEST(HgencEngine, ImageFitGridMatchesTheFixedPointEncoder) {
  const HwConfig hw = hw_file("default");
  hashgrid::GridConfig c;
  c.dims = 2;
  c.levels = 16;
  c.features = 2;
  c.log2_table = 15;
  c.base_res = 16;
  c.per_level_scale = hashgrid::per_level_scale_for(16, 256, 16);
  const auto levels = hashgrid::level_table(c);
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> uni(-0.5f, 0.5f);
  std::vector<float> params(hashgrid::n_params(c, levels));
  for (float& v : params) v = uni(rng);
  const auto tab = hashgrid::quantize_table(c, levels, params.data());
  Scratchpads spm(hw);
  const uint64_t E = hgenc::engines(hw), seg_words = hgenc::segment_words(hw);
  std::vector<uint64_t> next(E, hgenc::levels_per_engine(hw, c.levels));
  for (uint32_t l = 0; l < c.levels; ++l) {
    const uint64_t e = l % E;
    uint64_t* seg = spm.data(isa::Buf::kGbuf, e * seg_words);
    hgenc::pack_descriptor(descriptor_of(levels[l], static_cast<uint32_t>(next[e])), seg + (l / E) * 4);
    hgenc::pack_table(tab.values.data() + uint64_t{levels[l].offset} * 2, levels[l].size, 2, seg + next[e] * 4);
    next[e] += hgenc::table_lines(levels[l].size, 2);
  }
  const uint32_t n = 1000;
  std::vector<uint32_t> xq(2 * n);
  for (auto& x : xq) x = rng() % ((1u << 23) + 1);
  for (uint32_t p = 0; p < n; ++p)
    *spm.data(isa::Buf::kXbuf, 2 * p) = uint64_t{xq[2 * p]} | (uint64_t{xq[2 * p + 1]} << 32);
  std::vector<int32_t> want(n * 32);
  hashgrid::encode_fixed(c, levels, xq.data(), n, tab, want.data());
  isa::HgencInsn h;
  h.log2_f = 1;
  h.n_lev = 16;
  h.o_row = 16;
  h.n_points = n;
  const Insn in = encode(h);
  ASSERT_EQ(hg().check(in, hw), "");
  std::vector<SpmWrite> writes;
  hg().execute(in, hw, spm, writes);
  for (uint32_t p = 0; p < n; ++p)
    for (uint32_t v = 0; v < 32; ++v)
      ASSERT_EQ(static_cast<int32_t>(writes[0].words[p * 16 + v / 2] >> (32 * (v % 2))), want[p * 32 + v])
          << "point " << p << " (" << xq[2 * p] << ", " << xq[2 * p + 1] << ") value " << v;
}

}  // namespace
