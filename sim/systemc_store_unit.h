#pragma once
// Store unit (rule R8): reads one buffer row segment per cycle from c0+1 and presents write beat b in
// cycle c0+2+b; E ends at the last beat's acknowledgement. The beats go to the DramPort as one stream,
// so a store costs the scheduler two events (its last beat, its completion), not one per beat.
#include <vector>

#include "systemc_dram_port.h"
#include "systemc_exec_unit.h"
#include "systemc_scratchpad.h"

namespace bitgrid::scsim {

class StoreUnit : public ExecUnit {
 public:
  explicit StoreUnit(sc_core::sc_module_name name) : ExecUnit(name) {}
  void configure(const HwConfig& hw, DramPort* dram, Buffers* bufs, Trace* trace);

  void reset() override;
  uint64_t next_event() const override { return last_beat_cycle_; }
  void step(uint64_t cycle) override;  // cycle of the last beat: its acknowledgement fixes E
  std::vector<ActionCount> counters() const override;

 protected:
  void start(const DecodedInsn& in, uint64_t c0) override;

 private:
  DramPort* dram_ = nullptr;
  Buffers* bufs_ = nullptr;
  Trace* trace_ = nullptr;
  uint64_t beat_words_ = 1;
  uint64_t last_beat_cycle_ = kNever;
  std::vector<uint64_t> data_;  // the words being stored (taken at issue)
  uint64_t n_beats_ = 0;
};

}  // namespace bitgrid::scsim
