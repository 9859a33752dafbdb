// The hash-grid encoder engine of the reference model (docs/ARCHITECTURE.md §3.4, R12): hgenc's legality,
// execution time, footprint, actions and function, bit for bit the hardware's fixed point (§3.3).
#include "bitgrid/engines/hashgrid.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "bitgrid/engine.h"
#include "bitgrid/engines/bitmac.h"
#include "bitgrid/error.h"
#include "bitgrid/hashgrid.h"

namespace bitgrid {

namespace hgenc {

void pack_descriptor(const Descriptor& d, uint64_t* line) {
  line[0] = uint64_t{d.scale_q} | (uint64_t{d.stride1} << 32);
  line[1] = uint64_t{d.stride2} | (uint64_t{d.size} << 32);
  line[2] = uint64_t{d.base} | (uint64_t{d.mult & 0xffffu} << 32) | (uint64_t{d.dense ? 1u : 0u} << 48) |
            (uint64_t{d.shift & 63u} << 56);
  line[3] = 0;
}

Descriptor unpack_descriptor(const uint64_t* line) {
  Descriptor d;
  d.scale_q = static_cast<uint32_t>(line[0]);
  d.stride1 = static_cast<uint32_t>(line[0] >> 32);
  d.stride2 = static_cast<uint32_t>(line[1]);
  d.size = static_cast<uint32_t>(line[1] >> 32);
  d.base = static_cast<uint32_t>(line[2]);
  d.mult = static_cast<uint32_t>((line[2] >> 32) & 0xffffu);
  d.dense = ((line[2] >> 48) & 1u) != 0;
  d.shift = static_cast<uint32_t>((line[2] >> 56) & 63u);
  return d;
}

void pack_table(const int16_t* values, uint64_t size, uint64_t features, uint64_t* lines) {
  std::memset(lines, 0, table_lines(size, features) * kLineWords * sizeof(uint64_t));
  for (uint64_t i = 0; i < size; ++i) {
    const EntryPos p = entry_pos(0, i, features);
    for (uint64_t f = 0; f < features; ++f) {
      const uint64_t bit = (p.slot * features + f) * 16;
      lines[p.line * kLineWords + bit / 64] |= uint64_t{static_cast<uint16_t>(values[i * features + f])} << (bit % 64);
    }
  }
}

int8_t requant8(int32_t acc, uint32_t mult, uint32_t shift) {
  // the MAC array's requantizer without bias (the same multiply, rounding and saturation; §3.2)
  const bitmac::Channel ch{0, static_cast<uint16_t>(mult), static_cast<uint8_t>(shift & 63u)};
  return static_cast<int8_t>(bitmac::requant(acc, ch, false, false));
}

void encode_point(const uint32_t* coords, uint32_t dims, uint32_t features, bool smooth, const Descriptor& d,
                  const uint64_t* segment, uint64_t seg_lines, int32_t* acc) {
  const hashgrid::Interp interp = smooth ? hashgrid::Interp::smoothstep : hashgrid::Interp::linear;
  hashgrid::AxisWeights ax[3];
  for (uint32_t k = 0; k < dims; ++k)
    ax[k] = hashgrid::axis_weights(d.scale_q, std::min<uint32_t>(coords[k] & 0xffffffu, 1u << 23), interp);
  for (uint32_t f = 0; f < features; ++f) acc[f] = 0;
  // size bit 0 is ignored: with an even size the two corners of an x-pair keep different parities (banks), §3.4
  const uint32_t size = d.size & ~1u;
  const bool pow2 = (size & (size - 1u)) == 0;
  for (uint32_t k = 0; k < (1u << dims); ++k) {
    uint32_t c[3] = {0, 0, 0}, w = 0;
    for (uint32_t j = 0; j < dims; ++j) {
      const bool up = (k >> j) & 1u;
      c[j] = (ax[j].cell + (up ? 1u : 0u)) & 0xffffu;  // the RTL's 16-bit corner coordinate
      const uint32_t wj = up ? ax[j].w1 : ax[j].w0;
      w = j == 0 ? wj : static_cast<uint32_t>((uint64_t{w} * wj) >> 16);
    }
    uint32_t idx;
    if (d.dense) {
      idx = c[0] + c[1] * d.stride1 + (dims == 3 ? c[2] * d.stride2 : 0u);
    } else {
      idx = c[0] ^ (c[1] * hashgrid::kPrimes[1]) ^ (dims == 3 ? c[2] * hashgrid::kPrimes[2] : 0u);
    }
    const uint32_t i = pow2 ? (idx & (size - 1u)) : (idx >= size ? idx - size : idx);
    const EntryPos p = entry_pos(d.base, i, features);
    const uint64_t* line = segment + (p.line % seg_lines) * kLineWords;
    for (uint32_t f = 0; f < features; ++f) {
      const uint64_t bit = (p.slot * features + f) * 16;
      const int16_t v = static_cast<int16_t>(line[bit / 64] >> (bit % 64));
      acc[f] = static_cast<int32_t>(static_cast<uint32_t>(acc[f]) +
                                    static_cast<uint32_t>(int64_t{w} * int64_t{v}));  // int32, wrapping
    }
  }
}

}  // namespace hgenc

namespace {

using H = isa::HgencInsn;

uint64_t features_of(const H& h) { return uint64_t{1} << h.log2_f; }
uint64_t dims_of(const H& h) { return 2 + h.dims3; }
uint64_t row_cycles(const H& h, const HwConfig& hw) { return h.o_row / hgenc::write_words(hw); }
isa::Buf out_buf(const H& h) { return h.o_abuf ? isa::Buf::kAbuf : isa::Buf::kObuf; }
uint64_t row_stride(const H& h) { return h.o_row + h.o_skip; }
// One past the last output word written (the last row has no skip after it).
uint64_t out_end(const H& h) { return h.o_addr + (h.n_points - 1) * row_stride(h) + h.o_row; }

class HashgridEngine final : public Engine {
 public:
  int index() const override { return isa::kEngineHashgrid; }

