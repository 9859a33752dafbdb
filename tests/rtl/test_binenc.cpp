// rtl/engines/binenc/bg_binenc.sv (the binary encoder behind the compute dispatcher) with an emulated obuf
// read port (1-cycle latency) and recorded qbuf/dbuf writes: every benc against the reference model's engine
// (bitgrid::Engine::execute of the benc opcode) and against codes computed here bit by bit from the INT8
// outputs (bit t = 1 iff byte t >= 0, DESIGN.md §5.3), the execution time E of ARCHITECTURE.md R13 checked
// cycle-exactly (start_i in c, last_o exactly in c+E, requests only in c+1 .. c+E), the obuf reads in order, and
// nothing else written. Parameter sets: MacCols 8, 16, 64 (8, 4 and 1 reads per code word).
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <random>
#include <vector>

#include "Vdut.h"
#include "bitgrid/engine.h"
#include "bitgrid/engines/binenc.h"
#include "bitgrid/gen/isa.h"
#include "bitgrid/hwconfig.h"
#include "rtl_test_util.h"
#include "rule_oracle.h"

namespace {

using namespace bgtest;
namespace isa = bitgrid::isa;

constexpr unsigned kC = BG_MAC_COLS;
constexpr unsigned kW = kC / 8;  // obuf words per read

bitgrid::HwConfig hw_config() {
  bitgrid::HwConfig hw;
  hw.mac_cols = kC;
  hw.obuf_kib = 256;  // 32K words
  hw.qbuf_kib = 512;  // 64K words
  hw.dbuf_kib = 512;
  return hw;
}

struct Write {
  bool dbuf = false;
  uint32_t addr = 0;
  uint64_t data = 0;
  bool operator==(const Write& o) const { return dbuf == o.dbuf && addr == o.addr && data == o.data; }
};
std::ostream& operator<<(std::ostream& os, const Write& w) {
  return os << (w.dbuf ? "dbuf[" : "qbuf[") << w.addr << "] = " << std::hex << w.data << std::dec;
}

class BinencTest : public ::testing::Test {
 protected:
  Clocked<Vdut> sim;
  std::mt19937_64 rng{7};
  bitgrid::HwConfig hw = hw_config();
  bitgrid::Scratchpads spm{hw};  // obuf contents (what the RTL reads) and the reference's scratchpads
  std::optional<uint32_t> pend;  // obuf read data due this cycle
  uint64_t instructions = 0;

  uint64_t* obuf() { return spm.data(isa::Buf::kObuf); }
  uint32_t obuf_words() const { return static_cast<uint32_t>(spm.words(isa::Buf::kObuf)); }

  void fill_random() {
    for (uint32_t a = 0; a < obuf_words(); ++a) obuf()[a] = rng();
  }

  // One cycle: drives obuf read data, records the engine's requests, clock edge.
  struct Seen {
    std::vector<uint32_t> reads;
    std::vector<Write> writes;
    bool last = false;
    bool any_request = false;
  };
  Seen cycle(bool start, const Insn& insn) {
    Seen s;
    sim->start_i = start;
    set_insn(sim->insn_i, insn);
    for (unsigned j = 0; j < kW; ++j) set_word(sim->obuf_rdata_i, j, pend ? obuf()[(*pend + j) % obuf_words()] : rng());
    sim.settle();
    s.last = sim->last_o;
    const SpmReq o = get_spm_req(sim->obuf_req_o), q = get_spm_req(sim->qbuf_req_o), d = get_spm_req(sim->dbuf_req_o);
    EXPECT_FALSE(o.we) << "obuf write";
    EXPECT_TRUE(o.req || o.addr == 0) << "obuf address without a request";
    EXPECT_TRUE(q.req || (q.addr == 0 && !q.we)) << "qbuf address without a request";
    EXPECT_TRUE(d.req || (d.addr == 0 && !d.we)) << "dbuf address without a request";
    EXPECT_FALSE(q.req && d.req) << "qbuf and dbuf in one cycle";
    if (o.req) {
      EXPECT_EQ(o.addr % kW, 0u) << "unaligned obuf read";
      s.reads.push_back(o.addr);
    }
    if (q.req) {
      EXPECT_TRUE(q.we) << "qbuf read";
      s.writes.push_back({false, q.addr, static_cast<uint64_t>(get_word(sim->qbuf_wdata_o, 0))});
    }
    if (d.req) {
      EXPECT_TRUE(d.we) << "dbuf read";
      s.writes.push_back({true, d.addr, static_cast<uint64_t>(get_word(sim->dbuf_wdata_o, 0))});
    }
    s.any_request = o.req || q.req || d.req;
    pend = o.req ? std::optional<uint32_t>(o.addr) : std::nullopt;
    sim.edge();
    return s;
  }
  void idle(unsigned n) {
    for (unsigned i = 0; i < n; ++i) {
      const Seen s = cycle(false, Insn{rng(), rng()});
      EXPECT_FALSE(s.last || s.any_request) << "activity while idle";
    }
  }

