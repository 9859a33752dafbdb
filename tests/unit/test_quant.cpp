// The weight quantizer (model/include/bitgrid/quant.h): value decoding against the generated datatype tables,
// exact round trips of each datatype's own grid, the tie rule, BitMoD's selector choice on outliers, errors,
// and the error ordering of the datatypes on heavy-tailed weights.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <set>

#include "bitgrid/error.h"
#include "bitgrid/gen/isa.h"
#include "bitgrid/quant.h"
#include "unit_util.h"

using namespace bitgrid;

namespace {
using bgtest::error_of;
using bgtest::has;

constexpr int kNumDtypes = static_cast<int>(isa::kDtypes.size());

// The value of a code straight from the table fields (not through isa::dtype_value).
int table_value(int dt, uint32_t q, uint32_t sel) {
  const auto& d = isa::kDtypes[static_cast<size_t>(dt)];
  if (!d.table) return q >= (1u << (d.bits - 1)) ? static_cast<int>(q) - (1 << d.bits) : static_cast<int>(q);
  if (static_cast<int>(q) == d.special_code) return d.specials[sel];
  return d.values[q];
}

std::vector<float> heavy_tailed(size_t n, unsigned seed, bool laplace) {
  std::mt19937 rng(seed);
  std::student_t_distribution<double> t(3.0);
  std::exponential_distribution<double> ex(1.0);
  std::vector<float> w(n);
  for (auto& x : w) x = static_cast<float>(0.02 * (laplace ? ex(rng) - ex(rng) : t(rng)));
  return w;
}

// What every quantization result must satisfy, checked by brute force against the tables: shapes, code and
// scale ranges, dequant = value * gs * cs, each weight's value the nearest of its candidate set at the
// actual scale (exact tie: the lower value), and the reported MSE / SQNR.
void check_invariants(const Quantized& q, const std::vector<float>& w) {
  const auto& d = isa::kDtypes[static_cast<size_t>(q.dtype)];
  const size_t ng = q.groups();
  ASSERT_EQ(q.codes.size(), q.rows * q.cols);
  ASSERT_EQ(q.sel.size(), q.rows * ng);
  ASSERT_EQ(q.gscale.size(), q.rows * ng);
  ASSERT_EQ(q.cscale.size(), q.rows);
  double se = 0;
  for (size_t n = 0; n < q.rows; ++n) {
    int maxgs = 0;
    for (size_t g = 0; g < ng; ++g) {
      const uint32_t sel = q.sel[n * ng + g];
      const int gs = q.gscale[n * ng + g];
      maxgs = std::max(maxgs, gs);
      ASSERT_LT(sel, static_cast<uint32_t>(dtype_selectors(q.dtype)));
      const double s = double(gs) * q.cscale[n];
      for (size_t k = g * q.group; k < (g + 1) * q.group; ++k) {
        const uint32_t code = q.codes[n * q.cols + k];
        ASSERT_TRUE(dtype_code_used(q.dtype, code)) << d.name << " code " << code;
        const float deq = static_cast<float>(isa::dtype_value(q.dtype, code, sel) * s);
        ASSERT_EQ(deq, q.dequant[n * q.cols + k]);
        const float x = w[n * q.cols + k];
        const double e = double(x) - deq;
        for (uint32_t c = 0; c < (1u << d.bits); ++c) {
          if (!dtype_code_used(q.dtype, c)) continue;
          const float other = static_cast<float>(isa::dtype_value(q.dtype, c, sel) * s);
          const double eo = double(x) - other;
          ASSERT_TRUE(e * e < eo * eo || (e * e == eo * eo && deq <= other))
              << d.name << " w=" << x << " got " << deq << ", " << other << " is nearer";
        }
        se += e * e;
      }
    }
    // The row's largest group maps to gs = 255 (BitMoD: 255 * 12/16 when it picks a +-16 / +-12 special).
    if (q.cscale[n] > 0) {
      if (dtype_selectors(q.dtype) == 1) {
        EXPECT_EQ(maxgs, 255) << "row " << n;
      }
      EXPECT_GE(maxgs, 255 * 2 / 3) << "row " << n;
    }
  }
  EXPECT_NEAR(q.mse, se / double(q.rows * q.cols), 1e-12 + 1e-9 * q.mse);
}

}  // namespace

