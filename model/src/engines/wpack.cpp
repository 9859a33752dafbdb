// The weight packer of the reference model (docs/ARCHITECTURE.md §3.8, R18): `wpack` turns INT8 rows of obuf into
// an int8 weight tile in wbuf's bit-plane layout. The one implementation of its legality, execution time,
// footprint, actions and function; the layout itself is bitmac::pack_weights.
#include "bitgrid/engines/wpack.h"

#include <algorithm>
#include <string>
#include <vector>

#include "bitgrid/engine.h"
#include "bitgrid/error.h"

namespace bitgrid {

namespace {

using P = isa::WpackInsn;

// The source rows the instruction reads (the others give zero weights).
uint64_t rows_read(const P& p, const HwConfig& hw) {
  const uint64_t limit = p.trans ? wpack::pair_k(hw) * p.n_pairs : bitmac::cols(hw);
  return std::min(p.n_rows, limit);
}
// obuf words of one source row: trans 1 the C bytes of the tile's columns, trans 0 the row's K bytes.
uint64_t row_words(const P& p, const HwConfig& hw) {
  return p.trans ? wpack::seg_words(hw) : wpack::pair_k(hw) * p.n_pairs / 8;
}

class WpackEngine final : public Engine {
 public:
  int index() const override { return isa::kEngineWpack; }

  // It reads the MAC array's outputs and writes its weights.
  void validate(const HwConfig& hw, const std::string& where) const override {
    if (!isa::engine_present(isa::kEngineBitmac, hw))
      throw Error(where +
                  ".has_wpack: the weight packer turns the MAC array's outputs into its weights; with "
                  "has_bitmac: 0 set has_wpack: 0");
  }

  std::string check(const Insn& in, const HwConfig& hw) const override {
    const P p = decode<P>(in);
    const uint64_t W = wpack::seg_words(hw), C = bitmac::cols(hw), K = wpack::pair_k(hw) * p.n_pairs;
    if (p.n_pairs < 1) return "n_pairs must be at least 1";
    if (p.n_rows < 1) return "n_rows must be at least 1";
    if (p.n_rows > (p.trans ? K : C))
      return "n_rows must be at most " + std::string(p.trans ? "K = 2*mac_rows*n_pairs (" : "mac_cols (") +
             std::to_string(p.trans ? K : C) + ")";
    if (p.src_addr % W) return "src_addr must be a multiple of " + std::to_string(W);
    if (p.n_rows > 1 && p.src_stride % W) return "src_stride must be a multiple of " + std::to_string(W);
    if (p.src_addr + (p.n_rows - 1) * p.src_stride + row_words(p, hw) >
        static_cast<uint64_t>(hw.buf_words(isa::Buf::kObuf)))
      return "source rows exceed obuf (" + std::to_string(hw.buf_words(isa::Buf::kObuf)) + " words)";
    const uint64_t wport = bitmac::planes_per_read(hw) * bitmac::plane_words(hw);
    if (p.dst_addr % wport) return "dst_addr must be a multiple of " + std::to_string(wport);
    if (p.dst_addr + wpack::tile_words(hw, p.n_pairs) > static_cast<uint64_t>(hw.buf_words(isa::Buf::kWbuf)))
      return "the tile (" + std::to_string(wpack::tile_words(hw, p.n_pairs)) + " words) exceeds wbuf (" +
             std::to_string(hw.buf_words(isa::Buf::kWbuf)) + " words)";
    return "";
  }

  uint64_t cycles(const Insn& in, const HwConfig& hw) const override {
    const P p = decode<P>(in);
    return wpack::cycles(hw, p.trans != 0, p.n_pairs);
  }

  void accesses(const Insn& in, const HwConfig& hw, std::vector<Access>& out) const override {
    const P p = decode<P>(in);
    const uint64_t rw = row_words(p, hw), obuf = static_cast<int>(isa::Buf::kObuf);
    for (uint64_t r = 0; r < rows_read(p, hw); ++r)
      out.push_back({static_cast<int>(obuf), p.src_addr + r * p.src_stride, p.src_addr + r * p.src_stride + rw, false});
    out.push_back({static_cast<int>(isa::Buf::kWbuf), p.dst_addr, p.dst_addr + wpack::tile_words(hw, p.n_pairs), true});
  }

  void count(const Insn& in, const HwConfig& hw, ActionCounts& a) const override {
    const P p = decode<P>(in);
    const uint64_t C = bitmac::cols(hw), k = wpack::pair_k(hw), W = wpack::seg_words(hw);
    // Port reads: trans 1 one per present row; trans 0 ceil(2R/C) per present channel row and pair.
    const uint64_t reads = p.trans ? rows_read(p, hw) : rows_read(p, hw) * p.n_pairs * ((k + C - 1) / C);
    a.count["wpack.byte_in"] += p.n_pairs * k * C;
    a.count[sram_key(isa::Buf::kObuf, false)] += reads * W;
    a.count[sram_key(isa::Buf::kWbuf, true)] += wpack::tile_words(hw, p.n_pairs);
    a.useful["wpack"] += static_cast<double>(p.n_pairs * k * C);
  }

  void execute(const Insn& in, const HwConfig& hw, const Scratchpads& spm,
               std::vector<SpmWrite>& writes) const override {
    const P p = decode<P>(in);
    const uint64_t C = bitmac::cols(hw), K = wpack::pair_k(hw) * p.n_pairs;
    bitmac::Tile t;
    t.dtype = isa::kDtypeInt8;
    t.group_pairs = p.n_pairs;
    t.codes.assign(C * K, 0);
    auto byte_at = [&](uint64_t row, uint64_t i) {
      const uint64_t* src = spm.data(isa::Buf::kObuf, p.src_addr + row * p.src_stride);
      return static_cast<uint8_t>((src[i / 8] >> (8 * (i % 8))) & 0xFF);
    };
    for (uint64_t r = 0; r < rows_read(p, hw); ++r)
      for (uint64_t i = 0; i < (p.trans ? C : K); ++i) t.codes[p.trans ? i * K + r : r * K + i] = byte_at(r, i);
    writes.push_back({isa::Buf::kWbuf, p.dst_addr, bitmac::pack_weights(hw, t)});
  }
};

}  // namespace

const Engine& wpack_engine() {
  static const WpackEngine e;
  return e;
}

}  // namespace bitgrid
