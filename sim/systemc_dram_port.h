#pragma once
// The machine's side of the shared DramModel (rule R6). It owns the one ordering duty: DramModel calls
// must be made in global cycle order and, within a cycle, the store unit's write beat before the load
// unit's read request, because that order decides bus_free.
//
// The store unit presents one write beat per cycle without stalls (R8), so its beats are known in
// advance: it hands the whole beat stream over at issue and the port makes the write() calls lazily —
// all beats of cycles <= t just before a read() of cycle t, and the rest when the store asks for its
// last acknowledgement (in the cycle of its last beat) or the job ends. The write() calls therefore
// happen in exactly the order a per-cycle model would make them, without a scheduler event per beat.
#include <cstdint>
#include <optional>
#include <vector>

#include "bitgrid/hwconfig.h"
#include "dram_model.h"
#include "systemc_unit.h"

namespace bitgrid::scsim {

class DramPort {
 public:
  void reset(const HwConfig& hw, std::vector<uint8_t> memory, Trace* trace);

  // --- store side ---
  // Beats b = 0..beats-1 of `data` go to dram_addr + b*beat_bytes in cycles first_cycle + b.
  void start_write_stream(uint64_t first_cycle, uint64_t dram_addr, const uint8_t* data, uint64_t beats);
  // Makes the write() calls of every pending beat of a cycle <= t.
  void flush_writes(uint64_t t);
  bool writes_pending() const { return w_next_ < w_beats_; }
  uint64_t last_write_ack() const { return w_last_ack_; }  // acknowledgement of the stream's last beat

  // --- load side ---
  // Read request of cycle t: returns the cycle of beat 0 (beat i arrives at start + i) and copies the
  // beats into `out`.
  uint64_t read(uint64_t t, uint64_t dram_addr, uint32_t beats, uint8_t* out);

  DramModel& model() { return *dram_; }
  long beat_bytes() const { return beat_bytes_; }

 private:
  std::optional<DramModel> dram_;
  Trace* trace_ = nullptr;
  long beat_bytes_ = 8;
  const uint8_t* w_data_ = nullptr;
  uint64_t w_first_ = 0, w_addr_ = 0, w_beats_ = 0, w_next_ = 0, w_last_ack_ = 0;
};

}  // namespace bitgrid::scsim
