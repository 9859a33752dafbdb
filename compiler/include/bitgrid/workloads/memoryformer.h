#pragma once
// MemoryFormer's hashed linear layer on the accelerator (docs/ARCHITECTURE.md §3.9): y = requant(sum_k T_k[index_k])
// with index_k the signs of the k-th chunk of tau input values (the table accumulator, `tacc`), and its baseline, the
// same-size linear layer on the MAC array (`gemm`). The integer operands, the lowering, and the independent integer
// computation the accelerator's output is compared with.
#include <cstdint>
#include <vector>

#include "bitgrid/engines/bitmac.h"
#include "bitgrid/hwconfig.h"
#include "bitgrid/workloads/attention.h"

namespace bitgrid {

struct MemoryQ {
  uint64_t n = 0, d_in = 0, d_out = 0, tau = 8;  // tokens, input and output width, signs per chunk
  bool linear = false;                           // the baseline: w on the MAC array instead of the tables
  std::vector<int8_t> x;                         // [n][d_in]
  std::vector<int8_t> tables;                    // [d_in/tau][2^tau][d_out] (memory form)
  std::vector<int8_t> w;                         // [d_out][d_in] (linear form)
  std::vector<bitmac::Channel> ch;               // the outputs' requantizers (d_out)
};
// The output [n][d_out] (INT8) computed directly from the operands.
std::vector<int8_t> memory_reference(const MemoryQ& q);
// Throws Error naming the limit (a width that is not a multiple of tau, tables beyond wbuf, ...). The layout's x and y
// are the dense input and output rows in DRAM (decode_row_chunks reads y).
RowChunkCompiled compile_memory_layer(const MemoryQ& q, const HwConfig& hw, const RowChunkIO& io = {});

}  // namespace bitgrid
