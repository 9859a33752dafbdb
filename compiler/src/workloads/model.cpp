// Lowering of a list of quantized linear layers onto the MAC array (engine bitmac, docs/ARCHITECTURE.md
// §3.2, R11). Per layer, the output is cut into tiles of mac_cols channels (n) and of m_tile activation
// rows (m), and K into chunks when one tile's weights over the whole of K do not fit half of wbuf; a unit
// is (n tile, K chunk), and one gemm computes an (m tile, unit) pair. The chunks of a tile run one after
// another and carry their accumulators through pbuf (acc_out on all but the last, acc_in on all but the
// first). Activations of an m tile stay in one half of abuf (with K chunks: chunk by chunk, each chunk's
// rows contiguous, so a chunk's gemm reads rows of its own length; loaded row by row) while the weights and
// side data of the units stream through the halves of wbuf/sbuf (double buffering), as many units per load
// as half a buffer holds; the m tile's outputs collect in one half of obuf and are stored once after its
// last unit. Halves alternate over the whole program (steps and m tiles are counted across layers).
// Dependency tokens (R2/R3), with every counter accounted in order (a Ledger), step j = (m tile, a group of
// units):
//   loads of step j (activations when it starts an m tile, weights, side data): the last pushes l2c; the
//   step's first gemm pops it
//   the step's last gemm pushes c2l; the first load of step j pops c2l until step j-2 (same halves) is done
//   the last gemm of an m tile pushes c2s; its store pops it and pushes s2c
//   the first gemm of global m tile t pops s2c until the store of m tile t-2 (same obuf half) is known done
//   a layer reading an earlier layer's outputs: a compute nop pops s2c until that layer's last store and
//   pushes c2l; the layer's first loads wait for it (and are not hoisted above it)
//   finish pops s2c until the last store
//   an on-chip input (OnChipInput) in several passes: per m tile of layer 0 (not hoisted) its tile_load, then
//   per pass the pass's loads (the first pops c2l until the previous pass's compute, the last pushes l2c) and its
//   compute (pops l2c, pushes c2l), all before the step's weight loads, so l2c pops follow the pushes' order
#include "bitgrid/workloads/model.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cstring>
#include <numeric>

#include "bitgrid/checker.h"
#include "bitgrid/error.h"
#include "bitgrid/workload_util.h"

