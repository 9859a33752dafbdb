// rtl/engines/bitmac/bg_bitmac.sv (the bit-serial mixed-datatype MAC engine behind the compute dispatcher)
// with emulated abuf/wbuf/sbuf/obuf compute ports (bitgrid_pkg::spm_req_t requests, 1-cycle read latency,
// served from a bitgrid::Scratchpads): every gemm's obuf bytes against the reference model engine
// (bitgrid::engine_of(gemm)->execute on the same scratchpads at issue), its execution time E against the
// model (Engine::cycles), the timing oracle (tests/oracle) and R11's formula (start_i in c, last_o exactly
// in c+E, requests only in c+1 .. c+E), and every buffer access against R11's schedule, cycle for cycle.
// Tiles are packed with bitgrid::bitmac::pack_weights / pack_side (the compiler's packers). Between
// instructions insn_i carries junk, which the idle engine must ignore; starting it while it runs fires its
// assertion. The random cases use a fixed seed per test (BG_TEST_SEED overrides it); a failing test prints it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <limits>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "Vdut.h"
#include "bitgrid/engine.h"
#include "bitgrid/engines/bitmac.h"
#include "bitgrid/gen/isa.h"
#include "bitgrid/hwconfig.h"
#include "bitgrid/insn.h"
#include "rtl_test_util.h"
#include "rule_oracle.h"

namespace {

using namespace bgtest;
namespace isa = bitgrid::isa;
namespace bm = bitgrid::bitmac;

constexpr unsigned kR = BG_MAC_ROWS;
constexpr unsigned kC = BG_MAC_COLS;
constexpr unsigned kPar = BG_MAC_PARALLEL;
constexpr unsigned kWp = kPar ? 4 : 1;  // pair-planes per weight read
constexpr unsigned kPW = kR * kC / 32;  // words per pair-plane
constexpr unsigned kAPort = kR / 4, kWPort = kWp * kPW, kSPort = kC / 4, kOPort = kC / 8, kPPort = kC;

bitgrid::HwConfig make_hw() {
  bitgrid::HwConfig hw;
  hw.mac_rows = kR;
  hw.mac_cols = kC;
  hw.mac_parallel = kPar;
  return hw;
}

unsigned dt_bits(unsigned dt) { return static_cast<unsigned>(isa::kDtypes[dt].bits); }
unsigned dt_terms(unsigned dt) { return kPar ? 1u : static_cast<unsigned>(isa::kDtypes[dt].terms); }
unsigned dt_reads(unsigned dt) { return ceil_div(dt_bits(dt), kWp); }
// The smallest group_pairs with group_pairs*2T >= 8 (below it R11 stretches the slots).
unsigned min_gp(unsigned dt) { return ceil_div(4, dt_terms(dt)); }
// R11's cycles per k-tile of a slot: T' = max(T, ceil(4/gp)).
unsigned slot_terms(unsigned dt, unsigned gp) { return std::max(dt_terms(dt), ceil_div(4, gp)); }
// The largest group_pairs with a group of at most 1024 weights and within the field.
unsigned max_gp() { return std::min(1024u / (2 * kR), 63u); }

struct Gemm {
  unsigned dtype = 0;
  bool relu = false, out32 = false, acc_in = false, acc_out = false, o_abuf = false;
  unsigned m = 1, gp = 1, ng = 1;
  uint32_t a_addr = 0, w_addr = 0, s_addr = 0, o_addr = 0, o_stride = 0;
  unsigned P() const { return gp * ng; }
  unsigned K() const { return 2 * kR * P(); }
  unsigned out_words() const { return kC / 8 * (out32 ? 4 : 1); }
};

std::ostream& operator<<(std::ostream& os, const Gemm& g) {
  return os << "gemm dtype " << g.dtype << " (" << isa::kDtypes[g.dtype].name << ") relu " << g.relu << " out32 "
            << g.out32 << " m " << g.m << " gp " << g.gp << " ng " << g.ng << " a " << g.a_addr << " w " << g.w_addr
            << " s " << g.s_addr << " o " << g.o_addr << " stride " << g.o_stride << " acc_in " << g.acc_in
            << " acc_out " << g.acc_out << " o_abuf " << g.o_abuf;
}

bitgrid::Insn to_insn(const Gemm& g) {
  isa::GemmInsn x;
  x.dtype = g.dtype;
  x.relu = g.relu;
  x.out32 = g.out32;
  x.acc_in = g.acc_in;
  x.acc_out = g.acc_out;
  x.o_abuf = g.o_abuf;
  x.m_rows = g.m;
  x.group_pairs = g.gp;
  x.n_groups = g.ng;
  x.a_addr = g.a_addr;
  x.w_addr = g.w_addr;
  x.s_addr = g.s_addr;
  x.o_addr = g.o_addr;
  x.o_stride = g.o_stride;
  return bitgrid::encode(x);
}
Insn to_port(const bitgrid::Insn& in) { return {in.w[0], in.w[1]}; }

// R11, written out: E = 2T*M*P + 20 + 3*out32 (acc_out: no obuf write; its one pbuf write per row is where
// the INT8 write would be).
uint64_t r11_cycles(const Gemm& g) { return 2ull * slot_terms(g.dtype, g.gp) * g.m * g.P() + 20 + (g.out32 ? 3 : 0); }

// One gemm with its data: the tile (codes, scales, selectors, channel parameters) and the activations.
struct Case {
  Gemm g;
  bm::Tile tile;
  std::vector<int8_t> x;  // [M][K]
};

constexpr uint32_t kPWrite = 1000000000;  // marks a pbuf write in the access lists

struct Access {
  uint64_t cycle = 0;  // relative to the issue cycle
  uint32_t addr = 0;
  bool operator==(const Access& o) const { return cycle == o.cycle && addr == o.addr; }
};
std::ostream& operator<<(std::ostream& os, const Access& a) { return os << "(c+" << a.cycle << ": " << a.addr << ")"; }

class BitmacTest : public ::testing::Test {
 protected:
  Clocked<Vdut> sim;
  bitgrid::HwConfig hw = make_hw();
  const bitgrid::Engine* engine = bitgrid::engine_of(static_cast<uint64_t>(isa::Op::kGemm));
  bitgrid::Scratchpads spm{hw};    // abuf/wbuf/sbuf: what the RTL reads; obuf, pbuf: what the RTL wrote
  std::vector<uint64_t> golden;    // what obuf must hold (reference model)
  std::vector<uint64_t> golden_p;  // what pbuf must hold
  std::vector<uint64_t> golden_a;  // what abuf must hold after the instruction (o_abuf writes it)
  uint64_t seed = 0;
  std::mt19937_64 rng;

