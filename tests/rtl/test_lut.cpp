// rtl/engines/lut/bg_lut.sv (the table unit behind the compute dispatcher) with emulated tbuf/obuf read ports
// (1-cycle latency) and recorded abuf writes: every lut against the reference model's engine (bitgrid::Engine::execute
// of the lut opcode) and against results looked up here byte by byte, the execution time E of ARCHITECTURE.md R14
// checked cycle-exactly (start_i in c, last_o exactly in c+E, requests only in c+1 .. c+E), the tbuf and obuf reads
// in order. Parameter sets: MacCols 8, 16, 64.
#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <vector>

#include "Vdut.h"
#include "bitgrid/engine.h"
#include "bitgrid/engines/lut.h"
#include "bitgrid/gen/isa.h"
#include "bitgrid/hwconfig.h"
#include "rtl_test_util.h"
#include "rule_oracle.h"

namespace {

using namespace bgtest;
namespace isa = bitgrid::isa;

constexpr unsigned kC = BG_MAC_COLS;
constexpr unsigned kW = kC / 8;  // obuf/abuf words per segment

bitgrid::HwConfig hw_config() {
  bitgrid::HwConfig hw;
  hw.mac_cols = kC;
  hw.obuf_kib = 64;  // 8K words
  hw.abuf_kib = 64;
  hw.tbuf_kib = 2;  // 8 tables
  return hw;
}

struct Write {
  uint32_t addr = 0;
  std::vector<uint64_t> data;
  bool operator==(const Write& o) const { return addr == o.addr && data == o.data; }
};
std::ostream& operator<<(std::ostream& os, const Write& w) {
  os << "abuf[" << w.addr << "] =" << std::hex;
  for (uint64_t d : w.data) os << " " << d;
  return os << std::dec;
}

class LutTest : public ::testing::Test {
 protected:
  Clocked<Vdut> sim;
  std::mt19937_64 rng{11};
  bitgrid::HwConfig hw = hw_config();
  bitgrid::Scratchpads spm{hw};
  std::optional<uint32_t> tpend, opend;
  uint64_t instructions = 0;

  uint64_t* buf(isa::Buf b) { return spm.data(b); }
  uint32_t words(isa::Buf b) const { return static_cast<uint32_t>(spm.words(b)); }
  void fill_random() {
    for (isa::Buf b : {isa::Buf::kTbuf, isa::Buf::kObuf})
      for (uint32_t a = 0; a < words(b); ++a) buf(b)[a] = rng();
  }

  struct Seen {
    std::vector<uint32_t> treads, oreads;
    std::vector<Write> writes;
    bool last = false, any = false;
  };
  Seen cycle(bool start, const Insn& insn) {
    Seen s;
    sim->start_i = start;
    set_insn(sim->insn_i, insn);
    for (unsigned j = 0; j < 4; ++j)
      set_word(sim->tbuf_rdata_i, j, tpend ? buf(isa::Buf::kTbuf)[(*tpend + j) % words(isa::Buf::kTbuf)] : rng());
    for (unsigned j = 0; j < kW; ++j)
      set_word(sim->obuf_rdata_i, j, opend ? buf(isa::Buf::kObuf)[(*opend + j) % words(isa::Buf::kObuf)] : rng());
    sim.settle();
    s.last = sim->last_o;
    const SpmReq t = get_spm_req(sim->tbuf_req_o), o = get_spm_req(sim->obuf_req_o), a = get_spm_req(sim->abuf_req_o);
    EXPECT_FALSE(t.we || o.we) << "tbuf/obuf write";
    EXPECT_TRUE(t.req || t.addr == 0) << "tbuf address without a request";
    EXPECT_TRUE(o.req || o.addr == 0) << "obuf address without a request";
    EXPECT_TRUE(a.req || (a.addr == 0 && !a.we)) << "abuf address without a request";
    if (t.req) {
      EXPECT_EQ(t.addr % 4, 0u) << "unaligned tbuf read";
      s.treads.push_back(t.addr);
    }
    if (o.req) {
      EXPECT_EQ(o.addr % kW, 0u) << "unaligned obuf read";
      s.oreads.push_back(o.addr);
    }
    if (a.req) {
      EXPECT_TRUE(a.we) << "abuf read";
      EXPECT_EQ(a.addr % kW, 0u) << "unaligned abuf write";
      Write w{a.addr, {}};
      for (unsigned j = 0; j < kW; ++j) w.data.push_back(get_word(sim->abuf_wdata_o, j));
      s.writes.push_back(w);
    }
    s.any = t.req || o.req || a.req;
    tpend = t.req ? std::optional<uint32_t>(t.addr) : std::nullopt;
    opend = o.req ? std::optional<uint32_t>(o.addr) : std::nullopt;
    sim.edge();
    return s;
  }
  void idle(unsigned n) {
    for (unsigned i = 0; i < n; ++i) {
      const Seen s = cycle(false, Insn{rng(), rng()});
      EXPECT_FALSE(s.last || s.any) << "activity while idle";
    }
  }

