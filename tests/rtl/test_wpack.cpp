// rtl/engines/wpack/bg_wpack.sv (the weight packer behind the compute dispatcher) with an emulated obuf read port
// (1-cycle latency, random data on the bus when nothing was read) and recorded wbuf writes: every wpack against the
// reference model's engine (bitgrid::Engine::execute of the wpack opcode) and against the tile packed here bit by
// bit from the layout of ARCHITECTURE.md §3.2 (plane i of pair p at p*8*PW + i*PW, bit kk*C + c = bit i of
// W[c][2R*p + kk]); the schedule of R18 checked cycle by cycle (start_i in c, each obuf read and each plane write in
// its cycle, last_o exactly in c+E, nothing in c, c+E-1, c+E nor while idle). Parameter sets (MacRows, MacCols):
// (16,16), (8,8), (8,16), (8,32) and (16,8).
#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <vector>

#include "Vdut.h"
#include "bitgrid/engine.h"
#include "bitgrid/engines/wpack.h"
#include "bitgrid/gen/isa.h"
#include "bitgrid/hwconfig.h"
#include "rtl_test_util.h"

namespace {

using namespace bgtest;
namespace isa = bitgrid::isa;

constexpr unsigned kR = BG_MAC_ROWS;
constexpr unsigned kC = BG_MAC_COLS;
constexpr unsigned kW = kC / 8;                   // obuf words per read
constexpr unsigned kPW = kR * kC / 32;            // wbuf words per plane
constexpr unsigned k2R = 2 * kR;                  // weights of a pair along k
constexpr unsigned kJ = k2R > kC ? k2R / kC : 1;  // reads per channel row (trans 0)

bitgrid::HwConfig hw_config() {
  bitgrid::HwConfig hw;
  hw.mac_rows = kR;
  hw.mac_cols = kC;
  hw.obuf_kib = 64;  // 8K words
  hw.wbuf_kib = 64;
  return hw;
}

// R18, written again from the rule: E = n_pairs*(nr + 1 + 8) + 2.
uint64_t reads_per_pair(bool trans) { return trans ? k2R : kC * kJ; }
uint64_t rule_cycles(bool trans, uint64_t n_pairs) { return n_pairs * (reads_per_pair(trans) + 9) + 2; }

struct Write {
  uint32_t addr = 0;
  std::vector<uint64_t> data;
  bool operator==(const Write& o) const { return addr == o.addr && data == o.data; }
};
std::ostream& operator<<(std::ostream& os, const Write& w) {
  os << "wbuf[" << w.addr << "] =" << std::hex;
  for (uint64_t d : w.data) os << " " << d;
  return os << std::dec;
}

class WpackTest : public ::testing::Test {
 protected:
  Clocked<Vdut> sim;
  std::mt19937_64 rng{18};
  bitgrid::HwConfig hw = hw_config();
  bitgrid::Scratchpads spm{hw};
  std::optional<uint32_t> opend;
  uint64_t instructions = 0;

  uint64_t* obuf() { return spm.data(isa::Buf::kObuf); }
  uint32_t words(isa::Buf b) const { return static_cast<uint32_t>(spm.words(b)); }
  void fill_random() {
    for (uint32_t a = 0; a < words(isa::Buf::kObuf); ++a) obuf()[a] = rng();
  }
  void fill(uint8_t v) {
    for (uint32_t a = 0; a < words(isa::Buf::kObuf); ++a) obuf()[a] = 0x0101010101010101ull * v;
  }

