// rtl/board/bg_uart_tx.sv and bg_uart_rx.sv (ClksPerBit = BG_CLKS_PER_BIT, the -G value of
// tests/rtl/CMakeLists.txt) through tests/rtl/bg_uart_loopback.sv: random bytes with random gaps and a
// randomly stalling consumer come out of the receiver unchanged and in order; the transmitter's line is
// decoded independently (8N1, every bit exactly ClksPerBit cycles, back-to-back bytes 10 * ClksPerBit
// cycles apart); the receiver takes bit streams from the test with a baud-rate error of a few percent,
// ignores short glitches, drops frames with a bad stop bit (frame_err_o) and bytes nobody took
// (overrun_o).
#include <gtest/gtest.h>

#include <cmath>
#include <deque>
#include <random>
#include <vector>

#include "Vdut.h"
#include "rtl_test_util.h"

namespace {

using namespace bgtest;

constexpr unsigned kCpb = BG_CLKS_PER_BIT;

class UartTest : public ::testing::Test {
 protected:
  std::mt19937_64 rng{777 + kCpb};
  Clocked<Vdut> sim;

  UartTest() {
    sim->ext_i = 1;
    sim->ext_sel_i = 0;
  }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; }
};

TEST_F(UartTest, LoopbackRandomBytes) {
  std::deque<uint8_t> to_send;
  std::vector<uint8_t> sent, got, decoded;
  for (int i = 0; i < 400; ++i) to_send.push_back(static_cast<uint8_t>(rng()));
  // independent decoder of line_o: each bit must hold exactly kCpb cycles
  std::vector<int> line;
  uint64_t frame_errs = 0, overruns = 0;
  for (uint64_t c = 0; c < 400ull * 12 * kCpb * 2 && got.size() < 400; ++c) {
    const bool burst = (c / 5000) % 2 == 0;  // phases of back-to-back bytes and of random gaps
    sim->tx_valid_i = !to_send.empty() && (burst || chance(0.02));
    sim->tx_data_i = to_send.empty() ? 0 : to_send.front();
    sim->rx_ready_i = chance(0.3);
    sim.settle();
    line.push_back(sim->line_o);
    if (sim->tx_valid_i && sim->tx_ready_o) {
      sent.push_back(to_send.front());
      to_send.pop_front();
    }
    if (sim->rx_valid_o && sim->rx_ready_i) got.push_back(sim->rx_data_o);
    frame_errs += sim->frame_err_o;
    overruns += sim->overrun_o;
    sim.edge();
  }
  for (unsigned c = 0; c < 20 * kCpb; ++c) {  // the rest of the last stop bit
    sim.settle();
    line.push_back(sim->line_o);
    sim.edge();
  }
  EXPECT_EQ(frame_errs, 0u);
  EXPECT_EQ(overruns, 0u);
  ASSERT_EQ(got.size(), 400u);
  EXPECT_EQ(got, sent);
  // decode the line: runs of equal levels are multiples of kCpb (except the idle runs)
  size_t i = 0;
  while (i < line.size()) {
    if (line[i] == 1) {
      ++i;
      continue;
    }
    ASSERT_LE(i + 10 * kCpb, line.size());
    uint8_t b = 0;
    for (unsigned bit = 0; bit < 10; ++bit)
      for (unsigned k = 0; k < kCpb; ++k) {
        const int v = line[i + bit * kCpb + k];
        if (bit == 0) {
          ASSERT_EQ(v, 0) << "start bit at cycle " << i;
        } else if (bit == 9) {
          ASSERT_EQ(v, 1) << "stop bit at cycle " << i;
        } else {
          ASSERT_EQ(v, line[i + bit * kCpb]) << "bit " << bit << " not constant, frame at cycle " << i;
          if (k == 0) b = static_cast<uint8_t>(b | (v << (bit - 1)));
        }
      }
    decoded.push_back(b);
    i += 10 * kCpb;
  }
  EXPECT_EQ(decoded, sent);
}

TEST_F(UartTest, BackToBackThroughput) {
  std::vector<uint64_t> accept;
  for (uint64_t c = 0; c < 20 * 10 * kCpb + 5; ++c) {
    sim->tx_valid_i = 1;
    sim->tx_data_i = static_cast<uint8_t>(c);
    sim->rx_ready_i = 1;
    sim.settle();
    if (sim->tx_ready_o) accept.push_back(c);
    sim.edge();
  }
  ASSERT_GE(accept.size(), 10u);
  for (size_t k = 1; k < accept.size(); ++k) EXPECT_EQ(accept[k] - accept[k - 1], 10u * kCpb);
}

// The receiver against bit streams from the test: bit times off by up to +-3 percent (at ClksPerBit 4
// that is below a cycle: the stream's bit edges move by whole cycles), glitches shorter than half a bit
// on the idle line, a frame with a 0 stop bit, and a byte completed while the previous one is held.
TEST_F(UartTest, ReceiverTolerance) {
  sim->ext_sel_i = 1;
  sim->rx_ready_i = 1;
  std::vector<int> stream;
  std::vector<uint8_t> want;
  auto add_frame = [&](uint8_t b, double rate, bool stop) {
    const double bit = kCpb * rate;
    double t = 0;
    const size_t start = stream.size();
    for (int k = 0; k < 10; ++k) {
      const int v = k == 0 ? 0 : k == 9 ? (stop ? 1 : 0) : ((b >> (k - 1)) & 1);
      t += bit;
      while (static_cast<double>(stream.size() - start) < std::round(t)) stream.push_back(v);
    }
    for (unsigned k = 0; k < kCpb; ++k) stream.push_back(1);  // a bit of idle
  };
  for (int i = 0; i < 100; ++i) {
    const uint8_t b = static_cast<uint8_t>(rng());
    const double rate = 1.0 + std::uniform_real_distribution<double>(-0.03, 0.03)(rng);
    if (chance(0.2)) {  // a glitch: low for less than half a bit
      const unsigned len = 1 + static_cast<unsigned>(rng() % std::max(1u, kCpb / 2 - 1));
      for (unsigned k = 0; k < len; ++k) stream.push_back(0);
      for (unsigned k = 0; k < 2 * kCpb; ++k) stream.push_back(1);
    }
    add_frame(b, rate, true);
    want.push_back(b);
  }
  add_frame(0x5A, 1.0, false);  // stop bit 0: dropped
  for (unsigned k = 0; k < 2 * kCpb; ++k) stream.push_back(1);
  std::vector<uint8_t> got;
  uint64_t frame_errs = 0;
  for (size_t c = 0; c < stream.size() + 4 * kCpb; ++c) {
    sim->ext_i = c < stream.size() ? stream[c] : 1;
    sim.settle();
    if (sim->rx_valid_o) got.push_back(sim->rx_data_o);
    frame_errs += sim->frame_err_o;
    sim.edge();
  }
  EXPECT_EQ(got, want);
  EXPECT_EQ(frame_errs, 1u);

  // overrun: two bytes with nobody taking the first
  sim->rx_ready_i = 0;
  stream.clear();
  add_frame(0x11, 1.0, true);
  add_frame(0x22, 1.0, true);
  uint64_t overruns = 0;
  for (size_t c = 0; c < stream.size() + 4 * kCpb; ++c) {
    sim->ext_i = c < stream.size() ? stream[c] : 1;
    sim.settle();
    overruns += sim->overrun_o;
    sim.edge();
  }
  sim.settle();
  EXPECT_EQ(overruns, 1u);
  ASSERT_TRUE(sim->rx_valid_o);
  EXPECT_EQ(sim->rx_data_o, 0x11);
}

}  // namespace
