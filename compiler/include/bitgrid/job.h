#pragma once
// A run configuration (CONFIG.yaml): hardware + energy table + workload, loaded and validated.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bitgrid/energy.h"
#include "bitgrid/hwconfig.h"
#include "bitgrid/workload.h"

namespace bitgrid {

// The FPGA a run is reported for (the config's `fpga` section): the clock turns cycles into seconds.
struct FpgaClock {
  std::string target;   // e.g. ice40-up5k (scripts/fpga.sh's targets)
  double fmax_mhz = 0;  // the clock the report assumes (0: none, a pre-place-and-route report without fmax_mhz)
  long luts = -1;       // the design's LUTs, when a fpga.json gave them (-1: unknown)
  std::string stage;    // fpga.json's stage (routed | pre-place-and-route), "" when the config gave fmax_mhz
  std::string source;   // "fpga.fmax_mhz" or the fpga.json path
};

struct Job {
  std::string config_path;
  HwConfig hw;
  EnergyTable energy;
  std::string workload_type;
  std::unique_ptr<Workload> workload;
  std::optional<FpgaClock> fpga;  // from the `fpga` section: target, fmax_mhz and/or report (a fpga.json)
};

// The FPGA targets of scripts/fpga.sh (its TARGETS line).
std::vector<std::string> fpga_targets();

// Loads CONFIG.yaml, applies "key.path=value" overrides, and loads the workload (make_workload by
// workload.type). Every problem throws bitgrid::Error naming the file and key.
Job load_job(const std::string& path, const std::vector<std::string>& sets);

// CONFIG.yaml as YAML with the overrides applied and its top-level keys checked (hardware, energy, workload,
// fpga), nothing else loaded: for commands that read one part of a run config (`bitgrid encode`).
YAML::Node load_root(const std::string& path, const std::vector<std::string>& sets);

// workload.type of CONFIG.yaml with the overrides applied, without loading the hardware, energy or workload
// data (a model's quantization can take a while). Throws the errors load_job gives for the file, the
// overrides, the top-level keys and the workload section's type.
std::string load_workload_type(const std::string& path, const std::vector<std::string>& sets);

// The hardware of CONFIG.yaml with the overrides applied: a run config (hardware/energy/workload sections;
// the hardware section resolved as load_job does, the workload not loaded) or a hardware config (a map of
// parameter names, as configs/hw/*.yaml; overrides "name=value" or "hardware.name=value"). Throws the
// errors load_job gives for the file, the overrides and the hardware parameters.
HwConfig load_hardware(const std::string& path, const std::vector<std::string>& sets);

}  // namespace bitgrid
