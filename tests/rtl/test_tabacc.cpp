// rtl/engines/tabacc/bg_tabacc.sv (the table accumulator behind the compute dispatcher) with emulated abuf, wbuf and
// sbuf read ports (1-cycle latency, port-wide and port-aligned: a read of WbufPortWords words at an aligned address;
// random data on a bus that was not read) and recorded obuf writes: every tacc against the reference model's engine
// (bitgrid::Engine check, cycles and execute of the tacc opcode) and against outputs computed here from the layouts
// (indices from the signs, table rows summed, bitmac::requant); the schedule of R19 recomputed here and checked cycle
// by cycle (every request and its address, each obuf write and its data in its cycle, last_o exactly in c+E, nothing
// in c nor while idle). Parameter sets (MacRows, MacCols, WbufPortWords): (16,16,8), (8,8,2), (8,16,16) (the
// bit-parallel array's port), (16,8,4), (8,32,8).
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <random>
#include <vector>

#include "Vdut.h"
#include "bitgrid/engine.h"
#include "bitgrid/engines/bitmac.h"
#include "bitgrid/engines/tabacc.h"
#include "bitgrid/gen/isa.h"
#include "bitgrid/hwconfig.h"
#include "rtl_test_util.h"

namespace {

using namespace bgtest;
namespace isa = bitgrid::isa;

constexpr unsigned kR = BG_MAC_ROWS;
constexpr unsigned kC = BG_MAC_COLS;
constexpr unsigned kWP = BG_WBUF_PORT_WORDS;  // wbuf words per read (port-aligned)
constexpr unsigned kA = kR / 4;               // abuf words per read (2R values)
constexpr unsigned kW = kC / 8;               // wbuf/obuf words per segment
constexpr unsigned kSR = kC / 4;              // sbuf words per parameter row

bitgrid::HwConfig hw_config() {
  bitgrid::HwConfig hw;
  hw.mac_rows = kR;
  hw.mac_cols = kC;
  hw.mac_parallel = (kWP == 4 * kR * kC / 32) ? 1 : 0;
  hw.abuf_kib = 64;    // 8K words
  hw.wbuf_kib = 1024;  // 128K words: 64 tables of 256 rows, out_segs up to 8 (C = 8)
  hw.sbuf_kib = 32;
  hw.obuf_kib = 64;
  return hw;
}

// R19, written again from the rule.
uint64_t rule_ra(uint64_t tau, uint64_t k) { return (k * tau + 2 * kR - 1) / (2 * kR); }
uint64_t rule_span(const isa::TaccInsn& x) {
  return rule_ra(x.tau, x.n_chunks) + 1 + x.out_segs * (std::max<uint64_t>(x.n_chunks, 4) + 3);
}
uint64_t rule_cycles(const isa::TaccInsn& x) { return x.n_rows * rule_span(x) + 2; }

struct Write {
  uint32_t addr = 0;
  std::vector<uint64_t> data;
  bool operator==(const Write& o) const { return addr == o.addr && data == o.data; }
};
std::ostream& operator<<(std::ostream& os, const Write& w) {
  os << "obuf[" << w.addr << "] =" << std::hex;
  for (uint64_t d : w.data) os << " " << d;
  return os << std::dec;
}

enum class Params { kMild, kSaturate, kNegBias, kRaw };

class TabaccTest : public ::testing::Test {
 protected:
  Clocked<Vdut> sim;
  std::mt19937_64 rng{19};
  bitgrid::HwConfig hw = hw_config();
  bitgrid::Scratchpads spm{hw};
  std::optional<uint32_t> apend, wpend, spend;
  uint64_t instructions = 0;

