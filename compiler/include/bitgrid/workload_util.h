#pragma once
// Small arithmetic shared by the workloads' lowerings (defined in compiler/src/workload_util.cpp, next to the
// YAML helpers declared in bitgrid/workload.h).
#include <cstdint>

namespace bitgrid {

// v rounded up to a multiple of m (m > 0): buffer words to whole beats, DRAM addresses to bursts.
uint64_t round_up(uint64_t v, uint64_t m);

}  // namespace bitgrid
