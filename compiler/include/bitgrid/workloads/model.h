#pragma once
// Models of quantized linear layers on the bit-serial MAC array (engine bitmac, docs/ARCHITECTURE.md
// §3.2): each layer's integer operands, the lowering of a list of layers (tiling over M, N and K, double-
// buffered activations, weights and outputs, layers chained on chip or through DRAM) and the independent integer
// computation results are checked against.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bitgrid/engines/bitmac.h"
#include "bitgrid/hwconfig.h"
#include "bitgrid/workload.h"

namespace bitgrid {

// The integer operands of one layer Y = requant(X W^T + b), as the quantizer and the calibration left them.
struct LinearQ {
  std::string name = "linear";   // for error messages ("layer fc1: ...")
  std::string input;             // "" : its own activations `x`; else the earlier layer whose outputs it reads
  uint64_t m = 1, k = 0, n = 0;  // X [m][k], W [n][k], Y [m][n]
  uint64_t dtype = 0, group = 128;
  bool relu = false, out32 = false;
  std::vector<int8_t> x;                  // [m][k] (for a chained layer: the producer's reference outputs)
  std::optional<uint64_t> x_dram;         // x is already in DRAM there, [m][k] row-major (an earlier program part's)
  std::vector<uint8_t> codes;             // [n][k] codes of dtype
  std::vector<uint8_t> scale, sel;        // [n][k/group]
  std::vector<bitmac::Channel> channels;  // [n]
};

// The integer outputs of the layer computed directly from its operands (no packing, no tiling): the
// independent computation the accelerator's outputs are compared with. INT8 (or INT32) values, [m][n].
std::vector<int32_t> linear_reference(const LinearQ& l);

// Where a layer lives in DRAM and how it was cut. X is [m][k] INT8 row-major at x_addr, Y [m][n_pad]
// (INT8 or INT32) row-major at y_addr. K is cut into k_chunks chunks of k_chunk_groups groups (the last may be
// shorter; one chunk when a whole tile's weights fit half of wbuf): a unit is one output tile's weights of
// one chunk. The units' packed weights (w_bytes each, a tile's chunks one after another) are at w_addr, their
// side data (s_bytes each) at s_addr. Weights and side data move units_per_load units per load instruction
// (so a load's DRAM latency is paid once per group, not per unit).
struct LayerLayout {
  uint64_t m_tile = 0, m_tiles = 0, n_tiles = 0, n_pad = 0, out_bytes = 1, units_per_load = 1;
  uint64_t k_chunks = 1, k_chunk_groups = 0;
  bool on_chip = false;  // the outputs stay in abuf (words from `region`) for the layers reading them, not in DRAM
  uint64_t region = 0;
  uint64_t x_addr = 0, w_addr = 0, s_addr = 0, w_bytes = 0, s_bytes = 0, y_addr = 0;
  uint64_t weight_dram_bytes = 0;  // weights + scales + parameters of all units
};

// A producer of the first layer's activations on chip (the hash-grid encoder, compiler/src/workloads/hashgrid_*.cpp):
// instead of loading X rows from DRAM, each m tile of layer 0 loads the producer's own inputs and an instruction
// of the producer writes the tile's INT8 rows [rows][K] into its half of abuf. compile_model places `data` in DRAM
// (at `base`, beat aligned), emits the loads of its data (see `passes`; on the load queue, the compute queue waits
// for them with one token), and per m tile `tile_load` (on the load queue) and `tile_compute` (on the compute
// queue, before the tile's gemms); it sets their token flags. Layer 0 must read x with K in one chunk.
struct OnChipInput {
  std::string name;           // a program section of its own (after the layers')
  std::vector<uint8_t> data;  // its DRAM data
  uint64_t max_rows = 0;      // rows an m tile may have at most (the producer's buffers)
  uint64_t row_bytes = 0;     // DRAM bytes of one row's inputs (tiles start beat aligned in them)
  // Its on-chip data in `passes` parts: with one, pass_load(base, 0) runs once before anything; with more, each
  // m tile runs every pass p in turn: pass_load(base, p) (after the previous pass's compute) then its
  // tile_compute(..., p).
  uint64_t passes = 1;
  std::function<std::vector<Insn>(uint64_t base, uint64_t pass)> pass_load;
  std::function<Insn(uint64_t base, uint64_t row0, uint64_t rows, uint64_t tile)> tile_load;
  std::function<Insn(uint64_t row0, uint64_t rows, uint64_t tile, uint64_t abuf_addr, uint64_t pass)> tile_compute;
};

struct ModelCompiled : Lowered {
  std::vector<LayerLayout> layers;
};

// Lowers the layers, in order, onto `hw`: one checked program and the DRAM image. A layer whose `input`
// names an earlier layer reads that layer's outputs from an abuf region when they are kept on chip
// (keep_on_chip, every reader takes whole rows of K and the regions fit half of abuf; LayerLayout::on_chip),
// else from DRAM once all of them are stored. Throws Error naming the layer and the limit when it cannot be
// mapped.
// With `dram_base`, the layers' DRAM image starts there (the bytes below belong to the program parts before them).
ModelCompiled compile_model(const std::vector<LinearQ>& layers, const HwConfig& hw, bool keep_on_chip = true,
                            const OnChipInput* input = nullptr, uint64_t dram_base = 0);
// A layer's Y [m][n] from a final DRAM image (not for a layer whose outputs stayed on chip).
std::vector<int32_t> decode_layer(const LinearQ& l, const LayerLayout& lay, const std::vector<uint8_t>& memory);

}  // namespace bitgrid
