// The table accumulator of the reference model (docs/ARCHITECTURE.md §3.9, R19): `tacc` turns INT8 input rows of
// abuf into MemoryFormer layer outputs in obuf - per row K table rows indexed by the signs of tau-value chunks,
// summed and requantized. The one implementation of its legality, execution time, footprint, actions and function.
#include "bitgrid/engines/tabacc.h"

#include <string>
#include <vector>

#include "bitgrid/engine.h"
#include "bitgrid/engines/bitmac.h"
#include "bitgrid/error.h"

namespace bitgrid {

namespace {

using T = isa::TaccInsn;

int8_t byte_of(const uint64_t* words, uint64_t i) {
  return static_cast<int8_t>((words[i / 8] >> (8 * (i % 8))) & 0xFF);
}
uint16_t half_of(const uint64_t* words, uint64_t i) {
  return static_cast<uint16_t>((words[i / 4] >> (16 * (i % 4))) & 0xFFFF);
}

class TabaccEngine final : public Engine {
 public:
  int index() const override { return isa::kEngineTabacc; }

  // Its inputs, tables, parameters and outputs are the MAC array's buffers.
  void validate(const HwConfig& hw, const std::string& where) const override {
    if (!isa::engine_present(isa::kEngineBitmac, hw))
      throw Error(where +
                  ".has_tabacc: the table accumulator reads the MAC array's abuf, wbuf and sbuf and writes its obuf; "
                  "with has_bitmac: 0 set has_tabacc: 0");
  }

  std::string check(const Insn& in, const HwConfig& hw) const override {
    const T t = decode<T>(in);
    const uint64_t W = tabacc::seg_words(hw), A = tabacc::a_words(hw), C = tabacc::cols(hw);
    auto words = [&](isa::Buf b) { return static_cast<uint64_t>(hw.buf_words(b)); };
    if (t.tau < 1 || t.tau > tabacc::kMaxTau) return "tau must be in 1..8";
    if (t.n_chunks < 1 || t.n_chunks > tabacc::kMaxChunks) return "n_chunks must be in 1..64";
    if (t.out_segs < 1) return "out_segs must be at least 1";
    if (t.n_rows < 1) return "n_rows must be at least 1";
    if (t.a_addr % A) return "a_addr must be a multiple of " + std::to_string(A);
    if (t.n_rows > 1 && t.a_stride % A) return "a_stride must be a multiple of " + std::to_string(A);
    if (t.a_addr + (t.n_rows - 1) * t.a_stride + tabacc::row_reads(hw, t.tau, t.n_chunks) * A > words(isa::Buf::kAbuf))
      return "input rows exceed abuf (" + std::to_string(words(isa::Buf::kAbuf)) + " words)";
    if (t.t_addr % W) return "t_addr must be a multiple of " + std::to_string(W);
    const uint64_t tw = tabacc::tables_words(hw, t.tau, t.n_chunks, t.out_segs);
    if (t.t_addr + tw > words(isa::Buf::kWbuf))
      return "the tables (" + std::to_string(tw) + " words) exceed wbuf (" + std::to_string(words(isa::Buf::kWbuf)) +
             " words)";
    if (t.s_addr % (C / 4)) return "s_addr must be a multiple of " + std::to_string(C / 4);
    if (t.s_addr + tabacc::side_words(hw, t.out_segs) > words(isa::Buf::kSbuf))
      return "channel parameters exceed sbuf (" + std::to_string(words(isa::Buf::kSbuf)) + " words)";
    if (t.o_addr % W) return "o_addr must be a multiple of " + std::to_string(W);
    if (t.n_rows > 1 && t.o_stride % W) return "o_stride must be a multiple of " + std::to_string(W);
    if (t.o_addr + (t.n_rows - 1) * t.o_stride + t.out_segs * W > words(isa::Buf::kObuf))
      return "output rows exceed obuf (" + std::to_string(words(isa::Buf::kObuf)) + " words)";
    return "";
  }

  uint64_t cycles(const Insn& in, const HwConfig& hw) const override {
    const T t = decode<T>(in);
    return tabacc::cycles(hw, t.tau, t.n_chunks, t.out_segs, t.n_rows);
  }

