#pragma once
// A literal, cycle-by-cycle transcription of the timing rules R1–R9 (docs/ARCHITECTURE.md §4), written
// independently of the SystemC model and deliberately naive: it visits every cycle, asks every block
// every question every cycle, and calls the shared DramModel in the order R6 fixes. It computes timing
// only (cycle count, per-unit busy cycles and issue counts, DRAM statistics), no data: the functional
// side is checked against model/ (knn_hamming, execute).
#include <array>
#include <cstdint>
#include <vector>

#include "backend.h"

namespace bitgrid::scsim_test {

struct CycleResult {
  uint64_t cycles = 0;
  std::array<UnitStats, 3> units{};
  DramModel::Stats dram{};
};

// Throws bitgrid::Error when max_cycles pass without finish or a token counter overflows.
CycleResult cycle_reference(const HwConfig& hw, const Program& p, uint64_t dram_bytes, uint64_t max_cycles);

}  // namespace bitgrid::scsim_test
