// The Hamming/top-k engine of the reference model (docs/ARCHITECTURE.md §2-§3, R9): the one
// implementation of hamtopk's legality, execution time, footprint, actions and function, used by the
// functional executor, the program checker and the SystemC model.
#include "bitgrid/engines/hamtopk.h"

#include <algorithm>
#include <string>

#include "bitgrid/engine.h"
#include "bitgrid/error.h"

namespace bitgrid {

namespace {

using H = isa::HamtopkInsn;
constexpr uint64_t kEmpty = ~uint64_t{0};
// rbuf word {index[63:32], dist[31:0]} <-> ordering key {dist[63:32], index[31:0]}
inline uint64_t swap_halves(uint64_t w) { return (w << 32) | (w >> 32); }

// Keeps `list` (ascending keys, at most k) the k smallest of itself and the tile's codes. Compiled twice,
// with and without the POPCNT instruction, and chosen when the program loads (GCC target_clones), since
// this loop is where the reference backend and the SystemC model spend their time.
__attribute__((target_clones("popcnt", "default"))) void scan_tile(const uint64_t* q, const uint64_t* tile,
                                                                   const isa::HamtopkInsn& h, uint64_t L, uint64_t m,
                                                                   uint64_t S, uint64_t G,
                                                                   std::vector<uint64_t>& list) {
  const uint64_t k = h.k;
  for (uint64_t g = 0; g < G; ++g) {
    const uint64_t first = g * L;
    const uint64_t n = std::min(L, h.n_codes - first);
    const uint64_t* group = tile + g * S * L * m;
    for (uint64_t l = 0; l < n; ++l) {
      uint64_t d = 0;
      for (uint64_t s = 0; s < S; ++s) {
        const uint64_t* dw = group + (s * L + l) * m;
        const uint64_t* qw = q + s * m;
        for (uint64_t j = 0; j < m; ++j) d += static_cast<uint64_t>(__builtin_popcountll(qw[j] ^ dw[j]));
      }
      const uint64_t key = (d << 32) | static_cast<uint32_t>(h.base_index + first + l);
      if (list.size() == k && key >= list.back()) continue;
      list.insert(std::upper_bound(list.begin(), list.end(), key), key);
      if (list.size() > k) list.pop_back();
    }
  }
}

class HamtopkEngine final : public Engine {
 public:
  int index() const override { return isa::kEngineHamtopk; }

  void validate(const HwConfig& hw, const std::string& where) const override {
    const uint64_t query_words = hamtopk::steps(hw, hamtopk::max_code_words(hw)) * hamtopk::lane_words(hw);
    if (query_words > static_cast<uint64_t>(hw.buf_words(isa::Buf::kQbuf)))
      throw Error(where + ".qbuf_kib: " + std::to_string(hw.qbuf_kib) +
                  " KiB cannot hold one query of max_code_bits = " + std::to_string(hw.max_code_bits));
    if (hw.topk_max > hw.buf_words(isa::Buf::kRbuf))
      throw Error(where + ".rbuf_kib: cannot hold one top-k state of topk_max = " + std::to_string(hw.topk_max));
    if (hamtopk::max_code_words(hw) >= (uint64_t{1} << isa::kHAMTOPK_CODE_WORDS.width))
      throw Error(where + ".max_code_bits: " + std::to_string(hw.max_code_bits) + " does not fit code_words");
  }

  std::string check(const Insn& in, const HwConfig& hw) const override {
    const H h = decode<H>(in);
    const uint64_t m = hamtopk::lane_words(hw), L = hamtopk::lanes(hw);
    if (h.k < 1 || h.k > static_cast<uint64_t>(hw.topk_max))
      return "k = " + std::to_string(h.k) + " is outside 1..topk_max = " + std::to_string(hw.topk_max);
    if (h.code_words < 1 || h.code_words > hamtopk::max_code_words(hw))
      return "code_words = " + std::to_string(h.code_words) + " is outside 1.." +
             std::to_string(hamtopk::max_code_words(hw)) + " (max_code_bits = " + std::to_string(hw.max_code_bits) +
             ")";
    if (h.n_codes < 1) return "n_codes must be at least 1";
    const uint64_t S = hamtopk::steps(hw, h.code_words);
    if (h.q_addr % m) return "q_addr must be a multiple of " + std::to_string(m);
    if (h.q_addr + S * m > static_cast<uint64_t>(hw.buf_words(isa::Buf::kQbuf))) return "query exceeds qbuf";
    if (h.db_addr % (L * m)) return "db_addr must be a multiple of " + std::to_string(L * m);
    if (h.db_addr + hamtopk::tile_words(hw, h.n_codes, h.code_words) >
        static_cast<uint64_t>(hw.buf_words(isa::Buf::kDbuf)))
      return "tile exceeds dbuf (" + std::to_string(hw.buf_words(isa::Buf::kDbuf)) + " words)";
    if (h.r_addr + h.k > static_cast<uint64_t>(hw.buf_words(isa::Buf::kRbuf))) return "top-k state exceeds rbuf";
    if (h.base_index + h.n_codes > 0xFFFFFFFFull) return "base_index + n_codes exceeds 2^32-1";
    return "";
  }

