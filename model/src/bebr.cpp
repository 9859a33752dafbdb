// BEBR-style multi-bit residual codes, float and INT8 (bitgrid/bebr.h).
#include "bitgrid/bebr.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "bitgrid/error.h"
#include "bitgrid/ksh.h"

namespace bitgrid {

namespace {

// Max (1960), Table II: the minimum-distortion uniform step for a unit Gaussian with 2, 4, 8, 16 levels; our spacing
// is alpha * 2^(2-B), so alpha = step * 2^(B-2).
constexpr double kMaxStep[kBebrMaxPlanes] = {1.596, 0.9957, 0.5860, 0.3352};

void check_shape(size_t dims, size_t planes) {
  if (dims == 0 || dims % 64)
    throw Error("bebr: " + std::to_string(dims) + " projections: must be a positive multiple of 64");
  if (planes < 1 || planes > kBebrMaxPlanes)
    throw Error("bebr: " + std::to_string(planes) + " planes: must be 1.." + std::to_string(kBebrMaxPlanes));
}

size_t thresholds(size_t planes) { return (size_t{1} << planes) - 1; }

// y = R x for each row of x (already normalised), double precision: [rows][dims]
std::vector<double> project(const FloatMatrix& r, const FloatMatrix& x) {
  std::vector<double> y(x.rows * r.rows, 0);
  for (size_t i = 0; i < x.rows; ++i)
    for (size_t j = 0; j < r.rows; ++j) {
      double s = 0;
      for (size_t d = 0; d < x.cols; ++d) s += static_cast<double>(r.data[j * r.cols + d]) * x.data[i * x.cols + d];
      y[i * r.rows + j] = s;
    }
  return y;
}

}  // namespace

double bebr_threshold(double alpha, size_t planes, size_t k) {
  return alpha * (std::ldexp(static_cast<double>(k), 2 - static_cast<int>(planes)) - 2);
}

BebrFloat bebr_fit(const FloatMatrix& db, size_t dims, size_t planes, uint64_t seed) {
  check_shape(dims, planes);
  if (db.rows == 0) throw Error("bebr: no database rows to calibrate the scales on");
  BebrFloat b;
  b.dim = db.cols;
  b.dims = dims;
  b.planes = planes;
  b.r = random_gaussian(dims, db.cols, seed);
  const std::vector<double> y = project(b.r, normalize_rows(db));
  b.alpha.assign(dims, 0);
  for (size_t i = 0; i < db.rows; ++i)
    for (size_t j = 0; j < dims; ++j) b.alpha[j] += y[i * dims + j] * y[i * dims + j];
  const double c = std::ldexp(kMaxStep[planes - 1], static_cast<int>(planes) - 2);
  for (double& a : b.alpha) a = c * std::sqrt(a / static_cast<double>(db.rows));
  return b;
}

CodeSet bebr_codes(const BebrFloat& b, const FloatMatrix& x) {
  check_shape(b.dims, b.planes);
  if (x.cols != b.dim)
    throw Error("bebr: rows of dimension " + std::to_string(x.cols) + ", the encoder's is " + std::to_string(b.dim));
  const std::vector<double> y = project(b.r, normalize_rows(x));
  CodeSet c;
  c.n = x.rows;
  c.words = b.code_bits() / 64;
  c.data.assign(c.n * c.words, 0);
  for (size_t i = 0; i < x.rows; ++i)
    for (size_t k = 1; k <= thresholds(b.planes); ++k)
      for (size_t j = 0; j < b.dims; ++j)
        if (y[i * b.dims + j] >= bebr_threshold(b.alpha[j], b.planes, k)) {
          const size_t bit = (k - 1) * b.dims + j;
          c.code(i)[bit / 64] |= uint64_t{1} << (bit % 64);
        }
  return c;
}

BebrInt8 bebr_int8(const BebrFloat& b) {
  check_shape(b.dims, b.planes);
  BebrInt8 q;
  q.dim = b.dim;
  q.dims = b.dims;
  q.planes = b.planes;
  const std::vector<int8_t> r = quantize_rows_int8(b.r);
  const size_t nk = thresholds(b.planes);
  q.proj.reserve(nk * r.size());
  for (size_t k = 0; k < nk; ++k) q.proj.insert(q.proj.end(), r.begin(), r.end());
  q.bias.assign(q.code_bits(), 0);
  for (size_t j = 0; j < b.dims; ++j) {
    float amax = 0;
    for (size_t d = 0; d < b.dim; ++d) amax = std::max(amax, std::fabs(b.r.data[j * b.dim + d]));
    // x_q ≈ 127 x̂ and R_q,r ≈ (127/amax) R_r, so x_q·R_q,r ≈ 127·127/amax · y_r
    const double s = amax > 0 ? 127.0 * 127.0 / static_cast<double>(amax) : 0;
    for (size_t k = 1; k <= nk; ++k) {
      const double t = std::round(bebr_threshold(b.alpha[j], b.planes, k) * s);
      if (std::fabs(t) > std::numeric_limits<int32_t>::max())
        throw Error("bebr: threshold " + std::to_string(t) + " of projection " + std::to_string(j) +
                    " exceeds the INT32 channel bias");
      q.bias[(k - 1) * b.dims + j] = static_cast<int32_t>(-t);
    }
  }
  return q;
}

CodeSet bebr_codes_int8(const BebrInt8& b, const std::vector<int8_t>& x, size_t n) {
  return sign_codes_int8(x, n, b.dim, b.proj, b.code_bits(), b.bias);
}

std::vector<uint8_t> bebr_levels(const CodeSet& thermo, size_t dims, size_t planes) {
  check_shape(dims, planes);
  const size_t nk = thresholds(planes);
  if (thermo.words * 64 != nk * dims)
    throw Error("bebr: codes of " + std::to_string(thermo.words * 64) + " bits, expected " + std::to_string(nk * dims));
  std::vector<uint8_t> l(thermo.n * dims, 0);
  for (size_t i = 0; i < thermo.n; ++i)
    for (size_t k = 0; k < nk; ++k)
      for (size_t j = 0; j < dims; ++j) {
        const size_t bit = k * dims + j;
        l[i * dims + j] = static_cast<uint8_t>(l[i * dims + j] + ((thermo.code(i)[bit / 64] >> (bit % 64)) & 1));
      }
  return l;
}

CodeSet bebr_planes(const std::vector<uint8_t>& levels, size_t n, size_t dims, size_t planes) {
  check_shape(dims, planes);
  if (levels.size() != n * dims) throw Error("bebr: levels array of the wrong size");
  CodeSet c;
  c.n = n;
  c.words = planes * dims / 64;
  c.data.assign(n * c.words, 0);
  for (size_t i = 0; i < n; ++i)
    for (size_t p = 0; p < planes; ++p)
      for (size_t j = 0; j < dims; ++j)
        if ((levels[i * dims + j] >> (planes - 1 - p)) & 1) {
          const size_t bit = p * dims + j;
          c.code(i)[bit / 64] |= uint64_t{1} << (bit % 64);
        }
  return c;
}

}  // namespace bitgrid
