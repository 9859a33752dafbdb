#pragma once
// One on-chip scratchpad (qbuf, dbuf or rbuf): an array of 64-bit words organised in rows of
// row_words (docs/ARCHITECTURE.md §2). Word-granular access; the units keep the row discipline.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "bitgrid/hwconfig.h"

namespace bitgrid::scsim {

class Scratchpad {
 public:
  void configure(const HwConfig& hw, isa::Buf id) {
    id_ = id;
    row_words_ = hw.row_words(id);
    words_.assign(static_cast<size_t>(hw.buf_words(id)), 0);
    reads_ = writes_ = 0;
  }
  isa::Buf id() const { return id_; }
  long row_words() const { return row_words_; }
  uint64_t size_words() const { return words_.size(); }
  uint64_t rows() const { return words_.size() / static_cast<uint64_t>(row_words_); }

  uint64_t* data(uint64_t addr) { return words_.data() + addr; }
  const uint64_t* data(uint64_t addr) const { return words_.data() + addr; }
  // Accounting of word accesses for the energy counters (the units call these per transaction).
  void count_reads(uint64_t words) { reads_ += words; }
  void count_writes(uint64_t words) { writes_ += words; }
  uint64_t read_words() const { return reads_; }
  uint64_t write_words() const { return writes_; }

 private:
  isa::Buf id_ = isa::Buf::kQbuf;
  long row_words_ = 1;
  std::vector<uint64_t> words_;
  uint64_t reads_ = 0, writes_ = 0;
};

}  // namespace bitgrid::scsim