  struct Seen {
    std::optional<uint32_t> oread;
    std::optional<Write> write;
    bool last = false;
  };
  Seen cycle(bool start, const Insn& insn) {
    Seen s;
    sim->start_i = start;
    set_insn(sim->insn_i, insn);
    for (unsigned j = 0; j < kW; ++j)
      set_word(sim->obuf_rdata_i, j, opend ? obuf()[(*opend + j) % words(isa::Buf::kObuf)] : rng());
    sim.settle();
    s.last = sim->last_o;
    const SpmReq o = get_spm_req(sim->obuf_req_o), w = get_spm_req(sim->wbuf_req_o);
    EXPECT_FALSE(o.we) << "obuf write";
    EXPECT_TRUE(o.req || o.addr == 0) << "obuf address without a request";
    EXPECT_TRUE(w.req || (w.addr == 0 && !w.we)) << "wbuf address without a request";
    if (o.req) {
      EXPECT_EQ(o.addr % kW, 0u) << "unaligned obuf read";
      s.oread = o.addr;
    }
    if (w.req) {
      EXPECT_TRUE(w.we) << "wbuf read";
      Write x{w.addr, {}};
      for (unsigned j = 0; j < kPW; ++j) x.data.push_back(get_word(sim->wbuf_wdata_o, j));
      s.write = x;
    }
    opend = o.req ? std::optional<uint32_t>(o.addr) : std::nullopt;
    sim.edge();
    return s;
  }
  void idle(unsigned n) {
    for (unsigned i = 0; i < n; ++i) {
      const Seen s = cycle(false, Insn{rng(), rng()});
      EXPECT_FALSE(s.last || s.oread || s.write) << "activity while idle";
    }
  }

  // W[c][k] of the instruction, from the rows of obuf (zero past n_rows).
  uint8_t weight(const isa::WpackInsn& x, uint64_t c, uint64_t k) {
    const uint64_t row = x.trans ? k : c, byte = x.trans ? c : k;
    if (row >= x.n_rows) return 0;
    const uint64_t word = obuf()[x.src_addr + row * x.src_stride + byte / 8];
    return static_cast<uint8_t>(word >> (8 * (byte % 8)));
  }
  // The planes packed here bit by bit, in write order.
  std::vector<Write> by_hand(const isa::WpackInsn& x) {
    std::vector<Write> out;
    for (uint64_t p = 0; p < x.n_pairs; ++p)
      for (unsigned i = 0; i < 8; ++i) {
        Write w{static_cast<uint32_t>(x.dst_addr + p * 8 * kPW + i * kPW), std::vector<uint64_t>(kPW, 0)};
        for (uint64_t kk = 0; kk < k2R; ++kk)
          for (uint64_t c = 0; c < kC; ++c) {
            const uint64_t bit = (weight(x, c, p * k2R + kk) >> i) & 1, idx = kk * kC + c;
            w.data[idx / 64] |= bit << (idx % 64);
          }
        out.push_back(w);
      }
    return out;
  }
  // The obuf read of read k of pair p (R18), or none for an absent row.
  std::optional<uint32_t> want_read(const isa::WpackInsn& x, uint64_t p, uint64_t k) {
    if (x.trans) {
      const uint64_t r = p * k2R + k;
      if (r >= x.n_rows) return std::nullopt;
      return static_cast<uint32_t>(x.src_addr + r * x.src_stride);
    }
    const uint64_t c = k / kJ, j = k % kJ;
    if (c >= x.n_rows) return std::nullopt;
    const uint64_t start = x.src_addr + c * x.src_stride + p * (k2R / 8) + j * kW;
    return static_cast<uint32_t>(start - start % kW);  // 2R < C: the segment holding the pair's bytes
  }

