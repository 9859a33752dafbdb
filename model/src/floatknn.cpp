#include "bitgrid/floatknn.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <random>
#include <unordered_set>

#include "bitgrid/error.h"

namespace bitgrid {

namespace {
using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

Eigen::Map<const RowMat> view(const FloatMatrix& m) {
  return Eigen::Map<const RowMat>(m.data.data(), static_cast<Eigen::Index>(m.rows), static_cast<Eigen::Index>(m.cols));
}
}  // namespace

FloatMatrix random_gaussian(size_t rows, size_t cols, uint64_t seed) {
  FloatMatrix m{rows, cols, std::vector<float>(rows * cols)};
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (auto& v : m.data) v = nd(rng);
  return m;
}

CodeSet random_codes(size_t n, size_t bits, uint64_t seed) {
  if (bits == 0 || bits % 64) throw Error("code bits " + std::to_string(bits) + " must be a positive multiple of 64");
  CodeSet c;
  c.n = n;
  c.words = bits / 64;
  c.data.resize(n * c.words);
  std::mt19937_64 rng(seed);
  for (auto& w : c.data) w = rng();
  return c;
}

CodeSet simhash(const FloatMatrix& x, size_t bits, uint64_t seed) {
  if (bits == 0 || bits % 64)
    throw Error("simhash bits " + std::to_string(bits) + " must be a positive multiple of 64");
  const FloatMatrix r = random_gaussian(bits, x.cols, seed);
  const RowMat y = view(x) * view(r).transpose();  // rows x bits
  CodeSet c;
  c.n = x.rows;
  c.words = bits / 64;
  c.data.assign(c.n * c.words, 0);
  for (size_t i = 0; i < c.n; ++i)
    for (size_t b = 0; b < bits; ++b)
      if (y(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(b)) >= 0.0f)
        c.code(i)[b / 64] |= uint64_t{1} << (b % 64);
  return c;
}

std::vector<int8_t> quantize_rows_int8(const FloatMatrix& x) {
  std::vector<int8_t> q(x.rows * x.cols, 0);
  for (size_t i = 0; i < x.rows; ++i) {
    float amax = 0;
    for (size_t d = 0; d < x.cols; ++d) amax = std::max(amax, std::fabs(x.data[i * x.cols + d]));
    if (amax == 0) continue;
    for (size_t d = 0; d < x.cols; ++d) {
      const double v = std::round(static_cast<double>(x.data[i * x.cols + d]) * 127.0 / amax);
      q[i * x.cols + d] = static_cast<int8_t>(std::clamp(v, -127.0, 127.0));
    }
  }
  return q;
}

CodeSet sign_codes_int8(const std::vector<int8_t>& x, size_t n, size_t dim, const std::vector<int8_t>& proj,
                        size_t bits, const std::vector<int32_t>& bias) {
  if (bits == 0 || bits % 64) throw Error("sign codes: bits " + std::to_string(bits) + " must be a multiple of 64");
  if (x.size() != n * dim || proj.size() != bits * dim || (!bias.empty() && bias.size() != bits))
    throw Error("sign codes: array sizes differ from the shape");
  CodeSet c;
  c.n = n;
  c.words = bits / 64;
  c.data.assign(n * c.words, 0);
  // |y| <= dim * 127^2 < 2^31 for dim <= 65536: exact in int32 (the bias is added in int64)
  using IMat = Eigen::Matrix<int32_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const auto di = static_cast<Eigen::Index>(dim);
  const IMat P = Eigen::Map<const Eigen::Matrix<int8_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
                     proj.data(), static_cast<Eigen::Index>(bits), di)
                     .cast<int32_t>();
  const size_t block = 4096;
  for (size_t s = 0; s < n; s += block) {
    const size_t nb = std::min(block, n - s);
    const IMat X = Eigen::Map<const Eigen::Matrix<int8_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
                       x.data() + s * dim, static_cast<Eigen::Index>(nb), di)
                       .cast<int32_t>();
    const IMat Y = X * P.transpose();
    for (size_t i = 0; i < nb; ++i)
      for (size_t b = 0; b < bits; ++b)
        if (int64_t{Y(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(b))} + (bias.empty() ? 0 : bias[b]) >= 0)
          c.code(s + i)[b / 64] |= uint64_t{1} << (b % 64);
  }
  return c;
}

FloatMatrix normalize_rows(const FloatMatrix& x) {
  FloatMatrix y = x;
  for (size_t i = 0; i < x.rows; ++i) {
    double n2 = 0;
    for (size_t d = 0; d < x.cols; ++d) n2 += static_cast<double>(x.data[i * x.cols + d]) * x.data[i * x.cols + d];
    const double s = n2 > 0 ? 1 / std::sqrt(n2) : 0;
    for (size_t d = 0; d < x.cols; ++d) y.data[i * x.cols + d] = static_cast<float>(x.data[i * x.cols + d] * s);
  }
  return y;
}

std::vector<int64_t> exact_knn_l2(const FloatMatrix& db, const FloatMatrix& queries, size_t k) {
  if (db.cols != queries.cols) throw Error("database and queries differ in dimension");
  std::vector<int64_t> out(queries.rows * k, -1);
  const auto D = view(db);
  const Eigen::VectorXf dn = D.rowwise().squaredNorm();
  const size_t block = 4096;
  std::vector<std::vector<std::pair<float, int64_t>>> best(queries.rows);
  const auto Q = view(queries);
  for (size_t s = 0; s < db.rows; s += block) {
    const auto nb = static_cast<Eigen::Index>(std::min(block, db.rows - s));
    const RowMat dots = Q * D.middleRows(static_cast<Eigen::Index>(s), nb).transpose();
    for (size_t q = 0; q < queries.rows; ++q) {
      auto& b = best[q];
      for (Eigen::Index j = 0; j < nb; ++j) {
        const float d = dn(static_cast<Eigen::Index>(s) + j) - 2.0f * dots(static_cast<Eigen::Index>(q), j);
        b.push_back({d, static_cast<int64_t>(s) + j});
      }
      if (b.size() > 4 * k + block) {
        std::nth_element(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(k), b.end());
        b.resize(k);
      }
    }
  }
  for (size_t q = 0; q < queries.rows; ++q) {
    auto& b = best[q];
    const size_t kk = std::min(k, b.size());
    std::partial_sort(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(kk), b.end());
    for (size_t i = 0; i < kk; ++i) out[q * k + i] = b[i].second;
  }
  return out;
}

double recall_at_k(const std::vector<int64_t>& approx, const std::vector<int64_t>& exact, size_t nq, size_t k) {
  if (nq == 0 || k == 0) return 0.0;
  double sum = 0;
  for (size_t q = 0; q < nq; ++q) {
    std::unordered_set<int64_t> e(exact.begin() + static_cast<std::ptrdiff_t>(q * k),
                                  exact.begin() + static_cast<std::ptrdiff_t>((q + 1) * k));
    size_t hit = 0;
    for (size_t i = 0; i < k; ++i)
      if (approx[q * k + i] >= 0 && e.count(approx[q * k + i])) ++hit;
    sum += static_cast<double>(hit) / static_cast<double>(k);
  }
  return sum / static_cast<double>(nq);
}

}  // namespace bitgrid
