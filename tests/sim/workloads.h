#pragma once
// Seeded random, legal bitgrid programs with their DRAM images, for the RTL tests: blocks of
// (load query group + tile -> hamtopk -> store top-k states), double-buffered in qbuf/dbuf/rbuf with dependency tokens,
// tiles in the lane-interleaved layout of docs/ARCHITECTURE.md §2 (zero padding), and optional
// prefetching of the next block's loads ahead of the current compute.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "bitgrid/error.h"
#include "bitgrid/executor.h"
#include "bitgrid/hwconfig.h"
#include "bitgrid/insn.h"
#include "rule_oracle.h"

namespace bgtest {

struct Workload {
  bitgrid::Program prog;
  std::vector<uint8_t> mem;
};

inline uint64_t round_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

inline Workload random_workload(const bitgrid::HwConfig& hw, uint32_t seed, int blocks, int max_codes = 40) {
  using bitgrid::Deps;
  using bitgrid::Insn;
  using bitgrid::isa::Buf;
  std::mt19937_64 rng(seed);
  auto pick = [&](uint64_t lo, uint64_t hi) { return std::uniform_int_distribution<uint64_t>(lo, hi)(rng); };

  const uint64_t Wb = static_cast<uint64_t>(hw.beat_words()), BW = static_cast<uint64_t>(hw.dram_bytes_per_cycle);
  const uint64_t m = static_cast<uint64_t>(hw.ham_bits_per_lane / 64), L = static_cast<uint64_t>(hw.ham_lanes);
  const uint64_t Q = static_cast<uint64_t>(hw.ham_queries);
  const uint64_t Rq = static_cast<uint64_t>(hw.row_words(Buf::kQbuf)),
                 Rd = static_cast<uint64_t>(hw.row_words(Buf::kDbuf));
  const uint64_t QS = static_cast<uint64_t>(hw.buf_words(Buf::kQbuf)) / 2 / Rq * Rq;  // qbuf slot (words)
  const uint64_t DS = static_cast<uint64_t>(hw.buf_words(Buf::kDbuf)) / 2 / Rd * Rd;  // dbuf slot
  const uint64_t RS = round_up(Q * static_cast<uint64_t>(hw.topk_max), Wb);           // rbuf slot
  if (QS == 0 || DS == 0 || 2 * RS > static_cast<uint64_t>(hw.buf_words(Buf::kRbuf)))
    throw bitgrid::Error("random_workload: buffers too small for double buffering");

  Workload w;
  std::vector<uint8_t>& mem = w.mem;
  auto put_words = [&](const std::vector<uint64_t>& words) {  // appends, beat aligned; returns byte address
    const uint64_t addr = mem.size();
    mem.resize(addr + round_up(words.size() * 8, BW), 0);
    std::memcpy(mem.data() + addr, words.data(), words.size() * 8);
    return addr;
  };

  struct Block {
    std::vector<Insn> loads, compute, store;
  };
  std::vector<Block> bl(static_cast<size_t>(blocks));
  uint64_t slot_k[2] = {pick(1, static_cast<uint64_t>(hw.topk_max)), pick(1, static_cast<uint64_t>(hw.topk_max))};
  const uint64_t slot_nq[2] = {pick(1, Q), pick(1, Q)};  // queries per group (a slot's states keep their shape)
  bool slot_used[2] = {false, false};
  std::vector<std::pair<uint64_t, uint64_t>> stores;  // (rbuf addr, nwords) per block, dram addr filled later

  for (int i = 0; i < blocks; ++i) {
    const int s = i % 2;
    const uint64_t cw = pick(1, static_cast<uint64_t>((hw.max_code_bits / 64)));
    const uint64_t S = (cw + m - 1) / m;
    const uint64_t gmax = std::max<uint64_t>(1, DS / (S * L * m));
    const uint64_t n = pick(1, std::min<uint64_t>(gmax * L, static_cast<uint64_t>(max_codes)));
    const uint64_t G = (n + L - 1) / L;
    // query group: query j's word x at (x/m*Q + j)*m + x%m (ARCHITECTURE.md §2); padding and unused slots zero
    const uint64_t nq = slot_nq[s];
    std::vector<uint64_t> qw(S * Q * m, 0);
    for (uint64_t j = 0; j < nq; ++j)
      for (uint64_t x = 0; x < cw; ++x) qw[(x / m * Q + j) * m + x % m] = rng();
    // tile: code c, word s*m+j at ((g*S+s)*L+l)*m+j; padding zero
    std::vector<uint64_t> tw(G * S * L * m, 0);
    for (uint64_t c = 0; c < n; ++c)
      for (uint64_t x = 0; x < cw; ++x) {
        const uint64_t g = c / L, l = c % L, st = x / m, j = x % m;
        // a few near-duplicates of the query make distance ties likely
        tw[((g * S + st) * L + l) * m + j] =
            (pick(0, 3) == 0) ? qw[(st * Q + pick(0, nq - 1)) * m + j] ^ (uint64_t{1} << pick(0, 63)) : rng();
      }
    const uint64_t qa = put_words(qw), ta = put_words(tw);
    const uint64_t qn = round_up(qw.size(), Wb), tn = round_up(tw.size(), Wb);
    const uint64_t q_addr = static_cast<uint64_t>(s) * QS, db_addr = static_cast<uint64_t>(s) * DS;

    Block& b = bl[static_cast<size_t>(i)];
    Deps first;
    first.pop_next = i >= 2;  // wait until compute i-2 released this slot
    b.loads.push_back(bitgrid::make_load(Buf::kQbuf, q_addr, qn, qa, first));
    if (tn > Wb && pick(0, 1)) {  // split the tile load in two
      const uint64_t half = round_up(tn / 2, Wb);
      b.loads.push_back(bitgrid::make_load(Buf::kDbuf, db_addr, half, ta));
      Deps last;
      last.push_next = true;
      b.loads.push_back(bitgrid::make_load(Buf::kDbuf, db_addr + half, tn - half, ta + half * 8, last));
    } else {
      Deps last;
      last.push_next = true;
      b.loads.push_back(bitgrid::make_load(Buf::kDbuf, db_addr, tn, ta, last));
    }

    if (pick(0, 3) == 0) b.compute.push_back(bitgrid::make_nop());
    bitgrid::isa::HamtopkInsn h;
    h.init = !slot_used[s] || pick(0, 1);
    slot_used[s] = true;
    h.k = slot_k[s];
    h.code_words = cw;
    h.q_addr = q_addr;
    h.db_addr = db_addr;
    h.base_index = pick(0, 1000000);
    h.r_addr = static_cast<uint64_t>(s) * RS;
    h.n_codes = n;
    h.n_q = nq;
    Deps cd;
    cd.pop_prev = true;    // l2c from this block's loads
    cd.pop_next = i >= 2;  // s2c from store i-2 (rbuf slot free)
    cd.push_prev = true;   // c2l: qbuf/dbuf slot free for load i+2
    cd.push_next = true;   // c2s: result ready for store i
    b.compute.push_back(bgtest::hamtopk(h, cd));
    stores.push_back({h.r_addr, round_up(nq * h.k, Wb)});
  }
  // Output area after all inputs.
  uint64_t out = mem.size();
  for (int i = 0; i < blocks; ++i) {
    Deps sd;
    sd.pop_prev = true;
    sd.push_prev = true;
    const auto [raddr, nw] = stores[static_cast<size_t>(i)];
    bl[static_cast<size_t>(i)].store.push_back(bitgrid::make_store(Buf::kRbuf, raddr, nw, out, sd));
    out += nw * 8;
  }
  mem.resize(round_up(out, BW) + BW * 4, 0);

  // Program order: block by block, sometimes with the next block's loads before this compute.
  std::vector<bool> loads_emitted(static_cast<size_t>(blocks), false);
  auto emit = [&](const std::vector<Insn>& v) { w.prog.insns.insert(w.prog.insns.end(), v.begin(), v.end()); };
  for (int i = 0; i < blocks; ++i) {
    if (!loads_emitted[static_cast<size_t>(i)]) {
      emit(bl[static_cast<size_t>(i)].loads);
      loads_emitted[static_cast<size_t>(i)] = true;
    }
    if (i + 1 < blocks && pick(0, 1)) {
      emit(bl[static_cast<size_t>(i + 1)].loads);
      loads_emitted[static_cast<size_t>(i + 1)] = true;
    }
    emit(bl[static_cast<size_t>(i)].compute);
    emit(bl[static_cast<size_t>(i)].store);
  }
  Deps fin;
  fin.pop_next = true;
  if (blocks >= 2) w.prog.insns.push_back(bitgrid::make_nop(fin));  // stores complete in order
  w.prog.insns.push_back(bitgrid::make_finish(fin));
  return w;
}

// A workload that check_program accepts (prefetch orders that could deadlock on full queues are redrawn).
inline Workload legal_workload(const bitgrid::HwConfig& hw, uint32_t seed, int blocks, int max_codes = 40) {
  for (uint32_t k = 0;; ++k) {
    Workload w = random_workload(hw, seed * 7919u + k, blocks, max_codes);
    try {
      bitgrid::check_program(w.prog, hw, w.mem.size());
      return w;
    } catch (const bitgrid::Error&) {
      if (k > 50) throw;
    }
  }
}

}  // namespace bgtest