  // Read data scheduled for the next cycle.
  std::optional<uint32_t> a_pend, w_pend, s_pend, p_pend;

  struct InFlight {
    uint64_t issue_cycle = 0;
    uint64_t e = 1;
    Gemm g;
    std::vector<Access> a, w, s, o, p;  // p: pbuf reads and writes (a write's address + 1e9)
  };
  std::optional<InFlight> cur;
  unsigned instructions = 0;

  uint32_t words(isa::Buf b) const { return static_cast<uint32_t>(spm.words(b)); }
  uint64_t* buf(isa::Buf b) { return spm.data(b); }

  void SetUp() override {
    ASSERT_NE(engine, nullptr);
    const char* env = std::getenv("BG_TEST_SEED");
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    seed = env ? std::strtoull(env, nullptr, 0) : std::hash<std::string>{}(name) % 1000003;
    rng.seed(seed);
    for (auto b : {isa::Buf::kAbuf, isa::Buf::kWbuf, isa::Buf::kSbuf, isa::Buf::kObuf, isa::Buf::kPbuf})
      for (uint32_t i = 0; i < words(b); ++i) buf(b)[i] = rng();  // junk: a wrong address shows
    golden.assign(buf(isa::Buf::kObuf), buf(isa::Buf::kObuf) + words(isa::Buf::kObuf));
    golden_p.assign(buf(isa::Buf::kPbuf), buf(isa::Buf::kPbuf) + words(isa::Buf::kPbuf));
    sim->start_i = 0;
  }
  void TearDown() override {
    if (HasFailure()) std::cout << "[   SEED   ] BG_TEST_SEED=" << seed << " reproduces this test\n";
  }

  // ---- one cycle: drive inputs, settle, check outputs, clock edge, memory update ----
  void cycle(bool issue, const Insn& insn, bool illegal = false) {
    const uint64_t t = sim.cycle();
    sim->start_i = issue;
    set_insn(sim->insn_i, insn);
    for (unsigned j = 0; j < kAPort; ++j)
      set_word(sim->abuf_rdata_i, j, a_pend ? buf(isa::Buf::kAbuf)[(*a_pend + j) % words(isa::Buf::kAbuf)] : rng());
    for (unsigned j = 0; j < kWPort; ++j)
      set_word(sim->wbuf_rdata_i, j, w_pend ? buf(isa::Buf::kWbuf)[(*w_pend + j) % words(isa::Buf::kWbuf)] : rng());
    for (unsigned j = 0; j < kSPort; ++j)
      set_word(sim->sbuf_rdata_i, j, s_pend ? buf(isa::Buf::kSbuf)[(*s_pend + j) % words(isa::Buf::kSbuf)] : rng());
    for (unsigned j = 0; j < kPPort; ++j)
      set_word(sim->pbuf_rdata_i, j, p_pend ? buf(isa::Buf::kPbuf)[(*p_pend + j) % words(isa::Buf::kPbuf)] : rng());
    sim.settle();

    // R2/R11: started in c, runs in c+1 .. c+E, last_o exactly in c+E.
    const bool busy = cur && t > cur->issue_cycle && t <= cur->issue_cycle + cur->e;
    const bool last = cur && t == cur->issue_cycle + cur->e;
    ASSERT_EQ(static_cast<bool>(sim->last_o), last) << "last_o in cycle " << t;
    if (issue && !illegal) {
      ASSERT_FALSE(busy) << "the test starts the engine only when it is idle";
    }

    const SpmReq a = get_spm_req(sim->abuf_req_o), w = get_spm_req(sim->wbuf_req_o), s = get_spm_req(sim->sbuf_req_o),
                 o = get_spm_req(sim->obuf_req_o), p = get_spm_req(sim->pbuf_req_o);
    ASSERT_FALSE(w.we || s.we) << "wbuf/sbuf write in cycle " << t;
    ASSERT_TRUE(!a.we || (cur && cur->g.o_abuf)) << "abuf write without o_abuf in cycle " << t;
    if (!a.we) {
      for (unsigned j = 0; j < kOPort; ++j)
        ASSERT_EQ(get_word(sim->abuf_wdata_o, j), 0u) << "abuf_wdata_o without a write in cycle " << t;
    }
    std::vector<uint64_t> ab_data(kOPort);
    for (unsigned j = 0; j < kOPort; ++j) ab_data[j] = get_word(sim->abuf_wdata_o, j);
    ASSERT_TRUE(!o.req || o.we) << "obuf read in cycle " << t;
    for (const SpmReq* r : {&a, &w, &s, &o, &p}) {
      if (!r->req) {
        ASSERT_EQ(r->addr, 0u) << "request port not '0 while idle in cycle " << t;
        ASSERT_FALSE(r->we) << "request port not '0 while idle in cycle " << t;
      } else {
        ASSERT_TRUE(busy) << "buffer request outside c+1 .. c+E in cycle " << t;
      }
    }
    if (!o.req) {
      for (unsigned j = 0; j < kOPort; ++j) ASSERT_EQ(get_word(sim->obuf_wdata_o, j), 0u) << "obuf_wdata_o while idle";
    }
    if (!p.we) {
      for (unsigned j = 0; j < kPPort; ++j)
        ASSERT_EQ(get_word(sim->pbuf_wdata_o, j), 0u) << "pbuf_wdata_o without a write in cycle " << t;
    }
    std::vector<uint64_t> p_data(kPPort);
    for (unsigned j = 0; j < kPPort; ++j) p_data[j] = get_word(sim->pbuf_wdata_o, j);
    std::vector<uint64_t> o_data(kOPort);
    for (unsigned j = 0; j < kOPort; ++j) o_data[j] = get_word(sim->obuf_wdata_o, j);
    if (cur) {
      const uint64_t rel = t - cur->issue_cycle;
      if (a.req) cur->a.push_back({rel, a.addr + (a.we ? kPWrite : 0)});
      if (w.req) cur->w.push_back({rel, w.addr});
      if (s.req) cur->s.push_back({rel, s.addr});
      if (o.req) cur->o.push_back({rel, o.addr});
      if (p.req) cur->p.push_back({rel, p.addr + (p.we ? kPWrite : 0)});
    }

    sim.edge();
    if (o.req) {
      ASSERT_EQ(o.addr % kOPort, 0u) << "unaligned obuf write";
      for (unsigned j = 0; j < kOPort; ++j) buf(isa::Buf::kObuf)[(o.addr + j) % words(isa::Buf::kObuf)] = o_data[j];
    }
    if (a.req && a.we) {
      ASSERT_EQ(a.addr % kOPort, 0u) << "unaligned abuf write";
      for (unsigned j = 0; j < kOPort; ++j) buf(isa::Buf::kAbuf)[(a.addr + j) % words(isa::Buf::kAbuf)] = ab_data[j];
    }
    if (p.req && p.we) {
      ASSERT_EQ(p.addr % kPPort, 0u) << "unaligned pbuf write";
      for (unsigned j = 0; j < kPPort; ++j) buf(isa::Buf::kPbuf)[(p.addr + j) % words(isa::Buf::kPbuf)] = p_data[j];
    }
    p_pend = (p.req && !p.we) ? std::optional<uint32_t>(p.addr) : std::nullopt;
    a_pend = (a.req && !a.we) ? std::optional<uint32_t>(a.addr) : std::nullopt;
    w_pend = w.req ? std::optional<uint32_t>(w.addr) : std::nullopt;
    s_pend = s.req ? std::optional<uint32_t>(s.addr) : std::nullopt;
    if (last) finish_instruction();
  }

