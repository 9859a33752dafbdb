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

// Exact k nearest database rows of each query by squared L2 distance (ties: lower index). [Q*k] indices.
std::vector<int64_t> exact_knn_l2(const FloatMatrix& db, const FloatMatrix& queries, size_t k);

// recall@k: mean over queries of |approx ∩ exact| / k.
double recall_at_k(const std::vector<int64_t>& approx, const std::vector<int64_t>& exact, size_t nq, size_t k);

}  // namespace bitgrid
