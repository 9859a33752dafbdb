#pragma once
// Load unit (rule R7): DMA of nwords words from DRAM into a buffer in bursts of dram_burst_bytes,
// at most dma_max_outstanding bursts in flight. One scheduler event per burst request.
#include <vector>

#include "systemc_dram_port.h"
#include "systemc_exec_unit.h"
#include "systemc_scratchpad.h"

namespace bitgrid::scsim {

class LoadUnit : public ExecUnit {
 public:
  explicit LoadUnit(sc_core::sc_module_name name) : ExecUnit(name) {}
  void configure(const HwConfig& hw, DramPort* dram, Buffers* bufs, Trace* trace);

  void reset() override;
  uint64_t next_event() const override { return next_req_; }
  void step(uint64_t cycle) override;  // issues the burst request of this cycle
  std::vector<ActionCount> counters() const override;

 protected:
  void start(const DecodedInsn& in, uint64_t c0) override;

 private:
  DramPort* dram_ = nullptr;
  Buffers* bufs_ = nullptr;
  Trace* trace_ = nullptr;
  uint64_t beat_words_ = 1, burst_beats_ = 1, max_outstanding_ = 1;
  // the running load
  int dst_ = 0;  // destination buffer
  uint64_t spm_addr_ = 0, dram_addr_ = 0;
  uint64_t beats_ = 0, bursts_ = 0, next_burst_ = 0, next_req_ = kNever;
  std::vector<uint64_t> last_beat_;  // cycle of each requested burst's last beat
  // counters
  uint64_t n_bursts_ = 0, n_beats_ = 0;
};

}  // namespace bitgrid::scsim
