#pragma once
// A run configuration (CONFIG.yaml): hardware + energy table + workload, loaded and validated.
#include <optional>
#include <string>
#include <vector>

#include "bitgrid/compiler.h"
#include "bitgrid/energy.h"
#include "bitgrid/floatknn.h"
#include "bitgrid/hwconfig.h"

namespace bitgrid {

struct Job {
  std::string config_path;
  HwConfig hw;
  EnergyTable energy;
  std::string workload_type;
  HammingTopkWorkload workload;
  // Float inputs (when the codes come from SimHash): kept for recall against exact float kNN.
  std::optional<FloatMatrix> float_db, float_queries;
  uint64_t seed = 1;
};

// Loads CONFIG.yaml, applies "key.path=value" overrides, loads or generates the data. Every problem
// throws bitgrid::Error naming the file and key.
Job load_job(const std::string& path, const std::vector<std::string>& sets);

}  // namespace bitgrid