  uint64_t* buf(isa::Buf b) { return spm.data(b); }
  uint32_t words(isa::Buf b) const { return static_cast<uint32_t>(spm.words(b)); }
  void fill_random() {
    for (isa::Buf b : {isa::Buf::kAbuf, isa::Buf::kWbuf, isa::Buf::kSbuf, isa::Buf::kObuf})
      for (uint32_t a = 0; a < words(b); ++a) buf(b)[a] = rng();
  }
  // abuf bytes: a quarter 0, a quarter -1, the rest random (0 counts as >= 0).
  void fill_abuf_mixed() {
    for (uint32_t a = 0; a < words(isa::Buf::kAbuf); ++a) {
      uint64_t w = 0;
      for (unsigned b = 0; b < 8; ++b) {
        const unsigned r = rng() % 4;
        const uint64_t v = r == 0 ? 0x00 : r == 1 ? 0xFF : rng() & 0xFF;
        w |= v << (8 * b);
      }
      buf(isa::Buf::kAbuf)[a] = w;
    }
  }
  // abuf bytes random in [lo, hi] (as unsigned bytes).
  void fill_abuf(unsigned lo, unsigned hi) {
    for (uint32_t a = 0; a < words(isa::Buf::kAbuf); ++a) {
      uint64_t w = 0;
      for (unsigned b = 0; b < 8; ++b) w |= uint64_t{lo + rng() % (hi - lo + 1)} << (8 * b);
      buf(isa::Buf::kAbuf)[a] = w;
    }
  }

  // The channel parameters of the instruction's segments at s_addr (row j of segment g at s_addr + g*C + j*C/4).
  void set_params(const isa::TaccInsn& x, Params mode) {
    uint64_t* s = buf(isa::Buf::kSbuf) + x.s_addr;
    for (uint64_t g = 0; g < x.out_segs; ++g)
      for (unsigned i = 0; i < kC; ++i) {
        uint32_t bias;
        uint16_t mult;
        uint16_t shift;  // bits 15:6 are ignored: random
        const uint16_t junk = static_cast<uint16_t>(rng() & 0xFFC0);
        switch (mode) {
          case Params::kSaturate:
            bias = static_cast<uint32_t>(static_cast<int32_t>(rng() % 2001) - 1000);
            mult = 0xFFFF - static_cast<uint16_t>(rng() % 16);
            shift = static_cast<uint16_t>(rng() % 4 | junk);
            break;
          case Params::kNegBias:
          case Params::kMild: {
            bias = mode == Params::kNegBias ? static_cast<uint32_t>(-static_cast<int32_t>(500 + rng() % 20000))
                                            : static_cast<uint32_t>(static_cast<int32_t>(rng() % 3001) - 1500);
            mult = static_cast<uint16_t>(1 + rng() % 0xFFFF);
            unsigned bits = 0;
            while ((mult >> bits) != 0) ++bits;
            shift = static_cast<uint16_t>((bits + 2 + rng() % 6) | junk);
            break;
          }
          case Params::kRaw:
          default:
            bias = static_cast<uint32_t>(rng());
            mult = static_cast<uint16_t>(rng());
            shift = static_cast<uint16_t>(rng());
        }
        const uint64_t sh = 16 * (i % 4);
        uint64_t* row = s + g * kC + i / 4;
        const uint64_t vals[4] = {bias & 0xFFFF, bias >> 16, mult, shift};
        for (unsigned j = 0; j < 4; ++j) {
          row[j * kSR] &= ~(uint64_t{0xFFFF} << sh);
          row[j * kSR] |= vals[j] << sh;
        }
      }
  }

