// rtl/board/bg_board.sv with a config's configured package (BG_HW_YAML: configs/hw/up5k.yaml) (ClksPerBit 4; the -G
// value and the config of tests/rtl/CMakeLists.txt), driven only through its UART pins with the protocol of
// docs/BOARD.md: identify, memory write/read, program load, errors, and runs. A run's reply (status,
// causes, cycles, per-queue busy cycles, DRAM statistics) must equal the SystemC model's result for the
// same program and memory image (bitgrid::run_backend, linked in-process; the systemc and rtl backends
// give the same numbers by the project's co-verification), and the memory read back the reference
// executor's bytes.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "Vdut.h"
#include "backend.h"
#include "bitgrid/executor.h"
#include "bitgrid/hwconfig.h"
#include "bitgrid/insn.h"
#include "board_protocol.h"
#include "rtl_test_util.h"
#include "workloads.h"

// The SystemC library calls sc_main from its own main(); gtest_main's main is the entry point here.
extern "C" int sc_main(int, char**) { return 1; }

namespace {

constexpr unsigned kCpb = BG_BOARD_CLKS_PER_BIT;
constexpr uint32_t kMemBytes = 128 * 1024;  // bg_board's default MemBytes
constexpr uint32_t kProgInsns = 256;        // and ProgInsns
using Bytes = std::vector<uint8_t>;
namespace isa = bitgrid::isa;

bitgrid::HwConfig board_hw() { return bitgrid::HwConfig::from_yaml(YAML::LoadFile(BG_HW_YAML), BG_HW_YAML); }

void put_u32(Bytes& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void put_u64(Bytes& b, uint64_t v) {
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// The host end of the UART: drives uart_rx_i with 8N1 frames of ClksPerBit cycles per bit, back to back,
// and decodes uart_tx_o (sampling each bit in its middle).
class Host {
 public:
  explicit Host(bgtest::Clocked<Vdut>& sim) : sim_(sim) {
    sim_->uart_rx_i = 1;  // idle line before the first edge after reset
  }
  void send(const Bytes& bytes) {
    for (uint8_t b : bytes)
      for (int k = 0; k < 10; ++k) {
        const int v = k == 0 ? 0 : k == 9 ? 1 : (b >> (k - 1)) & 1;
        for (unsigned c = 0; c < kCpb; ++c) line_.push_back(v);
      }
  }
  // Runs until `n` reply bytes arrived (all queued bytes sent first); fails after `limit` cycles.
  Bytes recv(size_t n, uint64_t limit = 2000000) {
    for (uint64_t c = 0; (got_.size() < n || !line_.empty()) && c < limit; ++c) tick();
    EXPECT_GE(got_.size(), n) << "reply timed out";
    Bytes r(got_.begin(), got_.begin() + static_cast<long>(std::min(n, got_.size())));
    got_.erase(got_.begin(), got_.begin() + static_cast<long>(r.size()));
    return r;
  }
  // Whatever arrives in the next `cycles` cycles.
  Bytes idle(uint64_t cycles) {
    for (uint64_t c = 0; c < cycles; ++c) tick();
    Bytes r(got_.begin(), got_.end());
    got_.clear();
    return r;
  }
  uint64_t cycle() const { return sim_.cycle(); }

 private:
  void tick() {
    sim_->uart_rx_i = line_.empty() ? 1 : line_.front();
    if (!line_.empty()) line_.pop_front();
    sim_.settle();
    const int v = sim_->uart_tx_o;
    if (frame_t_ < 0) {
      if (v == 0) frame_t_ = 0;
    } else {
      ++frame_t_;
      const long t = frame_t_ - static_cast<long>(kCpb / 2);
      if (t > 0 && t % kCpb == 0) {
        const long bit = t / kCpb;  // 1..8 data, 9 stop
        if (bit <= 8) {
          byte_ |= static_cast<uint8_t>(v << (bit - 1));
        } else {
          EXPECT_EQ(v, 1) << "stop bit of a reply byte";
          got_.push_back(byte_);
          byte_ = 0;
          frame_t_ = -1;
        }
      }
    }
    sim_.edge();
  }
  bgtest::Clocked<Vdut>& sim_;
  std::deque<int> line_;
  std::deque<uint8_t> got_;
  long frame_t_ = -1;
  uint8_t byte_ = 0;
};

struct RunReply {
  unsigned status = 0, causes = 0;
  uint64_t cycles = 0;
  uint64_t busy[isa::kNumQueues] = {};
  bitgrid::DramModel::Stats dram;
  unsigned flags = 0;
};

class BoardTest : public ::testing::Test {
 protected:
  bgtest::Clocked<Vdut> sim;
  Host host{sim};
  bitgrid::HwConfig hw = board_hw();
  unsigned beat = static_cast<unsigned>(hw.dram_bytes_per_cycle);

  static void SetUpTestSuite() { setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1); }

  void expect_ok(const char* what) { EXPECT_EQ(host.recv(1), Bytes{'K'}) << what; }
  void expect_err(uint8_t code, const char* what) { EXPECT_EQ(host.recv(2), (Bytes{'E', code})) << what; }

  void write_mem(uint32_t addr, const Bytes& data) {
    Bytes cmd{'W'};
    put_u32(cmd, addr);
    put_u32(cmd, static_cast<uint32_t>(data.size()));
    cmd.insert(cmd.end(), data.begin(), data.end());
    host.send(cmd);
    expect_ok("W");
  }
  Bytes read_mem(uint32_t addr, uint32_t n) {
    Bytes cmd{'R'};
    put_u32(cmd, addr);
    put_u32(cmd, n);
    host.send(cmd);
    Bytes r = host.recv(n + 2);
    EXPECT_EQ(r.front(), 'D');
    EXPECT_EQ(r.back(), 'K');
    return Bytes(r.begin() + 1, r.end() - 1);
  }
  void load_program(const bitgrid::Program& p) {
    Bytes cmd{'P'};
    put_u32(cmd, static_cast<uint32_t>(p.insns.size()));
    for (const auto& in : p.insns) {
      put_u64(cmd, in.w[0]);
      put_u64(cmd, in.w[1]);
    }
    host.send(cmd);
    expect_ok("P");
  }
  RunReply start(uint64_t max_cycles) {
    Bytes cmd{'S'};
    put_u64(cmd, max_cycles);
    host.send(cmd);
    const size_t n = bitgrid::board::run_report_bytes(isa::kNumQueues) + 2;
    const Bytes r = host.recv(n, 50000000);
    RunReply rr;
    if (r.size() != n) return rr;
    EXPECT_EQ(r.front(), 'F');
    EXPECT_EQ(r.back(), 'K');
    const bitgrid::board::RunReport d = bitgrid::board::decode_run_report(r.data() + 1, isa::kNumQueues, beat);
    rr.status = d.status;
    rr.causes = d.causes;
    rr.cycles = d.cycles;
    for (size_t q = 0; q < isa::kNumQueues; ++q) rr.busy[q] = d.busy[q];
    rr.dram = d.dram;
    rr.flags = d.flags;
    return rr;
  }

  // Loads the image and the program, runs it, and compares with the SystemC model and the reference.
  RunReply run_and_compare(const bitgrid::Program& p, Bytes mem, const std::string& what) {
    SCOPED_TRACE(what);
    mem.resize((mem.size() + beat - 1) / beat * beat, 0);
    write_mem(0, mem);
    load_program(p);
    const uint64_t t0 = host.cycle();
    const RunReply r = start(0);
    bitgrid::SimOptions opt;
    const bitgrid::SimResult sc = bitgrid::run_backend(hw, p, mem, opt);
    EXPECT_EQ(r.status, sc.fault ? 1u : 0u);
    EXPECT_EQ(r.causes, sc.fault.causes);
    EXPECT_EQ(r.cycles, sc.cycles) << "cycle count: board vs systemc";
    for (int q = 0; q < isa::kNumQueues; ++q)
      EXPECT_EQ(r.busy[q], sc.units[static_cast<size_t>(q)].busy_cycles) << "busy cycles of queue " << q;
    EXPECT_EQ(r.dram.read_bytes, sc.dram.read_bytes);
    EXPECT_EQ(r.dram.write_bytes, sc.dram.write_bytes);
    EXPECT_EQ(r.dram.read_requests, sc.dram.read_requests);
    EXPECT_EQ(r.dram.write_beats, sc.dram.write_beats);
    EXPECT_EQ(r.dram.bus_busy_cycles, sc.dram.bus_busy_cycles);
    EXPECT_EQ(r.flags, 0u);
    const Bytes back = read_mem(0, static_cast<uint32_t>(mem.size()));
    EXPECT_EQ(back, sc.memory) << "memory: board vs systemc";
    if (!sc.fault) {
      EXPECT_EQ(back, bitgrid::execute(p, hw, mem)) << "memory: board vs reference";
    }
    RecordProperty(what + "_cycles", static_cast<int>(r.cycles));
    RecordProperty(what + "_board_cycles", static_cast<int>(host.cycle() - t0));
    return r;
  }
};

#ifndef BG_BOARD_COUNT_W  // the board as built for the FPGA (bg_board's default CountW)

uint64_t get_le(const Bytes& b, size_t at, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= uint64_t{b.at(at + static_cast<size_t>(i))} << (8 * i);
  return v;
}

TEST_F(BoardTest, Identify) {
  host.send({'I'});
  const Bytes r = host.recv(18);
  ASSERT_EQ(r.size(), 18u);
  EXPECT_EQ(r[0], 'I');
  EXPECT_EQ(r[1], 2);  // protocol version
  EXPECT_EQ(r[2], hw.dram_bytes_per_cycle);
  EXPECT_EQ(r[3], 16);
  EXPECT_EQ(r[4], isa::kNumQueues);
  EXPECT_EQ(get_le(r, 5, 4), kMemBytes);
  EXPECT_EQ(get_le(r, 9, 4), kProgInsns);
  EXPECT_EQ(get_le(r, 13, 4), 0u);  // ConfigHash default
  EXPECT_EQ(r[17], 'K');
}

TEST_F(BoardTest, MemoryRoundTripAndErrors) {
  std::mt19937_64 rng(5);
  Bytes data(1024);
  for (auto& b : data) b = static_cast<uint8_t>(rng());
  write_mem(0x400, data);
  EXPECT_EQ(read_mem(0x400, 1024), data);
  EXPECT_EQ(read_mem(0x400 + 8 * beat, 2 * beat), Bytes(data.begin() + 8 * beat, data.begin() + 10 * beat));
  EXPECT_EQ(read_mem(kMemBytes - beat, beat).size(), beat);
  EXPECT_TRUE(read_mem(0, 0).empty());

  // unknown command
  host.send({'x'});
  expect_err(1, "unknown command");
  // bad writes: the data bytes are consumed, then 'E' 2
  for (const auto& [addr, n] : std::vector<std::pair<uint32_t, uint32_t>>{
           {1, beat}, {0, beat + 1}, {kMemBytes - beat, 2 * beat}, {0xFFFFFFF8u, beat}}) {
    Bytes cmd{'W'};
    put_u32(cmd, addr);
    put_u32(cmd, n);
    cmd.insert(cmd.end(), n, 0xEE);
    host.send(cmd);
    expect_err(2, "bad W");
  }
  // bad reads: 'E' 2 at once
  for (const auto& [addr, n] : std::vector<std::pair<uint32_t, uint32_t>>{{4, beat}, {0, kMemBytes + beat}}) {
    Bytes cmd{'R'};
    put_u32(cmd, addr);
    put_u32(cmd, n);
    host.send(cmd);
    expect_err(2, "bad R");
  }
  // nothing was written by the bad requests
  EXPECT_EQ(read_mem(0x400, 1024), data);
  // the board still answers
  host.send({'I'});
  EXPECT_EQ(host.recv(18).back(), 'K');
}

TEST_F(BoardTest, ProgramErrors) {
  // no program yet
  Bytes s{'S'};
  put_u64(s, 0);
  host.send(s);
  expect_err(4, "S without a program");
  // too long: the instructions are consumed, then 'E' 3
  Bytes p{'P'};
  put_u32(p, kProgInsns + 1);
  p.insert(p.end(), (kProgInsns + 1) * 16, 0);
  host.send(p);
  expect_err(3, "P too long");
  host.send({'I'});
  EXPECT_EQ(host.recv(18).back(), 'K');
}

// A hand-made program: load a query and a tile, hamtopk, store the top-k state, finish.
TEST_F(BoardTest, HandMadeProgram) {
  using isa::Buf;
  const uint64_t Wb = static_cast<uint64_t>(hw.beat_words());
  const uint64_t L = static_cast<uint64_t>(hw.ham_lanes);
  const uint64_t n = 7, cw = 2, k = static_cast<uint64_t>(hw.topk_max);  // 7 codes of 128 bits
  std::mt19937_64 rng(11);
  Bytes mem;
  auto put_words = [&](const std::vector<uint64_t>& w) {
    const uint64_t at = mem.size();
    mem.resize(at + bgtest::round_up(w.size() * 8, static_cast<uint64_t>(beat)), 0);
    std::memcpy(mem.data() + at, w.data(), w.size() * 8);
    return at;
  };
  std::vector<uint64_t> q(cw);
  for (auto& x : q) x = rng();
  const uint64_t G = (n + L - 1) / L;
  std::vector<uint64_t> tile(G * cw * L, 0);  // m = 1 word per lane step: word ((g*S+s)*L+l)
  for (uint64_t c = 0; c < n; ++c)
    for (uint64_t s = 0; s < cw; ++s) tile[((c / L) * cw + s) * L + c % L] = (c == 3) ? q[s] ^ 0x10 : rng();
  const uint64_t qa = put_words(q), ta = put_words(tile);
  const uint64_t out = mem.size();
  mem.resize(out + 256, 0);

  bitgrid::Program p;
  bitgrid::Deps none, push_next, pop_prev_push_next, store_deps, fin;
  push_next.push_next = true;
  pop_prev_push_next.pop_prev = true;
  pop_prev_push_next.push_next = true;
  store_deps.pop_prev = true;
  store_deps.push_prev = true;
  fin.pop_next = true;
  p.insns.push_back(bitgrid::make_load(Buf::kQbuf, 0, bgtest::round_up(cw, Wb), qa, none));
  p.insns.push_back(bitgrid::make_load(Buf::kDbuf, 0, bgtest::round_up(tile.size(), Wb), ta, push_next));
  isa::HamtopkInsn h;
  h.init = 1;
  h.k = k;
  h.code_words = cw;
  h.q_addr = 0;
  h.db_addr = 0;
  h.base_index = 100;
  h.r_addr = 0;
  h.n_codes = n;
  p.insns.push_back(bgtest::hamtopk(h, pop_prev_push_next));
  p.insns.push_back(bitgrid::make_store(Buf::kRbuf, 0, bgtest::round_up(k, Wb), out, store_deps));
  p.insns.push_back(bitgrid::make_finish(fin));
  bitgrid::check_program(p, hw, mem.size());
  run_and_compare(p, mem, "handmade");
  // the nearest code is #3 (one bit flipped in each of its two words): the first top-k entry is
  // {index 103, distance 2}
  const Bytes r = read_mem(static_cast<uint32_t>(out), 8);
  EXPECT_EQ(get_le(r, 0, 8), (uint64_t{103} << 32) | 2u);
}

// Random legal programs (tests/sim/workloads.h: double-buffered load/hamtopk/store blocks), several runs
// on one board (each from a fresh accelerator and DRAM timing reset).
TEST_F(BoardTest, RandomPrograms) {
  for (uint32_t seed = 1; seed <= 6; ++seed) {
    const bgtest::Workload w = bgtest::legal_workload(hw, seed, 2 + static_cast<int>(seed), 12);
    run_and_compare(w.prog, w.mem, "seed" + std::to_string(seed));
  }
}

// A machine fault (a load into rbuf, which the load DMA may not fill: bad_buffer) and a max_cycles stop.
TEST_F(BoardTest, FaultAndTimeout) {
  Bytes mem(256, 0x33);
  bitgrid::Program bad;  // the load faults at issue in cycle 1, before finish can issue (cycle 2)
  bad.insns.push_back(bitgrid::make_load(isa::Buf::kRbuf, 0, 4, 0));
  bad.insns.push_back(bitgrid::make_finish());
  const RunReply f = run_and_compare(bad, mem, "fault");
  EXPECT_EQ(f.status, 1u);
  EXPECT_EQ(f.causes, 1u << static_cast<unsigned>(isa::Fault::kBadBuffer));
  EXPECT_EQ(f.cycles, 2u);

  const bgtest::Workload w = bgtest::legal_workload(hw, 9, 3, 12);
  Bytes m = w.mem;
  m.resize((m.size() + beat - 1) / beat * beat, 0);
  write_mem(0, m);
  load_program(w.prog);
  const RunReply r = start(37);
  EXPECT_EQ(r.status, 2u);
  EXPECT_EQ(r.causes, 0u);
  EXPECT_EQ(r.cycles, 37u);
  write_mem(0, m);
  const RunReply one = start(1);  // the smallest limit: cycle 0 runs, the run ends in cycle 1
  EXPECT_EQ(one.status, 2u);
  EXPECT_EQ(one.cycles, 1u);
  // the board recovers: the same program to its end
  run_and_compare(w.prog, w.mem, "after_timeout");
}

#else  // a board built with CountW = BG_BOARD_COUNT_W (8): only the counter-width limit is tested here

// max_cycles 0 (no limit) and above 2^CountW - 1 (any bit set above CountW) stop the run at 2^CountW - 1
// cycles, so the counters never wrap (docs/BOARD.md); up to that, at max_cycles.
TEST_F(BoardTest, CycleLimitSaturatesAtTheCounterWidth) {
  constexpr uint64_t kMax = (uint64_t{1} << BG_BOARD_COUNT_W) - 1;
  // a program that runs longer than that on the SystemC model
  bgtest::Workload w;
  uint64_t full = 0;
  for (uint32_t seed = 1; seed < 50 && full <= kMax + 16; ++seed) {
    w = bgtest::legal_workload(hw, seed, 8, 40);
    w.mem.resize((w.mem.size() + beat - 1) / beat * beat, 0);
    full = bitgrid::run_backend(hw, w.prog, w.mem, bitgrid::SimOptions{}).cycles;
  }
  ASSERT_GT(full, kMax + 16) << "no random workload runs long enough";
  load_program(w.prog);
  const uint64_t limits[] = {
      0, 1, kMax - 1, kMax, kMax + 1, uint64_t{1} << BG_BOARD_COUNT_W, uint64_t{1} << 40, ~uint64_t{0}};
  for (const uint64_t limit : limits) {
    SCOPED_TRACE("max_cycles " + std::to_string(limit));
    write_mem(0, w.mem);
    const RunReply r = start(limit);
    EXPECT_EQ(r.status, 2u);
    EXPECT_EQ(r.causes, 0u);
    EXPECT_EQ(r.cycles, limit == 0 ? kMax : std::min(limit, kMax));
  }
}

#endif

}  // namespace