  void validate(const HwConfig& hw, const std::string& where) const override {
    if (hgenc::segment_lines(hw) < 2)
      throw Error(where + ".gbuf_kib: " + std::to_string(hw.gbuf_kib) +
                  " KiB leaves less than two lines per engine (hg_engines = " + std::to_string(hw.hg_engines) + ")");
    if (hgenc::segment_words(hw) < static_cast<uint64_t>(hw.beat_words()))
      throw Error(where + ".gbuf_kib: " + std::to_string(hw.gbuf_kib) + " KiB over hg_engines = " +
                  std::to_string(hw.hg_engines) + " leaves segments smaller than one DRAM beat (" +
                  std::to_string(hw.dram_bytes_per_cycle) + " bytes)");
    if (hgenc::write_words(hw) > hgenc::kMaxRowWords)
      throw Error(where + ".mac_cols: abuf/obuf writes of " + std::to_string(hgenc::write_words(hw)) +
                  " words exceed hgenc's 32-word row");
  }

  std::string check(const Insn& in, const HwConfig& hw) const override {
    const H h = decode<H>(in);
    const uint64_t W = hgenc::write_words(hw), F = features_of(h);
    if (h.n_lev < 1 || h.n_lev > hgenc::kMaxLevels) return "n_lev = " + std::to_string(h.n_lev) + " is outside 1..32";
    if (h.n_points < 1) return "n_points must be at least 1";
    if (h.dims3 && hw.hg_max_dims < 3)
      return "dims3 needs hg_max_dims = 3 (the machine has " + std::to_string(hw.hg_max_dims) + ")";
    if (h.x_addr % hgenc::kPointWords) return "x_addr must be even";
    if (h.x_addr + h.n_points * hgenc::kPointWords > static_cast<uint64_t>(hw.buf_words(isa::Buf::kXbuf)))
      return "points exceed xbuf (" + std::to_string(hw.buf_words(isa::Buf::kXbuf)) + " words)";
    if (h.o_row < 1 || h.o_row > hgenc::kMaxRowWords || h.o_row % W)
      return "o_row = " + std::to_string(h.o_row) + " must be a multiple of " + std::to_string(W) + " in 1..32";
    const uint64_t need = hgenc::min_row_words(h.n_lev, F, h.o_abuf != 0);
    if (h.o_row < need)
      return "o_row = " + std::to_string(h.o_row) + " words cannot hold " + std::to_string(h.n_lev * F) +
             (h.o_abuf ? " INT8" : " INT32") + " features (" + std::to_string(need) + " words)";
    if (h.o_addr % W) return "o_addr must be a multiple of " + std::to_string(W);
    if (h.o_skip % W) return "o_skip = " + std::to_string(h.o_skip) + " must be a multiple of " + std::to_string(W);
    const isa::Buf ob = out_buf(h);
    if (out_end(h) > static_cast<uint64_t>(hw.buf_words(ob)))
      return std::string("rows exceed ") + (h.o_abuf ? "abuf" : "obuf") + " (" + std::to_string(hw.buf_words(ob)) +
             " words)";
    if (h.d_row + hgenc::levels_per_engine(hw, h.n_lev) > hgenc::segment_lines(hw))
      return "descriptors exceed a gbuf segment (" + std::to_string(hgenc::segment_lines(hw)) + " lines)";
    return "";
  }

  // R12: E = J + (n_points + 1) * T + 6, J = ceil(n_lev / hg_engines), T = max(J, o_row / W).
  uint64_t cycles(const Insn& in, const HwConfig& hw) const override {
    const H h = decode<H>(in);
    const uint64_t J = hgenc::levels_per_engine(hw, h.n_lev);
    const uint64_t T = std::max(J, row_cycles(h, hw));
    return J + (h.n_points + 1) * T + hgenc::kPipeCycles;
  }

