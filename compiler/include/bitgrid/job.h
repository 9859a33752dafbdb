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

}  // namespace bitgrid
