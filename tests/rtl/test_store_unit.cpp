// rtl/bg_store_unit.sv (BeatWords 2 = 16-byte beats; the -G value of tests/rtl/CMakeLists.txt) against rule
// R8 with a C++ rbuf (port A: one beat per read, data in the next cycle, held until the next read) and
// bitgrid::DramModel (R6) acknowledging the write beats. For a store issued in c0 with NB beats: the rbuf
// read of beat b is in c0+1+b at spm_addr + b*Wb (r_buf_o = the source buffer throughout), write beat b is
// presented in c0+2+b at dram_addr + 16b with rbuf's words, and complete_o is high exactly in the cycle of
// the last acknowledgement, which the test computes with its own DramModel from the R8 beat cycles (E = 1
// for NB = 0). fault_o of the presented instruction: bad_buffer for beats from a buffer the store DMA may
// not drain (never issued by the controller; the unit's assertion fires if it is). Instructions are built
// with isa::StoreInsn.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "Vdut.h"
#include "dram_model.h"
#include "rtl_test_util.h"

namespace {

using namespace bgtest;

constexpr unsigned kBeatWords = 2, kBeatBytes = kBeatWords * 8;
constexpr unsigned kRbufWords = 512, kDramBytes = 8192;
namespace isa = bitgrid::isa;
constexpr unsigned kBufRbuf = static_cast<unsigned>(isa::Buf::kRbuf);
constexpr unsigned kBadBuffer = static_cast<unsigned>(isa::Fault::kBadBuffer);

struct Store {
  unsigned buf, spm_addr, nwords;
  uint32_t dram_addr;
};

Insn encode_store(const Store& st, const isa::Deps& deps = {}) {
  isa::StoreInsn x;
  x.buf = st.buf;
  x.spm_addr = st.spm_addr;
  x.nwords = st.nwords;
  x.dram_addr = st.dram_addr;
  x.deps = deps;
  return encode(x);
}
uint64_t expected_fault(const Store& st) {
  const bool bad = st.nwords / kBeatWords != 0 && !isa::buf_storable(st.buf);
  return bad ? uint64_t{1} << kBadBuffer : 0;
}

class StoreUnitTest : public ::testing::Test {
 protected:
  std::mt19937_64 rng{4242};
  std::vector<uint64_t> rbuf;
  Clocked<Vdut> sim;
  uint64_t bus_waits = 0;

  StoreUnitTest() : rbuf(kRbufWords) {
    for (auto& w : rbuf) w = rng();
  }

  uint64_t fault_checks = 0, faults_seen = 0;
  // A random store instruction for the cycles that do not issue: fault_o must follow it.
  Store random_head() {
    Store st;
    st.buf = static_cast<unsigned>(rng() % 16);
    const unsigned r = static_cast<unsigned>(rng() % 4);
    st.nwords = r == 0 ? 0 : r == 1 ? static_cast<unsigned>(rng() % kBeatWords) : static_cast<unsigned>(rng() % 4096);
    st.spm_addr = static_cast<unsigned>(rng() % (1u << 20));
    st.dram_addr = static_cast<uint32_t>(rng());
    return st;
  }

