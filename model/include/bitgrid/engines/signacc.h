#pragma once
// The sign-select accumulator (configs/isa/engines/signacc.yaml, docs/ARCHITECTURE.md §3.7, R15/R16): the state
// layout in pbuf, the fixed-point reciprocal and the result of a query, shared by the engine, the compiler and the
// tests.
//
// State at pbuf s_addr (C = mac_cols, G = row_segs, b = code bits; every entry a 32-bit two's-complement value,
// sign-extended into its 64-bit word):
//   S[t][g*C + i]  at (t*G + g)*C + i      (t < b: sum_j h_jt v_j)
//   V[g*C + i]     at (b*G + g)*C + i      (sum_j v_j)
//   z[t]           at (b+1)*G*C + t        (sum_j h_jt)
//   N              at (b+1)*G*C + b        (keys folded in)
// padded to whole rows of C words: (b+1)*G + Z rows, Z = ceil((b+1)/C).
#include <cstdint>
#include <string>

#include "bitgrid/hwconfig.h"

namespace bitgrid::signacc {

constexpr uint64_t kRecipSteps = 17;  // restoring-divider iterations: a 17-bit reciprocal

inline uint64_t cols(const HwConfig& hw) { return static_cast<uint64_t>(hw.mac_cols); }
inline uint64_t seg_words(const HwConfig& hw) { return cols(hw) / 8; }  // obuf/abuf words of C INT8 values
inline uint64_t z_rows(uint64_t b, const HwConfig& hw) { return (b + 1 + cols(hw) - 1) / cols(hw); }
inline uint64_t state_words(uint64_t b, uint64_t G, const HwConfig& hw) {
  return ((b + 1) * G + z_rows(b, hw)) * cols(hw);
}
inline uint64_t s_word(uint64_t t, uint64_t col, uint64_t G, const HwConfig& hw) {
  return (t * G + col / cols(hw)) * cols(hw) + col % cols(hw);
}
inline uint64_t v_word(uint64_t b, uint64_t col, uint64_t G, const HwConfig& hw) { return s_word(b, col, G, hw); }
inline uint64_t z_word(uint64_t b, uint64_t t, uint64_t G, const HwConfig& hw) { return (b + 1) * G * cols(hw) + t; }
inline uint64_t n_word(uint64_t b, uint64_t G, const HwConfig& hw) { return z_word(b, b, G, hw); }

// The 32-bit numerator h_n^T S + c X must not wrap: |S|, |V| <= 128 N, so |numerator| <= 128 N (2b + 1) (form 1;
// form 0 is smaller). The longest sequence a state of b-bit codes can fold in.
inline uint64_t max_keys(uint64_t b) { return ((uint64_t{1} << 31) - 1) / (128 * (2 * b + 1)); }

// The reciprocal of a denominator: for den >= 1 with bit length L (2^(L-1) <= den < 2^L),
// r = floor(2^(L+15) / den), 2^15 <= r <= 2^16, from 17 restoring-divider steps; den <= 0 (an empty or corrupt
// state) gives r = 0.
struct Recip {
  uint64_t r = 0;
  unsigned shift = 0;  // L + 15
};
inline Recip recip(int32_t den) {
  if (den <= 0) return {};
  unsigned L = 0;
  while (L < 32 && (uint64_t{1} << L) <= static_cast<uint64_t>(den)) ++L;
  return {(uint64_t{1} << (L + 15)) / static_cast<uint64_t>(den), L + 15};
}

// One result: round(2^gain * num / den) through the reciprocal, half up, saturated to INT8 (gain 0..7):
// sat8((num * r + 2^(L+14-gain)) >> (L+15-gain)), an arithmetic shift of the 49-bit product; 0 when r = 0.
inline int8_t result(int32_t num, const Recip& rc, unsigned gain = 0) {
  if (rc.r == 0) return 0;
  const unsigned sh = rc.shift - gain;  // >= 16 - 7
  const int64_t p = static_cast<int64_t>(num) * static_cast<int64_t>(rc.r) + (int64_t{1} << (sh - 1));
  const int64_t q = p >> sh;  // arithmetic (C++20 defines it; every C++17 compiler we build with does)
  return static_cast<int8_t>(q > 127 ? 127 : q < -128 ? -128 : q);
}

}  // namespace bitgrid::signacc
