// BEBR-style multi-bit residual codes (bitgrid/bebr.h, ARCHITECTURE.md §3.10): the thermometer codes against the
// residual recurrence of DESIGN.md §5.3 written out here, the planes and levels, the Hamming distance of two codes
// as the L1 distance of their levels, the scales against Max's Gaussian steps, the INT8 twin against its dot products
// computed here, and the shape errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <random>
#include <vector>

#include "bitgrid/bebr.h"
#include "bitgrid/error.h"
#include "bitgrid/floatknn.h"
#include "bitgrid/ksh.h"

namespace bitgrid {
namespace {

bool bit(const CodeSet& c, size_t i, size_t b) { return (c.code(i)[b / 64] >> (b % 64)) & 1; }

// A hand-made encoder of 1-dimensional rows (normalised to +1, -1 or 0), so y_r = ±R[r][0] exactly: the projections
// are multiples of 1/8 from -4 to 3.875 with alpha 1, which puts many of them exactly on a threshold (ties: >=).
BebrFloat hand_encoder(size_t planes) {
  BebrFloat b;
  b.dim = 1;
  b.dims = 64;
  b.planes = planes;
  b.r = FloatMatrix{64, 1, std::vector<float>(64)};
  for (size_t r = 0; r < 64; ++r) b.r.data[r] = (static_cast<float>(r) - 32) / 8;
  b.alpha.assign(64, 1.0);
  return b;
}

TEST(Bebr, ThermometerCodesFollowTheResidualRecurrence) {
  const FloatMatrix x{3, 1, {2.5f, -0.5f, 0.0f}};  // rows normalise to +1, -1, 0
  for (size_t planes = 1; planes <= kBebrMaxPlanes; ++planes) {
    const BebrFloat e = hand_encoder(planes);
    const CodeSet c = bebr_codes(e, x);
    const size_t nk = (size_t{1} << planes) - 1;
    ASSERT_EQ(c.bits(), nk * 64);
    const std::vector<uint8_t> levels = bebr_levels(c, 64, planes);
    const CodeSet p = bebr_planes(levels, 3, 64, planes);
    for (size_t i = 0; i < 3; ++i)
      for (size_t r = 0; r < 64; ++r) {
        const double y = (i == 0 ? 1 : i == 1 ? -1 : 0) * e.r.data[r];
        // DESIGN.md §5.3: b_0 = sign(y), then residual sign steps with weight 2^-(i+1) relative to the first
        double yhat = 0;
        unsigned level = 0;
        for (size_t s = 0; s < planes; ++s) {
          const bool b = y - yhat >= 0;
          yhat += std::ldexp(1.0, -static_cast<int>(s)) * (b ? 1 : -1);
          level = level * 2 + b;
          EXPECT_EQ(bit(p, i, s * 64 + r), b) << "planes " << planes << " row " << i << " y " << y << " step " << s;
        }
        EXPECT_EQ(levels[i * 64 + r], level) << "planes " << planes << " y " << y;
        // the thermometer: one bit per threshold below or at y, so exactly `level` of them are set
        size_t ones = 0;
        for (size_t k = 0; k < nk; ++k) ones += bit(c, i, k * 64 + r);
        EXPECT_EQ(ones, level);
        for (size_t k = 1; k < nk; ++k) EXPECT_GE(bit(c, i, (k - 1) * 64 + r), bit(c, i, k * 64 + r));
        // the reconstruction is alpha 2^(2-B) (L - (2^B - 1)/2)
        EXPECT_EQ(yhat, std::ldexp(level - nk / 2.0, 2 - static_cast<int>(planes))) << "y " << y;
      }
  }
}

TEST(Bebr, HammingDistanceIsTheL1DistanceOfTheLevels) {
  const FloatMatrix db = random_gaussian(50, 12, 3);
  for (size_t planes : {1, 2, 3}) {
    const BebrFloat e = bebr_fit(db, 128, planes, 4);
    const CodeSet c = bebr_codes(e, db);
    const std::vector<uint8_t> l = bebr_levels(c, 128, planes);
    for (size_t a = 0; a < 10; ++a)
      for (size_t b = 0; b < 50; b += 7) {
        uint64_t ham = 0;
        for (size_t w = 0; w < c.words; ++w)
          ham += static_cast<uint64_t>(__builtin_popcountll(c.code(a)[w] ^ c.code(b)[w]));
        int l1 = 0;
        for (size_t r = 0; r < 128; ++r) l1 += std::abs(int{l[a * 128 + r]} - int{l[b * 128 + r]});
        EXPECT_EQ(ham, static_cast<uint64_t>(l1));
      }
  }
}

// alpha_r = c_B rms_r with c_B = Max's step * 2^(B-2): 1.596/2, 0.9957, 2 * 0.5860, 4 * 0.3352 (Max 1960, Table II).
TEST(Bebr, ScalesAreMaxsGaussianSteps) {
  const FloatMatrix db = random_gaussian(300, 20, 8);
  const FloatMatrix xn = normalize_rows(db);
  const double c[] = {0.798, 0.9957, 1.172, 1.3408};
  for (size_t planes = 1; planes <= 4; ++planes) {
    const BebrFloat e = bebr_fit(db, 64, planes, 6);
    ASSERT_EQ(e.alpha.size(), 64u);
    for (size_t r = 0; r < 64; r += 9) {
      double s2 = 0;
      for (size_t i = 0; i < db.rows; ++i) {
        double y = 0;
        for (size_t d = 0; d < 20; ++d) y += double{e.r.data[r * 20 + d]} * xn.data[i * 20 + d];
        s2 += y * y;
      }
      EXPECT_NEAR(e.alpha[r], c[planes - 1] * std::sqrt(s2 / 300), 1e-9);
    }
  }
}

TEST(Bebr, Int8TwinIsItsDotProductsAgainstRoundedThresholds) {
  const FloatMatrix db = random_gaussian(120, 24, 11);
  const BebrFloat e = bebr_fit(db, 64, 2, 12);
  const BebrInt8 q = bebr_int8(e);
  ASSERT_EQ(q.code_bits(), 192u);
  const std::vector<int8_t> r8 = quantize_rows_int8(e.r);
  const std::vector<int8_t> x8 = normalize_rows_int8(db);
  const CodeSet c = bebr_codes_int8(q, x8, db.rows);
  for (size_t k = 1; k <= 3; ++k)
    for (size_t r = 0; r < 64; ++r) {
      float amax = 0;
      for (size_t d = 0; d < 24; ++d) amax = std::max(amax, std::fabs(e.r.data[r * 24 + d]));
      const double t = e.alpha[r] * (k * 1.0 - 2);  // B = 2: thresholds -alpha, 0, alpha
      const auto thr = static_cast<int64_t>(std::llround(t * 127 * 127 / amax));
      const size_t ch = (k - 1) * 64 + r;
      EXPECT_EQ(q.bias[ch], -thr);
      for (size_t d = 0; d < 24; ++d) ASSERT_EQ(q.proj[ch * 24 + d], r8[r * 24 + d]);
      for (size_t i = 0; i < db.rows; ++i) {
        int64_t dot = 0;
        for (size_t d = 0; d < 24; ++d) dot += int64_t{x8[i * 24 + d]} * r8[r * 24 + d];
        EXPECT_EQ(bit(c, i, ch), dot >= thr) << "row " << i << " channel " << ch;
      }
    }
  // against the float encoder: few bits and levels move
  const CodeSet f = bebr_codes(e, db);
  uint64_t flips = 0;
  for (size_t w = 0; w < f.data.size(); ++w)
    flips += static_cast<uint64_t>(__builtin_popcountll(f.data[w] ^ c.data[w]));
  EXPECT_GT(flips, 0u);
  EXPECT_LT(static_cast<double>(flips) / (120.0 * 192), 0.02) << flips;
  // one plane is SimHash of the normalised rows: threshold 0, no bias
  const BebrInt8 one = bebr_int8(bebr_fit(db, 64, 1, 12));
  for (int32_t b : one.bias) EXPECT_EQ(b, 0);
  EXPECT_EQ(bebr_codes_int8(one, x8, db.rows).data, sign_codes_int8(x8, db.rows, 24, r8, 64).data);
}

TEST(Bebr, ShapeErrors) {
  const FloatMatrix db = random_gaussian(10, 8, 1);
  EXPECT_THROW(bebr_fit(db, 0, 2, 1), Error);
  EXPECT_THROW(bebr_fit(db, 96, 2, 1), Error);
  EXPECT_THROW(bebr_fit(db, 64, 0, 1), Error);
  EXPECT_THROW(bebr_fit(db, 64, 5, 1), Error);
  const BebrFloat e = bebr_fit(db, 64, 2, 1);
  EXPECT_THROW(bebr_codes(e, random_gaussian(3, 9, 1)), Error);
  EXPECT_THROW(bebr_levels(bebr_codes(e, db), 64, 3), Error);  // 192-bit codes are not 3 planes of 64
}

}  // namespace
}  // namespace bitgrid