  // The expected writes, from the INT8 outputs bit by bit (independent of bitgrid::binenc's helpers).
  std::vector<Write> by_hand(const isa::BencInsn& b) {
    const uint64_t P = uint64_t{1} << b.p_log2, m = uint64_t{1} << b.m_log2, S = (b.code_words + m - 1) / m;
    std::vector<Write> out;
    for (uint64_t i = 0; i < b.n_codes; ++i) {
      const uint64_t c = b.c_first + i;
      const auto* row = reinterpret_cast<const int8_t*>(obuf() + b.src_addr + i * b.src_stride);
      for (uint64_t w = 0; w < S * m; ++w) {
        uint64_t code = 0;
        if (w < b.code_words)
          for (uint64_t t = 0; t < 64; ++t) code |= uint64_t{row[64 * w + t] >= 0} << t;
        const uint64_t addr = b.dst_addr + (c / P) * S * P * m + (w / m) * P * m + (c % P) * m + w % m;
        out.push_back({b.dst != 0, static_cast<uint32_t>(addr), code});
      }
    }
    return out;
  }

  // Runs one benc (after `gap` idle cycles) and checks it against the model and by hand.
  void run(const isa::BencInsn& b, unsigned gap = 0) {
    SCOPED_TRACE(::testing::Message() << "benc dst " << b.dst << " p_log2 " << b.p_log2 << " m_log2 " << b.m_log2
                                      << " cw " << b.code_words << " src " << b.src_addr << " stride " << b.src_stride
                                      << " n " << b.n_codes << " c_first " << b.c_first << " dst_addr " << b.dst_addr);
    const bitgrid::Insn in = bitgrid::encode(b);
    const bitgrid::Engine& e = *bitgrid::engine_of(static_cast<uint64_t>(isa::Op::kBenc));
    ASSERT_EQ(e.check(in, hw), "");
    const uint64_t E = bgtest::oracle_engine_cycles(hw, in);
    ASSERT_EQ(e.cycles(in, hw), E);
    // the reference model's writes, word by word in the engine's order (code, word)
    std::vector<bitgrid::SpmWrite> ref;
    e.execute(in, hw, spm, ref);
    std::vector<Write> model;
    for (const auto& w : ref)
      for (size_t j = 0; j < w.words.size(); ++j)
        model.push_back({w.buf == isa::Buf::kDbuf, static_cast<uint32_t>(w.addr + j), w.words[j]});
    const std::vector<Write> hand = by_hand(b);
    ASSERT_EQ(model, hand) << "the reference model against the codes computed by hand";

    idle(gap);
    std::vector<uint32_t> reads;
    std::vector<Write> writes;
    const Insn x = bgtest::encode(b);
    for (uint64_t t = 0; t <= E; ++t) {
      const Seen s = cycle(t == 0, t == 0 ? x : Insn{rng(), rng()});
      ASSERT_EQ(s.last, t == E) << "last_o in cycle c+" << t << " (E = " << E << ")";
      if (t == 0) ASSERT_FALSE(s.any_request) << "request in the issue cycle";
      reads.insert(reads.end(), s.reads.begin(), s.reads.end());
      writes.insert(writes.end(), s.writes.begin(), s.writes.end());
    }
    ++instructions;
    std::vector<uint32_t> want_reads;
    for (uint64_t i = 0; i < b.n_codes; ++i)
      for (uint64_t w = 0; w < b.code_words; ++w)
        for (uint64_t r = 0; r < 8 / kW; ++r)
          want_reads.push_back(static_cast<uint32_t>(b.src_addr + i * b.src_stride + w * 8 + r * kW));
    EXPECT_EQ(reads, want_reads) << "obuf reads";
    EXPECT_EQ(writes, hand) << "qbuf/dbuf writes";
  }