namespace bitgrid {

namespace {

// One token counter accounted in order: producers get indices as they are emitted; the consumer pops in
// order, so "wait for producer i" means popping until more than i tokens were consumed.
struct Ledger {
  uint64_t produced = 0, consumed = 0;
  uint64_t produce() { return produced++; }
  uint64_t pops_needed(uint64_t i) const { return consumed > i ? 0 : i + 1 - consumed; }
};

}  // namespace

std::vector<int32_t> linear_reference(const LinearQ& l) {
  // acc[m][n] = sum_k X[m][k] * value(W[n][k]) * scale[n][group(k)]: the per-group sums of the hardware
  // regrouped into one product (the same integers). Every partial sum is an integer below 2^53 (|term| <=
  // 2^22, K <= 2^20), so a double-precision GEMM (Eigen) computes it exactly.
  const uint64_t ng = l.k / l.group;
  Eigen::MatrixXd x(l.m, l.k), v(l.k, l.n);
  for (uint64_t m = 0; m < l.m; ++m)
    for (uint64_t k = 0; k < l.k; ++k) x(m, k) = l.x[m * l.k + k];
  for (uint64_t n = 0; n < l.n; ++n)
    for (uint64_t k = 0; k < l.k; ++k) {
      const uint64_t g = k / l.group;
      v(k, n) = double(isa::dtype_value(static_cast<int>(l.dtype), l.codes[n * l.k + k], l.sel[n * ng + g])) *
                l.scale[n * ng + g];
    }
  const Eigen::MatrixXd acc = x * v;
  std::vector<int32_t> y(l.m * l.n);
  for (uint64_t m = 0; m < l.m; ++m)
    for (uint64_t n = 0; n < l.n; ++n)
      y[m * l.n + n] =
          static_cast<int32_t>(bitmac::requant(static_cast<int64_t>(acc(m, n)), l.channels[n], l.relu, l.out32));
  return y;
}

namespace {
// Token flags OR-ed into an instruction a producer made.
void add_deps(Insn& in, const Deps& d) {
  if (d.pop_prev) in.set(isa::kPopPrevField, 1);
  if (d.pop_next) in.set(isa::kPopNextField, 1);
  if (d.push_prev) in.set(isa::kPushPrevField, 1);
  if (d.push_next) in.set(isa::kPushNextField, 1);
}
}  // namespace

ModelCompiled compile_model(const std::vector<LinearQ>& layers, const HwConfig& hw, bool keep_on_chip,
                            const OnChipInput* input, uint64_t dram_base) {
  if (layers.empty()) throw Error("model: no layers");
  if (input && !layers[0].input.empty())
    throw Error("layer " + layers[0].name + ": reads layer " + layers[0].input + ", not the on-chip " + input->name);
  const uint64_t R = bitmac::rows(hw), C = bitmac::cols(hw);
  const uint64_t wb = static_cast<uint64_t>(hw.beat_words()), beat = wb * 8;
  // Buffer halves: whole rows, and inside the range of the gemm's address fields.
  auto half = [&](isa::Buf b, uint64_t field_limit) {
    const uint64_t row = static_cast<uint64_t>(hw.row_words(b));
    return std::min(static_cast<uint64_t>(hw.buf_words(b)) / 2, field_limit) / row * row;
  };
  uint64_t ahalf = half(isa::Buf::kAbuf, 0xFFFF);  // shrinks below when outputs are kept in abuf
  const uint64_t whalf = half(isa::Buf::kWbuf, 0xFFFFF);
  const uint64_t shalf = half(isa::Buf::kSbuf, 0xFFFF), ohalf = half(isa::Buf::kObuf, 0xFFFF);

  // ---- plan and DRAM layout
  ModelCompiled out;
  out.layers.resize(layers.size());
  std::vector<int> producer(layers.size(), -1);
  uint64_t addr = round_up(dram_base, beat);
  for (size_t li = 0; li < layers.size(); ++li) {
    const LinearQ& l = layers[li];
    LayerLayout& lay = out.layers[li];
    const std::string where = "layer " + l.name;
    const uint64_t K = l.k, N = l.n, M = l.m;
    if (M < 1 || K < 1 || N < 1) throw Error(where + ": empty shape");
    if (l.dtype >= isa::kDtypes.size()) throw Error(where + ": unknown datatype id " + std::to_string(l.dtype));
    if (l.group < 1 || K % l.group)
      throw Error(where + ": group " + std::to_string(l.group) + " does not divide K = " + std::to_string(K));
    if (l.group % (2 * R))
      throw Error(where + ": group " + std::to_string(l.group) + " is not a multiple of 2*mac_rows = " +
                  std::to_string(2 * R) + " (a group is whole pairs of k-tiles)");
    if (l.group > bitmac::kMaxGroup)
      throw Error(where + ": group " + std::to_string(l.group) + " exceeds " + std::to_string(bitmac::kMaxGroup));
    const uint64_t gp = l.group / (2 * R), ng = K / l.group;
    if (l.codes.size() != N * K || l.scale.size() != N * ng || l.sel.size() != N * ng || l.channels.size() != N)
      throw Error(where + ": operands of the wrong size (codes " + std::to_string(l.codes.size()) + ", scales " +
                  std::to_string(l.scale.size()) + ", selectors " + std::to_string(l.sel.size()) + ", channels " +
                  std::to_string(l.channels.size()) + "; [N][K] = " + std::to_string(N * K) +
                  ", [N][K/group] = " + std::to_string(N * ng) + ", N = " + std::to_string(N) + ")");
    if (gp >= (uint64_t{1} << isa::kGEMM_GROUP_PAIRS.width))
      throw Error(where + ": group " + std::to_string(l.group) + " exceeds the gemm field group_pairs");
    if (ng >= bitmac::kMaxGroups)
      throw Error(where + ": K = " + std::to_string(K) + " is " + std::to_string(ng) + " groups of " +
                  std::to_string(l.group) + ", above the " + std::to_string(bitmac::kMaxGroups - 1) +
                  " the 48-bit accumulator holds exactly");
    // K chunks: as many groups per gemm as half of wbuf and of sbuf and the n_groups field take; chunk
    // starts beat aligned in an activation row (they are loaded row by row).
    auto chunk_fits = [&](uint64_t g) {
      return g < (uint64_t{1} << isa::kGEMM_N_GROUPS.width) &&
             round_up(bitmac::weight_words(hw, l.dtype, gp, g), wb) <= whalf &&
             round_up(bitmac::side_words(hw, g), wb) <= shalf;
    };
    if (!chunk_fits(1))
      throw Error(where + ": one group of " + std::to_string(C) + " output channels x " + std::to_string(l.group) +
                  " weights (" + std::to_string(bitmac::weight_words(hw, l.dtype, gp, 1) * 8) +
                  " bytes) or its parameters exceed half of wbuf (" + std::to_string(whalf * 8) +
                  " bytes; wbuf_kib = " + std::to_string(hw.wbuf_kib) + ") or of sbuf (" + std::to_string(shalf * 8) +
                  " bytes; sbuf_kib = " + std::to_string(hw.sbuf_kib) + ")");
    uint64_t ngc = ng;
    if (!chunk_fits(ng)) {
      if (K % beat)
        throw Error(where + ": K = " + std::to_string(K) +
                    " must be a multiple of dram_bytes_per_cycle = " + std::to_string(beat) +
                    " to be split (one tile's weights over the whole of K exceed half of wbuf, " +
                    std::to_string(whalf * 8) + " bytes)");
      const uint64_t qg = beat / std::gcd(l.group, beat);  // groups per beat-aligned chunk start
      uint64_t hi = 1;
      while (hi < ng && chunk_fits(hi + 1)) ++hi;
      hi = hi / qg * qg;
      if (hi == 0)
        throw Error(where + ": " + std::to_string(qg) +
                    " groups (the smallest beat-aligned K chunk) exceed half of wbuf (" + std::to_string(whalf * 8) +
                    " bytes) or of sbuf");
      ngc = round_up(ceil_div(ng, ceil_div(ng, hi)), qg);  // balanced chunks
    }
    lay.k_chunk_groups = ngc;
    lay.k_chunks = ceil_div(ng, ngc);
    const uint64_t n_pad = round_up(N, C), ob = l.out32 ? 4 : 1, o_stride = n_pad * ob / 8;
    if (o_stride >= (uint64_t{1} << isa::kGEMM_O_STRIDE.width))
      throw Error(where + ": an output row of " + std::to_string(n_pad * ob) +
                  " bytes exceeds the gemm field o_stride");
    lay.n_tiles = n_pad / C;
    lay.n_pad = n_pad;
    lay.out_bytes = ob;
    if (!l.input.empty()) {
      for (size_t p = 0; p < li; ++p)
        if (layers[p].name == l.input) producer[li] = static_cast<int>(p);
      if (producer[li] < 0) throw Error(where + ": input '" + l.input + "' is not an earlier layer");
      const LinearQ& p = layers[static_cast<size_t>(producer[li])];
      if (p.out32) throw Error(where + ": input layer " + p.name + " has INT32 outputs (out32); INT8 is needed");
      if (p.n != K || p.m != M)
        throw Error(where + ": input layer " + p.name + " gives [" + std::to_string(p.m) + ", " + std::to_string(p.n) +
                    "], this layer takes [" + std::to_string(M) + ", " + std::to_string(K) + "]");
      if (p.n % C)
        throw Error(where + ": input layer " + p.name + " has " + std::to_string(p.n) +
                    " outputs, not a multiple of mac_cols = " + std::to_string(C) + " (its rows would be padded)");
    } else if (l.x.size() != M * K && !(input && li == 0)) {
      throw Error(where + ": activations are missing");
    }
    if (input && li == 0 && lay.k_chunks > 1)
      throw Error(where + ": its " + std::to_string(K) + " inputs from " + input->name +
                  " must fit one gemm (one tile's weights over K exceed half of wbuf, " + std::to_string(whalf * 8) +
                  " bytes)");
  }

  uint64_t on_chip_area = 0;
  // ---- outputs kept on chip: a producer whose every consumer reads whole rows of K (K not split) keeps its
  // INT8 outputs [M][N] in an abuf region (written by its gemms, o_abuf) instead of storing them to DRAM;
  // regions are placed first fit over the layers' live ranges (producer .. last consumer), above the two
  // halves of abuf, and take at most half of abuf (the rest go through DRAM).
  {
    const uint64_t arow = static_cast<uint64_t>(hw.row_words(isa::Buf::kAbuf));
    const uint64_t usable =
        std::min<uint64_t>(static_cast<uint64_t>(hw.buf_words(isa::Buf::kAbuf)), 0x10000) / arow * arow;
    const uint64_t align = std::lcm(std::lcm(R / 4, C / 8), wb);
    std::vector<size_t> last_use(layers.size(), 0);
    std::vector<bool> candidate(layers.size(), false);
    for (size_t li = 0; li < layers.size(); ++li)
      if (producer[li] >= 0) {
        const auto p = static_cast<size_t>(producer[li]);
        if (last_use[p] == 0) candidate[p] = keep_on_chip;
        last_use[p] = li;
        if (out.layers[li].k_chunks > 1) candidate[p] = false;  // a split K reads chunk-major activations
      }
    struct Region {
      uint64_t off, size;
      size_t from, to;
    };
    std::vector<Region> placed;
    uint64_t area = 0;
    for (size_t p = 0; p < layers.size(); ++p) {
      if (!candidate[p]) continue;
      const uint64_t size = round_up(layers[p].m * layers[p].n / 8, align);
      uint64_t off = 0;
      for (bool moved = true; moved;) {  // first fit: past every live region it would overlap
        moved = false;
        for (const auto& r : placed)
          if (r.to >= p && r.from <= last_use[p] && off < r.off + r.size && r.off < off + size) {
            off = round_up(r.off + r.size, align);
            moved = true;
          }
      }
      if (off + size > usable / 2) continue;  // too large: through DRAM
      placed.push_back({off, size, p, last_use[p]});
      area = std::max(area, off + size);
      out.layers[p].on_chip = true;
      out.layers[p].region = off;  // relative to the area until the halves are known
    }
    on_chip_area = area;
    if (area > 0) {
      area = round_up(area, arow);
      ahalf = (usable - area) / 2 / arow * arow;
      for (auto& lay : out.layers)
        if (lay.on_chip) lay.region += 2 * ahalf;
    }
  }

  const uint64_t input_base = addr;
  if (input) addr = round_up(input_base + input->data.size(), beat);
  for (size_t li = 0; li < layers.size(); ++li) {
    const LinearQ& l = layers[li];
    LayerLayout& lay = out.layers[li];
    const std::string where = "layer " + l.name;
    const uint64_t K = l.k, M = l.m, gp = l.group / (2 * R), ngc = lay.k_chunk_groups;
    const uint64_t wwords = bitmac::weight_words(hw, l.dtype, gp, ngc), swords = bitmac::side_words(hw, ngc);
    const uint64_t n_pad = lay.n_pad, ob = lay.out_bytes, o_stride = n_pad * ob / 8;
    // m tile: fits half of abuf and of obuf and the m_rows field; when there are several, every tile
    // starts beat aligned in X and in Y.
    uint64_t mt = std::min<uint64_t>(M, (uint64_t{1} << isa::kGEMM_M_ROWS.width) - 1);
    const uint64_t prows = static_cast<uint64_t>(hw.buf_words(isa::Buf::kPbuf)) / bitmac::psum_row_words(hw);
    auto fits = [&](uint64_t r) {
      return round_up(r * K / 8, wb) <= ahalf && round_up(r * o_stride, wb) <= ohalf &&
             (lay.k_chunks == 1 || r <= prows);
    };
    if (input && li == 0) mt = std::min(mt, input->max_rows);
    while (mt > 0 && !fits(mt)) --mt;
    // the regions of outputs kept on chip left too little of abuf for this layer: keep nothing on chip
    if (on_chip_area > 0 &&
        (mt == 0 || (mt < M && mt < std::lcm(beat / std::gcd(K, beat), beat / std::gcd(n_pad * ob, beat)))))
      return compile_model(layers, hw, false, input, dram_base);
    if (mt == 0)
      throw Error(where + ": one activation row (" + std::to_string(K) + " bytes) or output row (" +
                  std::to_string(n_pad * ob) + " bytes) exceeds half of abuf (" + std::to_string(ahalf * 8) +
                  " bytes) or obuf (" + std::to_string(ohalf * 8) + " bytes)" +
                  (lay.k_chunks > 1 ? ", or pbuf holds no row of partial sums" : ""));
    if (mt < M) {
      const uint64_t qx = beat / std::gcd(input && li == 0 ? input->row_bytes : K, beat);
      const uint64_t q = std::lcm(qx, beat / std::gcd(n_pad * ob, beat));
      mt = mt / q * q;
      if (mt == 0)
        throw Error(where + ": " + std::to_string(q) +
                    " rows (the smallest beat-aligned m tile) exceed half of abuf or obuf");
    }
    lay.m_tile = mt;
    lay.m_tiles = (M + mt - 1) / mt;
    if (producer[li] >= 0) {
      const LayerLayout& pl = out.layers[static_cast<size_t>(producer[li])];
      lay.x_addr = pl.on_chip ? 0 : pl.y_addr;
    } else if (l.x_dram) {
      lay.x_addr = *l.x_dram;  // an earlier program part's outputs
    } else if (input && li == 0) {
      lay.x_addr = 0;  // produced on chip
    } else {
      lay.x_addr = addr;
      addr += round_up(M * K, beat) + beat;  // a tile's load rounds up to whole beats
    }
    lay.w_bytes = round_up(wwords * 8, beat);
    lay.s_bytes = round_up(swords * 8, beat);
    const uint64_t units = lay.n_tiles * lay.k_chunks;
    lay.units_per_load = std::max<uint64_t>(1, std::min({units, whalf * 8 / lay.w_bytes, shalf * 8 / lay.s_bytes}));
    lay.weight_dram_bytes = units * (lay.w_bytes + lay.s_bytes);
    lay.w_addr = addr;
    addr += units * lay.w_bytes;
    lay.s_addr = addr;
    addr += units * lay.s_bytes;
    if (!lay.on_chip) {
      lay.y_addr = addr;
      addr += round_up(M * n_pad * ob, beat) + beat;  // a tile's store rounds up to whole beats
    }
  }
  if (addr > 0xFFFFFFFFull)
    throw Error("model: the memory image needs " + std::to_string(addr) + " bytes, above the 4 GiB DRAM space");
  out.memory.assign(addr, 0);
  if (input)
    std::copy(input->data.begin(), input->data.end(), out.memory.begin() + static_cast<std::ptrdiff_t>(input_base));
  for (size_t li = 0; li < layers.size(); ++li) {
    const LinearQ& l = layers[li];
    const LayerLayout& lay = out.layers[li];
    if (producer[li] < 0 && !(input && li == 0) && !l.x_dram)
      std::memcpy(out.memory.data() + lay.x_addr, l.x.data(), l.m * l.k);
    const uint64_t K = l.k, ng = K / l.group;
    for (uint64_t t = 0; t < lay.n_tiles; ++t)
      for (uint64_t kc = 0; kc < lay.k_chunks; ++kc) {
        // unit (t, kc): groups [g0, g0 + cg) of output channels t*C ..; every chunk carries the channel
        // parameters (only the last one's requantize)
        const uint64_t g0 = kc * lay.k_chunk_groups, cg = std::min(lay.k_chunk_groups, ng - g0);
        const uint64_t k0 = g0 * l.group, ck = cg * l.group, u = t * lay.k_chunks + kc;
        bitmac::Tile tile;
        tile.dtype = l.dtype;
        tile.group_pairs = l.group / (2 * R);
        tile.n_groups = cg;
        tile.codes.assign(C * ck, 0);
        tile.scale.assign(C * cg, 0);
        tile.sel.assign(C * cg, 0);
        tile.channels.assign(C, bitmac::Channel{0, 0, 0});
        for (uint64_t c = 0; c < C && t * C + c < l.n; ++c) {
          const uint64_t n = t * C + c;
          std::memcpy(tile.codes.data() + c * ck, l.codes.data() + n * K + k0, ck);
          std::memcpy(tile.scale.data() + c * cg, l.scale.data() + n * ng + g0, cg);
          std::memcpy(tile.sel.data() + c * cg, l.sel.data() + n * ng + g0, cg);
          tile.channels[c] = l.channels[n];
        }
        const auto w = bitmac::pack_weights(hw, tile), s = bitmac::pack_side(hw, tile);
        std::memcpy(out.memory.data() + lay.w_addr + u * lay.w_bytes, w.data(), w.size() * 8);
        std::memcpy(out.memory.data() + lay.s_addr + u * lay.s_bytes, s.data(), s.size() * 8);
      }
  }

  // ---- program
  uint32_t part = 0;  // the layer the next instructions belong to (Lowered::insn_section)
  auto emit = [&](const Insn& i, std::string comment) {
    out.program.insns.push_back(i);
    out.comments.push_back(std::move(comment));
    out.insn_section.push_back(part);
  };
  for (const auto& l : layers) out.sections.push_back(l.name);
  const auto input_part = static_cast<uint32_t>(layers.size());
  if (input) {  // the producer's data on chip before anything: its loads push one token, a compute nop takes it
    out.sections.push_back(input->name);
    part = input_part;
    std::vector<Insn> pro;  // with several passes, each m tile loads them
    if (input->passes == 1) pro = input->pass_load(input_base, 0);
    for (size_t i = 0; i < pro.size(); ++i) {
      if (i + 1 == pro.size()) add_deps(pro[i], Deps{false, false, false, true});
      emit(pro[i], input->name + ": on-chip data");
    }
    if (!pro.empty()) emit(make_nop(Deps{true, false, false, false}), input->name + ": wait for its data");
    part = 0;
  }
  struct Step {
    size_t layer;
    uint64_t t, u0, u1, tg;  // m tile (in the layer), units [u0, u1), global m tile
  };
  std::vector<Step> steps;
  std::vector<uint64_t> layer_first_tg(layers.size());
  {
    uint64_t tg = 0;
    for (size_t li = 0; li < layers.size(); ++li) {
      const LayerLayout& lay = out.layers[li];
      layer_first_tg[li] = tg;
      const uint64_t units = lay.n_tiles * lay.k_chunks;
      for (uint64_t t = 0; t < lay.m_tiles; ++t, ++tg)
        for (uint64_t u = 0; u < units; u += lay.units_per_load)
          steps.push_back({li, t, u, std::min(units, u + lay.units_per_load), tg});
    }
  }
  Ledger c2l, s2c;
  std::vector<uint64_t> step_c2l(steps.size());       // c2l producer index of each step's last gemm
  std::vector<int64_t> relay_c2l(layers.size(), -1);  // of the relay nop before a chained layer
  std::vector<int64_t> store_of_tg;                   // s2c producer index of each global m tile's store (-1: none)
  int64_t half_store[2] = {-1, -1};                   // the last store from each half of obuf
  // Does the layer read its inputs from an abuf region (its producer kept them on chip)?
  auto from_chip = [&](size_t li) {
    return producer[li] >= 0 && out.layers[static_cast<size_t>(producer[li])].on_chip;
  };
  std::vector<bool> loads_emitted(steps.size(), false);
  const bool multi_pass = input && input->passes > 1;
  int64_t last_input_compute = -1;  // c2l index of the input's last tile_compute (multi_pass: the data's reader)
  // Pops until compute's c2l producer `producer_index` is known done: token-only loads, the last pop on
  // `first` (called at most once per instruction).
  auto c2l_wait = [&](uint64_t producer_index, Deps& first) {
    uint64_t need = c2l.pops_needed(producer_index);
    for (; need > 1; --need, ++c2l.consumed)
      emit(make_load(isa::Buf::kAbuf, 0, 0, 0, Deps{false, true, false, false}), "wait: compute done");
    if (need == 1) {
      first.pop_next = true;
      ++c2l.consumed;
    }
  };
  auto s2c_wait = [&](uint64_t producer_index, Deps& d) {
    uint64_t need = s2c.pops_needed(producer_index);
    for (; need > 1; --need, ++s2c.consumed) emit(make_nop(Deps{false, true, false, false}), "wait: store done");
    if (need == 1) {
      d.pop_next = true;
      ++s2c.consumed;
    }
  };
  auto emit_loads = [&](size_t j) {
    const Step& s = steps[j];
    const uint32_t saved = part;
    part = static_cast<uint32_t>(s.layer);
    const LinearQ& l = layers[s.layer];
    const LayerLayout& lay = out.layers[s.layer];
    Deps first;  // the wait rides on the first load of the step (c2l is popped in order: one wait, the latest)
    int64_t wait = j >= 2 ? static_cast<int64_t>(step_c2l[j - 2]) : -1;
    if (s.u0 == 0) wait = std::max(wait, relay_c2l[s.layer]);
    if (wait >= 0) c2l_wait(static_cast<uint64_t>(wait), first);
    if (s.u0 == 0 && input && s.layer == 0) {
      const uint64_t rows = std::min(lay.m_tile, l.m - s.t * lay.m_tile), row0 = s.t * lay.m_tile;
      Insn ld = input->tile_load(input_base, row0, rows, s.tg);
      first.push_next = !multi_pass;
      add_deps(ld, first);
      part = input_part;
      const std::string rs = std::to_string(row0) + ".." + std::to_string(row0 + rows - 1);
      emit(ld, input->name + ": inputs of rows " + rs);
      // several passes: each pass's data after the previous pass's compute (or the last tile's), then its compute
      // (this step is not hoisted, so those are the latest compute instructions)
      for (uint64_t p = 0; multi_pass && p < input->passes; ++p) {
        std::vector<Insn> pl = input->pass_load(input_base, p);
        if (pl.empty()) throw Error(input->name + ": pass " + std::to_string(p) + " loads nothing");
        Deps d;
        if (last_input_compute >= 0) c2l_wait(static_cast<uint64_t>(last_input_compute), d);
        add_deps(pl.front(), d);
        add_deps(pl.back(), Deps{false, false, false, true});
        for (const Insn& i : pl) emit(i, input->name + ": data of pass " + std::to_string(p));
        Insn enc = input->tile_compute(row0, rows, s.tg, (s.tg % 2) * ahalf, p);
        add_deps(enc, Deps{true, false, true, false});
        last_input_compute = static_cast<int64_t>(c2l.produce());
        emit(enc, input->name + ": rows " + rs + " into abuf, pass " + std::to_string(p));
      }
      part = static_cast<uint32_t>(s.layer);
      first = Deps{};
    } else if (s.u0 == 0 && !from_chip(s.layer)) {
      const uint64_t rows = std::min(lay.m_tile, l.m - s.t * lay.m_tile), row0 = s.t * lay.m_tile;
      const std::string rs = std::to_string(row0) + ".." + std::to_string(row0 + rows - 1);
      if (lay.k_chunks == 1) {
        emit(make_load(isa::Buf::kAbuf, (s.tg % 2) * ahalf, round_up(rows * l.k / 8, wb), lay.x_addr + row0 * l.k,
                       first),
             l.name + ": activations of rows " + rs);
        first = Deps{};
      } else {
        // chunk by chunk, row by row: chunk kc of row r at (rows*k0 + r*ck)/8 words of the half
        for (uint64_t kc = 0; kc < lay.k_chunks; ++kc) {
          const uint64_t k0 = kc * lay.k_chunk_groups * l.group, ck = std::min(lay.k_chunk_groups * l.group, l.k - k0);
          for (uint64_t r = 0; r < rows; ++r) {
            emit(make_load(isa::Buf::kAbuf, (s.tg % 2) * ahalf + (rows * k0 + r * ck) / 8, ck / 8,
                           lay.x_addr + (row0 + r) * l.k + k0, first),
                 l.name + ": activations of row " + std::to_string(row0 + r) + ", k " + std::to_string(k0) + ".." +
                     std::to_string(k0 + ck - 1));
            first = Deps{};
          }
        }
      }
    }
    const uint64_t nu = s.u1 - s.u0, nt0 = s.u0 / lay.k_chunks, nt1 = ceil_div(s.u1, lay.k_chunks);
    const std::string chans =
        std::to_string(nt0 * C) + ".." + std::to_string(std::min(l.n, nt1 * C) - 1) +
        (lay.k_chunks > 1
             ? " (K chunks " + std::to_string(s.u0 % lay.k_chunks) + " of tile " + std::to_string(nt0) + " .. " +
                   std::to_string((s.u1 - 1) % lay.k_chunks) + " of tile " + std::to_string(nt1 - 1) + ")"
             : "");
    emit(make_load(isa::Buf::kWbuf, (j % 2) * whalf, nu * lay.w_bytes / 8, lay.w_addr + s.u0 * lay.w_bytes, first),
         l.name + ": weights of channels " + chans);
    emit(make_load(isa::Buf::kSbuf, (j % 2) * shalf, nu * lay.s_bytes / 8, lay.s_addr + s.u0 * lay.s_bytes,
                   Deps{false, false, false, true}),
         l.name + ": parameters and scales of channels " + chans);
    loads_emitted[j] = true;
    part = saved;
  };
  // A layer chained through DRAM: its first loads wait for its relay nop, so they are not hoisted above it.
  auto hoistable = [&](size_t j) {
    if (multi_pass && steps[j].layer == 0 && steps[j].u0 == 0) return false;  // its passes follow the last's
    return !(steps[j].t == 0 && steps[j].u0 == 0 && producer[steps[j].layer] >= 0 && !from_chip(steps[j].layer));
  };
  size_t cur_layer = SIZE_MAX;
  for (size_t j = 0; j < steps.size(); ++j) {
    const Step& s = steps[j];
    const LinearQ& l = layers[s.layer];
    const LayerLayout& lay = out.layers[s.layer];
    if (s.layer != cur_layer) {
      cur_layer = s.layer;
      part = static_cast<uint32_t>(s.layer);
      if (producer[s.layer] >= 0 && !from_chip(s.layer)) {
        const size_t p = static_cast<size_t>(producer[s.layer]);
        const int64_t last_store = store_of_tg[layer_first_tg[p] + out.layers[p].m_tiles - 1];
        Deps d{false, false, true, false};
        s2c_wait(static_cast<uint64_t>(last_store), d);
        relay_c2l[s.layer] = static_cast<int64_t>(c2l.produce());
        emit(make_nop(d), l.name + ": inputs from " + layers[p].name + " are stored");
      }
    }
    if (!loads_emitted[j]) emit_loads(j);
    if (j + 1 < steps.size() && hoistable(j + 1)) emit_loads(j + 1);
    const uint64_t rows = std::min(lay.m_tile, l.m - s.t * lay.m_tile);
    const uint64_t ob = lay.out_bytes;
    const uint64_t ng = l.k / l.group, units = lay.n_tiles * lay.k_chunks;
    if (s.u0 == 0 && input && s.layer == 0 && !multi_pass) {
      Insn enc = input->tile_compute(s.t * lay.m_tile, rows, s.tg, (s.tg % 2) * ahalf, 0);
      add_deps(enc, Deps{true, false, false, false});
      part = input_part;
      emit(enc, input->name + ": rows " + std::to_string(s.t * lay.m_tile) + ".. into abuf");
      part = static_cast<uint32_t>(s.layer);
    }
    for (uint64_t u = s.u0; u < s.u1; ++u) {
      const uint64_t nt = u / lay.k_chunks, kc = u % lay.k_chunks, g0 = kc * lay.k_chunk_groups;
      const bool final_chunk = kc + 1 == lay.k_chunks;
      isa::GemmInsn g;
      g.dtype = l.dtype;
      g.relu = final_chunk && l.relu;
      g.out32 = final_chunk && l.out32;
      g.acc_in = kc > 0;
      g.acc_out = !final_chunk;
      g.m_rows = rows;
      g.group_pairs = l.group / (2 * R);
      g.n_groups = std::min(lay.k_chunk_groups, ng - g0);
      const uint64_t row0 = s.t * lay.m_tile;
      g.a_addr = from_chip(s.layer) ? out.layers[static_cast<size_t>(producer[s.layer])].region + row0 * l.k / 8
                                    : (s.tg % 2) * ahalf + rows * g0 * l.group / 8;
      g.w_addr = (j % 2) * whalf + (u - s.u0) * lay.w_bytes / 8;
      g.s_addr = (j % 2) * shalf + (u - s.u0) * lay.s_bytes / 8;
      g.o_stride = lay.n_pad * ob / 8;
      if (lay.on_chip) {  // INT8 rows [M][N] in the layer's abuf region, for the layers that read them
        g.o_abuf = final_chunk;
        g.o_addr = lay.region + row0 * g.o_stride + nt * C / 8;
      } else {
        g.o_addr = (s.tg % 2) * ohalf + nt * C * ob / 8;
        if (u == 0 && half_store[s.tg % 2] >= 0)  // obuf half free
          s2c_wait(static_cast<uint64_t>(half_store[s.tg % 2]), g.deps);
      }
      g.deps.pop_prev = u == s.u0;  // the step's loads
      const bool last_in_step = u + 1 == s.u1, last_n = u + 1 == units;
      g.deps.push_prev = last_in_step;
      if (last_in_step) step_c2l[j] = c2l.produce();
      g.deps.push_next = last_n && !lay.on_chip;
      emit(encode(g), l.name + ": gemm m tile " + std::to_string(s.t) + " x n tile " + std::to_string(nt) +
                          (lay.k_chunks > 1 ? " K chunk " + std::to_string(kc) : ""));
      if (last_n) store_of_tg.push_back(-1);
      if (last_n && !lay.on_chip) {
        store_of_tg.back() = half_store[s.tg % 2] = static_cast<int64_t>(s2c.produce());
        emit(make_store(isa::Buf::kObuf, (s.tg % 2) * ohalf, round_up(rows * g.o_stride, wb),
                        lay.y_addr + s.t * lay.m_tile * lay.n_pad * ob, Deps{true, false, true, false}),
             l.name + ": outputs of rows " + std::to_string(s.t * lay.m_tile) + "..");
      }
    }
  }
  Deps fin{};
  s2c_wait(static_cast<uint64_t>(std::max(half_store[0], half_store[1])), fin);
  emit(make_finish(fin), "after the last store");
  check_program(out.program, hw, addr);
  nlohmann::json lj = nlohmann::json::array();
  for (size_t li = 0; li < layers.size(); ++li) {
    const LayerLayout& lay = out.layers[li];
    lj.push_back({{"name", layers[li].name},
                  {"m_tile", lay.m_tile},
                  {"m_tiles", lay.m_tiles},
                  {"n_tiles", lay.n_tiles},
                  {"units_per_load", lay.units_per_load},
                  {"outputs_on_chip", lay.on_chip},
                  {"k_chunks", lay.k_chunks},
                  {"k_chunk_groups", lay.k_chunk_groups},
                  {"x_addr", lay.x_addr},
                  {"w_addr", lay.w_addr},
                  {"s_addr", lay.s_addr},
                  {"y_addr", lay.y_addr},
                  {"weight_bytes", lay.weight_dram_bytes}});
  }
  out.layout_json = {{"layers", lj}, {"dram_bytes", addr}};
  return out;
}

std::vector<int32_t> decode_layer(const LinearQ& l, const LayerLayout& lay, const std::vector<uint8_t>& memory) {
  if (lay.on_chip) throw Error("layer " + l.name + ": its outputs stayed on chip (abuf), they are not in DRAM");
  if (memory.size() < lay.y_addr + l.m * lay.n_pad * lay.out_bytes)
    throw Error("memory image is smaller than the program's layout");
  std::vector<int32_t> y(l.m * l.n);
  for (uint64_t m = 0; m < l.m; ++m) {
    const uint8_t* row = memory.data() + lay.y_addr + m * lay.n_pad * lay.out_bytes;
    for (uint64_t n = 0; n < l.n; ++n) {
      if (lay.out_bytes == 4) {
        int32_t v;
        std::memcpy(&v, row + 4 * n, 4);
        y[m * l.n + n] = v;
      } else {
        y[m * l.n + n] = static_cast<int8_t>(row[n]);
      }
    }
  }
  return y;
}

}  // namespace bitgrid
