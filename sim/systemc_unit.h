#pragma once
// Common pieces of the SystemC model (docs/ARCHITECTURE.md §4): the one interface every simulated block
// exposes (STONNE-style Unit: step / next_event / stats / action counters), the decoded instruction the
// units work on, and the transaction trace.
//
// Time model: the model is event driven. Every block can say at which cycle it next has work
// (next_event) and does that cycle's work in step(cycle); the scheduler in ScTop advances SystemC time
// straight to the earliest such cycle. Between two events no block changes state that another block
// observes, which is what makes skipping the cycles in between exact.
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "backend.h"
#include "bitgrid/hwconfig.h"
#include "bitgrid/insn.h"

namespace bitgrid::scsim {

constexpr uint64_t kNever = ~uint64_t{0};

// One named action count (e.g. {"dram_read_beats", 1024}).
struct ActionCount {
  std::string name;
  uint64_t value = 0;
};

class Unit {
 public:
  virtual ~Unit() = default;
  virtual void reset() = 0;                 // before every job
  virtual uint64_t next_event() const = 0;  // next cycle at which step() has work; kNever if none
  virtual void step(uint64_t cycle) = 0;    // that cycle's work (called with cycle == next_event())
  virtual UnitStats stats() const = 0;
  virtual std::vector<ActionCount> counters() const = 0;
};

const char* queue_name(int q);

// An instruction decoded once when the host presents it: routing (queue, token counters from the
// generated isa::kPopToken / kPushToken), its engine, and the faults it would raise at issue
// (bitgrid::issue_faults, the checker's rule). The units decode their own fields from `raw` with the
// generated field structs. Compact, since the queues hold a few of them.
struct DecodedInsn {
  Insn raw;
  uint32_t index = 0;  // position in the program
  isa::Op op = isa::Op::kNop;
  int8_t queue = 0;
  int8_t engine = -1;         // index into isa::kEngines; -1 for spine instructions
  int8_t pop[2] = {-1, -1};   // token counters popped at issue (prev, next); -1 = none
  int8_t push[2] = {-1, -1};  // token counters pushed at completion (prev, next); -1 = none
  uint32_t faults = 0;        // issue faults (bit i = isa::Fault i)
};

// Decodes instruction `index` for this machine (any bits: unknown opcodes and illegal flags become
// faults, reported when the instruction reaches issue).
DecodedInsn decode_insn(const Insn& in, uint32_t index, const HwConfig& hw);

// Optional transaction trace (SimOptions::trace_path): one line per event, cycle first.
class Trace {
 public:
  ~Trace() { close(); }
  void open(const std::string& path);
  void close();
  bool on() const { return f_ != nullptr; }
  void line(uint64_t cycle, const std::string& what);

 private:
  std::FILE* f_ = nullptr;
};

}  // namespace bitgrid::scsim
