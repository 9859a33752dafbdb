// rtl/board/bg_board_dram.sv against sim/dram_model.h's DramModel (the R6 model both simulators use), on
// random request streams shaped like the DMA units': read bursts of 1..BurstBeats beats while fewer than
// MaxOutstanding are outstanding (R7: from the request through the cycle of the last beat), and write
// beats (runs of back-to-back beats like a store's, single beats, and phases with a beat every cycle), a
// write and a read often in the same cycle. Every cycle rd_valid_o/rd_data_o and wr_ack_o must equal the
// model's events; at the end the statistics and, read back through the host port, the whole memory.
// The parameters come from tests/rtl/CMakeLists.txt (BG_DRAM_*, the same values as the -G arguments).
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <random>
#include <vector>

#include "Vdut.h"
#include "dram_model.h"
#include "rtl_test_util.h"

namespace {

using namespace bgtest;

constexpr unsigned kBeatBytes = BG_DRAM_BEAT_BYTES;
constexpr unsigned kMemBytes = BG_DRAM_MEM_BYTES;
constexpr unsigned kLatency = BG_DRAM_LATENCY;
constexpr unsigned kBurst = BG_DRAM_BURST;
constexpr unsigned kMaxOut = BG_DRAM_MAX_OUTSTANDING;
constexpr unsigned kMemBeats = kMemBytes / kBeatBytes;
constexpr unsigned pow2_ceil(unsigned v) { return 1u << clog2(v); }
constexpr unsigned kWriteQDepth = pow2_ceil(kLatency + kMaxOut * kBurst + 1);  // the RTL's default
constexpr unsigned kReadQDepth = pow2_ceil(kMaxOut) < 2 ? 2 : pow2_ceil(kMaxOut);

using Beat = std::vector<uint8_t>;

template <class Port>
void put_beat(Port& port, const uint8_t* p) {
  for (unsigned w = 0; w < kBeatBytes / 8; ++w) {
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; ++i) v |= uint64_t{p[8 * w + i]} << (8 * i);
    set_word(port, w, v);
  }
}
template <class Port>
Beat get_beat(const Port& port) {
  Beat b(kBeatBytes);
  for (unsigned w = 0; w < kBeatBytes / 8; ++w) {
    const uint64_t v = get_word(port, w);
    for (unsigned i = 0; i < 8; ++i) b[8 * w + i] = static_cast<uint8_t>(v >> (8 * i));
  }
  return b;
}

struct Traffic {
  double read_p;      // chance of a read request in a cycle (when the outstanding limit allows one)
  double write_p;     // chance of starting a run of write beats in a cycle
  unsigned run_max;   // longest run of back-to-back write beats
  bool limit_writes;  // keep the model's write backlog within the FIFO (else the test expects overflow)
};

class BoardDramTest : public ::testing::Test {
 protected:
  std::mt19937_64 rng{20240611};
  Clocked<Vdut> sim;

