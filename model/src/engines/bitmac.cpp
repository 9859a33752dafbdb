// The bit-serial MAC-array engine of the reference model (docs/ARCHITECTURE.md §3.2, R11): the one
// implementation of gemm's legality, execution time, footprint, actions and function, used by the
// functional executor, the program checker and the SystemC model; and the packers of its layouts.
#include "bitgrid/engines/bitmac.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <string>

#include "bitgrid/engine.h"
#include "bitgrid/error.h"

namespace bitgrid {

namespace bitmac {

int64_t requant(int64_t acc, const Channel& ch, bool relu, bool out32) {
  // The widths of the hardware (§3.2): acc + bias wraps at 48 bits, the product of a 48-bit sum and a
  // 16-bit multiplier is exact in 64 bits, the rounding addition wraps at 64 bits. Within one gemm
  // |acc| < 2^44, so nothing wraps; only a chain of acc_in/acc_out gemms over more than 4095 groups can.
  const int64_t sum = wrap48(acc + ch.bias);
  const int64_t t = sum * static_cast<int64_t>(ch.mult);
  const int64_t r =
      ch.shift ? static_cast<int64_t>(static_cast<uint64_t>(t) + (uint64_t{1} << (ch.shift - 1))) >> ch.shift : t;
  const int64_t lo = out32 ? std::numeric_limits<int32_t>::min() : -128;
  const int64_t hi = out32 ? std::numeric_limits<int32_t>::max() : 127;
  const int64_t s = std::clamp(r, lo, hi);
  return relu ? std::max<int64_t>(s, 0) : s;
}

std::vector<uint64_t> pack_weights(const HwConfig& hw, const Tile& t) {
  const uint64_t R = rows(hw), C = cols(hw), PW = plane_words(hw), b = bits(t.dtype);
  const uint64_t P = t.group_pairs * t.n_groups, K = 2 * R * P;
  std::vector<uint64_t> out(weight_words(hw, t.dtype, t.group_pairs, t.n_groups), 0);
  for (uint64_t p = 0; p < P; ++p)
    for (uint64_t i = 0; i < b; ++i) {
      uint64_t* plane = out.data() + p * pair_words(hw, t.dtype) + i * PW;
      for (uint64_t kk = 0; kk < 2 * R; ++kk)
        for (uint64_t c = 0; c < C; ++c) {
          const uint64_t bit = (t.codes[c * K + 2 * R * p + kk] >> i) & 1;
          const uint64_t idx = kk * C + c;
          plane[idx / 64] |= bit << (idx % 64);
        }
    }
  return out;
}

std::vector<uint64_t> pack_side(const HwConfig& hw, const Tile& t) {
  const uint64_t C = cols(hw), rw = C / 4;
  std::vector<uint64_t> out(side_words(hw, t.n_groups), 0);
  auto put = [&](uint64_t row, uint64_t c, uint64_t v16) { out[row * rw + c / 4] |= (v16 & 0xFFFF) << (16 * (c % 4)); };
  for (uint64_t c = 0; c < C; ++c) {
    const auto& ch = t.channels[c];
    const auto ub = static_cast<uint32_t>(ch.bias);
    put(0, c, ub & 0xFFFF);
    put(1, c, ub >> 16);
    put(2, c, ch.mult);
    put(3, c, ch.shift & 63);
    for (uint64_t g = 0; g < t.n_groups; ++g)
      put(4 + g, c, (uint64_t{t.sel[c * t.n_groups + g]} & 3) << 8 | t.scale[c * t.n_groups + g]);
  }
  return out;
}

}  // namespace bitmac

namespace {

using G = isa::GemmInsn;
using namespace bitmac;

// kSpread[v]: byte j is bit j of v (little-endian bytes), for unpacking 8 plane bits at once.
constexpr std::array<uint64_t, 256> make_spread() {
  std::array<uint64_t, 256> t{};
  for (uint64_t v = 0; v < 256; ++v)
    for (uint64_t j = 0; j < 8; ++j) t[v] |= ((v >> j) & 1) << (8 * j);
  return t;
}
constexpr std::array<uint64_t, 256> kSpread = make_spread();

class BitmacEngine final : public Engine {
 public:
  int index() const override { return isa::kEngineBitmac; }

