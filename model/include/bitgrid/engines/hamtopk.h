#pragma once
// The Hamming/top-k engine (configs/isa/engines/hamtopk.yaml, docs/ARCHITECTURE.md §2-§3, R9): the
// geometry its instructions and data layouts follow, shared by the engine and the compiler.
#include <cstdint>

#include "bitgrid/hwconfig.h"

namespace bitgrid::hamtopk {

// Words each lane reads per cycle (m).
inline uint64_t lane_words(const HwConfig& hw) { return static_cast<uint64_t>(hw.ham_bits_per_lane) / 64; }
inline uint64_t lanes(const HwConfig& hw) { return static_cast<uint64_t>(hw.ham_lanes); }
inline uint64_t max_code_words(const HwConfig& hw) { return static_cast<uint64_t>(hw.max_code_bits) / 64; }
// Queries compared with each database word read: the array's rows (Q).
inline uint64_t queries(const HwConfig& hw) { return static_cast<uint64_t>(hw.ham_queries); }
// Steps a code of `code_words` words takes in one lane: S = ceil(cw / m).
inline uint64_t steps(const HwConfig& hw, uint64_t code_words) {
  return (code_words + lane_words(hw) - 1) / lane_words(hw);
}
// Groups of `lanes` codes in a tile of n codes: G = ceil(n / L).
inline uint64_t groups(const HwConfig& hw, uint64_t n_codes) { return (n_codes + lanes(hw) - 1) / lanes(hw); }
// Words of a query group in qbuf, step-interleaved (word j of step s of query q at (s*Q + q)*m + j): S*Q*m.
inline uint64_t group_query_words(const HwConfig& hw, uint64_t code_words) {
  return steps(hw, code_words) * queries(hw) * lane_words(hw);
}
// Words of a tile of n codes in dbuf: G*S*L*m.
inline uint64_t tile_words(const HwConfig& hw, uint64_t n_codes, uint64_t code_words) {
  return groups(hw, n_codes) * steps(hw, code_words) * lanes(hw) * lane_words(hw);
}

}  // namespace bitgrid::hamtopk
