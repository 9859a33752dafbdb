// The MemoryFormer layer's lowering (compiler/src/workloads/memoryformer.cpp, ARCHITECTURE.md §3.9) and its linear
// baseline: the reference executor's output equals the direct integer computation on one chunk and on many, on the
// bit-serial and the bit-parallel arrays, and the limits name themselves.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "bitgrid/error.h"
#include "bitgrid/executor.h"
#include "bitgrid/workloads/memoryformer.h"

using namespace bitgrid;

namespace {

HwConfig hw_file(const std::string& name) {
  const std::string f = std::string(BITGRID_SOURCE_DIR) + "/configs/hw/" + name + ".yaml";
  return HwConfig::from_yaml(YAML::LoadFile(f), f);
}
bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

MemoryQ random_layer(uint64_t n, uint64_t d_in, uint64_t d_out, uint64_t tau, bool linear, uint64_t seed) {
  std::mt19937_64 rng(seed);
  MemoryQ q;
  q.n = n, q.d_in = d_in, q.d_out = d_out, q.tau = tau, q.linear = linear;
  auto fill = [&](std::vector<int8_t>& v, size_t k) {
    v.resize(k);
    for (auto& x : v) x = static_cast<int8_t>(rng());
  };
  fill(q.x, n * d_in);
  if (linear)
    fill(q.w, d_out * d_in);
  else
    fill(q.tables, (d_in / tau) * (uint64_t{1} << tau) * d_out);
  for (uint64_t o = 0; o < d_out; ++o)
    q.ch.push_back({static_cast<int32_t>(rng() % 401) - 200, static_cast<uint16_t>(1 + rng() % 3000),
                    static_cast<uint8_t>(linear ? 14 : 8)});
  return q;
}

TEST(MemoryLayer, ExecutorMatchesTheReference) {
  struct Case {
    const char* hw;
    uint64_t n, d_in, d_out, tau;
  };
  for (const Case& c : {Case{"default", 300, 64, 64, 8}, Case{"default", 1, 24, 5, 3}, Case{"default", 2000, 40, 20, 4},
                        Case{"small", 200, 32, 16, 4}, Case{"tiny", 100, 12, 8, 2}})
    for (bool linear : {false, true}) {
      const HwConfig hw = hw_file(c.hw);
      const MemoryQ q = random_layer(c.n, c.d_in, c.d_out, c.tau, linear, c.n + c.tau);
      const RowChunkCompiled comp = compile_memory_layer(q, hw);
      const ExecResult r = execute_program(comp.program, hw, comp.memory);
      const std::vector<int8_t> ref = memory_reference(q);
      EXPECT_EQ(decode_row_chunks(q.n, q.d_out, comp.layout, r.memory), ref) << c.hw << " n " << c.n << " " << linear;
      if (c.n == 2000) {
        EXPECT_GT(comp.layout.chunks, 1u);
      }
      int lo = 127, hi = -128;
      for (int8_t y : ref) lo = std::min<int>(lo, y), hi = std::max<int>(hi, y);
      if (c.n > 1) {
        EXPECT_LT(lo, hi) << c.hw << " " << linear;
      }
    }
}

TEST(MemoryLayer, LimitsNameThemselves) {
  const HwConfig hw = hw_file("default");
  auto error_of = [&](const MemoryQ& q, const HwConfig& h) -> std::string {
    try {
      compile_memory_layer(q, h);
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  };
  // 32 tables of 256 rows x 256 values: 2 MiB, above the default's 512 KiB of wbuf
  std::string e = error_of(random_layer(4, 256, 256, 8, false, 1), hw);
  EXPECT_TRUE(has(e, "the 32 tables of 256 rows x 256 INT8 values (2097152 bytes) exceed wbuf (wbuf_kib = 512)")) << e;
  e = error_of(random_layer(4, 65 * 8, 16, 8, false, 1), hw);
  EXPECT_TRUE(has(e, "dim: 520 / tau = 65 chunks, above the table accumulator's 64")) << e;
  MemoryQ q = random_layer(4, 16, 16, 4, false, 2);
  q.tau = 3;
  EXPECT_TRUE(has(error_of(q, hw), "dim: 16 is not a multiple of tau = 3")) << error_of(q, hw);
  q.tau = 9;
  EXPECT_TRUE(has(error_of(q, hw), "tau: 9 is outside 1..8"));
  HwConfig no_tab = hw;
  no_tab.has_tabacc = 0;
  e = error_of(random_layer(4, 16, 16, 4, false, 3), no_tab);
  EXPECT_TRUE(has(e, "the machine has no tabacc (has_tabacc: 0)")) << e;
  EXPECT_EQ(error_of(random_layer(4, 16, 16, 4, true, 3), no_tab), "no error");  // the linear form needs no tabacc
  q = random_layer(4, 16, 16, 4, false, 4);
  q.tables.pop_back();
  EXPECT_TRUE(has(error_of(q, hw), "operands of the wrong size"));
}

}  // namespace
