#pragma once
// Compute unit: the dispatcher in front of the engines (docs/ARCHITECTURE.md §6). nop: E = 1 (R5); an
// engine instruction: the E its engine returns; finish is handled by the controller.
#include <memory>
#include <vector>

#include "systemc_engine.h"
#include "systemc_exec_unit.h"

namespace bitgrid::scsim {

class ComputeUnit : public ExecUnit {
 public:
  explicit ComputeUnit(sc_core::sc_module_name name) : ExecUnit(name), engines_(make_engines()) {}
  void configure(const HwConfig& hw, Buffers* bufs, Trace* trace);

  void reset() override;
  uint64_t next_event() const override { return kNever; }  // completion via end_cycle()
  void step(uint64_t) override {}
  // "nops", and each engine's counters ("<engine>.insns", its actions and scratchpad words by the
  // keys of bitgrid::ActionCounts).
  std::vector<ActionCount> counters() const override;

 protected:
  void start(const DecodedInsn& in, uint64_t c0) override;
  void complete(const DecodedInsn& in) override;

 private:
  Buffers* bufs_ = nullptr;
  Trace* trace_ = nullptr;
  std::vector<std::unique_ptr<ScEngine>> engines_;
  uint64_t n_nops_ = 0;
};

}  // namespace bitgrid::scsim
