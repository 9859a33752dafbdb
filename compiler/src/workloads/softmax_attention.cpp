// Lowering of softmax attention on the MAC array, the baseline of the hashed head (bitgrid/workloads/attention.h,
// docs/ARCHITECTURE.md §3.8). Resident in wbuf for the whole program: the projection stages [Wk; Wv], Wq and Wo,
// an int3 tile whose channel 0 is ones (the row sums), and - written on chip by the weight packer - K as weight
// tiles of mac_cols keys (trans 0) and V as weight tiles of mac_cols features over all keys (trans 1). The tokens'
// INT8 rows come twice in chunks through abuf's halves (a chunk's load prefetched while the one before computes):
//   keys (chunks of a multiple of 2 mac_rows tokens): gemm [Wk; Wv] -> obuf; wpack K tiles; wpack V rows
//   queries (chunks whose logits fit obuf): gemm Wq -> abuf (Q); per K tile gemm -> INT8 logits in obuf; lut (exp)
//     -> P in abuf; per V tile gemm out32 -> numerators in obuf, the ones tile -> row sums beside them; sdiv ->
//     the attention rows in abuf; gemm Wo -> obuf; a store of the chunk's output rows.
// Dependency tokens as in the hashed head (attention.cpp): loads push l2c, a chunk's projection pops it and its last
// gemm pushes c2l (the abuf half is free again); the output gemms push c2s, stores pop it and push s2c, the next
// chunk's output gemm pops s2c. The tables and weights load before the first chunk on the same (in-order) queue.
#include <Eigen/Dense>
#include <algorithm>
#include <cstring>
#include <numeric>

#include "bitgrid/checker.h"
#include "bitgrid/engines/lut.h"
#include "bitgrid/engines/signacc.h"
#include "bitgrid/engines/wpack.h"
#include "bitgrid/error.h"
#include "bitgrid/workload_util.h"
#include "bitgrid/workloads/attention.h"
#include "bitgrid/workloads/chip_gemm.h"

