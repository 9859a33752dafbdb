#pragma once
// Energy = action counts x a per-action table loaded from YAML (configs/energy/*.yaml, units in pJ).
// The spine prices DRAM bytes and scratchpad words; every engine prices its own actions
// (configs/isa/engines/<name>.yaml `actions`) in a section named after it:
//   energy_pj: {dram_byte: ..., sram_64b_by_kib: {KiB: pJ, ...}, <engine>: {<action>: pJ, ...}, ...}
#include <map>
#include <string>

#include "bitgrid/engine.h"
#include "bitgrid/hwconfig.h"

namespace YAML {
class Node;
}

namespace bitgrid {

struct EnergyTable {
  std::string name;
  double dram_byte = 0;
  std::map<double, double> sram_64b_by_kib;  // KiB -> pJ per 64-bit access
  std::map<std::string, double> action_pj;   // "<engine>.<action>" -> pJ
  // Throws Error naming `where` and the key: unknown or missing keys, non-numbers, negative energies.
  static EnergyTable from_yaml(const YAML::Node& n, const std::string& where);
  double sram_pj(double kib) const;  // log-linear interpolation, clamped at the ends
};

// Energy per component in pJ: "dram", "sram.<buffer>", "<engine>.<action>", and "total".
std::map<std::string, double> energy_pj(const ActionCounts& a, const HwConfig& hw, const EnergyTable& t);

}  // namespace bitgrid
