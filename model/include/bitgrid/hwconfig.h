#pragma once
// The hardware configuration: the generated parameter list (configs/isa/) plus the geometry derived
// from it (docs/ARCHITECTURE.md §2). One object feeds the compiler, the reference model, the SystemC
// model and the RTL build (as Verilator -G overrides).
#include <string>
#include <vector>

#include "bitgrid/gen/isa.h"

namespace YAML {
class Node;
}

namespace bitgrid {

struct HwConfig : isa::HwParams {
  // --- derived geometry (in 64-bit words; the buffer rules are generated from configs/isa/) ---
  long beat_words() const { return dram_bytes_per_cycle / 8; }
  long burst_beats() const { return dram_burst_bytes / dram_bytes_per_cycle; }
  long row_words(isa::Buf b) const { return isa::buf_row_words(b, *this); }
  long port_words(isa::Buf b) const { return isa::buf_port_words(b, *this); }
  long buf_kib(isa::Buf b) const { return isa::buf_kib(b, *this); }
  long buf_words(isa::Buf b) const { return buf_kib(b) * 1024 / 8; }

  // Reads `node` (a map of parameter names to integers). Unknown keys, wrong types and values out of
  // range throw bitgrid::Error naming `where` and the key, e.g. "hw.yaml: hardware.ham_lanes: 0 is below 1".
  static HwConfig from_yaml(const YAML::Node& node, const std::string& where);
  // Sets one parameter from text ("--set hardware.ham_lanes=4"); throws on unknown names / bad values.
  void set(const std::string& name, const std::string& value, const std::string& where);
  // Range and cross-parameter checks (the spine's, the buffers', and each engine's Engine::validate);
  // throws bitgrid::Error naming `where` and the parameter.
  void validate(const std::string& where) const;
  std::string to_yaml() const;  // every parameter, one "name: value" line each
  // Verilator/Yosys parameter overrides for the RTL top, e.g. {"-GHamLanes=8", ...}.
  std::vector<std::string> rtl_overrides() const;
  bool operator==(const HwConfig& o) const { return to_yaml() == o.to_yaml(); }
};

}  // namespace bitgrid
