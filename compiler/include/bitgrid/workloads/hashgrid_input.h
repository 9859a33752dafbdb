#pragma once
// The hash-grid encoder as the on-chip input of a model graph (docs/ARCHITECTURE.md §3.4): the level tables and
// descriptors laid out in gbuf segments, the points in xbuf, one hgenc per m tile writing the INT8 features into
// abuf for the first linear layer (compile_model's OnChipInput), and the independent computation of those
// features (hashgrid::encode_fixed, then the requantization) the run is verified against.
#include <cstdint>
#include <string>
#include <vector>

#include "bitgrid/hashgrid.h"
#include "bitgrid/hwconfig.h"
#include "bitgrid/workloads/model.h"

namespace bitgrid {

// A quantized hash grid: the fixed-point tables and each level's requantization of its accumulators to its INT8
// feature scale (feature = acc * 2^-(16 + frac_l) / scale_l; the first linear layer folds scale_l into its weights).
struct HashgridQ {
  std::string name = "enc";
  hashgrid::GridConfig grid;
  std::vector<hashgrid::Level> levels;
  hashgrid::FixedTable table;
  std::vector<uint32_t> mult, shift;  // per level
  std::vector<double> scale;          // per level
};
// Quantizes float parameters (tiny-cuda-nn's layout) and sets each level's requantization to its feature scale.
HashgridQ quantize_hashgrid(const std::string& name, const hashgrid::GridConfig& c, const float* params,
                            const std::vector<double>& scale);

// The INT8 features [n][L*F] of points xq [n][D] (UQ1.23): encode_fixed and the requantization, written apart
// from the engine.
std::vector<int8_t> hashgrid_features_int8(const HashgridQ& g, const std::vector<uint32_t>& xq);

// Where the grid lives on the machine.
struct HashgridPlacement {
  std::vector<uint64_t> seg_lines;  // lines of each engine's segment in use (descriptors, then tables; most of a pass)
  std::vector<std::pair<uint64_t, uint64_t>> passes;  // level ranges [l0, l1) whose tables are on chip together
  uint64_t x_half = 0;                                // words of each xbuf half
  uint64_t table_bytes = 0;                           // DRAM bytes of the tables and descriptors (all passes)
};

// The OnChipInput of a graph whose first linear layer reads the grid's features (K = L*F); the points are
// xq [n][D]. Tables beyond gbuf are encoded in passes of levels (each m tile loads each pass's tables). Throws
// Error naming the limit: a group of mac_cols / F levels whose tables exceed a gbuf segment, rows hgenc cannot
// write.
OnChipInput hashgrid_input(const HashgridQ& g, const std::vector<uint32_t>& xq, const HwConfig& hw,
                           HashgridPlacement* placement = nullptr);

}  // namespace bitgrid