  void run(const isa::WpackInsn& x, unsigned gap = 0) {
    SCOPED_TRACE(::testing::Message() << "wpack trans " << x.trans << " n_pairs " << x.n_pairs << " n_rows " << x.n_rows
                                      << " src " << x.src_addr << " stride " << x.src_stride << " dst " << x.dst_addr);
    const bitgrid::Insn in = bitgrid::encode(x);
    const bitgrid::Engine& e = *bitgrid::engine_of(static_cast<uint64_t>(isa::Op::kWpack));
    ASSERT_EQ(e.check(in, hw), "");
    const uint64_t E = rule_cycles(x.trans != 0, x.n_pairs);
    ASSERT_EQ(e.cycles(in, hw), E) << "the model's E against R18";
    std::vector<bitgrid::SpmWrite> ref;
    e.execute(in, hw, spm, ref);
    std::vector<Write> model;  // the model's tile cut into planes, as the engine writes them
    for (const auto& w : ref) {
      ASSERT_EQ(w.buf, isa::Buf::kWbuf);
      for (size_t j = 0; j < w.words.size(); j += kPW)
        model.push_back(
            {static_cast<uint32_t>(w.addr + j), std::vector<uint64_t>(w.words.begin() + static_cast<long>(j),
                                                                      w.words.begin() + static_cast<long>(j + kPW))});
    }
    const std::vector<Write> hand = by_hand(x);
    ASSERT_EQ(model, hand) << "the reference model against the packing by hand";

    idle(gap);
    const Insn insn = bgtest::encode(x);
    const uint64_t nr = reads_per_pair(x.trans != 0), span = nr + 9;
    std::vector<Write> writes;
    for (uint64_t t = 0; t <= E; ++t) {
      const Seen s = cycle(t == 0, t == 0 ? insn : Insn{rng(), rng()});
      ASSERT_EQ(s.last, t == E) << "last_o in cycle c+" << t << " (E = " << E << ")";
      std::optional<uint32_t> rd;
      std::optional<Write> wr;
      if (t >= 1 && t <= E - 2) {
        const uint64_t p = (t - 1) / span, k = (t - 1) % span;
        if (k < nr) rd = want_read(x, p, k);
        if (k >= nr + 1) wr = hand[p * 8 + (k - nr - 1)];
      }
      EXPECT_EQ(s.oread, rd) << "obuf read in cycle c+" << t;
      if (s.write) writes.push_back(*s.write);
      EXPECT_EQ(s.write.has_value(), wr.has_value()) << "wbuf write in cycle c+" << t;
      if (s.write && wr) {
        EXPECT_EQ(*s.write, *wr) << "plane written in cycle c+" << t;
      }
      if (HasFailure()) break;
    }
    ++instructions;
    EXPECT_EQ(writes, model) << "wbuf writes against the model";
  }

