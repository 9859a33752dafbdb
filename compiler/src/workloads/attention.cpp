// Lowering of EcoFormer's hashed attention (bitgrid/workloads/attention.h, docs/ARCHITECTURE.md §3.7). Three INT8
// gemm stages stay in wbuf/sbuf for the whole program: KV = [Wv; H Wk] (values, then the key code's pre-activations),
// QV = [Wv; H Wq] (form 0 needs v_n of the queries) or [H Wq] (form 1), and the output projection Wo. The tokens'
// INT8 rows come in chunks through the two halves of abuf (a chunk's load prefetched while the one before
// computes), twice: first as keys (gemm KV -> obuf; benc: the codes -> dbuf; sacc folds them into the state in
// pbuf), then as queries (gemm QV -> obuf; benc -> qbuf; sqry -> the attention rows in abuf; gemm Wo -> obuf; a
// store of the chunk's output rows). Dependency tokens (R2/R3):
//   each chunk load pushes l2c; the chunk's first gemm pops it; its last projection gemm pushes c2l (its abuf half
//   is free), which the load two chunks later pops
//   the last output gemm of a chunk pushes c2s; the chunk's store pops it and pushes s2c; the next chunk's first
//   output gemm pops s2c (the output rows of obuf are free again); finish pops the last one
// gemm, benc, sacc and sqry share the compute queue, so obuf, dbuf, qbuf and pbuf need no tokens.
#include "bitgrid/workloads/attention.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cstring>
#include <numeric>

#include "bitgrid/checker.h"
#include "bitgrid/engines/signacc.h"
#include "bitgrid/error.h"
#include "bitgrid/workload_util.h"
#include "bitgrid/workloads/chip_gemm.h"

