#include "systemc_compute_unit.h"

#include <fmt/format.h>

#include <algorithm>

namespace bitgrid::scsim {

namespace {
// rbuf word {index[63:32], dist[31:0]} <-> ordering key {dist[63:32], index[31:0]}
inline uint64_t swap_halves(uint64_t w) { return (w << 32) | (w >> 32); }
constexpr uint64_t kEmpty = ~uint64_t{0};
}  // namespace

void HamTopkEngine::configure(const HwConfig& hw) {
  lanes_ = static_cast<uint64_t>(hw.ham_lanes);
  m_ = static_cast<uint64_t>(hw.lane_words());
  list_.reserve(static_cast<size_t>(hw.topk_max) + 1);
  word_ops_ = merges_ = 0;
}

uint64_t HamTopkEngine::cycles(const HamTopk& h) const {
  const uint64_t S = (h.code_words + m_ - 1) / m_, G = (h.n_codes + lanes_ - 1) / lanes_;
  return (h.init ? 0 : h.k) + G * S + h.k + 3;
}

void HamTopkEngine::insert(uint64_t key, uint64_t k) {
  // Keys are kept as a multiset: an equal key goes after the entries already held, as in the RTL's
  // rank-counting merge (list before candidate). Equal keys are equal words, so only the count matters.
  list_.insert(std::upper_bound(list_.begin(), list_.end(), key), key);
  if (list_.size() > k) list_.pop_back();
}

void HamTopkEngine::run(const HamTopk& h, const Scratchpad& qbuf, const Scratchpad& dbuf, const Scratchpad& rbuf,
                        std::vector<uint64_t>& out) {
  const uint64_t k = h.k;
  const uint64_t L = lanes_, m = m_;
  const uint64_t S = (h.code_words + m - 1) / m, G = (h.n_codes + L - 1) / L;
  word_ops_ += G * S * L * m;
  merges_ += G;  // group merges (the k state entries read back are merged one per cycle besides)
  out.assign(k, kEmpty);
  if (k == 0) return;
  list_.clear();
  if (!h.init)
    for (uint64_t i = 0; i < k; ++i) {
      const uint64_t w = *rbuf.data(h.r_addr + i);
      if (w != kEmpty) insert(swap_halves(w), k);
    }
  // The lanes XOR all S*m words of a code, padding included (§2 requires the padding to be zero).
  const uint64_t* q = qbuf.data(h.q_addr);
  for (uint64_t g = 0; g < G; ++g) {
    const uint64_t first = g * L;
    const uint64_t lanes = std::min(L, h.n_codes - first);
    const uint64_t* group = dbuf.data(h.db_addr + g * S * L * m);
    for (uint64_t l = 0; l < lanes; ++l) {
      uint64_t d = 0;
      for (uint64_t s = 0; s < S; ++s) {
        const uint64_t* dw = group + (s * L + l) * m;
        const uint64_t* qw = q + s * m;
        for (uint64_t j = 0; j < m; ++j) d += static_cast<uint64_t>(__builtin_popcountll(qw[j] ^ dw[j]));
      }
      const uint64_t key = (d << 32) | static_cast<uint32_t>(h.base_index + first + l);
      if (list_.size() == k && key >= list_.back()) continue;
      insert(key, k);
    }
  }
  for (size_t i = 0; i < list_.size(); ++i) out[i] = swap_halves(list_[i]);
}

void ComputeUnit::configure(const HwConfig& hw, Scratchpad* qbuf, Scratchpad* dbuf, Scratchpad* rbuf, Trace* trace) {
  qbuf_ = qbuf;
  dbuf_ = dbuf;
  rbuf_ = rbuf;
  trace_ = trace;
  lanes_ = static_cast<uint64_t>(hw.ham_lanes);
  m_ = static_cast<uint64_t>(hw.lane_words());
  ham_.configure(hw);
}

void ComputeUnit::reset() {
  ExecUnit::reset();
  result_.clear();
  n_nops_ = n_hamtopk_ = 0;
}

void ComputeUnit::start(const DecodedInsn& in, uint64_t c0) {
  if (in.op != isa::Op::kHamtopk) {  // nop (R5); finish never reaches the unit
    ++n_nops_;
    set_end(c0 + 1);
    return;
  }
  const HamTopk h = in.hamtopk();
  ++n_hamtopk_;
  // Inputs are taken at issue, the k entries are written back at completion (R9's order; a correct
  // program does not touch them in between).
  ham_.run(h, *qbuf_, *dbuf_, *rbuf_, result_);
  const uint64_t S = (h.code_words + m_ - 1) / m_, G = (h.n_codes + lanes_ - 1) / lanes_;
  qbuf_->count_reads(G * S * m_);
  dbuf_->count_reads(G * S * lanes_ * m_);
  if (!h.init) rbuf_->count_reads(h.k);
  set_end(c0 + ham_.cycles(h));
}

void ComputeUnit::complete(const DecodedInsn& in) {
  if (in.op != isa::Op::kHamtopk) return;
  std::copy(result_.begin(), result_.end(), rbuf_->data(in.r_addr));
  rbuf_->count_writes(result_.size());
}

std::vector<ActionCount> ComputeUnit::counters() const {
  return {
      {"nops", n_nops_}, {"hamtopk", n_hamtopk_}, {"ham_word_ops", ham_.word_ops()}, {"topk_merges", ham_.merges()}};
}

}  // namespace bitgrid::scsim
