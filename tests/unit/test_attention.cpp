// The attention lowerings (compiler/src/workloads/attention.cpp, softmax_attention.cpp, ARCHITECTURE.md §3.7,
// §3.8): the reference executor's output equals the independent integer computation (pairwise kernel; for softmax
// direct matrix products) on one chunk and on many, and the limits name themselves.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
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
    const RowChunkCompiled comp = compile_attention(a, hw);
    if (std::string(c.hw) == "tiny" && c.n == 150) {
      EXPECT_GT(comp.layout.chunks, 1u);  // a sequence beyond a buffer
    }
    const ExecResult r = execute_program(comp.program, hw, comp.memory);
    const AttentionRef ref = attention_reference(a);
    EXPECT_EQ(decode_row_chunks(a.n, a.dim, comp.layout, r.memory), ref.y)
        << c.hw << " n " << c.n << " bits " << c.bits;
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

SoftmaxQ random_softmax(uint64_t n, uint64_t dim, uint64_t d, uint64_t seed) {
  std::mt19937_64 rng(seed);
  SoftmaxQ s;
  s.n = n, s.dim = dim, s.d = d, s.gain = seed % 4;
  auto fill = [&](std::vector<int8_t>& v, size_t k) {
    v.resize(k);
    for (auto& x : v) x = static_cast<int8_t>(rng());
  };
  fill(s.x, n * dim);
  fill(s.wq, d * dim);
  fill(s.wk, d * dim);
  fill(s.wv, d * dim);
  fill(s.wo, dim * d);
  // |acc| <= 127*128*dim: shifts that keep Q, K, V mostly inside INT8, logits spread over INT8
  s.cq.assign(d, bitmac::Channel{0, 3, 11});
  s.ck.assign(d, bitmac::Channel{0, 3, 11});
  s.cv.assign(d, bitmac::Channel{0, 1, 9});
  s.co.assign(dim, bitmac::Channel{-3, 5, 12});
  s.cl = bitmac::Channel{0, 1, 6};
  s.exp_table.resize(256);
  for (int e = 0; e < 256; ++e) {  // 127 exp((l - 60) / 16), l the INT8 logit
    const double l = e < 128 ? e : e - 256;
    s.exp_table[static_cast<size_t>(e)] =
        static_cast<int8_t>(std::min(127.0, std::round(127 * std::exp((l - 60) / 16))));
  }
  return s;
}

TEST(Attention, SoftmaxExecutorMatchesTheReference) {
  struct Case {
    const char* hw;
    uint64_t n, dim, d;
  };
  // default: one query chunk and many key/query chunks (3 x 40 rows: the logits of 1000 keys fill obuf), a head
  // narrower than a tile; small: the bit-parallel array with 8 KiB of wbuf (tiny's 1 KiB: SoftmaxLimitsNameThemselves).
  for (const Case& c : {Case{"default", 70, 40, 64}, Case{"default", 1000, 24, 20}, Case{"default", 1, 8, 5},
                        Case{"small", 40, 32, 16}}) {
    const HwConfig hw = hw_file(c.hw);
    const SoftmaxQ s = random_softmax(c.n, c.dim, c.d, c.n + c.d);
    const RowChunkCompiled comp = compile_softmax_attention(s, hw);
    const ExecResult r = execute_program(comp.program, hw, comp.memory);
    const SoftmaxRef ref = softmax_reference(s);
    EXPECT_EQ(decode_row_chunks(s.n, s.dim, comp.layout, r.memory), ref.y) << c.hw << " n " << c.n;
    if (c.n == 1000) {
      EXPECT_GT(comp.layout.chunks, 2u);
    }
    int lo = 127, hi = -128;
    for (int8_t y : ref.y) lo = std::min<int>(lo, y), hi = std::max<int>(hi, y);
    if (c.n > 1) {
      EXPECT_LT(lo, hi);
    }
  }
}