  unsigned pick(unsigned lo, unsigned hi) { return std::uniform_int_distribution<unsigned>(lo, hi)(rng); }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; }

  void host_write(unsigned beat, const uint8_t* p) {
    sim->host_req_i = 1;
    sim->host_we_i = 1;
    sim->host_addr_i = beat;
    put_beat(sim->host_wdata_i, p);
    sim.tick();
    sim->host_req_i = 0;
    sim->host_we_i = 0;
  }
  Beat host_read(unsigned beat) {
    sim->host_req_i = 1;
    sim->host_we_i = 0;
    sim->host_addr_i = beat;
    sim.tick();
    sim->host_req_i = 0;
    sim.settle();
    return get_beat(sim->host_rdata_o);
  }

  // Runs `cycles` cycles of random traffic; sets `overflow` to the cycle (counted from the first request
  // cycle) of the first request the model says finds its FIFO full, or -1 if none did.
  void run(const Traffic& tr, unsigned cycles, long& overflow) {
    overflow = -1;
    std::vector<uint8_t> image(kMemBytes);
    for (auto& b : image) b = static_cast<uint8_t>(rng());
    for (unsigned i = 0; i < kMemBeats; ++i) host_write(i, image.data() + i * kBeatBytes);
    sim->host_req_i = 0;
    sim->rd_req_valid_i = 0;
    sim->wr_valid_i = 0;
    sim.settle();
    EXPECT_TRUE(sim->idle_o);

    bitgrid::DramModel dram(kBeatBytes, kLatency, image);
    std::deque<uint64_t> outstanding;  // last-beat cycle of each read burst the "load unit" has in flight
    std::deque<uint64_t> wq_free;      // per pending write: the cycle it leaves the RTL's FIFO (start - 1)
    std::deque<uint64_t> rq_free;      // per pending read burst: start + beats - 2
    unsigned run_left = 0;
    uint32_t run_addr = 0;
    long overflow_at = -1;
    uint64_t reads = 0, writes = 0, both = 0, bus_waits = 0;
    const uint64_t t0 = sim.cycle();
    for (uint64_t t = 0; t < cycles + 2000; ++t) {
      const bool traffic = t < cycles && overflow_at < 0;
      while (!outstanding.empty() && outstanding.front() < t) outstanding.pop_front();
      while (!wq_free.empty() && wq_free.front() < t) wq_free.pop_front();
      while (!rq_free.empty() && rq_free.front() < t) rq_free.pop_front();
      // this cycle's requests
      bool wr = false, rd = false;
      uint32_t waddr = 0, raddr = 0;
      unsigned beats = 0;
      Beat wdata(kBeatBytes);
      if (traffic) {
        if (run_left == 0 && chance(tr.write_p)) {
          run_left = pick(1, tr.run_max);
          run_addr = pick(0, kMemBeats - 1) * kBeatBytes;
        }
        if (run_left > 0 && (!tr.limit_writes || wq_free.size() < kWriteQDepth)) {
          wr = true;
          --run_left;
          waddr = run_addr;
          run_addr = (run_addr + kBeatBytes) % kMemBytes;
          for (auto& b : wdata) b = static_cast<uint8_t>(rng());
        }
        if (outstanding.size() < kMaxOut && chance(tr.read_p)) {
          rd = true;
          beats = pick(1, kBurst);
          raddr = pick(0, kMemBeats - beats) * kBeatBytes;
        }
      }
      sim->wr_valid_i = wr;
      sim->wr_addr_i = waddr;
      put_beat(sim->wr_data_i, wdata.data());
      sim->rd_req_valid_i = rd;
      sim->rd_req_addr_i = raddr;
      sim->rd_req_beats_i = beats;
      sim.settle();
      // outputs of this cycle against the model's events
      bitgrid::DramModel::Event ev;
      const bool has = dram.pop_event(t, ev);
      const bool exp_rd = has && ev.is_read, exp_ack = has && !ev.is_read;
      if (overflow_at < 0) {
        ASSERT_EQ(sim->rd_valid_o, exp_rd) << "rd_valid_o, cycle " << t;
        ASSERT_EQ(sim->wr_ack_o, exp_ack) << "wr_ack_o, cycle " << t;
        if (exp_rd) {
          ASSERT_EQ(get_beat(sim->rd_data_o), ev.data) << "rd_data_o, cycle " << t;
        }
        ASSERT_FALSE(sim->overflow_o) << "cycle " << t;
        ASSERT_FALSE(sim->range_err_o) << "cycle " << t;
      }
      // the requests, in R6's order, and the RTL FIFOs' occupancy as the model predicts it
      if (wr) {
        if (wq_free.size() >= kWriteQDepth && overflow_at < 0) overflow_at = static_cast<long>(t);
        const uint64_t start = dram.write(t, waddr, wdata.data(), true);
        if (start > t + kLatency) ++bus_waits;
        wq_free.push_back(start - 1);
        ++writes;
      }
      if (rd) {
        if (rq_free.size() >= kReadQDepth && overflow_at < 0) overflow_at = static_cast<long>(t);
        const uint64_t start = dram.read(t, raddr, beats, nullptr, true);
        if (start > t + kLatency) ++bus_waits;
        outstanding.push_back(start + beats - 1);
        rq_free.push_back(start + beats - 2);
        ++reads;
      }
      both += wr && rd;
      if (overflow_at >= 0 && static_cast<uint64_t>(overflow_at) < t) {
        EXPECT_TRUE(sim->overflow_o) << "overflow_o one cycle after the overflow in cycle " << overflow_at;
        overflow = overflow_at;
        return;
      }
      sim.edge();
    }
    sim->wr_valid_i = 0;
    sim->rd_req_valid_i = 0;
    sim.settle();
    EXPECT_TRUE(sim->idle_o);
    EXPECT_TRUE(dram.idle_after(sim.cycle() - t0));
    const auto& st = dram.stats();
    EXPECT_EQ(sim->stat_read_bytes_o, st.read_bytes);
    EXPECT_EQ(sim->stat_write_bytes_o, st.write_bytes);
    EXPECT_EQ(sim->stat_read_requests_o, st.read_requests);
    EXPECT_EQ(sim->stat_write_beats_o, st.write_beats);
    EXPECT_EQ(sim->stat_bus_busy_o, st.bus_busy_cycles);
    for (unsigned i = 0; i < kMemBeats; ++i) {
      const Beat got = host_read(i);
      const Beat want(dram.memory().begin() + i * kBeatBytes, dram.memory().begin() + (i + 1) * kBeatBytes);
      ASSERT_EQ(got, want) << "memory beat " << i << " after the run";
    }
    // The statistics leave as the board sends them (stat_shift_i): one chain of the three counters (read
    // beats, write beats, read requests), shifted a byte per cycle out of stat_read_beats_o[7:0], each
    // counter's bytes LSB first.
    EXPECT_EQ(sim->stat_read_beats_o * kBeatBytes, st.read_bytes);
    const uint64_t want_stats[3] = {st.read_bytes / kBeatBytes, st.write_beats, st.read_requests};
    sim->stat_shift_i = 1;
    for (unsigned c = 0; c < 3; ++c) {
      for (unsigned b = 0; b < 8; ++b) {
        sim.settle();
        ASSERT_EQ(sim->stat_read_beats_o & 0xffu, (want_stats[c] >> (8 * b)) & 0xffu)
            << "statistic " << c << " byte " << b << " shifted out";
        sim.tick();
      }
    }
    sim->stat_shift_i = 0;
    sim.settle();
    EXPECT_EQ(sim->stat_bus_busy_o, 0u) << "the chain ends in zeros";
    EXPECT_EQ(sim->stat_read_requests_o, 0u) << "the chain ends in zeros";
    if (tr.read_p > 0) {
      EXPECT_GT(reads, cycles / 50);
    }
    if (tr.write_p > 0) {
      EXPECT_GT(writes, cycles / 50);
    }
    RecordProperty("reads", static_cast<int>(reads));
    RecordProperty("writes", static_cast<int>(writes));
    RecordProperty("both", static_cast<int>(both));
    RecordProperty("bus_waits", static_cast<int>(bus_waits));
  }
  long run(const Traffic& tr, unsigned cycles) {
    long overflow = -2;
    run(tr, cycles, overflow);
    return overflow;
  }
};

