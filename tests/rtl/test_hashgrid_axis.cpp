// rtl/engines/hashgrid/bg_hashgrid_axis.sv (combinational: position, cell, fraction, smoothstep, weights of one
// dimension) against the reference model's bitgrid::hashgrid::axis_weights: x = 0 and x = 1, positions exactly on
// a cell boundary and just below it, the largest scale (resolution 32768), every level scale of real level tables,
// and random values (seeded; BG_TEST_SEED overrides it, a failing test prints it).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <random>

#include "Vdut.h"
#include "bitgrid/hashgrid.h"
#include "rtl_test_util.h"

namespace {

namespace hg = bitgrid::hashgrid;

class HashgridAxisTest : public ::testing::Test {
 protected:
  std::unique_ptr<VerilatedContext> ctx = std::make_unique<VerilatedContext>();
  std::unique_ptr<Vdut> dut = std::make_unique<Vdut>(ctx.get());
  uint64_t seed = 0;
  std::mt19937_64 rng;
  unsigned checked = 0;

  void SetUp() override {
    const char* env = std::getenv("BG_TEST_SEED");
    seed = env ? std::strtoull(env, nullptr, 0) : 777;
    rng.seed(seed);
  }
  void TearDown() override {
    dut->final();
    if (HasFailure()) std::cout << "[   SEED   ] BG_TEST_SEED=" << seed << " reproduces this test\n";
  }

  void check(uint32_t scale, uint32_t x) {
    for (bool smooth : {false, true}) {
      dut->scale_i = scale;
      dut->x_i = x;
      dut->smooth_i = smooth;
      dut->eval();
      const auto w = hg::axis_weights(scale, x, smooth ? hg::Interp::smoothstep : hg::Interp::linear);
      ASSERT_EQ(dut->cell_o, w.cell) << "scale " << scale << " x " << x << " smooth " << smooth;
      ASSERT_EQ(dut->w0_o, w.w0) << "scale " << scale << " x " << x << " smooth " << smooth;
      ASSERT_EQ(dut->w1_o, w.w1) << "scale " << scale << " x " << x << " smooth " << smooth;
      ++checked;
    }
  }
};

TEST_F(HashgridAxisTest, EndsAndBoundaries) {
  const uint32_t max_scale = 32767u << 16;  // resolution 32768
  for (uint32_t scale : {0u, 1u, 65536u, 3u << 16, (7u << 16) + 16384, 0x7ffe0000u, max_scale}) {
    check(scale, 0);
    check(scale, 1u << 23);
    check(scale, (1u << 23) - 1);
    if (HasFatalFailure()) return;
  }
  // x = (k - 1/2) / s lands on a cell boundary (position k); one step below it lands in the cell before.
  for (uint32_t s : {2u, 3u, 16u, 255u, 2047u}) {
    for (uint32_t k = 1; k <= s; ++k) {
      const uint32_t x = static_cast<uint32_t>(((uint64_t{2 * k - 1} << 22) + s / 2) / s);
      check(s << 16, x);
      check(s << 16, x - 1);
      if (HasFatalFailure()) return;
    }
  }
  EXPECT_GT(checked, 4000u);
}

TEST_F(HashgridAxisTest, LevelScalesOfRealTables) {
  hg::GridConfig c;
  c.dims = 3;
  c.per_level_scale = hg::per_level_scale_for(16, 2048, 16);
  for (const auto& lv : hg::level_table(c)) {
    for (int i = 0; i < 300; ++i) check(lv.scale_q, static_cast<uint32_t>(rng() % ((1u << 23) + 1)));
    if (HasFatalFailure()) return;
  }
}

TEST_F(HashgridAxisTest, Random) {
  for (int i = 0; i < 20000 && !HasFatalFailure(); ++i)
    check(static_cast<uint32_t>(rng() % (32767ull << 16)), static_cast<uint32_t>(rng() % ((1u << 23) + 1)));
}

}  // namespace
