#pragma once
// The table unit (configs/isa/engines/lut.yaml, docs/ARCHITECTURE.md §3.6, R14): geometry shared by the engine,
// the compiler and the tests.
#include <cstdint>
#include <vector>

#include "bitgrid/hwconfig.h"

namespace bitgrid::lut {

constexpr uint64_t kTableWords = 32;  // 256 INT8 entries
constexpr uint64_t kTableReads = 8;   // tbuf reads of 4 words that bring a table
// obuf / abuf words of one segment (mac_cols bytes, one lookup cycle).
inline uint64_t seg_words(const HwConfig& hw) { return static_cast<uint64_t>(hw.mac_cols) / 8; }

// A table's 32 tbuf words from its 256 entries, entry e = the result for the INT8 value e - 256*(e >= 128)
// (so index = the value's byte).
inline std::vector<uint64_t> pack_table(const int8_t (&entries)[256]) {
  std::vector<uint64_t> w(kTableWords, 0);
  for (uint64_t e = 0; e < 256; ++e) w[e / 8] |= uint64_t{static_cast<uint8_t>(entries[e])} << (8 * (e % 8));
  return w;
}

}  // namespace bitgrid::lut
