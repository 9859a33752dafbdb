#pragma once
// The machine's scratchpads in the SystemC model: the model's bitgrid::Scratchpads (one word array per
// buffer, docs/ARCHITECTURE.md §2) plus per-buffer word-access counters for the report. The units keep
// the row discipline; word-granular access here.
#include <array>
#include <cstdint>

#include "bitgrid/engine.h"

namespace bitgrid::scsim {

class Buffers {
 public:
  void configure(const HwConfig& hw) {
    spm_ = Scratchpads(hw);
    reads_.fill(0);
    writes_.fill(0);
  }
  Scratchpads& spm() { return spm_; }
  const Scratchpads& spm() const { return spm_; }
  uint64_t* data(int buf, uint64_t addr) { return spm_.data(static_cast<isa::Buf>(buf), addr); }
  uint64_t words(int buf) const { return spm_.words(static_cast<isa::Buf>(buf)); }
  void count_reads(int buf, uint64_t words) { reads_[static_cast<size_t>(buf)] += words; }
  void count_writes(int buf, uint64_t words) { writes_[static_cast<size_t>(buf)] += words; }
  uint64_t read_words(int buf) const { return reads_[static_cast<size_t>(buf)]; }
  uint64_t write_words(int buf) const { return writes_[static_cast<size_t>(buf)]; }

 private:
  Scratchpads spm_{HwConfig{}};
  std::array<uint64_t, isa::kNumBufs> reads_{}, writes_{};
};

}  // namespace bitgrid::scsim
