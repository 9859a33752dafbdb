// The hash-grid encoder's reference model (bitgrid/hashgrid.h): tiny-cuda-nn's conformance vectors and level
// table, hand-computed encodings (hashed, dense, a dense level that wraps at x = 1), an independent scalar
// re-derivation in double on random configurations, the hardware's fixed point by hand and its error bound
// against float, and the configuration limits.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "bitgrid/hashgrid.h"
#include "unit_util.h"

using namespace bitgrid;
using namespace bitgrid::hashgrid;

namespace {

using bgtest::error_of;
using bgtest::has;

Level hashed_level(uint32_t log2_size) {
  Level lv;
  lv.size = 1u << log2_size;
  lv.dense = false;
  return lv;
}

}  // namespace

// ../shared/DESIGN.md §5.1: the 3-D coherent-prime hash of tiny-cuda-nn (primes 1, 2654435761, 805459861),
// modulo 2^19 and 2^24.
TEST(Hashgrid, ConformanceVectors) {
  const uint32_t v[3][3] = {{1, 2, 3}, {100, 200, 300}, {2047, 2048, 1}};
  const uint32_t m19[3] = {128476, 110768, 514154}, m24[3] = {6944220, 15315120, 13621354};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(corner_index(hashed_level(19), 3, v[i]), m19[i]) << i;
    EXPECT_EQ(corner_index(hashed_level(24), 3, v[i]), m24[i]) << i;
  }
}

// L 16, F 2, T 19, N_min 16, N_max 2048 (b = 128^(1/15) ~ 1.3819): DESIGN.md §5.1 gives the dense levels (res 16,
// 23, 31, 43, 59); their sizes are res^3 rounded up to a multiple of 8, worked out by hand: 4096, 12167 -> 12168,
// 29791 -> 29792, 79507 -> 79512, 205379 -> 205384; level 5 (res 81, 81^3 = 531441 > 2^19) and above are hashed
// with 2^19 entries: 330952 + 11 * 524288 = 6098120 entries, 12196240 floats.
TEST(Hashgrid, LevelTableOfTheInstantNgpConfig) {
  GridConfig c;
  c.dims = 3;
  c.levels = 16;
  c.features = 2;
  c.log2_table = 19;
  c.base_res = 16;
  c.per_level_scale = per_level_scale_for(16, 2048, 16);
  EXPECT_NEAR(c.per_level_scale, 1.3819, 1e-4);
  const auto t = level_table(c);
  ASSERT_EQ(t.size(), 16u);
  const uint32_t res[5] = {16, 23, 31, 43, 59}, size[5] = {4096, 12168, 29792, 79512, 205384};
  uint32_t off = 0;
  for (int l = 0; l < 16; ++l) {
    if (l < 5) {
      EXPECT_EQ(t[l].res, res[l]) << l;
      EXPECT_EQ(t[l].size, size[l]) << l;
      EXPECT_TRUE(t[l].dense) << l;
    } else {
      EXPECT_EQ(t[l].size, 524288u) << l;
      EXPECT_FALSE(t[l].dense) << l;
    }
    EXPECT_EQ(t[l].offset, off) << l;
    off += t[l].size;
    // The resolution from the formula in double: 16 b^l - 1, ceil, + 1 (level 15 is 2047 up to rounding, so
    // float's exp2f may land on either side of the integer).
    const double s = 16.0 * std::pow(128.0, l / 15.0) - 1.0;
    if (std::fabs(s - std::round(s)) < 1e-3) {
      EXPECT_TRUE(t[l].res == uint32_t(std::round(s)) + 1 || t[l].res == uint32_t(std::round(s)) + 2) << l;
    } else {
      EXPECT_EQ(t[l].res, uint32_t(std::ceil(s)) + 1) << l;
    }
  }
  EXPECT_EQ(t[5].res, 81u);
  EXPECT_EQ(n_params(c, t), 12196240u);
}