namespace bitgrid {

namespace {

// The sign bits of the outputs o of `codes` rows.
std::vector<uint64_t> sign_codes(const std::vector<int8_t>& x, uint64_t n, uint64_t k, const std::vector<int8_t>& w,
                                 uint64_t bits) {
  std::vector<uint64_t> c(n, 0);
  for (uint64_t r = 0; r < n; ++r)
    for (uint64_t t = 0; t < bits; ++t) {
      int64_t acc = 0;
      for (uint64_t i = 0; i < k; ++i) acc += int64_t{x[r * k + i]} * w[t * k + i];
      if (acc >= 0) c[r] |= uint64_t{1} << t;
    }
  return c;
}

void check_operands(const AttentionQ& a, const std::string& where) {
  if (a.n < 1 || a.dim < 1 || a.d < 1) throw Error(where + ": empty shape");
  if (a.bits < 1 || a.bits > 64) throw Error(where + ".bits: " + std::to_string(a.bits) + " is outside 1..64");
  if (a.gain > 7) throw Error(where + ": gain 2^" + std::to_string(a.gain) + " is above sqry's 2^7");
  if (a.x.size() != a.n * a.dim || a.wv.size() != a.d * a.dim || a.wkh.size() != a.bits * a.dim ||
      a.wqh.size() != a.bits * a.dim || a.wo.size() != a.dim * a.d || a.cv.size() != a.d || a.co.size() != a.dim)
    throw Error(where + ": operands of the wrong size");
  if (a.n > signacc::max_keys(a.bits))
    throw Error(where + ".tokens: " + std::to_string(a.n) + " overflows the sign-select accumulator's 32-bit " +
                "numerator (|h^T S + c v| <= 128 N (2b+1) < 2^31: N <= " + std::to_string(signacc::max_keys(a.bits)) +
                " at b = " + std::to_string(a.bits) + ")");
}

}  // namespace

AttentionRef attention_reference(const AttentionQ& a, const std::function<void(uint64_t)>& progress) {
  check_operands(a, "attention");
  AttentionRef r;
  r.v = int8_linear(a.x, a.n, a.dim, a.wv, a.d, a.cv);
  r.key_codes = sign_codes(a.x, a.n, a.dim, a.wkh, a.bits);
  r.query_codes = sign_codes(a.x, a.n, a.dim, a.wqh, a.bits);
  // Pairwise, 256 queries at a time: dot[q][j] = h_q^T h_j = b - 2 popcount(q xor j); every sum below is an
  // integer below 2^53, exact.
  const Eigen::Index N = static_cast<Eigen::Index>(a.n), D = static_cast<Eigen::Index>(a.d);
  const uint64_t mask = a.bits == 64 ? ~uint64_t{0} : (uint64_t{1} << a.bits) - 1;
  Eigen::MatrixXd v(N, D);
  for (Eigen::Index j = 0; j < N; ++j)
    for (Eigen::Index c = 0; c < D; ++c) v(j, c) = r.v[static_cast<size_t>(j * D + c)];
  const Eigen::VectorXd vsum = v.colwise().sum().transpose();
  const double c = static_cast<double>(a.bits) + 1;
  r.att.resize(a.n * a.d);
  for (Eigen::Index q0 = 0; q0 < N; q0 += 256) {
    const Eigen::Index nq = std::min<Eigen::Index>(256, N - q0);
    Eigen::MatrixXd dot(nq, N);
    for (Eigen::Index q = 0; q < nq; ++q)
      for (Eigen::Index j = 0; j < N; ++j)
        dot(q, j) =
            static_cast<double>(a.bits) -
            2.0 * __builtin_popcountll(
                      (r.query_codes[static_cast<size_t>(q0 + q)] ^ r.key_codes[static_cast<size_t>(j)]) & mask);
    const Eigen::MatrixXd num = dot * v;
    for (Eigen::Index q = 0; q < nq; ++q) {
      const double den = dot.row(q).sum() + static_cast<double>(a.n) * c;
      const signacc::Recip rc = signacc::recip(static_cast<int32_t>(den));
      for (Eigen::Index col = 0; col < D; ++col) {
        const double x = a.form == 0 ? v(q0 + q, col) : vsum(col);
        r.att[static_cast<size_t>((q0 + q) * D + col)] =
            signacc::result(static_cast<int32_t>(num(q, col) + c * x), rc, static_cast<unsigned>(a.gain));
      }
    }
    if (progress) progress(static_cast<uint64_t>(q0 + nq));
  }
  r.y = int8_linear(r.att, a.n, a.d, a.wo, a.dim, a.co);
  return r;
}

RowChunkCompiled compile_attention(const AttentionQ& a, const HwConfig& hw, const RowChunkIO& io) {
  const std::string where = "workload (attention)";
  check_operands(a, where);
  for (int e : {isa::kEngineBitmac, isa::kEngineBinenc, isa::kEngineSignacc})
    if (!isa::engine_present(e, hw))
      throw Error(where + ": the machine has no " + isa::kEngines[static_cast<size_t>(e)].name + " (has_" +
                  isa::kEngines[static_cast<size_t>(e)].name + ": 0)");
  if (a.bits > static_cast<uint64_t>(hw.sacc_bits))
    throw Error(where + ".bits: " + std::to_string(a.bits) +
                " exceeds the accumulator bank's sacc_bits = " + std::to_string(hw.sacc_bits));
  const uint64_t R = bitmac::rows(hw), C = bitmac::cols(hw);
  const uint64_t wb = static_cast<uint64_t>(hw.beat_words()), beat = static_cast<uint64_t>(hw.dram_bytes_per_cycle);
  auto words_of = [&](isa::Buf b) { return static_cast<uint64_t>(hw.buf_words(b)); };
  const uint64_t d_pad = round_up(a.d, std::max(C, 2 * R)), G = d_pad / C;
  if (G > 63)
    throw Error(where + ".head_dim: " + std::to_string(a.d) + " needs " + std::to_string(G) +
                " segments of mac_cols values, above the 63 of sqry's row_segs");
  if (signacc::state_words(a.bits, G, hw) > words_of(isa::Buf::kPbuf))
    throw Error(where + ": the state of a head of " + std::to_string(d_pad) + " values and " + std::to_string(a.bits) +
                "-bit codes (" + std::to_string(signacc::state_words(a.bits, G, hw) * 8) +
                " bytes) exceeds pbuf (pbuf_kib = " + std::to_string(hw.pbuf_kib) + ")");

  // --- the stages: the hash rows follow the values (benc reads 64 outputs per code word: the bits past `bits` come
  // from the next row or beyond and are ignored by the engine)
  GemmStagePacker packer(hw, where);
  auto stacked = [&](bool with_v, const std::vector<int8_t>& wh, std::vector<bitmac::Channel>& ch) {
    const uint64_t rows = (with_v ? d_pad : 0) + a.bits;
    std::vector<int8_t> w(rows * a.dim, 0);
    ch.assign(rows, bitmac::Channel{});
    if (with_v) {
      std::copy(a.wv.begin(), a.wv.end(), w.begin());
      std::copy(a.cv.begin(), a.cv.end(), ch.begin());
    }
    std::copy(wh.begin(), wh.end(), w.begin() + static_cast<std::ptrdiff_t>((with_v ? d_pad : 0) * a.dim));
    return w;
  };
  std::vector<bitmac::Channel> ckv, cqv;
  const std::vector<int8_t> wkv = stacked(true, a.wkh, ckv), wqv = stacked(a.form == 0, a.wqh, cqv);
  const uint64_t k_in = io.input ? io.input->row_words * 8 : 1;  // the input rows' width in DRAM
  const GemmStage kv = packer.add(wkv, wkv.size() / a.dim, a.dim, 1, k_in, ckv, "key/value projection");
  const GemmStage qv = packer.add(wqv, wqv.size() / a.dim, a.dim, 1, k_in, cqv, "query projection");
  const GemmStage wo = packer.add(a.wo, a.dim, a.d, 1, d_pad, a.co, "output projection");
  if (wo.K != d_pad)
    throw Error(where + ": the output projection's K (" + std::to_string(wo.K) + ") differs from the head's " +
                std::to_string(d_pad) + " values");
  const uint64_t kx = kv.K, x_w = kx / 8;  // INT8 token rows as the projections read them
  if (io.input && (io.input->row_words != x_w || io.input->n != a.n))
    throw Error(where + ": the input rows in DRAM are " + std::to_string(io.input->n) + " x " +
                std::to_string(io.input->row_words * 8) + " bytes; the layer reads " + std::to_string(a.n) + " x " +
                std::to_string(x_w * 8) + " (its width padded to the MAC array's K tiles)");
  const uint64_t kv_w = kv.N / 8, qv_w = qv.N / 8, y_w = wo.N / 8, att_w = d_pad / 8;

  // --- chunk rows: abuf = two halves of token rows + the attention rows; obuf = projection rows + output rows;
  // codes one word each in dbuf/qbuf; the output rows' stores move whole beats
  const uint64_t align = std::max({R / 4, C / 8, wb});
  const uint64_t a_lim = std::min<uint64_t>(words_of(isa::Buf::kAbuf), 0x10000);
  const uint64_t o_lim = std::min<uint64_t>(words_of(isa::Buf::kObuf), 0x10000);
  auto half_of = [&](uint64_t rows) { return round_up(round_up(rows * x_w, wb), align); };
  auto fits = [&](uint64_t rows) {
    return 2 * half_of(rows) + rows * att_w <= a_lim &&
           round_up(rows * std::max(kv_w, qv_w) + 8, align) + round_up(rows * y_w, wb) <= o_lim &&
           rows <= words_of(isa::Buf::kDbuf) && rows <= words_of(isa::Buf::kQbuf);
  };
  uint64_t rows = std::min<uint64_t>(1023, a.n);  // gemm's m_rows
  while (rows > 0 && !fits(rows)) --rows;
  // chunks start on a DRAM beat in the dense token and output matrices
  const uint64_t row_al = std::lcm(row_align(x_w, wb), row_align(y_w, wb));
  rows = chunk_rows(a.n, rows, row_al);
  if (rows == 0)
    throw Error(where + ": " + std::to_string(row_al) + " tokens of width " + std::to_string(kx) +
                " and their projections do not fit abuf (abuf_kib = " + std::to_string(hw.abuf_kib) +
                ") / obuf (obuf_kib = " + std::to_string(hw.obuf_kib) + ")");
  const uint64_t a_half = half_of(rows), att_at = 2 * a_half;
  const uint64_t y_at = round_up(rows * std::max(kv_w, qv_w) + 8, align);  // past the codes' last 8-word read
  const uint64_t chunks = ceil_div(a.n, rows);

  // --- DRAM: weights, channel parameters, the token rows, the output rows
  RowChunkCompiled out;
  RowChunkLayout& lay = out.layout;
  lay.rows = rows;
  lay.chunks = chunks;
  lay.d_pad = d_pad;
  lay.y_row = wo.N;
  DramPlacer place(beat, round_up(io.dram_base, beat));
  const uint64_t w_at = place.place(round_up(packer.w_words(), wb) * 8);
  const uint64_t s_at = place.place(round_up(packer.s_words(), wb) * 8);
  place_row_io(out, place, io, a.n, x_w, y_w, wb, a.x, a.dim, where);
  const uint64_t dram = lay.dram_bytes;
  for (const GemmStage* st : {&kv, &qv, &wo}) {
    std::memcpy(out.memory.data() + w_at + st->w_addr * 8, st->wimg.data(), st->wimg.size() * 8);
    std::memcpy(out.memory.data() + s_at + st->s_addr * 8, st->simg.data(), st->simg.size() * 8);
  }

  // --- program
  const std::function<void(const Insn&, std::string)> emit = [&](const Insn& i, std::string comment) {
    out.program.insns.push_back(i);
    out.comments.push_back(std::move(comment));
    out.insn_section.push_back(static_cast<uint32_t>(out.sections.size() - 1));
  };
  out.sections = {"keys"};
  emit(make_load(isa::Buf::kWbuf, 0, round_up(packer.w_words(), wb), w_at),
       "K/V, Q and output projections: INT8 weights");
  emit(make_load(isa::Buf::kSbuf, 0, round_up(packer.s_words(), wb), s_at), "channel parameters");
  AbufChunks halves(emit, a_half);
  auto emit_load = [&](uint64_t j) {  // j: chunk step (keys 0..chunks-1, then queries)
    const uint64_t c = j % chunks, n = std::min(rows, a.n - c * rows);
    halves.load(j, lay.x.words(n), lay.x.at(c * rows),
                "tokens " + std::to_string(c * rows) + ".." + std::to_string(c * rows + n - 1) + " (INT8)");
  };
  emit_load(0);
  const uint64_t steps = 2 * chunks;
  for (uint64_t j = 0; j < steps; ++j) {
    if (j == chunks) out.sections.push_back("queries");
    if (j + 1 < steps) emit_load(j + 1);
    const bool keys = j < chunks;
    const uint64_t c = j % chunks, t0 = c * rows, n = std::min(rows, a.n - t0);
    const std::string span = std::to_string(t0) + ".." + std::to_string(t0 + n - 1);
    const GemmStage& st = keys ? kv : qv;
    emit_stage_gemms(st, hw, n, halves.addr(j), 0, st.N / 8, false, Deps{true, false, false, false},
                     Deps{false, false, true, false}, emit, keys ? "V and key bits" : "query bits");
    isa::BencInsn be;
    be.dst = keys;
    be.code_words = 1;
    be.src_addr = (keys || a.form == 0) ? d_pad / 8 : 0;
    be.src_stride = st.N / 8;
    be.n_codes = n;
    emit(encode(be), std::string(keys ? "key codes " : "query codes ") + span + (keys ? " -> dbuf" : " -> qbuf"));
    if (keys) {
      isa::SaccInsn sa;
      sa.init = c == 0;
      sa.code_bits = a.bits;
      sa.row_segs = G;
      sa.n_keys = n;
      sa.v_stride = kv_w;
      emit(encode(sa), "fold keys " + span + " into S, z");
      continue;
    }
    isa::SqryInsn sq;
    sq.form = a.form;
    sq.code_bits = a.bits;
    sq.row_segs = G;
    sq.n_q = n;
    sq.v_stride = qv_w;
    sq.dst_addr = att_at;
    sq.gain_log2 = a.gain;
    emit(encode(sq), "attention of queries " + span + " -> abuf");
    emit_stage_gemms(wo, hw, n, att_at, y_at, y_w, false, Deps{false, c > 0, false, false},
                     Deps{false, false, false, true}, emit, "output projection");
    emit(make_store(isa::Buf::kObuf, y_at, lay.y.words(n), lay.y.at(t0), Deps{true, false, true, false}),
         "outputs " + span);
  }
  emit(make_finish(Deps{false, true, false, false}), "after the last store");
  check_program(out.program, hw, lay.dram_bytes);
  out.layout_json = {{"rows_per_chunk", rows},
                     {"chunks", chunks},
                     {"head_dim_on_chip", d_pad},
                     {"output_row_bytes", wo.N},
                     {"dram_bytes", dram}};
  return out;
}

}  // namespace bitgrid
