#pragma once
// INT8 gemm stages resident on chip, shared by the lowerings that run small fixed projections on the MAC array
// between other engines (hamming_topk's encode: chip, the attention workload): a stage's weights and channel
// parameters are packed once into wbuf/sbuf, one stage after another, and each use is one gemm per output tile.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bitgrid/engines/bitmac.h"
#include "bitgrid/hwconfig.h"
#include "bitgrid/insn.h"
#include "bitgrid/workload.h"

namespace bitgrid {

// INT8 weights [n][k] padded with zeros to K (whole pairs of k-tiles, in groups of at most 63 pairs) and N (whole
// tiles of mac_cols outputs), at words w_addr of wbuf and s_addr of sbuf.
struct GemmStage {
  uint64_t K = 0, N = 0, gp = 0, ng = 0, ww = 0, sw = 0, w_addr = 0, s_addr = 0;
  std::vector<uint64_t> wimg, simg;  // packed weights, channel parameters
};

// Packs stages one after another into wbuf and sbuf; `where` names the workload in errors.
class GemmStagePacker {
 public:
  GemmStagePacker(const HwConfig& hw, std::string where) : hw_(hw), where_(std::move(where)) {}
  // A stage of n x k weights (row-major) with per-output channel parameters; at least n_min outputs and k_min
  // inputs (zeros beyond n and k). Throws Error naming `what` and the buffer when the stages exceed wbuf/sbuf.
  GemmStage add(const std::vector<int8_t>& wts, uint64_t n, uint64_t k, uint64_t n_min, uint64_t k_min,
                const std::vector<bitmac::Channel>& chans, const std::string& what);
  uint64_t w_words() const { return w_used_; }  // wbuf/sbuf words of all stages so far
  uint64_t s_words() const { return s_used_; }

 private:
  const HwConfig& hw_;
  std::string where_;
  uint64_t w_used_ = 0, s_used_ = 0;
};

// One use of a stage: m_rows INT8 rows of K/8 words at abuf a_addr, outputs (INT8, N per row) at o_addr of obuf
// (or abuf with o_abuf) with o_stride words per row; one gemm per output tile of mac_cols outputs. The first gemm
// gets `first` token flags, the last gemm `last`'s (one gemm: both).
// Load-side accounting of c2l tokens, one pushed per finished unit of work (a tile, an abuf chunk): before a
// load that needs `needed` units finished, pops the missing tokens, all but the last on token-only loads.
class TokenWait {
 public:
  using Emit = std::function<void(const Insn&, std::string)>;
  explicit TokenWait(const Emit& emit) : emit_(emit) {}
  void wait(uint64_t needed, Deps& d, const std::string& why) {
    while (popped_ + 1 < needed) {
      emit_(make_load(isa::Buf::kQbuf, 0, 0, 0, Deps{false, true, false, false}), "wait: " + why);
      ++popped_;
    }
    if (popped_ < needed) {
      d.pop_next = true;
      ++popped_;
    }
  }

 private:
  const Emit& emit_;
  uint64_t popped_ = 0;
};

// INT8 row chunks streamed from DRAM through abuf's two halves of `half` words (the chunk of step j in half j % 2,
// its load prefetched while step j-1 computes): a step's load pushes l2c and, from step 2 on, first waits for step
// j-2's c2l (its half is free again). The compute side pops l2c with a step's first instruction and pushes c2l with
// the last one that reads the half.
class AbufChunks {
 public:
  AbufChunks(const TokenWait::Emit& emit, uint64_t half) : emit_(emit), c2l_(emit), half_(half) {}
  uint64_t addr(uint64_t j) const { return (j % 2) * half_; }
  void load(uint64_t j, uint64_t words, uint64_t dram, const std::string& what) {
    Deps d;
    d.push_next = true;
    if (j >= 2) c2l_.wait(j - 1, d, "abuf half free");
    emit_(make_load(isa::Buf::kAbuf, addr(j), words, dram, d), what + " -> abuf half " + std::to_string(j % 2));
  }

 private:
  const TokenWait::Emit& emit_;
  TokenWait c2l_;
  uint64_t half_;
};

// A DRAM image laid out front to back from `base`, every part starting on a DRAM beat.
class DramPlacer {
 public:
  explicit DramPlacer(uint64_t beat_bytes, uint64_t base = 0) : beat_(beat_bytes), end_(base) {}
  uint64_t place(uint64_t bytes);  // the part's address; the next part starts on the next beat after it
  uint64_t end() const { return end_; }

