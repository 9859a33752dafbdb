#pragma once
// The 32-bit hash of a hardware config that an FPGA board reports (docs/BOARD.md, `I`: ConfigHash, the
// bg_board parameter of that name): FNV-1a over HwConfig::to_yaml(), i.e. every parameter as a
// "name: value" line. The board build puts config_hash(its config) into the bitstream; the fpga backend
// (sim/fpga_backend.cpp) refuses a board whose hash differs from its job's.
#include <cstdint>
#include <string>

#include "bitgrid/hwconfig.h"

namespace bitgrid {

inline uint32_t fnv1a32(const std::string& s) {
  uint32_t h = 2166136261u;
  for (const unsigned char c : s) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

inline uint32_t config_hash(const HwConfig& hw) { return fnv1a32(hw.to_yaml()); }

}  // namespace bitgrid
