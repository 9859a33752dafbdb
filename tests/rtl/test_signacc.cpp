// rtl/engines/signacc/bg_signacc.sv (the sign-select accumulator behind the compute dispatcher) with emulated
// scratchpad ports (qbuf, dbuf, obuf, pbuf read data the cycle after the request, from the port-aligned address
// as bg_scratchpad gives it; pbuf and abuf writes applied to the test's buffers): every sacc, sqry and sdiv against
// the reference model's engine (bitgrid::Engine::execute: the whole of pbuf and abuf must equal the model's after
// each instruction), the execution time E of ARCHITECTURE.md R15-R17 checked cycle-exactly (start_i in c, last_o
// exactly in c+E, no request in c, none while idle), the order of every port's requests (the schedule of the
// RTL's header comment). Parameter sets: MacCols 8, 16, 64 with SaccBits 16 (c16 with code ports of 2 and 8
// words), SaccBits 64 and 8 at MacCols 8. The random cases use a fixed seed per test (BG_TEST_SEED overrides
// it); a failing test prints it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "Vdut.h"
#include "bitgrid/engine.h"
#include "bitgrid/engines/signacc.h"
#include "bitgrid/gen/isa.h"
#include "bitgrid/hwconfig.h"
#include "bitgrid/insn.h"
#include "rtl_test_util.h"
#include "rule_oracle.h"

#ifndef BG_SACC_BITS
#define BG_SACC_BITS 16
#endif
#ifndef BG_QBUF_PORT_WORDS
#define BG_QBUF_PORT_WORDS 1
#endif
#ifndef BG_DBUF_PORT_WORDS
#define BG_DBUF_PORT_WORDS 1
#endif

namespace {

using namespace bgtest;
namespace isa = bitgrid::isa;
namespace sa = bitgrid::signacc;

constexpr unsigned kC = BG_MAC_COLS;
constexpr unsigned kW = kC / 8;  // obuf/abuf words per segment
constexpr unsigned kSB = BG_SACC_BITS;
constexpr unsigned kQP = BG_QBUF_PORT_WORDS;    // qbuf read port words
constexpr unsigned kDP = BG_DBUF_PORT_WORDS;    // dbuf read port words
constexpr uint64_t kWrite = uint64_t{1} << 32;  // marks a write in the access lists

bitgrid::HwConfig hw_config() {
  bitgrid::HwConfig hw;
  hw.mac_cols = kC;
  hw.sacc_bits = kSB;
  hw.qbuf_kib = 4;    // 512 words
  hw.dbuf_kib = 2;    // 256 words: a long sequence takes several saccs
  hw.obuf_kib = 64;   // 8K words
  hw.pbuf_kib = 256;  // 32K words
  hw.abuf_kib = 64;
  return hw;
}

// The b values every test visits: the shortest, odd ones, a full word of the bank and the longest.
std::vector<uint64_t> corner_bits() {
  std::vector<uint64_t> v;
  for (uint64_t b : {uint64_t{1}, uint64_t{5}, uint64_t{8}, uint64_t{13}, uint64_t{16}, uint64_t{31}, uint64_t{kSB}})
    if (b <= kSB && std::find(v.begin(), v.end(), b) == v.end()) v.push_back(b);
  return v;
}

struct Trace {
  std::vector<uint64_t> q, d, o, p, a;  // addresses in request order (+ kWrite for a write)
};

class SignaccTest : public ::testing::Test {
 protected:
  Clocked<Vdut> sim;
  bitgrid::HwConfig hw = hw_config();
  bitgrid::Scratchpads spm{hw};  // what the RTL reads and writes
  uint64_t seed = 0;
  std::mt19937_64 rng;
  std::vector<uint64_t> qpend, dpend, opend, ppend;  // read data for the next cycle
  unsigned instructions = 0;
  std::vector<int8_t> results;  // every result byte the model computed (for the coverage checks)

  void SetUp() override {
    const char* env = std::getenv("BG_TEST_SEED");
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    seed = env ? std::strtoull(env, nullptr, 0) : std::hash<std::string>{}(name) % 1000003;
    rng.seed(seed);
    for (isa::Buf b : {isa::Buf::kQbuf, isa::Buf::kDbuf, isa::Buf::kObuf, isa::Buf::kPbuf, isa::Buf::kAbuf})
      for (uint32_t i = 0; i < words(b); ++i) buf(b)[i] = rng();  // junk: a wrong address shows
    sim->start_i = 0;
  }
  void TearDown() override {
    if (HasFailure()) std::cout << "[   SEED   ] BG_TEST_SEED=" << seed << " reproduces this test\n";
  }

  uint64_t* buf(isa::Buf b) { return spm.data(b); }
  uint32_t words(isa::Buf b) const { return static_cast<uint32_t>(spm.words(b)); }

