#pragma once
// Kernelized hashing (EcoFormer's KSH, DESIGN.md §5.3; ARCHITECTURE.md §3.6) with a seeded random projection:
// rows L2-normalised; m anchors (the first m normalised database rows); φ_j(x) = exp(−‖x − a_j‖²/2σ) − μ_j, σ the
// mean of ‖x − a_j‖² and μ_j the mean of the exp over the database; h(x) = sign(A φ(x)) (bit = 1 iff ≥ 0), A a
// seeded Gaussian bits x m. The float encoder, and its INT8 twin that the accelerator runs: gemm 1 (INT8 x and
// anchors, requantized to u ≈ 127 x·a), a 256-entry table (the exp), gemm 2 (INT8 A, bias −A μ).
#include <cstdint>
#include <vector>

#include "bitgrid/floatknn.h"

namespace bitgrid {

struct KshFloat {
  size_t dim = 0, m = 0, bits = 0;
  FloatMatrix anchors;     // [m][dim], unit rows
  double sigma = 1;        // mean squared distance to the anchors
  std::vector<double> mu;  // [m]
  FloatMatrix a;           // [bits][m]
};
// Anchors, σ and μ from the database; A from `seed`. Throws bitgrid::Error on m = 0, m > rows, bits % 64.
KshFloat ksh_fit(const FloatMatrix& db, size_t m, size_t bits, uint64_t seed);
CodeSet ksh_codes(const KshFloat& k, const FloatMatrix& x);

struct KshInt8 {
  size_t dim = 0, m = 0, bits = 0;
  std::vector<int8_t> anchors;  // [m][dim] = round(127 a)
  uint16_t mult = 1;            // gemm 1's requantization of x_q·a_q (≈ 127² x·a) to u ≈ 127 x·a:
  uint8_t shift = 0;            // (acc*mult + 2^(shift-1)) >> shift, saturated to INT8
  int8_t table[256] = {};       // entry e (u = e − 256·(e ≥ 128)): round(127 exp((u/127 − 1)/σ))
  std::vector<int8_t> a;        // [bits][m], each row by its own max-abs scale
  std::vector<int32_t> bias;    // [bits] = −round(Σ_j a[b][j] · 127 μ_j)
};
KshInt8 ksh_int8(const KshFloat& k);
// Rows normalised and quantized: round(127 x/‖x‖) (an all-zero row stays zero).
std::vector<int8_t> normalize_rows_int8(const FloatMatrix& x);
// The codes the accelerator makes (exact: gemm 1 and its requantization, the table, gemm 2 + bias, the sign).
CodeSet ksh_codes_int8(const KshInt8& k, const std::vector<int8_t>& x, size_t n);

}  // namespace bitgrid
