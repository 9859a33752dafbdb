#pragma once
// The SystemC model's top module: scratchpads, DRAM port, controller and the three execution units,
// driven by one scheduler thread that jumps from event to event. Elaborated once per process; each job
// resets every block (run_job), and the thread runs the job when ScTop::start is notified.
#include <exception>
#include <memory>
#include <systemc>

#include "backend.h"
#include "systemc_compute_unit.h"
#include "systemc_controller.h"
#include "systemc_dram_port.h"
#include "systemc_load_unit.h"
#include "systemc_scratchpad.h"
#include "systemc_store_unit.h"

namespace bitgrid::scsim {

class ScTop : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(ScTop);
  explicit ScTop(sc_core::sc_module_name name);
  // The process's one instance, elaborated on first use (SystemC elaborates once per process).
  static ScTop& instance();

  // Runs one job to completion (sc_start inside); throws bitgrid::Error like run_backend.
  SimResult run_job(const HwConfig& hw, const Program& program, std::vector<uint8_t> memory, const SimOptions& opt);

  // Action counts of the last job, "<block>.<action>": every unit's counters (the compute unit's include
  // its engines' action counts) and "<buffer>.read_words" / "<buffer>.write_words" of every buffer.
  std::vector<ActionCount> counters() const;

  static const sc_core::sc_time& clock_period();
  // Cycles simulated between two synchronisations of the scheduler with SystemC time (temporal
  // decoupling, as a TLM-2.0 quantum keeper does); 0 = advance SystemC time at every event.
  static void set_quantum(uint64_t cycles) { quantum_ = cycles; }

 private:
  void simulate();  // one job: jump from event to event, advancing SystemC time every quantum
  void sync_time(uint64_t cycle, bool force);

  Controller controller_;
  LoadUnit load_;
  ComputeUnit compute_;
  StoreUnit store_;
  Buffers bufs_;
  DramPort dram_;
  Trace trace_;

  // the job
  HwConfig hw_;
  SimOptions opt_;
  sc_core::sc_time job_start_;
  uint64_t synced_cycle_ = 0;
  uint64_t cycles_ = 0;
  static inline uint64_t quantum_ = 100000;
};

}  // namespace bitgrid::scsim
