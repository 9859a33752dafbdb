#pragma once
// EcoFormer's hashed linear attention on the accelerator (docs/ARCHITECTURE.md §3.7): one head over n tokens. The
// MAC array projects the tokens' INT8 rows x to values V and to the pre-activations of the keys' and queries' hash
// codes (the hash projection folded into the key/query projections), the binary encoder packs the codes, the
// sign-select accumulator folds keys and values into its state (sacc) and answers the queries (sqry), and the MAC
// array applies the output projection. The integer operands, the lowering, and the independent integer computation
// the accelerator's output is compared with.
#include <cstdint>
#include <functional>
#include <vector>

#include "bitgrid/engines/bitmac.h"
#include "bitgrid/hwconfig.h"
#include "bitgrid/workload.h"
#include "bitgrid/workloads/chip_gemm.h"

namespace bitgrid {

struct AttentionQ {
  uint64_t n = 0, dim = 0, d = 0, bits = 0;  // tokens, model width, head width, code bits (1..64)
  uint64_t form = 0;                         // sqry's form: 0 EcoFormer's c*v_n, 1 the exact kernel c*sum v
  uint64_t gain = 0;                         // sqry's gain_log2: attention rows in V's scale / 2^gain
  std::vector<int8_t> x;                     // [n][dim]
  std::vector<int8_t> wv, wkh, wqh, wo;      // [d][dim], [bits][dim] (H Wk), [bits][dim] (H Wq), [dim][d]
  std::vector<bitmac::Channel> cv, co;       // requantizers of V (d) and of the output (dim)
};

// The integer results computed directly from the operands (no tiling; the attention from the pairwise kernel
// h_n^T h_j + c, not through the engine's state): V [n][d], the codes, the attention output [n][d] (INT8, V's
// scale / 2^gain) and the output [n][dim] (INT8).
struct AttentionRef {
  std::vector<int8_t> v, att, y;
  std::vector<uint64_t> key_codes, query_codes;
};
// `progress(done)` is called after each block of queries (done of a.n).
AttentionRef attention_reference(const AttentionQ& a, const std::function<void(uint64_t)>& progress = {});

// Throws Error naming the limit (code bits beyond sacc_bits, a sequence that would overflow the 32-bit
// numerator, a head too wide for the state in pbuf, operands that do not fit the buffers).
RowChunkCompiled compile_attention(const AttentionQ& a, const HwConfig& hw, const RowChunkIO& io = {});

// The baseline: softmax attention on the MAC array (docs/ARCHITECTURE.md §3.8). Q, K and V are projected on chip,
// the weight packer turns K and V into weight tiles (wpack), logits = requant(Q K^T) (INT8), P = the exp table of
// the logits through the table unit (a fixed offset instead of the row maximum), numerators P V and the row sums
// P 1 (an int3 tile of ones) as INT32, and sdiv divides them: att = round(2^gain num / sum); then Wo.
struct SoftmaxQ {
  uint64_t n = 0, dim = 0, d = 0;               // tokens, model width, head width
  uint64_t gain = 0;                            // sdiv's gain_log2: attention rows in V's scale / 2^gain
  std::vector<int8_t> x;                        // [n][dim]
  std::vector<int8_t> wq, wk, wv, wo;           // [d][dim] x 3, [dim][d]
  std::vector<bitmac::Channel> cq, ck, cv, co;  // requantizers of Q, K, V (d) and of the output (dim)
  bitmac::Channel cl;                           // the logits' requantizer (Q K^T -> INT8)
  std::vector<int8_t> exp_table;                // 256 entries: entry e is P of the INT8 logit e - 256 (e >= 128)
};
struct SoftmaxRef {
  std::vector<int8_t> att, y;  // [n][d], [n][dim]
};
SoftmaxRef softmax_reference(const SoftmaxQ& s, const std::function<void(uint64_t)>& progress = {});
// Throws Error naming the limit (K and V of the whole sequence beyond wbuf, a query's logits beyond obuf, ...).
RowChunkCompiled compile_softmax_attention(const SoftmaxQ& s, const HwConfig& hw, const RowChunkIO& io = {});

}  // namespace bitgrid
