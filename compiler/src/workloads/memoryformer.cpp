// Lowering of MemoryFormer's hashed linear layer and of its same-size linear baseline (bitgrid/workloads/
// memoryformer.h, docs/ARCHITECTURE.md §3.9). The layer's weights stay in wbuf/sbuf for the whole program: the K
// tables of 2^tau rows (memory form, `tacc`) or the INT8 weight tiles (linear form, one gemm per output tile, the
// chip_gemm stages). The input rows come in chunks through abuf's two halves (a chunk's load prefetched while the one
// before computes); the outputs of a chunk go to obuf and out by a store. Dependency tokens: loads push l2c, the
// chunk's first instruction pops it and its last pushes c2l (the half is free); the last pushes c2s, the store pops it
// and pushes s2c, which the next chunk's first instruction pops (the output rows are free); finish pops the last.
#include "bitgrid/workloads/memoryformer.h"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "bitgrid/checker.h"
#include "bitgrid/engines/tabacc.h"
#include "bitgrid/error.h"
#include "bitgrid/workload_util.h"
#include "bitgrid/workloads/chip_gemm.h"

namespace bitgrid {

namespace {

void check_memory(const MemoryQ& q, const std::string& where) {
  if (q.n < 1 || q.d_in < 1 || q.d_out < 1) throw Error(where + ": empty shape");
  if (q.tau < 1 || q.tau > tabacc::kMaxTau)
    throw Error(where + ".tau: " + std::to_string(q.tau) + " is outside 1..8 (tables of 2^tau rows)");
  if (!q.linear && q.d_in % q.tau)
    throw Error(where + ".dim: " + std::to_string(q.d_in) + " is not a multiple of tau = " + std::to_string(q.tau) +
                " (the input is cut into chunks of tau values)");
  const uint64_t k = q.d_in / q.tau;
  if (!q.linear && k > tabacc::kMaxChunks)
    throw Error(where + ".dim: " + std::to_string(q.d_in) + " / tau = " + std::to_string(k) +
                " chunks, above the table accumulator's 64");
  if (q.x.size() != q.n * q.d_in || q.ch.size() != q.d_out ||
      (q.linear ? q.w.size() != q.d_out * q.d_in : q.tables.size() != k * (uint64_t{1} << q.tau) * q.d_out))
    throw Error(where + ": operands of the wrong size");
}

}  // namespace

std::vector<int8_t> memory_reference(const MemoryQ& q) {
  check_memory(q, "memoryformer");
  if (q.linear) return int8_linear(q.x, q.n, q.d_in, q.w, q.d_out, q.ch);
  std::vector<int8_t> y(q.n * q.d_out);
  const uint64_t k = q.d_in / q.tau;
  for (uint64_t r = 0; r < q.n; ++r) {
    const int8_t* x = q.x.data() + r * q.d_in;
    std::vector<int64_t> acc(q.d_out, 0);
    for (uint64_t c = 0; c < k; ++c) {
      uint64_t idx = 0;  // the chunk's first value is the most significant bit (DESIGN.md §5.3)
      for (uint64_t i = 0; i < q.tau; ++i) idx = 2 * idx + (x[c * q.tau + i] >= 0 ? 1 : 0);
      const int8_t* t = q.tables.data() + ((c << q.tau) + idx) * q.d_out;
      for (uint64_t o = 0; o < q.d_out; ++o) acc[o] += t[o];
    }
    for (uint64_t o = 0; o < q.d_out; ++o)
      y[r * q.d_out + o] = static_cast<int8_t>(bitmac::requant(acc[o], q.ch[o], false, false));
  }
  return y;
}

RowChunkCompiled compile_memory_layer(const MemoryQ& q, const HwConfig& hw, const RowChunkIO& io) {
  const std::string where = q.linear ? "workload (memoryformer, form linear)" : "workload (memoryformer)";
  check_memory(q, where);
  const int eng = q.linear ? isa::kEngineBitmac : isa::kEngineTabacc;
  if (!isa::engine_present(eng, hw))
    throw Error(where + ": the machine has no " + isa::kEngines[static_cast<size_t>(eng)].name + " (has_" +
                isa::kEngines[static_cast<size_t>(eng)].name + ": 0)");
  const uint64_t R = bitmac::rows(hw), C = bitmac::cols(hw);
  const uint64_t wb = static_cast<uint64_t>(hw.beat_words()), beat = static_cast<uint64_t>(hw.dram_bytes_per_cycle);
  auto words_of = [&](isa::Buf b) { return static_cast<uint64_t>(hw.buf_words(b)); };
  const uint64_t G = ceil_div(q.d_out, C), k = q.d_in / q.tau;
  if (G > 63)
    throw Error(where + ".out_dim: " + std::to_string(q.d_out) + " needs " + std::to_string(G) +
                " segments of mac_cols outputs, above tacc's 63");

  // --- weights and parameters
  std::vector<uint64_t> wimg, simg;
  uint64_t kx = 0;  // bytes of an input row on chip
  GemmStage stage;  // linear form
  if (q.linear) {
    GemmStagePacker packer(hw, where);
    stage = packer.add(q.w, q.d_out, q.d_in, 1, io.input ? io.input->row_words * 8 : 1, q.ch, "linear layer");
    wimg = stage.wimg, simg = stage.simg;
    kx = stage.K;
  } else {
    const uint64_t rw = tabacc::table_row_words(hw, G), rows = k << q.tau;
    wimg.assign(rows * rw, 0);
    for (uint64_t r = 0; r < rows; ++r)
      for (uint64_t o = 0; o < q.d_out; ++o)
        wimg[r * rw + o / 8] |= uint64_t{static_cast<uint8_t>(q.tables[r * q.d_out + o])} << (8 * (o % 8));
    if (wimg.size() > words_of(isa::Buf::kWbuf))
      throw Error(where + ": the " + std::to_string(k) + " tables of " + std::to_string(uint64_t{1} << q.tau) +
                  " rows x " + std::to_string(G * C) + " INT8 values (" + std::to_string(wimg.size() * 8) +
                  " bytes) exceed wbuf (wbuf_kib = " + std::to_string(hw.wbuf_kib) + ")");
    for (uint64_t g = 0; g < G; ++g) {
      bitmac::Tile side;
      side.n_groups = 0;
      side.channels.assign(C, bitmac::Channel{});
      for (uint64_t i = 0; i < C && g * C + i < q.d_out; ++i) side.channels[i] = q.ch[g * C + i];
      const std::vector<uint64_t> sw = bitmac::pack_side(hw, side);
      simg.insert(simg.end(), sw.begin(), sw.end());
    }
    if (simg.size() > words_of(isa::Buf::kSbuf))
      throw Error(where + ": the channel parameters (" + std::to_string(simg.size() * 8) +
                  " bytes) exceed sbuf (sbuf_kib = " + std::to_string(hw.sbuf_kib) + ")");
    kx = tabacc::row_reads(hw, q.tau, k) * 2 * R;
    if (io.input) kx = std::max(kx, io.input->row_words * 8);  // tacc reads its rows at any stride
  }
  const uint64_t x_w = kx / 8, y_w = G * C / 8;
  if (io.input && (io.input->row_words != x_w || io.input->n != q.n))
    throw Error(where + ": the input rows in DRAM are " + std::to_string(io.input->n) + " x " +
                std::to_string(io.input->row_words * 8) + " bytes; the layer reads " + std::to_string(q.n) + " x " +
                std::to_string(x_w * 8) + " (its width padded to the MAC array's K tiles)");

  // --- chunk rows: two abuf halves of input rows; the output rows in obuf; stores of whole beats
  const uint64_t align = std::max({R / 4, C / 8, wb});
  const uint64_t a_lim = std::min<uint64_t>(words_of(isa::Buf::kAbuf), 0x10000);
  const uint64_t o_lim = std::min<uint64_t>(words_of(isa::Buf::kObuf), 0x10000);
  auto half_of = [&](uint64_t rows) { return round_up(round_up(rows * x_w, wb), align); };
  uint64_t rows = std::min<uint64_t>(1023, q.n);
  while (rows > 0 && !(2 * half_of(rows) <= a_lim && round_up(rows * y_w, wb) <= o_lim)) --rows;
  // chunks start on a DRAM beat in the dense input and output matrices
  const uint64_t row_al = std::lcm(row_align(x_w, wb), row_align(y_w, wb));
  rows = chunk_rows(q.n, rows, row_al);
  if (rows == 0)
    throw Error(where + ": " + std::to_string(row_al) + " input rows of " + std::to_string(kx) +
                " bytes and their outputs do not fit abuf " + "(abuf_kib = " + std::to_string(hw.abuf_kib) +
                ") / obuf (obuf_kib = " + std::to_string(hw.obuf_kib) + ")");
  const uint64_t half = half_of(rows), chunks = ceil_div(q.n, rows);

  // --- DRAM: weights, parameters, the input chunks, the output chunks
  RowChunkCompiled out;
  RowChunkLayout& lay = out.layout;
  lay.rows = rows;
  lay.chunks = chunks;
  lay.d_pad = G * C;
  lay.y_row = G * C;
  DramPlacer place(beat, round_up(io.dram_base, beat));
  const uint64_t ww = round_up(wimg.size(), wb), sw = round_up(simg.size(), wb);
  if (ww > words_of(isa::Buf::kWbuf) || sw > words_of(isa::Buf::kSbuf))
    throw Error(where + ": the weights do not fit wbuf/sbuf in whole DRAM beats");
  const uint64_t w_at = place.place(ww * 8), s_at = place.place(sw * 8);
  place_row_io(out, place, io, q.n, x_w, y_w, wb, q.x, q.d_in, where);
  const uint64_t dram = lay.dram_bytes;
  std::memcpy(out.memory.data() + w_at, wimg.data(), wimg.size() * 8);
  std::memcpy(out.memory.data() + s_at, simg.data(), simg.size() * 8);

  // --- program
  const std::function<void(const Insn&, std::string)> emit = [&](const Insn& i, std::string comment) {
    out.program.insns.push_back(i);
    out.comments.push_back(std::move(comment));
    out.insn_section.push_back(0);
  };
  out.sections = {q.linear ? "linear layer" : "memory layer"};
  emit(make_load(isa::Buf::kWbuf, 0, ww, w_at), q.linear ? "INT8 weights" : "the tables");
  emit(make_load(isa::Buf::kSbuf, 0, sw, s_at), "channel parameters");
  AbufChunks halves(emit, half);
  auto emit_load = [&](uint64_t c) {
    const uint64_t n = std::min(rows, q.n - c * rows);
    halves.load(c, lay.x.words(n), lay.x.at(c * rows),
                "rows " + std::to_string(c * rows) + ".." + std::to_string(c * rows + n - 1) + " (INT8)");
  };
  emit_load(0);
  for (uint64_t c = 0; c < chunks; ++c) {
    if (c + 1 < chunks) emit_load(c + 1);
    const uint64_t n = std::min(rows, q.n - c * rows);
    const std::string span = std::to_string(c * rows) + ".." + std::to_string(c * rows + n - 1);
    const Deps first{true, c > 0, false, false}, last{false, false, true, true};
    if (q.linear) {
      emit_stage_gemms(stage, hw, n, halves.addr(c), 0, y_w, false, first, last, emit, "rows " + span + ": outputs");
    } else {
      isa::TaccInsn t;
      t.tau = q.tau;
      t.n_chunks = k;
      t.out_segs = G;
      t.n_rows = n;
      t.a_addr = halves.addr(c);
      t.a_stride = x_w;
      t.o_stride = y_w;
      t.deps = Deps{true, c > 0, true, true};
      emit(encode(t), "rows " + span + ": " + std::to_string(k) + " table rows each, summed");
    }
    emit(make_store(isa::Buf::kObuf, 0, lay.y.words(n), lay.y.at(c * rows), Deps{true, false, true, false}),
         "outputs " + span);
  }
  emit(make_finish(Deps{false, true, false, false}), "after the last store");
  check_program(out.program, hw, lay.dram_bytes);
  out.layout_json = {{"rows_per_chunk", rows},
                     {"chunks", chunks},
                     {"weight_bytes", wimg.size() * 8},
                     {"output_row_bytes", G * C},
                     {"dram_bytes", dram}};
  return out;
}

}  // namespace bitgrid