  void idle_cycle() { cycle(false, Insn{rng(), rng()}); }

  // Waits until the engine is idle (plus `gap` cycles), places the case's data, then starts it.
  void issue(const Case& cs, unsigned gap) {
    while (cur) {
      idle_cycle();
      if (HasFatalFailure()) return;
    }
    for (unsigned i = 0; i < gap && !HasFatalFailure(); ++i) idle_cycle();
    place(cs);
    const bitgrid::Insn in = to_insn(cs.g);
    ASSERT_EQ(engine->check(in, hw), "") << cs.g;
    InFlight f;
    f.issue_cycle = sim.cycle();
    f.e = engine->cycles(in, hw);
    f.g = cs.g;
    ASSERT_EQ(f.e, r11_cycles(cs.g)) << "model E vs R11, " << cs.g;
    ASSERT_EQ(f.e, bgtest::oracle_engine_cycles(hw, in)) << "model E vs timing oracle, " << cs.g;
    cur = f;
    // the reference model, on the scratchpads as they are at issue
    std::vector<bitgrid::SpmWrite> writes;
    engine->execute(in, hw, spm, writes);
    golden_a.assign(buf(isa::Buf::kAbuf), buf(isa::Buf::kAbuf) + words(isa::Buf::kAbuf));
    const isa::Buf wb = cs.g.acc_out ? isa::Buf::kPbuf : (cs.g.o_abuf ? isa::Buf::kAbuf : isa::Buf::kObuf);
    auto& gold = cs.g.acc_out ? golden_p : (cs.g.o_abuf ? golden_a : golden);
    for (const auto& wr : writes) {
      ASSERT_TRUE(wr.buf == wb);
      for (size_t i = 0; i < wr.words.size(); ++i) gold.at(wr.addr + i) = wr.words[i];
    }
    cycle(true, to_port(in));
  }

  void drain() {
    while (cur && !HasFatalFailure()) idle_cycle();
    for (int i = 0; i < 3 && !HasFatalFailure(); ++i) idle_cycle();
  }

  // R11's access schedule of one gemm, relative to its issue cycle.
  static void schedule(const Gemm& g, std::vector<Access>& a, std::vector<Access>& w, std::vector<Access>& s,
                       std::vector<Access>& o, std::vector<Access>& pb) {
    const unsigned T = slot_terms(g.dtype, g.gp), nr = dt_reads(g.dtype), P = g.P(), K = g.K();
    for (unsigned i = 0; i < 4; ++i) s.push_back({1 + i, g.s_addr + i * kC / 4});
    for (unsigned j = 0; j < g.m * P; ++j) {
      const unsigned m = j / P, p = j % P;
      const uint64_t st = 11 + 2ull * T * j;
      a.push_back({st - 2, g.a_addr + m * K / 8 + p * kR / 4});
      if (p % g.gp == 0) s.push_back({st - 2, g.s_addr + (4 + p / g.gp) * kC / 4});
      for (unsigned i = 0; i < nr; ++i) w.push_back({st - nr - 2 + i, g.w_addr + (p * nr + i) * kWp * kPW});
    }
    for (unsigned m = 0; m < g.m; ++m) {
      const uint64_t z = 11 + 2ull * T * (m + 1) * P - 1;  // the row's last compute cycle
      if (g.acc_in) pb.push_back({z + 8, m * kC});         // the row's partial sums, added at z+9
      if (g.acc_out) {
        pb.push_back({z + 10, m * kC + kPWrite});  // instead of the obuf write
        continue;
      }
      if (g.o_abuf) {
        a.push_back({z + 10, g.o_addr + m * g.o_stride + kPWrite});  // INT8 outputs into abuf
        continue;
      }
      for (unsigned j = 0; j < (g.out32 ? 4u : 1u); ++j)
        o.push_back({z + 10 + j, g.o_addr + m * g.o_stride + j * kC / 8});
    }
    auto by_cycle = [](const Access& x, const Access& y) { return x.cycle < y.cycle; };
    for (auto* v : {&a, &w, &s, &o, &pb}) std::stable_sort(v->begin(), v->end(), by_cycle);
  }

