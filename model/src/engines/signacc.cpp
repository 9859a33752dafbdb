// The sign-select accumulator of the reference model (docs/ARCHITECTURE.md §3.7, R15-R17): `sacc` folds keys
// (codes in dbuf, INT8 value rows in obuf) into a state in pbuf, `sqry` answers queries (codes in qbuf) from it
// into abuf, `sdiv` divides rows of INT32 numerators in obuf by a denominator per row through the same divider.
// The one implementation of their legality, execution time, footprint, actions and function.
#include "bitgrid/engines/signacc.h"

#include <string>
#include <vector>

#include "bitgrid/engine.h"
#include "bitgrid/error.h"

namespace bitgrid {

namespace {

using A = isa::SaccInsn;
using Q = isa::SqryInsn;
using D = isa::SdivInsn;

int32_t lo32(uint64_t w) { return static_cast<int32_t>(static_cast<uint32_t>(w)); }
uint64_t sext(int32_t v) { return static_cast<uint64_t>(static_cast<int64_t>(v)); }
int32_t wrap_add(int32_t a, int64_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
}
int8_t byte_of(const uint64_t* words, uint64_t i) {
  return static_cast<int8_t>((words[i / 8] >> (8 * (i % 8))) & 0xFF);
}

bool is_sacc(const Insn& in) { return in.op() == isa::Op::kSacc; }
bool is_sdiv(const Insn& in) { return in.op() == isa::Op::kSdiv; }

// sdiv (R17): the obuf words of one segment's numerators (C INT32 values, 4 port reads), the cycles of one row's
// segment (den read, 4 numerator reads, the last one's data lands, 17 divider steps, the result written).
uint64_t num_seg_words(const HwConfig& hw) { return 4 * signacc::seg_words(hw); }
constexpr uint64_t kSdivSegCycles = 1 + 4 + 1 + signacc::kRecipSteps + 1;

std::string check_sdiv(const D& d, const HwConfig& hw) {
  const uint64_t W = signacc::seg_words(hw);
  auto words = [&](isa::Buf b) { return static_cast<uint64_t>(hw.buf_words(b)); };
  if (d.n_rows < 1) return "n_rows must be at least 1";
  if (d.row_segs < 1) return "row_segs must be at least 1";
  if (d.num_addr % W) return "num_addr must be a multiple of " + std::to_string(W);
  if (d.n_rows > 1 && d.num_stride % W) return "num_stride must be a multiple of " + std::to_string(W);
  if (d.dst_addr % W) return "dst_addr must be a multiple of " + std::to_string(W);
  if (d.num_addr + (d.n_rows - 1) * d.num_stride + d.row_segs * num_seg_words(hw) > words(isa::Buf::kObuf))
    return "numerator rows exceed obuf (" + std::to_string(words(isa::Buf::kObuf)) + " words)";
  if (d.den_addr + (d.n_rows - 1) * d.den_stride + 1 > words(isa::Buf::kObuf))
    return "denominators exceed obuf (" + std::to_string(words(isa::Buf::kObuf)) + " words)";
  if (d.dst_addr + d.n_rows * d.row_segs * W > words(isa::Buf::kAbuf))
    return "results exceed abuf (" + std::to_string(words(isa::Buf::kAbuf)) + " words)";
  return "";
}

// Fields both opcodes share.
struct Common {
  uint64_t b = 0, G = 0, n = 0, s_addr = 0;
};
Common common(const Insn& in) {
  if (is_sacc(in)) {
    const A a = decode<A>(in);
    return {a.code_bits, a.row_segs, a.n_keys, a.s_addr};
  }
  const Q q = decode<Q>(in);
  return {q.code_bits, q.row_segs, q.n_q, q.s_addr};
}

class SignaccEngine final : public Engine {
 public:
  int index() const override { return isa::kEngineSignacc; }

  // Its values come from the MAC array's outputs and its results go to its activations; its codes from the
  // binary encoder's buffers qbuf and dbuf.
  void validate(const HwConfig& hw, const std::string& where) const override {
    if (!isa::engine_present(isa::kEngineBitmac, hw) || !isa::engine_present(isa::kEngineHamtopk, hw))
      throw Error(where +
                  ".has_signacc: the sign-select accumulator reads values from the MAC array's obuf and codes "
                  "from the Hamming engine's qbuf/dbuf; with has_bitmac: 0 or has_hamtopk: 0 set has_signacc: 0");
  }