  isa::BencInsn random_insn() {
    isa::BencInsn b;
    b.dst = rng() % 2;
    b.p_log2 = rng() % 7;
    b.m_log2 = rng() % 4;
    b.code_words = 1 + rng() % 32;
    b.n_codes = 1 + rng() % 12;
    b.src_stride = (b.code_words * 8 + (rng() % 3) * kW) / kW * kW;
    if (rng() % 4 == 0) b.src_stride = (rng() % 64) * kW;  // rows overlapping or far apart
    const uint64_t span = (b.n_codes - 1) * b.src_stride + b.code_words * 8;
    b.src_addr = rng() % ((obuf_words() - span) / kW) * kW;
    b.c_first = rng() % 300;
    b.dst_addr = rng() % 4096;
    return b;
  }
};

TEST_F(BinencTest, ResetIdle) {
  sim.settle();
  EXPECT_FALSE(sim->last_o);
  idle(5);
}

TEST_F(BinencTest, RandomInstructions) {
  fill_random();
  for (int i = 0; i < 60 && !HasFatalFailure(); ++i) run(random_insn(), static_cast<unsigned>(rng() % 3));
  EXPECT_EQ(instructions, 60u);
}

// All outputs zero (every bit 1), all -1 (every bit 0), the extremes 127 and -128, and zero against -1
// alternating: the sign bit is all that counts, and zero counts as non-negative.
TEST_F(BinencTest, CornerValues) {
  const std::vector<uint64_t> patterns = {
      0, ~uint64_t{0}, 0x7F7F7F7F7F7F7F7Full, 0x8080808080808080ull, 0x00FF00FF00FF00FFull, 0x0180FE7F00FF8001ull};
  for (uint64_t pattern : patterns) {
    for (uint32_t a = 0; a < obuf_words(); ++a) obuf()[a] = pattern;
    isa::BencInsn b;
    b.dst = pattern & 1;
    b.code_words = 4;
    b.n_codes = 3;
    b.src_stride = 32;
    b.p_log2 = 1;
    run(b);
  }
}

// Code lengths that are not a multiple of the step (padding words written as zeros), one code, the longest
// code, and the widest layouts.
TEST_F(BinencTest, PaddingOneCodeAndLimits) {
  fill_random();
  isa::BencInsn b;
  b.m_log2 = 3;
  b.code_words = 5;  // S = 1 step of 8 words: three padding words
  b.n_codes = 1;
  b.src_stride = 0;
  run(b);
  b.m_log2 = 2;
  b.code_words = 32;
  b.n_codes = 2;
  b.src_stride = 256;
  b.p_log2 = 6;
  b.c_first = 63;  // the last position of a group, then the next group
  b.dst = 1;
  run(b, 2);
  b.m_log2 = 0;
  b.code_words = 1;
  b.n_codes = 70;
  b.src_stride = 8;
  b.p_log2 = 3;
  b.c_first = 5;
  run(b);
}

TEST_F(BinencTest, BackToBack) {
  fill_random();
  for (int i = 0; i < 10 && !HasFatalFailure(); ++i) run(random_insn(), 0);
}

TEST_F(BinencTest, StartWhileRunningIsAsserted) {
  fill_random();
  sim.expect_assertions(true);
  isa::BencInsn b;
  b.code_words = 2;
  b.n_codes = 2;
  b.src_stride = 16;
  const Insn x = bgtest::encode(b);
  cycle(true, x);
  cycle(true, x);  // while running
  EXPECT_TRUE(fired_with(sim.take_fired(), "bg_binenc: started while running"));
}

}  // namespace
