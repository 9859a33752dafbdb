// Multi-resolution hash-grid encoding: tiny-cuda-nn's float semantics and the hardware's fixed point
// (bitgrid/hashgrid.h, docs/ARCHITECTURE.md §3.3).
//
// This file is compiled with -ffp-contract=off (model/CMakeLists.txt): every float operation below is rounded
// as written, whatever the target's FMA support, so the float encoding is the same on every x86/ARM build.
#include "bitgrid/hashgrid.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "bitgrid/error.h"
#include "bitgrid/parallel.h"

namespace bitgrid::hashgrid {

namespace {

template <class T>
std::string str(T v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

void range(const std::string& where, const char* key, uint64_t v, uint64_t lo, uint64_t hi) {
  if (v < lo || v > hi) throw Error(where + "." + key + ": " + str(v) + " is outside " + str(lo) + ".." + str(hi));
}

}  // namespace

void validate(const GridConfig& c, const std::string& where) {
  range(where, "dims", c.dims, 2, 3);
  range(where, "levels", c.levels, 1, kMaxLevels);
  if (c.features != 1 && c.features != 2 && c.features != 4 && c.features != 8)
    throw Error(where + ".features: " + str(c.features) + " is not 1, 2, 4 or 8");
  range(where, "log2_table", c.log2_table, kMinLog2Table, kMaxLog2Table);
  range(where, "base_res", c.base_res, 1, kMaxRes);
  if (!std::isfinite(c.per_level_scale) || c.per_level_scale < 1.0f || c.per_level_scale > 16.0f)
    throw Error(where + ".per_level_scale: " + str(c.per_level_scale) + " is outside 1..16");
}

float per_level_scale_for(uint32_t base_res, uint32_t max_res, uint32_t levels) {
  if (levels <= 1 || max_res <= base_res) return 1.0f;
  return static_cast<float>(std::exp(std::log(double(max_res) / double(base_res)) / double(levels - 1)));
}

std::vector<Level> level_table(const GridConfig& c) {
  validate(c, "hashgrid");
  // As GridEncodingTemplated's constructor: std::log2 of a float is the float log2.
  const float log2b = std::log2(c.per_level_scale);
  std::vector<Level> out(c.levels);
  uint64_t offset = 0;
  for (uint32_t l = 0; l < c.levels; ++l) {
    Level& lv = out[l];
    lv.scale = std::exp2(static_cast<float>(l) * log2b) * static_cast<float>(c.base_res) - 1.0f;
    lv.res = static_cast<uint32_t>(std::ceil(lv.scale)) + 1;
    if (lv.res > kMaxRes)
      throw Error("hashgrid: level " + str(l) + " has resolution " + str(lv.res) + ", above " + str(kMaxRes) +
                  " (the hardware's cell coordinates are 16 bits; lower levels, base_res or per_level_scale)");
    const uint32_t max_params = std::numeric_limits<uint32_t>::max() / 2;
    uint32_t params = 0;
    if (std::pow(static_cast<float>(lv.res), static_cast<float>(c.dims)) > static_cast<float>(max_params)) {
      params = max_params;
    } else {
      params = 1;
      for (uint32_t d = 0; d < c.dims; ++d) params *= lv.res;
    }
    params = (params + 7u) / 8u * 8u;  // next_multiple(params, 8): 2^31 - 1 becomes 2^31
    params = std::min(params, uint32_t{1} << c.log2_table);
    lv.size = params;
    // tcnn's grid_index loop, uint32 stride included: the level is dense iff the loop visits every dimension
    // and the stride stays within the level (res^D may wrap to a small number in uint32; tcnn then indexes
    // densely, and so does this model).
    uint32_t stride = 1;
    for (uint32_t d = 0; d < c.dims && stride <= lv.size; ++d) stride *= lv.res;
    lv.dense = !(lv.size < stride);
    lv.offset = static_cast<uint32_t>(offset);
    lv.scale_q = static_cast<uint32_t>(std::floor(double(lv.scale) * 65536.0 + 0.5));
    offset += lv.size;
    if (offset * c.features > kMaxParams)
      throw Error("hashgrid: the levels up to " + str(l) + " need " + str(offset * c.features) + " parameters, above " +
                  str(kMaxParams) + " (lower log2_table, levels or features)");
  }
  return out;
}

uint64_t n_params(const GridConfig& c, const std::vector<Level>& levels) {
  if (levels.empty()) return 0;
  return (uint64_t{levels.back().offset} + levels.back().size) * c.features;
}

uint32_t coherent_hash(uint32_t dims, const uint32_t* c) {
  uint32_t h = 0;
  for (uint32_t d = 0; d < dims; ++d) h ^= c[d] * kPrimes[d];
  return h;
}

uint32_t corner_index(const Level& lv, uint32_t dims, const uint32_t* c) {
  uint32_t idx = 0;
  if (lv.dense) {
    uint32_t stride = 1;
    for (uint32_t d = 0; d < dims; ++d) {
      idx += c[d] * stride;
      stride *= lv.res;
    }
  } else {
    idx = coherent_hash(dims, c);
  }
  // Hashed levels hold 2^T entries: a mask; dense ones next_multiple(res^D, 8): a division.
  return (lv.size & (lv.size - 1)) == 0 ? idx & (lv.size - 1) : idx % lv.size;
}

namespace {

void encode_float_range(const GridConfig& c, const std::vector<Level>& levels, const float* points, size_t begin,
                        size_t end, const float* params, float* out, uint32_t* entries = nullptr,
                        float* weights = nullptr) {
  const uint32_t D = c.dims, F = c.features, LF = c.out_features();
  for (size_t i = begin; i < end; ++i) {
    const float* x = points + i * D;
    for (uint32_t l = 0; l < c.levels; ++l) {
      const Level& lv = levels[l];
      float pos[3];
      uint32_t cell[3];
      for (uint32_t d = 0; d < D; ++d) {
        float p = std::fma(lv.scale, x[d], 0.5f);
        const float t = std::floor(p);
        cell[d] = static_cast<uint32_t>(static_cast<int>(t));
        p -= t;
        if (c.interp == Interp::smoothstep) p = p * p * (3.0f - 2.0f * p);
        pos[d] = p;
      }
      float result[8] = {};
      const float* grid = params + uint64_t{lv.offset} * F;
      for (uint32_t corner = 0; corner < (1u << D); ++corner) {
        float weight = 1;
        uint32_t local[3];
        for (uint32_t d = 0; d < D; ++d) {
          if ((corner & (1u << d)) == 0) {
            weight *= 1 - pos[d];
            local[d] = cell[d];
          } else {
            weight *= pos[d];
            local[d] = cell[d] + 1;
          }
        }
        const uint32_t idx = corner_index(lv, D, local);
        const float* val = grid + uint64_t{idx} * F;
        for (uint32_t f = 0; f < F; ++f) result[f] += weight * val[f];
        if (entries) {
          const size_t r = (i * c.levels + l) * (size_t{1} << D) + corner;
          entries[r] = lv.offset + idx;
          weights[r] = weight;
        }
      }
      std::copy(result, result + F, out + i * LF + l * F);
    }
  }
}

}  // namespace

void encode_float(const GridConfig& c, const std::vector<Level>& levels, const float* points, size_t n,
                  const float* params, float* out) {
  encode_float_range(c, levels, points, 0, n, params, out);
}

void encode_float_record(const GridConfig& c, const std::vector<Level>& levels, const float* points, size_t n,
                         const float* params, float* out, uint32_t* entries, float* weights) {
  encode_float_range(c, levels, points, 0, n, params, out, entries, weights);
}

void encode_float_mt(const GridConfig& c, const std::vector<Level>& levels, const float* points, size_t n,
                     const float* params, float* out, unsigned threads) {
  const size_t chunks = threads ? threads : parallel_threads();
  parallel_for(n, std::max<size_t>(1, std::min<size_t>(chunks, n / 1024 + 1)),
               [&](size_t b, size_t e) { encode_float_range(c, levels, points, b, e, params, out); });
}

uint32_t quantize_coord(float x) { return static_cast<uint32_t>(std::floor(double(x) * (1 << kCoordFrac) + 0.5)); }

AxisWeights axis_weights(uint32_t scale_q, uint32_t xq, Interp interp) {
  // UQ16.16 x UQ1.23 = 39 fractional bits; drop 23 (floor) and add the half cell.
  const uint64_t p = uint64_t{scale_q} * xq;
  const uint32_t pos = static_cast<uint32_t>((p >> kCoordFrac) + (1u << (kPosFrac - 1)));
  AxisWeights a;
  a.cell = pos >> kPosFrac;
  uint32_t f = pos & ((1u << kPosFrac) - 1);
  if (interp == Interp::smoothstep) {
    const uint64_t f2 = (uint64_t{f} * f) >> 16;  // UQ0.16
    const uint64_t t = 3u * 65536u - 2u * f;      // 3 - 2f, UQ2.16
    f = static_cast<uint32_t>((f2 * t) >> 16);    // f^2 (3 - 2f), < 65536
  }
  a.w1 = f;
  a.w0 = (1u << kWeightFrac) - f;
  return a;
}

FixedTable quantize_table(const GridConfig& c, const std::vector<Level>& levels, const float* params) {
  FixedTable t;
  t.values.resize(n_params(c, levels));
  t.frac.resize(levels.size());
  for (size_t l = 0; l < levels.size(); ++l) {
    const uint64_t b = uint64_t{levels[l].offset} * c.features, e = b + uint64_t{levels[l].size} * c.features;
    double amax = 0;
    for (uint64_t i = b; i < e; ++i) {
      if (!std::isfinite(params[i]))
        throw Error("hashgrid: parameter " + str(i) + " (level " + str(l) + ") is not finite");
      amax = std::max(amax, std::fabs(double(params[i])));
    }
    int frac = kMaxTableFrac;
    while (frac > 0 && std::floor(amax * double(1 << frac) + 0.5) > 32767.0) --frac;
    if (std::floor(amax * double(1 << frac) + 0.5) > 32767.0)
      throw Error("hashgrid: level " + str(l) + " holds a parameter of magnitude " + str(amax) +
                  ", beyond the int16 table format (|v| < 32767.5)");
    t.frac[l] = frac;
    const double s = double(1 << frac);
    for (uint64_t i = b; i < e; ++i) t.values[i] = static_cast<int16_t>(std::lround(double(params[i]) * s));
  }
  return t;
}

void encode_fixed(const GridConfig& c, const std::vector<Level>& levels, const uint32_t* xq, size_t n,
                  const FixedTable& table, int32_t* acc) {
  const uint32_t D = c.dims, F = c.features, LF = c.out_features();
  for (size_t i = 0; i < n; ++i) {
    for (uint32_t l = 0; l < c.levels; ++l) {
      const Level& lv = levels[l];
      AxisWeights a[3];
      for (uint32_t d = 0; d < D; ++d) a[d] = axis_weights(lv.scale_q, xq[i * D + d], c.interp);
      int64_t sum[8] = {};
      const int16_t* grid = table.values.data() + uint64_t{lv.offset} * F;
      for (uint32_t corner = 0; corner < (1u << D); ++corner) {
        uint32_t local[3];
        uint64_t w = 0;
        for (uint32_t d = 0; d < D; ++d) {
          const bool hi = (corner >> d) & 1u;
          local[d] = a[d].cell + (hi ? 1u : 0u);
          const uint64_t wd = hi ? a[d].w1 : a[d].w0;
          w = d == 0 ? wd : (w * wd) >> kWeightFrac;  // UQ1.16 times UQ1.16, floor back to UQ1.16
        }
        const int16_t* val = grid + uint64_t{corner_index(lv, D, local)} * F;
        for (uint32_t f = 0; f < F; ++f) sum[f] += static_cast<int64_t>(w) * val[f];
      }
      // The weights of a point add up to at most 1.0 (each product is floored), so |sum| <= 2^16 * 2^15 and
      // only -2^31 reaches the bound: every sum fits int32.
      for (uint32_t f = 0; f < F; ++f) acc[i * LF + l * F + f] = static_cast<int32_t>(sum[f]);
    }
  }
}

}  // namespace bitgrid::hashgrid
