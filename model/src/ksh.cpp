// Kernelized hashing, float and INT8 (bitgrid/ksh.h).
#include "bitgrid/ksh.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "bitgrid/engines/bitmac.h"
#include "bitgrid/error.h"

namespace bitgrid {

namespace {

double sq_dist(const float* a, const float* b, size_t dim) {
  double s = 0;
  for (size_t d = 0; d < dim; ++d) s += (static_cast<double>(a[d]) - b[d]) * (static_cast<double>(a[d]) - b[d]);
  return s;
}

}  // namespace

KshFloat ksh_fit(const FloatMatrix& db, size_t m, size_t bits, uint64_t seed) {
  if (m == 0 || m > db.rows)
    throw Error("ksh: " + std::to_string(m) + " anchors from " + std::to_string(db.rows) + " database rows");
  if (bits == 0 || bits % 64) throw Error("ksh: bits " + std::to_string(bits) + " must be a multiple of 64");
  KshFloat k;
  k.dim = db.cols;
  k.m = m;
  k.bits = bits;
  const FloatMatrix x = normalize_rows(db);
  k.anchors =
      FloatMatrix{m, db.cols, std::vector<float>(x.data.begin(), x.data.begin() + static_cast<long>(m * db.cols))};
  double sum = 0;
  for (size_t i = 0; i < x.rows; ++i)
    for (size_t j = 0; j < m; ++j) sum += sq_dist(&x.data[i * x.cols], &k.anchors.data[j * x.cols], x.cols);
  k.sigma = std::max(sum / static_cast<double>(x.rows * m), 1e-12);
  k.mu.assign(m, 0);
  for (size_t i = 0; i < x.rows; ++i)
    for (size_t j = 0; j < m; ++j)
      k.mu[j] += std::exp(-sq_dist(&x.data[i * x.cols], &k.anchors.data[j * x.cols], x.cols) / (2 * k.sigma));
  for (double& v : k.mu) v /= static_cast<double>(x.rows);
  k.a = random_gaussian(bits, m, seed);
  return k;
}

CodeSet ksh_codes(const KshFloat& k, const FloatMatrix& xin) {
  const FloatMatrix x = normalize_rows(xin);
  CodeSet c;
  c.n = x.rows;
  c.words = k.bits / 64;
  c.data.assign(c.n * c.words, 0);
  std::vector<double> phi(k.m);
  for (size_t i = 0; i < x.rows; ++i) {
    for (size_t j = 0; j < k.m; ++j)
      phi[j] = std::exp(-sq_dist(&x.data[i * x.cols], &k.anchors.data[j * x.cols], x.cols) / (2 * k.sigma)) - k.mu[j];
    for (size_t b = 0; b < k.bits; ++b) {
      double y = 0;
      for (size_t j = 0; j < k.m; ++j) y += k.a.data[b * k.m + j] * phi[j];
      if (y >= 0) c.code(i)[b / 64] |= uint64_t{1} << (b % 64);
    }
  }
  return c;
}

std::vector<int8_t> normalize_rows_int8(const FloatMatrix& x) {
  const FloatMatrix y = normalize_rows(x);
  std::vector<int8_t> q(y.data.size());
  for (size_t i = 0; i < q.size(); ++i)
    q[i] = static_cast<int8_t>(std::clamp(std::round(static_cast<double>(y.data[i]) * 127.0), -127.0, 127.0));
  return q;
}

KshInt8 ksh_int8(const KshFloat& k) {
  KshInt8 q;
  q.dim = k.dim;
  q.m = k.m;
  q.bits = k.bits;
  q.anchors = normalize_rows_int8(k.anchors);
  // u = acc / 127: the largest shift whose rounded multiplier fits 16 bits
  q.shift = 0;
  for (int s = 63; s >= 0; --s)
    if (std::round(std::ldexp(1.0 / 127, s)) < 65536) {
      q.shift = static_cast<uint8_t>(s);
      break;
    }
  q.mult = static_cast<uint16_t>(std::round(std::ldexp(1.0 / 127, q.shift)));
  for (int e = 0; e < 256; ++e) {
    const double u = e < 128 ? e : e - 256;
    q.table[e] = static_cast<int8_t>(std::min(127.0, std::round(127 * std::exp((u / 127 - 1) / k.sigma))));
  }
  q.a = quantize_rows_int8(k.a);
  q.bias.assign(k.bits, 0);
  for (size_t b = 0; b < k.bits; ++b) {
    double s = 0;
    for (size_t j = 0; j < k.m; ++j) s += q.a[b * k.m + j] * 127 * k.mu[j];
    q.bias[b] = static_cast<int32_t>(-std::round(s));
  }
  return q;
}

CodeSet ksh_codes_int8(const KshInt8& k, const std::vector<int8_t>& x, size_t n) {
  if (x.size() != n * k.dim) throw Error("ksh codes: array size differs from the shape");
  CodeSet c;
  c.n = n;
  c.words = k.bits / 64;
  c.data.assign(n * c.words, 0);
  const bitmac::Channel ch1{0, k.mult, k.shift};
  std::vector<int32_t> phi(k.m);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < k.m; ++j) {
      int64_t acc = 0;
      for (size_t d = 0; d < k.dim; ++d) acc += int64_t{x[i * k.dim + d]} * k.anchors[j * k.dim + d];
      const auto u = static_cast<int8_t>(bitmac::requant(acc, ch1, false, false));
      phi[j] = k.table[static_cast<uint8_t>(u)];
    }
    for (size_t b = 0; b < k.bits; ++b) {
      int64_t y = k.bias[b];
      for (size_t j = 0; j < k.m; ++j) y += int64_t{k.a[b * k.m + j]} * phi[j];
      if (y >= 0) c.code(i)[b / 64] |= uint64_t{1} << (b % 64);
    }
  }
  return c;
}

}  // namespace bitgrid