// The reference's attention rows are softmax-weighted means: within one of round(2^gain sum P v / sum P) computed
// here in doubles from the same INT8 Q, K, V (the 17-bit reciprocal's error), never outside V's range.
TEST(Attention, SoftmaxReferenceIsAWeightedMean) {
  const SoftmaxQ s = random_softmax(50, 16, 8, 6);
  const SoftmaxRef ref = softmax_reference(s);
  auto lin = [&](const std::vector<int8_t>& w, const std::vector<bitmac::Channel>& ch) {
    std::vector<int64_t> y(s.n * s.d);
    for (uint64_t r = 0; r < s.n; ++r)
      for (uint64_t o = 0; o < s.d; ++o) {
        int64_t acc = 0;
        for (uint64_t i = 0; i < s.dim; ++i) acc += int64_t{s.x[r * s.dim + i]} * w[o * s.dim + i];
        y[r * s.d + o] = bitmac::requant(acc, ch[o], false, false);
      }
    return y;
  };
  const std::vector<int64_t> q = lin(s.wq, s.cq), k = lin(s.wk, s.ck), v = lin(s.wv, s.cv);
  for (uint64_t i = 0; i < s.n; ++i) {
    std::vector<double> p(s.n);
    double sum = 0;
    for (uint64_t j = 0; j < s.n; ++j) {
      int64_t acc = 0;
      for (uint64_t c = 0; c < s.d; ++c) acc += q[i * s.d + c] * k[j * s.d + c];
      p[j] = s.exp_table[static_cast<uint8_t>(static_cast<int8_t>(bitmac::requant(acc, s.cl, false, false)))];
      sum += p[j];
    }
    for (uint64_t c = 0; c < s.d; ++c) {
      double num = 0;
      int64_t vlo = 127, vhi = -128;
      for (uint64_t j = 0; j < s.n; ++j) {
        num += p[j] * static_cast<double>(v[j * s.d + c]);
        vlo = std::min(vlo, v[j * s.d + c]), vhi = std::max(vhi, v[j * s.d + c]);
      }
      const double want = sum > 0 ? std::clamp(std::round(num / sum * (1 << s.gain)), -128.0, 127.0) : 0.0;
      const int got = ref.att[i * s.d + c];
      EXPECT_LE(std::abs(got - want), 1.0) << "row " << i << " col " << c;
      if (sum > 0) {
        EXPECT_GE(got, std::max<int64_t>(-128, (vlo << s.gain) - 1));
        EXPECT_LE(got, std::min<int64_t>(127, (vhi << s.gain) + 1));
      }
    }
  }
}

TEST(Attention, SoftmaxLimitsNameThemselves) {
  const HwConfig hw = hw_file("default");
  auto error_of = [&](const SoftmaxQ& s, const HwConfig& h) -> std::string {
    try {
      compile_softmax_attention(s, h);
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  };
  // K and V of 16384 tokens at d = 64: 2 x 1 MiB as weight tiles, above the default's 512 KiB of wbuf
  std::string e = error_of(random_softmax(16384, 8, 64, 1), hw);
  EXPECT_TRUE(has(e, "K and V of 16384 tokens as weight tiles")) << e;
  EXPECT_TRUE(has(e, "wbuf_kib = 512")) << e;
  // tiny: a head of 16 values on chip (2 x mac_rows) for 4 tokens: stages, ones tile, K and V take 166 words of 128
  e = error_of(random_softmax(4, 4, 4, 1), hw_file("tiny"));
  EXPECT_TRUE(has(e, "need 1328 bytes of wbuf (wbuf_kib = 1)")) << e;
  HwConfig no_pack = hw;
  no_pack.has_wpack = 0;
  e = error_of(random_softmax(10, 8, 8, 1), no_pack);
  EXPECT_TRUE(has(e, "the machine has no wpack (has_wpack: 0)")) << e;
  // 2^31 / (127 * 128) = 132104.06: the INT32 numerators' limit
  e = error_of(random_softmax(132105, 1, 1, 1), hw);
  EXPECT_TRUE(has(e, "tokens: 132105 would overflow the INT32 numerators of P V")) << e;
  EXPECT_TRUE(has(e, "n <= 132104")) << e;
  SoftmaxQ s = random_softmax(10, 8, 8, 2);
  s.exp_table.pop_back();
  EXPECT_TRUE(has(error_of(s, hw), "operands of the wrong size"));
}

}  // namespace
