// rtl/bg_load_unit.sv (BeatWords 2 = 16-byte beats, BurstBeats 4 = 64-byte bursts, MaxOutstanding 2; the
// -G values of tests/rtl/CMakeLists.txt) against rule R7, with its read requests served by
// bitgrid::DramModel (R6). For each load the test computes, independently of the RTL, the cycle of every
// burst request (R7: burst 0 in c0+1, burst j+1 in the first cycle after burst j's request with fewer than
// MaxOutstanding bursts outstanding, outstanding = request cycle .. last beat's cycle, inclusive) with its
// own DramModel, and hence the cycle of every beat and the completion cycle c0+E. It then checks, cycle by
// cycle, every request (cycle, address, beats), every buffer write (cycle, buffer id, word address, data
// against the DRAM image), complete_o / idle_o, and fault_o of the presented instruction (bad_buffer: a
// transfer into a buffer the load DMA may not fill; the controller never issues such a load, and the
// unit's assertion fires if it is issued anyway). Instructions are built with isa::LoadInsn.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <vector>

#include "Vdut.h"
#include "dram_model.h"
#include "rtl_test_util.h"

namespace {

using namespace bgtest;

constexpr unsigned kBeatWords = 2, kBeatBytes = kBeatWords * 8, kBurstBeats = 4, kMaxOut = 2;
constexpr unsigned kDramBytes = 8192;
namespace isa = bitgrid::isa;
constexpr unsigned kBufQbuf = static_cast<unsigned>(isa::Buf::kQbuf);
constexpr unsigned kBufDbuf = static_cast<unsigned>(isa::Buf::kDbuf);
constexpr unsigned kBufRbuf = static_cast<unsigned>(isa::Buf::kRbuf);
constexpr unsigned kBadBuffer = static_cast<unsigned>(isa::Fault::kBadBuffer);

struct Load {
  unsigned buf, spm_addr, nwords;
  uint32_t dram_addr;
};

Insn encode_load(const Load& ld, const isa::Deps& deps = {}) {
  isa::LoadInsn x;
  x.buf = ld.buf;
  x.spm_addr = ld.spm_addr;
  x.nwords = ld.nwords;
  x.dram_addr = ld.dram_addr;
  x.deps = deps;
  return encode(x);
}
// The unit's fault vector for a load (bad_buffer: beats into a buffer the load DMA may not fill).
uint64_t expected_fault(const Load& ld) {
  const bool bad = ld.nwords / kBeatWords != 0 && !isa::buf_loadable(ld.buf);
  return bad ? uint64_t{1} << kBadBuffer : 0;
}
// The buffers the load DMA may fill, from the ISA's buffer table.
std::vector<unsigned> loadable_buffers() {
  std::vector<unsigned> v;
  for (unsigned b = 0; b < isa::kBufs.size(); ++b)
    if (isa::kBufs[b].dma == isa::Dma::kLoad) v.push_back(b);
  return v;
}

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

