#pragma once
// Multi-resolution hash-grid encoding (Instant-NGP), the reference model of the hash-grid encoder engine.
//
// Two numerics, both written once here:
//  - float: tiny-cuda-nn's GridEncodingTemplated (include/tiny-cuda-nn/encodings/grid.h, common_device.h) for
//    the hash grid type, float parameters, exactly: per-level scale exp2f(l*log2f(b))*N_min - 1, resolution
//    ceilf(scale) + 1, level sizes next_multiple(min(res^D, 2^31-1), 8) capped at 2^T, levels back to back and
//    feature-interleaved, position fmaf(scale, x, 0.5f), cell floorf, the coherent-prime hash and the dense
//    index in uint32 arithmetic (the dense test is tcnn's loop `stride <= size`, with its uint32 stride), and
//    per corner `result += weight * value` (weight the float product over the dimensions in order).
//  - fixed: the hardware's integer arithmetic, bit for bit (docs/ARCHITECTURE.md §3.3 "hashgrid"): coordinates
//    UQ1.23, level scales UQ16.16, positions UQ16.16, weights UQ1.16, table values int16 with a per-level
//    number of fractional bits, int32 accumulators.
#include <cstdint>
#include <string>
#include <vector>

namespace bitgrid::hashgrid {

enum class Interp { linear, smoothstep };

// The coherent primes of tiny-cuda-nn (fast_hash / coherent_prime_hash); dimension 0 multiplies by 1.
inline constexpr uint32_t kPrimes[7] = {1u,          2654435761u, 805459861u, 3674653429u,
                                        2097192037u, 1434869437u, 2165219737u};

// Limits this implementation accepts (each named in the error that enforces it).
inline constexpr uint32_t kMaxLevels = 32;     // tiny-cuda-nn's offset table holds 32 levels
inline constexpr uint32_t kMinLog2Table = 4;   // 16 entries
inline constexpr uint32_t kMaxLog2Table = 28;  // 2^28 entries of F floats per level at most
inline constexpr uint32_t kMaxRes = 32768;     // fixed point: the cell coordinate (res - 1 + 1) fits 16 bits
inline constexpr uint64_t kMaxParams = uint64_t{1} << 31;  // all levels' floats together

struct GridConfig {
  uint32_t dims = 3;             // D: 2 or 3
  uint32_t levels = 16;          // L: 1..32
  uint32_t features = 2;         // F: 1, 2, 4 or 8
  uint32_t log2_table = 19;      // T: a hashed level holds at most 2^T entries
  uint32_t base_res = 16;        // N_min >= 1
  float per_level_scale = 2.0f;  // b >= 1 (or computed from max_res: exp(ln(N_max/N_min)/(L-1)))
  Interp interp = Interp::linear;

  uint32_t out_features() const { return levels * features; }
};

// Checks every field against its range; throws Error "<where>.<key>: <value> is outside <range>".
void validate(const GridConfig& c, const std::string& where);
// b from the finest resolution, as Instant-NGP's configs give it: exp(ln(max_res / base_res) / (L - 1)),
// computed in double and rounded to float (1 for L = 1).
float per_level_scale_for(uint32_t base_res, uint32_t max_res, uint32_t levels);

struct Level {
  float scale = 0;       // exp2f(l*log2f(b))*N_min - 1
  uint32_t res = 0;      // ceilf(scale) + 1
  uint32_t size = 0;     // entries of the level's table
  uint32_t offset = 0;   // first entry (levels back to back)
  bool dense = false;    // index = sum c_d*res^d (uint32) instead of the hash
  uint32_t scale_q = 0;  // fixed point: round(scale * 2^16)
};

// The level table; throws Error naming the limit when the configuration exceeds kMaxRes or kMaxParams.
std::vector<Level> level_table(const GridConfig& c);
// Total float parameters (sum of sizes times F).
uint64_t n_params(const GridConfig& c, const std::vector<Level>& levels);

// tiny-cuda-nn's grid_index for one corner (coordinates c[0..D-1]), without the feature: the entry in the level.
uint32_t corner_index(const Level& lv, uint32_t dims, const uint32_t* c);
uint32_t coherent_hash(uint32_t dims, const uint32_t* c);

// Float encoding: points [n][D] in [0, 1] (not checked here), params as level_table lays them out, out
// [n][L*F] (feature l*F + f). Single-threaded; encode_float_mt spreads points over threads (same bytes).
void encode_float(const GridConfig& c, const std::vector<Level>& levels, const float* points, size_t n,
                  const float* params, float* out);
// encode_float that also records, per point, level and corner (index [(i*L + l)*2^D + corner]), the corner's
// entry in the whole table (level offset + index) and its weight: what training's backward pass scatters into.
void encode_float_record(const GridConfig& c, const std::vector<Level>& levels, const float* points, size_t n,
                         const float* params, float* out, uint32_t* entries, float* weights);
void encode_float_mt(const GridConfig& c, const std::vector<Level>& levels, const float* points, size_t n,
                     const float* params, float* out, unsigned threads = 0);

// ---- fixed point ----
inline constexpr int kCoordFrac = 23;   // coordinate UQ1.23: x in [0, 1] is 0..2^23
inline constexpr int kScaleFrac = 16;   // level scale UQ16.16
inline constexpr int kPosFrac = 16;     // position UQ16.16: cell = pos >> 16, frac = pos & 0xffff
inline constexpr int kWeightFrac = 16;  // weights UQ1.16: 1.0 = 65536
inline constexpr int kMaxTableFrac = 15;

// x in [0, 1] (checked by the caller) to UQ1.23, rounding to nearest (exact in double).
uint32_t quantize_coord(float x);

// Table values of one level as int16 with `frac` fractional bits.
struct FixedTable {
  std::vector<int16_t> values;  // the whole table, same layout as the float params
  std::vector<int> frac;        // per level: the largest f <= 15 with every |round(v * 2^f)| <= 32767
};
// Throws Error naming the level when a value needs more than int16 at 0 fractional bits (|v| >= 32767.5)
// or is not finite.
FixedTable quantize_table(const GridConfig& c, const std::vector<Level>& levels, const float* params);

// Fixed encoding of already quantized coordinates xq [n][D] (UQ1.23): acc [n][L*F], int32, in units of
// 2^-(16 + frac[l]).
void encode_fixed(const GridConfig& c, const std::vector<Level>& levels, const uint32_t* xq, size_t n,
                  const FixedTable& table, int32_t* acc);
// One level's interpolation weights (UQ1.16) along one dimension, and the cell, as the hardware computes them.
struct AxisWeights {
  uint32_t cell = 0;
  uint32_t w0 = 0, w1 = 0;  // weights of corner cell and cell + 1
};
AxisWeights axis_weights(uint32_t scale_q, uint32_t xq, Interp interp);

// The float value of an accumulator of level l.
inline double acc_value(int32_t acc, int frac) { return double(acc) / double(uint64_t{1} << (16 + frac)); }

}  // namespace bitgrid::hashgrid
