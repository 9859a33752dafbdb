#include "systemc_load_unit.h"

#include <fmt/format.h>

#include <algorithm>

namespace bitgrid::scsim {

void LoadUnit::configure(const HwConfig& hw, DramPort* dram, Buffers* bufs, Trace* trace) {
  dram_ = dram;
  bufs_ = bufs;
  trace_ = trace;
  beat_words_ = static_cast<uint64_t>(hw.beat_words());
  burst_beats_ = static_cast<uint64_t>(hw.burst_beats());
  max_outstanding_ = static_cast<uint64_t>(hw.dma_max_outstanding);
  last_beat_.assign(max_outstanding_, 0);
}

void LoadUnit::reset() {
  ExecUnit::reset();
  dst_ = 0;
  beats_ = bursts_ = next_burst_ = 0;
  next_req_ = kNever;
  n_bursts_ = n_beats_ = 0;
}

void LoadUnit::start(const DecodedInsn& in, uint64_t c0) {
  const auto x = decode<isa::LoadInsn>(in.raw);
  beats_ = x.nwords / beat_words_;
  if (beats_ == 0) {  // R5: token-only load
    set_end(c0 + 1);
    next_req_ = kNever;
    return;
  }
  dst_ = static_cast<int>(x.buf);
  spm_addr_ = x.spm_addr;
  dram_addr_ = x.dram_addr;
  bursts_ = (beats_ + burst_beats_ - 1) / burst_beats_;
  next_burst_ = 0;
  next_req_ = c0 + 1;  // burst 0 is requested in cycle c0+1
}

void LoadUnit::step(uint64_t t) {
  const DecodedInsn& in = *current();
  const uint64_t j = next_burst_;
  const uint64_t first_beat = j * burst_beats_;
  const uint64_t nb = std::min(burst_beats_, beats_ - first_beat);
  const uint64_t spm = spm_addr_ + first_beat * beat_words_;
  // The data is copied into the scratchpad when the request is taken (a correct program does not read
  // it before the load's completion token).
  const uint64_t start = dram_->read(t, dram_addr_ + first_beat * beat_words_ * 8, static_cast<uint32_t>(nb),
                                     reinterpret_cast<uint8_t*>(bufs_->data(dst_, spm)));
  bufs_->count_writes(dst_, nb * beat_words_);
  ++n_bursts_;
  n_beats_ += nb;
  const uint64_t last = start + nb - 1;
  last_beat_[j % max_outstanding_] = last;
  next_burst_ = j + 1;
  if (next_burst_ == bursts_) {
    set_end(last);  // E = (cycle of the last beat) - c0
    next_req_ = kNever;
    if (trace_->on()) trace_->line(t, fmt::format("load #{} last burst, completes {}", in.index, last));
    return;
  }
  // Burst j+1: the first cycle after this request in which fewer than dma_max_outstanding bursts are
  // outstanding. Bursts end in request order, so that is after the last beat of burst j+1-max.
  next_req_ = t + 1;
  if (next_burst_ >= max_outstanding_)
    next_req_ = std::max(next_req_, last_beat_[(next_burst_ - max_outstanding_) % max_outstanding_] + 1);
}

std::vector<ActionCount> LoadUnit::counters() const {
  return {{"dram_read_bursts", n_bursts_}, {"dram_read_beats", n_beats_}};
}

}  // namespace bitgrid::scsim
