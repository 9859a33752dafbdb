#pragma once
// Float side of the Hamming workload: seeded SimHash binarization (DESIGN.md §5.3: bit = 1 iff y >= 0,
// codes packed LSB-first, faiss layout) and exact float k-NN (Eigen) for recall figures.
#include <cstdint>
#include <vector>

#include "bitgrid/hamming.h"
#include "bitgrid/topk.h"

namespace bitgrid {

struct FloatMatrix {
  size_t rows = 0, cols = 0;
  std::vector<float> data;  // row-major
};

// Gaussian random vectors, reproducible from the seed.
FloatMatrix random_gaussian(size_t rows, size_t cols, uint64_t seed);
// Uniformly random codes, reproducible from the seed.
CodeSet random_codes(size_t n, size_t bits, uint64_t seed);

// h(x) = sign(R x) with R a bits x dim Gaussian matrix drawn from `seed`.
CodeSet simhash(const FloatMatrix& x, size_t bits, uint64_t seed);

// The hardware path of SimHash (binary encoder on chip, ARCHITECTURE.md §3.5): rows quantized to INT8, each
// by its own max-abs scale (round half away from zero, clamped to ±127; an all-zero row stays zero), since a
// positive scale per row changes no sign of R x; `proj` = simhash's R quantized the same way, row by row.
std::vector<int8_t> quantize_rows_int8(const FloatMatrix& x);
// Codes of INT8 rows x [n][dim] under an INT8 projection [bits][dim]: bit b = 1 iff the exact integer dot
// product of projection row b and x, plus bias[b] (none when `bias` is empty), is >= 0 (what the MAC array computes
// with unit scales and channel bias, and the encoder packs).
CodeSet sign_codes_int8(const std::vector<int8_t>& x, size_t n, size_t dim, const std::vector<int8_t>& proj,
                        size_t bits, const std::vector<int32_t>& bias = {});
// Rows scaled to unit L2 norm (an all-zero row stays zero).
FloatMatrix normalize_rows(const FloatMatrix& x);

// Exact k nearest database rows of each query by squared L2 distance (ties: lower index). [Q*k] indices.
std::vector<int64_t> exact_knn_l2(const FloatMatrix& db, const FloatMatrix& queries, size_t k);

// recall@k: mean over queries of |approx ∩ exact| / k.
double recall_at_k(const std::vector<int64_t>& approx, const std::vector<int64_t>& exact, size_t nq, size_t k);

}  // namespace bitgrid
