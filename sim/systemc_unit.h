#pragma once
// Common pieces of the SystemC model (docs/ARCHITECTURE.md §4): the one interface every simulated block
// exposes (STONNE-style Unit: step / next_event / stats / action counters), the decoded instruction the
// units work on, and the transaction trace.
//
// Time model: the model is event driven. Every block can say at which cycle it next has work
// (next_event) and does that cycle's work in step(cycle); the scheduler thread in ScTop advances
// SystemC time straight to the earliest such cycle. Between two events no block changes state that
// another block observes, which is what makes skipping the cycles in between exact.
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "backend.h"
#include "bitgrid/hwconfig.h"
#include "bitgrid/insn.h"

namespace bitgrid::scsim {

constexpr uint64_t kNever = ~uint64_t{0};

// One named action count for the energy model (e.g. {"dbuf_write_words", 1024}).
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

// Token counters (rule R3), by the queue that pushes and the queue that pops them.
enum Token : int { kL2C = 0, kC2L = 1, kC2S = 2, kS2C = 3, kNumTokens = 4 };
const char* token_name(int t);
const char* queue_name(int q);

// An instruction decoded once per job (Insn::get walks bits; the units must not). Compact, since a
// program can hold millions of instructions.
struct DecodedInsn {
  uint32_t index = 0;  // position in the program
  isa::Op op = isa::Op::kNop;
  int8_t queue = 0;
  int8_t pop[2] = {-1, -1};   // token counters popped at issue (prev, next); -1 = none
  int8_t push[2] = {-1, -1};  // token counters pushed at completion (prev, next); -1 = none
  uint8_t buf = 0;            // load / store
  uint32_t spm_addr = 0, nwords = 0, dram_addr = 0;
  // hamtopk
  bool init = false;
  uint8_t k = 0, code_words = 0;
  uint16_t r_addr = 0, n_codes = 0;
  uint32_t q_addr = 0, db_addr = 0, base_index = 0;
  HamTopk hamtopk() const {
    HamTopk h;
    h.init = init;
    h.k = k;
    h.code_words = code_words;
    h.q_addr = q_addr;
    h.db_addr = db_addr;
    h.base_index = base_index;
    h.r_addr = r_addr;
    h.n_codes = n_codes;
    return h;
  }
};

// Decodes one instruction for this machine and checks it: unknown opcodes, token flags the queue lacks,
// buffer ids, alignment, and every address range (scratchpads and the DRAM image). Throws
// bitgrid::Error naming the instruction. (Queue-level problems — deadlock, token overflow — are left
// to the simulation, which reports them with cycle numbers.) The model checks the whole program
// before it starts and decodes each instruction again when the host presents it, so it holds only
// the queued instructions, whatever the program's length.
class InsnDecoder {
 public:
  InsnDecoder() = default;
  InsnDecoder(const HwConfig& hw, uint64_t dram_bytes);
  DecodedInsn decode(const Insn& in, uint32_t index) const;
  void check(const Program& p) const;

 private:
  uint64_t wb_ = 1, bw_ = 8, m_ = 1, lanes_ = 1, topk_max_ = 1, max_code_words_ = 1, dram_bytes_ = 0;
  uint64_t words_[3] = {0, 0, 0};
};

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
