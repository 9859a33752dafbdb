#pragma once
// A run configuration (CONFIG.yaml): hardware + energy table + workload, loaded and validated.
#include <memory>
#include <string>
#include <vector>

#include "bitgrid/energy.h"
#include "bitgrid/hwconfig.h"
#include "bitgrid/workload.h"

namespace bitgrid {

struct Job {
  std::string config_path;
  HwConfig hw;
  EnergyTable energy;
  std::string workload_type;
  std::unique_ptr<Workload> workload;
};

// Loads CONFIG.yaml, applies "key.path=value" overrides, and loads the workload (make_workload by
// workload.type). Every problem throws bitgrid::Error naming the file and key.
Job load_job(const std::string& path, const std::vector<std::string>& sets);

// workload.type of CONFIG.yaml with the overrides applied, without loading the hardware, energy or workload
// data (a model's quantization can take a while). Throws the errors load_job gives for the file, the
// overrides, the top-level keys and the workload section's type.
std::string load_workload_type(const std::string& path, const std::vector<std::string>& sets);

}  // namespace bitgrid
