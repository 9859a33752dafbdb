// hamming_topk lowering: query batches stay in qbuf while the database streams through the two
// halves of dbuf (double buffering); each (query group, tile) pair is one hamtopk merging into the
// group's top-k states in rbuf (a group: up to ham_queries queries, step-interleaved in qbuf, compared
// with each database word read); each batch's states are stored once after its last tile.
// Dependency tokens (docs/ARCHITECTURE.md R2/R3):
//   load tile   -> push l2c;      first hamtopk of the tile pops l2c
//   last hamtopk of a tile pushes c2l; a load that overwrites data still in use pops enough c2l first
//   last hamtopk of a batch pushes c2s; the batch's store pops c2s and pushes s2c
//   first hamtopk of the next batch pops s2c (rbuf reuse); finish pops the last s2c
#include "bitgrid/workloads/hamming_topk.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "bitgrid/checker.h"
#include "bitgrid/engines/hamtopk.h"
#include "bitgrid/error.h"
#include "bitgrid/workload_util.h"

namespace bitgrid {

HammingTopkCompiled compile_hamming_topk(const HammingTopkWorkload& w, const HwConfig& hw) {
  const std::string where = "workload (hamming_topk)";
  if (w.database.n == 0) throw Error(where + ": the database is empty");
  if (w.queries.n == 0) throw Error(where + ": there are no queries");
  if (w.database.words != w.queries.words)
    throw Error(where + ": database codes have " + std::to_string(w.database.bits()) + " bits, queries " +
                std::to_string(w.queries.bits()));
  if (w.k < 1 || w.k > static_cast<size_t>(hw.topk_max))
    throw Error(where + ".k: " + std::to_string(w.k) + " is outside 1..topk_max = " + std::to_string(hw.topk_max));
  const uint64_t cw = w.database.words;
  if (cw > hamtopk::max_code_words(hw))
    throw Error(where + ": codes of " + std::to_string(cw * 64) +
                " bits exceed max_code_bits = " + std::to_string(hw.max_code_bits));
  if (w.database.n > 0xFFFFFFFEull) throw Error(where + ": more than 2^32-2 database codes");
  const uint64_t wb = static_cast<uint64_t>(hw.beat_words());
  const uint64_t m = hamtopk::lane_words(hw), L = hamtopk::lanes(hw), Q = hamtopk::queries(hw);
  const uint64_t S = hamtopk::steps(hw, cw);
  const uint64_t gwords = hamtopk::group_query_words(hw, cw);  // one query group (Q slots) in qbuf
  const uint64_t k = w.k;
  auto qbuf_of = [&](uint64_t nq) { return (nq + Q - 1) / Q * gwords; };  // words of nq queries' groups

  // --- query batch: qbuf and rbuf capacity; r_addr field (16 bits) bounds the state addresses
  const uint64_t qbuf_words = static_cast<uint64_t>(hw.buf_words(isa::Buf::kQbuf));
  const uint64_t rbuf_words = std::min<uint64_t>(static_cast<uint64_t>(hw.buf_words(isa::Buf::kRbuf)), 1u << 16);
  uint64_t qb_max = std::min(qbuf_words / gwords * Q, rbuf_words / k);
  while (qb_max > 0 && (round_up(qbuf_of(qb_max), wb) > qbuf_words || round_up(qb_max * k, wb) > rbuf_words)) --qb_max;
  if (qb_max == 0)
    throw Error(where + ": one query group (" + std::to_string(gwords * 8) +
                " bytes) and a k-entry state do not fit qbuf (" + std::to_string(hw.qbuf_kib) + " KiB) / rbuf (" +
                std::to_string(hw.rbuf_kib) + " KiB)");
  uint64_t qb = std::min<uint64_t>(qb_max, w.queries.n);
  if (w.query_batch) {
    if (w.query_batch > qb_max)
      throw Error(where + ".query_batch: " + std::to_string(w.query_batch) + " exceeds the " + std::to_string(qb_max) +
                  " queries that fit qbuf/rbuf");
    qb = std::min<uint64_t>(w.query_batch, w.queries.n);
  }
  const uint64_t batches = (w.queries.n + qb - 1) / qb;

  // --- database tile: half of dbuf, whole rows, a multiple of L codes, n_codes field 16 bits
  const uint64_t rd = static_cast<uint64_t>(hw.row_words(isa::Buf::kDbuf));
  const uint64_t half = static_cast<uint64_t>(hw.buf_words(isa::Buf::kDbuf)) / 2 / rd * rd;
  const uint64_t group_words = S * L * m;
  uint64_t t_max = half / group_words * L;
  while (t_max > 0 && round_up((t_max + L - 1) / L * group_words, wb) > half) t_max -= L;
  t_max = std::min<uint64_t>(t_max, 65535 / L * L);
  if (t_max == 0)
    throw Error(where + ": one group of " + std::to_string(L) + " codes of " + std::to_string(cw * 64) + " bits (" +
                std::to_string(group_words * 8) + " bytes) does not fit half of dbuf (" + std::to_string(half * 8) +
                " bytes; dbuf_kib = " + std::to_string(hw.dbuf_kib) + ")");
  uint64_t tile = std::min<uint64_t>(t_max, round_up(w.database.n, L));
  if (w.tile_codes) {
    if (w.tile_codes > t_max)
      throw Error(where + ".tile_codes: " + std::to_string(w.tile_codes) + " exceeds the " + std::to_string(t_max) +
                  " codes that fit half of dbuf");
    tile = w.tile_codes;
  }
  const uint64_t ntiles = (w.database.n + tile - 1) / tile;

  // --- DRAM layout
  HammingTopkCompiled out;
  HammingTopkLayout& lay = out.layout;
  lay.nq = w.queries.n;
  lay.k = k;
  lay.batch = qb;
  lay.batches = batches;
  lay.tile_codes = tile;
  lay.tiles = ntiles;
  const uint64_t beat = static_cast<uint64_t>(hw.dram_bytes_per_cycle);
  const uint64_t qbatch_bytes = round_up(qbuf_of(qb), wb) * 8;
  const uint64_t tile_bytes_max = round_up((tile + L - 1) / L * group_words, wb) * 8;
  lay.query_addr = 0;
  lay.db_addr = round_up(batches * qbatch_bytes, beat);
  lay.result_batch_stride = round_up(qb * k, wb) * 8;
  lay.result_addr = round_up(lay.db_addr + ntiles * tile_bytes_max, beat);
  lay.dram_bytes = lay.result_addr + batches * lay.result_batch_stride;
  if (lay.dram_bytes > 0xFFFFFFFFull)
    throw Error(where + ": the memory image needs " + std::to_string(lay.dram_bytes) +
                " bytes, above the 4 GiB DRAM address space");
  out.memory.assign(lay.dram_bytes, 0);
  auto word_at = [&](uint64_t byte_addr) { return reinterpret_cast<uint64_t*>(out.memory.data() + byte_addr); };
  for (uint64_t q = 0; q < w.queries.n; ++q) {  // group (q % qb) / Q, slot (q % qb) % Q, step-interleaved
    const uint64_t base = lay.query_addr + (q / qb) * qbatch_bytes + (q % qb) / Q * gwords * 8;
    const uint64_t j = (q % qb) % Q;
    const uint64_t* src = w.queries.code(q);
    for (uint64_t wd = 0; wd < cw; ++wd) word_at(base)[(wd / m * Q + j) * m + wd % m] = src[wd];
  }
  for (uint64_t t = 0; t < ntiles; ++t) {
    const uint64_t c0 = t * tile, n = std::min<uint64_t>(tile, w.database.n - c0);
    uint64_t* tw = word_at(lay.db_addr + t * tile_bytes_max);
    for (uint64_t c = 0; c < n; ++c) {
      const uint64_t g = c / L, l = c % L;
      const uint64_t* src = w.database.code(c0 + c);
      for (uint64_t wd = 0; wd < cw; ++wd) tw[((g * S + wd / m) * L + l) * m + wd % m] = src[wd];
    }
  }

  // --- program
  auto emit = [&](const Insn& i, std::string comment) {
    out.program.insns.push_back(i);
    out.comments.push_back(std::move(comment));
  };
  uint64_t c2l_popped = 0;  // load-side accounting of c2l tokens (one per finished tile)
  auto load_wait = [&](uint64_t tiles_needed, Deps& d, const std::string& why) {
    // Pop c2l until `tiles_needed` tiles are known finished; extra pops ride on token-only loads.
    while (c2l_popped + 1 < tiles_needed) {
      emit(make_load(isa::Buf::kQbuf, 0, 0, 0, Deps{false, true, false, false}), "wait: " + why);
      ++c2l_popped;
    }
    if (c2l_popped < tiles_needed) {
      d.pop_next = true;
      ++c2l_popped;
    }
  };
  // Software pipeline: the loads of tile gt+1 are emitted before the hamtopks of tile gt, so the
  // in-order dispatcher hands them to the load unit while the compute unit works on tile gt.
  const uint64_t total = batches * ntiles;
  auto emit_loads = [&](uint64_t g) {
    const uint64_t b = g / ntiles, t = g % ntiles;
    const uint64_t c0 = t * tile, n = std::min<uint64_t>(tile, w.database.n - c0);
    const uint64_t twords = round_up((n + L - 1) / L * group_words, wb);
    Deps dl;
    dl.push_next = t != 0;  // a batch's first tile is announced by its query load, issued right after
    if (g >= 2) load_wait(g - 1, dl, "dbuf half free");  // tile g-2 (same half) finished
    emit(make_load(isa::Buf::kDbuf, (g % 2) * half, twords, lay.db_addr + t * tile_bytes_max, dl),
         "tile " + std::to_string(t) + ": codes " + std::to_string(c0) + ".." + std::to_string(c0 + n - 1) +
             " -> dbuf half " + std::to_string(g % 2));
    if (t == 0) {
      const uint64_t q0 = b * qb, nqb = std::min<uint64_t>(qb, w.queries.n - q0);
      Deps dq;
      dq.push_next = true;
      load_wait(g, dq, "qbuf free");  // every tile of the earlier batches finished
      emit(make_load(isa::Buf::kQbuf, 0, round_up(qbuf_of(nqb), wb), lay.query_addr + b * qbatch_bytes, dq),
           "batch " + std::to_string(b) + ": queries " + std::to_string(q0) + ".." + std::to_string(q0 + nqb - 1));
    }
  };
  emit_loads(0);
  for (uint64_t g = 0; g < total; ++g) {
    const uint64_t b = g / ntiles, t = g % ntiles;
    const uint64_t c0 = t * tile, n = std::min<uint64_t>(tile, w.database.n - c0);
    const uint64_t q0 = b * qb, nqb = std::min<uint64_t>(qb, w.queries.n - q0);
    if (g + 1 < total) emit_loads(g + 1);
    for (uint64_t qi = 0; qi < nqb; qi += Q) {
      isa::HamtopkInsn h;
      h.init = t == 0;
      h.k = k;
      h.code_words = cw;
      h.q_addr = qi / Q * gwords;
      h.db_addr = (g % 2) * half;
      h.base_index = c0;
      h.r_addr = qi * k;
      h.n_codes = n;
      h.n_q = std::min(Q, nqb - qi);
      const bool last = qi + h.n_q == nqb;
      h.deps.pop_prev = qi == 0;                     // tile (and, for t = 0, queries) loaded
      h.deps.pop_next = qi == 0 && t == 0 && b > 0;  // previous batch's results stored (rbuf free)
      h.deps.push_prev = last;                       // tile finished: its dbuf half may be reloaded
      h.deps.push_next = last && t + 1 == ntiles;    // batch finished: store it
      emit(encode(h), (h.n_q > 1 ? "queries " + std::to_string(q0 + qi) + ".." + std::to_string(q0 + qi + h.n_q - 1)
                                 : "query " + std::to_string(q0 + qi)) +
                          " x tile " + std::to_string(t));
    }
    if (t + 1 == ntiles)
      emit(make_store(isa::Buf::kRbuf, 0, round_up(nqb * k, wb), lay.result_addr + b * lay.result_batch_stride,
                      Deps{true, false, true, false}),
           "batch " + std::to_string(b) + ": top-" + std::to_string(k) + " results");
  }
  emit(make_finish(Deps{false, true, false, false}), "after the last store");
  check_program(out.program, hw, lay.dram_bytes);
  out.layout_json = {{"nq", lay.nq},
                     {"k", lay.k},
                     {"batch", lay.batch},
                     {"tile_codes", lay.tile_codes},
                     {"tiles", lay.tiles},
                     {"batches", lay.batches},
                     {"query_addr", lay.query_addr},
                     {"db_addr", lay.db_addr},
                     {"result_addr", lay.result_addr},
                     {"result_batch_stride", lay.result_batch_stride},
                     {"dram_bytes", lay.dram_bytes}};
  return out;
}

void decode_hamming_topk(const HammingTopkLayout& l, const std::vector<uint8_t>& memory,
                         std::vector<int64_t>& neighbors, std::vector<int32_t>& distances) {
  if (memory.size() < l.dram_bytes) throw Error("memory image is smaller than the program's layout");
  neighbors.assign(l.nq * l.k, -1);
  distances.assign(l.nq * l.k, std::numeric_limits<int32_t>::max());
  for (size_t q = 0; q < l.nq; ++q)
    for (size_t i = 0; i < l.k; ++i) {
      uint64_t wd;
      std::memcpy(&wd,
                  memory.data() + l.result_addr + (q / l.batch) * l.result_batch_stride + ((q % l.batch) * l.k + i) * 8,
                  8);
      const Neighbor nb = Neighbor::from_word(wd);
      if (nb.empty()) continue;
      neighbors[q * l.k + i] = nb.index;
      distances[q * l.k + i] = static_cast<int32_t>(nb.dist);
    }
}

}  // namespace bitgrid