TEST(Quant, DtypeNames) {
  EXPECT_EQ(dtype_by_name("int8"), isa::kDtypeInt8);
  EXPECT_EQ(dtype_by_name("int3"), isa::kDtypeInt3);
  EXPECT_EQ(dtype_by_name("fp4"), isa::kDtypeFp4);
  EXPECT_EQ(dtype_by_name("bitmod4"), isa::kDtypeBitmod4);
  EXPECT_EQ(dtype_by_name("bitmod3"), isa::kDtypeBitmod3);
  const std::string e = error_of([] { dtype_by_name("int5"); });
  EXPECT_TRUE(has(e, "unknown datatype 'int5'")) << e;
  for (const auto& d : isa::kDtypes) EXPECT_TRUE(has(e, d.name)) << e;
}

// The quantizer's view of the codes agrees with the tables: isa::dtype_value equals the table fields, the
// codes it may produce are all but INT's most negative and FP's -0, and BitMoD's special code stands for
// the group's special value.
TEST(Quant, ValueDecodingAgainstTables) {
  for (int dt = 0; dt < kNumDtypes; ++dt) {
    const auto& d = isa::kDtypes[static_cast<size_t>(dt)];
    for (uint32_t sel = 0; sel < 4; ++sel)
      for (uint32_t q = 0; q < (1u << d.bits); ++q) EXPECT_EQ(isa::dtype_value(dt, q, sel), table_value(dt, q, sel));
    int unused = 0;
    for (uint32_t q = 0; q < (1u << d.bits); ++q) unused += !dtype_code_used(dt, q);
    EXPECT_EQ(unused, d.special_code >= 0 ? 0 : 1) << d.name;
    EXPECT_EQ(dtype_selectors(dt), d.special_code >= 0 ? 4 : 1) << d.name;
  }
  EXPECT_FALSE(dtype_code_used(isa::kDtypeInt4, 8));  // -8: symmetric INT4 is -7..7
  EXPECT_EQ(isa::dtype_value(isa::kDtypeInt4, 9, 0), -7);
  EXPECT_FALSE(dtype_code_used(isa::kDtypeFp4, 8));  // -0
  EXPECT_TRUE(dtype_code_used(isa::kDtypeBitmod4, 8));
  EXPECT_EQ(isa::dtype_value(isa::kDtypeBitmod4, 8, 2), 16);
  EXPECT_EQ(isa::dtype_value(isa::kDtypeBitmod3, 4, 1), -6);
}

