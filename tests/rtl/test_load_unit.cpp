// rtl/load_unit.sv (BeatWords 2 = 16-byte beats, BurstBeats 4 = 64-byte bursts, MaxOutstanding 2; the -G
// values of tests/rtl/CMakeLists.txt) against rule R7, with its read requests served by bitgrid::DramModel
// (R6). For each load the test computes, independently of the RTL, the cycle of every burst request (R7:
// burst 0 in c0+1, burst j+1 in the first cycle after burst j's request with fewer than MaxOutstanding
// bursts outstanding, outstanding = request cycle .. last beat's cycle, inclusive) with its own DramModel,
// and hence the cycle of every beat and the completion cycle c0+E. It then checks, cycle by cycle, every
// request (cycle, address, beats), every buffer write (cycle, qbuf/dbuf select, word address, data against
// the DRAM image) and complete_o / idle_o.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <vector>

#include "Vdut.h"
#include "dram_model.h"
#include "rtl_test_util.h"

namespace {

using namespace bgtest;

constexpr unsigned kBeatWords = 2, kBeatBytes = kBeatWords * 8, kBurstBeats = 4, kMaxOut = 2;
constexpr unsigned kDramBytes = 8192;
constexpr unsigned kOpLoad = 1, kBufQbuf = 0, kBufDbuf = 1, kBufRbuf = 2;

struct Load {
  unsigned buf, spm_addr, nwords;
  uint32_t dram_addr;
};

struct Expected {
  uint64_t c0 = 0, complete = 0;
  std::map<uint64_t, std::pair<uint32_t, uint32_t>> requests;  // cycle -> (byte address, beats)
  std::map<uint64_t, unsigned> beats;                          // cycle -> beat index
};

class LoadUnitTest : public ::testing::Test {
 protected:
  std::mt19937_64 rng{99};
  std::vector<uint8_t> image;
  Clocked<Vdut> sim;
  uint64_t throttled = 0, bus_waits = 0;

  LoadUnitTest() : image(kDramBytes) {
    for (auto& b : image) b = static_cast<uint8_t>(rng());
  }

  // R7 for one load issued in cycle c0, using `ref` (the test's own DramModel, fed the same requests
  // in the same order as the DUT's) for R6.
  Expected reference(const Load& ld, uint64_t c0, bitgrid::DramModel& ref) {
    Expected e;
    e.c0 = c0;
    const unsigned nb = ld.nwords / kBeatWords;
    if (nb == 0) {
      e.complete = c0 + 1;
      return e;
    }
    std::vector<uint64_t> req_cycle, last_beat;
    unsigned beat = 0;
    uint64_t t = c0 + 1;
    for (unsigned j = 0; beat < nb; ++j) {
      if (j > 0) {
        t = req_cycle[j - 1] + 1;
        for (;; ++t) {
          unsigned outstanding = 0;
          for (unsigned i = 0; i < j; ++i) outstanding += (req_cycle[i] <= t && t <= last_beat[i]);
          if (outstanding < kMaxOut) break;
        }
        if (t > req_cycle[j - 1] + 1) ++throttled;
      }
      const unsigned n = std::min(kBurstBeats, nb - beat);
      const uint32_t addr = ld.dram_addr + beat * kBeatBytes;
      const uint64_t start = ref.read(t, addr, n);
      if (start > t + 1) ++bus_waits;
      req_cycle.push_back(t);
      last_beat.push_back(start + n - 1);
      e.requests[t] = {addr, n};
      for (unsigned i = 0; i < n; ++i) e.beats[start + i] = beat + i;
      beat += n;
    }
    e.complete = last_beat.back();
    return e;
  }

  void set_insn(const Load& ld) {
    for (unsigned w = 0; w < 2; ++w) set_word(sim->insn_i, w, 0);
    set_bits(sim->insn_i, 0, 4, kOpLoad);
    set_bits(sim->insn_i, 8, 4, ld.buf);
    set_bits(sim->insn_i, 12, 20, ld.spm_addr);
    set_bits(sim->insn_i, 32, 24, ld.nwords);
    set_bits(sim->insn_i, 64, 32, ld.dram_addr);
  }

