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
    const uint64_t query_words = hamtopk::group_query_words(hw, hamtopk::max_code_words(hw));
    if (query_words > static_cast<uint64_t>(hw.buf_words(isa::Buf::kQbuf)))
      throw Error(where + ".qbuf_kib: " + std::to_string(hw.qbuf_kib) + " KiB cannot hold one group of ham_queries = " +
                  std::to_string(hw.ham_queries) + " queries of max_code_bits = " + std::to_string(hw.max_code_bits));
    if (hw.topk_max > hw.buf_words(isa::Buf::kRbuf))
      throw Error(where + ".rbuf_kib: cannot hold one top-k state of topk_max = " + std::to_string(hw.topk_max));
    if (hamtopk::max_code_words(hw) >= (uint64_t{1} << isa::kHAMTOPK_CODE_WORDS.width))
      throw Error(where + ".max_code_bits: " + std::to_string(hw.max_code_bits) + " does not fit code_words");
    if (hamtopk::queries(hw) >= (uint64_t{1} << isa::kHAMTOPK_N_Q.width))
      throw Error(where + ".ham_queries: " + std::to_string(hw.ham_queries) + " does not fit n_q");
    if (static_cast<uint64_t>(hw.buf_words(isa::Buf::kQbuf)) > (uint64_t{1} << isa::kHAMTOPK_Q_ADDR.width))
      throw Error(where + ".qbuf_kib: " + std::to_string(hw.qbuf_kib) + " KiB exceeds the q_addr field's " +
                  std::to_string((uint64_t{1} << isa::kHAMTOPK_Q_ADDR.width) / 128) + " KiB");
  }

  std::string check(const Insn& in, const HwConfig& hw) const override {
    const H h = decode<H>(in);
    const uint64_t m = hamtopk::lane_words(hw), L = hamtopk::lanes(hw), Q = hamtopk::queries(hw);
    if (h.n_q < 1 || h.n_q > Q)
      return "n_q = " + std::to_string(h.n_q) + " is outside 1..ham_queries = " + std::to_string(Q);
    if (h.k < 1 || h.k > static_cast<uint64_t>(hw.topk_max))
      return "k = " + std::to_string(h.k) + " is outside 1..topk_max = " + std::to_string(hw.topk_max);
    if (h.code_words < 1 || h.code_words > hamtopk::max_code_words(hw))
      return "code_words = " + std::to_string(h.code_words) + " is outside 1.." +
             std::to_string(hamtopk::max_code_words(hw)) + " (max_code_bits = " + std::to_string(hw.max_code_bits) +
             ")";
    if (h.n_codes < 1) return "n_codes must be at least 1";
    const uint64_t S = hamtopk::steps(hw, h.code_words);
    if (h.q_addr % (Q * m)) return "q_addr must be a multiple of " + std::to_string(Q * m);
    if (h.q_addr + S * Q * m > static_cast<uint64_t>(hw.buf_words(isa::Buf::kQbuf)))
      return Q > 1 ? "query group exceeds qbuf" : "query exceeds qbuf";
    if (h.db_addr % (L * m)) return "db_addr must be a multiple of " + std::to_string(L * m);
    if (h.db_addr + hamtopk::tile_words(hw, h.n_codes, h.code_words) >
        static_cast<uint64_t>(hw.buf_words(isa::Buf::kDbuf)))
      return "tile exceeds dbuf (" + std::to_string(hw.buf_words(isa::Buf::kDbuf)) + " words)";
    if (h.r_addr + h.n_q * h.k > static_cast<uint64_t>(hw.buf_words(isa::Buf::kRbuf)))
      return h.n_q > 1 ? "top-k states exceed rbuf" : "top-k state exceeds rbuf";
    if (h.base_index + h.n_codes > 0xFFFFFFFFull) return "base_index + n_codes exceeds 2^32-1";
    return "";
  }

  // R9: E = (init ? 0 : n_q*k) + G*S + n_q*k + 4.
  uint64_t cycles(const Insn& in, const HwConfig& hw) const override {
    const H h = decode<H>(in);
    const uint64_t states = h.n_q * h.k;
    return (h.init ? 0 : states) + hamtopk::groups(hw, h.n_codes) * hamtopk::steps(hw, h.code_words) + states + 4;
  }

  void accesses(const Insn& in, const HwConfig& hw, std::vector<Access>& out) const override {
    const H h = decode<H>(in);
    const uint64_t states = h.n_q * h.k;
    out.push_back(
        {static_cast<int>(isa::Buf::kQbuf), h.q_addr, h.q_addr + hamtopk::group_query_words(hw, h.code_words), false});
    out.push_back({static_cast<int>(isa::Buf::kDbuf), h.db_addr,
                   h.db_addr + hamtopk::tile_words(hw, h.n_codes, h.code_words), false});
    if (!h.init) out.push_back({static_cast<int>(isa::Buf::kRbuf), h.r_addr, h.r_addr + states, false});
    out.push_back({static_cast<int>(isa::Buf::kRbuf), h.r_addr, h.r_addr + states, true});
  }

  void count(const Insn& in, const HwConfig& hw, ActionCounts& a) const override {
    const H h = decode<H>(in);
    const uint64_t m = hamtopk::lane_words(hw), L = hamtopk::lanes(hw), Q = hamtopk::queries(hw);
    const uint64_t S = hamtopk::steps(hw, h.code_words), G = hamtopk::groups(hw, h.n_codes);
    // The n_q rows of lanes compare each dbuf row read (rows past n_q are gated); the qbuf port reads the
    // step's words of all Q query slots at once.
    a.count["hamtopk.word_op"] += h.n_q * G * S * L * m;
    // Each group merge compares every candidate with every list slot and with the other candidates, in
    // each of the n_q top-k units.
    a.count["hamtopk.topk_compare"] += h.n_q * G * L * (static_cast<uint64_t>(hw.topk_max) + L);
    a.count[sram_key(isa::Buf::kQbuf, false)] += G * S * Q * m;
    a.count[sram_key(isa::Buf::kDbuf, false)] += G * S * L * m;
    a.count[sram_key(isa::Buf::kRbuf, false)] += h.init ? 0 : h.n_q * h.k;
    a.count[sram_key(isa::Buf::kRbuf, true)] += h.n_q * h.k;
    a.useful["hamtopk"] += static_cast<double>(h.n_q * h.n_codes * h.code_words * 64);
  }

  // For each query q < n_q: the k smallest keys (distance, index) of its state entries (unless init) and
  // the tile's codes, ascending, padded with empty entries; equal keys are kept as a multiset
  // (docs/ARCHITECTURE.md §3). The lanes XOR all S*m words of a code, padding included (§2 makes the
  // padding zero).
  void execute(const Insn& in, const HwConfig& hw, const Scratchpads& spm,
               std::vector<SpmWrite>& writes) const override {
    const H h = decode<H>(in);
    const uint64_t k = h.k, L = hamtopk::lanes(hw), m = hamtopk::lane_words(hw), Q = hamtopk::queries(hw);
    const uint64_t S = hamtopk::steps(hw, h.code_words), G = hamtopk::groups(hw, h.n_codes);
    std::vector<uint64_t>& list = list_;  // ascending keys
    std::vector<uint64_t>& query = query_;
    query.resize(S * m);
    auto insert = [&](uint64_t key) {
      list.insert(std::upper_bound(list.begin(), list.end(), key), key);
      if (list.size() > k) list.pop_back();
    };
    SpmWrite w{isa::Buf::kRbuf, h.r_addr, std::vector<uint64_t>(h.n_q * k, kEmpty)};
    for (uint64_t q = 0; q < h.n_q; ++q) {
      list.clear();
      if (!h.init)
        for (uint64_t i = 0; i < k; ++i) {
          const uint64_t e = *spm.data(isa::Buf::kRbuf, h.r_addr + q * k + i);
          if (e != kEmpty) insert(swap_halves(e));
        }
      for (uint64_t s = 0; s < S; ++s)  // the query's words, out of the step-interleaved group
        std::copy_n(spm.data(isa::Buf::kQbuf, h.q_addr + (s * Q + q) * m), m, query.begin() + s * m);
      scan_tile(query.data(), spm.data(isa::Buf::kDbuf, h.db_addr), h, L, m, S, G, list);
      for (size_t i = 0; i < list.size(); ++i) w.words[q * k + i] = swap_halves(list[i]);
    }
    writes.push_back(std::move(w));
  }

 private:
  // scratch (the model runs one instruction at a time per thread)
  mutable std::vector<uint64_t> list_, query_;
};

}  // namespace

const Engine& hamtopk_engine() {
  static const HamtopkEngine e;
  return e;
}

}  // namespace bitgrid