  // ---- one cycle: drive inputs, settle, check and record outputs, apply writes, clock edge ----
  template <class Port>
  void feed(Port& port, std::vector<uint64_t>& pend, unsigned n) {
    for (unsigned j = 0; j < n; ++j) set_word(port, j, pend.empty() ? rng() : pend[j]);
  }
  std::vector<uint64_t> snapshot(isa::Buf b, uint32_t addr, unsigned n) {
    std::vector<uint64_t> v(n);
    for (unsigned j = 0; j < n; ++j) v[j] = buf(b)[(addr + j) % words(b)];
    return v;
  }
  // Returns whether there was a request; last: last_o.
  bool cycle(bool start, const Insn& insn, Trace* tr, bool* last) {
    sim->start_i = start;
    set_insn(sim->insn_i, insn);
    feed(sim->qbuf_rdata_i, qpend, kQP);
    feed(sim->dbuf_rdata_i, dpend, kDP);
    feed(sim->obuf_rdata_i, opend, kW);
    feed(sim->pbuf_rdata_i, ppend, kC);
    sim.settle();
    if (last) *last = sim->last_o;
    const SpmReq q = get_spm_req(sim->qbuf_req_o), d = get_spm_req(sim->dbuf_req_o), o = get_spm_req(sim->obuf_req_o),
                 p = get_spm_req(sim->pbuf_req_o), a = get_spm_req(sim->abuf_req_o);
    EXPECT_FALSE(q.we || d.we || o.we) << "qbuf/dbuf/obuf write";
    EXPECT_TRUE(a.req == a.we) << "abuf read";
    for (const SpmReq* r : {&q, &d, &o, &p, &a}) EXPECT_TRUE(r->req || (r->addr == 0 && !r->we)) << "idle port";
    qpend.clear();
    dpend.clear();
    opend.clear();
    ppend.clear();
    if (q.req) {
      EXPECT_EQ(q.addr % kQP, 0u) << "unaligned qbuf read";
      qpend = snapshot(isa::Buf::kQbuf, q.addr, kQP);
      if (tr) tr->q.push_back(q.addr);
    }
    if (d.req) {
      EXPECT_EQ(d.addr % kDP, 0u) << "unaligned dbuf read";
      dpend = snapshot(isa::Buf::kDbuf, d.addr, kDP);
      if (tr) tr->d.push_back(d.addr);
    }
    if (o.req) {
      EXPECT_EQ(o.addr % kW, 0u) << "unaligned obuf read";
      opend = snapshot(isa::Buf::kObuf, o.addr, kW);
      if (tr) tr->o.push_back(o.addr);
    }
    if (p.req) {
      EXPECT_EQ(p.addr % kC, 0u) << "unaligned pbuf access";
      if (p.we) {
        for (unsigned j = 0; j < kC; ++j)
          buf(isa::Buf::kPbuf)[(p.addr + j) % words(isa::Buf::kPbuf)] = get_word(sim->pbuf_wdata_o, j);
      } else {
        ppend = snapshot(isa::Buf::kPbuf, p.addr, kC);
      }
      if (tr) tr->p.push_back(p.addr + (p.we ? kWrite : 0));
    }
    if (a.req) {
      EXPECT_EQ(a.addr % kW, 0u) << "unaligned abuf write";
      for (unsigned j = 0; j < kW; ++j)
        buf(isa::Buf::kAbuf)[(a.addr + j) % words(isa::Buf::kAbuf)] = get_word(sim->abuf_wdata_o, j);
      if (tr) tr->a.push_back(a.addr + kWrite);
    }
    sim.edge();
    return q.req || d.req || o.req || p.req || a.req;
  }
  void idle(unsigned n) {
    for (unsigned i = 0; i < n; ++i) {
      bool last = false;
      const bool any = cycle(false, Insn{rng(), rng()}, nullptr, &last);
      EXPECT_FALSE(last || any) << "activity while idle";
    }
  }

  // ---- the requests the header comment's schedule makes, in order ----
  static uint64_t align(uint64_t a, unsigned port) { return a / port * port; }
  Trace expected(const isa::SaccInsn& x) const {
    Trace t;
    const uint64_t b = x.code_bits, G = x.row_segs, Z = sa::z_rows(b, hw), zb = x.s_addr + sa::z_word(b, 0, G, hw);
    if (!x.init)
      for (uint64_t r = 0; r < Z; ++r) t.p.push_back(zb + r * kC);
    for (uint64_t g = 0; g < G; ++g) {
      for (uint64_t r = 0; r <= b && !x.init; ++r) t.p.push_back(x.s_addr + (r * G + g) * kC);
      for (uint64_t j = 0; j < x.n_keys; ++j) {
        t.d.push_back(align(x.k_addr + j, kDP));
        t.o.push_back(x.v_addr + j * x.v_stride + g * kW);
      }
      for (uint64_t r = 0; r <= b; ++r) t.p.push_back(x.s_addr + (r * G + g) * kC + kWrite);
    }
    for (uint64_t r = 0; r < Z; ++r) t.p.push_back(zb + r * kC + kWrite);
    return t;
  }
  Trace expected(const isa::SqryInsn& x) const {
    Trace t;
    const uint64_t b = x.code_bits, G = x.row_segs, Z = sa::z_rows(b, hw), zb = x.s_addr + sa::z_word(b, 0, G, hw);
    for (uint64_t r = 0; r < Z; ++r) t.p.push_back(zb + r * kC);
    for (uint64_t g = 0; g < G; ++g) {
      for (uint64_t r = 0; r <= b; ++r) t.p.push_back(x.s_addr + (r * G + g) * kC);
      for (uint64_t n = 0; n < x.n_q; ++n) {
        t.q.push_back(align(x.q_addr + n, kQP));
        if (x.form == 0) t.o.push_back(x.v_addr + n * x.v_stride + g * kW);
        t.a.push_back(x.dst_addr + (n * G + g) * kW + kWrite);
      }
    }
    return t;
  }