// Weights that are exactly value * gs * cs quantize back to those codes, selectors and scales: per row one
// group with gs = 255 holding the largest value of the smallest candidate set (which fixes cs), the other
// groups with random gs and each holding its candidate's largest |value| (which fixes gs).
TEST(Quant, EachDatatypeRoundTripsItsGrid) {
  std::mt19937 rng(11);
  const size_t N = 6, K = 512, G = 64, NG = K / G;
  for (int dt = 0; dt < kNumDtypes; ++dt) {
    const auto& d = isa::kDtypes[static_cast<size_t>(dt)];
    const int nsel = dtype_selectors(dt);
    std::vector<int> maxabs(static_cast<size_t>(nsel), 0);
    for (int s = 0; s < nsel; ++s)
      for (uint32_t q = 0; q < (1u << d.bits); ++q)
        if (dtype_code_used(dt, q))
          maxabs[static_cast<size_t>(s)] =
              std::max(maxabs[static_cast<size_t>(s)], std::abs(isa::dtype_value(dt, q, static_cast<uint32_t>(s))));
    const int min_maxabs = *std::min_element(maxabs.begin(), maxabs.end());
    std::vector<uint8_t> codes(N * K), sel(N * NG), gs(N * NG);
    std::vector<float> cs(N), w(N * K);
    for (size_t n = 0; n < N; ++n) {
      cs[n] = std::ldexp(1.0f, -8 - static_cast<int>(n));  // a power of two: every product below is exact
      for (size_t g = 0; g < NG; ++g) {
        int s = static_cast<int>(rng() % static_cast<unsigned>(nsel));
        if (g == n % NG) {  // the group with gs = 255 uses a selector of the smallest value set
          while (maxabs[static_cast<size_t>(s)] != min_maxabs) s = (s + 1) % nsel;
        }
        const int m = maxabs[static_cast<size_t>(s)];
        const int gmax = 255 * min_maxabs / m;  // keeps this group's ideal scale within cs * 255
        const int scale = g == n % NG ? 255 : 1 + static_cast<int>(rng() % static_cast<unsigned>(gmax));
        sel[n * NG + g] = static_cast<uint8_t>(s);
        gs[n * NG + g] = static_cast<uint8_t>(scale);
        std::vector<uint32_t> pool, maxcodes;
        for (uint32_t q = 0; q < (1u << d.bits); ++q) {
          if (!dtype_code_used(dt, q)) continue;
          pool.push_back(q);
          if (std::abs(isa::dtype_value(dt, q, static_cast<uint32_t>(s))) == m) maxcodes.push_back(q);
        }
        for (size_t j = 0; j < G; ++j) {
          uint32_t q = pool[rng() % pool.size()];
          if (j == 0) q = maxcodes[rng() % maxcodes.size()];
          if (j == 1 && d.special_code >= 0) q = static_cast<uint32_t>(d.special_code);  // identifies the selector
          codes[n * K + g * G + j] = static_cast<uint8_t>(q);
          w[n * K + g * G + j] = static_cast<float>(isa::dtype_value(dt, q, static_cast<uint32_t>(s)) * scale * cs[n]);
        }
      }
    }
    const Quantized r = quantize(w.data(), N, K, dt, G);
    EXPECT_EQ(r.cscale, cs) << d.name;
    EXPECT_EQ(r.gscale, gs) << d.name;
    EXPECT_EQ(r.sel, sel) << d.name;
    EXPECT_EQ(r.codes, codes) << d.name;
    EXPECT_EQ(r.dequant, w) << d.name;
    EXPECT_EQ(r.mse, 0.0) << d.name;
    EXPECT_TRUE(std::isinf(r.sqnr_db)) << d.name;
  }
}

// Exact ties go to the numerically lower value. One group whose largest weight 7 (INT4) / 12 (FP4) times
// 255/1024 makes cs = 1/1024 and gs = 255 exactly, so the halfway points are exact.
TEST(Quant, TieTakesTheLowerValue) {
  const double s = 255.0 / 1024;
  {
    const std::vector<double> units = {7, 0.5, -0.5, 1.5, -1.5, 6.5, -6.5, 0};
    const std::vector<int> want = {7, 0, -1, 1, -2, 6, -7, 0};
    std::vector<float> w;
    for (double u : units) w.push_back(static_cast<float>(u * s));
    const Quantized q = quantize(w.data(), 1, w.size(), isa::kDtypeInt4, w.size());
    EXPECT_EQ(q.cscale[0], 1.0f / 1024);
    EXPECT_EQ(q.gscale[0], 255);
    for (size_t i = 0; i < w.size(); ++i) EXPECT_EQ(isa::dtype_value(isa::kDtypeInt4, q.codes[i], 0), want[i]) << i;
  }
  {
    const std::vector<double> units = {12, 5, -5, 10, -10, 0.5, -0.5, 7};
    const std::vector<int> want = {12, 4, -6, 8, -12, 0, -1, 6};
    std::vector<float> w;
    for (double u : units) w.push_back(static_cast<float>(u * s));
    const Quantized q = quantize(w.data(), 1, w.size(), isa::kDtypeFp4, w.size());
    EXPECT_EQ(q.gscale[0], 255);
    for (size_t i = 0; i < w.size(); ++i) EXPECT_EQ(isa::dtype_value(isa::kDtypeFp4, q.codes[i], 0), want[i]) << i;
    EXPECT_EQ(q.codes[5], 0);  // +0, not -0
  }
}

