// INT8 gemm stages resident on chip (bitgrid/workloads/chip_gemm.h).
#include "bitgrid/workloads/chip_gemm.h"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "bitgrid/error.h"
#include "bitgrid/workload_util.h"

namespace bitgrid {

namespace {
// K/(2R) pairs of k-tiles as ng groups of gp pairs (gp <= 63, the group_pairs field; ng <= 4095): the fewest groups.
bool split_pairs(uint64_t P, uint64_t& gp, uint64_t& ng) {
  for (uint64_t x = (P + 62) / 63; x <= std::min<uint64_t>(P, 4095); ++x)
    if (P % x == 0) {
      gp = P / x;
      ng = x;
      return true;
    }
  return false;
}
}  // namespace

GemmStage GemmStagePacker::add(const std::vector<int8_t>& wts, uint64_t n, uint64_t k, uint64_t n_min, uint64_t k_min,
                               const std::vector<bitmac::Channel>& chans, const std::string& what) {
  const uint64_t R = bitmac::rows(hw_), C = bitmac::cols(hw_), wb = static_cast<uint64_t>(hw_.beat_words());
  GemmStage st;
  st.K = round_up(std::max(k, k_min), 2 * R);
  while (!split_pairs(st.K / (2 * R), st.gp, st.ng)) st.K += 2 * R;
  st.N = round_up(std::max(n, n_min), C);
  st.ww = bitmac::weight_words(hw_, 0, st.gp, st.ng);
  st.sw = bitmac::side_words(hw_, st.ng);
  st.w_addr = w_used_;
  st.s_addr = s_used_;
  for (uint64_t t = 0; t < st.N / C; ++t) {
    bitmac::Tile tl;
    tl.dtype = 0;  // int8
    tl.group_pairs = st.gp;
    tl.n_groups = st.ng;
    tl.codes.assign(C * st.K, 0);
    tl.channels.assign(C, bitmac::Channel{});
    for (uint64_t c = 0; c < C && t * C + c < n; ++c) {
      for (uint64_t kk = 0; kk < k; ++kk) tl.codes[c * st.K + kk] = static_cast<uint8_t>(wts[(t * C + c) * k + kk]);
      tl.channels[c] = chans[t * C + c];
    }
    tl.scale.assign(C * st.ng, 1);
    tl.sel.assign(C * st.ng, 0);
    const std::vector<uint64_t> pw = bitmac::pack_weights(hw_, tl), ps = bitmac::pack_side(hw_, tl);
    st.wimg.insert(st.wimg.end(), pw.begin(), pw.end());
    st.simg.insert(st.simg.end(), ps.begin(), ps.end());
  }
  w_used_ += st.wimg.size();
  s_used_ += st.simg.size();
  if (round_up(w_used_, wb) > static_cast<uint64_t>(hw_.buf_words(isa::Buf::kWbuf)))
    throw Error(where_ + ": the " + what + "'s " + std::to_string(n) + " x " + std::to_string(st.K) +
                " INT8 weights (" + std::to_string(st.wimg.size() * 8) +
                " bytes) exceed wbuf (wbuf_kib = " + std::to_string(hw_.wbuf_kib) + ")");
  if (round_up(s_used_, wb) > static_cast<uint64_t>(hw_.buf_words(isa::Buf::kSbuf)))
    throw Error(where_ + ": the " + what + "'s channel parameters (" + std::to_string(st.simg.size() * 8) +
                " bytes) exceed sbuf (sbuf_kib = " + std::to_string(hw_.sbuf_kib) + ")");
  return st;
}

void emit_stage_gemms(const GemmStage& st, const HwConfig& hw, uint64_t m_rows, uint64_t a_addr, uint64_t o_addr,
                      uint64_t o_stride, bool o_abuf, const Deps& first, const Deps& last,
                      const std::function<void(const Insn&, std::string)>& emit, const std::string& what) {
  const uint64_t C = bitmac::cols(hw), tiles = st.N / C;
  for (uint64_t t = 0; t < tiles; ++t) {
    isa::GemmInsn gm;
    gm.dtype = 0;
    gm.m_rows = m_rows;
    gm.group_pairs = st.gp;
    gm.n_groups = st.ng;
    gm.a_addr = a_addr;
    gm.w_addr = st.w_addr + t * st.ww;
    gm.s_addr = st.s_addr + t * st.sw;
    gm.o_addr = o_addr + t * C / 8;
    gm.o_stride = o_stride;
    gm.o_abuf = o_abuf;
    if (t == 0) gm.deps = first;
    if (t + 1 == tiles) {
      gm.deps.pop_prev |= last.pop_prev, gm.deps.pop_next |= last.pop_next;
      gm.deps.push_prev |= last.push_prev, gm.deps.push_next |= last.push_next;
    }
    emit(encode(gm), what + " " + std::to_string(t * C) + ".." + std::to_string(t * C + C - 1));
  }
}

std::vector<int8_t> int8_linear(const std::vector<int8_t>& x, uint64_t n, uint64_t k, const std::vector<int8_t>& w,
                                uint64_t outs, const std::vector<bitmac::Channel>& ch) {
  std::vector<int8_t> y(n * outs);
  for (uint64_t r = 0; r < n; ++r)
    for (uint64_t o = 0; o < outs; ++o) {
      int64_t acc = 0;
      for (uint64_t i = 0; i < k; ++i) acc += int64_t{x[r * k + i]} * w[o * k + i];
      y[r * outs + o] = static_cast<int8_t>(bitmac::requant(acc, ch[o], false, false));
    }
  return y;
}

uint64_t DramPlacer::place(uint64_t bytes) {
  const uint64_t at = end_;
  end_ = (end_ + bytes + beat_ - 1) / beat_ * beat_;
  return at;
}

uint64_t row_align(uint64_t row_words, uint64_t wb) { return wb / std::gcd(row_words, wb); }

DramRows place_rows(DramPlacer& dram, uint64_t n, uint64_t row_words, uint64_t wb) {
  DramRows m{0, n, row_words, wb};
  m.addr = dram.place(m.bytes());
  return m;
}

void write_rows(std::vector<uint8_t>& image, const DramRows& m, const std::vector<int8_t>& x, uint64_t width) {
  if (width > m.row_words * 8 || x.size() != m.n * width || image.size() < m.addr + m.bytes())
    throw Error("write_rows: rows of " + std::to_string(width) + " values do not fit their place in DRAM");
  for (uint64_t t = 0; t < m.n; ++t) std::memcpy(image.data() + m.at(t), x.data() + t * width, width);
}

void place_row_io(RowChunkCompiled& out, DramPlacer& place, const RowChunkIO& io, uint64_t n, uint64_t x_w,
                  uint64_t y_w, uint64_t wb, const std::vector<int8_t>& x, uint64_t width, const std::string& where) {
  RowChunkLayout& lay = out.layout;
  lay.x = io.input ? *io.input : place_rows(place, n, x_w, wb);
  lay.y = place_rows(place, n, y_w, wb);
  lay.dram_bytes = place.end();
  if (lay.dram_bytes > 0xFFFFFFFFull)
    throw Error(where + ": the memory image needs " + std::to_string(lay.dram_bytes) + " bytes, above 4 GiB");
  out.memory.assign(lay.dram_bytes, 0);
  if (!io.input) write_rows(out.memory, lay.x, x, width);
}

uint64_t chunk_rows(uint64_t n, uint64_t limit, uint64_t align) {
  if (limit >= n) return n;
  return limit / align * align;
}

std::vector<int8_t> decode_row_chunks(uint64_t n, uint64_t dim, const RowChunkLayout& l,
                                      const std::vector<uint8_t>& memory) {
  if (memory.size() < l.dram_bytes || memory.size() < l.y.addr + l.y.bytes() || l.y.n < n || dim > l.y_row)
    throw Error("memory image is smaller than the program's layout");
  std::vector<int8_t> y(n * dim);
  for (uint64_t t = 0; t < n; ++t) std::memcpy(y.data() + t * dim, memory.data() + l.y.at(t), dim);
  return y;
}

}  // namespace bitgrid