namespace bitgrid {

namespace {

void check_softmax(const SoftmaxQ& s, const std::string& where) {
  if (s.n < 1 || s.dim < 1 || s.d < 1) throw Error(where + ": empty shape");
  if (s.gain > 7) throw Error(where + ": gain 2^" + std::to_string(s.gain) + " is above sdiv's 2^7");
  if (s.x.size() != s.n * s.dim || s.wq.size() != s.d * s.dim || s.wk.size() != s.d * s.dim ||
      s.wv.size() != s.d * s.dim || s.wo.size() != s.dim * s.d || s.cq.size() != s.d || s.ck.size() != s.d ||
      s.cv.size() != s.d || s.co.size() != s.dim || s.exp_table.size() != 256)
    throw Error(where + ": operands of the wrong size");
  // P <= 127 and |V| <= 128: the numerators stay within INT32 for n < 2^31 / (127 * 128)
  if (s.n > (uint64_t{1} << 31) / (127 * 128))
    throw Error(where + ".tokens: " + std::to_string(s.n) + " would overflow the INT32 numerators of P V (" +
                "n * 127 * 128 < 2^31: n <= " + std::to_string((uint64_t{1} << 31) / (127 * 128)) + ")");
}

}  // namespace

SoftmaxRef softmax_reference(const SoftmaxQ& s, const std::function<void(uint64_t)>& progress) {
  check_softmax(s, "attention");
  const uint64_t N = s.n, d = s.d;
  const std::vector<int8_t> q = int8_linear(s.x, N, s.dim, s.wq, d, s.cq),
                            k = int8_linear(s.x, N, s.dim, s.wk, d, s.ck),
                            v = int8_linear(s.x, N, s.dim, s.wv, d, s.cv);
  // 256 queries at a time through Eigen (integer sums below 2^53 in doubles: exact)
  using Mat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Index n = static_cast<Eigen::Index>(N), D = static_cast<Eigen::Index>(d);
  Mat km(n, D), vm(n, D);
  for (Eigen::Index i = 0; i < n * D; ++i) {
    km.data()[i] = k[static_cast<size_t>(i)];
    vm.data()[i] = v[static_cast<size_t>(i)];
  }
  SoftmaxRef r;
  r.att.resize(N * d);
  for (Eigen::Index q0 = 0; q0 < n; q0 += 256) {
    const Eigen::Index nq = std::min<Eigen::Index>(256, n - q0);
    Mat qm(nq, D);
    for (Eigen::Index i = 0; i < nq * D; ++i) qm.data()[i] = q[static_cast<size_t>(q0 * D + i)];
    Mat p = qm * km.transpose();
    for (Eigen::Index i = 0; i < p.size(); ++i) {
      const auto logit = bitmac::requant(static_cast<int64_t>(p.data()[i]), s.cl, false, false);
      p.data()[i] = s.exp_table[static_cast<uint8_t>(static_cast<int8_t>(logit))];
    }
    const Mat num = p * vm;
    for (Eigen::Index r0 = 0; r0 < nq; ++r0) {
      const signacc::Recip rc = signacc::recip(static_cast<int32_t>(p.row(r0).sum()));
      for (Eigen::Index c = 0; c < D; ++c)
        r.att[static_cast<size_t>((q0 + r0) * D + c)] =
            signacc::result(static_cast<int32_t>(num(r0, c)), rc, static_cast<unsigned>(s.gain));
    }
    if (progress) progress(static_cast<uint64_t>(q0 + nq));
  }
  r.y = int8_linear(r.att, N, d, s.wo, s.dim, s.co);
  return r;
}

RowChunkCompiled compile_softmax_attention(const SoftmaxQ& s, const HwConfig& hw, const RowChunkIO& io) {
  const std::string where = "workload (attention, form softmax)";
  check_softmax(s, where);
  for (int e : {isa::kEngineBitmac, isa::kEngineWpack, isa::kEngineLut, isa::kEngineSignacc})
    if (!isa::engine_present(e, hw))
      throw Error(where + ": the machine has no " + isa::kEngines[static_cast<size_t>(e)].name + " (has_" +
                  isa::kEngines[static_cast<size_t>(e)].name + ": 0)");
  const uint64_t R = bitmac::rows(hw), C = bitmac::cols(hw), K2 = 2 * R;
  const uint64_t wb = static_cast<uint64_t>(hw.beat_words()), beat = static_cast<uint64_t>(hw.dram_bytes_per_cycle);
  auto words_of = [&](isa::Buf b) { return static_cast<uint64_t>(hw.buf_words(b)); };
  const uint64_t d_pad = round_up(s.d, std::max(C, K2)), F = d_pad / C;  // head width on chip, its V tiles
  if (d_pad / K2 > 63)
    throw Error(where + ".head_dim: " + std::to_string(s.d) + " needs " + std::to_string(d_pad / K2) +
                " pairs of k-tiles per logit, above the 63 of one gemm group");
  if (F > 63)
    throw Error(where + ".head_dim: " + std::to_string(s.d) + " needs " + std::to_string(F) +
                " segments of mac_cols values, above the 63 of sdiv's row_segs");

  // --- the stages (wbuf/sbuf images loaded once)
  GemmStagePacker packer(hw, where);
  std::vector<int8_t> wkv(2 * d_pad * s.dim, 0);
  std::vector<bitmac::Channel> ckv(2 * d_pad), cq = s.cq;
  std::copy(s.wk.begin(), s.wk.end(), wkv.begin());
  std::copy(s.wv.begin(), s.wv.end(), wkv.begin() + static_cast<std::ptrdiff_t>(d_pad * s.dim));
  std::copy(s.ck.begin(), s.ck.end(), ckv.begin());
  std::copy(s.cv.begin(), s.cv.end(), ckv.begin() + static_cast<std::ptrdiff_t>(d_pad));
  const uint64_t k_in = io.input ? io.input->row_words * 8 : 1;  // the input rows' width in DRAM
  const GemmStage kv = packer.add(wkv, 2 * d_pad, s.dim, 1, k_in, ckv, "key/value projection");
  const GemmStage qs = packer.add(s.wq, s.d, s.dim, d_pad, k_in, cq, "query projection");
  const GemmStage wo = packer.add(s.wo, s.dim, s.d, 1, d_pad, s.co, "output projection");
  if (wo.K != d_pad || qs.N != d_pad)
    throw Error(where + ": the head's " + std::to_string(d_pad) + " values do not tile the projections");
  const uint64_t kx = kv.K, x_w = kx / 8, kv_w = kv.N / 8, y_w = wo.N / 8;
  if (io.input && (io.input->row_words != x_w || io.input->n != s.n))
    throw Error(where + ": the input rows in DRAM are " + std::to_string(io.input->n) + " x " +
                std::to_string(io.input->row_words * 8) + " bytes; the layer reads " + std::to_string(s.n) + " x " +
                std::to_string(x_w * 8) + " (its width padded to the MAC array's K tiles)");

  // P V's reduction: the keys padded to whole groups of at most min(63, 1024 / 2R) pairs
  const uint64_t pairs = ceil_div(s.n, K2), gmax = std::min<uint64_t>(63, bitmac::kMaxGroup / K2);
  const uint64_t ng = ceil_div(pairs, gmax), gp = ceil_div(pairs, ng), kv_pairs = gp * ng, kp = kv_pairs * K2;
  const uint64_t nt = ceil_div(s.n, C), lg_w = nt * C / 8;  // K tiles (mac_cols keys each), logits row words
  const uint64_t lp = d_pad / K2;                           // pairs of one logit's reduction
  const uint64_t wport = bitmac::planes_per_read(hw) * bitmac::plane_words(hw);
  const uint64_t ones_at = round_up(packer.w_words(), wport);
  const uint64_t ones_w = bitmac::weight_words(hw, isa::kDtypeInt3, gp, ng);
  const uint64_t v_at = ones_at + ones_w, v_tile = wpack::tile_words(hw, kv_pairs);
  const uint64_t k_at = v_at + F * v_tile, k_tile = wpack::tile_words(hw, lp);
  const uint64_t w_end = k_at + nt * k_tile;
  if (w_end > words_of(isa::Buf::kWbuf))
    throw Error(where + ": K and V of " + std::to_string(s.n) + " tokens as weight tiles, the ones tile and the " +
                "projections need " + std::to_string(w_end * 8) + " bytes of wbuf (wbuf_kib = " +
                std::to_string(hw.wbuf_kib) + "): softmax attention keeps the whole sequence's K and V on chip");
  // sbuf after the stages: the logits' parameters (one group), P V's (ng groups: mult 1, shift 0, scales 1)
  const uint64_t sl_at = packer.s_words(), sv_at = sl_at + bitmac::side_words(hw, 1);
  const uint64_t s_end = sv_at + bitmac::side_words(hw, ng);
  if (round_up(s_end, wb) > words_of(isa::Buf::kSbuf))
    throw Error(where + ": the channel parameters need " + std::to_string(s_end * 8) +
                " bytes of sbuf (sbuf_kib = " + std::to_string(hw.sbuf_kib) + ")");
  std::vector<uint64_t> wimg(ones_at - 0, 0), simg(s_end, 0);
  {
    bitmac::Tile ones;
    ones.dtype = isa::kDtypeInt3;
    ones.group_pairs = gp;
    ones.n_groups = ng;
    ones.codes.assign(C * kp, 0);
    for (uint64_t j = 0; j < s.n; ++j) ones.codes[j] = 1;  // channel 0
    ones.scale.assign(C * ng, 1);
    ones.sel.assign(C * ng, 0);
    ones.channels.assign(C, bitmac::Channel{});
    const std::vector<uint64_t> ow = bitmac::pack_weights(hw, ones), sv = bitmac::pack_side(hw, ones);
    wimg.insert(wimg.end(), ow.begin(), ow.end());
    std::copy(sv.begin(), sv.end(), simg.begin() + static_cast<std::ptrdiff_t>(sv_at));
    bitmac::Tile lt;
    lt.group_pairs = lp;
    lt.scale.assign(C, 1);
    lt.sel.assign(C, 0);
    lt.channels.assign(C, s.cl);
    const std::vector<uint64_t> sl = bitmac::pack_side(hw, lt);
    std::copy(sl.begin(), sl.end(), simg.begin() + static_cast<std::ptrdiff_t>(sl_at));
    for (const GemmStage* st : {&kv, &qs, &wo}) {
      std::copy(st->wimg.begin(), st->wimg.end(), wimg.begin() + static_cast<std::ptrdiff_t>(st->w_addr));
      std::copy(st->simg.begin(), st->simg.end(), simg.begin() + static_cast<std::ptrdiff_t>(st->s_addr));
    }
  }

  // --- chunks. Keys: a multiple of lcm(2R, C) tokens (whole V pairs and K tiles per chunk) whose [K; V] rows fit
  // obuf. Queries: rows whose logits and numerators (obuf, the output rows beside them) and Q, P and the attention
  // rows (abuf, beside the two token halves) fit.
  const uint64_t align = std::max({R / 4, C / 8, wb});
  const uint64_t a_lim = std::min<uint64_t>(words_of(isa::Buf::kAbuf), 0x10000);
  const uint64_t o_lim = std::min<uint64_t>(words_of(isa::Buf::kObuf), 0x10000);
  const uint64_t num_w = (F + 1) * C / 2;  // numerators (F tiles of C INT32) and the row sums' tile
  auto half_of = [&](uint64_t rows) { return round_up(round_up(rows * x_w, wb), align); };
  const uint64_t unit = std::lcm(std::max(K2, C), row_align(x_w, wb));  // (and key chunks start on a DRAM beat)
  uint64_t rk = std::min<uint64_t>(1023 / unit * unit, round_up(s.n, unit));
  while (rk > 0 && !(2 * half_of(rk) <= a_lim && rk * kv_w <= o_lim)) rk -= unit;
  auto q_fits = [&](uint64_t rows) {
    const uint64_t y_at = round_up(rows * std::max(lg_w, num_w), align);
    return 2 * half_of(rows) + round_up(rows * d_pad / 8, align) + round_up(rows * kp / 8, align) + rows * d_pad / 8 <=
               a_lim &&
           y_at + round_up(rows * y_w, wb) <= o_lim;
  };
  uint64_t rq = std::min<uint64_t>(1023, s.n);
  while (rq > 0 && !q_fits(rq)) --rq;
  rq = chunk_rows(s.n, rq, std::lcm(row_align(x_w, wb), row_align(y_w, wb)));  // query chunks start on a beat
  if (rk == 0 || rq == 0)
    throw Error(where + ": " +
                (rk == 0 ? std::to_string(unit) + " keys' projections"
                         : "one query's logits over " + std::to_string(s.n) + " keys") +
                " do not fit abuf (abuf_kib = " + std::to_string(hw.abuf_kib) +
                ") / obuf (obuf_kib = " + std::to_string(hw.obuf_kib) + ")");
  while (rk > unit && half_of(rk) > half_of(rq)) rk -= unit;  // the query phase's areas follow the halves
  const uint64_t half = std::max(half_of(rk), half_of(rq));
  const uint64_t q_at = 2 * half, p_at = q_at + round_up(rq * d_pad / 8, align),
                 att_at = p_at + round_up(rq * kp / 8, align);
  if (att_at + rq * d_pad / 8 > a_lim)
    throw Error(where + ": the chunks do not fit abuf (abuf_kib = " + std::to_string(hw.abuf_kib) + ")");
  const uint64_t y_at = round_up(rq * std::max(lg_w, num_w), align);
  const uint64_t ck = ceil_div(s.n, rk), cq_n = ceil_div(s.n, rq);

  // --- DRAM: weights, parameters, the exp table, the tokens (read as key chunks and as query chunks), the output
  // rows
  RowChunkCompiled out;
  RowChunkLayout& lay = out.layout;
  lay.rows = rq;
  lay.chunks = cq_n;
  lay.d_pad = d_pad;
  lay.y_row = wo.N;
  DramPlacer place(beat, round_up(io.dram_base, beat));
  const uint64_t wimg_w = round_up(wimg.size(), wb), simg_w = round_up(simg.size(), wb);
  const uint64_t w_dram = place.place(wimg_w * 8), s_dram = place.place(simg_w * 8);
  const uint64_t t_dram = place.place(std::max<uint64_t>(lut::kTableWords, wb) * 8);
  place_row_io(out, place, io, s.n, x_w, y_w, wb, s.x, s.dim, where);
  const uint64_t dram = lay.dram_bytes;
  std::memcpy(out.memory.data() + w_dram, wimg.data(), wimg.size() * 8);
  std::memcpy(out.memory.data() + s_dram, simg.data(), simg.size() * 8);
  std::memcpy(out.memory.data() + t_dram, s.exp_table.data(), 256);

  // --- program
  const std::function<void(const Insn&, std::string)> emit = [&](const Insn& i, std::string comment) {
    out.program.insns.push_back(i);
    out.comments.push_back(std::move(comment));
    out.insn_section.push_back(static_cast<uint32_t>(out.sections.size() - 1));
  };
  out.sections = {"keys"};
  emit(make_load(isa::Buf::kWbuf, 0, wimg_w, w_dram), "projections and the row sums' ones tile: weights");
  emit(make_load(isa::Buf::kSbuf, 0, simg_w, s_dram), "channel parameters");
  emit(make_load(isa::Buf::kTbuf, 0, std::max<uint64_t>(lut::kTableWords, wb), t_dram), "the exp table");
  AbufChunks halves(emit, half);
  const uint64_t steps = ck + cq_n;
  auto span_of = [&](uint64_t j, uint64_t& t0, uint64_t& n) {
    const bool keys = j < ck;
    const uint64_t rows = keys ? rk : rq, c = keys ? j : j - ck;
    t0 = c * rows;
    n = std::min(rows, s.n - t0);
  };
  auto emit_load = [&](uint64_t j) {
    uint64_t t0 = 0, n = 0;
    span_of(j, t0, n);
    halves.load(j, lay.x.words(n), lay.x.at(t0),
                std::string(j < ck ? "keys " : "queries ") + std::to_string(t0) + ".." + std::to_string(t0 + n - 1) +
                    " (INT8 tokens)");
  };
  emit_load(0);
  for (uint64_t j = 0; j < steps; ++j) {
    if (j == ck) out.sections.push_back("queries");
    if (j + 1 < steps) emit_load(j + 1);
    uint64_t t0 = 0, n = 0;
    span_of(j, t0, n);
    const std::string span = std::to_string(t0) + ".." + std::to_string(t0 + n - 1);
    if (j < ck) {
      emit_stage_gemms(kv, hw, n, halves.addr(j), 0, kv_w, false, Deps{true, false, false, false},
                       Deps{false, false, true, false}, emit, "K and V of keys " + span + ":");
      for (uint64_t t = t0; t < t0 + n; t += C) {
        isa::WpackInsn p;
        p.trans = 0;
        p.n_pairs = lp;
        p.n_rows = std::min(C, s.n - t);
        p.src_addr = (t - t0) * kv_w;
        p.src_stride = kv_w;
        p.dst_addr = k_at + (t / C) * k_tile;
        emit(encode(p), "K tile of keys " + std::to_string(t) + ".." + std::to_string(t + p.n_rows - 1));
      }
      const bool last = j + 1 == ck;
      for (uint64_t f = 0; f < F; ++f) {
        isa::WpackInsn p;
        p.trans = 1;
        p.n_pairs = last ? kv_pairs - t0 / K2 : n / K2;
        p.n_rows = n;
        p.src_addr = d_pad / 8 + f * C / 8;
        p.src_stride = kv_w;
        p.dst_addr = v_at + f * v_tile + (t0 / K2) * bitmac::pair_words(hw, isa::kDtypeInt8);
        emit(encode(p), "V features " + std::to_string(f * C) + ".." + std::to_string(f * C + C - 1) + " of keys " +
                            span + (last && kv_pairs * K2 > s.n ? " (and the zero pad)" : ""));
      }
      continue;
    }
    const uint64_t c = j - ck;
    emit_stage_gemms(qs, hw, n, halves.addr(j), q_at, d_pad / 8, true, Deps{true, false, false, false},
                     Deps{false, false, true, false}, emit, "Q of queries " + span + ":");
    for (uint64_t t = 0; t < nt; ++t) {
      isa::GemmInsn g;
      g.dtype = isa::kDtypeInt8;
      g.m_rows = n;
      g.group_pairs = lp;
      g.n_groups = 1;
      g.a_addr = q_at;
      g.w_addr = k_at + t * k_tile;
      g.s_addr = sl_at;
      g.o_addr = t * C / 8;
      g.o_stride = lg_w;
      emit(encode(g), "logits of queries " + span + " x keys " + std::to_string(t * C) + ".." +
                          std::to_string(std::min(s.n, t * C + C) - 1));
    }
    isa::LutInsn lu;
    lu.n_rows = n;
    lu.row_segs = nt;
    lu.src_stride = lg_w;
    lu.dst_addr = p_at;
    lu.dst_stride = kp / 8;
    emit(encode(lu), "P = exp(logits - offset) of queries " + span + " -> abuf");
    for (uint64_t f = 0; f <= F; ++f) {
      isa::GemmInsn g;
      g.dtype = f < F ? isa::kDtypeInt8 : isa::kDtypeInt3;
      g.out32 = 1;
      g.m_rows = n;
      g.group_pairs = gp;
      g.n_groups = ng;
      g.a_addr = p_at;
      g.w_addr = f < F ? v_at + f * v_tile : ones_at;
      g.s_addr = sv_at;
      g.o_addr = f * C / 2;
      g.o_stride = num_w;
      emit(encode(g), f < F ? "P V features " + std::to_string(f * C) + ".." + std::to_string(f * C + C - 1)
                            : std::string("row sums of P (ones tile)"));
    }
    isa::SdivInsn dv;
    dv.n_rows = n;
    dv.row_segs = F;
    dv.num_addr = 0;
    dv.num_stride = num_w;
    dv.den_addr = F * C / 2;
    dv.den_stride = num_w;
    dv.dst_addr = att_at;
    dv.gain_log2 = s.gain;
    emit(encode(dv), "attention rows of queries " + span + " = P V / row sums -> abuf");
    emit_stage_gemms(wo, hw, n, att_at, y_at, y_w, false, Deps{false, c > 0, false, false},
                     Deps{false, false, false, true}, emit, "output projection");
    emit(make_store(isa::Buf::kObuf, y_at, lay.y.words(n), lay.y.at(t0), Deps{true, false, true, false}),
         "outputs " + span);
  }
  emit(make_finish(Deps{false, true, false, false}), "after the last store");
  check_program(out.program, hw, lay.dram_bytes);
  out.layout_json = {{"key_rows_per_chunk", rk},     {"query_rows_per_chunk", rq}, {"key_chunks", ck},
                     {"query_chunks", cq_n},         {"head_dim_on_chip", d_pad},  {"pv_reduction", kp},
                     {"wbuf_bytes_used", w_end * 8}, {"dram_bytes", dram}};
  return out;
}

}  // namespace bitgrid