// Hand-built groups whose best special value is known: small weights on the FP grid plus one outlier that
// only one selector's special value represents exactly. Row 0's first group (largest value 12 at gs = 255)
// fixes cs = 1/1024, so the outlier groups' scales (gs <= 191) are exact and their error is 0 only for the
// right selector.
TEST(Quant, BitmodPicksTheSpecialValueThatFitsTheOutlier) {
  struct Case {
    int dt;
    int outlier;    // in units of the group scale
    int maxv;       // a second large value present in the group (0: none)
    uint32_t want;  // selector
  };
  const std::vector<Case> cases = {
      {isa::kDtypeBitmod4, 16, 0, 2},   {isa::kDtypeBitmod4, -16, 0, 3}, {isa::kDtypeBitmod4, 10, 12, 0},
      {isa::kDtypeBitmod4, -10, 12, 1}, {isa::kDtypeBitmod3, 12, 0, 2},  {isa::kDtypeBitmod3, -12, 0, 3},
      {isa::kDtypeBitmod3, 6, -8, 0},   {isa::kDtypeBitmod3, -6, 8, 1},
  };
  for (const auto& c : cases) {
    const bool fp3 = c.dt == isa::kDtypeBitmod3;
    const std::vector<int> small =
        fp3 ? std::vector<int>{2, -2, 4, 0, -4, 2, 0, -2} : std::vector<int>{1, -2, 3, -1, 0, 2, -3, 4};
    const size_t G = 16;
    std::vector<float> w(2 * G, 0.0f);
    const float cs = 1.0f / 1024;
    w[0] = static_cast<float>((fp3 ? 8 : 12) * 255 * cs);  // group 0: sets cs
    const int gs = 37;
    for (size_t j = 0; j < G; ++j) w[G + j] = static_cast<float>(small[j % small.size()] * gs * cs);
    w[G + 5] = static_cast<float>(c.outlier * gs * cs);
    if (c.maxv) w[G + 9] = static_cast<float>(c.maxv * gs * cs);
    const Quantized q = quantize(w.data(), 1, 2 * G, c.dt, G);
    EXPECT_EQ(q.cscale[0], cs);
    EXPECT_EQ(q.sel[1], c.want) << isa::kDtypes[static_cast<size_t>(c.dt)].name << " outlier " << c.outlier;
    EXPECT_EQ(q.gscale[1], gs);
    EXPECT_EQ(q.codes[G + 5], isa::kDtypes[static_cast<size_t>(c.dt)].special_code);
    EXPECT_EQ(q.mse, 0.0);
  }
  // The same outlier quantized by plain FP4 cannot be exact.
  std::vector<float> w(16, static_cast<float>(1.0 / 64));
  w[3] = static_cast<float>(16.0 / 64);
  EXPECT_GT(quantize(w.data(), 1, 16, isa::kDtypeFp4, 16).mse, 0.0);
  EXPECT_EQ(quantize(w.data(), 1, 16, isa::kDtypeBitmod4, 16).sel[0], 2);
}

TEST(Quant, ZeroGroupsAndRows) {
  std::vector<float> w(2 * 8, 0.0f);
  w[8 + 3] = 2040.0f / 4096;  // row 1, group 0: 8 * 255 * 2^-12
  const Quantized q = quantize(w.data(), 2, 8, isa::kDtypeFp3, 4);
  EXPECT_EQ(q.cscale[0], 0.0f);
  EXPECT_EQ(q.gscale, (std::vector<uint8_t>{0, 0, 255, 0}));
  for (size_t i = 0; i < 16; ++i)
    if (i != 11) {
      EXPECT_EQ(q.codes[i], 0) << i;
    }
  EXPECT_EQ(q.cscale[1], 1.0f / 4096);
  EXPECT_EQ(q.dequant[11], 2040.0f / 4096);
  EXPECT_EQ(q.mse, 0.0);
}

