// bench_hashgrid: the reference model's float hash-grid encoding (bitgrid::hashgrid::encode_float, tiny-cuda-nn
// semantics) beside a plain scalar loop of the same arithmetic, one thread each, in points per second; and the
// hardware's fixed point (encode_fixed) against float: max and RMS error.
//
// The plain loop is what one writes from the formulas without the model's structure: per point and level the
// position, per corner the weight, the index (dense sum or coherent-prime hash, `%` the level size) and the
// features, reading the level table (scale, res, size, offset, dense) precomputed once. Both are timed in thread
// CPU time, best of --reps rounds of at least --min-seconds, on the same seeded points and parameters, and must
// give the same bytes.
//
// Configurations: Instant-NGP's 3-D grid (L 16, F 2, T 19, N_min 16, N_max 2048: 12.2 M parameters, 49 MB) and
// a 2-D image grid (L 16, F 2, T 15, N_min 16, N_max 256: 0.34 M parameters, 1.3 MB).
//
// Usage: bench_hashgrid [--points 200000] [--reps 3] [--min-seconds 0.3]
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "bench_util.h"
#include "bitgrid/hashgrid.h"

using namespace bitgrid;
using bgbench::best_per_call;
using namespace bitgrid::hashgrid;

namespace {

// The plain loop (see the header comment).
void plain_encode(const GridConfig& c, const std::vector<Level>& t, const float* x, size_t n, const float* g,
                  float* out) {
  const uint32_t D = c.dims, F = c.features;
  for (size_t i = 0; i < n; ++i)
    for (uint32_t l = 0; l < c.levels; ++l) {
      float pos[3];
      uint32_t cell[3];
      for (uint32_t d = 0; d < D; ++d) {
        pos[d] = std::fma(t[l].scale, x[i * D + d], 0.5f);
        const float fl = std::floor(pos[d]);
        cell[d] = uint32_t(int(fl));
        pos[d] -= fl;
        if (c.interp == Interp::smoothstep) pos[d] = pos[d] * pos[d] * (3.0f - 2.0f * pos[d]);
      }
      float res[8] = {};
      for (uint32_t k = 0; k < (1u << D); ++k) {
        float w = 1;
        uint32_t idx = 0, stride = 1, h = 0;
        for (uint32_t d = 0; d < D; ++d) {
          const uint32_t cd = cell[d] + ((k >> d) & 1u);
          w *= (k >> d) & 1u ? pos[d] : 1 - pos[d];
          idx += cd * stride;
          stride *= t[l].res;
          h ^= cd * kPrimes[d];
        }
        const uint64_t e = uint64_t{t[l].offset} + (t[l].dense ? idx : h) % t[l].size;
        for (uint32_t f = 0; f < F; ++f) res[f] += w * g[e * F + f];
      }
      for (uint32_t f = 0; f < F; ++f) out[(i * c.levels + l) * F + f] = res[f];
    }
}

void bench(const char* name, const GridConfig& c, size_t n, int reps, double min_s) {
  const auto t = level_table(c);
  std::mt19937_64 rng(1);
  std::vector<float> g(n_params(c, t)), x(n * c.dims);
  for (auto& v : g) v = float(int64_t(rng() % 200001) - 100000) / 100000.0f;  // uniform in [-1, 1]
  for (auto& v : x) v = float(rng() >> 40) / float(1 << 24);
  std::vector<float> a(n * c.out_features()), b(a.size());
  const double ta = best_per_call([&] { encode_float(c, t, x.data(), n, g.data(), a.data()); }, reps, min_s);
  const double tb = best_per_call([&] { plain_encode(c, t, x.data(), n, g.data(), b.data()); }, reps, min_s);
  const bool same = std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
  std::printf("%-34s %9.3g params  reference %8.3g points/s  plain loop %8.3g points/s  ratio %.2f  %s\n", name,
              double(g.size()), double(n) / ta, double(n) / tb, tb / ta, same ? "same bytes" : "BYTES DIFFER");
  // fixed point against float, on the same points and parameters
  const auto q = quantize_table(c, t, g.data());
  std::vector<uint32_t> xq(x.size());
  for (size_t i = 0; i < x.size(); ++i) xq[i] = quantize_coord(x[i]);
  std::vector<int32_t> acc(a.size());
  encode_fixed(c, t, xq.data(), n, q, acc.data());
  double mx = 0, sq = 0;
  for (size_t i = 0; i < acc.size(); ++i) {
    const double e = acc_value(acc[i], q.frac[(i % c.out_features()) / c.features]) - a[i];
    mx = std::max(mx, std::fabs(e));
    sq += e * e;
  }
  std::printf("%-34s fixed vs float (|v| <= 1, table %d..%d fractional bits): max |error| %.3g, RMS %.3g\n", "",
              *std::min_element(q.frac.begin(), q.frac.end()), *std::max_element(q.frac.begin(), q.frac.end()), mx,
              std::sqrt(sq / double(acc.size())));
  if (!same) std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  size_t n = 200000;
  int reps = 3;
  double min_s = 0.3;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--points")
      n = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--reps")
      reps = std::atoi(argv[i + 1]);
    else if (a == "--min-seconds")
      min_s = std::atof(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: bench_hashgrid [--points N] [--reps R] [--min-seconds S]\n");
      return 2;
    }
  }
  std::printf("bench_hashgrid: float encoding, one thread, %zu random points (best of %d)\n", n, reps);
  GridConfig ngp;
  ngp.dims = 3;
  ngp.per_level_scale = per_level_scale_for(16, 2048, 16);
  bench("3-D L16 F2 T19 N16..2048", ngp, n, reps, min_s);
  GridConfig img;
  img.dims = 2;
  img.log2_table = 15;
  img.per_level_scale = per_level_scale_for(16, 256, 16);
  bench("2-D L16 F2 T15 N16..256", img, n, reps, min_s);
  img.interp = Interp::smoothstep;
  bench("2-D L16 F2 T15 N16..256 smoothstep", img, n, reps, min_s);
  return 0;
}
