#pragma once
// Functional executor of the ISA (the `reference` backend): runs a program on a DRAM image with the
// queue/token semantics but no timing (walk_queues' execution order), and counts the actions the
// energy model prices.
#include <cstdint>
#include <vector>

#include "bitgrid/checker.h"
#include "bitgrid/engine.h"
#include "bitgrid/hwconfig.h"
#include "bitgrid/insn.h"

namespace bitgrid {

// Action counts of a program (model/include/bitgrid/engine.h): the DMA's DRAM bytes and buffer words,
// and every engine instruction's Engine::count.
ActionCounts count_actions(const Program& p, const HwConfig& hw);

struct ExecResult {
  std::vector<uint8_t> memory;  // final DRAM image
  MachineFault fault;           // set when an instruction reached issue with a machine fault
};

// Executes the program on `dram`. A program check_program accepts runs to its finish; one that was not
// checked may stop at a machine fault (returned, a token overflow included) or throw Error on a deadlock or
// on an instruction check_insn refuses (which keeps every access inside its buffer and the DRAM image).
ExecResult execute_program(const Program& p, const HwConfig& hw, std::vector<uint8_t> dram);

// Executes a checked program and returns the final DRAM image (throws Error on a machine fault).
std::vector<uint8_t> execute(const Program& p, const HwConfig& hw, std::vector<uint8_t> dram);

}  // namespace bitgrid