  std::string check(const Insn& in, const HwConfig& hw) const override {
    if (is_sdiv(in)) return check_sdiv(decode<D>(in), hw);
    const Common c = common(in);
    const uint64_t C = signacc::cols(hw), W = signacc::seg_words(hw);
    if (c.b < 1 || c.b > static_cast<uint64_t>(hw.sacc_bits))
      return "code_bits must be in 1..sacc_bits (" + std::to_string(hw.sacc_bits) + ")";
    if (c.G < 1) return "row_segs must be at least 1";
    if (c.n < 1) return std::string(is_sacc(in) ? "n_keys" : "n_q") + " must be at least 1";
    if (c.s_addr % C) return "s_addr must be a multiple of " + std::to_string(C);
    if (c.s_addr + signacc::state_words(c.b, c.G, hw) > static_cast<uint64_t>(hw.buf_words(isa::Buf::kPbuf)))
      return "the state (" + std::to_string(signacc::state_words(c.b, c.G, hw)) + " words) exceeds pbuf (" +
             std::to_string(hw.buf_words(isa::Buf::kPbuf)) + " words)";
    const uint64_t row = c.G * W;
    const auto rows_fit = [&](isa::Buf buf, uint64_t addr, uint64_t stride, uint64_t n, const char* what) {
      if (addr % W) return std::string(what) + "_addr must be a multiple of " + std::to_string(W);
      if (n > 1 && stride % W) return std::string(what) + "_stride must be a multiple of " + std::to_string(W);
      if (addr + (n - 1) * stride + row > static_cast<uint64_t>(hw.buf_words(buf)))
        return std::string("rows exceed ") + isa::kBufNames[static_cast<size_t>(buf)] + " (" +
               std::to_string(hw.buf_words(buf)) + " words)";
      return std::string();
    };
    if (is_sacc(in)) {
      const A a = decode<A>(in);
      if (a.k_addr + a.n_keys > static_cast<uint64_t>(hw.buf_words(isa::Buf::kDbuf)))
        return "key codes exceed dbuf (" + std::to_string(hw.buf_words(isa::Buf::kDbuf)) + " words)";
      return rows_fit(isa::Buf::kObuf, a.v_addr, a.v_stride, a.n_keys, "v");
    }
    const Q q = decode<Q>(in);
    if (q.q_addr + q.n_q > static_cast<uint64_t>(hw.buf_words(isa::Buf::kQbuf)))
      return "query codes exceed qbuf (" + std::to_string(hw.buf_words(isa::Buf::kQbuf)) + " words)";
    if (q.form == 0) {
      const std::string e = rows_fit(isa::Buf::kObuf, q.v_addr, q.v_stride, q.n_q, "v");
      if (!e.empty()) return e;
    }
    return rows_fit(isa::Buf::kAbuf, q.dst_addr, row, q.n_q, "dst");
  }

  // R15 (sacc): E = (init ? 0 : Z) + G*((init ? 0 : b+1) + n_keys + 1 + (b+1)) + Z + 2
  //   (z/N rows in, per segment: the bank's b+1 rows in, one key per cycle, a bubble, the rows out; z/N rows out).
  // R16 (sqry): E = Z + G*((b+1) + n_q*(17 + 3)) + 2
  //   (z/N rows in; per segment: the bank in, per query: code and value, denominator, 17 divider steps, result).
  // R17 (sdiv): E = n_rows*row_segs*24 + 2.
  uint64_t cycles(const Insn& in, const HwConfig& hw) const override {
    if (is_sdiv(in)) {
      const D d = decode<D>(in);
      return d.n_rows * d.row_segs * kSdivSegCycles + 2;
    }
    const Common c = common(in);
    const uint64_t Z = signacc::z_rows(c.b, hw);
    if (is_sacc(in)) {
      const bool init = decode<A>(in).init != 0;
      return (init ? 0 : Z) + c.G * ((init ? 0 : c.b + 1) + c.n + 1 + (c.b + 1)) + Z + 2;
    }
    return Z + c.G * ((c.b + 1) + c.n * (signacc::kRecipSteps + 3)) + 2;
  }

