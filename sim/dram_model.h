#pragma once
// The one DRAM timing model (docs/ARCHITECTURE.md rule R6), shared by the SystemC model and by the
// pin adapter of the rtl backend, so both see the same memory timing by construction.
//
// Requests of cycle t must be given in the order the rule fixes: the store unit's write beat first,
// then the load unit's read burst. Each request occupies the single data bus for its beats:
//   start = max(t + latency, bus_free);  bus_free = start + beats.
// A read's beat i is delivered in cycle start + i; a write beat is acknowledged in cycle start.
// Data moves when the request is taken (reads copy DRAM then; writes update DRAM then).
#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "bitgrid/error.h"
#include "bitgrid/timeline.h"

namespace bitgrid {

class DramModel {
 public:
  struct Event {
    uint64_t cycle;
    bool is_read;               // read beat delivery, else write acknowledgement
    std::vector<uint8_t> data;  // read beat data (beat_bytes)
  };
  struct Stats {
    uint64_t read_bytes = 0, write_bytes = 0, read_requests = 0, write_beats = 0, bus_busy_cycles = 0;
  };

  DramModel(long beat_bytes, long latency, std::vector<uint8_t> memory)
      : beat_bytes_(beat_bytes), latency_(latency), mem_(std::move(memory)) {}

  long beat_bytes() const { return beat_bytes_; }
  std::vector<uint8_t>& memory() { return mem_; }
  const std::vector<uint8_t>& memory() const { return mem_; }
  const Stats& stats() const { return stats_; }
  uint64_t bus_free() const { return bus_free_; }
  // The beats so far by cycle, for the report's DRAM bandwidth over time (SimResult::profile).
  const ActivityProfile& profile() const { return profile_; }
  // Every request from now on is appended to `log` (the run's timeline), or to nothing when null.
  void log_requests(std::vector<DramRequest>* log) { log_ = log; }

  // Write beat requested in cycle t. Returns its acknowledgement cycle.
  uint64_t write(uint64_t t, uint32_t addr, const uint8_t* data, bool record_event = false) {
    check(addr, 1, "write");
    std::memcpy(mem_.data() + addr, data, static_cast<size_t>(beat_bytes_));
    const uint64_t start = slot(t, 1);
    stats_.write_bytes += static_cast<uint64_t>(beat_bytes_);
    ++stats_.write_beats;
    if (record_event) events_.push_back({start, false, {}});
    if (log_) log_->push_back({t, start, 1, false});
    profile_.add_dram_beat(start, false, static_cast<uint64_t>(beat_bytes_));
    return start;
  }

  // Read burst requested in cycle t. Returns the cycle of beat 0; beat i arrives in cycle start + i.
  // With record_event, the beats are queued for pop_event() (the pin adapter's use); `out` (if given)
  // receives beats * beat_bytes bytes (the transaction-level model's use).
  uint64_t read(uint64_t t, uint32_t addr, uint32_t beats, uint8_t* out = nullptr, bool record_event = false) {
    check(addr, beats, "read");
    const uint64_t start = slot(t, beats);
    stats_.read_bytes += static_cast<uint64_t>(beats) * static_cast<uint64_t>(beat_bytes_);
    ++stats_.read_requests;
    if (out) std::memcpy(out, mem_.data() + addr, static_cast<size_t>(beats * beat_bytes_));
    if (log_) log_->push_back({t, start, beats, true});
    for (uint32_t i = 0; i < beats; ++i) profile_.add_dram_beat(start + i, true, static_cast<uint64_t>(beat_bytes_));
    if (record_event)
      for (uint32_t i = 0; i < beats; ++i) {
        const uint8_t* p = mem_.data() + addr + static_cast<uint64_t>(i) * static_cast<uint64_t>(beat_bytes_);
        events_.push_back({start + i, true, std::vector<uint8_t>(p, p + beat_bytes_)});
      }
    return start;
  }

  // The event (read beat or write acknowledgement) scheduled for cycle c, if any. At most one event
  // falls in a cycle (the bus carries one beat per cycle); events must be popped in cycle order.
  bool pop_event(uint64_t c, Event& ev) {
    if (events_.empty() || events_.front().cycle != c) return false;
    ev = std::move(events_.front());
    events_.pop_front();
    return true;
  }
  bool idle_after(uint64_t c) const { return events_.empty() && bus_free_ <= c; }

 private:
  uint64_t slot(uint64_t t, uint32_t beats) {
    const uint64_t start = std::max<uint64_t>(t + static_cast<uint64_t>(latency_), bus_free_);
    bus_free_ = start + beats;
    stats_.bus_busy_cycles += beats;
    return start;
  }
  void check(uint32_t addr, uint32_t beats, const char* what) const {
    const uint64_t end = uint64_t{addr} + uint64_t{beats} * static_cast<uint64_t>(beat_bytes_);
    if (addr % static_cast<uint64_t>(beat_bytes_) != 0 || end > mem_.size())
      throw Error(std::string("DRAM ") + what + " at byte address " + std::to_string(addr) + " (" +
                  std::to_string(beats) + " beats) is outside the " + std::to_string(mem_.size()) +
                  "-byte memory image or not beat-aligned");
  }

  long beat_bytes_;
  long latency_;
  std::vector<uint8_t> mem_;
  uint64_t bus_free_ = 0;
  std::deque<Event> events_;
  Stats stats_;
  std::vector<DramRequest>* log_ = nullptr;
  ActivityProfile profile_;
};

}  // namespace bitgrid
