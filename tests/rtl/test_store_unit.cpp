// rtl/store_unit.sv (BeatWords 2 = 16-byte beats; the -G value of tests/rtl/CMakeLists.txt) against rule
// R8 with a C++ rbuf (port A: one beat per read, data in the next cycle, held until the next read) and
// bitgrid::DramModel (R6) acknowledging the write beats. For a store issued in c0 with NB beats: the rbuf
// read of beat b is in c0+1+b at spm_addr + b*Wb, write beat b is presented in c0+2+b at dram_addr + 16b
// with rbuf's words, and complete_o is high exactly in the cycle of the last acknowledgement, which the test
// computes with its own DramModel from the R8 beat cycles (E = 1 for NB = 0).
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
constexpr unsigned kOpStore = 2, kBufRbuf = 2;

struct Store {
  unsigned buf, spm_addr, nwords;
  uint32_t dram_addr;
};

class StoreUnitTest : public ::testing::Test {
 protected:
  std::mt19937_64 rng{4242};
  std::vector<uint64_t> rbuf;
  Clocked<Vdut> sim;
  uint64_t bus_waits = 0;

  StoreUnitTest() : rbuf(kRbufWords) {
    for (auto& w : rbuf) w = rng();
  }

  void set_insn(const Store& st) {
    for (unsigned w = 0; w < 2; ++w) set_word(sim->insn_i, w, 0);
    set_bits(sim->insn_i, 0, 4, kOpStore);
    set_bits(sim->insn_i, 8, 4, st.buf);
    set_bits(sim->insn_i, 12, 20, st.spm_addr);
    set_bits(sim->insn_i, 32, 24, st.nwords);
    set_bits(sim->insn_i, 64, 32, st.dram_addr);
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
      if (!busy && next < stores.size()) {
        if (wait == 0) {
          issue = true;
          cur = stores[next];
          set_insn(cur);
        } else {
          --wait;
        }
      }
      sim->issue_i = issue;
      sim.settle();
      ASSERT_EQ(sim->idle_o, !busy) << "cycle " << t;
      if (issue) {
        nb = cur.nwords / kBeatWords;
        ASSERT_EQ(sim->error_o, nb != 0 && cur.buf != kBufRbuf) << "cycle " << t;
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
      } else {
        ASSERT_EQ(sim->error_o, 0u) << "cycle " << t;
      }
      // rbuf reads: beat b in c0+1+b.
      const bool want_rd = busy && !issue && t >= c0 + 1 && t < c0 + 1 + nb;
      ASSERT_EQ(sim->r_req_o, want_rd) << "rbuf read, cycle " << t << ", c0 " << c0;
      if (want_rd) {
        const unsigned b = static_cast<unsigned>(t - c0 - 1);
        ASSERT_EQ(sim->r_addr_o, (cur.spm_addr + b * kBeatWords) & 0xFFFFFu) << "cycle " << t;
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

TEST_F(StoreUnitTest, BadBufferFlagsError) {
  // A store from qbuf/dbuf with beats raises error_o at issue (and still runs with the R8 timing);
  // a token-only store from any buffer does not.
  run({{0, 0, 0, 0}, {0, 4, 6, 32}, {1, 0, 2, 0}, {kBufRbuf, 2, 4, 64}}, 3, {});
}

}  // namespace