  void run(const std::vector<Store>& stores, long latency, const std::vector<unsigned>& gaps) {
    std::vector<uint8_t> image(kDramBytes, 0x5A);
    bitgrid::DramModel dram(kBeatBytes, latency, image), ref(kBeatBytes, latency, image);
    std::vector<uint8_t> expect_mem = image;
    size_t next = 0;
    unsigned wait = gaps.empty() ? 0 : gaps[0];
    bool busy = false;
    Store cur{};
    uint64_t c0 = 0, complete = 0;
    unsigned nb = 0;
    // rbuf port A emulation
    bool rd_pending = false;
    unsigned rd_addr = 0;
    for (uint64_t guard = 0; guard < 1000000; ++guard) {
      const uint64_t t = sim.cycle();
      if (rd_pending)
        for (unsigned w = 0; w < kBeatWords; ++w) set_word(sim->r_rdata_i, w, rbuf[(rd_addr + w) % kRbufWords]);
      rd_pending = false;
      bitgrid::DramModel::Event ev;
      const bool ack = dram.pop_event(t, ev);
      sim->wr_ack_i = ack;
      bool issue = false;
      Store head = random_head();
      if (!busy && next < stores.size()) {
        if (wait == 0) {
          issue = true;
          head = stores[next];
        } else {
          --wait;
        }
      }
      isa::Deps deps;
      deps.pop_prev = rng() % 2;
      deps.push_prev = rng() % 2;
      set_insn(sim->insn_i, encode_store(head, deps));
      // an instruction being dispatched to the queue, independent of the one issued: fault_o follows it
      const Store dsp = random_head();
      set_insn(sim->dsp_insn_i, encode_store(dsp, deps));
      sim->issue_i = issue;
      sim.settle();
      ASSERT_EQ(sim->idle_o, !busy) << "cycle " << t;
      ASSERT_EQ(sim->fault_o, expected_fault(dsp))
          << "fault_o, cycle " << t << ", buf " << dsp.buf << " nwords " << dsp.nwords;
      ++fault_checks;
      if (sim->fault_o) ++faults_seen;
      if (busy) {
        ASSERT_EQ(sim->r_buf_o, cur.buf) << "buffer id while running, cycle " << t;
      }
      if (issue) {
        cur = head;
        ASSERT_EQ(expected_fault(cur), 0u) << "the test issues only legal stores";
        nb = cur.nwords / kBeatWords;
        c0 = t;
        // R8 + R6: beat b is presented in c0+2+b; its acknowledgement comes from the reference DRAM.
        complete = c0 + 1;
        for (unsigned b = 0; b < nb; ++b) {
          std::vector<uint8_t> data(kBeatBytes);
          for (unsigned w = 0; w < kBeatWords; ++w)
            for (unsigned i = 0; i < 8; ++i)
              data[8 * w + i] = static_cast<uint8_t>(rbuf[(cur.spm_addr + b * kBeatWords + w) % kRbufWords] >> (8 * i));
          complete = ref.write(c0 + 2 + b, cur.dram_addr + b * kBeatBytes, data.data());
          if (complete > c0 + 2 + b + static_cast<uint64_t>(latency)) ++bus_waits;
          std::copy(data.begin(), data.end(), expect_mem.begin() + cur.dram_addr + b * kBeatBytes);
        }
        busy = true;
        ++next;
      }
      // rbuf reads: beat b in c0+1+b.
      const bool want_rd = busy && !issue && t >= c0 + 1 && t < c0 + 1 + nb;
      ASSERT_EQ(sim->r_req_o, want_rd) << "rbuf read, cycle " << t << ", c0 " << c0;
      if (want_rd) {
        const unsigned b = static_cast<unsigned>(t - c0 - 1);
        ASSERT_EQ(sim->r_addr_o, (cur.spm_addr + b * kBeatWords) & mask64(kSpmAddrW)) << "cycle " << t;
        ASSERT_EQ(sim->r_buf_o, cur.buf) << "cycle " << t;
        rd_pending = true;
        rd_addr = sim->r_addr_o;
      }
      // DRAM write beats: beat b in c0+2+b.
      const bool want_wr = busy && !issue && t >= c0 + 2 && t < c0 + 2 + nb;
      ASSERT_EQ(sim->wr_valid_o, want_wr) << "write beat, cycle " << t << ", c0 " << c0;
      if (want_wr) {
        const unsigned b = static_cast<unsigned>(t - c0 - 2);
        ASSERT_EQ(sim->wr_addr_o, cur.dram_addr + b * kBeatBytes) << "cycle " << t;
        std::vector<uint8_t> data(kBeatBytes);
        for (unsigned w = 0; w < kBeatWords; ++w) {
          const uint64_t v = get_word(sim->wr_data_o, w);
          ASSERT_EQ(v, rbuf[(cur.spm_addr + b * kBeatWords + w) % kRbufWords]) << "beat " << b << " cycle " << t;
          for (unsigned i = 0; i < 8; ++i) data[8 * w + i] = static_cast<uint8_t>(v >> (8 * i));
        }
        dram.write(t, sim->wr_addr_o, data.data(), true);
      }
      ASSERT_EQ(sim->complete_o, busy && t == complete) << "cycle " << t << ", c0 " << c0;
      if (busy && t == complete) {
        busy = false;
        wait = next < gaps.size() ? gaps[next] : 0;
      }
      sim.edge();
      if (!busy && next == stores.size()) break;
    }
    ASSERT_EQ(next, stores.size());
    ASSERT_TRUE(dram.idle_after(sim.cycle()));
    ASSERT_TRUE(dram.memory() == expect_mem);
  }

