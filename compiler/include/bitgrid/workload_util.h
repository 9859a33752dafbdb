#pragma once
// Small arithmetic shared by the workloads' lowerings (defined in compiler/src/workload_util.cpp, next to the
// YAML helpers declared in bitgrid/workload.h).
#include <cstdint>

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

}  // namespace bitgrid
