#pragma once
// The program checker: the one place where the legality of instructions and programs lives
// (docs/ARCHITECTURE.md §7). The compiler, the simulators and `bitgrid run` call it before a job; the
// SystemC model and the functional executor call issue_faults() when an instruction reaches issue,
// exactly where the RTL detects the same faults.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bitgrid/engine.h"
#include "bitgrid/error.h"
#include "bitgrid/hwconfig.h"
#include "bitgrid/insn.h"

namespace bitgrid {

// Machine faults the hardware detects when `in` reaches issue (bit i = isa::Fault i): an unknown opcode,
// a token flag towards a queue that does not exist, a load/store of some words naming a buffer its DMA
// direction may not use. Such an instruction does not issue and the machine stops.
uint32_t issue_faults(const Insn& in, const HwConfig& hw);
// "bad_buffer, unknown_opcode" (isa::kFaultNames of the set bits).
std::string fault_names(uint32_t bits);

// A machine fault as a backend reports it.
struct MachineFault {
  uint32_t causes = 0;  // bit i = isa::Fault i; 0 = no fault
  int64_t insn = -1;    // program index of the faulting instruction (-1: a token overflow at completion)
  uint64_t cycle = 0;   // timed backends: the cycle in which it was detected
  bool timed = false;
  explicit operator bool() const { return causes != 0; }
  // e.g. "machine fault in cycle 12: bad_buffer (a load into a buffer ...) at instruction 3 (load buf=rbuf ...)"
  std::string describe(const Program& p) const;
};

// Regions a spine instruction (load, store, finish) touches; finish reads all of DRAM, so every store
// must be ordered before it.
void spine_accesses(const Insn& in, const HwConfig& hw, uint64_t dram_bytes, std::vector<Access>& out);

// Legality of one instruction on this machine: "" when legal, else why. Covers the issue faults,
// reserved bits, the DMA instructions' alignment and ranges, and the engine's Engine::check.
std::string check_insn(const Insn& in, const HwConfig& hw, uint64_t dram_bytes);

// Static checks of a whole program: every instruction (check_insn), a finish, no deadlock and no token
// overflow when the queues run with the configured depth, and no data race. Throws Error naming the
// instruction and the limit; for a deadlock, the stuck head of every queue and the token it waits for.
void check_program(const Program& p, const HwConfig& hw, uint64_t dram_bytes);

// The first data race of a (deadlock-free) program, or "": two instructions of different units touch
// one word (of a buffer or of DRAM), one of them writing, and no chain of dependency tokens orders them.
// A program without races gives the same bytes on every backend whatever the timing.
std::string find_race(const Program& p, const HwConfig& hw, uint64_t dram_bytes);

// A token push the abstract machine could not take (counter at token_max).
class TokenOverflow : public Error {
 public:
  TokenOverflow(const std::string& what, size_t insn) : Error(what), insn_(insn) {}
  size_t insn() const { return insn_; }

 private:
  size_t insn_;
};

// The abstract queue machine: dispatches in program order into queues of queue_depth, issues heads whose
// tokens are available (finish only when nothing else can move), treats each instruction as complete
// at issue, and calls on_issue(index) in that legal execution order until finish or until on_issue
// returns false. Throws Error on a deadlock (naming each queue's stuck head and the token it waits for)
// or a program without finish, and TokenOverflow on a push above token_max.
void walk_queues(const Program& p, const HwConfig& hw, const std::function<bool(size_t)>& on_issue);

}  // namespace bitgrid
