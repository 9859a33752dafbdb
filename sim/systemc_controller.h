#pragma once
// Controller: the host command stream and dispatcher (R1), one instruction queue of queue_depth per unit,
// the token counters (R3), issue to the execution units (R2), finish (R4) and machine faults: a head
// that could issue but carries an issue fault (DecodedInsn::faults) does not issue, a token push above
// token_max is a fault too, and the machine stops in that cycle (the RTL raises error_o the next one).
//
// step(t) evaluates cycle t exactly as the hardware does: every decision reads the state at the start of
// the cycle (queue occupancies, token counters, unit idle), and every update (enqueue, pop, token push
// and pop, retirement) lands at the end of the cycle. next_event() is t+1 when the state at the start of
// t+1 lets the dispatcher accept or a unit issue; otherwise nothing can happen until a unit event, so a
// dispatcher blocked on a full queue costs nothing until the pop that makes room.
#include <array>
#include <string>
#include <vector>

#include "bitgrid/checker.h"
#include "bitgrid/timeline.h"
#include "systemc_exec_unit.h"

namespace bitgrid::scsim {

class Controller : public sc_core::sc_module, public Unit {
 public:
  explicit Controller(sc_core::sc_module_name name) : sc_core::sc_module(name) {}
  // Instructions are decoded when the host presents them.
  void configure(const HwConfig& hw, const Program* program, std::array<ExecUnit*, isa::kNumQueues> units,
                 Trace* trace);

  // Records the queue occupancies and token counters as they change (SimOptions::timeline); null: off.
  void record_counters(CounterRecorder* rec) { counters_ = rec; }
  void reset() override;
  uint64_t next_event() const override { return ready_at_; }
  void step(uint64_t cycle) override;
  UnitStats stats() const override { return {0, dispatched_}; }
  std::vector<ActionCount> counters() const override;

  bool done() const { return done_; }
  // A machine fault stopped the machine (cycle, causes, instruction); causes == 0 while none did.
  const MachineFault& fault() const { return fault_; }
  uint64_t done_cycle() const { return done_cycle_; }  // the program's cycle count (R4)
  // {index, issue, completion} per issued instruction, in issue order (SimResult::insn_log).
  const std::vector<std::array<uint64_t, 3>>& insn_log() const { return log_; }
  // Last cycle in which an instruction was accepted, issued or executing.
  uint64_t last_progress() const { return last_progress_; }
  // Every instruction has been presented, issued and completed (and none was a finish).
  bool drained() const {
    if (presented_valid_) return false;
    for (int u = 0; u < isa::kNumQueues; ++u)
      if (queues_[static_cast<size_t>(u)].size() != 0 || !units_[static_cast<size_t>(u)]->idle()) return false;
    return true;
  }
  // Why nothing can move: each non-empty queue's head and the token it waits for, and the dispatcher.
  std::string describe_stall() const;

 private:
  class Queue {
   public:
    void reset(size_t depth) {
      slots_.assign(depth, DecodedInsn{});
      head_ = size_ = 0;
    }
    size_t size() const { return size_; }
    const DecodedInsn& front() const { return slots_[head_]; }
    void push(const DecodedInsn& v) { slots_[(head_ + size_++) % slots_.size()] = v; }
    void pop() {
      head_ = (head_ + 1) % slots_.size();
      --size_;
    }

   private:
    std::vector<DecodedInsn> slots_;
    size_t head_ = 0, size_ = 0;
  };

  void present();               // decodes the instruction the host presents next
  bool can_issue(int u) const;  // on the current (start-of-cycle) state
  bool can_dispatch() const;

  const Program* prog_ = nullptr;
  HwConfig hw_;
  DecodedInsn presented_;  // the instruction the host presents (decoded once)
  bool presented_valid_ = false;
  std::array<ExecUnit*, isa::kNumQueues> units_{};
  Trace* trace_ = nullptr;
  CounterRecorder* counters_ = nullptr;
  size_t depth_ = 2;
  long token_max_ = 255;
  std::array<Queue, isa::kNumQueues> queues_;
  std::array<long, isa::kNumTokens> tokens_{};
  size_t next_ = 0;  // next instruction the host presents
  uint64_t ready_at_ = 0;
  bool done_ = false;
  uint64_t done_cycle_ = 0, last_progress_ = 0;
  std::vector<std::array<uint64_t, 3>> log_;
  std::array<size_t, isa::kNumQueues> log_inflight_{};
  MachineFault fault_;
  uint64_t dispatched_ = 0, token_pushes_ = 0, token_pops_ = 0;
};

}  // namespace bitgrid::scsim