  // Checks at the end of cycle c+E: the access schedule and the whole obuf.
  void finish_instruction() {
    const InFlight f = *cur;
    cur.reset();
    ++instructions;
    std::vector<Access> a, w, s, o, pb;
    schedule(f.g, a, w, s, o, pb);
    EXPECT_EQ(f.a, a) << "abuf reads, " << f.g;
    EXPECT_EQ(f.w, w) << "wbuf reads, " << f.g;
    EXPECT_EQ(f.s, s) << "sbuf reads, " << f.g;
    EXPECT_EQ(f.o, o) << "obuf writes, " << f.g;
    EXPECT_EQ(f.p, pb) << "pbuf reads and writes (+" << kPWrite << ": a write), " << f.g;
    // the first row's write: c + 11 + 2T*P - 1 + 10
    std::vector<Access> writes = f.o;
    for (const auto* v : {&f.p, &f.a})
      for (const Access& x : *v)
        if (x.addr >= kPWrite) writes.push_back(x);
    std::sort(writes.begin(), writes.end(), [](const Access& x, const Access& y) { return x.cycle < y.cycle; });
    ASSERT_FALSE(writes.empty());
    EXPECT_EQ(writes.front().cycle, 11 + 2ull * slot_terms(f.g.dtype, f.g.gp) * f.g.P() - 1 + 10);
    const uint64_t* abv = buf(isa::Buf::kAbuf);
    for (uint32_t i = 0; i < words(isa::Buf::kAbuf); ++i)
      ASSERT_EQ(abv[i], golden_a[i]) << "abuf[" << i << "], " << f.g;
    const uint64_t* pbv = buf(isa::Buf::kPbuf);
    for (uint32_t i = 0; i < words(isa::Buf::kPbuf); ++i)
      ASSERT_EQ(pbv[i], golden_p[i]) << "pbuf[" << i << "] (row " << i / kC << ", column " << i % kC << "), " << f.g;
    const uint64_t* ob = buf(isa::Buf::kObuf);
    for (uint32_t i = 0; i < words(isa::Buf::kObuf); ++i) {
      if (ob[i] != golden[i]) {
        std::ostringstream os;
        os << "obuf[" << i << "] = " << std::hex << ob[i] << ", expected " << golden[i] << std::dec << " (" << f.g;
        if (i >= f.g.o_addr && f.g.o_stride) {
          const uint32_t m = (i - f.g.o_addr) / f.g.o_stride, wd = (i - f.g.o_addr) % f.g.o_stride;
          os << "; row " << m << " word " << wd;
        }
        os << ")";
        FAIL() << os.str();
      }
    }
  }

  // ---- data ----
  // Writes the case's weights, side data and activations into the scratchpads.
  void place(const Case& cs) {
    const Gemm& g = cs.g;
    const auto wv = bm::pack_weights(hw, cs.tile);
    const auto sv = bm::pack_side(hw, cs.tile);
    ASSERT_LE(g.w_addr + wv.size(), words(isa::Buf::kWbuf));
    ASSERT_LE(g.s_addr + sv.size(), words(isa::Buf::kSbuf));
    std::copy(wv.begin(), wv.end(), buf(isa::Buf::kWbuf) + g.w_addr);
    std::copy(sv.begin(), sv.end(), buf(isa::Buf::kSbuf) + g.s_addr);
    const unsigned K = g.K();
    ASSERT_LE(g.a_addr + g.m * K / 8, words(isa::Buf::kAbuf));
    uint64_t* ab = buf(isa::Buf::kAbuf) + g.a_addr;
    std::fill(ab, ab + g.m * K / 8, 0);
    for (unsigned m = 0; m < g.m; ++m)
      for (unsigned k = 0; k < K; ++k)
        ab[(m * K + k) / 8] |= uint64_t{static_cast<uint8_t>(cs.x[m * K + k])} << (8 * (k % 8));
  }

  // Random aligned, non-overlapping-enough addresses for a gemm (each buffer holds one instruction's data).
  void place_addresses(Gemm& g) {
    const uint32_t aw = g.m * g.K() / 8, ww = static_cast<uint32_t>(bm::weight_words(hw, g.dtype, g.gp, g.ng));
    const uint32_t sw = static_cast<uint32_t>(bm::side_words(hw, g.ng));
    g.a_addr = static_cast<uint32_t>(rng() % (words(isa::Buf::kAbuf) - aw + 1)) / kAPort * kAPort;
    g.a_addr = std::min<uint32_t>(g.a_addr, (1u << 16) - 1) / kAPort * kAPort;
    g.w_addr = static_cast<uint32_t>(rng() % (words(isa::Buf::kWbuf) - ww + 1)) / kWPort * kWPort;
    g.s_addr = static_cast<uint32_t>(rng() % (words(isa::Buf::kSbuf) - sw + 1)) / kSPort * kSPort;
    const uint32_t ow = g.out_words();
    if (g.o_stride == 0) g.o_stride = ow + static_cast<uint32_t>(rng() % 3) * kOPort;
    const uint32_t span = (g.m - 1) * g.o_stride + ow;
    g.o_addr = static_cast<uint32_t>(rng() % (words(isa::Buf::kObuf) - span + 1)) / kOPort * kOPort;
  }

