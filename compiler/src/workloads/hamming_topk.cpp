// hamming_topk lowering: query batches stay in qbuf while the database streams through the two
// halves of dbuf (double buffering); each (query group, tile) pair is one hamtopk merging into the
// group's top-k states in rbuf (a group: up to ham_queries queries, step-interleaved in qbuf, compared
// with each database word read); each batch's states are stored once after its last tile. The codes come
// from DRAM, or (encode: chip, encode_on_chip below) are made on chip from INT8 vectors by the MAC array and
// the binary encoder, straight into qbuf and the tiles' dbuf halves.
// Dependency tokens (docs/ARCHITECTURE.md R2/R3):
//   load tile   -> push l2c;      first hamtopk of the tile pops l2c
//   last hamtopk of a tile pushes c2l; a load that overwrites data still in use pops enough c2l first
//   last hamtopk of a batch pushes c2s; the batch's store pops c2s and pushes s2c
//   first hamtopk of the next batch pops s2c (rbuf reuse); finish pops the last s2c
#include "bitgrid/workloads/hamming_topk.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <limits>

#include "bitgrid/checker.h"
#include "bitgrid/engines/bitmac.h"
#include "bitgrid/engines/hamtopk.h"
#include "bitgrid/engines/lut.h"
#include "bitgrid/error.h"
#include "bitgrid/workload_util.h"
#include "bitgrid/workloads/chip_gemm.h"

