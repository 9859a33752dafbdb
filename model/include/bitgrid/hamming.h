#pragma once
// Packed binary codes (faiss layout) and Hamming distance. A code of B bits (B a multiple of 64 here)
// is B/8 bytes, bit i of the code in byte i/8 at bit position i%8 (LSB first); as 64-bit words, word w
// holds bytes 8w..8w+7 little-endian, i.e. bits 64w..64w+63.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace bitgrid {

// Hamming distance of two codes of `words` 64-bit words.
inline uint32_t hamming(const uint64_t* a, const uint64_t* b, size_t words) {
  uint32_t d = 0;
  for (size_t w = 0; w < words; ++w) d += static_cast<uint32_t>(__builtin_popcountll(a[w] ^ b[w]));
  return d;
}

// Row-major set of n codes, `words` 64-bit words each.
struct CodeSet {
  size_t n = 0;
  size_t words = 0;
  std::vector<uint64_t> data;  // n * words
  const uint64_t* code(size_t i) const { return data.data() + i * words; }
  uint64_t* code(size_t i) { return data.data() + i * words; }
  size_t bits() const { return words * 64; }
};

// Builds a CodeSet from faiss-layout bytes (n rows of bytes_per_code bytes, bytes_per_code % 8 == 0).
CodeSet codes_from_bytes(const uint8_t* bytes, size_t n, size_t bytes_per_code);
// The faiss-layout bytes of a CodeSet.
std::vector<uint8_t> codes_to_bytes(const CodeSet& c);

}  // namespace bitgrid
