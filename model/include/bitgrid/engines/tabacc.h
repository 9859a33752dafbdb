#pragma once
// The table accumulator (configs/isa/engines/tabacc.yaml, docs/ARCHITECTURE.md §3.9, R19): MemoryFormer's table
// layout and index, and the engine's timing, shared by the engine, the compiler and the tests.
#include <algorithm>
#include <cstdint>

#include "bitgrid/hwconfig.h"

namespace bitgrid::tabacc {

constexpr uint64_t kMaxTau = 8, kMaxChunks = 64;
inline uint64_t cols(const HwConfig& hw) { return static_cast<uint64_t>(hw.mac_cols); }
inline uint64_t seg_words(const HwConfig& hw) { return cols(hw) / 8; }  // obuf/wbuf words of one segment
inline uint64_t a_words(const HwConfig& hw) { return static_cast<uint64_t>(hw.mac_rows) / 4; }  // abuf read
// abuf reads of one input row's K*tau values (2*mac_rows per read).
inline uint64_t row_reads(const HwConfig& hw, uint64_t tau, uint64_t k) {
  const uint64_t per = 2 * static_cast<uint64_t>(hw.mac_rows);
  return (k * tau + per - 1) / per;
}
// wbuf words of one table row (out_segs segments) and of all K tables.
inline uint64_t table_row_words(const HwConfig& hw, uint64_t segs) { return segs * seg_words(hw); }
inline uint64_t tables_words(const HwConfig& hw, uint64_t tau, uint64_t k, uint64_t segs) {
  return k * (uint64_t{1} << tau) * table_row_words(hw, segs);
}
// sbuf words of the channel parameters: per segment four rows of mac_cols/4 words (bitmac::pack_side, no groups).
inline uint64_t side_words(const HwConfig& hw, uint64_t segs) { return segs * cols(hw); }
// The row a chunk's signs index: value i of the chunk gives bit tau-1-i (set iff the value is >= 0).
inline uint64_t index_of(const int8_t* chunk, uint64_t tau) {
  uint64_t r = 0;
  for (uint64_t i = 0; i < tau; ++i) r = (r << 1) | (chunk[i] >= 0 ? 1 : 0);
  return r;
}
// R19: E = n_rows*(Ra + 1 + G*(max(K, 4) + 3)) + 2 (the row's signs in Ra reads and a landing cycle; per segment
// the K table reads (and the 4 parameter reads beside the first), the last read's data, the requantizer, the write).
inline uint64_t cycles(const HwConfig& hw, uint64_t tau, uint64_t k, uint64_t segs, uint64_t n_rows) {
  return n_rows * (row_reads(hw, tau, k) + 1 + segs * (std::max<uint64_t>(k, 4) + 3)) + 2;
}

}  // namespace bitgrid::tabacc