  Trace expected(const isa::SdivInsn& x) const {
    Trace t;
    for (uint64_t m = 0; m < x.n_rows; ++m)
      for (uint64_t g = 0; g < x.row_segs; ++g) {
        t.o.push_back(align(x.den_addr + m * x.den_stride, kW));
        for (uint64_t p = 0; p < 4; ++p) t.o.push_back(x.num_addr + m * x.num_stride + (4 * g + p) * kW);
        t.a.push_back(x.dst_addr + (m * x.row_segs + g) * kW + kWrite);
      }
    return t;
  }

  // ---- one instruction: the model's writes, then the RTL's, cycle by cycle ----
  template <class T>
  void run(const T& x, unsigned gap = 0, bool legal = true) {
    const bitgrid::Insn in = bitgrid::encode(x);
    SCOPED_TRACE(::testing::Message() << "instruction " << instructions << ": " << bitgrid::disassemble(in));
    const bitgrid::Engine* e = bitgrid::engine_of(in);
    ASSERT_NE(e, nullptr);
    if (legal) {
      ASSERT_EQ(e->check(in, hw), "");
    }
    const uint64_t E = bgtest::oracle_engine_cycles(hw, in);
    ASSERT_EQ(e->cycles(in, hw), E);
    bitgrid::Scratchpads ref = spm;
    if (legal) {
      std::vector<bitgrid::SpmWrite> writes;
      e->execute(in, hw, spm, writes);
      for (const auto& w : writes) {
        std::copy(w.words.begin(), w.words.end(), ref.data(w.buf, w.addr));
        if (w.buf == isa::Buf::kAbuf)
          for (uint64_t word : w.words)
            for (unsigned k = 0; k < 8; ++k) results.push_back(static_cast<int8_t>(word >> (8 * k)));
      }
    }

    idle(gap);
    Trace tr;
    const Insn xi = bgtest::encode(x);
    for (uint64_t t = 0; t <= E; ++t) {
      bool last = false;
      const bool any = cycle(t == 0, t == 0 ? xi : Insn{rng(), rng()}, &tr, &last);
      ASSERT_EQ(last, t == E) << "last_o in cycle c+" << t << " (E = " << E << ")";
      if (t == 0) {
        ASSERT_FALSE(any) << "request in the issue cycle";
      }
    }
    ++instructions;
    if (!legal) return;
    const Trace want = expected(x);
    EXPECT_EQ(tr.q, want.q) << "qbuf reads";
    EXPECT_EQ(tr.d, want.d) << "dbuf reads";
    EXPECT_EQ(tr.o, want.o) << "obuf reads";
    EXPECT_EQ(tr.p, want.p) << "pbuf reads and writes (+2^32)";
    EXPECT_EQ(tr.a, want.a) << "abuf writes (+2^32)";
    for (isa::Buf b : {isa::Buf::kPbuf, isa::Buf::kAbuf}) {
      unsigned bad = 0;
      for (uint32_t i = 0; i < words(b); ++i)
        if (buf(b)[i] != ref.data(b)[i] && bad++ < 4)
          ADD_FAILURE() << isa::kBufNames[static_cast<size_t>(b)] << "[" << i << "] = 0x" << std::hex << buf(b)[i]
                        << ", the model's 0x" << ref.data(b)[i] << std::dec;
      EXPECT_EQ(bad, 0u) << "words of " << isa::kBufNames[static_cast<size_t>(b)] << " differ from the model's";
    }
  }