  // A random load instruction (any buffer id, short and empty transfers) for the cycles that do not issue:
  // fault_o must follow it.
  Load random_head() {
    Load ld;
    ld.buf = static_cast<unsigned>(rng() % 16);
    const unsigned r = static_cast<unsigned>(rng() % 4);
    ld.nwords = r == 0 ? 0 : r == 1 ? static_cast<unsigned>(rng() % kBeatWords) : static_cast<unsigned>(rng() % 4096);
    ld.spm_addr = static_cast<unsigned>(rng() % (1u << 20));
    ld.dram_addr = static_cast<uint32_t>(rng());
    return ld;
  }
  uint64_t fault_checks = 0, faults_seen = 0;

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
      Load head = random_head();
      if (!busy && next < loads.size()) {
        if (wait == 0) {
          issue = true;
          head = loads[next];
        } else {
          --wait;
        }
      }
      isa::Deps deps;
      deps.pop_next = rng() % 2;
      deps.push_next = rng() % 2;
      set_insn(sim->insn_i, encode_load(head, deps));
      // an instruction being dispatched to the queue, independent of the one issued: fault_o follows it
      const Load dsp = random_head();
      set_insn(sim->dsp_insn_i, encode_load(dsp, deps));
      sim->issue_i = issue;
      sim.settle();
      ASSERT_EQ(sim->idle_o, !busy) << "cycle " << t;
      ASSERT_EQ(sim->fault_o, expected_fault(dsp))
          << "fault_o, cycle " << t << ", buf " << dsp.buf << " nwords " << dsp.nwords;
      ++fault_checks;
      if (sim->fault_o) ++faults_seen;
      if (issue) {
        cur = head;
        ASSERT_EQ(expected_fault(cur), 0u) << "the test issues only legal loads";
        e = reference(cur, t, ref);
        busy = true;
        ++next;
      } else if (busy) {
        ASSERT_EQ(sim->spm_buf_o, cur.buf) << "buffer id while running, cycle " << t;
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
      ASSERT_EQ(sim->spm_we_o, want_beat) << "buffer write, cycle " << t;
      if (want_beat) {
        const unsigned k = bt->second;
        ASSERT_EQ(sim->spm_buf_o, cur.buf) << "cycle " << t;
        ASSERT_EQ(sim->spm_addr_o, (cur.spm_addr + k * kBeatWords) & mask64(kSpmAddrW)) << "cycle " << t;
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
    const auto bufs = loadable_buffers();
    std::vector<Load> v;
    for (int i = 0; i < n; ++i) {
      Load ld;
      ld.buf = bufs[rng() % bufs.size()];
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

TEST_F(LoadUnitTest, FaultOfTheDispatchedInstruction) {
  // fault_o is combinational on dsp_insn_i (not on insn_i, which holds a legal load here): bad_buffer for beats into a
  // buffer the load DMA may not fill (rbuf, an undefined id); a token-only load (nwords = 0, or below one beat) may
  // name any buffer.
  sim->issue_i = 0;
  sim->rd_valid_i = 0;
  for (unsigned buf = 0; buf < 16; ++buf) {
    for (unsigned nwords : {0u, 1u, kBeatWords, 6u, 1u << 20}) {
      const Load ld{buf, 8, nwords, 64};
      set_insn(sim->dsp_insn_i, encode_load(ld));
      set_insn(sim->insn_i, encode_load({kBufQbuf, 0, 2 * kBeatWords, 0}));
      sim.settle();
      // configs/isa: the buffers with dma: load are qbuf, dbuf (hamtopk), abuf, wbuf, sbuf (bitmac) and gbuf (owned
      // by the engine: the load unit writes it all the same), xbuf (hashgrid), tbuf (lut)
      const std::set<unsigned> loadable = {kBufQbuf,
                                           kBufDbuf,
                                           static_cast<unsigned>(isa::Buf::kAbuf),
                                           static_cast<unsigned>(isa::Buf::kWbuf),
                                           static_cast<unsigned>(isa::Buf::kSbuf),
                                           static_cast<unsigned>(isa::Buf::kGbuf),
                                           static_cast<unsigned>(isa::Buf::kXbuf),
                                           static_cast<unsigned>(isa::Buf::kTbuf)};
      for (unsigned b = 0; b < 16; ++b) ASSERT_EQ(loadable.count(b) != 0, isa::buf_loadable(b)) << "buf " << b;
      const bool bad = nwords >= kBeatWords && !loadable.count(buf);
      ASSERT_EQ(sim->fault_o, bad ? uint64_t{1} << kBadBuffer : 0u) << "buf " << buf << " nwords " << nwords;
      ASSERT_EQ(sim->fault_o, expected_fault(ld));
      ASSERT_TRUE(sim->idle_o);
    }
  }
  // Token-only loads naming rbuf and an undefined buffer run with E = 1 and write nothing; then real loads.
  run({{kBufRbuf, 0, 0, 0}, {15, 8, 1, 64}, {kBufQbuf, 2, 6, 16}, {kBufRbuf, 4, 0, 0}, {kBufDbuf, 4, 8, 32}}, 4, {});
  EXPECT_GT(fault_checks, 20u);
  EXPECT_GT(faults_seen, 0u);
}

TEST_F(LoadUnitTest, RandomHeadsExerciseFaults) {
  run(random_loads(100), 3, random_gaps(100));
  EXPECT_GT(faults_seen, fault_checks / 4);
  EXPECT_LT(faults_seen, fault_checks);
}

TEST_F(LoadUnitTest, IllegalIssueAndBeatAreAsserted) {
  sim.expect_assertions(true);
  sim->rd_valid_i = 0;
  sim->issue_i = 0;
  sim.tick();
  // A beat nobody requested.
  sim->rd_valid_i = 1;
  sim.tick();
  EXPECT_TRUE(fired_with(sim.take_fired(), "bg_load_unit: a read beat arrived that was not requested"));
  sim->rd_valid_i = 0;
  // Issuing a load the unit faults on (the controller never does).
  set_insn(sim->insn_i, encode_load({kBufRbuf, 0, 2 * kBeatWords, 0}));
  set_insn(sim->dsp_insn_i, encode_load({kBufRbuf, 0, 2 * kBeatWords, 0}));
  sim->issue_i = 1;
  sim.settle();
  ASSERT_NE(sim->fault_o, 0u);
  sim.edge();
  EXPECT_TRUE(fired_with(sim.take_fired(), "bg_load_unit: issued an instruction it faults on"));
}

}  // namespace
