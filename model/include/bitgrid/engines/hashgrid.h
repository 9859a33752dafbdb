#pragma once
// The hash-grid encoder engine (configs/isa/engines/hashgrid.yaml, docs/ARCHITECTURE.md §3.4, R12): its
// geometry, the level descriptor, the bank-interleaved table layout and the function of one point, shared by
// the engine (model/src/engines/hashgrid.cpp), the compiler and the tests.
#include <cstdint>
#include <vector>

#include "bitgrid/gen/isa.h"
#include "bitgrid/hwconfig.h"

namespace bitgrid::hgenc {

inline constexpr uint64_t kLineWords = 4;     // a gbuf line: 256 bits
inline constexpr uint64_t kPointWords = 2;    // a point in xbuf
inline constexpr uint64_t kMaxRowWords = 32;  // o_row's limit: the engine's row buffer
inline constexpr uint64_t kMaxLevels = 32;
inline constexpr uint64_t kPipeCycles = 6;  // R12's pipeline constant

inline uint64_t engines(const HwConfig& hw) { return static_cast<uint64_t>(hw.hg_engines); }
// Words and lines of one engine's gbuf segment.
inline uint64_t segment_words(const HwConfig& hw) {
  return static_cast<uint64_t>(hw.buf_words(isa::Buf::kGbuf)) / engines(hw);
}
inline uint64_t segment_lines(const HwConfig& hw) { return segment_words(hw) / kLineWords; }
// Copies of each segment (one per pair of x-neighbour corners), each two banks (line parity).
inline uint64_t copies(const HwConfig& hw) { return uint64_t{1} << (hw.hg_max_dims - 1); }
// The write width of abuf and obuf (W = mac_cols / 8): o_row and o_addr are multiples of it.
inline uint64_t write_words(const HwConfig& hw) { return static_cast<uint64_t>(hw.mac_cols) / 8; }
// Entries of F values per gbuf line.
inline uint64_t entries_per_line(uint64_t features) { return 16 / features; }
// Levels each engine encodes: J = ceil(n_lev / E).
inline uint64_t levels_per_engine(const HwConfig& hw, uint64_t n_lev) {
  return (n_lev + engines(hw) - 1) / engines(hw);
}
// Words of one point's output row at least: n_lev * F values of 1 (INT8) or 4 (INT32) bytes.
inline uint64_t min_row_words(uint64_t n_lev, uint64_t features, bool int8) {
  return (n_lev * features * (int8 ? 1 : 4) + 7) / 8;
}

// One level's descriptor (one gbuf line).
struct Descriptor {
  uint32_t scale_q = 0;  // UQ16.16
  uint32_t stride1 = 0;  // res
  uint32_t stride2 = 0;  // res^2 mod 2^32
  uint32_t size = 0;     // entries
  uint32_t base = 0;     // line of entry 0 within the segment
  uint32_t mult = 0;     // INT8 requantization: 16-bit unsigned multiplier
  bool dense = false;
  uint32_t shift = 0;  // 0..63
};
void pack_descriptor(const Descriptor& d, uint64_t* line);  // 4 words
Descriptor unpack_descriptor(const uint64_t* line);

// The line and slot of entry i of a level whose table starts at line `base` (relative to the segment).
struct EntryPos {
  uint64_t line = 0;
  uint64_t slot = 0;
};
inline EntryPos entry_pos(uint64_t base, uint64_t i, uint64_t features) {
  const uint64_t epl = entries_per_line(features), j = i >> 1;
  return {base + 2 * (j / epl) + (i & 1), j % epl};
}
// Lines a level of `size` entries takes (even: both banks advance together).
inline uint64_t table_lines(uint64_t size, uint64_t features) {
  const uint64_t epl = entries_per_line(features);
  return 2 * (((size + 1) / 2 + epl - 1) / epl);
}
// Writes a level's int16 values (size * F, entry-major as tiny-cuda-nn lays them out) into `lines` (the level's
// table_lines(size, F) * 4 words, starting at its base line).
void pack_table(const int16_t* values, uint64_t size, uint64_t features, uint64_t* lines);

// The hardware's INT8 requantization of an accumulator.
int8_t requant8(int32_t acc, uint32_t mult, uint32_t shift);

// The F accumulators of one point at one level (the engine's function, bit for bit; `segment` is the engine's
// gbuf segment, `seg_lines` its lines): coordinates as xbuf holds them (32-bit words, clamped to 2^23).
void encode_point(const uint32_t* coords, uint32_t dims, uint32_t features, bool smooth, const Descriptor& d,
                  const uint64_t* segment, uint64_t seg_lines, int32_t* acc);

}  // namespace bitgrid::hgenc