  // ---- instructions ----
  uint64_t pick(uint64_t lo, uint64_t hi) { return lo + rng() % (hi - lo + 1); }  // in [lo, hi]
  uint64_t random_bits() {
    const std::vector<uint64_t> c = corner_bits();
    return rng() % 2 ? c[rng() % c.size()] : pick(1, kSB);
  }
  uint64_t state_addr(uint64_t b, uint64_t G) {
    return kC * pick(0, (words(isa::Buf::kPbuf) - sa::state_words(b, G, hw)) / kC);
  }
  // value rows: a start and a stride (a multiple of W, sometimes 0: the same row again) that fit obuf
  void value_rows(uint64_t n, uint64_t G, uint64_t& addr, uint64_t& stride) {
    stride = rng() % 6 == 0 ? 0 : kW * (G + rng() % 3);
    addr = kW * pick(0, (words(isa::Buf::kObuf) - (n - 1) * stride - G * kW) / kW);
  }
  isa::SaccInsn sacc(uint64_t b, uint64_t G, uint64_t n, bool init) {
    isa::SaccInsn x;
    x.init = init;
    x.code_bits = b;
    x.row_segs = G;
    x.n_keys = n;
    x.k_addr = pick(0, words(isa::Buf::kDbuf) - n);
    value_rows(n, G, x.v_addr, x.v_stride);
    x.s_addr = state_addr(b, G);
    return x;
  }
  isa::SqryInsn sqry(uint64_t b, uint64_t G, uint64_t n, bool form1, uint64_t s_addr) {
    isa::SqryInsn x;
    x.form = form1;
    x.code_bits = b;
    x.row_segs = G;
    x.n_q = n;
    x.q_addr = pick(0, words(isa::Buf::kQbuf) - n);
    if (!form1) value_rows(n, G, x.v_addr, x.v_stride);
    x.s_addr = s_addr;
    x.dst_addr = kW * pick(0, (words(isa::Buf::kAbuf) - n * G * kW) / kW);
    x.gain_log2 = pick(0, 7);  // the result's scale: 2^gain * num / den
    return x;
  }
  uint64_t max_segs() const { return kC == 64 ? 2 : 3; }
  // A state at pbuf s: entries from gen(), padding junk (the engine must ignore it and write zeros).
  void write_state(uint64_t s, uint64_t b, uint64_t G, const std::function<int32_t(uint64_t t)>& gen_z,
                   const std::function<int32_t(uint64_t t)>& gen_s) {
    uint64_t* st = buf(isa::Buf::kPbuf) + s;
    for (uint64_t t = 0; t <= b; ++t)
      for (uint64_t col = 0; col < G * kC; ++col)
        st[sa::s_word(t, col, G, hw)] = static_cast<uint64_t>(static_cast<int64_t>(gen_s(t)));
    for (uint64_t t = 0; t <= b; ++t)
      st[sa::z_word(b, t, G, hw)] = static_cast<uint64_t>(static_cast<int64_t>(gen_z(t)));
  }