// A 2-D level whose res^D equals the table: dense; at x = 1 the upper corner (res) wraps to the next row and past
// the end (tiny-cuda-nn's `% hashmap_size`).
TEST(Hashgrid, DenseLevelWrapsAtOne) {
  GridConfig c;
  c.dims = 2;
  c.levels = 1;
  c.features = 1;
  c.log2_table = 4;
  c.base_res = 4;  // scale 3, res 4, 16 entries = 2^4: dense
  const auto t = level_table(c);
  ASSERT_TRUE(t[0].dense);
  ASSERT_EQ(t[0].res, 4u);
  ASSERT_EQ(t[0].size, 16u);
  std::vector<float> g(16);
  for (int i = 0; i < 16; ++i) g[i] = float(i);
  // x = (1, 1): pos 3.5, cell 3, weights 1/2; corners (3,3) 15, (4,3) 16 -> 0, (3,4) 19 -> 3, (4,4) 20 -> 4.
  // x = (0, 0): pos 0.5; corners 0, 1, 4, 5.
  const float x[4] = {1, 1, 0, 0};
  float out[2];
  encode_float(c, t, x, 2, g.data(), out);
  EXPECT_FLOAT_EQ(out[0], 0.25f * (15 + 0 + 3 + 4));
  EXPECT_FLOAT_EQ(out[1], 0.25f * (0 + 1 + 4 + 5));
  // Fixed point: scale 3 = 196608 (UQ16.16); the table's largest value 15 takes 11 fractional bits (15 * 2^12
  // > 32767); each corner weight (1/2)(1/2) = 16384; acc = 16384 * 22 * 2^11 at x = 1.
  EXPECT_EQ(t[0].scale_q, 196608u);
  const auto q = quantize_table(c, t, g.data());
  EXPECT_EQ(q.frac[0], 11);
  const uint32_t xq[4] = {1u << 23, 1u << 23, 0, 0};
  int32_t acc[2];
  encode_fixed(c, t, xq, 2, q, acc);
  EXPECT_EQ(acc[0], 16384 * 22 * 2048);
  EXPECT_EQ(acc[1], 16384 * 10 * 2048);
  EXPECT_DOUBLE_EQ(acc_value(acc[0], q.frac[0]), 5.5);
}

// A hashed 2-D level by hand: N_min 8 (scale 7, res 8, 64 > 16 entries), point (0.3, 0.6): cells (2, 4),
// fractions 0.6 and 0.7. Modulo 16 the hash is c0 XOR c1 (2654435761 = 0x9E3779B1 ends in 1): corners (2,4) 6,
// (3,4) 7, (2,5) 7, (3,5) 6 with weights 0.12, 0.18, 0.28, 0.42; entry e, feature f holds 2e + f.
TEST(Hashgrid, HashedLevelByHand) {
  GridConfig c;
  c.dims = 2;
  c.levels = 1;
  c.features = 2;
  c.log2_table = 4;
  c.base_res = 8;
  const auto t = level_table(c);
  ASSERT_FALSE(t[0].dense);
  ASSERT_EQ(t[0].size, 16u);
  std::vector<float> g(32);
  for (int i = 0; i < 32; ++i) g[i] = float(i);
  const float x[2] = {0.3f, 0.6f};
  float out[2];
  encode_float(c, t, x, 1, g.data(), out);
  EXPECT_NEAR(out[0], (0.12 + 0.42) * 12 + (0.18 + 0.28) * 14, 1e-5);
  EXPECT_NEAR(out[1], (0.12 + 0.42) * 13 + (0.18 + 0.28) * 15, 1e-5);
  // Smoothstep: s(0.6) = 0.648, s(0.7) = 0.784.
  c.interp = Interp::smoothstep;
  encode_float(c, t, x, 1, g.data(), out);
  const double a = 0.648, b = 0.784;
  const double w6 = (1 - a) * (1 - b) + a * b, w7 = a * (1 - b) + (1 - a) * b;
  EXPECT_NEAR(out[0], w6 * 12 + w7 * 14, 1e-5);
  EXPECT_NEAR(out[1], w6 * 13 + w7 * 15, 1e-5);
}

