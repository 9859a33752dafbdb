#pragma once
// Energy = action counts x a per-action table loaded from YAML (configs/energy/*.yaml, units in pJ).
#include <map>
#include <string>

#include "bitgrid/executor.h"
#include "bitgrid/hwconfig.h"

namespace YAML {
class Node;
}

namespace bitgrid {

struct EnergyTable {
  std::string name;
  double ham_word_op = 0, topk_compare = 0, dram_byte = 0;
  std::map<double, double> sram_64b_by_kib;  // KiB -> pJ per 64-bit access
  static EnergyTable from_yaml(const YAML::Node& n, const std::string& where);
  double sram_pj(double kib) const;  // log-linear interpolation, clamped at the ends
};

// Energy per component in pJ: "hamming_lanes", "topk", "sram_<buf>", "dram", and "total".
std::map<std::string, double> energy_pj(const ActionCounts& a, const HwConfig& hw, const EnergyTable& t);

}  // namespace bitgrid