  // ---- sdiv ----
  static constexpr uint64_t kNumSeg = 4 * kW;  // obuf words of one segment's C INT32 numerators
  // A legal sdiv: n rows of G segments, the numerator rows sometimes farther apart than a row (or the same row
  // again), denominators at any word address with any stride (also unaligned to the obuf port), a random gain.
  isa::SdivInsn sdiv(uint64_t n, uint64_t G) {
    isa::SdivInsn x;
    x.n_rows = n;
    x.row_segs = G;
    const uint64_t ob = words(isa::Buf::kObuf);
    x.num_stride = n > 1 && rng() % 8 == 0 ? 0 : G * kNumSeg + kW * (rng() % 3 == 0 ? 0 : pick(1, 9));
    x.num_addr = kW * pick(0, (ob - (n - 1) * x.num_stride - G * kNumSeg) / kW);
    x.den_stride = rng() % 8 == 0 ? 0 : pick(1, 70);
    x.den_addr = pick(0, ob - 1 - (n - 1) * x.den_stride);
    x.dst_addr = kW * pick(0, (words(isa::Buf::kAbuf) - n * G * kW) / kW);
    x.gain_log2 = pick(0, 7);
    return x;
  }
  // the INT32 in the low (col even) or high half of obuf word a + col/2
  void put_num(uint64_t a, uint64_t col, int32_t v) {
    uint64_t& w = buf(isa::Buf::kObuf)[a + col / 2];
    const unsigned sh = 32 * (col % 2);
    w = (w & ~(uint64_t{0xFFFFFFFF} << sh)) | (uint64_t{static_cast<uint32_t>(v)} << sh);
  }
  // row m's denominator: the low half of its word, the high half junk (the engine must ignore it)
  void put_den(const isa::SdivInsn& x, uint64_t m, int32_t v) {
    buf(isa::Buf::kObuf)[x.den_addr + m * x.den_stride] = (rng() << 32) | static_cast<uint32_t>(v);
  }
  // a positive denominator of a random bit length (1..31)
  int32_t random_den() {
    const unsigned L = static_cast<unsigned>(pick(1, 31));
    return static_cast<int32_t>((uint64_t{1} << (L - 1)) | (rng() & ((uint64_t{1} << (L - 1)) - 1)));
  }
  // a numerator for den: full-range junk (saturating), about den * q / 2^gain with |q| up to ~140 (results
  // across the INT8 range, ties included), or small
  int32_t random_num(int32_t den, uint64_t gain) {
    switch (rng() % 4) {
      case 0:
        return static_cast<int32_t>(static_cast<uint32_t>(rng()));
      case 1:
        return static_cast<int32_t>(pick(0, 2000)) - 1000;
      default: {
        const int64_t d = den > 0 ? den : 1000;
        int64_t v = (d * (static_cast<int64_t>(pick(0, 560)) - 280)) / (int64_t{2} << gain);
        if (rng() % 4 == 0) v += d / (int64_t{2} << gain);  // near a rounding tie
        return static_cast<int32_t>(std::clamp<int64_t>(v, INT32_MIN, INT32_MAX));
      }
    }
  }
  // Writes random numerators and denominators for x (the denominators last: a denominator word may lie inside
  // a numerator row); den_of(m), if given, picks row m's denominator.
  void fill_sdiv(const isa::SdivInsn& x, const std::function<int32_t(uint64_t m)>& den_of = nullptr) {
    std::vector<int32_t> dens(x.n_rows);
    for (uint64_t m = 0; m < x.n_rows; ++m) {
      if (den_of) {
        dens[m] = den_of(m);
      } else {
        const uint64_t r = rng() % 16;
        dens[m] = r == 0   ? 0
                  : r == 1 ? -static_cast<int32_t>(pick(1, INT32_MAX))
                  : r == 2 ? 1
                  : r == 3 ? INT32_MAX
                           : random_den();
      }
      for (uint64_t col = 0; col < x.row_segs * kC; ++col)
        put_num(x.num_addr + m * x.num_stride, col, random_num(dens[m], x.gain_log2));
    }
    for (uint64_t m = 0; m < x.n_rows; ++m) put_den(x, m, dens[m]);
  }
};

TEST_F(SignaccTest, ResetIdle) {
  sim.settle();
  EXPECT_FALSE(sim->last_o);
  idle(5);
}

// Random sacc and sqry instructions (random codes and values; the states in pbuf random 64-bit words or what
// the previous saccs left), with random gaps, some back to back.
TEST_F(SignaccTest, RandomInstructions) {
  std::vector<isa::SaccInsn> states;  // saccs run so far (their states are in pbuf unless overwritten)
  for (int i = 0; i < 100 && !HasFatalFailure(); ++i) {
    const uint64_t b = random_bits(), G = pick(1, max_segs());
    const unsigned gap = static_cast<unsigned>(rng() % 3);
    if (rng() % 2) {
      isa::SaccInsn x = sacc(b, G, pick(1, 40), rng() % 2);
      if (!states.empty() && rng() % 2) {  // continue an earlier state
        const isa::SaccInsn& s = states[rng() % states.size()];
        x = sacc(s.code_bits, s.row_segs, pick(1, 40), false);
        x.s_addr = s.s_addr;
      }
      run(x, gap);
      states.push_back(x);
    } else if (!states.empty() && rng() % 3) {
      const isa::SaccInsn& s = states[rng() % states.size()];
      run(sqry(s.code_bits, s.row_segs, pick(1, 6), rng() % 2, s.s_addr), gap);
    } else {  // a random state (32-bit wrap-around everywhere)
      run(sqry(b, G, pick(1, 6), rng() % 2, state_addr(b, G)), gap);
    }
  }
  EXPECT_EQ(instructions, 100u);
}

// b = 1, 5, 8, 13, 16, 31, SaccBits (as far as SaccBits allows), one key (N = 1) with an all-one and an
// all-zero code, then queries with all-one, all-zero and random codes, both forms, one and several segments.
TEST_F(SignaccTest, CodeLengthsAndExtremeCodes) {
  for (uint64_t b : corner_bits()) {
    for (uint64_t G : {uint64_t{1}, uint64_t{2}}) {
      SCOPED_TRACE(::testing::Message() << "b " << b << " G " << G);
      isa::SaccInsn x = sacc(b, G, 1, true);  // N = 1
      buf(isa::Buf::kDbuf)[x.k_addr] = ~uint64_t{0};
      run(x, 1);
      isa::SqryInsn q = sqry(b, G, 3, false, x.s_addr);
      buf(isa::Buf::kQbuf)[q.q_addr] = ~uint64_t{0};
      buf(isa::Buf::kQbuf)[q.q_addr + 1] = 0;
      run(q);
      q.form = 1;
      run(q);
      x = sacc(b, G, 2, true);
      buf(isa::Buf::kDbuf)[x.k_addr] = 0;
      buf(isa::Buf::kDbuf)[x.k_addr + 1] = 0;
      run(x);
      q = sqry(b, G, 3, true, x.s_addr);
      buf(isa::Buf::kQbuf)[q.q_addr] = 0;
      buf(isa::Buf::kQbuf)[q.q_addr + 1] = ~uint64_t{0};
      run(q, 2);
      if (HasFatalFailure()) return;
    }
  }
}

// init = 0 continues a state: sacc(keys 0..a-1, init) then sacc(keys a..n-1) leaves the state one sacc over all
// keys leaves; a sequence longer than dbuf (256 words) folded in chunks equals the model's one sacc over all of
// it (on a machine whose dbuf and obuf hold it); then queries.
TEST_F(SignaccTest, ContinuedStateEqualsOneSacc) {
  for (uint64_t b : {uint64_t{5}, uint64_t{kSB}}) {
    const uint64_t G = 2, n = 30, a = 11;
    isa::SaccInsn whole = sacc(b, G, n, true);
    run(whole);
    const uint64_t sw = sa::state_words(b, G, hw);
    const std::vector<uint64_t> one(buf(isa::Buf::kPbuf) + whole.s_addr, buf(isa::Buf::kPbuf) + whole.s_addr + sw);
    isa::SaccInsn part = whole;
    part.s_addr = (whole.s_addr + sw + kC <= words(isa::Buf::kPbuf) - sw) ? whole.s_addr + sw + kC : 0;
    part.n_keys = a;
    run(part);
    part.init = 0;
    part.n_keys = n - a;
    part.k_addr = whole.k_addr + a;
    part.v_addr = whole.v_addr + a * whole.v_stride;
    run(part, 0);
    const std::vector<uint64_t> two(buf(isa::Buf::kPbuf) + part.s_addr, buf(isa::Buf::kPbuf) + part.s_addr + sw);
    EXPECT_EQ(one, two) << "b " << b << ": two saccs differ from one";
    run(sqry(b, G, 4, false, part.s_addr));
    run(sqry(b, G, 4, true, part.s_addr));
    if (HasFatalFailure()) return;
  }

  // 600 keys through a 256-word dbuf: chunks of 256, 256, 88, each written into the same window (as loads would).
  const uint64_t b = std::min<uint64_t>(kSB, 13), G = 2, total = 600;
  std::vector<uint64_t> codes(total);
  std::vector<std::vector<uint64_t>> vals(total, std::vector<uint64_t>(G * kW));
  for (auto& c : codes) c = rng();
  for (auto& v : vals)
    for (auto& w : v) w = rng();
  const uint64_t s_addr = state_addr(b, G);
  for (uint64_t first = 0; first < total && !HasFatalFailure(); first += 256) {
    const uint64_t n = std::min<uint64_t>(256, total - first);
    isa::SaccInsn x;
    x.init = first == 0;
    x.code_bits = b;
    x.row_segs = G;
    x.n_keys = n;
    x.k_addr = 0;
    x.v_addr = 0;
    x.v_stride = G * kW;
    x.s_addr = s_addr;
    for (uint64_t j = 0; j < n; ++j) {
      buf(isa::Buf::kDbuf)[j] = codes[first + j];
      std::copy(vals[first + j].begin(), vals[first + j].end(), buf(isa::Buf::kObuf) + j * G * kW);
    }
    run(x);
  }
  bitgrid::HwConfig big = hw;
  big.dbuf_kib = 8;
  big.obuf_kib = 256;
  bitgrid::Scratchpads m{big};
  for (uint64_t j = 0; j < total; ++j) {
    m.data(isa::Buf::kDbuf)[j] = codes[j];
    std::copy(vals[j].begin(), vals[j].end(), m.data(isa::Buf::kObuf) + j * G * kW);
  }
  isa::SaccInsn all;
  all.init = 1;
  all.code_bits = b;
  all.row_segs = G;
  all.n_keys = total;
  all.v_stride = G * kW;
  const bitgrid::Insn in = bitgrid::encode(all);
  ASSERT_EQ(bitgrid::engine_of(in)->check(in, big), "");
  std::vector<bitgrid::SpmWrite> w;
  bitgrid::engine_of(in)->execute(in, big, m, w);
  ASSERT_EQ(w.size(), 1u);
  const std::vector<uint64_t> got(buf(isa::Buf::kPbuf) + s_addr,
                                  buf(isa::Buf::kPbuf) + s_addr + sa::state_words(b, G, hw));
  EXPECT_EQ(got, w[0].words) << "600 keys in three saccs differ from the model's one sacc";
  EXPECT_EQ(static_cast<int32_t>(got[sa::n_word(b, G, hw)]), static_cast<int32_t>(total)) << "N";
  run(sqry(b, G, 5, true, s_addr), 1);
  run(sqry(b, G, 5, false, s_addr));
}

// A query against a zero state (den = 0) and against states whose denominators are negative or tiny: results 0,
// saturated at 127 and -128, and in between.
TEST_F(SignaccTest, EmptyStateAndSaturation) {
  for (uint64_t b : corner_bits()) {
    const uint64_t G = pick(1, 2);
    const uint64_t s = state_addr(b, G);
    write_state(
        s, b, G, [](uint64_t) { return 0; }, [](uint64_t) { return 0; });
    for (bool form1 : {false, true}) {
      const isa::SqryInsn q = sqry(b, G, 3, form1, s);
      const size_t before = results.size();
      run(q, 1);
      EXPECT_TRUE(std::all_of(results.begin() + static_cast<long>(before), results.end(), [](int8_t r) {
        return r == 0;
      })) << "a zero state gives zero results";
    }
    // small z and N: den = N(b+1) +- z small, negative or zero for some queries; S large: saturation
    for (int k = 0; k < 3 && !HasFatalFailure(); ++k) {
      const uint64_t n_keys = pick(1, 3);
      write_state(
          s, b, G,
          [&](uint64_t t) {
            return t == b ? static_cast<int32_t>(n_keys)
                          : static_cast<int32_t>(pick(0, 2 * n_keys)) - static_cast<int32_t>(n_keys);
          },
          [&](uint64_t) { return static_cast<int32_t>(pick(0, 4000)) - 2000; });
      run(sqry(b, G, 6, k % 2, s));
    }
  }
  const auto count = [&](const std::function<bool(int8_t)>& f) {
    return std::count_if(results.begin(), results.end(), f);
  };
  EXPECT_GT(count([](int8_t r) { return r == 127; }), 0) << "no result saturated at 127";
  EXPECT_GT(count([](int8_t r) { return r == -128; }), 0) << "no result saturated at -128";
  EXPECT_GT(count([](int8_t r) { return r != 127 && r != -128 && r != 0; }), 0) << "no result in between";
}

// Realistic use: values and codes at their extremes (values -128 and 127), long sequences near max_keys' scale,
// queries of both forms; many results in between the saturation bounds.
TEST_F(SignaccTest, ExtremeValues) {
  for (uint64_t b : {uint64_t{1}, uint64_t{kSB}}) {
    const uint64_t G = 1;
    isa::SaccInsn x = sacc(b, G, 200, true);
    for (uint64_t j = 0; j < x.n_keys; ++j)
      for (uint64_t w = 0; w < kW; ++w)
        buf(isa::Buf::kObuf)[x.v_addr + j * x.v_stride + w] =
            j % 3 == 0 ? 0x7f7f7f7f7f7f7f7full : 0x8080808080808080ull;
    run(x);
    run(sqry(b, G, 4, false, x.s_addr));
    run(sqry(b, G, 4, true, x.s_addr), 0);
    if (HasFatalFailure()) return;
  }
}

// Illegal field values (code_bits 0 or above SaccBits, row_segs 0, no keys or queries) do not hang the engine:
// last_o still comes exactly E cycles after the start (the data are undefined).
TEST_F(SignaccTest, IllegalFieldsStillFinishInE) {
  const uint64_t s = 0;
  const auto a = [&](uint64_t init, uint64_t b, uint64_t G, uint64_t n) {
    isa::SaccInsn x;
    x.init = init;
    x.code_bits = b;
    x.row_segs = G;
    x.n_keys = n;
    x.v_stride = kW;
    x.s_addr = s;
    run(x, 1, false);
  };
  const auto q = [&](uint64_t form, uint64_t b, uint64_t G, uint64_t n) {
    isa::SqryInsn x;
    x.form = form;
    x.code_bits = b;
    x.row_segs = G;
    x.n_q = n;
    x.s_addr = s;
    run(x, 1, false);
  };
  for (uint64_t init : {0, 1}) {
    a(init, 0, 1, 2);
    a(init, 0, 0, 0);
    a(init, 3, 0, 2);
    a(init, 3, 2, 0);
    a(init, kSB + 1, 1, 2);
    a(init, 127, 1, 1);
  }
  for (uint64_t form : {0, 1}) {
    q(form, 0, 1, 1);
    q(form, 3, 0, 1);
    q(form, 3, 2, 0);
    q(form, kSB + 1, 1, 1);
    q(form, 127, 1, 1);
  }
  idle(2);
  // and a legal instruction afterwards still works
  run(sacc(3, 1, 4, true));
}

// ---- sdiv (R17) ----

// Random legal sdivs (one and several rows and segments, numerator rows farther apart than a row or the same
// row again, denominators at any word address and stride, gains 0..7; random numerators and denominators,
// den <= 0, 1 and INT32_MAX among them), with random gaps, some back to back with saccs and sqrys.
TEST_F(SignaccTest, SdivRandomInstructions) {
  bool seen_one_row = false, seen_rows = false, seen_one_seg = false, seen_segs = false, seen_unaligned = false;
  bool seen_far = false;
  unsigned gains = 0;
  for (int i = 0; i < 80 && !HasFatalFailure(); ++i) {
    const uint64_t n = rng() % 3 == 0 ? 1 : pick(2, 7), G = rng() % 3 == 0 ? 1 : pick(2, max_segs());
    const isa::SdivInsn x = sdiv(n, G);
    fill_sdiv(x);
    run(x, static_cast<unsigned>(rng() % 3));
    seen_one_row |= n == 1;
    seen_rows |= n > 1;
    seen_one_seg |= G == 1;
    seen_segs |= G > 1;
    seen_far |= n > 1 && x.num_stride > G * kNumSeg;
    for (uint64_t m = 0; m < n; ++m) seen_unaligned |= (x.den_addr + m * x.den_stride) % kW != 0;
    gains |= 1u << x.gain_log2;
    if (rng() % 4 == 0) {  // another opcode right after (and an sdiv right after it)
      const uint64_t b = random_bits(), Gs = pick(1, max_segs());
      if (rng() % 2) {
        run(sacc(b, Gs, pick(1, 20), rng() % 2), 0);
      } else {
        run(sqry(b, Gs, pick(1, 3), rng() % 2, state_addr(b, Gs)), 0);
      }
      const isa::SdivInsn y = sdiv(pick(1, 3), pick(1, max_segs()));
      fill_sdiv(y);
      run(y, 0);
    }
  }
  EXPECT_TRUE(seen_one_row && seen_rows && seen_one_seg && seen_segs && seen_far) << "coverage";
  EXPECT_TRUE(seen_unaligned || kW == 1) << "no denominator off the port alignment";
  EXPECT_EQ(gains, 0xFFu) << "not every gain_log2";
  const auto count = [&](const std::function<bool(int8_t)>& f) {
    return std::count_if(results.begin(), results.end(), f);
  };
  EXPECT_GT(count([](int8_t r) { return r == 127; }), 0) << "no result saturated at 127";
  EXPECT_GT(count([](int8_t r) { return r == -128; }), 0) << "no result saturated at -128";
  EXPECT_GT(count([](int8_t r) { return r != 127 && r != -128 && r != 0; }), 100) << "few results in between";
}

// Corner denominators (0, -1, INT32_MIN, 1, 2, 3, 2^30 - 1, 2^30, INT32_MAX, random) against corner numerators
// (+-(2^31 - 1), -2^31, 0, +-1, +-den, den/2: saturation, zeros, ties) at every gain, the buffers' last words
// included. Besides the model's bytes: den <= 0 gives 0 and den = 1 gives sat8(num * 2^gain) exactly.
TEST_F(SignaccTest, SdivCorners) {
  const std::vector<int32_t> dens = {0,       -1,        INT32_MIN,    1,           2, 3, (1 << 30) - 1,
                                     1 << 30, INT32_MAX, random_den(), random_den()};
  const uint64_t n = dens.size(), ob = words(isa::Buf::kObuf), ab = words(isa::Buf::kAbuf);
  for (uint64_t gain = 0; gain < 8 && !HasFatalFailure(); ++gain) {
    for (uint64_t G : {uint64_t{1}, uint64_t{2}}) {
      SCOPED_TRACE(::testing::Message() << "gain " << gain << " G " << G);
      isa::SdivInsn x = sdiv(n, G);
      x.gain_log2 = gain;
      if (gain % 2) {  // at the ends of obuf and abuf
        x.num_stride = G * kNumSeg;
        x.num_addr = ob - n * x.num_stride;
        x.den_stride = 1;
        x.den_addr = ob - n - (rng() % 2 ? 0 : x.num_stride * n);
        x.dst_addr = ab - n * G * kW;
      }
      ASSERT_EQ(bitgrid::engine_of(bitgrid::encode(x))->check(bitgrid::encode(x), hw), "");
      std::vector<std::vector<int32_t>> nums(n, std::vector<int32_t>(G * kC));
      for (uint64_t m = 0; m < n; ++m) {
        const int32_t d = dens[m], neg_d = static_cast<int32_t>(0u - static_cast<uint32_t>(d));  // wraps
        const std::vector<int32_t> special = {INT32_MAX, -INT32_MAX, INT32_MIN, 0,        1,          -1,
                                              d,         neg_d,      d / 2,     -(d / 2), (d / 2) | 1};
        for (uint64_t col = 0; col < G * kC; ++col) {
          nums[m][col] = (col + m) % 3 != 2 ? special[(col + m + gain) % special.size()] : random_num(d, gain);
          put_num(x.num_addr + m * x.num_stride, col, nums[m][col]);
        }
      }
      for (uint64_t m = 0; m < n; ++m) put_den(x, m, dens[m]);
      // the denominator words may lie in a numerator row: what the engine reads
      for (uint64_t m = 0; m < n; ++m)
        for (uint64_t col = 0; col < G * kC; ++col)
          nums[m][col] = static_cast<int32_t>(
              static_cast<uint32_t>(buf(isa::Buf::kObuf)[x.num_addr + m * x.num_stride + col / 2] >> (32 * (col % 2))));
      run(x, 1);
      for (uint64_t m = 0; m < n && !HasFailure(); ++m) {
        const int32_t d = static_cast<int32_t>(buf(isa::Buf::kObuf)[x.den_addr + m * x.den_stride]);
        if (d > 1) continue;
        for (uint64_t col = 0; col < G * kC; ++col) {
          const uint64_t i = m * G * kC + col;
          const int8_t got = static_cast<int8_t>(buf(isa::Buf::kAbuf)[x.dst_addr + i / 8] >> (8 * (i % 8)));
          const int64_t want =
              d <= 0 ? 0 : std::clamp<int64_t>(int64_t{nums[m][col]} * (int64_t{1} << gain), -128, 127);
          EXPECT_EQ(got, want) << "den " << d << " num " << nums[m][col] << " row " << m << " col " << col;
        }
      }
    }
  }
  const auto count = [&](const std::function<bool(int8_t)>& f) {
    return std::count_if(results.begin(), results.end(), f);
  };
  EXPECT_GT(count([](int8_t r) { return r == 127; }), 0) << "no result saturated at 127";
  EXPECT_GT(count([](int8_t r) { return r == -128; }), 0) << "no result saturated at -128";
  EXPECT_GT(count([](int8_t r) { return r != 127 && r != -128 && r != 0; }), 0) << "no result in between";
}

// sdiv with no rows or no segments (illegal) still finishes in E = 2; a legal one afterwards works.
TEST_F(SignaccTest, SdivIllegalFieldsStillFinishInE) {
  for (uint64_t n : {0, 1, 3})
    for (uint64_t G : {0, 1, 2}) {
      if (n != 0 && G != 0) continue;
      isa::SdivInsn x;
      x.n_rows = n;
      x.row_segs = G;
      x.num_stride = kNumSeg;
      x.den_addr = 1;
      x.gain_log2 = 3;
      run(x, 1, false);
    }
  idle(2);
  const isa::SdivInsn x = sdiv(2, 2);
  fill_sdiv(x);
  run(x);
}

TEST_F(SignaccTest, StartWhileRunningIsAsserted) {
  sim.expect_assertions(true);
  const Insn x = bgtest::encode(sacc(2, 1, 2, true));
  cycle(true, x, nullptr, nullptr);
  cycle(true, x, nullptr, nullptr);
  EXPECT_TRUE(fired_with(sim.take_fired(), "bg_signacc: started while running"));
}

}  // namespace
