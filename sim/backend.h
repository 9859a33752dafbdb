#pragma once
// The interface the cycle-accurate backends implement: the SystemC model (sim/systemc_*.cpp), the
// Verilated RTL in the SystemC harness (sim/rtl_*.cpp) and an FPGA board over a serial port
// (sim/fpga_backend.cpp). sim/sim_main.cpp is linked with exactly one of them and turns a job (hardware
// config + program + DRAM image) into a result.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "bitgrid/checker.h"
#include "bitgrid/hwconfig.h"
#include "bitgrid/insn.h"
#include "bitgrid/timeline.h"
#include "dram_model.h"

namespace bitgrid {

struct SimOptions {
  uint64_t max_cycles = 0;          // 0: no limit besides the stall watchdog
  uint64_t stall_cycles = 1000000;  // no instruction completing for this long = deadlock, reported
  std::string trace_path;           // FST waveform (rtl backend) / transaction trace (systemc), empty = none
  bool progress = false;            // a progress bar on stderr (bitgrid/progress.h: only when it is a terminal)
  uint64_t expect_cycles = 0;       // the bar's estimate of the run's cycles (bitgrid run: the roofline bound)
  bool program_checked = false;     // check_program passed (else the backend guards its own memory accesses)
  bool timeline = false;            // record SimResult::counter_log and dram_log (rtl, systemc)
  // fpga backend only: the board's serial device (docs/BOARD.md) and its baud rate (a pty ignores it)
  std::string port;
  unsigned baud = 115200;
};

struct UnitStats {
  uint64_t busy_cycles = 0;  // cycles with an instruction executing (R2: c+1 .. c+E)
  uint64_t insns = 0;        // instructions issued
};

struct SimResult {
  uint64_t cycles = 0;                             // rule R4
  std::array<UnitStats, isa::kNumQueues> units{};  // indexed by isa::Queue
  DramModel::Stats dram{};
  std::vector<uint8_t> memory;  // final DRAM image
  double wall_seconds = 0;
  std::string backend;  // "systemc", "rtl" or "fpga"
  // Per-instruction timeline, in issue order (same-cycle issues by queue: load, compute, store):
  // {program index, issue cycle c, completion cycle c+E (0 if cut off by done; finish: its issue cycle)}.
  // Two backends' logs are compared to name the first diverging instruction.
  std::vector<std::array<uint64_t, 3>> insn_log;
  // A machine fault stopped the run (causes != 0): the cycle it was detected in (error_o is 1 from the
  // next one, which ends the run: cycles = fault.cycle + 1), its causes and the faulting instruction.
  MachineFault fault;
  // With SimOptions::timeline (bitgrid/timeline.h): the queue occupancies and token counters as they change
  // (the value at the start of each cycle), and every DRAM request as the DramModel scheduled it.
  std::vector<CounterChange> counter_log;
  std::vector<DramRequest> dram_log;
  // The DRAM beats over time from the DramModel (rtl, systemc); sim_main completes it with the busy cycles.
  ActivityProfile profile;
};

// Runs one job; may be called several times in one process. A machine fault ends the run with
// SimResult::fault set. Throws bitgrid::Error on a bad job, a deadlock (the message names the stuck
// queues) or a cycle limit.
SimResult run_backend(const HwConfig& hw, const Program& program, std::vector<uint8_t> memory, const SimOptions& opt);
// The backend's name, and for the rtl backend the hardware config it was built for (it refuses others).
const char* backend_name();

}  // namespace bitgrid
