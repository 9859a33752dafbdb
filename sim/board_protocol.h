// The board protocol's run report (docs/BOARD.md, protocol 2): the 'F' reply of a run, decoded once for the
// fpga backend (sim/fpga_backend.cpp) and the board test (tests/rtl/test_board.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "dram_model.h"

namespace bitgrid::board {

constexpr uint8_t kProtocolVersion = 2;

// Bytes of the reply between 'F' and 'K': status, causes, cycles, busy per queue, DRAM read beats, write
// beats, read requests (u64 each), flags.
constexpr size_t run_report_bytes(size_t num_queues) { return 2 + 8 + 8 * num_queues + 24 + 1; }

struct RunReport {
  uint8_t status = 0, causes = 0, flags = 0;
  uint64_t cycles = 0;
  std::vector<uint64_t> busy;  // per queue
  DramModel::Stats dram;
};

inline uint64_t le_u64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{p[i]} << (8 * i);
  return v;
}

// `d`: run_report_bytes(num_queues) bytes. The board counts DRAM beats; bytes are beats x beat_bytes and the
// bus is busy one cycle per beat (DramModel::Stats).
inline RunReport decode_run_report(const uint8_t* d, size_t num_queues, uint64_t beat_bytes) {
  RunReport r;
  r.status = d[0];
  r.causes = d[1];
  r.cycles = le_u64(d + 2);
  for (size_t q = 0; q < num_queues; ++q) r.busy.push_back(le_u64(d + 10 + 8 * q));
  const uint8_t* s = d + 10 + 8 * num_queues;
  const uint64_t read_beats = le_u64(s);
  r.dram.read_bytes = read_beats * beat_bytes;
  r.dram.write_beats = le_u64(s + 8);
  r.dram.write_bytes = r.dram.write_beats * beat_bytes;
  r.dram.read_requests = le_u64(s + 16);
  r.dram.bus_busy_cycles = read_beats + r.dram.write_beats;
  r.flags = s[24];
  return r;
}

}  // namespace bitgrid::board