// tiny-cuda-nn's dense test runs `stride *= res` in uint32: with res 2048 and 2^22 entries (3-D), res^2 = 2^22 still
// fits, res^3 = 2^33 wraps to 0, so the level is indexed densely and z drops out (grid.h, grid_index).
TEST(Hashgrid, Uint32StrideQuirk) {
  GridConfig c;
  c.dims = 3;
  c.levels = 1;
  c.features = 1;
  c.log2_table = 22;
  c.base_res = 2048;
  const auto t = level_table(c);
  ASSERT_EQ(t[0].res, 2048u);
  ASSERT_EQ(t[0].size, 1u << 22);
  EXPECT_TRUE(t[0].dense);
  const uint32_t a[3] = {5, 7, 9}, b[3] = {5, 7, 0};
  EXPECT_EQ(corner_index(t[0], 3, a), 5u + 7u * 2048u);
  EXPECT_EQ(corner_index(t[0], 3, b), 5u + 7u * 2048u);
}

namespace {

// The encoding written again, plainly, in double: positions from the product, indices from 64-bit sums and
// products reduced at the end, dense iff res^D fits the level (the configurations below keep res^D < 2^32).
std::vector<double> scalar_encode(const GridConfig& c, const std::vector<Level>& t, const std::vector<float>& x,
                                  const std::vector<float>& g) {
  const size_t n = x.size() / c.dims;
  std::vector<double> out(n * c.levels * c.features);
  for (size_t i = 0; i < n; ++i)
    for (uint32_t l = 0; l < c.levels; ++l) {
      uint64_t resd = 1;
      for (uint32_t d = 0; d < c.dims; ++d) resd *= t[l].res;
      const bool dense = resd <= t[l].size;
      double frac[3];
      uint64_t cell[3];
      for (uint32_t d = 0; d < c.dims; ++d) {
        const double p = double(t[l].scale) * x[i * c.dims + d] + 0.5;
        cell[d] = uint64_t(std::floor(p));
        frac[d] = p - std::floor(p);
        if (c.interp == Interp::smoothstep) frac[d] = frac[d] * frac[d] * (3 - 2 * frac[d]);
      }
      for (uint32_t k = 0; k < (1u << c.dims); ++k) {
        double w = 1;
        uint64_t idx = 0, stride = 1, h = 0;
        for (uint32_t d = 0; d < c.dims; ++d) {
          const uint64_t cd = cell[d] + ((k >> d) & 1);
          w *= (k >> d) & 1 ? frac[d] : 1 - frac[d];
          idx += cd * stride;
          stride *= t[l].res;
          h ^= (cd * kPrimes[d]) & 0xffffffffu;
        }
        const uint64_t e = ((dense ? idx : h) & 0xffffffffu) % t[l].size + t[l].offset;
        for (uint32_t f = 0; f < c.features; ++f) out[(i * c.levels + l) * c.features + f] += w * g[e * c.features + f];
      }
    }
  return out;
}

GridConfig random_config(std::mt19937_64& rng) {
  GridConfig c;
  c.dims = 2 + rng() % 2;
  c.levels = 1 + rng() % 8;
  const uint32_t fs[4] = {1, 2, 4, 8};
  c.features = fs[rng() % 4];
  c.log2_table = 6 + rng() % 8;
  c.base_res = 2 + rng() % 30;
  c.per_level_scale = 1.0f + float(rng() % 1000) / 1000.0f;
  c.interp = rng() % 2 ? Interp::smoothstep : Interp::linear;
  return c;
}

std::vector<float> random_points(std::mt19937_64& rng, const GridConfig& c, size_t n) {
  std::vector<float> x(n * c.dims);
  for (auto& v : x) v = float(rng() >> 40) / float(1 << 24);
  // Corner cases: 0, 1 and a coordinate on a cell boundary of level 0 ((k - 0.5) / scale).
  for (uint32_t d = 0; d < c.dims; ++d) {
    x[d] = 0;
    x[c.dims + d] = 1;
    x[2 * c.dims + d] = 1;
  }
  x[3 * c.dims] = 0.5f / 3.0f;
  return x;
}

}  // namespace