  struct Seen {
    std::optional<uint32_t> a, w, s;
    std::optional<Write> o;
    bool last = false;
    bool any() const { return a || w || s || o; }
  };
  Seen cycle(bool start, const Insn& insn) {
    Seen r;
    sim->start_i = start;
    set_insn(sim->insn_i, insn);
    for (unsigned j = 0; j < kA; ++j)
      set_word(sim->abuf_rdata_i, j, apend ? buf(isa::Buf::kAbuf)[(*apend + j) % words(isa::Buf::kAbuf)] : rng());
    for (unsigned j = 0; j < kWP; ++j)
      set_word(sim->wbuf_rdata_i, j, wpend ? buf(isa::Buf::kWbuf)[(*wpend + j) % words(isa::Buf::kWbuf)] : rng());
    for (unsigned j = 0; j < kSR; ++j)
      set_word(sim->sbuf_rdata_i, j, spend ? buf(isa::Buf::kSbuf)[(*spend + j) % words(isa::Buf::kSbuf)] : rng());
    sim.settle();
    r.last = sim->last_o;
    const SpmReq a = get_spm_req(sim->abuf_req_o), w = get_spm_req(sim->wbuf_req_o), s = get_spm_req(sim->sbuf_req_o),
                 o = get_spm_req(sim->obuf_req_o);
    EXPECT_FALSE(a.we || w.we || s.we) << "abuf/wbuf/sbuf write";
    EXPECT_TRUE(a.req || a.addr == 0) << "abuf address without a request";
    EXPECT_TRUE(w.req || w.addr == 0) << "wbuf address without a request";
    EXPECT_TRUE(s.req || s.addr == 0) << "sbuf address without a request";
    EXPECT_TRUE(o.req || (o.addr == 0 && !o.we)) << "obuf address without a request";
    if (a.req) {
      EXPECT_EQ(a.addr % kA, 0u) << "unaligned abuf read";
      r.a = a.addr;
    }
    if (w.req) {
      EXPECT_EQ(w.addr % kWP, 0u) << "wbuf read not port-aligned";
      r.w = w.addr;
    }
    if (s.req) {
      EXPECT_EQ(s.addr % kSR, 0u) << "unaligned sbuf read";
      r.s = s.addr;
    }
    if (o.req) {
      EXPECT_TRUE(o.we) << "obuf read";
      EXPECT_EQ(o.addr % kW, 0u) << "unaligned obuf write";
      Write x{o.addr, {}};
      for (unsigned j = 0; j < kW; ++j) x.data.push_back(get_word(sim->obuf_wdata_o, j));
      r.o = x;
    }
    apend = a.req ? std::optional<uint32_t>(a.addr) : std::nullopt;
    wpend = w.req ? std::optional<uint32_t>(w.addr) : std::nullopt;
    spend = s.req ? std::optional<uint32_t>(s.addr) : std::nullopt;
    sim.edge();
    return r;
  }
  void idle(unsigned n) {
    for (unsigned i = 0; i < n; ++i) {
      const Seen s = cycle(false, Insn{rng(), rng()});
      EXPECT_FALSE(s.last || s.any()) << "activity while idle";
    }
  }

  int8_t abyte(uint64_t addr, uint64_t i) {
    return static_cast<int8_t>(buf(isa::Buf::kAbuf)[addr + i / 8] >> (8 * (i % 8)));
  }
  // idx of chunk k of row m: the first value of the chunk is the most significant bit.
  uint64_t index(const isa::TaccInsn& x, uint64_t m, uint64_t k) {
    uint64_t r = 0;
    for (uint64_t i = 0; i < x.tau; ++i) r = (r << 1) | (abyte(x.a_addr + m * x.a_stride, k * x.tau + i) >= 0 ? 1 : 0);
    return r;
  }
  uint64_t row_word(const isa::TaccInsn& x, uint64_t k, uint64_t idx) {  // wbuf word of table k's row idx
    return x.t_addr + ((k << x.tau) + idx) * x.out_segs * kW;
  }
  uint16_t param(const isa::TaccInsn& x, uint64_t g, unsigned j, unsigned i) {
    return static_cast<uint16_t>(buf(isa::Buf::kSbuf)[x.s_addr + g * kC + j * kSR + i / 4] >> (16 * (i % 4)));
  }

  // The outputs computed here, segment by segment in write order.
  std::vector<Write> by_hand(const isa::TaccInsn& x) {
    std::vector<Write> out;
    for (uint64_t m = 0; m < x.n_rows; ++m) {
      std::vector<uint64_t> idx(x.n_chunks);
      for (uint64_t k = 0; k < x.n_chunks; ++k) idx[k] = index(x, m, k);
      for (uint64_t g = 0; g < x.out_segs; ++g) {
        Write w{static_cast<uint32_t>(x.o_addr + m * x.o_stride + g * kW), std::vector<uint64_t>(kW, 0)};
        for (unsigned i = 0; i < kC; ++i) {
          int64_t acc = 0;
          for (uint64_t k = 0; k < x.n_chunks; ++k)
            acc += static_cast<int8_t>(buf(isa::Buf::kWbuf)[row_word(x, k, idx[k]) + g * kW + i / 8] >> (8 * (i % 8)));
          bitgrid::bitmac::Channel ch;
          ch.bias = static_cast<int32_t>(uint32_t{param(x, g, 0, i)} | uint32_t{param(x, g, 1, i)} << 16);
          ch.mult = param(x, g, 2, i);
          ch.shift = static_cast<uint8_t>(param(x, g, 3, i) & 63);
          const int64_t y = bitgrid::bitmac::requant(acc, ch, x.relu != 0, false);
          w.data[i / 8] |= uint64_t{static_cast<uint8_t>(y)} << (8 * (i % 8));
        }
        out.push_back(w);
      }
    }
    return out;
  }