  // R9: E = (init ? 0 : k) + G*S + k + 4.
  uint64_t cycles(const Insn& in, const HwConfig& hw) const override {
    const H h = decode<H>(in);
    return (h.init ? 0 : h.k) + hamtopk::groups(hw, h.n_codes) * hamtopk::steps(hw, h.code_words) + h.k + 4;
  }

  void accesses(const Insn& in, const HwConfig& hw, std::vector<Access>& out) const override {
    const H h = decode<H>(in);
    const uint64_t S = hamtopk::steps(hw, h.code_words), m = hamtopk::lane_words(hw);
    out.push_back({static_cast<int>(isa::Buf::kQbuf), h.q_addr, h.q_addr + S * m, false});
    out.push_back({static_cast<int>(isa::Buf::kDbuf), h.db_addr,
                   h.db_addr + hamtopk::tile_words(hw, h.n_codes, h.code_words), false});
    if (!h.init) out.push_back({static_cast<int>(isa::Buf::kRbuf), h.r_addr, h.r_addr + h.k, false});
    out.push_back({static_cast<int>(isa::Buf::kRbuf), h.r_addr, h.r_addr + h.k, true});
  }

  void count(const Insn& in, const HwConfig& hw, ActionCounts& a) const override {
    const H h = decode<H>(in);
    const uint64_t m = hamtopk::lane_words(hw), L = hamtopk::lanes(hw);
    const uint64_t S = hamtopk::steps(hw, h.code_words), G = hamtopk::groups(hw, h.n_codes);
    a.count["hamtopk.word_op"] += G * S * L * m;
    // Each group merge compares every candidate with every list slot and with the other candidates.
    a.count["hamtopk.topk_compare"] += G * L * (static_cast<uint64_t>(hw.topk_max) + L);
    a.count[sram_key(isa::Buf::kQbuf, false)] += G * S * m;
    a.count[sram_key(isa::Buf::kDbuf, false)] += G * S * L * m;
    a.count[sram_key(isa::Buf::kRbuf, false)] += h.init ? 0 : h.k;
    a.count[sram_key(isa::Buf::kRbuf, true)] += h.k;
    a.useful["hamtopk"] += static_cast<double>(h.n_codes * h.code_words * 64);
  }

  // The k smallest keys (distance, index) of the state entries (unless init) and the tile's codes,
  // ascending, padded with empty entries; equal keys are kept as a multiset (docs/ARCHITECTURE.md §3).
  // The lanes XOR all S*m words of a code, padding included (§2 makes the padding zero).
  void execute(const Insn& in, const HwConfig& hw, const Scratchpads& spm,
               std::vector<SpmWrite>& writes) const override {
    const H h = decode<H>(in);
    const uint64_t k = h.k, L = hamtopk::lanes(hw), m = hamtopk::lane_words(hw);
    const uint64_t S = hamtopk::steps(hw, h.code_words), G = hamtopk::groups(hw, h.n_codes);
    std::vector<uint64_t>& list = list_;  // ascending keys
    list.clear();
    auto insert = [&](uint64_t key) {
      list.insert(std::upper_bound(list.begin(), list.end(), key), key);
      if (list.size() > k) list.pop_back();
    };
    if (!h.init)
      for (uint64_t i = 0; i < k; ++i) {
        const uint64_t w = *spm.data(isa::Buf::kRbuf, h.r_addr + i);
        if (w != kEmpty) insert(swap_halves(w));
      }
    scan_tile(spm.data(isa::Buf::kQbuf, h.q_addr), spm.data(isa::Buf::kDbuf, h.db_addr), h, L, m, S, G, list);
    SpmWrite w{isa::Buf::kRbuf, h.r_addr, std::vector<uint64_t>(k, kEmpty)};
    for (size_t i = 0; i < list.size(); ++i) w.words[i] = swap_halves(list[i]);
    writes.push_back(std::move(w));
  }

 private:
  mutable std::vector<uint64_t> list_;  // scratch (the model runs one instruction at a time per thread)
};

}  // namespace

const Engine& hamtopk_engine() {
  static const HamtopkEngine e;
  return e;
}

}  // namespace bitgrid
