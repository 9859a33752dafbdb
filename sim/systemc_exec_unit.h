#pragma once
// Base of the three execution units (load, compute, store): the R2 life cycle of one instruction.
// An instruction issued in cycle c0 runs in c0+1 .. c0+E; the unit learns E when the rules fix it
// (at issue for compute, after the last DRAM request for load and store) and reports c0+E through
// end_cycle(). The controller retires it at the end of that cycle.
#include <systemc>

#include "systemc_unit.h"

namespace bitgrid::scsim {

class ExecUnit : public sc_core::sc_module, public Unit {
 public:
  explicit ExecUnit(sc_core::sc_module_name name) : sc_core::sc_module(name) {}

  bool idle() const { return !busy_; }
  const DecodedInsn* current() const { return busy_ ? &cur_ : nullptr; }
  uint64_t issue_cycle() const { return c0_; }
  uint64_t end_cycle() const { return busy_ ? end_ : kNever; }  // c0+E, kNever while unknown

  void issue(const DecodedInsn& in, uint64_t c0) {
    cur_ = in;
    busy_ = true;
    c0_ = c0;
    end_ = kNever;
    ++stats_.insns;
    start(cur_, c0);
  }
  // An instruction that issues without running (finish): counted, never busy.
  void count_instant_issue() { ++stats_.insns; }
  // End of cycle c0+E: the instruction's effects become visible; the unit is idle from c0+E+1.
  void retire() {
    complete(cur_);
    stats_.busy_cycles += end_ - c0_;
    busy_ = false;
    end_ = kNever;
  }
  // The job ended after cycle `last`: count the busy cycles of an instruction still running.
  void truncate(uint64_t last) {
    if (busy_) stats_.busy_cycles += std::min(end_, last) - c0_;
  }

  void reset() override {
    busy_ = false;
    end_ = kNever;
    stats_ = {};
  }
  UnitStats stats() const override { return stats_; }

 protected:
  virtual void start(const DecodedInsn& in, uint64_t c0) = 0;  // issue in cycle c0
  virtual void complete(const DecodedInsn&) {}                 // end of cycle c0+E
  void set_end(uint64_t cycle) { end_ = cycle; }

 private:
  DecodedInsn cur_;
  bool busy_ = false;
  uint64_t c0_ = 0, end_ = kNever;
  UnitStats stats_;
};

}  // namespace bitgrid::scsim