 private:
  uint64_t beat_, end_;
};

// A matrix of INT8 rows in DRAM, dense and row-major, `row_words` 64-bit words per row (the row as the chip holds
// it: values past the matrix's width are zero), the last row followed by zeros up to a whole beat. Rows
// [r0, r0 + k) move as one linear DMA of `words(k)` words at `at(r0)`, exact when r0·row_words is a multiple of the
// beat's wb words: chunks of a multiple of `row_align(row_words, wb)` rows. Several readers may chunk one matrix
// differently (the softmax head's key and query chunks), and a matrix one program stores another may read.
struct DramRows {
  uint64_t addr = 0, n = 0, row_words = 0, wb = 1;
  uint64_t at(uint64_t r0) const { return addr + r0 * row_words * 8; }
  uint64_t words(uint64_t k) const { return (k * row_words + wb - 1) / wb * wb; }
  uint64_t bytes() const { return words(n) * 8; }
};
uint64_t row_align(uint64_t row_words, uint64_t wb);  // wb / gcd(row_words, wb)
DramRows place_rows(DramPlacer& dram, uint64_t n, uint64_t row_words, uint64_t wb);
// Writes x [n][width] (width <= row_words * 8) into the image at m's rows, zeros past width.
void write_rows(std::vector<uint8_t>& image, const DramRows& m, const std::vector<int8_t>& x, uint64_t width);
// The largest number of rows per chunk, at most `limit` (the on-chip fit) and a multiple of `align` unless one chunk
// takes all n rows; 0 when not even `align` rows fit.
uint64_t chunk_rows(uint64_t n, uint64_t limit, uint64_t align);

// Where a row-chunked lowering (the attention heads, the memory layer) leaves its output rows in DRAM: the dense
// matrix y (row_words = y_row / 8), written in chunks of `rows` rows.
struct RowChunkLayout {
  uint64_t rows = 0, chunks = 0, d_pad = 0, y_row = 0;  // rows per chunk, chunks, width on chip, output row bytes
  DramRows x, y;                                        // the input and output rows
  uint64_t dram_bytes = 0;
};
struct RowChunkCompiled : Lowered {
  RowChunkLayout layout;
};
// A row-chunked lowering as a layer of a model graph: its DRAM image starts at `dram_base` (the bytes below belong to
// the layers before it), and with `input` its input rows are already in DRAM there (an earlier layer's outputs; their
// row_words must be the lowering's on-chip row width) instead of being placed from the operands' x.
struct RowChunkIO {
  uint64_t dram_base = 0;
  std::optional<DramRows> input;
};
// After the parts already placed (weights, parameters, tables), the lowering's input rows (n rows of x_w words from
// x [n][width], unless io.input already holds them in DRAM) and output rows (n rows of y_w words) into out.layout;
// then sizes out.memory to the image (an error naming `where` above 4 GiB) and writes x. The caller copies its own
// parts.
void place_row_io(RowChunkCompiled& out, DramPlacer& place, const RowChunkIO& io, uint64_t n, uint64_t x_w,
                  uint64_t y_w, uint64_t wb, const std::vector<int8_t>& x, uint64_t width, const std::string& where);
// The output [n][width] (INT8) from a final DRAM image.
std::vector<int8_t> decode_row_chunks(uint64_t n, uint64_t width, const RowChunkLayout& l,
                                      const std::vector<uint8_t>& memory);

// The integer twin of one INT8 stage: y[r][o] = requant(sum_k x[r][k] w[o][k], ch[o]) as INT8, x [n][k], w [outs][k]
// (the references the on-chip lowerings are checked against).
std::vector<int8_t> int8_linear(const std::vector<int8_t>& x, uint64_t n, uint64_t k, const std::vector<int8_t>& w,
                                uint64_t outs, const std::vector<bitmac::Channel>& ch);

void emit_stage_gemms(const GemmStage& st, const HwConfig& hw, uint64_t m_rows, uint64_t a_addr, uint64_t o_addr,
                      uint64_t o_stride, bool o_abuf, const Deps& first, const Deps& last,
                      const std::function<void(const Insn&, std::string)>& emit, const std::string& what);

}  // namespace bitgrid
