// rtl/engines/hashgrid/bg_hashgrid_index.sv (combinational: dense index or coherent-prime hash, mod the level size)
// against the reference model's bitgrid::hashgrid::corner_index, on the levels of real and random level tables:
// random corners, every corner of the last cell (coordinate res: a dense level wraps), the uint32-stride level
// (res 2048, 2^22 entries, 3-D), and the DESIGN.md conformance vectors. BG_HG_DIMS (2 or 3) is the parameter set.
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
constexpr uint32_t D = BG_HG_DIMS;

class HashgridIndexTest : public ::testing::Test {
 protected:
  std::unique_ptr<VerilatedContext> ctx = std::make_unique<VerilatedContext>();
  std::unique_ptr<Vdut> dut = std::make_unique<Vdut>(ctx.get());
  uint64_t seed = 0;
  std::mt19937_64 rng;
  unsigned checked = 0;

  void SetUp() override {
    const char* env = std::getenv("BG_TEST_SEED");
    seed = env ? std::strtoull(env, nullptr, 0) : 2024;
    rng.seed(seed);
  }
  void TearDown() override {
    dut->final();
    if (HasFailure()) std::cout << "[   SEED   ] BG_TEST_SEED=" << seed << " reproduces this test\n";
  }

  void check(const hg::Level& lv, const uint32_t* c) {
    uint64_t packed = 0;
    for (uint32_t d = 0; d < D; ++d) packed |= uint64_t{c[d]} << (16 * d);
    dut->c_i = packed;
    dut->dense_i = lv.dense;
    dut->stride1_i = lv.res;
    dut->stride2_i = lv.res * lv.res;  // mod 2^32
    dut->size_i = lv.size;
    dut->eval();
    const uint32_t want = hg::corner_index(lv, D, c);
    ASSERT_EQ(dut->index_o, want) << "res " << lv.res << " size " << lv.size << " dense " << lv.dense << " c " << c[0]
                                  << "," << c[1] << "," << (D == 3 ? c[2] : 0);
    ++checked;
  }

  void check_level(const hg::Level& lv, int random_corners) {
    uint32_t c[3] = {};
    for (int i = 0; i < random_corners; ++i) {
      for (uint32_t d = 0; d < D; ++d) c[d] = static_cast<uint32_t>(rng() % (uint64_t{lv.res} + 1));
      check(lv, c);
      if (HasFatalFailure()) return;
    }
    // the corners of the last cell: coordinates res - 1 and res (x = 1)
    for (uint32_t k = 0; k < (1u << D); ++k) {
      for (uint32_t d = 0; d < D; ++d) c[d] = lv.res - 1 + ((k >> d) & 1u);
      check(lv, c);
    }
  }
};

TEST_F(HashgridIndexTest, InstantNgpLevels) {
  hg::GridConfig c;
  c.dims = D;
  c.log2_table = D == 3 ? 19 : 15;
  c.per_level_scale = hg::per_level_scale_for(16, D == 3 ? 2048 : 4096, 16);
  unsigned dense = 0;
  for (const auto& lv : hg::level_table(c)) {
    dense += lv.dense;
    check_level(lv, 2000);
    if (HasFatalFailure()) return;
  }
  EXPECT_GE(dense, 4u);
}

TEST_F(HashgridIndexTest, RandomTables) {
  for (int t = 0; t < 60 && !HasFatalFailure(); ++t) {
    hg::GridConfig c;
    c.dims = D;
    c.levels = 1 + static_cast<uint32_t>(rng() % 8);
    c.log2_table = 4 + static_cast<uint32_t>(rng() % 20);
    c.base_res = 1 + static_cast<uint32_t>(rng() % 200);
    c.per_level_scale = 1.0f + static_cast<float>(rng() % 1000) / 1000.0f;
    for (const auto& lv : hg::level_table(c)) check_level(lv, 200);
  }
  EXPECT_GT(checked, 10000u);
}

TEST_F(HashgridIndexTest, Uint32StrideAndConformance) {
  if (D == 3) {
    hg::GridConfig c;
    c.dims = 3;
    c.levels = 1;
    c.log2_table = 22;
    c.base_res = 2048;
    const auto lv = hg::level_table(c)[0];
    ASSERT_TRUE(lv.dense);
    check_level(lv, 1000);
    // DESIGN.md §5.1: (1,2,3) -> 128476 mod 2^19, (100,200,300) -> 110768, (2047,2048,1) -> 514154
    hg::Level h;
    h.size = 1u << 19;
    const uint32_t v[3][3] = {{1, 2, 3}, {100, 200, 300}, {2047, 2048, 1}};
    const uint32_t want[3] = {128476, 110768, 514154};
    for (int i = 0; i < 3; ++i) {
      check(h, v[i]);
      EXPECT_EQ(dut->index_o, want[i]);
    }
  } else {
    // 2-D: a dense level whose res^2 fills the table exactly (res 4, 16 entries) wraps at x = 1
    hg::Level lv;
    lv.res = 4;
    lv.size = 16;
    lv.dense = true;
    const uint32_t c[2] = {4, 3};
    check(lv, c);
    EXPECT_EQ(dut->index_o, 0u);  // 4 + 3 * 4 = 16 -> 0
  }
}

}  // namespace