  void accesses(const Insn& in, const HwConfig& hw, std::vector<Access>& out) const override {
    const T t = decode<T>(in);
    const uint64_t A = tabacc::a_words(hw), W = tabacc::seg_words(hw);
    const uint64_t ra = tabacc::row_reads(hw, t.tau, t.n_chunks) * A;
    for (uint64_t m = 0; m < t.n_rows; ++m) {
      out.push_back(
          {static_cast<int>(isa::Buf::kAbuf), t.a_addr + m * t.a_stride, t.a_addr + m * t.a_stride + ra, false});
      out.push_back({static_cast<int>(isa::Buf::kObuf), t.o_addr + m * t.o_stride,
                     t.o_addr + m * t.o_stride + t.out_segs * W, true});
    }
    out.push_back({static_cast<int>(isa::Buf::kWbuf), t.t_addr,
                   t.t_addr + tabacc::tables_words(hw, t.tau, t.n_chunks, t.out_segs), false});
    out.push_back({static_cast<int>(isa::Buf::kSbuf), t.s_addr, t.s_addr + tabacc::side_words(hw, t.out_segs), false});
  }

  void count(const Insn& in, const HwConfig& hw, ActionCounts& a) const override {
    const T t = decode<T>(in);
    const uint64_t C = tabacc::cols(hw), W = tabacc::seg_words(hw), segs = t.n_rows * t.out_segs;
    a.count["tabacc.tab_add"] += segs * t.n_chunks * C;
    a.count["tabacc.requant"] += segs * C;
    a.count[sram_key(isa::Buf::kAbuf, false)] +=
        t.n_rows * tabacc::row_reads(hw, t.tau, t.n_chunks) * tabacc::a_words(hw);
    a.count[sram_key(isa::Buf::kWbuf, false)] += segs * t.n_chunks * W;
    a.count[sram_key(isa::Buf::kSbuf, false)] += segs * C;
    a.count[sram_key(isa::Buf::kObuf, true)] += segs * W;
    a.useful["tabacc"] += static_cast<double>(segs * t.n_chunks * C);
  }

  void execute(const Insn& in, const HwConfig& hw, const Scratchpads& spm,
               std::vector<SpmWrite>& writes) const override {
    const T t = decode<T>(in);
    const uint64_t C = tabacc::cols(hw), W = tabacc::seg_words(hw), n_out = t.out_segs * C;
    const uint64_t row_w = tabacc::table_row_words(hw, t.out_segs);
    const uint64_t* side = spm.data(isa::Buf::kSbuf, t.s_addr);
    std::vector<bitmac::Channel> ch(n_out);
    for (uint64_t o = 0; o < n_out; ++o) {  // segment g: rows 0-3 of C/4 words each at g*C words
      const uint64_t* s = side + (o / C) * C;
      const uint64_t i = o % C;
      ch[o].bias = static_cast<int32_t>(uint32_t{half_of(s, i)} | uint32_t{half_of(s + C / 4, i)} << 16);
      ch[o].mult = half_of(s + 2 * (C / 4), i);
      ch[o].shift = static_cast<uint8_t>(half_of(s + 3 * (C / 4), i) & 63);
    }
    std::vector<int8_t> x(t.n_chunks * t.tau);
    for (uint64_t m = 0; m < t.n_rows; ++m) {
      const uint64_t* row = spm.data(isa::Buf::kAbuf, t.a_addr + m * t.a_stride);
      for (uint64_t i = 0; i < x.size(); ++i) x[i] = byte_of(row, i);
      std::vector<int64_t> acc(n_out, 0);
      for (uint64_t k = 0; k < t.n_chunks; ++k) {
        const uint64_t r = tabacc::index_of(x.data() + k * t.tau, t.tau);
        const uint64_t* tr = spm.data(isa::Buf::kWbuf, t.t_addr + ((k << t.tau) + r) * row_w);
        for (uint64_t o = 0; o < n_out; ++o) acc[o] += byte_of(tr, o);
      }
      SpmWrite w{isa::Buf::kObuf, t.o_addr + m * t.o_stride, std::vector<uint64_t>(t.out_segs * W, 0)};
      for (uint64_t o = 0; o < n_out; ++o)
        w.words[o / 8] |= uint64_t{static_cast<uint8_t>(bitmac::requant(acc[o], ch[o], t.relu != 0, false))}
                          << (8 * (o % 8));
      writes.push_back(std::move(w));
    }
  }
};

}  // namespace

const Engine& tabacc_engine() {
  static const TabaccEngine e;
  return e;
}

}  // namespace bitgrid