  // The expected writes, looked up here byte by byte: entry v (the byte) of the table, byte v%8 of word v/8.
  std::vector<Write> by_hand(const isa::LutInsn& l) {
    std::vector<Write> out;
    const uint64_t* table = buf(isa::Buf::kTbuf) + l.t_addr;
    for (uint64_t r = 0; r < l.n_rows; ++r)
      for (uint64_t s = 0; s < l.row_segs; ++s) {
        Write w{static_cast<uint32_t>(l.dst_addr + r * l.dst_stride + s * kW), std::vector<uint64_t>(kW, 0)};
        for (unsigned b = 0; b < 8 * kW; ++b) {
          const uint8_t v = static_cast<uint8_t>(buf(isa::Buf::kObuf)[l.src_addr + r * l.src_stride + s * kW + b / 8] >>
                                                 (8 * (b % 8)));
          const uint64_t e = (table[v / 8] >> (8 * (v % 8))) & 0xFF;
          w.data[b / 8] |= e << (8 * (b % 8));
        }
        out.push_back(w);
      }
    return out;
  }

  void run(const isa::LutInsn& l, unsigned gap = 0) {
    SCOPED_TRACE(::testing::Message() << "lut t_addr " << l.t_addr << " src " << l.src_addr << " stride "
                                      << l.src_stride << " dst " << l.dst_addr << " stride " << l.dst_stride << " rows "
                                      << l.n_rows << " segs " << l.row_segs);
    const bitgrid::Insn in = bitgrid::encode(l);
    const bitgrid::Engine& e = *bitgrid::engine_of(static_cast<uint64_t>(isa::Op::kLut));
    ASSERT_EQ(e.check(in, hw), "");
    const uint64_t E = bgtest::oracle_engine_cycles(hw, in);
    ASSERT_EQ(e.cycles(in, hw), E);
    std::vector<bitgrid::SpmWrite> ref;
    e.execute(in, hw, spm, ref);
    std::vector<Write> model;  // the model's rows cut into segments, as the engine writes them
    for (const auto& w : ref)
      for (size_t j = 0; j < w.words.size(); j += kW)
        model.push_back(
            {static_cast<uint32_t>(w.addr + j), std::vector<uint64_t>(w.words.begin() + static_cast<long>(j),
                                                                      w.words.begin() + static_cast<long>(j + kW))});
    const std::vector<Write> hand = by_hand(l);
    ASSERT_EQ(model, hand) << "the reference model against the lookups by hand";

    idle(gap);
    Seen all;
    const Insn x = bgtest::encode(l);
    for (uint64_t t = 0; t <= E; ++t) {
      const Seen s = cycle(t == 0, t == 0 ? x : Insn{rng(), rng()});
      ASSERT_EQ(s.last, t == E) << "last_o in cycle c+" << t << " (E = " << E << ")";
      if (t == 0) ASSERT_FALSE(s.any) << "request in the issue cycle";
      all.treads.insert(all.treads.end(), s.treads.begin(), s.treads.end());
      all.oreads.insert(all.oreads.end(), s.oreads.begin(), s.oreads.end());
      all.writes.insert(all.writes.end(), s.writes.begin(), s.writes.end());
    }
    ++instructions;
    std::vector<uint32_t> want_t, want_o;
    for (uint32_t i = 0; i < 8; ++i) want_t.push_back(static_cast<uint32_t>(l.t_addr + 4 * i));
    for (uint64_t r = 0; r < l.n_rows; ++r)
      for (uint64_t s = 0; s < l.row_segs; ++s)
        want_o.push_back(static_cast<uint32_t>(l.src_addr + r * l.src_stride + s * kW));
    EXPECT_EQ(all.treads, want_t) << "tbuf reads";
    EXPECT_EQ(all.oreads, want_o) << "obuf reads";
    EXPECT_EQ(all.writes, hand) << "abuf writes";
  }

