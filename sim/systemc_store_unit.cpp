#include "systemc_store_unit.h"

#include <fmt/format.h>

#include <cstring>

namespace bitgrid::scsim {

void StoreUnit::configure(const HwConfig& hw, DramPort* dram, Buffers* bufs, Trace* trace) {
  dram_ = dram;
  bufs_ = bufs;
  trace_ = trace;
  beat_words_ = static_cast<uint64_t>(hw.beat_words());
}

void StoreUnit::reset() {
  ExecUnit::reset();
  last_beat_cycle_ = kNever;
  data_.clear();
  n_beats_ = 0;
}

void StoreUnit::start(const DecodedInsn& in, uint64_t c0) {
  const auto x = decode<isa::StoreInsn>(in.raw);
  const uint64_t beats = x.nwords / beat_words_;
  if (beats == 0) {  // R5: token-only store
    set_end(c0 + 1);
    return;
  }
  // The unit reads the rows in cycles c0+1 .. c0+NB; the model takes them at issue (a race-free
  // program does not write them while the store runs).
  const int buf = static_cast<int>(x.buf);
  const uint64_t nw = beats * beat_words_;
  data_.assign(bufs_->data(buf, x.spm_addr), bufs_->data(buf, x.spm_addr) + nw);
  bufs_->count_reads(buf, nw);
  n_beats_ += beats;
  dram_->start_write_stream(c0 + 2, x.dram_addr, reinterpret_cast<const uint8_t*>(data_.data()), beats);
  last_beat_cycle_ = c0 + 1 + beats;  // beat b in cycle c0+2+b
}

void StoreUnit::step(uint64_t t) {
  dram_->flush_writes(t);
  set_end(dram_->last_write_ack());  // E = (cycle of the last beat's acknowledgement) - c0
  last_beat_cycle_ = kNever;
  if (trace_->on())
    trace_->line(t, fmt::format("store #{} last beat, completes {}", current()->index, dram_->last_write_ack()));
}

std::vector<ActionCount> StoreUnit::counters() const { return {{"dram_write_beats", n_beats_}}; }

}  // namespace bitgrid::scsim
