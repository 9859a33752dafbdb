#pragma once
// The SystemC model's engine contract (docs/ARCHITECTURE.md §6). The compute unit is a dispatcher that
// owns one ScEngine per engine of configs/isa and hands each instruction to its engine.
//
// An engine's timing and arithmetic are the reference model's (bitgrid::Engine::cycles / execute), not a
// second implementation: ModelEngine, the adapter every engine uses unless it needs more (an engine that
// reads DRAM itself, say), takes the inputs at issue and makes the results visible when the instruction
// completes. Registration: one line in sim/systemc_engines.cpp.
#include <memory>
#include <vector>

#include "bitgrid/engine.h"
#include "systemc_scratchpad.h"
#include "systemc_unit.h"

namespace bitgrid::scsim {

class ScEngine {
 public:
  virtual ~ScEngine() = default;
  virtual void configure(const HwConfig& hw) = 0;
  virtual void reset() = 0;  // before every job
  // Issue in cycle c0: returns the execution time E (the instruction completes at the end of c0+E).
  virtual uint64_t start(const DecodedInsn& in, uint64_t c0, Buffers& bufs) = 0;
  // End of cycle c0+E: the results become visible in the buffers.
  virtual void complete(const DecodedInsn& in, Buffers& bufs) = 0;
  virtual std::vector<ActionCount> counters() const = 0;
};

// The adapter onto the reference model's engine.
class ModelEngine final : public ScEngine {
 public:
  explicit ModelEngine(const Engine& e) : engine_(e) {}
  void configure(const HwConfig& hw) override { hw_ = hw; }
  void reset() override;
  uint64_t start(const DecodedInsn& in, uint64_t c0, Buffers& bufs) override;
  void complete(const DecodedInsn& in, Buffers& bufs) override;
  std::vector<ActionCount> counters() const override;

 private:
  const Engine& engine_;
  HwConfig hw_;
  std::vector<SpmWrite> writes_;  // results of the running instruction
  ActionCounts actions_;          // the engine's own action counts (Engine::count) of this job
  uint64_t insns_ = 0;
};

// The registry (sim/systemc_engines.cpp): one ScEngine per engine, in isa::kEngines order.
std::vector<std::unique_ptr<ScEngine>> make_engines();

}  // namespace bitgrid::scsim