  // acc[m][c] of the case (only to steer the requantization parameters into interesting ranges; the
  // expected outputs are the reference model's).
  std::vector<int64_t> accs(const Case& cs) {
    const Gemm& g = cs.g;
    const unsigned K = g.K(), G = 2 * kR * g.gp;
    std::vector<int64_t> acc(g.m * kC, 0);
    for (unsigned m = 0; m < g.m; ++m)
      for (unsigned c = 0; c < kC; ++c)
        for (unsigned gr = 0; gr < g.ng; ++gr) {
          int64_t ps = 0;
          for (unsigned k = gr * G; k < (gr + 1) * G; ++k)
            ps += int64_t{cs.x[m * K + k]} *
                  isa::dtype_value(static_cast<int>(g.dtype), cs.tile.codes[c * K + k], cs.tile.sel[c * g.ng + gr]);
          acc[m * kC + c] += ps * cs.tile.scale[c * g.ng + gr];
        }
    return acc;
  }

  static unsigned bitlen(uint64_t v) {
    unsigned n = 0;
    while (v) {
      ++n;
      v >>= 1;
    }
    return n;
  }

  // Channel parameters around the data: shift so that the outputs straddle the output range (some saturate).
  void steer_channels(Case& cs) {
    const auto acc = accs(cs);
    for (unsigned c = 0; c < kC; ++c) {
      auto& ch = cs.tile.channels[c];
      int64_t amax = 1;
      for (unsigned m = 0; m < cs.g.m; ++m) amax = std::max<int64_t>(amax, std::llabs(acc[m * kC + c]));
      ch.bias = static_cast<int32_t>(static_cast<int64_t>(rng() % (2 * amax + 1)) - amax) / 2;
      ch.mult = static_cast<uint16_t>(1 + rng() % 65535);
      const int64_t tmax = (amax + std::llabs(ch.bias)) * ch.mult;
      const int target = cs.g.out32 ? 31 : 7;
      int sh = static_cast<int>(bitlen(static_cast<uint64_t>(tmax))) - target + static_cast<int>(rng() % 4) - 1;
      ch.shift = static_cast<uint8_t>(std::clamp(sh, 0, 63));
    }
  }

  // A random case; `n_cols` channels carry weights, the rest are padding (zero codes).
  Case make_case(unsigned dt, unsigned m, unsigned gp, unsigned ng, bool out32, bool relu, unsigned n_cols = kC) {
    Case cs;
    Gemm& g = cs.g;
    g.dtype = dt;
    g.m = m;
    g.gp = gp;
    g.ng = ng;
    g.out32 = out32;
    g.relu = relu;
    auto& t = cs.tile;
    t.dtype = dt;
    t.group_pairs = gp;
    t.n_groups = ng;
    const unsigned K = g.K();
    t.codes.assign(kC * K, 0);
    for (unsigned c = 0; c < n_cols; ++c)
      for (unsigned k = 0; k < K; ++k) t.codes[c * K + k] = static_cast<uint8_t>(rng() % (1u << dt_bits(dt)));
    t.scale.resize(kC * ng);
    t.sel.resize(kC * ng);
    for (auto& s : t.scale) s = static_cast<uint8_t>(rng());
    for (auto& s : t.sel) s = static_cast<uint8_t>(rng() % 4);
    t.channels.resize(kC);
    cs.x.resize(m * K);
    for (auto& v : cs.x) v = static_cast<int8_t>(rng());
    place_addresses(g);
    steer_channels(cs);
    return cs;
  }