  void accesses(const Insn& in, const HwConfig& hw, std::vector<Access>& out) const override {
    if (is_sdiv(in)) {
      const D d = decode<D>(in);
      const int obuf = static_cast<int>(isa::Buf::kObuf);
      for (uint64_t m = 0; m < d.n_rows; ++m) {
        const uint64_t a = d.num_addr + m * d.num_stride, den = d.den_addr + m * d.den_stride;
        out.push_back({obuf, a, a + d.row_segs * num_seg_words(hw), false});
        out.push_back({obuf, den, den + 1, false});
      }
      const uint64_t row = d.row_segs * signacc::seg_words(hw);
      out.push_back({static_cast<int>(isa::Buf::kAbuf), d.dst_addr, d.dst_addr + d.n_rows * row, true});
      return;
    }
    const Common c = common(in);
    const uint64_t row = c.G * signacc::seg_words(hw);
    const int pbuf = static_cast<int>(isa::Buf::kPbuf), obuf = static_cast<int>(isa::Buf::kObuf);
    const uint64_t s_end = c.s_addr + signacc::state_words(c.b, c.G, hw);
    if (is_sacc(in)) {
      const A a = decode<A>(in);
      out.push_back({static_cast<int>(isa::Buf::kDbuf), a.k_addr, a.k_addr + a.n_keys, false});
      for (uint64_t j = 0; j < a.n_keys; ++j)
        out.push_back({obuf, a.v_addr + j * a.v_stride, a.v_addr + j * a.v_stride + row, false});
      if (!a.init) out.push_back({pbuf, c.s_addr, s_end, false});
      out.push_back({pbuf, c.s_addr, s_end, true});
      return;
    }
    const Q q = decode<Q>(in);
    out.push_back({static_cast<int>(isa::Buf::kQbuf), q.q_addr, q.q_addr + q.n_q, false});
    if (q.form == 0)
      for (uint64_t n = 0; n < q.n_q; ++n)
        out.push_back({obuf, q.v_addr + n * q.v_stride, q.v_addr + n * q.v_stride + row, false});
    out.push_back({pbuf, c.s_addr, s_end, false});
    out.push_back({static_cast<int>(isa::Buf::kAbuf), q.dst_addr, q.dst_addr + q.n_q * row, true});
  }

  void count(const Insn& in, const HwConfig& hw, ActionCounts& a) const override {
    if (is_sdiv(in)) {
      const D d = decode<D>(in);
      const uint64_t segs = d.n_rows * d.row_segs, W = signacc::seg_words(hw);
      a.count["signacc.div_step"] += segs * signacc::kRecipSteps;
      a.count["signacc.out_mul"] += segs * signacc::cols(hw);
      a.count[sram_key(isa::Buf::kObuf, false)] += segs * (num_seg_words(hw) + 1);
      a.count[sram_key(isa::Buf::kAbuf, true)] += segs * W;
      return;
    }
    const Common c = common(in);
    const uint64_t C = signacc::cols(hw), W = signacc::seg_words(hw), Z = signacc::z_rows(c.b, hw);
    const uint64_t bank = ((c.b + 1) * c.G + Z) * C;  // state words moved in or out
    if (is_sacc(in)) {
      const bool init = decode<A>(in).init != 0;
      a.count["signacc.sel_add"] += c.n * (c.G * (c.b + 1) * C + c.b);
      if (!init) a.count[sram_key(isa::Buf::kPbuf, false)] += bank;
      a.count[sram_key(isa::Buf::kPbuf, true)] += bank;
      a.count[sram_key(isa::Buf::kDbuf, false)] += c.n * c.G;
      a.count[sram_key(isa::Buf::kObuf, false)] += c.n * c.G * W;
    } else {
      const Q q = decode<Q>(in);
      a.count["signacc.sel_add"] += c.n * c.G * (c.b * C + c.b);
      a.count["signacc.div_step"] += c.n * c.G * signacc::kRecipSteps;
      a.count["signacc.out_mul"] += c.n * c.G * C;
      a.count[sram_key(isa::Buf::kPbuf, false)] += bank;
      a.count[sram_key(isa::Buf::kQbuf, false)] += c.n * c.G;
      if (q.form == 0) a.count[sram_key(isa::Buf::kObuf, false)] += c.n * c.G * W;
      a.count[sram_key(isa::Buf::kAbuf, true)] += c.n * c.G * W;
    }
    a.useful["signacc"] += static_cast<double>(c.n * c.G * c.b * C);
  }