TEST_F(BoardDramTest, ReadsOnly) { EXPECT_EQ(run({0.5, 0.0, 1, true}, 4000), -1); }

TEST_F(BoardDramTest, WritesOnly) { EXPECT_EQ(run({0.0, 0.3, 8, true}, 4000), -1); }

TEST_F(BoardDramTest, MixedLight) { EXPECT_EQ(run({0.2, 0.05, 6, true}, 20000), -1); }

// A write every cycle the FIFO allows, and reads at the outstanding limit: the bus saturates, requests
// wait for bus slots (start > t + Latency), writes and reads share cycles.
TEST_F(BoardDramTest, SaturatedBus) { EXPECT_EQ(run({0.9, 1.0, 64, true}, 20000), -1); }

TEST_F(BoardDramTest, StoreRunsWithLoads) { EXPECT_EQ(run({0.6, 0.02, 40, true}, 30000), -1); }

// Writes every cycle without regard to the FIFO: the write FIFO overflows where the model says it does
// (the RTL's assertion fires, overflow_o rises and stays).
TEST_F(BoardDramTest, OverflowIsFlagged) {
  sim.expect_assertions(true);
  const long at = run({0.9, 1.0, 100000, false}, 20000);
  EXPECT_GE(at, 0);
  EXPECT_TRUE(fired_with(sim.take_fired(), "FIFO full"));
  sim->wr_valid_i = 0;
  sim->rd_req_valid_i = 0;
  for (int i = 0; i < 10; ++i) sim.tick();
  sim.settle();
  EXPECT_TRUE(sim->overflow_o) << "sticky";
}

// Requests outside the memory or not beat-aligned set range_err_o, which stays set; legal ones at the
// memory's end do not. One case per test (one model each: the flag is sticky).
struct RangeCase {
  bool write;
  uint32_t addr;
  unsigned beats;
  bool bad;
};
const RangeCase kRangeCases[] = {
    {true, kMemBytes, 1, true},
    {true, 1, 1, true},
    {false, kMemBytes - kBeatBytes, 2, true},
    {false, kBeatBytes / 2, 1, true},
    {false, 0, kBurst + 1, true},
    {false, 0xFFFFFFF8u, 1, true},
    {false, kMemBytes - kBurst* kBeatBytes, kBurst, false},
    {true, kMemBytes - kBeatBytes, 1, false},
    // the end check splits the address at the memory size: high part 0, 1 and more, empty bursts
    {false, kMemBytes, 0, false},  // ends exactly at the memory's end
    {false, kMemBytes + kBeatBytes, 0, true},
    {false, 2 * kMemBytes, 0, true},
    {false, kMemBytes - kBeatBytes, 0, false},
    {false, kMemBytes - kBeatBytes, 1, false},
    {false, kMemBytes - kBeatBytes, kBurst, kBurst > 1},
    {false, 0x80000000u, 1, true},
};

class BoardDramRange : public BoardDramTest, public ::testing::WithParamInterface<size_t> {};

TEST_P(BoardDramRange, Flag) {
  const RangeCase& c = kRangeCases[GetParam()];
  sim->wr_valid_i = c.write;
  sim->wr_addr_i = c.addr;
  sim->rd_req_valid_i = !c.write;
  sim->rd_req_addr_i = c.addr;
  sim->rd_req_beats_i = c.beats;
  sim.tick();
  sim->wr_valid_i = 0;
  sim->rd_req_valid_i = 0;
  for (int i = 0; i < 40; ++i) sim.tick();
  sim.settle();
  EXPECT_EQ(sim->range_err_o, c.bad) << (c.write ? "write" : "read") << " at " << c.addr << ", " << c.beats << " beats";
  EXPECT_FALSE(sim->overflow_o);
  EXPECT_TRUE(sim->idle_o);
}
INSTANTIATE_TEST_SUITE_P(Cases, BoardDramRange,
                         ::testing::Range(size_t{0}, sizeof(kRangeCases) / sizeof(kRangeCases[0])));

}  // namespace