  void validate(const HwConfig& hw, const std::string& where) const override {
    // One tile of the smallest shape must fit: a row of one pair, one pair of INT8 weights, its side data.
    if (static_cast<uint64_t>(hw.buf_words(isa::Buf::kWbuf)) < pair_words(hw, isa::kDtypeInt8))
      throw Error(where + ".wbuf_kib: " + std::to_string(hw.wbuf_kib) + " KiB cannot hold one pair of INT8 weights");
    if (static_cast<uint64_t>(hw.buf_words(isa::Buf::kSbuf)) < side_words(hw, 1))
      throw Error(where + ".sbuf_kib: cannot hold one tile's parameters");
  }

  std::string check(const Insn& in, const HwConfig& hw) const override {
    const G g = decode<G>(in);
    const uint64_t R = rows(hw), C = cols(hw);
    if (g.m_rows < 1) return "m_rows must be at least 1";
    if (g.group_pairs < 1) return "group_pairs must be at least 1";
    if (g.n_groups < 1) return "n_groups must be at least 1";
    const uint64_t gs = group_size(hw, g.group_pairs);
    if (gs > kMaxGroup)
      return "group of " + std::to_string(gs) + " weights exceeds " + std::to_string(kMaxGroup) +
             " (32-bit partial sums)";
    const uint64_t K = reduction(hw, g.group_pairs, g.n_groups);
    const uint64_t ow = out_row_words(hw, g.out32);
    if (g.acc_out && (g.relu || g.out32)) return "acc_out writes accumulators: relu and out32 must be 0";
    if (g.o_abuf && (g.out32 || g.acc_out)) return "o_abuf writes INT8 outputs: out32 and acc_out must be 0";
    auto words = [&](isa::Buf b) { return static_cast<uint64_t>(hw.buf_words(b)); };
    if (g.a_addr % (R / 4)) return "a_addr must be a multiple of " + std::to_string(R / 4);
    if (g.a_addr + g.m_rows * K / 8 > words(isa::Buf::kAbuf)) return "activations exceed abuf";
    const uint64_t wport = planes_per_read(hw) * plane_words(hw);
    if (g.w_addr % wport) return "w_addr must be a multiple of " + std::to_string(wport);
    if (g.w_addr + weight_words(hw, g.dtype, g.group_pairs, g.n_groups) > words(isa::Buf::kWbuf))
      return "weights exceed wbuf";
    if (g.s_addr % (C / 4)) return "s_addr must be a multiple of " + std::to_string(C / 4);
    if (g.s_addr + side_words(hw, g.n_groups) > words(isa::Buf::kSbuf)) return "parameters and scales exceed sbuf";
    if ((g.acc_in || g.acc_out) && g.m_rows * psum_row_words(hw) > words(isa::Buf::kPbuf))
      return "partial sums of " + std::to_string(g.m_rows) + " rows exceed pbuf (" +
             std::to_string(words(isa::Buf::kPbuf) / psum_row_words(hw)) + " rows)";
    if (g.acc_out) return "";  // obuf is not written
    if (g.o_addr % (C / 8)) return "o_addr must be a multiple of " + std::to_string(C / 8);
    if (g.o_stride % (C / 8)) return "o_stride must be a multiple of " + std::to_string(C / 8);
    if (g.m_rows > 1 && g.o_stride < ow)
      return "o_stride = " + std::to_string(g.o_stride) + " is below one output row (" + std::to_string(ow) + " words)";
    const isa::Buf ob = g.o_abuf ? isa::Buf::kAbuf : isa::Buf::kObuf;
    if (g.o_addr + (g.m_rows - 1) * g.o_stride + ow > words(ob))
      return std::string("outputs exceed ") + (g.o_abuf ? "abuf" : "obuf");
    // The engine reads a row's activations while earlier rows' outputs are written: the two may not overlap.
    if (g.o_abuf && g.o_addr < g.a_addr + g.m_rows * K / 8 && g.a_addr < g.o_addr + (g.m_rows - 1) * g.o_stride + ow)
      return "o_abuf outputs overlap the gemm's own activations in abuf";
    return "";
  }

  uint64_t cycles(const Insn& in, const HwConfig& hw) const override {
    const G g = decode<G>(in);
    return gemm_cycles(hw, g.dtype, g.m_rows, g.group_pairs, g.n_groups, g.out32);
  }