  void execute(const Insn& in, const HwConfig& hw, const Scratchpads& spm,
               std::vector<SpmWrite>& writes) const override {
    if (is_sdiv(in)) {
      const D d = decode<D>(in);
      const uint64_t n_cols = d.row_segs * signacc::cols(hw), W = signacc::seg_words(hw);
      SpmWrite w{isa::Buf::kAbuf, d.dst_addr, std::vector<uint64_t>(d.n_rows * d.row_segs * W, 0)};
      for (uint64_t m = 0; m < d.n_rows; ++m) {
        const signacc::Recip rc = signacc::recip(lo32(spm.data(isa::Buf::kObuf, d.den_addr + m * d.den_stride)[0]));
        const uint64_t* num = spm.data(isa::Buf::kObuf, d.num_addr + m * d.num_stride);
        for (uint64_t col = 0; col < n_cols; ++col) {
          const int32_t x = lo32(num[col / 2] >> (32 * (col % 2)));
          const uint64_t i = m * n_cols + col;
          w.words[i / 8] |= uint64_t{static_cast<uint8_t>(signacc::result(x, rc, static_cast<unsigned>(d.gain_log2)))}
                            << (8 * (i % 8));
        }
      }
      writes.push_back(std::move(w));
      return;
    }
    const Common c = common(in);
    const uint64_t d = c.G * signacc::cols(hw), words = signacc::state_words(c.b, c.G, hw);
    const uint64_t* st = spm.data(isa::Buf::kPbuf, c.s_addr);
    const uint64_t zw = signacc::z_word(c.b, 0, c.G, hw);
    if (is_sacc(in)) {
      const A a = decode<A>(in);
      SpmWrite w{isa::Buf::kPbuf, c.s_addr, std::vector<uint64_t>(words, 0)};
      std::vector<int32_t> s(words, 0);  // the state's entries, padding included (written back as zero)
      if (!a.init)
        for (uint64_t i = 0; i < zw + c.b + 1; ++i) s[i] = lo32(st[i]);
      for (uint64_t j = 0; j < a.n_keys; ++j) {
        const uint64_t code = spm.data(isa::Buf::kDbuf, a.k_addr + j)[0];
        const uint64_t* v = spm.data(isa::Buf::kObuf, a.v_addr + j * a.v_stride);
        for (uint64_t t = 0; t <= c.b; ++t) {  // t = b: the value sum V
          const bool plus = t == c.b || ((code >> t) & 1);
          for (uint64_t col = 0; col < d; ++col) {
            int32_t& e = s[signacc::s_word(t, col, c.G, hw)];
            e = wrap_add(e, plus ? byte_of(v, col) : -byte_of(v, col));
          }
        }
        for (uint64_t t = 0; t < c.b; ++t) s[zw + t] = wrap_add(s[zw + t], ((code >> t) & 1) ? 1 : -1);
        s[zw + c.b] = wrap_add(s[zw + c.b], 1);
      }
      for (uint64_t i = 0; i < zw + c.b + 1; ++i) w.words[i] = sext(s[i]);
      writes.push_back(std::move(w));
      return;
    }
    const Q q = decode<Q>(in);
    const uint64_t W = signacc::seg_words(hw);
    const int64_t cc = static_cast<int64_t>(c.b) + 1;
    SpmWrite w{isa::Buf::kAbuf, q.dst_addr, std::vector<uint64_t>(q.n_q * c.G * W, 0)};
    for (uint64_t n = 0; n < q.n_q; ++n) {
      const uint64_t code = spm.data(isa::Buf::kQbuf, q.q_addr + n)[0];
      int32_t den = static_cast<int32_t>(static_cast<uint32_t>(lo32(st[zw + c.b])) * static_cast<uint32_t>(cc));
      for (uint64_t t = 0; t < c.b; ++t)
        den = wrap_add(den, ((code >> t) & 1) ? lo32(st[zw + t]) : -int64_t{lo32(st[zw + t])});
      const signacc::Recip rc = signacc::recip(den);
      const uint64_t* v = q.form == 0 ? spm.data(isa::Buf::kObuf, q.v_addr + n * q.v_stride) : nullptr;
      for (uint64_t col = 0; col < d; ++col) {
        const int64_t x = q.form == 0 ? byte_of(v, col) : lo32(st[signacc::v_word(c.b, col, c.G, hw)]);
        int32_t num = static_cast<int32_t>(static_cast<uint32_t>(x) * static_cast<uint32_t>(cc));
        for (uint64_t t = 0; t < c.b; ++t) {
          const int64_t e = lo32(st[signacc::s_word(t, col, c.G, hw)]);
          num = wrap_add(num, ((code >> t) & 1) ? e : -e);
        }
        const uint64_t i = n * d + col;
        w.words[i / 8] |= uint64_t{static_cast<uint8_t>(signacc::result(num, rc, static_cast<unsigned>(q.gain_log2)))}
                          << (8 * (i % 8));
      }
    }
    writes.push_back(std::move(w));
  }
};

}  // namespace

const Engine& signacc_engine() {
  static const SignaccEngine e;
  return e;
}

}  // namespace bitgrid
