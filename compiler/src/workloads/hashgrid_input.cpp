// The hash-grid encoder feeding a model graph's first linear layer on chip (docs/ARCHITECTURE.md §3.4, R12).
// gbuf: level l in engine l % hg_engines; each segment holds its levels' descriptors in lines 0 .. J-1 (J =
// ceil(L / hg_engines)), then their tables one after another in the bank-interleaved layout. DRAM holds the
// segments' used lines one after another (per pass), then the points (two words each). With one pass the
// prologue loads each segment once, and every m tile loads its points into a half of xbuf and one hgenc writes
// its rows of INT8 features; with several (tables beyond gbuf), every m tile loads each pass's tables in turn
// and its hgenc writes the pass's columns of the rows.
#include "bitgrid/workloads/hashgrid_input.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "bitgrid/engines/hashgrid.h"
#include "bitgrid/error.h"
#include "bitgrid/workload_util.h"

namespace bitgrid {

HashgridQ quantize_hashgrid(const std::string& name, const hashgrid::GridConfig& c, const float* params,
                            const std::vector<double>& scale) {
  HashgridQ g;
  g.name = name;
  g.grid = c;
  g.levels = hashgrid::level_table(c);
  g.table = hashgrid::quantize_table(c, g.levels, params);
  g.scale = scale;
  for (uint32_t l = 0; l < c.levels; ++l) {
    const Multiplier m = requant_multiplier(std::ldexp(1.0, -(16 + g.table.frac[l])) / scale[l]);
    g.mult.push_back(m.mult);
    g.shift.push_back(m.shift);
  }
  return g;
}

std::vector<int8_t> hashgrid_features_int8(const HashgridQ& g, const std::vector<uint32_t>& xq) {
  const uint64_t n = xq.size() / g.grid.dims, nf = g.grid.out_features();
  std::vector<int32_t> acc(n * nf);
  hashgrid::encode_fixed(g.grid, g.levels, xq.data(), n, g.table, acc.data());
  std::vector<int8_t> x(acc.size());
  for (uint64_t i = 0; i < acc.size(); ++i) {
    const uint64_t l = (i % nf) / g.grid.features;
    // (acc * mult + half) >> shift, rounded half up, saturated: §3.4's requantization written out again, apart
    // from the engine's (the run is verified against these features)
    const int64_t t = int64_t{acc[i]} * g.mult[l];
    const int64_t r = g.shift[l] ? (t + (int64_t{1} << (g.shift[l] - 1))) >> g.shift[l] : t;
    x[i] = static_cast<int8_t>(std::clamp<int64_t>(r, -128, 127));
  }
  return x;
}

OnChipInput hashgrid_input(const HashgridQ& g, const std::vector<uint32_t>& xq, const HwConfig& hw,
                           HashgridPlacement* placement) {
  const std::string where = "layer " + g.name;
  if (!isa::engine_present(isa::kEngineHashgrid, hw))
    throw Error(where + ": the machine has no hash-grid encoder (has_hashgrid = 0)");
  const hashgrid::GridConfig& c = g.grid;
  const uint64_t E = hgenc::engines(hw), L = c.levels, F = c.features, D = c.dims;
  const uint64_t W = hgenc::write_words(hw), wb = static_cast<uint64_t>(hw.beat_words()), beat = wb * 8;
  if (D > static_cast<uint64_t>(hw.hg_max_dims))
    throw Error(where + ": dims = " + std::to_string(D) +
                ", the encoder serves at most hg_max_dims = " + std::to_string(hw.hg_max_dims));
  const uint64_t row_words = L * F / 8;
  if ((L * F) % 8 || row_words % W || row_words > hgenc::kMaxRowWords)
    throw Error(where + ": levels * features = " + std::to_string(L * F) +
                " INT8 features per point must be a multiple of " + std::to_string(8 * W) + " (mac_cols) and at most " +
                std::to_string(8 * hgenc::kMaxRowWords));
  // Passes: ranges of levels whose tables fit gbuf together, made of whole column blocks (a block's INT8
  // features fill whole abuf writes: mac_cols / F levels). One pass keeps every table on chip (loaded once by the
  // prologue); with more, each m tile runs them one after another, loading each pass's tables and encoding its
  // levels into their columns of the tile's rows (o_skip over the others).
  const uint64_t block = std::min<uint64_t>(L, 8 * W / F), seg_lines = hgenc::segment_lines(hw);
  struct Pass {
    uint64_t l0, l1;
    std::vector<uint64_t> used, base;  // lines used per segment; each level's first table line
  };
  auto plan = [&](uint64_t l0, uint64_t l1) {  // levels [l0, l1): level l in engine (l - l0) % E
    Pass p{l0, l1, std::vector<uint64_t>(E, hgenc::levels_per_engine(hw, l1 - l0)), std::vector<uint64_t>(l1 - l0)};
    for (uint64_t l = l0; l < l1; ++l) {
      p.base[l - l0] = p.used[(l - l0) % E];
      p.used[(l - l0) % E] += hgenc::table_lines(g.levels[l].size, F);
    }
    return p;
  };
  auto fits = [&](const Pass& p) { return *std::max_element(p.used.begin(), p.used.end()) <= seg_lines; };
  std::vector<Pass> passes;
  for (uint64_t l0 = 0; l0 < L;) {
    uint64_t l1 = std::min(L, l0 + block);
    Pass p = plan(l0, l1);
    if (!fits(p)) {
      const auto e = static_cast<uint64_t>(std::max_element(p.used.begin(), p.used.end()) - p.used.begin());
      std::string lv;
      for (uint64_t l = l0 + e; l < l1; l += E) lv += (lv.empty() ? "" : ", ") + std::to_string(l);
      throw Error(where + ": the tables of levels " + lv + " (encoder " + std::to_string(e) + ") need " +
                  std::to_string(p.used[e] * hgenc::kLineWords * 8) + " bytes of gbuf, a segment holds " +
                  std::to_string(seg_lines * hgenc::kLineWords * 8) + " (gbuf_kib = " + std::to_string(hw.gbuf_kib) +
                  " over hg_engines = " + std::to_string(E) + "; levels " + std::to_string(l0) + ".." +
                  std::to_string(l1 - 1) + " are the smallest group encoded together, mac_cols / features = " +
                  std::to_string(8 * W / F) + "): tables beyond the hardware");
    }
    while (l1 < L) {  // grow by whole blocks while the tables fit
      Pass q = plan(l0, std::min(L, l1 + block));
      if (!fits(q)) break;
      p = std::move(q);
      l1 = p.l1;
    }
    passes.push_back(std::move(p));
    l0 = l1;
  }
  OnChipInput in;
  in.name = g.name;
  in.passes = passes.size();
  std::vector<std::vector<uint64_t>> seg_off(passes.size(), std::vector<uint64_t>(E));  // in `data`
  uint64_t bytes = 0;
  for (size_t pi = 0; pi < passes.size(); ++pi)
    for (uint64_t e = 0; e < E; ++e) {
      seg_off[pi][e] = bytes;
      bytes += round_up(passes[pi].used[e] * hgenc::kLineWords * 8, beat);
    }
  const uint64_t table_bytes = bytes, n = xq.size() / D;
  in.data.assign(table_bytes + round_up(n * hgenc::kPointWords * 8, beat) + beat, 0);
  for (size_t pi = 0; pi < passes.size(); ++pi)
    for (uint64_t l = passes[pi].l0; l < passes[pi].l1; ++l) {
      const uint64_t i = l - passes[pi].l0, e = i % E, base = passes[pi].base[i];
      uint64_t* seg = reinterpret_cast<uint64_t*>(in.data.data() + seg_off[pi][e]);
      hgenc::Descriptor d;
      const hashgrid::Level& lv = g.levels[l];
      d.scale_q = lv.scale_q;
      d.stride1 = lv.res;
      d.stride2 = lv.res * lv.res;
      d.size = lv.size;
      d.dense = lv.dense;
      d.base = static_cast<uint32_t>(base);
      d.mult = g.mult[l];
      d.shift = g.shift[l];
      hgenc::pack_descriptor(d, seg + (i / E) * hgenc::kLineWords);
      hgenc::pack_table(g.table.values.data() + uint64_t{lv.offset} * F, lv.size, F, seg + base * hgenc::kLineWords);
    }
  uint64_t* pts = reinterpret_cast<uint64_t*>(in.data.data() + table_bytes);
  for (uint64_t p = 0; p < n; ++p) {
    pts[2 * p] = uint64_t{xq[p * D]} | (uint64_t{xq[p * D + 1]} << 32);
    pts[2 * p + 1] = D == 3 ? xq[p * D + 2] : 0;
  }
  // xbuf halves: whole rows
  const uint64_t xrow = static_cast<uint64_t>(hw.row_words(isa::Buf::kXbuf));
  const uint64_t x_half = static_cast<uint64_t>(hw.buf_words(isa::Buf::kXbuf)) / 2 / xrow * xrow;
  in.max_rows = std::min<uint64_t>(x_half / hgenc::kPointWords, (uint64_t{1} << isa::kHGENC_N_POINTS.width) - 1);
  in.row_bytes = hgenc::kPointWords * 8;
  if (in.max_rows == 0)
    throw Error(where + ": xbuf (xbuf_kib = " + std::to_string(hw.xbuf_kib) + ") holds no point per half");
  std::vector<std::vector<uint64_t>> used;
  for (const Pass& p : passes) used.push_back(p.used);
  const uint64_t seg_words = hgenc::segment_words(hw);
  in.pass_load = [E, used, seg_off, wb, seg_words](uint64_t b, uint64_t pass) {
    std::vector<Insn> v;
    for (uint64_t e = 0; e < E; ++e)
      v.push_back(make_load(isa::Buf::kGbuf, e * seg_words, round_up(used[pass][e] * hgenc::kLineWords, wb),
                            b + seg_off[pass][e]));
    return v;
  };
  in.tile_load = [table_bytes, x_half, wb](uint64_t b, uint64_t row0, uint64_t rows, uint64_t tile) {
    return make_load(isa::Buf::kXbuf, (tile % 2) * x_half, round_up(rows * hgenc::kPointWords, wb),
                     b + table_bytes + row0 * hgenc::kPointWords * 8);
  };
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const Pass& p : passes) ranges.emplace_back(p.l0, p.l1);
  in.tile_compute = [c, x_half, row_words, ranges](uint64_t, uint64_t rows, uint64_t tile, uint64_t abuf_addr,
                                                   uint64_t pass) {
    const uint64_t nf = c.features, l0 = ranges[pass].first, l1 = ranges[pass].second;
    isa::HgencInsn h;
    h.dims3 = c.dims == 3;
    h.log2_f = static_cast<uint64_t>(__builtin_ctz(c.features));
    h.smooth = c.interp == hashgrid::Interp::smoothstep;
    h.o_abuf = 1;
    h.n_lev = l1 - l0;
    h.o_row = (l1 - l0) * nf / 8;  // the pass's columns of the row
    h.o_skip = row_words - h.o_row;
    h.n_points = rows;
    h.x_addr = (tile % 2) * x_half;
    h.d_row = 0;
    h.o_addr = abuf_addr + l0 * nf / 8;
    return encode(h);
  };
  if (placement) {
    placement->seg_lines.assign(E, 0);
    for (const Pass& p : passes)
      for (uint64_t e = 0; e < E; ++e) placement->seg_lines[e] = std::max(placement->seg_lines[e], p.used[e]);
    placement->passes = ranges;
    placement->x_half = x_half;
    placement->table_bytes = table_bytes;
  }
  return in;
}

}  // namespace bitgrid
