// The binary encoder of the reference model (docs/ARCHITECTURE.md §3.5, R13): `benc` packs the sign bits of
// INT8 rows of obuf (a projection's outputs from the MAC array) into codes written into qbuf or dbuf in the
// Hamming engine's layouts. The one implementation of its legality, execution time, footprint, actions and
// function.
#include "bitgrid/engines/binenc.h"

#include <string>
#include <utility>

#include "bitgrid/engine.h"
#include "bitgrid/error.h"

namespace bitgrid {

namespace {

using B = isa::BencInsn;

isa::Buf dst_buf(const B& b) { return b.dst ? isa::Buf::kDbuf : isa::Buf::kQbuf; }

class BinencEngine final : public Engine {
 public:
  int index() const override { return isa::kEngineBinenc; }

  // It turns what the MAC array writes (obuf) into what the Hamming engine reads (qbuf, dbuf): a machine with the
  // encoder needs both.
  void validate(const HwConfig& hw, const std::string& where) const override {
    for (int e : {isa::kEngineBitmac, isa::kEngineHamtopk})
      if (!isa::engine_present(e, hw))
        throw Error(where + ".has_binenc: the binary encoder feeds the Hamming engine from the MAC array; with has_" +
                    isa::kEngines[static_cast<size_t>(e)].name + ": 0 set has_binenc: 0");
  }

  std::string check(const Insn& in, const HwConfig& hw) const override {
    const B b = decode<B>(in);
    if (b.code_words < 1 || b.code_words > binenc::kMaxCodeWords)
      return "code_words = " + std::to_string(b.code_words) + " is outside 1.." + std::to_string(binenc::kMaxCodeWords);
    if (b.n_codes < 1) return "n_codes must be at least 1";
    if (b.p_log2 > 6) return "p_log2 = " + std::to_string(b.p_log2) + " is above 6 (P = 64 codes)";
    const uint64_t R = binenc::read_words(hw);
    if (b.src_addr % R) return "src_addr must be a multiple of " + std::to_string(R);
    if (b.n_codes > 1 && b.src_stride % R) return "src_stride must be a multiple of " + std::to_string(R);
    const uint64_t ow = static_cast<uint64_t>(hw.buf_words(isa::Buf::kObuf));
    if (b.src_addr + (b.n_codes - 1) * b.src_stride + b.code_words * binenc::kRowWordsPerCodeWord > ow)
      return "rows exceed obuf (" + std::to_string(ow) + " words)";
    const uint64_t dw = static_cast<uint64_t>(hw.buf_words(dst_buf(b)));
    if (span(b).second > dw)
      return std::string("codes exceed ") + isa::kBufNames[static_cast<size_t>(dst_buf(b))] + " (" +
             std::to_string(dw) + " words)";
    return "";
  }

  // R13: E = n_codes*S*m*(64/mac_cols) + 2 (each code word, padding included, takes 64/mac_cols read slots;
  // the last word is packed and written in the two cycles after its last read).
  uint64_t cycles(const Insn& in, const HwConfig& hw) const override {
    const B b = decode<B>(in);
    return b.n_codes * binenc::layout(b.p_log2, b.m_log2, b.code_words).code_words() * binenc::reads_per_word(hw) + 2;
  }

  void accesses(const Insn& in, const HwConfig&, std::vector<Access>& out) const override {
    const B b = decode<B>(in);
    for (uint64_t i = 0; i < b.n_codes; ++i) {
      const uint64_t a = b.src_addr + i * b.src_stride;
      out.push_back({static_cast<int>(isa::Buf::kObuf), a, a + b.code_words * binenc::kRowWordsPerCodeWord, false});
    }
    const auto [lo, hi] = span(b);  // the whole span: the words between the codes of an interleaved layout too
    out.push_back({static_cast<int>(dst_buf(b)), lo, hi, true});
  }

  void count(const Insn& in, const HwConfig&, ActionCounts& a) const override {
    const B b = decode<B>(in);
    const uint64_t words = b.n_codes * binenc::layout(b.p_log2, b.m_log2, b.code_words).code_words();
    a.count["binenc.code_word"] += words;
    a.count[sram_key(isa::Buf::kObuf, false)] += b.n_codes * b.code_words * binenc::kRowWordsPerCodeWord;
    a.count[sram_key(dst_buf(b), true)] += words;
    a.useful["binenc"] += static_cast<double>(b.n_codes * b.code_words * 64);
  }

  void execute(const Insn& in, const HwConfig&, const Scratchpads& spm, std::vector<SpmWrite>& writes) const override {
    const B b = decode<B>(in);
    const binenc::Layout L = binenc::layout(b.p_log2, b.m_log2, b.code_words);
    for (uint64_t i = 0; i < b.n_codes; ++i) {
      const uint64_t* row = spm.data(isa::Buf::kObuf, b.src_addr + i * b.src_stride);
      const uint64_t c = b.c_first + i;
      for (uint64_t s = 0; s < L.S; ++s) {  // one write per step: m consecutive words
        SpmWrite w{dst_buf(b), b.dst_addr + L.word(c, s * L.m), std::vector<uint64_t>(L.m, 0)};
        for (uint64_t j = 0; j < L.m && s * L.m + j < b.code_words; ++j)
          w.words[j] = binenc::pack_signs(row + (s * L.m + j) * binenc::kRowWordsPerCodeWord);
        writes.push_back(std::move(w));
      }
    }
  }

 private:
  // [lo, hi) of the destination words the instruction writes.
  static std::pair<uint64_t, uint64_t> span(const B& b) {
    const binenc::Layout L = binenc::layout(b.p_log2, b.m_log2, b.code_words);
    // Within a group the addresses grow with c % P and with the step, and every group lies above the one before.
    const uint64_t last = b.c_first + (b.n_codes ? b.n_codes - 1 : 0);
    const uint64_t lo = b.dst_addr + L.word(b.c_first, 0);
    const uint64_t hi = b.dst_addr + L.word(last, L.code_words() - 1) + 1;
    return {lo, hi};
  }
};

}  // namespace

const Engine& binenc_engine() {
  static const BinencEngine e;
  return e;
}

}  // namespace bitgrid