  void accesses(const Insn& in, const HwConfig& hw, std::vector<Access>& out) const override {
    const G g = decode<G>(in);
    const uint64_t K = reduction(hw, g.group_pairs, g.n_groups), ow = out_row_words(hw, g.out32);
    out.push_back({static_cast<int>(isa::Buf::kAbuf), g.a_addr, g.a_addr + g.m_rows * K / 8, false});
    out.push_back({static_cast<int>(isa::Buf::kWbuf), g.w_addr,
                   g.w_addr + weight_words(hw, g.dtype, g.group_pairs, g.n_groups), false});
    out.push_back({static_cast<int>(isa::Buf::kSbuf), g.s_addr, g.s_addr + side_words(hw, g.n_groups), false});
    const uint64_t pw = g.m_rows * psum_row_words(hw);
    if (g.acc_in) out.push_back({static_cast<int>(isa::Buf::kPbuf), 0, pw, false});
    if (g.acc_out) {
      out.push_back({static_cast<int>(isa::Buf::kPbuf), 0, pw, true});
      return;
    }
    const int ob = static_cast<int>(g.o_abuf ? isa::Buf::kAbuf : isa::Buf::kObuf);
    if (g.o_stride == ow || g.m_rows == 1) {
      out.push_back({ob, g.o_addr, g.o_addr + g.m_rows * ow, true});
    } else {
      for (uint64_t m = 0; m < g.m_rows; ++m)
        out.push_back({ob, g.o_addr + m * g.o_stride, g.o_addr + m * g.o_stride + ow, true});
    }
  }

  void count(const Insn& in, const HwConfig& hw, ActionCounts& a) const override {
    const G g = decode<G>(in);
    const uint64_t R = rows(hw), C = cols(hw), T = terms(hw, g.dtype), P = g.group_pairs * g.n_groups;
    const uint64_t slots = g.m_rows * P;
    a.count[hw.mac_parallel ? "bitmac.pe_mul" : "bitmac.pe_term"] += slots * 2 * T * R * C;
    a.count["bitmac.col_add"] += slots * 2 * T * C;
    a.count["bitmac.rescale"] += g.m_rows * g.n_groups * C;
    if (!g.acc_out) a.count["bitmac.requant"] += g.m_rows * C;
    a.count[sram_key(isa::Buf::kAbuf, false)] += slots * (R / 4);
    a.count[sram_key(isa::Buf::kWbuf, false)] += slots * pair_words(hw, g.dtype);
    a.count[sram_key(isa::Buf::kSbuf, false)] += (4 + g.m_rows * g.n_groups) * (C / 4);
    if (g.acc_in) a.count[sram_key(isa::Buf::kPbuf, false)] += g.m_rows * psum_row_words(hw);
    if (g.acc_out)
      a.count[sram_key(isa::Buf::kPbuf, true)] += g.m_rows * psum_row_words(hw);
    else
      a.count[sram_key(g.o_abuf ? isa::Buf::kAbuf : isa::Buf::kObuf, true)] += g.m_rows * out_row_words(hw, g.out32);
    a.useful["bitmac"] += static_cast<double>(g.m_rows * reduction(hw, g.group_pairs, g.n_groups) * C * T);
  }

