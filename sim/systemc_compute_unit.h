#pragma once
// Compute unit: dispatches by opcode to its engines (today the Hamming/top-k engine), rules R5 and R9.
// nop: E = 1. hamtopk: E = (init ? 0 : k) + G*S + k + 3; the engine computes the result at issue and
// the k entries are written to rbuf when the instruction completes. finish is handled by the controller.
#include <vector>

#include "systemc_exec_unit.h"
#include "systemc_scratchpad.h"

namespace bitgrid::scsim {

// Functional Hamming/top-k engine (docs/ARCHITECTURE.md §2–§3): the k smallest (distance, index) keys
// of the state entries (unless init) and the tile's codes, ascending, padded with empty entries.
class HamTopkEngine {
 public:
  void configure(const HwConfig& hw);
  // Execution time E of one hamtopk (R9).
  uint64_t cycles(const HamTopk& h) const;
  // Result words {index[63:32], dist[31:0]} for rbuf r_addr .. r_addr+k-1.
  void run(const HamTopk& h, const Scratchpad& qbuf, const Scratchpad& dbuf, const Scratchpad& rbuf,
           std::vector<uint64_t>& out);
  uint64_t word_ops() const { return word_ops_; }
  uint64_t merges() const { return merges_; }

 private:
  void insert(uint64_t key, uint64_t k);
  uint64_t lanes_ = 1, m_ = 1;
  std::vector<uint64_t> list_;  // ascending keys {dist, index}
  uint64_t word_ops_ = 0, merges_ = 0;
};

class ComputeUnit : public ExecUnit {
 public:
  explicit ComputeUnit(sc_core::sc_module_name name) : ExecUnit(name) {}
  void configure(const HwConfig& hw, Scratchpad* qbuf, Scratchpad* dbuf, Scratchpad* rbuf, Trace* trace);

  void reset() override;
  uint64_t next_event() const override { return kNever; }  // no DRAM traffic; completion via end_cycle()
  void step(uint64_t) override {}
  std::vector<ActionCount> counters() const override;

 protected:
  void start(const DecodedInsn& in, uint64_t c0) override;
  void complete(const DecodedInsn& in) override;

 private:
  Scratchpad *qbuf_ = nullptr, *dbuf_ = nullptr, *rbuf_ = nullptr;
  Trace* trace_ = nullptr;
  HamTopkEngine ham_;
  uint64_t lanes_ = 1, m_ = 1;
  std::vector<uint64_t> result_;
  uint64_t n_nops_ = 0, n_hamtopk_ = 0;
};

}  // namespace bitgrid::scsim