  // What each cycle c+t must show (R19).
  struct Slot {
    std::optional<uint32_t> a, w, s;
    std::optional<Write> o;
  };
  std::vector<Slot> schedule(const isa::TaccInsn& x, uint64_t E, const std::vector<Write>& outs) {
    std::vector<Slot> sch(E + 1);
    const uint64_t ra = rule_ra(x.tau, x.n_chunks), K = x.n_chunks, G = x.out_segs;
    const uint64_t S = std::max<uint64_t>(K, 4) + 3;
    for (uint64_t m = 0; m < x.n_rows; ++m) {
      const uint64_t s = 1 + m * rule_span(x);
      for (uint64_t i = 0; i < ra; ++i) sch.at(s + i).a = static_cast<uint32_t>(x.a_addr + m * x.a_stride + i * kA);
      for (uint64_t g = 0; g < G; ++g) {
        const uint64_t u = s + ra + 1 + g * S;
        for (uint64_t j = 0; j < K; ++j) {
          const uint64_t word = row_word(x, j, index(x, m, j)) + g * kW;
          sch.at(u + j).w = static_cast<uint32_t>(word - word % kWP);
        }
        for (uint64_t j = 0; j < 4; ++j) sch.at(u + j).s = static_cast<uint32_t>(x.s_addr + g * kC + j * kSR);
        sch.at(u + S - 1).o = outs.at(m * G + g);
      }
    }
    EXPECT_EQ(1 + x.n_rows * rule_span(x) + 2, E + 1);
    return sch;
  }

  void run(const isa::TaccInsn& x, unsigned gap = 0) {
    SCOPED_TRACE(::testing::Message() << "tacc tau " << x.tau << " K " << x.n_chunks << " G " << x.out_segs << " relu "
                                      << x.relu << " rows " << x.n_rows << " a " << x.a_addr << "+" << x.a_stride
                                      << " t " << x.t_addr << " s " << x.s_addr << " o " << x.o_addr << "+"
                                      << x.o_stride);
    const bitgrid::Insn in = bitgrid::encode(x);
    const bitgrid::Engine& e = *bitgrid::engine_of(static_cast<uint64_t>(isa::Op::kTacc));
    ASSERT_EQ(e.check(in, hw), "");
    const uint64_t E = rule_cycles(x);
    ASSERT_EQ(e.cycles(in, hw), E) << "the model's E against R19";
    std::vector<bitgrid::SpmWrite> ref;
    e.execute(in, hw, spm, ref);
    std::vector<Write> model;  // the model's rows cut into segments, as the engine writes them
    for (const auto& w : ref) {
      ASSERT_EQ(w.buf, isa::Buf::kObuf);
      for (size_t j = 0; j < w.words.size(); j += kW)
        model.push_back(
            {static_cast<uint32_t>(w.addr + j), std::vector<uint64_t>(w.words.begin() + static_cast<long>(j),
                                                                      w.words.begin() + static_cast<long>(j + kW))});
    }
    const std::vector<Write> hand = by_hand(x);
    ASSERT_EQ(model, hand) << "the reference model against the outputs computed here";
    const std::vector<Slot> sch = schedule(x, E, model);

    idle(gap);
    const Insn insn = bgtest::encode(x);
    std::vector<Write> writes;
    for (uint64_t t = 0; t <= E; ++t) {
      const Seen s = cycle(t == 0, t == 0 ? insn : Insn{rng(), rng()});
      ASSERT_EQ(s.last, t == E) << "last_o in cycle c+" << t << " (E = " << E << ")";
      EXPECT_EQ(s.a, sch[t].a) << "abuf read in cycle c+" << t;
      EXPECT_EQ(s.w, sch[t].w) << "wbuf read in cycle c+" << t;
      EXPECT_EQ(s.s, sch[t].s) << "sbuf read in cycle c+" << t;
      EXPECT_EQ(s.o.has_value(), sch[t].o.has_value()) << "obuf write in cycle c+" << t;
      if (s.o && sch[t].o) {
        EXPECT_EQ(*s.o, *sch[t].o) << "segment written in cycle c+" << t;
      }
      if (s.o) writes.push_back(*s.o);
      if (HasFailure()) break;
    }
    ++instructions;
    EXPECT_EQ(writes, model) << "obuf writes against the model";
  }

