#pragma once
// A `hashgrid` layer of a model graph (docs/ARCHITECTURE.md §3.3): the YAML form, shared by `bitgrid encode` and
// the model workload.
//
//   - {type: hashgrid, name: enc, dims: 2, levels: 16, features: 2, log2_table: 19, base_res: 16,
//      per_level_scale: 2.0 | max_res: 2048, interpolation: linear | smoothstep}
//
// dims is required; the others default to tiny-cuda-nn's HashGrid defaults (L 16, F 2, T 19, N_min 16, b 2.0,
// linear). max_res gives b as Instant-NGP's configs do: exp(ln(max_res / base_res) / (levels - 1)).
#include <string>

#include "bitgrid/hashgrid.h"
#include "bitgrid/workload.h"

namespace bitgrid {

struct HashgridLayer {
  std::string name;
  size_t index = 0;  // its place in workload.layers
  hashgrid::GridConfig grid;
};

// One layer's map; throws Error naming `where` and the key (unknown keys, ranges, both per_level_scale and max_res).
HashgridLayer parse_hashgrid_layer(const YAML::Node& n, const std::string& where);

// The hashgrid layer of a run config's workload.layers: the one called `name`, or the first when `name` is
// empty. Throws Error naming the file when there is none (or none of that name).
HashgridLayer find_hashgrid_layer(const YAML::Node& root, const std::string& path, const std::string& name);

}  // namespace bitgrid