TEST(Hashgrid, FloatMatchesAScalarDerivation) {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 40; ++trial) {
    const GridConfig c = random_config(rng);
    const auto t = level_table(c);
    std::vector<float> g(n_params(c, t));
    for (auto& v : g) v = float(int64_t(rng() % 2001) - 1000) / 1000.0f;
    const auto x = random_points(rng, c, 200);
    const size_t n = x.size() / c.dims;
    std::vector<float> out(n * c.out_features()), out_mt(out.size());
    encode_float(c, t, x.data(), n, g.data(), out.data());
    encode_float_mt(c, t, x.data(), n, g.data(), out_mt.data(), 3);
    EXPECT_EQ(std::memcmp(out.data(), out_mt.data(), out.size() * sizeof(float)), 0) << trial;
    const auto ref = scalar_encode(c, t, x, g);
    // float's rounding: the position (one ulp of scale + 0.5, through a slope of at most 3 per dimension with
    // |v| <= 1) and the weights and sums (a few ulps of 1).
    for (size_t i = 0; i < out.size(); ++i) {
      const uint32_t l = uint32_t(i % c.out_features()) / c.features;
      const double tol = 2e-6 + 3.0 * c.dims * std::ldexp(double(t[l].scale) + 1.0, -23);
      ASSERT_NEAR(out[i], ref[i], tol) << "trial " << trial << " value " << i;
    }
  }
}

TEST(Hashgrid, FixedAxisWeightsByHand) {
  // x = 0: position 0.5 -> cell 0, weights 1/2.
  auto a = axis_weights(7u << 16, 0, Interp::linear);
  EXPECT_EQ(a.cell, 0u);
  EXPECT_EQ(a.w1, 32768u);
  EXPECT_EQ(a.w0, 32768u);
  // x = 1, scale 7.25: position 7.75 -> cell 7, fraction 0.75 = 49152.
  a = axis_weights((7u << 16) + 16384, 1u << 23, Interp::linear);
  EXPECT_EQ(a.cell, 7u);
  EXPECT_EQ(a.w1, 49152u);
  EXPECT_EQ(a.w0, 16384u);
  // x = 0.25 (2^21), scale 2: position exactly 1.0 -> cell 1, fraction 0: the whole weight on the lower corner.
  a = axis_weights(2u << 16, 1u << 21, Interp::linear);
  EXPECT_EQ(a.cell, 1u);
  EXPECT_EQ(a.w0, 65536u);
  EXPECT_EQ(a.w1, 0u);
  // Smoothstep at 0.5: f^2 = 16384, 3 - 2f = 131072 (UQ2.16), product >> 16 = 32768; at 0.75: f^2 = 36864,
  // 3 - 2f = 98304, 36864 * 98304 >> 16 = 55296 (0.84375 = 0.5625 * 1.5).
  a = axis_weights(0, 0, Interp::smoothstep);
  EXPECT_EQ(a.w1, 32768u);
  a = axis_weights((7u << 16) + 16384, 1u << 23, Interp::smoothstep);
  EXPECT_EQ(a.w1, 55296u);
  EXPECT_EQ(a.w0, 65536u - 55296u);
}

TEST(Hashgrid, QuantizeCoordAndTable) {
  EXPECT_EQ(quantize_coord(0.0f), 0u);
  EXPECT_EQ(quantize_coord(1.0f), 1u << 23);
  EXPECT_EQ(quantize_coord(0.5f), 1u << 22);
  EXPECT_EQ(quantize_coord(1.0f / 3.0f), 2796203u);  // 2^23 / 3 = 2796202.67
  GridConfig c;
  c.dims = 2;
  c.levels = 3;
  c.features = 1;
  c.log2_table = 4;
  c.base_res = 2;  // res 2, 4, 8: 8 and 16 entries dense, then 16 hashed
  const auto t = level_table(c);
  std::vector<float> g(n_params(c, t), 0.0f);
  g[t[0].offset] = 0.9f;     // 0.9 * 2^15 = 29491: 15 bits
  g[t[1].offset] = -1.0f;    // 2^15 > 32767: 14 bits
  g[t[2].offset] = 1000.0f;  // 1000 * 2^5 = 32000: 5 bits
  const auto q = quantize_table(c, t, g.data());
  EXPECT_EQ(q.frac[0], 15);
  EXPECT_EQ(q.frac[1], 14);
  EXPECT_EQ(q.frac[2], 5);
  EXPECT_EQ(q.values[t[0].offset], 29491);
  EXPECT_EQ(q.values[t[1].offset], -16384);
  EXPECT_EQ(q.values[t[2].offset], 32000);
  g[t[2].offset] = 40000.0f;
  EXPECT_TRUE(has(error_of([&] { quantize_table(c, t, g.data()); }), "level 2 holds a parameter of magnitude 40000"));
  g[t[2].offset] = std::nanf("");
  EXPECT_TRUE(has(error_of([&] { quantize_table(c, t, g.data()); }), "is not finite"));
}

