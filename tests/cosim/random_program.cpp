#include "random_program.h"

#include <algorithm>

#include "bitgrid/checker.h"
#include "bitgrid/engines/binenc.h"
#include "bitgrid/engines/bitmac.h"
#include "bitgrid/engines/hamtopk.h"
#include "bitgrid/engines/hashgrid.h"
#include "bitgrid/engines/lut.h"
#include "bitgrid/engines/signacc.h"
#include "bitgrid/engines/tabacc.h"
#include "bitgrid/engines/wpack.h"
#include "bitgrid/error.h"

namespace bgtest {

using namespace bitgrid;

namespace {

uint64_t uni(std::mt19937_64& rng, uint64_t lo, uint64_t hi) { return lo + rng() % (hi - lo + 1); }

// One operation of the global order, before tokens.
struct Op {
  Insn insn;
  int queue = 0;
};

}  // namespace

RandomProgram random_program(std::mt19937_64& rng, const HwConfig& hw, bool faulty) {
  const uint64_t wb = static_cast<uint64_t>(hw.beat_words());
  const uint64_t beat = static_cast<uint64_t>(hw.dram_bytes_per_cycle);
  const uint64_t dram_bytes = 64 * 1024;
  RandomProgram rp;
  rp.memory.resize(dram_bytes);
  for (auto& b : rp.memory) b = static_cast<uint8_t>(rng());

  // A random DMA range of a buffer: beat aligned, up to `max_beats` beats, sometimes empty.
  auto dma = [&](isa::Buf buf, bool load) {
    const uint64_t words = static_cast<uint64_t>(hw.buf_words(buf));
    const uint64_t max_beats = std::min<uint64_t>(words / wb, 64);
    const uint64_t nb = rng() % 8 == 0 ? 0 : uni(rng, 1, max_beats);
    const uint64_t spm = uni(rng, 0, words / wb - std::max<uint64_t>(nb, 1)) * wb;
    const uint64_t dram = uni(rng, 0, (dram_bytes - nb * wb * 8) / beat) * beat;
    return load ? make_load(buf, spm, nb * wb, dram) : make_store(buf, spm, nb * wb, dram);
  };
  auto ham = [&]() {
    const uint64_t m = hamtopk::lane_words(hw), L = hamtopk::lanes(hw), Q = hamtopk::queries(hw);
    isa::HamtopkInsn h;
    h.init = rng() % 2;
    h.n_q = rng() % 2 ? Q : uni(rng, 1, Q);  // full groups and partial ones
    h.k = uni(rng, 1,
              std::min<uint64_t>(static_cast<uint64_t>(hw.topk_max),
                                 static_cast<uint64_t>(hw.buf_words(isa::Buf::kRbuf)) / h.n_q));
    h.code_words = uni(rng, 1, hamtopk::max_code_words(hw));
    const uint64_t S = hamtopk::steps(hw, h.code_words);
    const uint64_t qwords = static_cast<uint64_t>(hw.buf_words(isa::Buf::kQbuf));
    const uint64_t dwords = static_cast<uint64_t>(hw.buf_words(isa::Buf::kDbuf));
    const uint64_t max_groups = dwords / (S * L * m);
    h.n_codes = uni(rng, 1, std::min<uint64_t>(max_groups * L, 200));
    h.q_addr = uni(rng, 0, (qwords - S * Q * m) / (Q * m)) * (Q * m);
    h.db_addr = uni(rng, 0, (dwords - hamtopk::tile_words(hw, h.n_codes, h.code_words)) / (L * m)) * (L * m);
    h.base_index = uni(rng, 0, 1000000);
    h.r_addr = uni(rng, 0, static_cast<uint64_t>(hw.buf_words(isa::Buf::kRbuf)) - h.n_q * h.k);
    return encode(h);
  };

  // A random legal gemm: any datatype, a group the rescaler accepts, random placement in the buffers
  // (falls back to a nop when the buffers cannot hold the drawn shape).
  auto gemm = [&]() -> Insn {
    const uint64_t R = bitmac::rows(hw), C = bitmac::cols(hw);
    isa::GemmInsn g;
    g.dtype = rng() % isa::kDtypes.size();
    const uint64_t T = bitmac::terms(hw, g.dtype);
    g.group_pairs = rng() % 4 ? (4 + T - 1) / T + rng() % 2 : uni(rng, 1, 3);  // short groups: stretched slots
    g.n_groups = uni(rng, 1, 3);
    g.m_rows = uni(rng, 1, 6);
    g.relu = rng() % 2;
    g.out32 = rng() % 3 == 0;
    // a split K: start from and/or leave partial sums in pbuf (acc_out writes no outputs: INT8, no ReLU)
    g.acc_in = rng() % 4 == 0;
    g.acc_out = rng() % 4 == 0;
    if (g.acc_out) g.relu = g.out32 = false;
    const uint64_t ow = bitmac::out_row_words(hw, g.out32);
    g.o_stride = ow * uni(rng, 1, 3);
    auto words = [&](isa::Buf b) { return static_cast<uint64_t>(hw.buf_words(b)); };
    for (int tries = 0; tries < 8; ++tries) {
      const uint64_t K = bitmac::reduction(hw, g.group_pairs, g.n_groups);
      const uint64_t aw = g.m_rows * K / 8, ww = bitmac::weight_words(hw, g.dtype, g.group_pairs, g.n_groups);
      const uint64_t sw = bitmac::side_words(hw, g.n_groups), o_span = (g.m_rows - 1) * g.o_stride + ow;
      const uint64_t wport = bitmac::planes_per_read(hw) * bitmac::plane_words(hw);
      if (aw <= words(isa::Buf::kAbuf) && ww <= words(isa::Buf::kWbuf) && sw <= words(isa::Buf::kSbuf) &&
          o_span <= words(isa::Buf::kObuf) && g.group_pairs * 2 * R <= bitmac::kMaxGroup &&
          (!(g.acc_in || g.acc_out) || g.m_rows * C <= words(isa::Buf::kPbuf))) {
        g.a_addr = uni(rng, 0, (std::min<uint64_t>(words(isa::Buf::kAbuf), 0xFFFF) - aw) / (R / 4)) * (R / 4);
        g.w_addr = uni(rng, 0, (words(isa::Buf::kWbuf) - ww) / wport) * wport;
        g.s_addr = uni(rng, 0, (std::min<uint64_t>(words(isa::Buf::kSbuf), 0xFFFF) - sw) / (C / 4)) * (C / 4);
        g.o_addr = uni(rng, 0, (std::min<uint64_t>(words(isa::Buf::kObuf), 0xFFFF) - o_span) / (C / 8)) * (C / 8);
        // INT8 outputs into abuf (o_abuf), beside the gemm's own activations
        const uint64_t au = std::min<uint64_t>(words(isa::Buf::kAbuf), 0x10000), oa = C / 8;
        if (!g.out32 && !g.acc_out && rng() % 4 == 0) {
          const uint64_t lo = (g.a_addr + aw + oa - 1) / oa;  // first aligned slot past the activations
          const bool above = lo * oa + o_span <= au, below = g.a_addr >= o_span;
          if (above || below) {
            g.o_abuf = 1;
            g.o_addr = above ? uni(rng, lo, (au - o_span) / oa) * oa : uni(rng, 0, (g.a_addr - o_span) / oa) * oa;
          }
        }
        if (g.a_addr + aw <= words(isa::Buf::kAbuf) && g.s_addr + sw <= words(isa::Buf::kSbuf) &&
            g.o_addr + o_span <= words(g.o_abuf ? isa::Buf::kAbuf : isa::Buf::kObuf))
          return encode(g);
        g.o_abuf = 0;
      }
      if (g.n_groups > 1)
        --g.n_groups;
      else if (g.m_rows > 1)
        g.m_rows = (g.m_rows + 1) / 2, g.o_stride = ow;
      else if (g.group_pairs * T > 4)
        --g.group_pairs;
      else
        g.dtype = isa::kDtypeInt3;
    }
    return make_nop();
  };

  // A random legal hgenc: any D the machine serves, F, interpolation, INT8 into abuf or INT32 into obuf, padded
  // rows, rows with skipped words between them (o_skip), descriptors anywhere in a segment. gbuf holds whatever the
  // loads put there (random bytes): every descriptor field (scale, strides, sizes that are not powers of two or zero,
  // bases past the segment, shifts up to 63) and every table value is defined behaviour (docs/ARCHITECTURE.md §3.4), so
  // the engines must agree on it.
  auto hg = [&]() -> Insn {
    const uint64_t W = hgenc::write_words(hw);
    isa::HgencInsn h;
    h.dims3 = hw.hg_max_dims == 3 && rng() % 2;
    h.log2_f = rng() % 4;
    h.smooth = rng() % 3 == 0;
    h.o_abuf = rng() % 2;
    h.n_lev = uni(rng, 1, rng() % 4 ? 6 : 32);
    if (hgenc::min_row_words(h.n_lev, uint64_t{1} << h.log2_f, h.o_abuf != 0) > hgenc::kMaxRowWords) h.n_lev = 1;
    const uint64_t need = hgenc::min_row_words(h.n_lev, uint64_t{1} << h.log2_f, h.o_abuf != 0);
    h.o_row = std::min<uint64_t>(hgenc::kMaxRowWords / W * W, (need + W - 1) / W * W + W * (rng() % 2));
    const uint64_t owords = static_cast<uint64_t>(hw.buf_words(h.o_abuf ? isa::Buf::kAbuf : isa::Buf::kObuf));
    const uint64_t xwords = static_cast<uint64_t>(hw.buf_words(isa::Buf::kXbuf));
    if (rng() % 3 == 0) h.o_skip = W * uni(rng, 1, 3);  // a column block of wider rows
    const uint64_t stride = h.o_row + h.o_skip;
    const uint64_t max_pts = std::min<uint64_t>({20, (owords + h.o_skip) / stride, xwords / hgenc::kPointWords});
    if (max_pts == 0) return make_nop();
    h.n_points = uni(rng, 1, max_pts);
    h.x_addr = uni(rng, 0, (xwords - h.n_points * hgenc::kPointWords) / 2) * 2;
    const uint64_t span = (h.n_points - 1) * stride + h.o_row;
    h.o_addr = uni(rng, 0, (std::min<uint64_t>(owords, 1u << 20) - span) / W) * W;
    h.d_row = uni(rng, 0, hgenc::segment_lines(hw) - hgenc::levels_per_engine(hw, h.n_lev));
    return encode(h);
  };

  // A random legal benc: any layout, rows anywhere in obuf (random bytes: the signs are whatever the loads and
  // gemms left), codes anywhere in qbuf or dbuf.
  auto be = [&]() -> Insn {
    const uint64_t W = binenc::read_words(hw);
    isa::BencInsn x;
    x.dst = rng() % 2;
    x.p_log2 = rng() % 7;
    x.m_log2 = rng() % 4;
    x.code_words = uni(rng, 1, rng() % 3 ? 4 : binenc::kMaxCodeWords);
    const uint64_t row = x.code_words * binenc::kRowWordsPerCodeWord;
    const uint64_t owords = static_cast<uint64_t>(hw.buf_words(isa::Buf::kObuf));
    if (row > owords) return make_nop();
    x.src_stride = W * uni(rng, 0, row / W + 2);
    x.n_codes = uni(rng, 1, 12);
    while (x.n_codes > 1 && (x.n_codes - 1) * x.src_stride + row > owords) --x.n_codes;
    if ((x.n_codes - 1) * x.src_stride + row > owords) x.src_stride = 0;
    x.src_addr = uni(rng, 0, (owords - (x.n_codes - 1) * x.src_stride - row) / W) * W;
    x.c_first = uni(rng, 0, 100);
    const binenc::Layout lay = binenc::layout(x.p_log2, x.m_log2, x.code_words);
    const uint64_t dwords = static_cast<uint64_t>(hw.buf_words(x.dst ? isa::Buf::kDbuf : isa::Buf::kQbuf));
    const uint64_t hi = lay.word(x.c_first + x.n_codes - 1, lay.code_words() - 1) + 1;
    if (hi > dwords) {  // the layout's span does not fit: the simplest one
      x.p_log2 = 0;
      x.c_first = 0;
      const binenc::Layout l1 = binenc::layout(0, x.m_log2, x.code_words);
      if (l1.word(x.n_codes - 1, l1.code_words() - 1) + 1 > dwords) return make_nop();
      x.dst_addr = uni(rng, 0, dwords - (l1.word(x.n_codes - 1, l1.code_words() - 1) + 1));
    } else {
      x.dst_addr = uni(rng, 0, dwords - hi);
    }
    return encode(x);
  };

  // A random legal lut: any table of tbuf (random bytes: whatever the loads put there), rows anywhere in obuf and
  // abuf (overlapping rows and a zero stride included).
  auto lt = [&]() -> Insn {
    const uint64_t W = lut::seg_words(hw);
    const uint64_t tw = static_cast<uint64_t>(hw.buf_words(isa::Buf::kTbuf)),
                   ow = static_cast<uint64_t>(hw.buf_words(isa::Buf::kObuf)),
                   aw = static_cast<uint64_t>(hw.buf_words(isa::Buf::kAbuf));
    isa::LutInsn x;
    x.t_addr = lut::kTableWords * uni(rng, 0, tw / lut::kTableWords - 1);
    x.row_segs = uni(rng, 1, std::min<uint64_t>(4, std::min(ow, aw) / W));
    const uint64_t row = x.row_segs * W;
    x.n_rows = uni(rng, 1, 8);
    x.src_stride = W * uni(rng, 0, row / W + 1);
    x.dst_stride = W * uni(rng, 0, row / W + 1);
    while (x.n_rows > 1 && ((x.n_rows - 1) * x.src_stride + row > ow || (x.n_rows - 1) * x.dst_stride + row > aw))
      --x.n_rows;
    x.src_addr = W * uni(rng, 0, (ow - (x.n_rows - 1) * x.src_stride - row) / W);
    x.dst_addr = W * uni(rng, 0, (aw - (x.n_rows - 1) * x.dst_stride - row) / W);
    return encode(x);
  };

  // A random legal sacc or sqry: any code length the bank holds, a state anywhere in pbuf (whatever gemms and
  // earlier saccs left there: every state is defined behaviour, a denominator <= 0 included), codes anywhere in
  // dbuf/qbuf, value rows anywhere in obuf (a zero stride included), results anywhere in abuf.
  auto sa = [&]() -> Insn {
    const uint64_t W = signacc::seg_words(hw), C = signacc::cols(hw);
    auto words = [&](isa::Buf b) { return static_cast<uint64_t>(hw.buf_words(b)); };
    uint64_t b = uni(rng, 1, static_cast<uint64_t>(hw.sacc_bits)), G = uni(rng, 1, 3);
    while (G > 1 && signacc::state_words(b, G, hw) > words(isa::Buf::kPbuf)) --G;
    while (b > 1 && signacc::state_words(b, G, hw) > words(isa::Buf::kPbuf)) b /= 2;
    const uint64_t sw = signacc::state_words(b, G, hw), row = G * W;
    if (sw > words(isa::Buf::kPbuf) || row > words(isa::Buf::kObuf) || row > words(isa::Buf::kAbuf)) return make_nop();
    const uint64_t s_addr = C * uni(rng, 0, (words(isa::Buf::kPbuf) - sw) / C);
    uint64_t n = uni(rng, 1, 10), stride = W * uni(rng, 0, G + 1);
    while (n > 1 && (n - 1) * stride + row > words(isa::Buf::kObuf)) --n;
    const uint64_t v_addr = W * uni(rng, 0, (words(isa::Buf::kObuf) - (n - 1) * stride - row) / W);
    if (rng() % 3 == 0) {  // sdiv: INT32 rows (whatever gemms left in obuf), denominators at any word, <= 0 included
      isa::SdivInsn x;
      x.row_segs = G;
      const uint64_t nrow = G * 4 * W;
      if (nrow > words(isa::Buf::kObuf)) return make_nop();
      x.n_rows = std::min<uint64_t>(n, words(isa::Buf::kAbuf) / row);
      x.num_stride = W * uni(rng, 0, 4 * G + 1);
      x.den_stride = uni(rng, 0, 5);
      while (x.n_rows > 1 && ((x.n_rows - 1) * x.num_stride + nrow > words(isa::Buf::kObuf) ||
                              (x.n_rows - 1) * x.den_stride + 1 > words(isa::Buf::kObuf)))
        --x.n_rows;
      x.num_addr = W * uni(rng, 0, (words(isa::Buf::kObuf) - (x.n_rows - 1) * x.num_stride - nrow) / W);
      x.den_addr = uni(rng, 0, words(isa::Buf::kObuf) - (x.n_rows - 1) * x.den_stride - 1);
      x.dst_addr = W * uni(rng, 0, (words(isa::Buf::kAbuf) - x.n_rows * row) / W);
      x.gain_log2 = rng() % 8;
      return encode(x);
    }
    if (rng() % 2) {
      isa::SaccInsn x;
      x.init = rng() % 2;
      x.code_bits = b, x.row_segs = G, x.n_keys = n, x.v_addr = v_addr, x.v_stride = stride, x.s_addr = s_addr;
      x.k_addr = uni(rng, 0, words(isa::Buf::kDbuf) - n);
      return encode(x);
    }
    isa::SqryInsn x;
    x.form = rng() % 2;
    x.code_bits = b, x.row_segs = G, x.v_addr = v_addr, x.v_stride = stride, x.s_addr = s_addr;
    x.n_q = std::min<uint64_t>({n, words(isa::Buf::kAbuf) / row, words(isa::Buf::kQbuf)});
    x.q_addr = uni(rng, 0, words(isa::Buf::kQbuf) - x.n_q);
    x.dst_addr = W * uni(rng, 0, (words(isa::Buf::kAbuf) - x.n_q * row) / W);
    x.gain_log2 = rng() % 8;
    return encode(x);
  };

  // A random legal wpack: either orientation, rows absent past n_rows, any port-aligned source rows of obuf (whatever
  // gemms left there; a zero stride included), a tile anywhere in wbuf.
  auto wp = [&]() -> Insn {
    const uint64_t W = wpack::seg_words(hw), k2 = wpack::pair_k(hw), C = bitmac::cols(hw);
    const uint64_t ow = static_cast<uint64_t>(hw.buf_words(isa::Buf::kObuf)),
                   ww = static_cast<uint64_t>(hw.buf_words(isa::Buf::kWbuf));
    const uint64_t wport = bitmac::planes_per_read(hw) * bitmac::plane_words(hw);
    isa::WpackInsn x;
    x.trans = rng() % 2;
    x.n_pairs = uni(rng, 1, 3);
    while (x.n_pairs > 1 && wpack::tile_words(hw, x.n_pairs) > ww) --x.n_pairs;
    const uint64_t rw = x.trans ? W : k2 * x.n_pairs / 8;
    if (wpack::tile_words(hw, x.n_pairs) > ww || rw > ow) return make_nop();
    x.n_rows = uni(rng, 1, x.trans ? k2 * x.n_pairs : C);
    x.src_stride = W * uni(rng, 0, (rw + W - 1) / W + 1);
    while (x.n_rows > 1 && (x.n_rows - 1) * x.src_stride + rw > ow) --x.n_rows;
    x.src_addr = W * uni(rng, 0, (ow - (x.n_rows - 1) * x.src_stride - rw) / W);
    x.dst_addr = wport * uni(rng, 0, (ww - wpack::tile_words(hw, x.n_pairs)) / wport);
    return encode(x);
  };

  // A random legal tacc: any tau and chunk count, input rows anywhere in abuf (whatever loads and engines left there),
  // tables anywhere in wbuf (not port aligned), parameters anywhere in sbuf, outputs anywhere in obuf.
  auto ta = [&]() -> Insn {
    const uint64_t A = tabacc::a_words(hw), W = tabacc::seg_words(hw), C = tabacc::cols(hw);
    auto words = [&](isa::Buf b) { return static_cast<uint64_t>(hw.buf_words(b)); };
    isa::TaccInsn x;
    x.tau = uni(rng, 1, 8);
    x.n_chunks = uni(rng, 1, rng() % 4 == 0 ? 64 : 6);
    x.out_segs = uni(rng, 1, 3);
    while (x.tau > 1 && tabacc::tables_words(hw, x.tau, x.n_chunks, x.out_segs) > words(isa::Buf::kWbuf)) --x.tau;
    while (x.n_chunks > 1 && tabacc::tables_words(hw, x.tau, x.n_chunks, x.out_segs) > words(isa::Buf::kWbuf))
      --x.n_chunks;
    while (x.out_segs > 1 &&
           (tabacc::side_words(hw, x.out_segs) > words(isa::Buf::kSbuf) || x.out_segs * W > words(isa::Buf::kObuf)))
      --x.out_segs;
    const uint64_t ra = tabacc::row_reads(hw, x.tau, x.n_chunks) * A,
                   tw = tabacc::tables_words(hw, x.tau, x.n_chunks, x.out_segs);
    if (tw > words(isa::Buf::kWbuf) || ra > words(isa::Buf::kAbuf) ||
        tabacc::side_words(hw, x.out_segs) > words(isa::Buf::kSbuf) || x.out_segs * W > words(isa::Buf::kObuf))
      return make_nop();
    x.relu = rng() % 2;
    x.n_rows = uni(rng, 1, 6);
    x.a_stride = A * uni(rng, 0, ra / A + 1);
    x.o_stride = W * uni(rng, 0, x.out_segs + 1);
    while (x.n_rows > 1 && ((x.n_rows - 1) * x.a_stride + ra > words(isa::Buf::kAbuf) ||
                            (x.n_rows - 1) * x.o_stride + x.out_segs * W > words(isa::Buf::kObuf)))
      --x.n_rows;
    x.a_addr = A * uni(rng, 0, (words(isa::Buf::kAbuf) - (x.n_rows - 1) * x.a_stride - ra) / A);
    x.t_addr = W * uni(rng, 0, (words(isa::Buf::kWbuf) - tw) / W);
    x.s_addr = (C / 4) * uni(rng, 0, (words(isa::Buf::kSbuf) - tabacc::side_words(hw, x.out_segs)) / (C / 4));
    x.o_addr = W * uni(rng, 0, (words(isa::Buf::kObuf) - (x.n_rows - 1) * x.o_stride - x.out_segs * W) / W);
    return encode(x);
  };

  // ---- the operations, in a global order (only what the machine has: has_<engine>)
  const bool has_ham = isa::engine_present(isa::kEngineHamtopk, hw),
             has_mac = isa::engine_present(isa::kEngineBitmac, hw),
             has_hg = isa::engine_present(isa::kEngineHashgrid, hw),
             has_be = isa::engine_present(isa::kEngineBinenc, hw) &&
                      isa::buf_present(static_cast<uint64_t>(isa::Buf::kObuf), hw);
  const bool has_lt = isa::engine_present(isa::kEngineLut, hw), has_sa = isa::engine_present(isa::kEngineSignacc, hw);
  const bool has_wp = isa::engine_present(isa::kEngineWpack, hw), has_ta = isa::engine_present(isa::kEngineTabacc, hw);
  std::vector<isa::Buf> load_bufs, store_bufs;
  for (isa::Buf b : {isa::Buf::kQbuf, isa::Buf::kDbuf, isa::Buf::kAbuf, isa::Buf::kWbuf, isa::Buf::kSbuf,
                     isa::Buf::kGbuf, isa::Buf::kXbuf, isa::Buf::kTbuf})
    if (isa::buf_present(static_cast<uint64_t>(b), hw)) load_bufs.push_back(b);
  for (isa::Buf b : {isa::Buf::kRbuf, isa::Buf::kObuf, isa::Buf::kObuf, isa::Buf::kPbuf})
    if (isa::buf_present(static_cast<uint64_t>(b), hw)) store_bufs.push_back(b);
  std::vector<Op> ops;
  const int n = static_cast<int>(uni(rng, 3, 60));
  for (int i = 0; i < n; ++i) {
    const unsigned kind = static_cast<unsigned>(rng() % 20);
    if (kind == 19) {
      ops.push_back({has_ta ? ta() : make_nop(), 1});
    } else if (kind == 18) {
      ops.push_back({has_wp ? wp() : make_nop(), 1});
    } else if (kind == 17) {
      ops.push_back({has_sa ? sa() : make_nop(), 1});
    } else if (kind == 16) {
      ops.push_back({has_lt ? lt() : make_nop(), 1});
    } else if (kind == 15) {
      ops.push_back({has_be ? be() : make_nop(), 1});
    } else if (kind >= 13) {
      ops.push_back({has_hg ? hg() : make_nop(), 1});
    } else if (kind < 4) {
      ops.push_back({dma(load_bufs[rng() % load_bufs.size()], true), 0});
    } else if (kind < 6) {
      ops.push_back({has_ham ? ham() : make_nop(), 1});
    } else if (kind < 8) {
      ops.push_back({has_mac ? gemm() : make_nop(), 1});
    } else if (kind < 10) {
      ops.push_back({dma(store_bufs[rng() % store_bufs.size()], false), 2});
    } else if (kind == 10) {
      ops.push_back({make_nop(), 1});
    } else {  // a burst on one queue: fills it and blocks the dispatcher
      const int q = static_cast<int>(rng() % 3), len = static_cast<int>(uni(rng, 4, 24));
      for (int j = 0; j < len; ++j)
        ops.push_back(q == 0   ? Op{make_load(isa::Buf::kQbuf, 0, 0, 0), 0}
                      : q == 1 ? Op{make_nop(), 1}
                               : Op{make_store(isa::Buf::kRbuf, 0, 0, 0), 2});
    }
  }

  // ---- the baton: op i pops from op i-1's queue and pushes to op i+1's (through a compute relay
  // between load and store, which are not neighbours).
  std::vector<Op> seq;
  for (size_t i = 0; i < ops.size(); ++i) {
    if (!seq.empty() && std::abs(seq.back().queue - ops[i].queue) == 2) seq.push_back({make_nop(), 1});
    seq.push_back(ops[i]);
  }
  seq.push_back({make_finish(), 1});
  // Baton pairs: (pusher index in seq, its dir) -> (popper index, its dir). dir 0 = prev, 1 = next.
  struct Pair {
    size_t from, to;
    int push_dir, pop_dir;
  };
  std::vector<Pair> pairs;
  for (size_t i = 1; i < seq.size(); ++i) {
    const int a = seq[i - 1].queue, b = seq[i].queue;
    if (a == b) continue;  // program order within a queue
    pairs.push_back({i - 1, i, b > a ? 1 : 0, b > a ? 0 : 1});
  }
  auto set_flags = [&](const std::vector<bool>& keep, const std::vector<std::array<bool, 4>>& extra) {
    Program p;
    for (size_t i = 0; i < seq.size(); ++i) {
      Insn in = seq[i].insn;
      bool f[4] = {extra[i][0], extra[i][1], extra[i][2], extra[i][3]};  // pop_prev, pop_next, push_prev, push_next
      for (size_t k = 0; k < pairs.size(); ++k) {
        if (!keep[k]) continue;
        if (pairs[k].from == i) f[2 + pairs[k].push_dir] = true;
        if (pairs[k].to == i) f[pairs[k].pop_dir] = true;
      }
      in.set(isa::kPopPrevField, f[0]);
      in.set(isa::kPopNextField, f[1]);
      in.set(isa::kPushPrevField, f[2]);
      in.set(isa::kPushNextField, f[3]);
      p.insns.push_back(in);
    }
    return p;
  };
  // Extra token pairs beside the batons: an earlier instruction pushes, a later one of the neighbouring
  // queue pops (waits stay on earlier instructions). Only where neither flag is taken.
  std::vector<std::array<bool, 4>> extra(seq.size(), {false, false, false, false});
  std::vector<bool> keep(pairs.size(), true);
  {
    Program base = set_flags(keep, extra);
    const int tries = static_cast<int>(seq.size() / 3);
    for (int t = 0; t < tries; ++t) {
      const size_t i = uni(rng, 0, seq.size() - 2), j = uni(rng, i + 1, seq.size() - 1);
      const int a = seq[i].queue, b = seq[j].queue;
      if (std::abs(a - b) != 1) continue;
      const int push_dir = b > a ? 1 : 0, pop_dir = 1 - push_dir;
      const bool pushes = push_dir ? base.insns[i].push_next() : base.insns[i].push_prev();
      const bool pops = pop_dir ? base.insns[j].pop_next() : base.insns[j].pop_prev();
      if (pushes || pops || extra[i][2 + push_dir] || extra[j][pop_dir]) continue;
      if (seq[j].insn.op() == isa::Op::kFinish) continue;
      extra[i][2 + push_dir] = true;
      extra[j][pop_dir] = true;
      base = set_flags(keep, extra);
    }
  }
  // A program whose extra pairs cross the batons of one counter would re-pair them; check it is still
  // race-free before relaxing, else drop the extras.
  if (!find_race(set_flags(keep, extra), hw, dram_bytes).empty())
    extra.assign(seq.size(), {false, false, false, false});
  rp.batons = pairs.size();
  // ---- relax: drop baton pairs at random while the checker finds no race
  std::vector<size_t> order(pairs.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::shuffle(order.begin(), order.end(), rng);
  for (size_t k : order) {
    if (rng() % 4 == 0) continue;  // keep some batons that are not needed
    keep[k] = false;
    if (find_race(set_flags(keep, extra), hw, dram_bytes).empty())
      ++rp.relaxed;
    else
      keep[k] = true;
  }
  rp.program = set_flags(keep, extra);
  check_program(rp.program, hw, dram_bytes);  // throws if the construction is wrong

  if (faulty) {
    Insn bad;
    // On a machine that leaves an engine out, a quarter of the faults are that engine's opcode or a
    // transfer into a buffer only it uses.
    std::vector<const isa::OpDef*> absent_ops;
    for (const auto& o : isa::kOps)
      if (o.engine >= 0 && !isa::engine_present(o.engine, hw)) absent_ops.push_back(&o);
    std::vector<isa::Buf> absent_loads;
    for (isa::Buf b : {isa::Buf::kQbuf, isa::Buf::kDbuf, isa::Buf::kAbuf, isa::Buf::kWbuf, isa::Buf::kSbuf,
                       isa::Buf::kGbuf, isa::Buf::kXbuf})
      if (!isa::buf_present(static_cast<uint64_t>(b), hw)) absent_loads.push_back(b);
    const unsigned pick = !absent_ops.empty() && rng() % 4 == 0 ? 3 : static_cast<unsigned>(rng() % 3);
    switch (pick) {
      case 3:
        if (rng() % 2 || absent_loads.empty())
          bad.set(isa::kOpcodeField, absent_ops[rng() % absent_ops.size()]->value);
        else
          bad = make_load(absent_loads[rng() % absent_loads.size()], 0, wb, 0);
        break;
      case 0:
        do bad.set(isa::kOpcodeField, uni(rng, 0, 15));  // an opcode no instruction has
        while (isa::op_def(bad.opcode()));
        break;
      case 1:
        bad = rng() % 2 ? make_load(isa::Buf::kRbuf, 0, wb, 0) : make_store(isa::Buf::kQbuf, 0, wb, 0);
        break;
      default:
        bad = rng() % 2 ? make_load(isa::Buf::kQbuf, 0, 0, 0, Deps{true, false, false, false})
                        : make_store(isa::Buf::kRbuf, 0, 0, 0, Deps{false, false, false, true});
        break;
    }
    const size_t at = uni(rng, 0, rp.program.insns.size() - 1);  // before the finish
    rp.program.insns.insert(rp.program.insns.begin() + static_cast<std::ptrdiff_t>(at), bad);
    rp.fault_insn = static_cast<int64_t>(at);
    rp.fault = issue_faults(bad, hw);
  }
  return rp;
}

}  // namespace bgtest
