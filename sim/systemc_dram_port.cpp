#include "systemc_dram_port.h"

#include <fmt/format.h>

namespace bitgrid::scsim {

void DramPort::reset(const HwConfig& hw, std::vector<uint8_t> memory, Trace* trace) {
  beat_bytes_ = hw.dram_bytes_per_cycle;
  dram_.emplace(hw.dram_bytes_per_cycle, hw.dram_latency, std::move(memory));
  trace_ = trace;
  w_data_ = nullptr;
  w_first_ = w_addr_ = w_beats_ = w_next_ = w_last_ack_ = 0;
}

void DramPort::start_write_stream(uint64_t first_cycle, uint64_t dram_addr, const uint8_t* data, uint64_t beats) {
  w_data_ = data;
  w_first_ = first_cycle;
  w_addr_ = dram_addr;
  w_beats_ = beats;
  w_next_ = 0;
}

void DramPort::flush_writes(uint64_t t) {
  const uint64_t bb = static_cast<uint64_t>(beat_bytes_);
  while (w_next_ < w_beats_ && w_first_ + w_next_ <= t) {
    const uint64_t cycle = w_first_ + w_next_;
    w_last_ack_ = dram_->write(cycle, static_cast<uint32_t>(w_addr_ + w_next_ * bb), w_data_ + w_next_ * bb);
    if (trace_->on())
      trace_->line(cycle, fmt::format("dram write addr={} ack={}", w_addr_ + w_next_ * bb, w_last_ack_));
    ++w_next_;
  }
}

uint64_t DramPort::read(uint64_t t, uint64_t dram_addr, uint32_t beats, uint8_t* out) {
  flush_writes(t);  // the store's beat of this cycle goes first (R6)
  const uint64_t start = dram_->read(t, static_cast<uint32_t>(dram_addr), beats, out);
  if (trace_->on()) trace_->line(t, fmt::format("dram read addr={} beats={} start={}", dram_addr, beats, start));
  return start;
}

}  // namespace bitgrid::scsim