  std::vector<Store> random_stores(int n) {
    std::vector<Store> v;
    for (int i = 0; i < n; ++i) {
      Store st;
      st.buf = kBufRbuf;
      const unsigned nb = (rng() % 5 == 0) ? 0 : static_cast<unsigned>(rng() % 12);
      st.nwords = nb * kBeatWords;
      st.spm_addr = static_cast<unsigned>(rng() % kRbufWords) & ~(kBeatWords - 1);
      st.dram_addr = static_cast<uint32_t>(rng() % (kDramBytes / kBeatBytes - nb + 1)) * kBeatBytes;
      v.push_back(st);
    }
    return v;
  }
};

TEST_F(StoreUnitTest, CornerCases) {
  std::vector<Store> stores;
  for (unsigned nb : {0u, 1u, 2u, 0u, 7u, 1u, 16u, 0u})
    stores.push_back({kBufRbuf, 8 * nb, nb * kBeatWords, 256u * nb});
  for (long lat : {1L, 2L, 9L}) {
    run(stores, lat, {});
    if (HasFatalFailure()) return;
  }
}

TEST_F(StoreUnitTest, RandomStores) {
  for (long lat : {1L, 3L, 25L}) {
    const auto stores = random_stores(200);
    std::vector<unsigned> gaps;
    for (size_t i = 0; i < stores.size(); ++i) gaps.push_back(rng() % 3 == 0 ? static_cast<unsigned>(rng() % 4) : 0);
    run(stores, lat, gaps);
    if (HasFatalFailure()) return;
  }
}

TEST_F(StoreUnitTest, FaultOfTheDispatchedInstruction) {
  // fault_o is combinational on dsp_insn_i (not on insn_i, which holds a legal store here): bad_buffer for beats from a
  // buffer the store DMA may not drain (qbuf, dbuf, an undefined id); a token-only store may name any buffer.
  sim->issue_i = 0;
  sim->wr_ack_i = 0;
  for (unsigned buf = 0; buf < 16; ++buf) {
    for (unsigned nwords : {0u, 1u, kBeatWords, 6u, 1u << 20}) {
      const Store st{buf, 8, nwords, 64};
      set_insn(sim->dsp_insn_i, encode_store(st));
      set_insn(sim->insn_i, encode_store({kBufRbuf, 0, 2 * kBeatWords, 0}));
      sim.settle();
      // configs/isa: the buffers with dma: store are rbuf (hamtopk), obuf and pbuf (bitmac)
      const bool bad = nwords >= kBeatWords && buf != kBufRbuf && buf != static_cast<unsigned>(isa::Buf::kObuf) &&
                       buf != static_cast<unsigned>(isa::Buf::kPbuf);
      ASSERT_EQ(sim->fault_o, bad ? uint64_t{1} << kBadBuffer : 0u) << "buf " << buf << " nwords " << nwords;
      ASSERT_EQ(sim->fault_o, expected_fault(st));
      ASSERT_TRUE(sim->idle_o);
    }
  }
  // Token-only stores naming qbuf / an undefined buffer run with E = 1 and read and write nothing.
  run({{0, 0, 0, 0}, {kBufRbuf, 4, 6, 32}, {1, 0, 1, 0}, {9, 0, 0, 0}, {kBufRbuf, 2, 4, 64}}, 3, {});
  EXPECT_GT(faults_seen, 0u);
}

TEST_F(StoreUnitTest, IllegalIssueAndAckAreAsserted) {
  sim.expect_assertions(true);
  sim->issue_i = 0;
  sim->wr_ack_i = 0;
  sim.tick();
  // An acknowledgement for no written beat.
  sim->wr_ack_i = 1;
  sim.tick();
  EXPECT_TRUE(fired_with(sim.take_fired(), "bg_store_unit: a write acknowledgement for no written beat"));
  sim->wr_ack_i = 0;
  // Issuing a store the unit faults on (the controller never does).
  set_insn(sim->insn_i, encode_store({static_cast<unsigned>(isa::Buf::kQbuf), 0, 2 * kBeatWords, 0}));
  set_insn(sim->dsp_insn_i, encode_store({static_cast<unsigned>(isa::Buf::kQbuf), 0, 2 * kBeatWords, 0}));
  sim->issue_i = 1;
  sim.settle();
  ASSERT_NE(sim->fault_o, 0u);
  sim.edge();
  EXPECT_TRUE(fired_with(sim.take_fired(), "bg_store_unit: issued an instruction it faults on"));
}

}  // namespace
