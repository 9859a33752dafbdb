#pragma once
// The bit-serial mixed-datatype MAC array (configs/isa/engines/bitmac.yaml, docs/ARCHITECTURE.md §3.2 and
// R11): the geometry, the layouts of its buffers and its arithmetic, shared by the engine (model/src/
// engines/bitmac.cpp), the compiler (which packs weights and parameters) and the tests.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "bitgrid/gen/isa.h"
#include "bitgrid/hwconfig.h"

namespace bitgrid::bitmac {

inline uint64_t rows(const HwConfig& hw) { return static_cast<uint64_t>(hw.mac_rows); }  // R
inline uint64_t cols(const HwConfig& hw) { return static_cast<uint64_t>(hw.mac_cols); }  // C
// Pair-planes per weight read (Wp).
inline uint64_t planes_per_read(const HwConfig& hw) { return hw.mac_parallel ? 4 : 1; }
// Words of one pair-plane: 2R*C bits (PW).
inline uint64_t plane_words(const HwConfig& hw) { return rows(hw) * cols(hw) / 32; }
inline uint64_t bits(uint64_t dtype) { return static_cast<uint64_t>(isa::kDtypes[dtype].bits); }
// Terms per weight on this array (T): the datatype's terms, 1 on the bit-parallel array.
inline uint64_t terms(const HwConfig& hw, uint64_t dtype) {
  return hw.mac_parallel ? 1 : static_cast<uint64_t>(isa::kDtypes[dtype].terms);
}
// Weight reads per pair (nr) and the wbuf words of one pair (nr * Wp * PW).
inline uint64_t reads_per_pair(const HwConfig& hw, uint64_t dtype) {
  return (bits(dtype) + planes_per_read(hw) - 1) / planes_per_read(hw);
}
inline uint64_t pair_words(const HwConfig& hw, uint64_t dtype) {
  return reads_per_pair(hw, dtype) * planes_per_read(hw) * plane_words(hw);
}
// Weights of one group and of one row of the reduction (K).
inline uint64_t group_size(const HwConfig& hw, uint64_t group_pairs) { return 2 * rows(hw) * group_pairs; }
inline uint64_t reduction(const HwConfig& hw, uint64_t group_pairs, uint64_t n_groups) {
  return group_size(hw, group_pairs) * n_groups;
}
// wbuf words of one output tile's weights, sbuf words of its parameters and scales, obuf words of one row.
inline uint64_t weight_words(const HwConfig& hw, uint64_t dtype, uint64_t group_pairs, uint64_t n_groups) {
  return group_pairs * n_groups * pair_words(hw, dtype);
}
inline uint64_t side_words(const HwConfig& hw, uint64_t n_groups) { return (4 + n_groups) * cols(hw) / 4; }
inline uint64_t out_row_words(const HwConfig& hw, bool out32) { return cols(hw) / 8 * (out32 ? 4 : 1); }
// pbuf words of one row's partial sums (acc_in/acc_out): one 64-bit word per column, row m at m*C.
inline uint64_t psum_row_words(const HwConfig& hw) { return cols(hw); }
// The accumulator is 48 bits wide and wraps (two's complement); pbuf holds it sign-extended to 64 bits.
inline int64_t wrap48(int64_t v) {
  return static_cast<int64_t>(static_cast<uint64_t>(v) << 16) >> 16;  // arithmetic shift
}
// Largest group (psum stays exact in 32 bits) and the rescaler's cycles per group, rule R11.
constexpr uint64_t kMaxGroup = 1024;
// Groups along the K of one output (over all the gemms of a split K) below which the 48-bit accumulator is
// exact: |acc| < 4096 * 255 * 2^24 < 2^44.
constexpr uint64_t kMaxGroups = 4096;
constexpr uint64_t kRescaleCycles = 8;
// Cycles per k-tile of a slot (T'): the datatype's terms, stretched so that a group takes at least the
// rescaler's 8 cycles (gp * 2T' >= 8; the stretch cycles add nothing).
inline uint64_t slot_terms(const HwConfig& hw, uint64_t dtype, uint64_t group_pairs) {
  const uint64_t need = (kRescaleCycles / 2 + group_pairs - 1) / std::max<uint64_t>(group_pairs, 1);
  return std::max(terms(hw, dtype), need);
}
// R11: E = 2T'*M*P + 20 + 3*out32.
inline uint64_t gemm_cycles(const HwConfig& hw, uint64_t dtype, uint64_t m_rows, uint64_t group_pairs,
                            uint64_t n_groups, bool out32) {
  return 2 * slot_terms(hw, dtype, group_pairs) * m_rows * group_pairs * n_groups + 20 + (out32 ? 3 : 0);
}

// Per output channel requantization parameters (sbuf rows 0-3).
struct Channel {
  int32_t bias = 0;
  uint16_t mult = 1;
  uint8_t shift = 0;  // 0..63
};
// (acc + bias) * mult, rounded half up by `shift`, saturated to INT8 (INT32 if out32), then ReLU.
int64_t requant(int64_t acc, const Channel& ch, bool relu, bool out32);

// One output tile as the compiler holds it before packing: codes[c*K + k] (the datatype's b-bit codes)
// for c < C (channels past the layer's N are zero codes), per (c, group) an 8-bit scale and a 2-bit
// selector, per channel its parameters.
struct Tile {
  uint64_t dtype = 0, group_pairs = 1, n_groups = 1;
  std::vector<uint8_t> codes;       // [C][K]
  std::vector<uint8_t> scale, sel;  // [C][n_groups]
  std::vector<Channel> channels;    // [C]
};
// The tile's wbuf words (weight_words) and sbuf words (side_words), in the layouts of §3.2.
std::vector<uint64_t> pack_weights(const HwConfig& hw, const Tile& t);
std::vector<uint64_t> pack_side(const HwConfig& hw, const Tile& t);

}  // namespace bitgrid::bitmac
