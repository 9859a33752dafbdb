#pragma once
// Small arithmetic shared by the workloads' lowerings (defined in compiler/src/workload_util.cpp, next to the
// YAML helpers declared in bitgrid/workload.h).
#include <cstdint>
#include <string>
#include <vector>

#include "bitgrid/datafile.h"

namespace bitgrid {

// v rounded up to a multiple of m (m > 0): buffer words to whole beats, DRAM addresses to bursts.
uint64_t round_up(uint64_t v, uint64_t m);
// v / m rounded up (m > 0).
inline uint64_t ceil_div(uint64_t v, uint64_t m) { return (v + m - 1) / m; }

// A requantizer's unsigned 16-bit multiplier and shift for a real factor r > 0 (value * r ~ (value * mult) >>
// shift): the largest shift (<= 63) whose rounded multiplier fits 16 bits; {0, 0} for r <= 0.
struct Multiplier {
  uint32_t mult = 0, shift = 0;
};
Multiplier requant_multiplier(double r);

// A float32 array of [rows][cols] (with cols == 1, any array of rows elements) whose elements are finite, or an
// Error naming `what` (the file and member), the shapes ("has shape [..], <who> needs [rows, cols]") or the element.
std::vector<float> checked_floats(const Array2D& a, const std::string& what, uint64_t rows, uint64_t cols,
                                  const std::string& who = "the graph");

}  // namespace bitgrid
