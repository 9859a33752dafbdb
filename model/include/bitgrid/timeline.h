#pragma once
// The run timeline of a timed backend (systemc, rtl) and its file: the Chrome/Perfetto trace-event JSON
// that `bitgrid run --timeline FILE.json` and `bitgrid-sim-<backend> --timeline FILE.json` write
// (docs/TIMELINE.md describes the tracks). The backends record what only they can see — when each
// instruction issued and completed, the queue occupancies and token counters as they change, the DRAM
// requests — and this file turns that into the trace, in one place, so two backends that ran the same
// program the same way write the same bytes.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "bitgrid/gen/isa.h"
#include "bitgrid/insn.h"

namespace bitgrid {

// The counters a backend records as they change: each queue's occupancy, then each token counter.
namespace timeline {
constexpr int kNumCounters = isa::kNumQueues + isa::kNumTokens;
constexpr int queue_counter(int queue) { return queue; }
constexpr int token_counter(int token) { return isa::kNumQueues + token; }
// "queue.load", ..., "tokens.l2c", ...
std::string counter_name(int id);
}  // namespace timeline

// A counter's new value, held from `cycle` on (the value at the start of that cycle).
struct CounterChange {
  uint64_t cycle = 0;
  uint32_t id = 0;
  int64_t value = 0;
};

// A DRAM request as the one DRAM timing model (sim/dram_model.h, rule R6) scheduled it: made in cycle
// `cycle`, its beats on the bus in cycles start .. start + beats - 1 (a write is one beat, acknowledged in
// cycle start).
struct DramRequest {
  uint64_t cycle = 0, start = 0;
  uint32_t beats = 0;
  bool read = false;
};

struct Timeline {
  uint64_t cycles = 0;                         // the run's cycle count (R4); nothing at or after it is shown
  long dram_beat_bytes = 0;                    // hardware dram_bytes_per_cycle
  std::vector<std::array<uint64_t, 3>> insns;  // SimResult::insn_log: {index, issue, completion or 0}
  std::vector<CounterChange> counters;         // in cycle order
  std::vector<DramRequest> dram;               // in request order
  int64_t fault_cycle = -1;                    // a machine fault was detected in this cycle
  std::string fault;                           // ... and its description
};

// Records counter changes: set(cycle, id, value) appends a change when the value differs from the last one
// recorded for that counter (every counter starts at 0 in cycle 0).
class CounterRecorder {
 public:
  void set(uint64_t cycle, int id, int64_t value) {
    if (last_[static_cast<size_t>(id)] == value) return;
    last_[static_cast<size_t>(id)] = value;
    log_.push_back({cycle, static_cast<uint32_t>(id), value});
  }
  std::vector<CounterChange>& log() { return log_; }

 private:
  std::array<int64_t, timeline::kNumCounters> last_{};
  std::vector<CounterChange> log_;
};

// A run's activity over time, for the report's plots (report.json "profile"): the run cut into equal bins of
// bin_cycles cycles (a power of two; at most kProfileBins bins), per bin each unit's busy cycles (R2: c+1 ..
// c+E of each instruction) and the DRAM bytes moved (read beats delivered, write beats acknowledged). The DRAM
// part is collected as the beats are scheduled, in O(kProfileBins) memory however long the run.
class ActivityProfile {
 public:
  static constexpr size_t kProfileBins = 256;
  void add_dram_beat(uint64_t cycle, bool read, uint64_t bytes);
  // Completes the profile of a run of `cycles` cycles: the instructions' busy cycles from `insn_log`
  // (SimResult::insn_log) and the bin width. Beats at or after `cycles` (the tail of a burst cut off by done)
  // count in the last bin, so the bins add up to the run's DRAM byte totals.
  void finish(uint64_t cycles, const Program& program, const std::vector<std::array<uint64_t, 3>>& insn_log);

  uint64_t bin_cycles = 1;
  std::vector<std::array<uint64_t, isa::kNumQueues>> busy;  // [bin][queue]
  std::vector<uint64_t> read_bytes, write_bytes;            // [bin]

 private:
  void widen(uint64_t width);  // re-bins to `width` cycles per bin
  uint64_t width_ = 1;         // while collecting: cycles per bin
};

// The trace-event JSON ("JSON Object Format": {"traceEvents": [...], ...}) of a run, one event a line.
// Time: 1 µs in the viewer = 1 machine cycle. Tracks of process 1 ("bitgrid machine"): one per unit
// (load, compute, store) with a complete ("X") slice per instruction, from its issue cycle through its
// completion cycle; a "DRAM bus" track with a slice per request while its beats hold the bus; counter
// ("C") tracks for the queue occupancies, the token counters and the DRAM read and write bytes in flight
// (requested, not yet delivered or acknowledged). Deterministic: the same Timeline gives the same bytes.
std::string timeline_trace_json(const Program& program, const Timeline& t);

}  // namespace bitgrid