  // Runs the loads back to back (each issued `gap` cycles after the unit is idle again).
  void run(const std::vector<Load>& loads, long latency, const std::vector<unsigned>& gaps) {
    bitgrid::DramModel dram(kBeatBytes, latency, image), ref(kBeatBytes, latency, image);
    size_t next = 0;
    unsigned wait = gaps.empty() ? 0 : gaps[0];
    bool busy = false;
    Expected e;
    Load cur{};
    for (uint64_t guard = 0; guard < 1000000; ++guard) {
      const uint64_t t = sim.cycle();
      // Inputs of cycle t: the read beat the DRAM delivers now, and an issue if the unit is idle.
      bitgrid::DramModel::Event ev;
      const bool beat = dram.pop_event(t, ev);
      sim->rd_valid_i = beat;
      for (unsigned w = 0; w < kBeatWords; ++w) {
        uint64_t v = 0;
        if (beat)
          for (unsigned b = 0; b < 8; ++b) v |= uint64_t{ev.data[8 * w + b]} << (8 * b);
        set_word(sim->rd_data_i, w, beat ? v : 0xDEADBEEFull * (w + 1));
      }
      bool issue = false;
      if (!busy && next < loads.size()) {
        if (wait == 0) {
          issue = true;
          cur = loads[next];
          set_insn(cur);
        } else {
          --wait;
        }
      }
      sim->issue_i = issue;
      sim.settle();
      ASSERT_EQ(sim->idle_o, !busy) << "cycle " << t;
      if (issue) {
        ASSERT_EQ(sim->error_o, (cur.nwords / kBeatWords != 0 && cur.buf != kBufQbuf && cur.buf != kBufDbuf))
            << "cycle " << t;
        e = reference(cur, t, ref);
        busy = true;
        ++next;
      } else {
        ASSERT_EQ(sim->error_o, 0u) << "cycle " << t;
      }
      // Requests.
      const auto rq = e.requests.find(t);
      const bool want_req = busy && !issue && rq != e.requests.end();
      ASSERT_EQ(sim->rd_req_valid_o, want_req) << "read request, cycle " << t << " (load " << next - 1 << ")";
      if (want_req) {
        ASSERT_EQ(sim->rd_req_addr_o, rq->second.first) << "cycle " << t;
        ASSERT_EQ(sim->rd_req_beats_o, rq->second.second) << "cycle " << t;
        dram.read(t, sim->rd_req_addr_o, sim->rd_req_beats_o, nullptr, true);
      }
      // Buffer writes.
      const auto bt = e.beats.find(t);
      const bool want_beat = busy && bt != e.beats.end();
      ASSERT_EQ(beat, want_beat) << "DRAM beat vs. reference, cycle " << t;
      ASSERT_EQ(sim->qbuf_we_o, want_beat && cur.buf == kBufQbuf) << "cycle " << t;
      ASSERT_EQ(sim->dbuf_we_o, want_beat && cur.buf == kBufDbuf) << "cycle " << t;
      if (want_beat) {
        const unsigned k = bt->second;
        if (cur.buf == kBufQbuf || cur.buf == kBufDbuf) {
          ASSERT_EQ(sim->spm_addr_o, (cur.spm_addr + k * kBeatWords) & 0xFFFFFu) << "cycle " << t;
        }
        for (unsigned w = 0; w < kBeatWords; ++w) {
          uint64_t v = 0;
          for (unsigned b = 0; b < 8; ++b) v |= uint64_t{image[cur.dram_addr + k * kBeatBytes + 8 * w + b]} << (8 * b);
          ASSERT_EQ(get_word(sim->spm_wdata_o, w), v) << "beat " << k << " word " << w << " cycle " << t;
        }
      }
      // Completion: E = last beat - c0 (1 for a token-only load).
      ASSERT_EQ(sim->complete_o, busy && t == e.complete) << "cycle " << t << ", c0 " << e.c0;
      if (busy && t == e.complete) {
        busy = false;
        wait = next < gaps.size() ? gaps[next] : 0;
      }
      sim.edge();
      if (!busy && next == loads.size()) break;
    }
    ASSERT_EQ(next, loads.size());
    ASSERT_TRUE(dram.idle_after(sim.cycle()));
  }

  std::vector<Load> random_loads(int n) {
    std::vector<Load> v;
    for (int i = 0; i < n; ++i) {
      Load ld;
      ld.buf = (rng() % 2) ? kBufQbuf : kBufDbuf;
      const unsigned nb = (rng() % 5 == 0) ? 0 : static_cast<unsigned>(rng() % 14);
      ld.nwords = nb * kBeatWords;
      ld.spm_addr = static_cast<unsigned>(rng() % (1u << 20)) & ~(kBeatWords - 1);
      ld.dram_addr = static_cast<uint32_t>(rng() % (kDramBytes / kBeatBytes - nb + 1)) * kBeatBytes;
      v.push_back(ld);
    }
    return v;
  }
  std::vector<unsigned> random_gaps(size_t n) {
    std::vector<unsigned> g;
    for (size_t i = 0; i < n; ++i) g.push_back(rng() % 3 == 0 ? static_cast<unsigned>(rng() % 4) : 0);
    return g;
  }
};

TEST_F(LoadUnitTest, CornerCases) {
  // Token-only, one beat, exactly one burst, one beat more than a burst, MaxOutstanding bursts and more.
  std::vector<Load> loads;
  for (unsigned nb : {0u, 1u, 0u, 4u, 5u, 8u, 9u, 12u, 3u, 0u, 16u})
    loads.push_back({nb % 2 ? kBufQbuf : kBufDbuf, 64 + 2 * nb, nb * kBeatWords, 32u * nb});
  for (long lat : {1L, 2L, 3L, 6L, 20L}) {
    run(loads, lat, {});
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(throttled, 0u);
}

TEST_F(LoadUnitTest, RandomLoadsShortLatency) {
  const auto loads = random_loads(300);
  run(loads, 1, random_gaps(loads.size()));
  EXPECT_GT(bus_waits, 0u);
}

TEST_F(LoadUnitTest, RandomLoadsMediumLatency) {
  const auto loads = random_loads(300);
  run(loads, 5, random_gaps(loads.size()));
  EXPECT_GT(throttled, 50u);
}

TEST_F(LoadUnitTest, RandomLoadsLongLatency) {
  const auto loads = random_loads(200);
  run(loads, 37, random_gaps(loads.size()));
  EXPECT_GT(throttled, 50u);
}

TEST_F(LoadUnitTest, BadBufferFlagsErrorAndWritesNothing) {
  // A load into rbuf (or an unknown id) with beats raises error_o at issue; it still runs to completion
  // with the R7 timing but writes neither buffer. With nwords = 0 it is a token-only load and no error.
  std::vector<Load> loads = {{kBufRbuf, 0, 0, 0}, {kBufRbuf, 8, 10, 64}, {7, 0, 4, 0}, {kBufQbuf, 2, 6, 16}};
  run(loads, 4, {});
}

}  // namespace
