#pragma once
// The one independent timing oracle of the RTL and SystemC timing tests: a direct, deliberately naive
// cycle-by-cycle transcription of the timing rules R1-R9 of docs/ARCHITECTURE.md §4 and of the machine
// faults (docs/ISA.md). It visits every cycle and asks every block every question; it shares nothing
// with the SystemC model or the RTL except the DramModel (which the rules name as the DRAM timing), the
// generated ISA tables and the checker's issue_faults() (legality is not timing). Each engine's
// execution time is written here again from its rule (tests/oracle/engine_rules.cpp), not taken from
// bitgrid::Engine::cycles. Timing only: no data moves.
#include <array>
#include <cstdint>
#include <vector>

#include "backend.h"
#include "bitgrid/checker.h"
#include "bitgrid/hwconfig.h"
#include "bitgrid/insn.h"
#include "dram_model.h"

namespace bgtest {

struct OracleRecord {
  size_t index = 0;
  int unit = 0;
  uint64_t accept = 0, issue = 0, complete = 0;  // complete: 0 if cut off by done; finish: its issue cycle
};

struct OracleResult {
  uint64_t cycles = 0;             // the first cycle with done (or error) = 1
  std::vector<OracleRecord> recs;  // in issue order (same-cycle issues by queue)
  std::array<bitgrid::UnitStats, bitgrid::isa::kNumQueues> units{};
  bitgrid::DramModel::Stats dram{};
  bitgrid::MachineFault fault;  // set when the run ended in a machine fault
};

// The execution time E of an engine instruction, from the engine's rule (R9 for hamtopk).
uint64_t oracle_engine_cycles(const bitgrid::HwConfig& hw, const bitgrid::Insn& in);

// A hamtopk instruction with token flags (the generated encoder).
inline bitgrid::Insn hamtopk(bitgrid::isa::HamtopkInsn h, bitgrid::Deps d = {}) {
  h.deps = d;
  return bitgrid::encode(h);
}

// Throws std::runtime_error when max_cycles pass without finish or fault.
OracleResult rule_oracle(const bitgrid::HwConfig& hw, const bitgrid::Program& p, uint64_t dram_bytes,
                         uint64_t max_cycles = 20000000);

}  // namespace bgtest