  unsigned random_dtype() { return static_cast<unsigned>(rng() % isa::kDtypes.size()); }
};

TEST_F(BitmacTest, ResetIdle) {
  sim.settle();
  EXPECT_FALSE(sim->last_o);
  EXPECT_FALSE(get_spm_req(sim->abuf_req_o).req || get_spm_req(sim->wbuf_req_o).req ||
               get_spm_req(sim->sbuf_req_o).req || get_spm_req(sim->obuf_req_o).req);
}

TEST_F(BitmacTest, IgnoresInstructionsWhileNotStarted) {
  for (int i = 0; i < 60 && !HasFatalFailure(); ++i) idle_cycle();
  EXPECT_EQ(instructions, 0u);
}

TEST_F(BitmacTest, ExecutionTimeFormulaExample) {
  // A worked example of R11, independent of the helpers: int4 (T = 2 bit-serially, 1 bit-parallel), M = 3,
  // gp = 4, n_groups = 2 (P = 8), out32.
  Case cs = make_case(isa::kDtypeInt4, 3, 4, 2, true, false);
  const uint64_t e = (kPar ? 2 * 1 : 2 * 2) * 3 * 8 + 20 + 3;
  ASSERT_EQ(r11_cycles(cs.g), e);
  issue(cs, 0);
  unsigned cycles = 0;
  while (cur && !HasFatalFailure()) {
    idle_cycle();
    ++cycles;
  }
  EXPECT_EQ(cycles, e);  // busy cycles c+1 .. c+E
  drain();
}

TEST_F(BitmacTest, EveryDatatype) {
  for (unsigned dt = 0; dt < isa::kDtypes.size() && !HasFatalFailure(); ++dt) {
    for (bool out32 : {false, true}) {
      SCOPED_TRACE(::testing::Message() << "dtype " << dt << " out32 " << out32);
      issue(make_case(dt, 2, min_gp(dt), 2, out32, false), 0);
      if (HasFatalFailure()) return;
    }
  }
  drain();
}

TEST_F(BitmacTest, EveryCodeAndBitmodSpecial) {
  // Every code of every datatype, in groups with each of the four selectors (the BitMoD specials);
  // the activations are +1 / -1 / extremes so each code's value shows in the sums.
  for (unsigned dt = 0; dt < isa::kDtypes.size() && !HasFatalFailure(); ++dt) {
    const unsigned ng = 4, gp = std::max(min_gp(dt), 1u);
    Case cs = make_case(dt, 2, gp, ng, true, false);
    const unsigned K = cs.g.K(), G = 2 * kR * gp, ncode = 1u << dt_bits(dt);
    for (unsigned c = 0; c < kC; ++c) {
      for (unsigned k = 0; k < K; ++k) {
        // column c: code (k + c) mod 2^b, and in column 0 the special code everywhere in group 1
        cs.tile.codes[c * K + k] = static_cast<uint8_t>((k + c) % ncode);
        if (c == 0 && k / G == 1) cs.tile.codes[c * K + k] = static_cast<uint8_t>(ncode / 2);
      }
      for (unsigned gr = 0; gr < ng; ++gr) {
        cs.tile.sel[c * ng + gr] = static_cast<uint8_t>((gr + c) % 4);
        cs.tile.scale[c * ng + gr] = static_cast<uint8_t>(1 + gr);
      }
    }
    for (unsigned k = 0; k < K; ++k) {
      cs.x[k] = 1;                                                                     // row 0: every value once
      cs.x[K + k] = static_cast<int8_t>(k % 3 == 0 ? -128 : (k % 3 == 1 ? 127 : -1));  // row 1: extremes
    }
    for (auto& ch : cs.tile.channels) ch = {0, 1, 0};  // out32, identity: the accumulator itself
    issue(cs, 1);
  }
  drain();
}

TEST_F(BitmacTest, ExtremeCodesAndActivations) {
  // The most negative code of each datatype (INT8 -128, table types' most negative value) times -128.
  for (unsigned dt = 0; dt < isa::kDtypes.size() && !HasFatalFailure(); ++dt) {
    const unsigned b = dt_bits(dt);
    // the code with the most negative value for selector 3 (BitMoD: specials[3] is the most negative)
    unsigned worst = 0;
    for (unsigned q = 0; q < (1u << b); ++q)
      if (isa::dtype_value(static_cast<int>(dt), q, 3) < isa::dtype_value(static_cast<int>(dt), worst, 3)) worst = q;
    const unsigned gp = std::min(max_gp(), std::max(min_gp(dt), 4u));
    Case cs = make_case(dt, 2, gp, 2, true, false);
    const unsigned K = cs.g.K();
    std::fill(cs.tile.codes.begin(), cs.tile.codes.end(), static_cast<uint8_t>(worst));
    std::fill(cs.tile.sel.begin(), cs.tile.sel.end(), uint8_t{3});
    std::fill(cs.tile.scale.begin(), cs.tile.scale.end(), uint8_t{255});
    for (unsigned k = 0; k < K; ++k) {
      cs.x[k] = -128;
      cs.x[K + k] = (k % 2) ? 127 : -128;
    }
    for (auto& ch : cs.tile.channels) ch = {0, 1, 0};
    issue(cs, 0);
    // INT8 with a rounding shift: half of the columns saturate
    Case c8 = cs;
    c8.g.out32 = false;
    c8.g.o_stride = 0;
    place_addresses(c8.g);
    for (unsigned c = 0; c < kC; ++c)
      c8.tile.channels[c] = {0, static_cast<uint16_t>(1 + c * 997), static_cast<uint8_t>(c % 2 ? 30 : 12)};
    issue(c8, 0);
  }
  drain();
}

TEST_F(BitmacTest, Saturation) {
  // INT8 and INT32 outputs saturating high and low (bias and mult push the result past the range).
  for (bool out32 : {false, true}) {
    Case cs = make_case(isa::kDtypeInt8, 2, min_gp(0), 1, out32, false);
    for (unsigned c = 0; c < kC; ++c) {
      auto& ch = cs.tile.channels[c];
      switch (c % 4) {
        case 0:
          ch = {std::numeric_limits<int32_t>::max(), 65535, 0};
          break;  // high
        case 1:
          ch = {std::numeric_limits<int32_t>::min(), 65535, 0};
          break;  // low
        case 2:
          ch = {out32 ? (1 << 30) : 127, 2, 0};
          break;  // just above the range
        default:
          ch = {out32 ? -(1 << 30) - 1 : -129, 2, 0};
          break;  // just below (before acc)
      }
    }
    issue(cs, 0);
  }
  drain();
}

TEST_F(BitmacTest, Relu) {
  for (bool out32 : {false, true}) {
    for (unsigned dt : {0u, 6u}) {
      Case cs = make_case(dt, 3, min_gp(dt), 2, out32, true);
      issue(cs, 0);
    }
  }
  drain();
}

TEST_F(BitmacTest, ShiftsAndRounding) {
  // shift 0, every shift up to 63, and exact halves (round half up, also for negative values)
  for (unsigned round = 0; round < 4 && !HasFatalFailure(); ++round) {
    const bool out32 = round % 2;
    Case cs = make_case(isa::kDtypeInt4, 2, min_gp(2), 1, out32, false);
    for (unsigned c = 0; c < kC; ++c) {
      auto& ch = cs.tile.channels[c];
      ch.mult = static_cast<uint16_t>(1 + rng() % 7);
      ch.shift = static_cast<uint8_t>(round < 2 ? (c * 64 / kC + round) % 64 : (c % 3));
      ch.bias = static_cast<int32_t>(rng() % 9) - 4;
    }
    issue(cs, 0);
  }
  // exact halves: activations and weights giving acc = +-1, +-3 with shift 1 (+-0.5, +-1.5)
  Case cs = make_case(isa::kDtypeInt8, 1, min_gp(0), 1, false, false);
  std::fill(cs.x.begin(), cs.x.end(), int8_t{0});
  std::fill(cs.tile.codes.begin(), cs.tile.codes.end(), uint8_t{0});
  std::fill(cs.tile.scale.begin(), cs.tile.scale.end(), uint8_t{1});
  cs.x[0] = 1;
  const unsigned K = cs.g.K();
  for (unsigned c = 0; c < kC; ++c) {
    const int v = static_cast<int>(c % 8) - 4;  // acc = v
    cs.tile.codes[c * K] = static_cast<uint8_t>(v);
    cs.tile.channels[c] = {static_cast<int32_t>(c / 8), 1, static_cast<uint8_t>(1 + (c / 8) % 2)};
  }
  issue(cs, 0);
  drain();
}

TEST_F(BitmacTest, Shapes) {
  // M = 1 and M > 1, one group and many, one pair per group and many, padding columns.
  struct Shape {
    unsigned m, gp_extra, ng, n_cols;
  };
  for (const Shape& s : {Shape{1, 0, 1, kC}, Shape{1, 0, 5, kC}, Shape{4, 0, 1, kC}, Shape{3, 2, 3, kC - 3},
                         Shape{2, 5, 2, 1}, Shape{5, 1, 2, kC / 2}}) {
    for (unsigned dt : {0u, 3u, 7u}) {
      SCOPED_TRACE(::testing::Message() << "m " << s.m << " ng " << s.ng << " cols " << s.n_cols << " dt " << dt);
      const unsigned gp = std::min(max_gp(), min_gp(dt) + s.gp_extra);
      issue(make_case(dt, s.m, gp, s.ng, rng() % 2, rng() % 2, s.n_cols), rng() % 2);
      if (HasFatalFailure()) return;
    }
  }
  // the largest group (1024 weights) and a long reduction
  issue(make_case(isa::kDtypeFp4, 2, max_gp(), 2, true, false), 0);
  drain();
}

TEST_F(BitmacTest, BackToBack) {
  // Every instruction starts in the cycle after the previous one's last (c+E+1).
  for (unsigned i = 0; i < 12 && !HasFatalFailure(); ++i) {
    const unsigned dt = random_dtype();
    issue(make_case(dt, 1 + rng() % 2, min_gp(dt) + rng() % 2, 1 + rng() % 2, rng() % 2, rng() % 2), 0);
  }
  drain();
}

// Groups shorter than the rescaler's 8 cycles: every datatype with group_pairs 1, 2 and 3, the slots
// stretched to T' = max(T, ceil(4/gp)) cycles per k-tile, the stretch cycles adding nothing.
TEST_F(BitmacTest, ShortGroupsStretchTheSlots) {
  for (unsigned dt = 0; dt < isa::kDtypes.size() && !HasFatalFailure(); ++dt)
    for (unsigned gp = 1; gp <= 3 && !HasFatalFailure(); ++gp) {
      SCOPED_TRACE(::testing::Message() << "dtype " << dt << " gp " << gp);
      issue(make_case(dt, 1 + rng() % 3, gp, 1 + rng() % 3, rng() % 2, rng() % 2), rng() % 2);
    }
  drain();
  // by hand: INT4 with gp = 1 (T = 2 bit-serially, 1 bit-parallel): T' = 4, M = 2, P = 3, INT8 outputs
  Case cs = make_case(isa::kDtypeInt4, 2, 1, 3, false, false);
  EXPECT_EQ(r11_cycles(cs.g), 2u * 4 * 2 * 3 + 20);
}

TEST_F(BitmacTest, Random) {
  for (unsigned i = 0; i < 60 && !HasFatalFailure(); ++i) {
    const unsigned dt = random_dtype();
    const unsigned gp = std::min(max_gp(), (rng() % 4 ? min_gp(dt) : 1u) + static_cast<unsigned>(rng() % 3));
    const unsigned n_cols = rng() % 4 ? kC : 1 + static_cast<unsigned>(rng() % kC);
    Case cs = make_case(dt, 1 + rng() % 3, gp, 1 + rng() % 3, rng() % 2, rng() % 3 == 0, n_cols);
    issue(cs, rng() % 3 ? 0 : 1 + rng() % 4);
  }
  drain();
}

// A K split over three gemms (acc_out; acc_in + acc_out; acc_in) gives the outputs of the one gemm over the
// whole K: the expected outputs are the reference model's for the unsplit gemm, and every pbuf write is
// checked against the model on the way.
TEST_F(BitmacTest, SplitK) {
  for (unsigned round = 0; round < 6 && !HasFatalFailure(); ++round) {
    const unsigned dt = round < 2 ? (round ? isa::kDtypeBitmod3 : isa::kDtypeInt8) : random_dtype();
    const unsigned gp = min_gp(dt) + static_cast<unsigned>(rng() % 2), m = 1 + static_cast<unsigned>(rng() % 4);
    const unsigned ngs[3] = {1 + static_cast<unsigned>(rng() % 3), 1 + static_cast<unsigned>(rng() % 2), 1};
    const unsigned ng = ngs[0] + ngs[1] + ngs[2];
    Case whole = make_case(dt, m, gp, ng, round % 2, round % 3 == 0);
    // the expected outputs: the whole gemm, on a copy of the scratchpads
    place(whole);
    std::vector<bitgrid::SpmWrite> expect;
    engine->execute(to_insn(whole.g), hw, spm, expect);
    const unsigned K = whole.g.K(), G = 2 * kR * gp;
    unsigned g0 = 0;
    for (unsigned part = 0; part < 3 && !HasFatalFailure(); ++part) {
      Case cs;
      cs.g = whole.g;
      cs.g.ng = ngs[part];
      cs.g.acc_in = part > 0;
      cs.g.acc_out = part < 2;
      if (cs.g.acc_out) cs.g.relu = cs.g.out32 = false;
      auto& t = cs.tile;
      t = whole.tile;
      t.n_groups = ngs[part];
      const unsigned Kp = cs.g.K();
      t.codes.assign(kC * Kp, 0);
      t.scale.assign(kC * ngs[part], 0);
      t.sel.assign(kC * ngs[part], 0);
      for (unsigned c = 0; c < kC; ++c) {
        std::copy_n(whole.tile.codes.begin() + c * K + g0 * G, Kp, t.codes.begin() + c * Kp);
        std::copy_n(whole.tile.scale.begin() + c * ng + g0, ngs[part], t.scale.begin() + c * ngs[part]);
        std::copy_n(whole.tile.sel.begin() + c * ng + g0, ngs[part], t.sel.begin() + c * ngs[part]);
      }
      cs.x.resize(m * Kp);
      for (unsigned r = 0; r < m; ++r) std::copy_n(whole.x.begin() + r * K + g0 * G, Kp, cs.x.begin() + r * Kp);
      place_addresses(cs.g);
      if (part == 2) cs.g.o_addr = whole.g.o_addr, cs.g.o_stride = whole.g.o_stride;
      g0 += ngs[part];
      issue(cs, static_cast<unsigned>(rng() % 2));
    }
    drain();
    for (const auto& wr : expect)
      for (size_t i = 0; i < wr.words.size(); ++i)
        ASSERT_EQ(buf(isa::Buf::kObuf)[wr.addr + i], wr.words[i])
            << "split K vs whole K, obuf word " << wr.addr + i << ", " << whole.g;
  }
}

// acc_in with arbitrary pbuf contents (junk words: only their low 48 bits count, and the 48-bit sums wrap)
// and random acc flags between ordinary gemms.
TEST_F(BitmacTest, RandomAccumulate) {
  for (unsigned i = 0; i < 30 && !HasFatalFailure(); ++i) {
    const unsigned dt = random_dtype();
    Case cs = make_case(dt, 1 + rng() % 3, min_gp(dt) + static_cast<unsigned>(rng() % 2), 1 + rng() % 2, false, false);
    cs.g.acc_in = rng() % 2;
    cs.g.acc_out = rng() % 2;
    if (!cs.g.acc_out) {
      cs.g.out32 = rng() % 2;
      cs.g.relu = rng() % 2;
      cs.g.o_stride = 0;
      place_addresses(cs.g);
    }
    if (i % 5 == 0) {
      while (cur && !HasFatalFailure()) idle_cycle();
      for (uint32_t w = 0; w < words(isa::Buf::kPbuf); ++w) buf(isa::Buf::kPbuf)[w] = golden_p[w] = rng();
    }
    issue(cs, rng() % 3 ? 0 : 1 + rng() % 4);
  }
  drain();
}

// INT8 outputs into abuf (o_abuf), where a later gemm reads them as activations (compiled chains of layers:
// the cosim suite): every datatype, short groups, acc_in, random row strides, against the reference model;
// the abuf writes fall between the activation reads (R11).
TEST_F(BitmacTest, OutputsToAbuf) {
  const uint32_t aw = words(isa::Buf::kAbuf);
  for (unsigned i = 0; i < 24 && !HasFatalFailure(); ++i) {
    const unsigned dt = i < isa::kDtypes.size() ? i : random_dtype();
    const unsigned gp = (rng() % 3 ? min_gp(dt) : 1u) + static_cast<unsigned>(rng() % 2);
    Case cs = make_case(dt, 1 + rng() % 4, gp, 1 + rng() % 2, false, rng() % 2);
    cs.g.o_abuf = true;
    cs.g.acc_in = rng() % 3 == 0;
    // outputs in the half of abuf the activations do not use (o_stride a multiple of C/8, random gaps)
    const uint32_t span = (cs.g.m - 1) * cs.g.o_stride + kOPort;
    const uint32_t a_end = cs.g.a_addr + cs.g.m * cs.g.K() / 8;
    const bool below = cs.g.a_addr >= span;
    const uint32_t lo = below ? 0 : a_end, hi = below ? cs.g.a_addr - span : aw - span;
    ASSERT_LE(lo, hi) << "no room for the outputs, " << cs.g;
    const uint32_t lo_a = ceil_div(lo, kOPort) * kOPort, hi_a = hi / kOPort * kOPort;
    ASSERT_LE(lo_a, hi_a) << cs.g;
    cs.g.o_addr = lo_a + static_cast<uint32_t>(rng() % ((hi_a - lo_a) / kOPort + 1)) * kOPort;
    issue(cs, rng() % 2);
  }
  drain();
}

TEST_F(BitmacTest, StartWhileRunningIsAsserted) {
  sim.expect_assertions(true);
  idle_cycle();
  Case cs = make_case(isa::kDtypeInt8, 1, min_gp(0), 1, false, false);
  issue(cs, 0);
  // A second start while the first instruction runs: ignored (the running one finishes as R11 says).
  for (int i = 0; i < 2 && !HasFatalFailure(); ++i) {
    Gemm g2 = cs.g;
    g2.o_addr = (cs.g.o_addr + 8 * kOPort) % words(isa::Buf::kObuf);
    cycle(true, to_port(to_insn(g2)), true);
    EXPECT_TRUE(fired_with(sim.take_fired(), "bg_bitmac: started while running"));
  }
  drain();
  EXPECT_EQ(instructions, 1u);
  EXPECT_TRUE(sim.take_fired().empty());
}

}  // namespace