  void execute(const Insn& in, const HwConfig& hw, const Scratchpads& spm,
               std::vector<SpmWrite>& writes) const override {
    const G g = decode<G>(in);
    const uint64_t R = rows(hw), C = cols(hw), PW = plane_words(hw), b = bits(g.dtype);
    const uint64_t P = g.group_pairs * g.n_groups, K = 2 * R * P, gs = group_size(hw, g.group_pairs);
    // Side data: channel parameters and per-group scale and selector.
    const uint64_t* side = spm.data(isa::Buf::kSbuf, g.s_addr);
    auto entry = [&](uint64_t row, uint64_t c) { return (side[row * (C / 4) + c / 4] >> (16 * (c % 4))) & 0xFFFF; };
    std::vector<Channel> ch(C);
    for (uint64_t c = 0; c < C; ++c) {
      ch[c].bias = static_cast<int32_t>(static_cast<uint32_t>(entry(0, c) | entry(1, c) << 16));
      ch[c].mult = static_cast<uint16_t>(entry(2, c));
      ch[c].shift = static_cast<uint8_t>(entry(3, c) & 63);
    }
    // Weight values [C][K] from the bit planes, with their group's selector.
    thread_local std::vector<uint8_t> code;  // scratch, reused between instructions
    code.assign(C * K, 0);
    // Pair by pair: gather the pair's codes [kk][c] from its planes (each plane word once), then write
    // them out channel by channel (contiguous in k).
    std::vector<uint8_t> pair(2 * R * C);
    for (uint64_t p = 0; p < P; ++p) {
      std::fill(pair.begin(), pair.end(), 0);
      for (uint64_t i = 0; i < b; ++i) {
        const uint64_t* plane = spm.data(isa::Buf::kWbuf, g.w_addr + p * pair_words(hw, g.dtype) + i * PW);
        for (uint64_t wd = 0; wd < PW; ++wd)
          for (uint64_t byte = 0; byte < 8; ++byte) {
            // 8 plane bits -> bit i of 8 code bytes at once
            uint64_t spread = kSpread[(plane[wd] >> (8 * byte)) & 0xFF] << i, cur;
            std::memcpy(&cur, pair.data() + wd * 64 + byte * 8, 8);
            cur |= spread;
            std::memcpy(pair.data() + wd * 64 + byte * 8, &cur, 8);
          }
      }
      for (uint64_t c = 0; c < C; ++c) {
        uint8_t* dst = code.data() + c * K + 2 * R * p;
        for (uint64_t kk = 0; kk < 2 * R; ++kk) dst[kk] = pair[kk * C + c];
      }
    }
    thread_local std::vector<int16_t> val;
    val.resize(C * K);
    std::vector<int64_t> scale(C * g.n_groups);
    int16_t value_of[4][256];  // the datatype's value of each code, per selector
    for (uint32_t sel = 0; sel < 4; ++sel)
      for (uint32_t q = 0; q < 256; ++q)
        value_of[sel][q] = static_cast<int16_t>(isa::dtype_value(static_cast<int>(g.dtype), q, sel));
    for (uint64_t c = 0; c < C; ++c)
      for (uint64_t gr = 0; gr < g.n_groups; ++gr) {
        const uint64_t e = entry(4 + gr, c);
        scale[c * g.n_groups + gr] = static_cast<int64_t>(e & 0xFF);
        const int16_t* lut = value_of[(e >> 8) & 3];
        for (uint64_t k = gr * gs; k < (gr + 1) * gs; ++k) val[c * K + k] = lut[code[c * K + k]];
      }
    const uint64_t ow = out_row_words(hw, g.out32);
    std::vector<int16_t> x(K);
    for (uint64_t m = 0; m < g.m_rows; ++m) {
      const uint64_t* arow = spm.data(isa::Buf::kAbuf, g.a_addr + m * K / 8);
      for (uint64_t k = 0; k < K; ++k) x[k] = static_cast<int8_t>(arow[k / 8] >> (8 * (k % 8)));
      const uint64_t* prow = g.acc_in ? spm.data(isa::Buf::kPbuf, m * C) : nullptr;
      SpmWrite w = g.acc_out ? SpmWrite{isa::Buf::kPbuf, m * C, std::vector<uint64_t>(C, 0)}
                             : SpmWrite{g.o_abuf ? isa::Buf::kAbuf : isa::Buf::kObuf, g.o_addr + m * g.o_stride,
                                        std::vector<uint64_t>(ow, 0)};
      for (uint64_t c = 0; c < C; ++c) {
        int64_t acc = 0;
        const int16_t* v = val.data() + c * K;
        for (uint64_t gr = 0; gr < g.n_groups; ++gr) {
          int32_t psum = 0;
          for (uint64_t k = gr * gs; k < (gr + 1) * gs; ++k) psum += static_cast<int32_t>(x[k]) * v[k];
          acc += static_cast<int64_t>(psum) * scale[c * g.n_groups + gr];
        }
        if (prow) acc += static_cast<int64_t>(prow[c]);
        acc = wrap48(acc);
        if (g.acc_out) {
          w.words[c] = static_cast<uint64_t>(acc);
          continue;
        }
        const int64_t y = requant(acc, ch[c], g.relu, g.out32);
        if (g.out32)
          w.words[c / 2] |= uint64_t{static_cast<uint32_t>(static_cast<int32_t>(y))} << (32 * (c % 2));
        else
          w.words[c / 8] |= uint64_t{static_cast<uint8_t>(static_cast<int8_t>(y))} << (8 * (c % 8));
      }
      writes.push_back(std::move(w));
    }
  }
};

}  // namespace

const Engine& bitmac_engine() {
  static const BitmacEngine e;
  return e;
}

}  // namespace bitgrid
