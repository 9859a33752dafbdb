// rtl/engines/bitmac/bg_bitmac_requant.sv (combinational: bias, 48x16 multiply, round-half-up shift,
// INT8/INT32 saturation, ReLU) against the reference model's bitgrid::bitmac::requant: every shift 0..63 with
// exact halves, the extremes of the accumulator (|acc| < 2^45, R11 bounds), bias and mult (0 and 65535), and
// random values (seeded; BG_TEST_SEED overrides it, a failing test prints it).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <memory>
#include <random>

#include "Vdut.h"
#include "bitgrid/engines/bitmac.h"
#include "rtl_test_util.h"

namespace {

using namespace bgtest;
namespace bm = bitgrid::bitmac;

class BitmacRequantTest : public ::testing::Test {
 protected:
  std::unique_ptr<VerilatedContext> ctx = std::make_unique<VerilatedContext>();
  std::unique_ptr<Vdut> dut = std::make_unique<Vdut>(ctx.get());
  uint64_t seed = 0;
  std::mt19937_64 rng;
  unsigned checked = 0;

  void SetUp() override {
    const char* env = std::getenv("BG_TEST_SEED");
    seed = env ? std::strtoull(env, nullptr, 0) : 4242;
    rng.seed(seed);
  }
  void TearDown() override {
    dut->final();
    if (HasFailure()) std::cout << "[   SEED   ] BG_TEST_SEED=" << seed << " reproduces this test\n";
  }

  void check(int64_t acc, int32_t bias, uint16_t mult, unsigned shift, bool out32, bool relu) {
    dut->acc_i = static_cast<uint64_t>(acc) & mask64(48);
    dut->bias_i = static_cast<uint32_t>(bias);
    dut->mult_i = mult;
    dut->shift_i = shift;
    dut->out32_i = out32;
    dut->relu_i = relu;
    dut->eval();
    const int64_t want = bm::requant(acc, {bias, mult, static_cast<uint8_t>(shift)}, relu, out32);
    const int64_t got = out32 ? static_cast<int64_t>(static_cast<int32_t>(dut->res_o))
                              : static_cast<int64_t>(static_cast<int8_t>(dut->res_o & 0xFF));
    ASSERT_EQ(got, want) << "acc " << acc << " bias " << bias << " mult " << mult << " shift " << shift << " out32 "
                         << out32 << " relu " << relu;
    if (!out32) {  // INT8: res_o is the result sign-extended
      ASSERT_EQ(static_cast<int64_t>(static_cast<int32_t>(dut->res_o)), want);
    }
    ++checked;
  }
};

TEST_F(BitmacRequantTest, EveryShiftWithExactHalves) {
  for (unsigned sh = 0; sh < 64 && !HasFatalFailure(); ++sh)
    for (int64_t v : {-3, -2, -1, 0, 1, 2, 3})
      for (bool out32 : {false, true})
        for (bool relu : {false, true}) {
          // t = acc * 1 = (2v+1) * 2^(sh-1): an exact half before rounding
          const int64_t half = sh ? (2 * v + 1) * (int64_t{1} << (sh - 1)) : v;
          if (half > (int64_t{1} << 44) || half < -(int64_t{1} << 44)) continue;
          check(half, 0, 1, sh, out32, relu);
          check(v, 0, 65535, sh, out32, relu);
        }
}

TEST_F(BitmacRequantTest, Extremes) {
  const int64_t amax = (int64_t{1} << 44) + (int64_t{1} << 43);
  for (int64_t acc : {-amax, -amax + 1, int64_t{-1}, int64_t{0}, int64_t{1}, amax - 1, amax})
    for (int32_t bias : {std::numeric_limits<int32_t>::min(), -1, 0, 1, std::numeric_limits<int32_t>::max()})
      for (uint16_t mult : {uint16_t{0}, uint16_t{1}, uint16_t{2}, uint16_t{65535}})
        for (unsigned sh : {0u, 1u, 7u, 31u, 32u, 47u, 62u, 63u})
          for (bool out32 : {false, true})
            for (bool relu : {false, true}) check(acc, bias, mult, sh, out32, relu);
  EXPECT_GT(checked, 0u);
}

TEST_F(BitmacRequantTest, Random) {
  for (int i = 0; i < 200000 && !HasFatalFailure(); ++i) {
    const unsigned bits = 1 + static_cast<unsigned>(rng() % 45);
    const int64_t acc = static_cast<int64_t>(rng() % (uint64_t{1} << bits)) * ((rng() & 1) ? -1 : 1);
    const int32_t bias = static_cast<int32_t>(rng() >> (32 + rng() % 32));
    check(acc, (rng() & 1 && bias != std::numeric_limits<int32_t>::min()) ? -bias : bias,
          static_cast<uint16_t>(rng() >> (48 + rng() % 16)), static_cast<unsigned>(rng() % 64), rng() & 1, rng() & 1);
  }
}

}  // namespace
