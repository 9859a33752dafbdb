#pragma once
// BEBR-style multi-bit residual codes (DESIGN.md §5.3; ARCHITECTURE.md §3.10) with a seeded random projection.
// Rows L2-normalised, y = R x̂ (R a seeded Gaussian `dims` x dim). Each projection y_r is binarized B times
// (B = `planes`), recurrently: b_0 = [y ≥ 0], then b_i = [y − ŷ_{i−1} ≥ 0] with ŷ_i = ŷ_{i−1} + α_r·2^−i·(2b_i − 1),
// ŷ_{−1} = 0: the residual sign steps of weight 2^−(i+1) relative to the first. That recurrence is a successive
// approximation, so the planes are the binary digits (b_0 the most significant) of the level
// L = #{k : y ≥ t_k} ∈ [0, 2^B), with the 2^B − 1 thresholds t_k = α_r·(k·2^(2−B) − 2), k = 1 … 2^B − 1, and the
// reconstruction ŷ = α_r·2^(2−B)·(L − (2^B − 1)/2).
//
// The code the Hamming engine compares is L's thermometer form: bit (k − 1)·dims + r = [y_r ≥ t_k] (plane-major,
// 2^B − 1 sign codes of `dims` bits one after another). Its Hamming distance is Σ_r |L_q,r − L_d,r|, the L1
// distance of the two reconstructions in units of the level spacing, so retrieval with the multi-bit codes runs on
// hamtopk unchanged; B = 1 is SimHash of the normalised rows. α_r = c_B·rms_r, rms_r the root mean square of y_r over
// the database and c_B the step of the minimum-distortion uniform quantizer of a unit Gaussian with 2^B levels
// (J. Max, "Quantizing for minimum distortion", IRE Trans. Inf. Theory 6(1), 1960, Table II: steps 1.596, 0.9957,
// 0.5860, 0.3352 for 2, 4, 8, 16 levels; here the spacing is α·2^(2−B)). BEBR learns its projections; this is
// the recurrent binarization at a random one.
#include <cstdint>
#include <vector>

#include "bitgrid/floatknn.h"

namespace bitgrid {

struct BebrFloat {
  size_t dim = 0, dims = 0, planes = 1;
  FloatMatrix r;              // [dims][dim]
  std::vector<double> alpha;  // [dims]
  size_t code_bits() const { return ((size_t{1} << planes) - 1) * dims; }
};
// Largest number of planes (15 thresholds per projection).
constexpr size_t kBebrMaxPlanes = 4;
// R from `seed`, α from the database. Throws bitgrid::Error on dims % 64, planes outside 1..kBebrMaxPlanes.
BebrFloat bebr_fit(const FloatMatrix& db, size_t dims, size_t planes, uint64_t seed);
// Threshold t_k (k = 1 … 2^B − 1) for a projection with scale alpha.
double bebr_threshold(double alpha, size_t planes, size_t k);
// The thermometer codes of the float encoder (double precision).
CodeSet bebr_codes(const BebrFloat& b, const FloatMatrix& x);

// The INT8 twin the accelerator runs (a projection gemm with channel bias, then the binary encoder): rows as
// round(127 x̂) (normalize_rows_int8), R row by row by its own max-abs scale s_r = 127/max|R_r|
// (quantize_rows_int8), stacked 2^B − 1 times; channel (k − 1)·dims + r gets bias −round(t_k·127·s_r), so its
// bit is [x_q·R_q,r ≥ round(127·s_r·t_k)] exactly (sign_codes_int8 with the bias).
struct BebrInt8 {
  size_t dim = 0, dims = 0, planes = 1;
  std::vector<int8_t> proj;   // [code_bits][dim]
  std::vector<int32_t> bias;  // [code_bits]
  size_t code_bits() const { return ((size_t{1} << planes) - 1) * dims; }
};
BebrInt8 bebr_int8(const BebrFloat& b);
CodeSet bebr_codes_int8(const BebrInt8& b, const std::vector<int8_t>& x, size_t n);

// The levels L [n][dims] of thermometer codes, and the BEBR planes from them: plane i of code c, bit r =
// bit (B − 1 − i) of L[c][r] (CodeSet of B·dims bits, plane-major).
std::vector<uint8_t> bebr_levels(const CodeSet& thermo, size_t dims, size_t planes);
CodeSet bebr_planes(const std::vector<uint8_t>& levels, size_t n, size_t dims, size_t planes);

}  // namespace bitgrid
