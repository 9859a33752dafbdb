#pragma once
// The rtl backend's engine: the Verilated bitgrid_top (verilator --sc) in a SystemC harness that plays
// the host command stream (R1) and serves the DRAM pins from the shared DramModel (R6), as
// docs/ARCHITECTURE.md §5 describes. sim/rtl_backend.cpp wraps it into bitgrid::run_backend().
//
// Pin protocol, per clock cycle c (cycle 0 = first cycle after reset is released):
//   - in the middle of cycle c (falling edge) the harness samples every output of cycle c and the
//     controller's observation signals, takes the cycle's DRAM requests (the store's write beat first,
//     then the load's read burst, DramModel record_event=true) and decides the inputs of cycle c+1:
//     the next instruction (R1: presented the cycle after acceptance), rd_valid/rd_data or wr_ack from
//     DramModel::pop_event(c+1);
//   - at the rising edge that ends cycle c those inputs are driven (the edge itself still sees cycle c's).
// The job ends in the first cycle with done_o = 1; that cycle's number is the cycle count (R4).
#include <cstdint>
#include <string>
#include <vector>

#include "backend.h"

namespace bitgrid::rtl {

// One executed instruction, for timing tests and scoreboards.
struct InsnRecord {
  size_t index = 0;             // position in the program
  int unit = 0;                 // isa::Queue
  uint64_t accept_cycle = 0;    // R1
  uint64_t issue_cycle = 0;     // R2 (c)
  uint64_t complete_cycle = 0;  // c+E; for finish, the issue cycle; 0 if not completed
  bool completed = false;
};

struct RunInfo {
  std::vector<InsnRecord> insns;  // in issue order
};

// The hardware parameters the Verilated model was built with (its public -G parameters).
HwConfig model_config();

// Runs one job on the Verilated model. Every parameter of `hw` except dram_latency (which only the
// DramModel uses) must equal the model's; throws Error otherwise, on a DRAM access out of range, on the
// model raising error_o, on a stall (the message names the stuck queue heads) and on opt.max_cycles.
// `info`, if given, receives the per-instruction timeline.
SimResult run(const HwConfig& hw, const Program& program, std::vector<uint8_t> memory, const SimOptions& opt,
              RunInfo* info = nullptr);

}  // namespace bitgrid::rtl
