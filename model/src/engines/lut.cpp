// The table unit of the reference model (docs/ARCHITECTURE.md §3.6, R14): `lut` maps INT8 rows of obuf through one
// 256-entry table into abuf. The one implementation of its legality, execution time, footprint, actions and
// function.
#include "bitgrid/engines/lut.h"

#include <string>

#include "bitgrid/engine.h"
#include "bitgrid/error.h"

namespace bitgrid {

namespace {

using T = isa::LutInsn;

class LutEngine final : public Engine {
 public:
  int index() const override { return isa::kEngineLut; }

  // It maps the MAC array's outputs into the MAC array's activations.
  void validate(const HwConfig& hw, const std::string& where) const override {
    if (!isa::engine_present(isa::kEngineBitmac, hw))
      throw Error(where +
                  ".has_lut: the table unit maps the MAC array's outputs into its activations; with "
                  "has_bitmac: 0 set has_lut: 0");
  }

  std::string check(const Insn& in, const HwConfig& hw) const override {
    const T t = decode<T>(in);
    const uint64_t W = lut::seg_words(hw);
    if (t.n_rows < 1) return "n_rows must be at least 1";
    if (t.row_segs < 1) return "row_segs must be at least 1";
    if (t.t_addr % lut::kTableWords) return "t_addr must be a multiple of " + std::to_string(lut::kTableWords);
    if (t.t_addr + lut::kTableWords > static_cast<uint64_t>(hw.buf_words(isa::Buf::kTbuf)))
      return "the table exceeds tbuf (" + std::to_string(hw.buf_words(isa::Buf::kTbuf)) + " words)";
    for (const auto& [name, v] : {std::pair<const char*, uint64_t>{"src_addr", t.src_addr},
                                  {"dst_addr", t.dst_addr},
                                  {"src_stride", t.n_rows > 1 ? t.src_stride : 0},
                                  {"dst_stride", t.n_rows > 1 ? t.dst_stride : 0}})
      if (v % W) return std::string(name) + " must be a multiple of " + std::to_string(W);
    const uint64_t row = t.row_segs * W;
    if (t.src_addr + (t.n_rows - 1) * t.src_stride + row > static_cast<uint64_t>(hw.buf_words(isa::Buf::kObuf)))
      return "rows exceed obuf (" + std::to_string(hw.buf_words(isa::Buf::kObuf)) + " words)";
    if (t.dst_addr + (t.n_rows - 1) * t.dst_stride + row > static_cast<uint64_t>(hw.buf_words(isa::Buf::kAbuf)))
      return "results exceed abuf (" + std::to_string(hw.buf_words(isa::Buf::kAbuf)) + " words)";
    return "";
  }

  // R14: E = 8 + n_rows*row_segs + 2 (the table in 8 reads, one segment per cycle, lookup, write).
  uint64_t cycles(const Insn& in, const HwConfig&) const override {
    const T t = decode<T>(in);
    return lut::kTableReads + t.n_rows * t.row_segs + 2;
  }

  void accesses(const Insn& in, const HwConfig& hw, std::vector<Access>& out) const override {
    const T t = decode<T>(in);
    const uint64_t row = t.row_segs * lut::seg_words(hw);
    out.push_back({static_cast<int>(isa::Buf::kTbuf), t.t_addr, t.t_addr + lut::kTableWords, false});
    for (uint64_t r = 0; r < t.n_rows; ++r) {
      out.push_back({static_cast<int>(isa::Buf::kObuf), t.src_addr + r * t.src_stride,
                     t.src_addr + r * t.src_stride + row, false});
      out.push_back({static_cast<int>(isa::Buf::kAbuf), t.dst_addr + r * t.dst_stride,
                     t.dst_addr + r * t.dst_stride + row, true});
    }
  }

  void count(const Insn& in, const HwConfig& hw, ActionCounts& a) const override {
    const T t = decode<T>(in);
    const uint64_t segs = t.n_rows * t.row_segs, W = lut::seg_words(hw);
    a.count["lut.lookup"] += segs * W * 8;
    a.count[sram_key(isa::Buf::kTbuf, false)] += lut::kTableWords;
    a.count[sram_key(isa::Buf::kObuf, false)] += segs * W;
    a.count[sram_key(isa::Buf::kAbuf, true)] += segs * W;
    a.useful["lut"] += static_cast<double>(segs * W * 8);
  }

  void execute(const Insn& in, const HwConfig& hw, const Scratchpads& spm,
               std::vector<SpmWrite>& writes) const override {
    const T t = decode<T>(in);
    const uint64_t row = t.row_segs * lut::seg_words(hw);
    const uint64_t* table = spm.data(isa::Buf::kTbuf, t.t_addr);
    for (uint64_t r = 0; r < t.n_rows; ++r) {
      const uint64_t* src = spm.data(isa::Buf::kObuf, t.src_addr + r * t.src_stride);
      SpmWrite w{isa::Buf::kAbuf, t.dst_addr + r * t.dst_stride, std::vector<uint64_t>(row, 0)};
      for (uint64_t i = 0; i < row * 8; ++i) {
        const uint64_t v = (src[i / 8] >> (8 * (i % 8))) & 0xFF;  // the value's byte = the entry's index
        w.words[i / 8] |= ((table[v / 8] >> (8 * (v % 8))) & 0xFF) << (8 * (i % 8));
      }
      writes.push_back(std::move(w));
    }
  }
};

}  // namespace

const Engine& lut_engine() {
  static const LutEngine e;
  return e;
}

}  // namespace bitgrid
