#pragma once
// The hamming_topk workload: k nearest database codes of each query by Hamming distance, on the
// hamtopk engine (configs/isa/engines/hamtopk.yaml). Its lowering is also used directly by the tests
// and the co-verification runner.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bitgrid/bebr.h"
#include "bitgrid/floatknn.h"
#include "bitgrid/hamming.h"
#include "bitgrid/hwconfig.h"
#include "bitgrid/insn.h"
#include "bitgrid/ksh.h"
#include "bitgrid/topk.h"
#include "bitgrid/workload.h"

namespace bitgrid {

// Float vectors binarized on the accelerator (`workload.encode: chip`, ARCHITECTURE.md §3.5): the host quantizes
// them and the projection to INT8 (bitgrid::quantize_rows_int8); the MAC array projects, the binary encoder
// packs the signs into qbuf and dbuf.
struct ChipEncode {
  size_t dim = 0;
  std::vector<int8_t> database, queries;  // [n][dim]
  std::vector<int8_t> projection;         // SimHash, BEBR: [bits][dim]
  std::vector<int32_t> bias;              // BEBR: [bits] channel biases (the thresholds); empty: none
  // Kernelized hashing instead of SimHash: gemm 1 (the anchors), the table unit (the exp), gemm 2 (A, bias).
  std::optional<KshInt8> ksh;
};

struct HammingTopkWorkload {
  // The codes; with `chip`, the reference model's codes of the INT8 data (bitgrid::sign_codes_int8), which the
  // accelerator makes itself.
  CodeSet database;
  CodeSet queries;
  std::optional<ChipEncode> chip;
  size_t k = 10;
  size_t query_batch = 0;  // 0 = as many as fit
  size_t tile_codes = 0;   // 0 = as many as fit in half of dbuf (double buffering)
};

struct HammingTopkLayout {
  size_t nq = 0, k = 0, batch = 0, tile_codes = 0, tiles = 0, batches = 0;
  uint64_t query_addr = 0, db_addr = 0, result_addr = 0, result_batch_stride = 0;  // bytes
  uint64_t dram_bytes = 0;
};

struct HammingTopkCompiled : Lowered {
  HammingTopkLayout layout;
};

// Throws bitgrid::Error naming the limit when the workload cannot be mapped (e.g. k above topk_max,
// a code longer than max_code_bits, a tile that cannot fit the database buffer).
HammingTopkCompiled compile_hamming_topk(const HammingTopkWorkload& w, const HwConfig& hw);

// Reads the neighbours back from a final DRAM image: [nq * k], empty entries as (-1, INT32_MAX).
void decode_hamming_topk(const HammingTopkLayout& l, const std::vector<uint8_t>& memory,
                         std::vector<int64_t>& neighbors, std::vector<int32_t>& distances);

}  // namespace bitgrid