  isa::LutInsn random_insn() {
    isa::LutInsn l;
    l.t_addr = 32 * (rng() % (words(isa::Buf::kTbuf) / 32));
    l.n_rows = 1 + rng() % 10;
    l.row_segs = 1 + rng() % 6;
    const uint64_t row = l.row_segs * kW;
    l.src_stride = (row + (rng() % 3) * kW);
    l.dst_stride = (row + (rng() % 2) * kW);
    if (rng() % 5 == 0) l.src_stride = 0;  // the same row again
    l.src_addr = kW * (rng() % ((words(isa::Buf::kObuf) - (l.n_rows - 1) * l.src_stride - row) / kW));
    l.dst_addr = kW * (rng() % ((words(isa::Buf::kAbuf) - (l.n_rows - 1) * l.dst_stride - row) / kW));
    return l;
  }
};

TEST_F(LutTest, ResetIdle) {
  sim.settle();
  EXPECT_FALSE(sim->last_o);
  idle(5);
}

TEST_F(LutTest, RandomInstructions) {
  fill_random();
  for (int i = 0; i < 40 && !HasFatalFailure(); ++i) run(random_insn(), static_cast<unsigned>(rng() % 3));
  EXPECT_EQ(instructions, 40u);
}

// Every one of the 256 values through a table that is its identity and through one that negates (saturating):
// each entry is reached, at each byte lane.
TEST_F(LutTest, EveryEntryAtEveryLane) {
  int8_t id[256], neg[256];
  for (int e = 0; e < 256; ++e) {
    const int v = e < 128 ? e : e - 256;
    id[e] = static_cast<int8_t>(v);
    neg[e] = static_cast<int8_t>(v == -128 ? 127 : -v);
  }
  const auto tid = bitgrid::lut::pack_table(id), tneg = bitgrid::lut::pack_table(neg);
  std::copy(tid.begin(), tid.end(), buf(isa::Buf::kTbuf));
  std::copy(tneg.begin(), tneg.end(), buf(isa::Buf::kTbuf) + 32);
  // obuf: the 256 byte values in order, then shifted by one byte, so each value meets each lane
  for (uint32_t a = 0; a < 64; ++a) {
    uint64_t w = 0;
    for (unsigned b = 0; b < 8; ++b) w |= uint64_t{static_cast<uint8_t>(a * 8 + b + a / 32)} << (8 * b);
    buf(isa::Buf::kObuf)[a] = w;
  }
  isa::LutInsn l;
  l.n_rows = 1;
  l.row_segs = 64 / kW;
  run(l);
  l.t_addr = 32;
  l.dst_addr = 128;
  run(l, 1);
  EXPECT_EQ(buf(isa::Buf::kObuf)[0] & 0xFF, 0u);
}

TEST_F(LutTest, OneSegmentAndBackToBack) {
  fill_random();
  isa::LutInsn l;
  l.n_rows = 1;
  l.row_segs = 1;
  run(l);
  for (int i = 0; i < 8 && !HasFatalFailure(); ++i) run(random_insn(), 0);
}

TEST_F(LutTest, StartWhileRunningIsAsserted) {
  fill_random();
  sim.expect_assertions(true);
  isa::LutInsn l;
  l.n_rows = 2;
  l.row_segs = 1;
  const Insn x = bgtest::encode(l);
  cycle(true, x);
  cycle(true, x);
  EXPECT_TRUE(fired_with(sim.take_fired(), "bg_lut: started while running"));
}

}  // namespace