  // A random legal instruction (the tables, parameters, rows within the buffers).
  isa::TaccInsn random_insn() {
    isa::TaccInsn x;
    x.tau = 1 + rng() % 8;
    switch (rng() % 4) {
      case 0:
        x.n_chunks = 1 + rng() % 3;  // K < 4: the parameter reads set S
        break;
      case 1:
        x.n_chunks = 64 - rng() % 4;
        break;
      default:
        x.n_chunks = 1 + rng() % 64;
    }
    x.out_segs = 1 + (rng() % 4 == 0 ? rng() % 6 : rng() % 2);
    while (bitgrid::tabacc::tables_words(hw, x.tau, x.n_chunks, x.out_segs) > words(isa::Buf::kWbuf)) {
      if (x.out_segs > 1)
        --x.out_segs;
      else
        x.n_chunks /= 2;
    }
    x.relu = rng() % 2;
    x.n_rows = rng() % 3 == 0 ? 1 : 2 + rng() % 3;
    const uint64_t arow = rule_ra(x.tau, x.n_chunks) * kA;
    x.a_stride = arow + kA * (rng() % 3);  // a row, or larger
    if (rng() % 8 == 0) x.a_stride = 0;    // the same row again
    x.a_addr = kA * (rng() % ((words(isa::Buf::kAbuf) - (x.n_rows - 1) * x.a_stride - arow) / kA + 1));
    const uint64_t tw = bitgrid::tabacc::tables_words(hw, x.tau, x.n_chunks, x.out_segs);
    x.t_addr = kW * (rng() % ((words(isa::Buf::kWbuf) - tw) / kW + 1));
    if (kWP > kW && x.t_addr % kWP == 0 && x.t_addr + kW + tw <= words(isa::Buf::kWbuf)) x.t_addr += kW;
    x.s_addr = kSR * (rng() % ((words(isa::Buf::kSbuf) - x.out_segs * kC) / kSR + 1));
    const uint64_t orow = x.out_segs * kW;
    x.o_stride = orow + kW * (rng() % 3);
    x.o_addr = kW * (rng() % ((words(isa::Buf::kObuf) - (x.n_rows - 1) * x.o_stride - orow) / kW + 1));
    return x;
  }
};

TEST_F(TabaccTest, ResetIdle) {
  sim.settle();
  EXPECT_FALSE(sim->last_o);
  idle(5);
}

TEST_F(TabaccTest, RandomInstructions) {
  fill_random();
  fill_abuf_mixed();
  for (int i = 0; i < 120 && !HasFailure(); ++i) {
    const isa::TaccInsn x = random_insn();
    set_params(x, rng() % 6 == 0 ? Params::kRaw : Params::kMild);
    run(x, static_cast<unsigned>(rng() % 3));
  }
  EXPECT_EQ(instructions, 120u);
}

// K < 4 and K*tau around multiples of 2R: every tau with K = 1..5 and with the K that fills whole reads (+-1).
TEST_F(TabaccTest, ChunkCountsAndReadBoundaries) {
  fill_random();
  fill_abuf_mixed();
  for (uint64_t tau = 1; tau <= 8; ++tau) {
    std::vector<uint64_t> ks = {1, 2, 3, 4, 5};
    const uint64_t whole = 2 * kR / tau;  // chunks in one read (rounded down)
    for (uint64_t k : {whole - 1, whole, whole + 1, 2 * whole + 1})
      if (k >= 1 && k <= 64) ks.push_back(k);
    for (uint64_t k : ks) {
      if (HasFailure()) return;
      isa::TaccInsn x;
      x.tau = tau;
      x.n_chunks = k;
      x.out_segs = 1 + k % 2;
      x.relu = k % 2;
      x.n_rows = 2;
      x.a_addr = 3 * kA;
      x.a_stride = rule_ra(tau, k) * kA + kA;
      x.t_addr = kW;  // not port-aligned when WbufPortWords > C/8
      x.s_addr = kSR;
      x.o_addr = 2 * kW;
      x.o_stride = x.out_segs * kW + kW;
      set_params(x, Params::kMild);
      run(x, 1);
    }
  }
}

// Sign corners: all values >= 0 (index all ones), all < 0 (index 0), all 0 (>= 0), all -1 (< 0).
TEST_F(TabaccTest, SignCorners) {
  fill_random();
  struct Fill {
    unsigned lo, hi;
  };
  for (const Fill f : {Fill{0x00, 0x7F}, Fill{0x80, 0xFF}, Fill{0x00, 0x00}, Fill{0xFF, 0xFF}, Fill{0x01, 0x01}}) {
    fill_abuf(f.lo, f.hi);
    for (uint64_t tau : {1, 3, 8}) {
      if (HasFailure()) return;
      isa::TaccInsn x;
      x.tau = tau;
      x.n_chunks = tau == 8 ? 7 : 33;
      x.out_segs = 2;
      x.relu = tau == 3;
      x.n_rows = 3;
      x.a_addr = kA;
      x.a_stride = rule_ra(tau, x.n_chunks) * kA;
      x.t_addr = 5 * kW;
      x.s_addr = 2 * kSR;
      x.o_addr = kW;
      x.o_stride = 3 * kW;
      set_params(x, Params::kMild);
      run(x);
    }
  }
}

// Saturation (a large multiplier, small shifts) with and without ReLU; negative biases (ReLU: zeros).
TEST_F(TabaccTest, SaturationAndNegativeBias) {
  fill_random();
  fill_abuf_mixed();
  for (Params p : {Params::kSaturate, Params::kNegBias})
    for (uint64_t relu : {0, 1}) {
      if (HasFailure()) return;
      isa::TaccInsn x = random_insn();
      x.relu = relu;
      set_params(x, p);
      run(x, 1);
    }
}

TEST_F(TabaccTest, BackToBack) {
  fill_random();
  fill_abuf_mixed();
  for (int i = 0; i < 10 && !HasFailure(); ++i) {
    const isa::TaccInsn x = random_insn();
    set_params(x, Params::kMild);
    run(x, 0);
  }
}

// Instructions the checker refuses do not hang the engine (the module header): a field out of range ends at c+2
// without a request.
TEST_F(TabaccTest, RefusedInstructionsEnd) {
  fill_random();
  isa::TaccInsn ok;
  ok.tau = 2;
  ok.n_chunks = 3;
  ok.out_segs = 1;
  ok.n_rows = 1;
  std::vector<isa::TaccInsn> bad;
  for (uint64_t tau : {0, 9, 15}) {
    isa::TaccInsn x = ok;
    x.tau = tau;
    bad.push_back(x);
  }
  for (uint64_t k : {0, 65, 127}) {
    isa::TaccInsn x = ok;
    x.n_chunks = k;
    bad.push_back(x);
  }
  isa::TaccInsn x = ok;
  x.out_segs = 0;
  bad.push_back(x);
  x = ok;
  x.n_rows = 0;
  bad.push_back(x);
  const bitgrid::Engine& e = *bitgrid::engine_of(static_cast<uint64_t>(isa::Op::kTacc));
  for (const isa::TaccInsn& b : bad) {
    EXPECT_NE(e.check(bitgrid::encode(b), hw), "") << "tau " << b.tau << " K " << b.n_chunks;
    for (uint64_t t = 0; t <= 2; ++t) {
      const Seen s = cycle(t == 0, t == 0 ? bgtest::encode(b) : Insn{rng(), rng()});
      EXPECT_EQ(s.last, t == 2) << "tau " << b.tau << " K " << b.n_chunks << ": last_o in c+" << t;
      EXPECT_FALSE(s.any()) << "request in c+" << t;
    }
    idle(1);
  }
  set_params(ok, Params::kMild);
  run(ok);  // and a legal one after them
}

TEST_F(TabaccTest, StartWhileRunningIsAsserted) {
  fill_random();
  sim.expect_assertions(true);
  isa::TaccInsn x;
  x.tau = 1;
  x.n_chunks = 1;
  x.out_segs = 1;
  x.n_rows = 1;
  const Insn in = bgtest::encode(x);
  cycle(true, in);
  cycle(true, in);
  EXPECT_TRUE(fired_with(sim.take_fired(), "bg_tabacc: started while running"));
}

}  // namespace
