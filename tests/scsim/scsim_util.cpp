#include "scsim_util.h"

#include <cstring>

namespace bitgrid::scsim_test {

HwConfig small_hw() {
  HwConfig hw;
  hw.dram_latency = 20;
  hw.qbuf_kib = 16;
  hw.dbuf_kib = 64;
  hw.rbuf_kib = 16;
  return hw;
}

Deps deps(bool pop_prev, bool pop_next, bool push_prev, bool push_next) {
  Deps d;
  d.pop_prev = pop_prev;
  d.pop_next = pop_next;
  d.push_prev = push_prev;
  d.push_next = push_next;
  return d;
}

SimResult run(const HwConfig& hw, const Program& p, uint64_t dram_bytes, SimOptions opt) {
  return run_backend(hw, p, std::vector<uint8_t>(dram_bytes, 0), opt);
}

SimResult run(const HwConfig& hw, const Program& p, std::vector<uint8_t> mem, SimOptions opt) {
  return run_backend(hw, p, std::move(mem), opt);
}

CodeSet random_codes(std::mt19937_64& rng, size_t n, size_t words, int density_bits) {
  CodeSet c;
  c.n = n;
  c.words = words;
  c.data.resize(n * words);
  for (auto& w : c.data) {
    w = rng();
    // fewer set bits make equal distances (ties) common
    for (int b = density_bits; b < 64; b += 16) w &= rng();
  }
  return c;
}

namespace {
uint64_t round_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }
}  // namespace

KnnJob make_knn_job(const HwConfig& hw, const CodeSet& db, const CodeSet& queries, size_t k, size_t tile_codes) {
  const uint64_t Wb = static_cast<uint64_t>(hw.beat_words());
  const uint64_t m = static_cast<uint64_t>(hw.ham_bits_per_lane / 64), L = static_cast<uint64_t>(hw.ham_lanes);
  const uint64_t Q = static_cast<uint64_t>(hw.ham_queries);
  const uint64_t cw = db.words, S = (cw + m - 1) / m;
  const uint64_t nq = queries.n, n = db.n;
  const uint64_t ntiles = (n + tile_codes - 1) / tile_codes;
  // qbuf: query groups of Q (step-interleaved, ARCHITECTURE.md §2), group g at g*gstride words (a multiple of
  // Q*m and of the beat); query q is slot q%Q of group q/Q
  const uint64_t groups = (nq + Q - 1) / Q;
  const uint64_t gstride = round_up(S * Q * m, std::max<uint64_t>(Wb, Q * m));
  // dbuf: two tile slots of the largest tile, row aligned
  const uint64_t Gmax = (tile_codes + L - 1) / L;
  const uint64_t tile_words_max = round_up(Gmax * S * L * m, std::max<uint64_t>(Wb, L * m));
  const uint64_t slot[2] = {0, tile_words_max};
  // rbuf: query q's state at q*k words (a group's states follow each other)

  // DRAM: queries | tiles | results
  KnnJob job;
  std::vector<uint64_t> words(groups * gstride, 0);
  for (uint64_t q = 0; q < nq; ++q)
    for (uint64_t w = 0; w < cw; ++w) words[q / Q * gstride + (w / m * Q + q % Q) * m + w % m] = queries.code(q)[w];
  const uint64_t tiles_at = words.size() * 8;
  std::vector<uint64_t> tile_at(ntiles), tile_words(ntiles), tile_n(ntiles);
  for (uint64_t t = 0; t < ntiles; ++t) {
    const uint64_t first = t * tile_codes, nt = std::min<uint64_t>(tile_codes, n - first);
    const uint64_t G = (nt + L - 1) / L;
    tile_at[t] = words.size() * 8;
    tile_n[t] = nt;
    tile_words[t] = round_up(G * S * L * m, Wb);
    std::vector<uint64_t> tile(tile_words[t], 0);
    for (uint64_t c = 0; c < nt; ++c) {
      const uint64_t g = c / L, l = c % L;
      for (uint64_t w = 0; w < cw; ++w) {
        const uint64_t s = w / m, j = w % m;
        tile[((g * S + s) * L + l) * m + j] = db.code(first + c)[w];
      }
    }
    words.insert(words.end(), tile.begin(), tile.end());
  }
  (void)tiles_at;
  job.result_addr = words.size() * 8;
  job.result_stride = k * 8;
  const uint64_t result_words = round_up(nq * k, Wb);
  words.resize(words.size() + result_words, 0x5A5A5A5A5A5A5A5Aull);  // garbage the stores overwrite
  job.dram.resize(words.size() * 8);
  std::memcpy(job.dram.data(), words.data(), job.dram.size());

  auto& P = job.program.insns;
  P.push_back(make_load(isa::Buf::kQbuf, 0, groups * gstride, 0, deps(false, false, false, true)));
  P.push_back(make_nop(deps(true, false, false, false)));  // compute takes the query token
  auto load_tile = [&](uint64_t t) {
    // slot t%2 is free again once the compute unit finished tile t-2 (its c2l token)
    P.push_back(make_load(isa::Buf::kDbuf, slot[t % 2], tile_words[t], tile_at[t], deps(false, t >= 2, false, true)));
  };
  load_tile(0);
  for (uint64_t t = 0; t < ntiles; ++t) {
    if (t + 1 < ntiles) load_tile(t + 1);  // prefetch
    for (uint64_t g = 0; g < groups; ++g) {
      isa::HamtopkInsn h;
      h.init = t == 0;
      h.k = k;
      h.code_words = cw;
      h.q_addr = g * gstride;
      h.db_addr = slot[t % 2];
      h.base_index = t * tile_codes;
      h.r_addr = g * Q * k;
      h.n_codes = tile_n[t];
      h.n_q = std::min(Q, nq - g * Q);
      P.push_back(hamtopk(h, deps(g == 0, false, g + 1 == groups, false)));
    }
  }
  P.push_back(make_nop(deps(false, false, false, true)));  // results ready -> store
  P.push_back(make_store(isa::Buf::kRbuf, 0, result_words, job.result_addr, deps(true, false, true, false)));
  P.push_back(make_finish(deps(false, true, false, false)));
  return job;
}

}  // namespace bitgrid::scsim_test