namespace bitgrid {

namespace {

using Emit = std::function<void(const Insn&, std::string)>;

void check_dram(const std::string& where, uint64_t bytes) {
  if (bytes > 0xFFFFFFFFull)
    throw Error(where + ": the memory image needs " + std::to_string(bytes) +
                " bytes, above the 4 GiB DRAM address space");
}

// What the lowering decided before the DRAM layout: queries per batch, codes per tile, dbuf half, query group.
struct Plan {
  uint64_t qb, batches, tile, ntiles, half, gwords;
};

uint64_t log2_of(uint64_t pow2) { return static_cast<uint64_t>(__builtin_ctzll(pow2)); }

// encode: chip (ARCHITECTURE.md §3.5). The projection's weights and channel parameters (INT8, unit scales,
// mult 1, shift 0: the INT8 outputs keep the exact sign of each dot product) are loaded once. Then, in program
// order, each batch's queries and each tile's database vectors come as INT8 rows in chunks through the two
// halves of abuf (a chunk's load prefetched while the chunk before computes; c2l from the chunk's last gemm
// frees its half); per chunk one gemm per output tile of C bits writes its INT8 outputs into obuf, and one benc
// packs their signs straight into qbuf (the batch's query groups) or the tile's dbuf half. gemm, benc and
// hamtopk share the compute queue, so obuf, qbuf and dbuf need no tokens.
void encode_on_chip(const HammingTopkWorkload& w, const HwConfig& hw, const Plan& p, HammingTopkLayout& lay,
                    HammingTopkCompiled& out, const Emit& emit,
                    const std::function<void(uint64_t, bool, bool)>& searches) {
  const std::string where = "workload (hamming_topk, encode: chip)";
  const ChipEncode& ce = *w.chip;
  for (int e : {isa::kEngineBitmac, isa::kEngineBinenc})
    if (!isa::engine_present(e, hw))
      throw Error(where + ": the machine has no " + isa::kEngines[static_cast<size_t>(e)].name + " (has_" +
                  isa::kEngines[static_cast<size_t>(e)].name + ": 0)");
  if (ce.ksh && !isa::engine_present(isa::kEngineLut, hw))
    throw Error(where + ": kernelized hashing needs the table unit (has_lut: 0)");
  const uint64_t R = bitmac::rows(hw), C = bitmac::cols(hw);
  const uint64_t wb = static_cast<uint64_t>(hw.beat_words()), beat = static_cast<uint64_t>(hw.dram_bytes_per_cycle);
  const uint64_t bits = w.database.bits(), cw = w.database.words;
  const uint64_t m = hamtopk::lane_words(hw), L = hamtopk::lanes(hw), Q = hamtopk::queries(hw);
  auto words_of = [&](isa::Buf b) { return static_cast<uint64_t>(hw.buf_words(b)); };
  GemmStagePacker packer(hw, where);
  std::vector<GemmStage> stages;  // SimHash: the projection; KSH: the anchors, then A
  if (!ce.ksh) {
    std::vector<bitmac::Channel> ch(bits);  // unit requantizers: the INT8 outputs keep the signs of acc + bias
    for (uint64_t b = 0; b < bits && !ce.bias.empty(); ++b) ch[b] = {ce.bias[b], 1, 0};
    stages.push_back(packer.add(ce.projection, bits, ce.dim, 1, 1, ch, "projection"));
  } else {
    const KshInt8& k = *ce.ksh;
    // gemm 1's outputs are the table's inputs and gemm 2's activations: one width for both, whole k-tiles and tiles
    const uint64_t mk = round_up(k.m, std::max(2 * R, C));
    stages.push_back(packer.add(k.anchors, k.m, ce.dim, mk, 1, std::vector<bitmac::Channel>(k.m, {0, k.mult, k.shift}),
                                "anchor matrix"));
    std::vector<bitmac::Channel> ch2(bits);
    for (uint64_t b = 0; b < bits; ++b) ch2[b] = {k.bias[b], 1, 0};
    stages.push_back(packer.add(k.a, bits, k.m, 1, mk, ch2, "hash projection A"));
    if (stages[1].K != mk || stages[0].N != mk)
      throw Error(where + ": " + std::to_string(k.m) + " anchors do not fit one row of gemm 2's groups");
  }
  const uint64_t kp = stages[0].K;
  const uint64_t row_w = kp / 8, out_w = bits / 8;     // abuf words per INT8 row, obuf words per code's outputs
  const uint64_t mk_w = ce.ksh ? stages[0].N / 8 : 0;  // KSH: words per row of features (gemm 1 out, gemm 2 in)
  const uint64_t align = std::max(R / 4, wb);
  // abuf: two halves for the input chunks, then (KSH) the features of one chunk
  auto fits = [&](uint64_t rows) {
    const uint64_t half = round_up(round_up(rows * row_w, wb), align);
    return 2 * half + rows * mk_w <= words_of(isa::Buf::kAbuf) &&
           rows * std::max(out_w, mk_w) <= words_of(isa::Buf::kObuf);
  };
  uint64_t rows = 1023;
  while (rows > 0 && !fits(rows)) --rows;
  if (rows == 0)
    throw Error(where + ": one vector of dimension " + std::to_string(kp) + " and its " + std::to_string(bits) +
                " outputs do not fit abuf (abuf_kib = " + std::to_string(hw.abuf_kib) +
                ") / obuf (obuf_kib = " + std::to_string(hw.obuf_kib) + ")");
  const uint64_t a_half = round_up(round_up(rows * row_w, wb), align);
  const uint64_t phi_at = 2 * a_half;  // KSH: abuf address of the chunk's features

  // The chunks in program order: a batch's queries before its first tile, then each tile's vectors.
  struct Chunk {
    bool db = false;
    uint64_t g = 0;      // (batch, tile) step whose searches follow the chunk, if `last`
    uint64_t first = 0;  // first row (query or database index)
    uint64_t n = 0;      // rows
    uint64_t c_first = 0, dst_addr = 0, dram = 0;
    bool last = false;  // the tile's last chunk: its searches follow
  };
  std::vector<Chunk> chunks;
  uint64_t dram = 0;
  const uint64_t w_at = dram;
  dram = round_up(dram + round_up(packer.w_words(), wb) * 8, beat);
  const uint64_t s_at = dram;
  dram = round_up(dram + round_up(packer.s_words(), wb) * 8, beat);
  const uint64_t t_at = dram;  // KSH: the exp table
  if (ce.ksh) dram = round_up(dram + round_up(lut::kTableWords, wb) * 8, beat);
  lay.query_addr = dram;
  std::vector<uint64_t> q_chunk_at, db_chunk_at;  // DRAM of each batch's / tile's chunks (tiles shared by batches)
  std::vector<uint64_t> tile_chunk0;              // index into db_chunk_at of each tile's first chunk
  auto place = [&](uint64_t n) {
    const uint64_t a = dram;
    dram = round_up(dram + round_up(n * row_w, wb) * 8, beat);
    return a;
  };
  for (uint64_t b = 0; b < p.batches; ++b)
    for (uint64_t q = b * p.qb; q < std::min<uint64_t>((b + 1) * p.qb, w.queries.n); q += rows)
      q_chunk_at.push_back(place(std::min<uint64_t>(rows, std::min<uint64_t>((b + 1) * p.qb, w.queries.n) - q)));
  lay.db_addr = dram;
  for (uint64_t t = 0; t < p.ntiles; ++t) {
    tile_chunk0.push_back(db_chunk_at.size());
    for (uint64_t c = t * p.tile; c < std::min<uint64_t>((t + 1) * p.tile, w.database.n); c += rows)
      db_chunk_at.push_back(place(std::min<uint64_t>(rows, std::min<uint64_t>((t + 1) * p.tile, w.database.n) - c)));
  }
  lay.result_addr = dram;
  lay.dram_bytes = lay.result_addr + p.batches * lay.result_batch_stride;
  check_dram(where, lay.dram_bytes);
  for (uint64_t g = 0, qi = 0; g < p.batches * p.ntiles; ++g) {
    const uint64_t b = g / p.ntiles, t = g % p.ntiles;
    if (t == 0) {
      const uint64_t q0 = b * p.qb, q1 = std::min<uint64_t>(q0 + p.qb, w.queries.n);
      for (uint64_t q = q0; q < q1; q += rows, ++qi)
        chunks.push_back({false, g, q, std::min(rows, q1 - q), q - q0, 0, q_chunk_at[qi], false});
    }
    const uint64_t c0 = t * p.tile, c1 = std::min<uint64_t>(c0 + p.tile, w.database.n);
    uint64_t di = tile_chunk0[t];
    for (uint64_t c = c0; c < c1; c += rows, ++di)
      chunks.push_back({true, g, c, std::min(rows, c1 - c), c - c0, (g % 2) * p.half, db_chunk_at[di], c + rows >= c1});
  }

  // --- memory image: weights, channel parameters, INT8 rows
  out.memory.assign(lay.dram_bytes, 0);
  for (const GemmStage& st : stages) {
    std::memcpy(out.memory.data() + w_at + st.w_addr * 8, st.wimg.data(), st.wimg.size() * 8);
    std::memcpy(out.memory.data() + s_at + st.s_addr * 8, st.simg.data(), st.simg.size() * 8);
  }
  if (ce.ksh) {
    const std::vector<uint64_t> tw = lut::pack_table(ce.ksh->table);
    std::memcpy(out.memory.data() + t_at, tw.data(), tw.size() * 8);
  }
  for (const Chunk& ch : chunks) {
    const std::vector<int8_t>& src = ch.db ? ce.database : ce.queries;
    for (uint64_t r = 0; r < ch.n; ++r)
      std::memcpy(out.memory.data() + ch.dram + r * kp, src.data() + (ch.first + r) * ce.dim, ce.dim);
  }

  // --- program
  emit(make_load(isa::Buf::kWbuf, 0, round_up(packer.w_words(), wb), w_at),
       ce.ksh ? "anchors and A: INT8 weights" : "projection: INT8 weights");
  emit(make_load(isa::Buf::kSbuf, 0, round_up(packer.s_words(), wb), s_at), "channel parameters");
  if (ce.ksh) emit(make_load(isa::Buf::kTbuf, 0, round_up(lut::kTableWords, wb), t_at), "the exp table");
  AbufChunks halves(emit, a_half);
  auto emit_load = [&](uint64_t j) {
    const Chunk& ch = chunks[j];
    halves.load(j, round_up(ch.n * row_w, wb), ch.dram,
                std::string(ch.db ? "vectors " : "queries ") + std::to_string(ch.first) + ".." +
                    std::to_string(ch.first + ch.n - 1) + " (INT8)");
  };
  emit_load(0);
  for (uint64_t j = 0; j < chunks.size(); ++j) {
    if (j + 1 < chunks.size()) emit_load(j + 1);
    const Chunk& ch = chunks[j];
    // one gemm per output tile of a stage: rows at a_addr (K/8 words each) -> obuf rows of N/8 words; the first
    // waits for the chunk's load, the last frees its abuf half
    auto gemms = [&](const GemmStage& st, uint64_t a_addr, bool first, bool last, const std::string& what) {
      emit_stage_gemms(st, hw, ch.n, a_addr, 0, st.N / 8, false, Deps{first, false, false, false},
                       Deps{false, false, last, false}, emit, what);
    };
    if (!ce.ksh) {
      gemms(stages[0], halves.addr(j), true, true, "project bits");
    } else {
      gemms(stages[0], halves.addr(j), true, true, "x . anchors");
      isa::LutInsn lt;  // features: exp of the requantized dot products, into abuf for gemm 2
      lt.n_rows = ch.n;
      lt.row_segs = stages[0].N / C;
      lt.src_stride = mk_w;
      lt.dst_addr = phi_at;
      lt.dst_stride = mk_w;
      emit(encode(lt), "RBF features (exp table)");
      gemms(stages[1], phi_at, false, false, "A . features, bits");
    }
    isa::BencInsn be;
    be.dst = ch.db;
    be.p_log2 = log2_of(ch.db ? L : Q);
    be.m_log2 = log2_of(m);
    be.code_words = cw;
    be.src_addr = 0;
    be.dst_addr = ch.dst_addr;
    be.src_stride = out_w;
    be.n_codes = ch.n;
    be.c_first = ch.c_first;
    emit(encode(be), std::string("codes of ") + (ch.db ? "vectors " : "queries ") + std::to_string(ch.first) + ".." +
                         std::to_string(ch.first + ch.n - 1) + (ch.db ? " -> dbuf" : " -> qbuf"));
    if (ch.db && ch.last) searches(ch.g, false, false);
  }
}

}  // namespace

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
  const Emit emit = [&](const Insn& i, std::string comment) {
    out.program.insns.push_back(i);
    out.comments.push_back(std::move(comment));
  };
  // The hamtopks of (batch b, tile t) into dbuf half g % 2: one per query group. `pop_first`: the first waits
  // for the token of what made its operands ready (a load's l2c), `push_last`: the last one's c2l frees the
  // tile's dbuf half for a load.
  auto emit_searches = [&](uint64_t g, bool pop_first, bool push_last) {
    const uint64_t b = g / ntiles, t = g % ntiles;
    const uint64_t c0 = t * tile, n = std::min<uint64_t>(tile, w.database.n - c0);
    const uint64_t q0 = b * qb, nqb = std::min<uint64_t>(qb, w.queries.n - q0);
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
      h.deps.pop_prev = qi == 0 && pop_first;        // tile (and, for t = 0, queries) loaded
      h.deps.pop_next = qi == 0 && t == 0 && b > 0;  // previous batch's results stored (rbuf free)
      h.deps.push_prev = last && push_last;          // tile finished: its dbuf half may be reloaded
      h.deps.push_next = last && t + 1 == ntiles;    // batch finished: store it
      emit(encode(h), (h.n_q > 1 ? "queries " + std::to_string(q0 + qi) + ".." + std::to_string(q0 + qi + h.n_q - 1)
                                 : "query " + std::to_string(q0 + qi)) +
                          " x tile " + std::to_string(t));
    }
    if (t + 1 == ntiles)
      emit(make_store(isa::Buf::kRbuf, 0, round_up(nqb * k, wb), lay.result_addr + b * lay.result_batch_stride,
                      Deps{true, false, true, false}),
           "batch " + std::to_string(b) + ": top-" + std::to_string(k) + " results");
  };
  const uint64_t total = batches * ntiles;
  lay.result_batch_stride = round_up(qb * k, wb) * 8;

  if (!w.chip) {
    const uint64_t qbatch_bytes = round_up(qbuf_of(qb), wb) * 8;
    const uint64_t tile_bytes_max = round_up((tile + L - 1) / L * group_words, wb) * 8;
    lay.query_addr = 0;
    lay.db_addr = round_up(batches * qbatch_bytes, beat);
    lay.result_addr = round_up(lay.db_addr + ntiles * tile_bytes_max, beat);
    lay.dram_bytes = lay.result_addr + batches * lay.result_batch_stride;
    check_dram(where, lay.dram_bytes);
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
    TokenWait c2l(emit);  // load-side accounting of c2l tokens (one per finished tile)
    // Software pipeline: the loads of tile gt+1 are emitted before the hamtopks of tile gt, so the
    // in-order dispatcher hands them to the load unit while the compute unit works on tile gt.
    auto emit_loads = [&](uint64_t g) {
      const uint64_t b = g / ntiles, t = g % ntiles;
      const uint64_t c0 = t * tile, n = std::min<uint64_t>(tile, w.database.n - c0);
      const uint64_t twords = round_up((n + L - 1) / L * group_words, wb);
      Deps dl;
      dl.push_next = t != 0;  // a batch's first tile is announced by its query load, issued right after
      if (g >= 2) c2l.wait(g - 1, dl, "dbuf half free");  // tile g-2 (same half) finished
      emit(make_load(isa::Buf::kDbuf, (g % 2) * half, twords, lay.db_addr + t * tile_bytes_max, dl),
           "tile " + std::to_string(t) + ": codes " + std::to_string(c0) + ".." + std::to_string(c0 + n - 1) +
               " -> dbuf half " + std::to_string(g % 2));
      if (t == 0) {
        const uint64_t q0 = b * qb, nqb = std::min<uint64_t>(qb, w.queries.n - q0);
        Deps dq;
        dq.push_next = true;
        c2l.wait(g, dq, "qbuf free");  // every tile of the earlier batches finished
        emit(make_load(isa::Buf::kQbuf, 0, round_up(qbuf_of(nqb), wb), lay.query_addr + b * qbatch_bytes, dq),
             "batch " + std::to_string(b) + ": queries " + std::to_string(q0) + ".." + std::to_string(q0 + nqb - 1));
      }
    };
    emit_loads(0);
    for (uint64_t g = 0; g < total; ++g) {
      if (g + 1 < total) emit_loads(g + 1);
      emit_searches(g, true, true);
    }
  } else {
    encode_on_chip(w, hw, {qb, batches, tile, ntiles, half, gwords}, lay, out, emit, emit_searches);
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
  if (w.chip) out.layout_json["encode"] = "chip";
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
