#pragma once
// Hand-built random programs for the co-verification (not from the compiler): random loads, hamtopks and
// stores over random buffer and DRAM ranges, nops, zero-length (token-only) moves, bursts that fill a
// queue, and random token patterns — yet free of deadlocks and data races, so every backend must give
// the same bytes.
//
// Construction: the operations are drawn in a global order and a "baton" of dependency tokens is
// passed from each operation to the next (through a compute nop between load and store), so the
// program is sequential and race-free; then batons are removed at random, one matched push/pop pair at
// a time (which leaves every other pair's pairing unchanged), keeping a removal only when the checker
// finds no data race. Every wait is on an earlier instruction, so no queue depth can deadlock it.
// Optionally one illegal instruction (a machine fault) is inserted.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "bitgrid/hwconfig.h"
#include "bitgrid/insn.h"

namespace bgtest {

struct RandomProgram {
  bitgrid::Program program;
  std::vector<uint8_t> memory;
  int64_t fault_insn = -1;  // index of the illegal instruction, -1 if none
  uint32_t fault = 0;       // its fault bits
  size_t relaxed = 0, batons = 0;
};

// `faulty`: insert one illegal instruction.
RandomProgram random_program(std::mt19937_64& rng, const bitgrid::HwConfig& hw, bool faulty);

}  // namespace bgtest