TEST(Quant, Errors) {
  std::vector<float> w(4 * 256, 0.25f);
  std::string e = error_of([&] { quantize(w.data(), 4, 256, isa::kDtypeInt4, 100, "layer0"); });
  EXPECT_TRUE(has(e, "layer0: group size 100 does not divide K = 256")) << e;
  e = error_of([&] { quantize(w.data(), 4, 256, isa::kDtypeInt4, 0, "layer0"); });
  EXPECT_TRUE(has(e, "group size 0")) << e;
  e = error_of([&] { quantize(w.data(), 0, 256, isa::kDtypeInt4, 128, "layer0"); });
  EXPECT_TRUE(has(e, "empty")) << e;
  e = error_of([&] { quantize(w.data(), 4, 256, 8, 128, "layer0"); });
  EXPECT_TRUE(has(e, "datatype index 8")) << e;
  w[1 * 256 + 3] = std::nanf("");
  e = error_of([&] { quantize(w.data(), 4, 256, isa::kDtypeBitmod4, 128, "layer0"); });
  EXPECT_TRUE(has(e, "layer0: weight at row 1, column 3 is NaN")) << e;
  w[1 * 256 + 3] = 0;
  w[2 * 256 + 255] = -INFINITY;
  e = error_of([&] { quantize(w.data(), 4, 256, isa::kDtypeInt8, 128, "layer0"); });
  EXPECT_TRUE(has(e, "row 2, column 255 is infinite")) << e;
}

// The quantizer's results satisfy its contract on random data for every datatype and a few group sizes.
TEST(Quant, InvariantsOnRandomWeights) {
  for (int dt = 0; dt < kNumDtypes; ++dt)
    for (size_t G : {8, 32, 128}) {
      const size_t N = 5, K = 256;
      const auto w = heavy_tailed(N * K, 100 + static_cast<unsigned>(dt), G == 32);
      SCOPED_TRACE(std::string(isa::kDtypes[static_cast<size_t>(dt)].name) + " G=" + std::to_string(G));
      check_invariants(quantize(w.data(), N, K, dt, G), w);
    }
}

// BitMoD (HPCA'25), the figure/table on quantization error of LLM weights: with heavy-tailed weights the
// BitMoD datatypes have lower error than INT and FP of the same width, and error falls with INT width.
TEST(Quant, HeavyTailedErrorOrdering) {
  for (bool laplace : {false, true}) {
    const size_t N = 64, K = 1024;
    const auto w = heavy_tailed(N * K, 2025, laplace);
    std::vector<double> mse(static_cast<size_t>(kNumDtypes));
    for (int dt = 0; dt < kNumDtypes; ++dt) mse[static_cast<size_t>(dt)] = quantize(w.data(), N, K, dt, 128).mse;
    auto m = [&](int dt) { return mse[static_cast<size_t>(dt)]; };
    SCOPED_TRACE(laplace ? "Laplace" : "Student-t (3)");
    EXPECT_LT(m(isa::kDtypeBitmod4), m(isa::kDtypeInt4));
    EXPECT_LT(m(isa::kDtypeBitmod4), m(isa::kDtypeFp4));
    EXPECT_LT(m(isa::kDtypeBitmod3), m(isa::kDtypeInt3));
    EXPECT_LT(m(isa::kDtypeBitmod3), m(isa::kDtypeFp3));
    EXPECT_LT(m(isa::kDtypeInt8), m(isa::kDtypeInt6));
    EXPECT_LT(m(isa::kDtypeInt6), m(isa::kDtypeInt4));
    EXPECT_LT(m(isa::kDtypeInt4), m(isa::kDtypeInt3));
    EXPECT_LT(m(isa::kDtypeBitmod4), m(isa::kDtypeBitmod3));
  }
}
