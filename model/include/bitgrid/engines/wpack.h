#pragma once
// The weight packer (configs/isa/engines/wpack.yaml, docs/ARCHITECTURE.md §3.8, R18): its geometry, shared by the
// engine, the compiler and the tests. The layout it writes is the MAC array's (bitmac::pack_weights, int8).
#include <cstdint>

#include "bitgrid/engines/bitmac.h"
#include "bitgrid/hwconfig.h"

namespace bitgrid::wpack {

constexpr uint64_t kPlanes = 8;  // bit planes of an int8 weight
inline uint64_t seg_words(const HwConfig& hw) { return static_cast<uint64_t>(hw.mac_cols) / 8; }  // obuf read
// Weights of one pair of k-tiles along k (2R).
inline uint64_t pair_k(const HwConfig& hw) { return 2 * bitmac::rows(hw); }
// obuf reads of one pair: trans 1 one per reduction row (2R rows of C bytes); trans 0 per channel row the 2R bytes of
// the pair, ceil(2R/C) port reads each.
inline uint64_t reads_per_pair(const HwConfig& hw, bool trans) {
  const uint64_t C = bitmac::cols(hw), k = pair_k(hw);
  return trans ? k : C * ((k + C - 1) / C);
}
// R18: E = n_pairs*(reads + 1 + 8) + 2 (reads, the last read's data lands, one bit plane written per cycle).
inline uint64_t cycles(const HwConfig& hw, bool trans, uint64_t n_pairs) {
  return n_pairs * (reads_per_pair(hw, trans) + 1 + kPlanes) + 2;
}
// wbuf words the tile takes (the int8 datatype's).
inline uint64_t tile_words(const HwConfig& hw, uint64_t n_pairs) {
  return n_pairs * bitmac::pair_words(hw, isa::kDtypeInt8);
}

}  // namespace bitgrid::wpack
