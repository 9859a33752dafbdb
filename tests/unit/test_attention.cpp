// The attention lowering (compiler/src/workloads/attention.cpp, ARCHITECTURE.md §3.7): the reference executor's
// output equals the independent integer computation (pairwise kernel) on one chunk and on many, and the limits name
// themselves.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "bitgrid/engines/signacc.h"
#include "bitgrid/error.h"
#include "bitgrid/executor.h"
#include "bitgrid/workloads/attention.h"

using namespace bitgrid;

namespace {

HwConfig hw_file(const std::string& name) {
  const std::string f = std::string(BITGRID_SOURCE_DIR) + "/configs/hw/" + name + ".yaml";
  return HwConfig::from_yaml(YAML::LoadFile(f), f);
}

AttentionQ random_head(uint64_t n, uint64_t dim, uint64_t d, uint64_t bits, uint64_t form, uint64_t seed) {
  std::mt19937_64 rng(seed);
  AttentionQ a;
  a.n = n, a.dim = dim, a.d = d, a.bits = bits, a.form = form;
  auto fill = [&](std::vector<int8_t>& v, size_t k) {
    v.resize(k);
    for (auto& x : v) x = static_cast<int8_t>(rng());
  };
  fill(a.x, n * dim);
  fill(a.wv, d * dim);
  fill(a.wkh, bits * dim);
  fill(a.wqh, bits * dim);
  fill(a.wo, dim * d);
  // requantizers that keep most values inside INT8: |acc| <= 127*127*dim
  a.cv.assign(d, bitmac::Channel{0, 1, 12});
  a.co.assign(dim, bitmac::Channel{5, 3, 11});
  return a;
}

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

TEST(Attention, ExecutorMatchesThePairwiseReference) {
  struct Case {
    const char* hw;
    uint64_t n, dim, d, bits, form;
  };
  for (const Case& c :
       {Case{"default", 70, 40, 64, 16, 0}, Case{"default", 1, 8, 5, 1, 1}, Case{"tiny", 150, 12, 12, 5, 0},
        Case{"tiny", 33, 16, 8, 6, 1}, Case{"small", 300, 64, 16, 13, 1}}) {
    const HwConfig hw = hw_file(c.hw);
    const AttentionQ a = random_head(c.n, c.dim, c.d, c.bits, c.form, c.n * 7 + c.bits);
    const AttentionCompiled comp = compile_attention(a, hw);
    if (std::string(c.hw) == "tiny" && c.n == 150) {
      EXPECT_GT(comp.layout.chunks, 1u);  // a sequence beyond a buffer
    }
    const ExecResult r = execute_program(comp.program, hw, comp.memory);
    const AttentionRef ref = attention_reference(a);
    EXPECT_EQ(decode_attention(a, comp.layout, r.memory), ref.y) << c.hw << " n " << c.n << " bits " << c.bits;
    // not a vacuous match: the outputs vary
    int lo = 127, hi = -128;
    for (int8_t y : ref.y) lo = std::min<int>(lo, y), hi = std::max<int>(hi, y);
    if (c.n > 1) {
      EXPECT_LT(lo, hi);
    }
  }
}

TEST(Attention, LimitsNameThemselves) {
  const HwConfig hw = hw_file("default");
  // 2^31 / (128 * 129) = 130055.9: the 32-bit numerator's limit at b = 64
  EXPECT_EQ(signacc::max_keys(64), 130055u);
  AttentionQ a = random_head(signacc::max_keys(64) + 1, 1, 1, 64, 0, 1);
  try {
    compile_attention(a, hw);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_TRUE(has(e.what(), "tokens: 130056 overflows the sign-select accumulator's 32-bit numerator")) << e.what();
    EXPECT_TRUE(has(e.what(), "N <= 130055 at b = 64")) << e.what();
  }
  a = random_head(10, 8, 8, 17, 0, 2);
  try {
    compile_attention(a, hw);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_TRUE(has(e.what(), "bits: 17 exceeds the accumulator bank's sacc_bits = 16")) << e.what();
  }
  a = random_head(10, 8, 8, 16, 0, 3);
  a.wo.pop_back();
  EXPECT_THROW(compile_attention(a, hw), Error);
}

}  // namespace