// The fixed point's error against float, bounded term by term: table rounding (half a step, the weights add up
// to at most 1), the floored weight products (2^D corners, D floors of 2^-16), and the position (coordinate
// rounding and float's rounding, scale * 2^-24 each, the floor to 2^-16, the smoothstep's own rounding 2^-15),
// through a slope of at most 3 * max|v| per dimension (linear 2, smoothstep 1.5 * 2).
TEST(Hashgrid, FixedStaysWithinItsErrorBound) {
  std::mt19937_64 rng(11);
  double worst = 0;
  for (int trial = 0; trial < 40; ++trial) {
    GridConfig c = random_config(rng);
    c.base_res = 16 + rng() % 200;
    const auto t = level_table(c);
    std::vector<float> g(n_params(c, t));
    const float amp = float(1 + rng() % 100) / 50.0f;
    for (auto& v : g) v = amp * (float(int64_t(rng() % 20001) - 10000) / 10000.0f);
    const auto x = random_points(rng, c, 300);
    const size_t n = x.size() / c.dims;
    std::vector<float> fl(n * c.out_features());
    encode_float(c, t, x.data(), n, g.data(), fl.data());
    const auto q = quantize_table(c, t, g.data());
    std::vector<uint32_t> xq(x.size());
    for (size_t i = 0; i < x.size(); ++i) xq[i] = quantize_coord(x[i]);
    std::vector<int32_t> acc(fl.size());
    encode_fixed(c, t, xq.data(), n, q, acc.data());
    for (uint32_t l = 0; l < c.levels; ++l) {
      const double D = c.dims, s = t[l].scale;
      const double bound =
          std::ldexp(1.0, -(q.frac[l] + 1)) +
          amp * (std::ldexp(1.0, int(c.dims)) * D * std::ldexp(1.0, -16) +
                 3 * D * (2 * s * std::ldexp(1.0, -24) + std::ldexp(1.0, -16) + std::ldexp(1.0, -15)) + 1e-6);
      for (size_t i = 0; i < n; ++i)
        for (uint32_t f = 0; f < c.features; ++f) {
          const size_t k = i * c.out_features() + l * c.features + f;
          const double e = std::fabs(acc_value(acc[k], q.frac[l]) - fl[k]);
          worst = std::max(worst, e / bound);
          ASSERT_LE(e, bound) << "trial " << trial << " level " << l << " point " << i;
        }
    }
  }
  // The bound is not vacuous: the worst case uses a visible part of it.
  EXPECT_GT(worst, 0.02);
}

TEST(Hashgrid, ConfigurationLimits) {
  GridConfig c;
  c.dims = 4;
  EXPECT_TRUE(has(error_of([&] { validate(c, "w"); }), "w.dims: 4 is outside 2..3"));
  c.dims = 3;
  c.features = 3;
  EXPECT_TRUE(has(error_of([&] { validate(c, "w"); }), "w.features: 3 is not 1, 2, 4 or 8"));
  c.features = 2;
  c.levels = 33;
  EXPECT_TRUE(has(error_of([&] { validate(c, "w"); }), "w.levels: 33 is outside 1..32"));
  c.levels = 16;
  c.log2_table = 29;
  EXPECT_TRUE(has(error_of([&] { validate(c, "w"); }), "w.log2_table: 29 is outside 4..28"));
  c.log2_table = 19;
  c.per_level_scale = 0.5f;
  EXPECT_TRUE(has(error_of([&] { validate(c, "w"); }), "w.per_level_scale: 0.5 is outside 1..16"));
  c.per_level_scale = 2.0f;
  c.base_res = 20000;
  c.levels = 2;  // level 1: scale 39999, res 40000
  EXPECT_TRUE(has(error_of([&] { level_table(c); }), "level 1 has resolution 40000, above 32768"));
  c.base_res = 16;
  c.per_level_scale = 1.2f;  // levels 21..31 (res > 645) hold 2^28 entries each
  c.levels = 32;
  c.features = 8;
  c.log2_table = 28;
  EXPECT_TRUE(has(error_of([&] { level_table(c); }), "parameters, above 2147483648"));
}
