#pragma once
// The binary encoder (configs/isa/engines/binenc.yaml, docs/ARCHITECTURE.md §3.5, R13): the code layouts
// `benc` writes, shared by the engine, the compiler and the tests.
#include <cstdint>

#include "bitgrid/hwconfig.h"

namespace bitgrid::binenc {

// obuf words of one code word's 64 INT8 outputs.
constexpr uint64_t kRowWordsPerCodeWord = 8;
// Longest code, in words (the code_words field's limit; hamtopk's max_code_bits is at most 2048 bits).
constexpr uint64_t kMaxCodeWords = 32;

// obuf words one read brings (the obuf port: mac_cols INT8 outputs) and reads per code word (64/mac_cols).
inline uint64_t read_words(const HwConfig& hw) { return static_cast<uint64_t>(hw.mac_cols) / 8; }
inline uint64_t reads_per_word(const HwConfig& hw) { return kRowWordsPerCodeWord / read_words(hw); }

// The layout of codes in qbuf (a query group: P = ham_queries) or dbuf (a tile: P = ham_lanes), with m words
// per step and S = ceil(code_words/m) steps: word w of code c at
//   (c/P)*S*P*m + (w/m)*P*m + (c%P)*m + w%m.
struct Layout {
  uint64_t P = 1, m = 1, S = 1;
  uint64_t word(uint64_t c, uint64_t w) const { return ((c / P) * S + w / m) * P * m + (c % P) * m + w % m; }
  uint64_t code_words() const { return S * m; }  // words written per code, padding included
};
inline Layout layout(uint64_t p_log2, uint64_t m_log2, uint64_t code_words) {
  const uint64_t m = uint64_t{1} << m_log2;
  return {uint64_t{1} << p_log2, m, (code_words + m - 1) / m};
}

// Sign bits of 64 INT8 values (bytes of 8 words, little-endian): bit t = 1 iff byte t >= 0, i.e. the inverted
// sign bits (DESIGN.md §5.3: bit = 1 iff y >= 0).
inline uint64_t pack_signs(const uint64_t* words8) {
  uint64_t code = 0;
  for (uint64_t t = 0; t < 64; ++t) code |= ((~words8[t / 8] >> (8 * (t % 8) + 7)) & 1) << t;
  return code;
}

}  // namespace bitgrid::binenc
