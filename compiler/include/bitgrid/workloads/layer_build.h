#pragma once
// The float models and the INT8 operands of the attention heads and the memory layer, from float inputs and
// weights: shared by their standalone workloads (`attention`, `memoryformer`) and by the `model` graph's layers
// (`ecoformer_attention`, `attention`, `memoryformer_linear`), where the input is an earlier layer's INT8 output at
// that layer's scale instead of the workload's own quantization of x.
#include <cstdint>
#include <string>
#include <vector>

#include "bitgrid/workloads/attention.h"
#include "bitgrid/workloads/float_model.h"
#include "bitgrid/workloads/memoryformer.h"

namespace bitgrid {

// Float weights of one head: Wq, Wk, Wv [head_dim][dim], Wo [dim][head_dim], the SimHash projection H [bits][head_dim].
struct HeadWeights {
  RowMat wq, wk, wv, wo, h;
};
// Seeded Gaussian weights scaled by 1/sqrt(fan-in) (the projections) and a unit Gaussian H.
HeadWeights seeded_head(size_t dim, size_t head_dim, size_t bits, uint64_t seed);

// What a head is built from: the float input x [n][dim] (the float model's), its INT8 twin x8 at scale sx (x ≈ sx·x8).
struct HeadBuild {
  AttentionQ eco;                            // the hashed head's operands (form, gain, channels)
  SoftmaxQ softmax;                          // the baseline's (only with `softmax`)
  RowMat y_eco, y_softmax;                   // the float hashed and softmax attention outputs [n][dim]
  std::vector<uint64_t> fq_codes, fk_codes;  // the float hash codes of queries and keys
  double sy = 1;                             // the output's INT8 scale (of the head that runs)
  double exp_offset = 0;                     // softmax: the exp table's fixed offset
};
// `form`: 0 EcoFormer's c·v_n, 1 the exact kernel; `softmax`: build the baseline too (its output scale is sy).
HeadBuild build_head(const RowMat& x, const std::vector<int8_t>& x8, double sx, const HeadWeights& w, uint64_t bits,
                     uint64_t form, bool softmax);

// MemoryFormer's layer: the float tables from W [out][dim] (each sign pattern's centroid, m_j the mean |x_j|), the
// float memory and linear layers, and the INT8 operands of the form that runs.
struct MemoryBuild {
  MemoryQ q;
  RowMat y_lin, y_mem;                // float outputs [n][out]
  std::vector<uint64_t> float_index;  // [n][K] the float signs' table indices
  double sy = 1;                      // the output's INT8 scale
};
// x8 at scale sx. With `float_signs` (the workload places x itself), for the memory form a negative float value
// whose INT8 value is 0 becomes -1, so the indices are the float model's; without (x8 is an earlier layer's output
// already in DRAM), the layer reads x8 as it is.
MemoryBuild build_memory(const RowMat& x, std::vector<int8_t> x8, double sx, const RowMat& w, const Eigen::VectorXd& b,
                         uint64_t tau, bool linear, bool float_signs = true);

// x to INT8 per tensor: round(x / sx) clamped to ±127, sx = max|x| / 127 (1 for all zeros).
std::vector<int8_t> quantize_tensor(const RowMat& x, double& sx);

}  // namespace bitgrid