  // A random legal instruction; rows: a corner (1, just below or at the limit) or random.
  isa::WpackInsn random_insn() {
    isa::WpackInsn x;
    x.trans = rng() % 2;
    x.n_pairs = 1 + (rng() % 4 == 0 ? rng() % 8 : rng() % 3);
    const uint64_t K = k2R * x.n_pairs, limit = x.trans ? K : kC;
    switch (rng() % 5) {
      case 0:
        x.n_rows = 1;
        break;
      case 1:
        x.n_rows = limit > 1 ? limit - 1 : 1;
        break;
      case 2:
        x.n_rows = limit;
        break;
      default:
        x.n_rows = 1 + rng() % limit;
    }
    const uint64_t row = x.trans ? kW : K / 8;  // words of a source row
    const uint64_t row_al = (row + kW - 1) / kW * kW;
    x.src_stride = row_al + kW * (rng() % 3);  // larger than a row, or just the row
    if (rng() % 8 == 0) x.src_stride = 0;      // the same row again
    const uint64_t span = (x.n_rows - 1) * x.src_stride + row;
    x.src_addr = kW * (rng() % ((words(isa::Buf::kObuf) - span) / kW + 1));
    const uint64_t tile = bitgrid::wpack::tile_words(hw, x.n_pairs);
    x.dst_addr = kPW * (rng() % ((words(isa::Buf::kWbuf) - tile) / kPW + 1));
    return x;
  }
};

TEST_F(WpackTest, ResetIdle) {
  sim.settle();
  EXPECT_FALSE(sim->last_o);
  idle(5);
}

TEST_F(WpackTest, RandomInstructions) {
  fill_random();
  for (int i = 0; i < 60 && !HasFatalFailure() && !HasFailure(); ++i)
    run(random_insn(), static_cast<unsigned>(rng() % 3));
  EXPECT_EQ(instructions, 60u);
}

// Both orientations at their limits: all rows, one row, one row short; several pairs; nonzero dst.
TEST_F(WpackTest, RowCorners) {
  fill_random();
  for (uint64_t trans : {0, 1})
    for (uint64_t pairs : {1, 2, 3}) {
      const uint64_t limit = trans ? k2R * pairs : kC;
      for (uint64_t rows : {uint64_t{1}, limit - 1, limit}) {
        if (HasFailure()) return;
        isa::WpackInsn x;
        x.trans = trans;
        x.n_pairs = pairs;
        x.n_rows = rows;
        const uint64_t row = trans ? kW : (k2R * pairs / 8 + kW - 1) / kW * kW;
        x.src_stride = row + kW;
        x.src_addr = 3 * kW;
        x.dst_addr = 5 * kPW;
        run(x, 1);
      }
    }
}

// Every byte 0x00, 0xFF, 0x80, 0x7F (all planes zero / one; only the sign plane; all but the sign plane), with
// absent rows among present ones.
TEST_F(WpackTest, ConstantBytes) {
  for (uint8_t v : {uint8_t{0x00}, uint8_t{0xFF}, uint8_t{0x80}, uint8_t{0x7F}}) {
    fill(v);
    for (uint64_t trans : {0, 1}) {
      if (HasFailure()) return;
      isa::WpackInsn x;
      x.trans = trans;
      x.n_pairs = 2;
      x.n_rows = trans ? k2R + 3 : kC / 2 + 1;
      x.src_stride = trans ? kW : (k2R * 2 / 8 + kW - 1) / kW * kW;
      x.dst_addr = kPW;
      run(x);
    }
  }
}

TEST_F(WpackTest, BackToBack) {
  fill_random();
  for (int i = 0; i < 10 && !HasFailure(); ++i) run(random_insn(), 0);
}

// Instructions the checker refuses do not hang the engine (the module header): n_pairs = 0 ends at c+2 without a
// request; n_rows = 0 runs the full schedule without an obuf read and writes zero planes.
TEST_F(WpackTest, RefusedInstructionsEnd) {
  fill_random();
  for (uint64_t trans : {0, 1}) {
    isa::WpackInsn x;
    x.trans = trans;
    x.n_pairs = 0;
    x.n_rows = 1;
    x.dst_addr = 2 * kPW;
    for (uint64_t t = 0; t <= 2; ++t) {
      const Seen s = cycle(t == 0, t == 0 ? bgtest::encode(x) : Insn{rng(), rng()});
      EXPECT_EQ(s.last, t == 2) << "n_pairs 0: last_o in c+" << t;
      EXPECT_FALSE(s.oread || s.write) << "n_pairs 0: request in c+" << t;
    }
    x.n_pairs = 2;
    x.n_rows = 0;
    const uint64_t E = rule_cycles(trans != 0, 2);
    unsigned planes = 0;
    for (uint64_t t = 0; t <= E; ++t) {
      const Seen s = cycle(t == 0, t == 0 ? bgtest::encode(x) : Insn{rng(), rng()});
      EXPECT_EQ(s.last, t == E) << "n_rows 0: last_o in c+" << t;
      EXPECT_FALSE(s.oread) << "n_rows 0: obuf read in c+" << t;
      if (s.write) {
        EXPECT_EQ(s.write->addr, x.dst_addr + planes * kPW);
        EXPECT_EQ(s.write->data, std::vector<uint64_t>(kPW, 0)) << "n_rows 0: nonzero plane";
        ++planes;
      }
    }
    EXPECT_EQ(planes, 16u);
    idle(2);
  }
}

TEST_F(WpackTest, StartWhileRunningIsAsserted) {
  fill_random();
  sim.expect_assertions(true);
  isa::WpackInsn x;
  x.n_pairs = 1;
  x.n_rows = 1;
  const Insn in = bgtest::encode(x);
  cycle(true, in);
  cycle(true, in);
  EXPECT_TRUE(fired_with(sim.take_fired(), "bg_wpack: started while running"));
}

}  // namespace