  void accesses(const Insn& in, const HwConfig& hw, std::vector<Access>& out) const override {
    const H h = decode<H>(in);
    // The tables a descriptor names are data: the race checker sees all of gbuf read.
    out.push_back({static_cast<int>(isa::Buf::kGbuf), 0, static_cast<uint64_t>(hw.buf_words(isa::Buf::kGbuf)), false});
    out.push_back({static_cast<int>(isa::Buf::kXbuf), h.x_addr, h.x_addr + h.n_points * hgenc::kPointWords, false});
    out.push_back({static_cast<int>(out_buf(h)), h.o_addr, out_end(h), true});  // the skipped words too
  }

  void count(const Insn& in, const HwConfig&, ActionCounts& a) const override {
    const H h = decode<H>(in);
    const uint64_t lookups = h.n_points * h.n_lev, corners = uint64_t{1} << dims_of(h);
    a.count["hashgrid.lookup"] += lookups;
    if (h.o_abuf) a.count["hashgrid.requant"] += lookups * features_of(h);
    a.count[sram_key(isa::Buf::kGbuf, false)] += (h.n_lev + lookups * corners) * hgenc::kLineWords;
    a.count[sram_key(isa::Buf::kXbuf, false)] += h.n_points * hgenc::kPointWords;
    a.count[sram_key(out_buf(h), true)] += h.n_points * h.o_row;
    a.useful["hashgrid"] += static_cast<double>(lookups);
  }

  // gbuf (§3.4): each of the hg_engines segments is held in 2^(hg_max_dims-1) copies of two banks (line
  // parity); a table read touches one bank of one copy, a DMA word is written into every copy.
  bool owned_arrays(isa::Buf b, const HwConfig& hw, OwnedArrays& out) const override {
    if (b != isa::Buf::kGbuf) return false;
    out.access_kib = static_cast<double>(hw.gbuf_kib) / static_cast<double>(hgenc::engines(hw)) / 2.0;
    out.write_copies = hgenc::copies(hw);
    return true;
  }

  void execute(const Insn& in, const HwConfig& hw, const Scratchpads& spm,
               std::vector<SpmWrite>& writes) const override {
    const H h = decode<H>(in);
    const uint64_t E = hgenc::engines(hw), F = features_of(h), seg_words = hgenc::segment_words(hw);
    const uint64_t seg_lines = hgenc::segment_lines(hw);
    const uint32_t D = static_cast<uint32_t>(dims_of(h));
    std::vector<hgenc::Descriptor> desc(h.n_lev);
    for (uint64_t l = 0; l < h.n_lev; ++l)
      desc[l] = hgenc::unpack_descriptor(
          spm.data(isa::Buf::kGbuf, (l % E) * seg_words + (h.d_row + l / E) * hgenc::kLineWords));
    // one write of all rows when they are contiguous, else one per row (the skipped words keep their values)
    const bool packed = h.o_skip == 0;
    SpmWrite all{out_buf(h), h.o_addr, std::vector<uint64_t>(packed ? h.n_points * h.o_row : 0, 0)};
    int32_t acc[8];
    for (uint64_t p = 0; p < h.n_points; ++p) {
      const uint64_t* xw = spm.data(isa::Buf::kXbuf, h.x_addr + p * hgenc::kPointWords);
      const uint32_t coords[3] = {static_cast<uint32_t>(xw[0]), static_cast<uint32_t>(xw[0] >> 32),
                                  static_cast<uint32_t>(xw[1])};
      if (!packed)
        writes.push_back(SpmWrite{out_buf(h), h.o_addr + p * row_stride(h), std::vector<uint64_t>(h.o_row, 0)});
      uint64_t* row = packed ? all.words.data() + p * h.o_row : writes.back().words.data();
      for (uint64_t l = 0; l < h.n_lev; ++l) {
        hgenc::encode_point(coords, D, static_cast<uint32_t>(F), h.smooth != 0, desc[l],
                            spm.data(isa::Buf::kGbuf, (l % E) * seg_words), seg_lines, acc);
        for (uint64_t f = 0; f < F; ++f) {
          const uint64_t v = l * F + f;
          if (h.o_abuf) {
            const uint8_t q = static_cast<uint8_t>(hgenc::requant8(acc[f], desc[l].mult, desc[l].shift));
            row[v / 8] |= uint64_t{q} << (8 * (v % 8));
          } else {
            row[v / 2] |= uint64_t{static_cast<uint32_t>(acc[f])} << (32 * (v % 2));
          }
        }
      }
    }
    if (packed) writes.push_back(std::move(all));
  }
};

}  // namespace

const Engine& hashgrid_engine() {
  static const HashgridEngine e;
  return e;
}

}  // namespace bitgrid
