// bench_gemm: throughput of the reference model's MAC-array gemm (bitgrid::engine_of(gemm)->execute, the
// function the functional executor and the SystemC model call for every gemm, docs/ARCHITECTURE.md §3.2)
// next to Eigen's int32 GEMM on the same shapes, one thread each.
//
// A shape is M x K activations times K x N weights. The reference gemm computes one output tile of
// mac_cols channels per instruction, so N = tiles * mac_cols: the bench packs as many distinct tiles as
// wbuf holds (bitgrid::bitmac::pack_weights / pack_side of random codes) and issues N / mac_cols gemms
// cycling through them, each over the whole of K (as the compiler's gemms do). Eigen computes
// (M x K int32) * (K x N int32) with Eigen::setNbThreads(1). Both are timed in thread CPU time, best of
// --reps. Prints MAC/s of both and their ratio; MAC = M*K*N multiply-accumulates.
//
// Also: --weights W.npy writes the synthetic heavy-tailed weight matrix of the model workload (Student-t(4)
// x 0.02, seeded) as float32 [rows][cols] for `bitgrid quantize W.npy --dtype all`.
//
// Usage: bench_gemm [--hw configs/hw/default.yaml] [--dtype bitmod3] [--reps 3] [--min-seconds 0.3]
//        bench_gemm --weights W.npy [--rows 4096] [--cols 4096] [--seed 1]
#include <yaml-cpp/yaml.h>

#include <Eigen/Core>
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "bench_util.h"
#include "bitgrid/datafile.h"
#include "bitgrid/engine.h"
#include "bitgrid/engines/bitmac.h"
#include "bitgrid/hwconfig.h"
#include "bitgrid/insn.h"
#include "bitgrid/quant.h"

using namespace bitgrid;
using bgbench::best_per_call;

namespace {

struct Shape {
  uint64_t m, k, n;
};

int write_weights(const std::string& path, uint64_t rows, uint64_t cols, uint64_t seed) {
  // The model workload's synthetic weights (compiler/src/workloads/model_workload.cpp, Model::build): one
  // Student-t(4) draw per weight times 0.02 (that workload draws its activations from the same generator
  // first, so the values differ; the distribution is the same).
  std::mt19937_64 rng(seed);
  std::student_t_distribution<double> student(4.0);
  std::vector<float> w(rows * cols);
  for (auto& v : w) v = static_cast<float>(0.02 * student(rng));
  write_npy(path, "f4", rows, cols, w.data());
  std::printf("wrote %s: [%lu][%lu] float32, Student-t(4) x 0.02, seed %lu\n", path.c_str(),
              static_cast<unsigned long>(rows), static_cast<unsigned long>(cols), static_cast<unsigned long>(seed));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string hw_path = std::string(BITGRID_SOURCE_DIR) + "/configs/hw/default.yaml";
  std::string dtname = "bitmod3", weights;
  int reps = 3;
  double min_s = 0.3;
  uint64_t wrows = 4096, wcols = 4096, seed = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "bench_gemm: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--hw")
      hw_path = next();
    else if (a == "--dtype")
      dtname = next();
    else if (a == "--reps")
      reps = std::atoi(next().c_str());
    else if (a == "--min-seconds")
      min_s = std::atof(next().c_str());
    else if (a == "--weights")
      weights = next();
    else if (a == "--rows")
      wrows = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--cols")
      wcols = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--seed")
      seed = std::strtoull(next().c_str(), nullptr, 10);
    else {
      std::fprintf(stderr,
                   "usage: bench_gemm [--hw HW.yaml] [--dtype NAME] [--reps N] [--min-seconds S]\n"
                   "       bench_gemm --weights W.npy [--rows R] [--cols C] [--seed S]\n");
      return 2;
    }
  }
  if (!weights.empty()) return write_weights(weights, wrows, wcols, seed);

  const HwConfig hw = HwConfig::from_yaml(YAML::LoadFile(hw_path), hw_path);
  const uint64_t dt = static_cast<uint64_t>(dtype_by_name(dtname));
  const uint64_t R = bitmac::rows(hw), C = bitmac::cols(hw);
  const Engine* eng = engine_of(static_cast<uint64_t>(isa::Op::kGemm));
  Eigen::setNbThreads(1);
  std::printf("bench_gemm: %s (mac_rows %lu, mac_cols %lu%s), dtype %s, group 128; one thread, CPU time, best of %d\n",
              hw_path.c_str(), static_cast<unsigned long>(R), static_cast<unsigned long>(C),
              hw.mac_parallel ? ", bit-parallel" : "", dtname.c_str(), reps);
  std::printf("  reference = bitgrid::engine_of(gemm)->execute, one gemm per tile of %lu channels over the whole K\n",
              static_cast<unsigned long>(C));
  std::printf("  eigen     = Eigen::Matrix<int32_t> (M x K) * (K x N), Eigen::setNbThreads(1)\n\n");
  std::printf("%6s %6s %6s %6s %14s %14s %10s\n", "M", "K", "N", "gemms", "ref MAC/s", "eigen MAC/s", "ref/eigen");

  const Shape shapes[] = {{1, 4096, 16}, {1, 4096, 4096}, {32, 4096, 16}, {32, 4096, 4096}, {1, 11008, 4096}};
  const uint64_t group = 128, gp = group / (2 * R);
  std::mt19937_64 rng(7);
  for (const Shape& s : shapes) {
    const uint64_t ng = s.k / group, tiles = s.n / C;
    Scratchpads spm(hw);
    const uint64_t ww = bitmac::weight_words(hw, dt, gp, ng), sw = bitmac::side_words(hw, ng);
    const uint64_t ow = bitmac::out_row_words(hw, false);
    const uint64_t o_stride = ow;  // each gemm writes its own M rows of one tile; obuf reuse does not matter
    const uint64_t held =
        std::max<uint64_t>(1, std::min({tiles, spm.words(isa::Buf::kWbuf) / ww, spm.words(isa::Buf::kSbuf) / sw}));
    if (s.m * s.k / 8 > spm.words(isa::Buf::kAbuf) || s.m * o_stride > spm.words(isa::Buf::kObuf)) {
      std::printf("%6lu %6lu %6lu: does not fit abuf/obuf, skipped\n", static_cast<unsigned long>(s.m),
                  static_cast<unsigned long>(s.k), static_cast<unsigned long>(s.n));
      continue;
    }
    // Random operands: activations in [-127, 127], codes of the datatype, scales 1..255, random selectors.
    auto* a = reinterpret_cast<int8_t*>(spm.data(isa::Buf::kAbuf));
    for (uint64_t i = 0; i < s.m * s.k; ++i) a[i] = static_cast<int8_t>(static_cast<int>(rng() % 255) - 127);
    const uint64_t code_mask = (uint64_t{1} << bitmac::bits(dt)) - 1;
    std::vector<Insn> insns;
    for (uint64_t t = 0; t < held; ++t) {
      bitmac::Tile tile;
      tile.dtype = dt;
      tile.group_pairs = gp;
      tile.n_groups = ng;
      tile.codes.resize(C * s.k);
      for (auto& c : tile.codes) c = static_cast<uint8_t>(rng() & code_mask);
      tile.scale.resize(C * ng);
      tile.sel.resize(C * ng);
      for (auto& v : tile.scale) v = static_cast<uint8_t>(1 + rng() % 255);
      for (auto& v : tile.sel) v = static_cast<uint8_t>(rng() & 3);
      tile.channels.assign(C, bitmac::Channel{0, 1, 20});
      const auto w = bitmac::pack_weights(hw, tile), sd = bitmac::pack_side(hw, tile);
      std::copy(w.begin(), w.end(), spm.data(isa::Buf::kWbuf, t * ww));
      std::copy(sd.begin(), sd.end(), spm.data(isa::Buf::kSbuf, t * sw));
      isa::GemmInsn g;
      g.dtype = dt;
      g.m_rows = s.m;
      g.group_pairs = gp;
      g.n_groups = ng;
      g.w_addr = t * ww;
      g.s_addr = t * sw;
      g.o_stride = o_stride;
      const Insn in = encode(g);
      const std::string why = eng->check(in, hw);
      if (!why.empty()) {
        std::fprintf(stderr, "bench_gemm: illegal gemm: %s\n", why.c_str());
        return 1;
      }
      insns.push_back(in);
    }
    std::vector<SpmWrite> writes;
    uint64_t sink = 0;
    const double t_ref = best_per_call(
        [&] {
          for (uint64_t t = 0; t < tiles; ++t) {
            writes.clear();
            eng->execute(insns[t % held], hw, spm, writes);
            sink += writes[0].words[0];
          }
        },
        reps, min_s);
    // Eigen on the same shape (its own random int32 operands: the time does not depend on the values).
    Eigen::Matrix<int32_t, Eigen::Dynamic, Eigen::Dynamic> A(s.m, s.k), B(s.k, s.n), Y(s.m, s.n);
    for (Eigen::Index i = 0; i < A.size(); ++i) A.data()[i] = static_cast<int32_t>(rng() % 255) - 127;
    for (Eigen::Index i = 0; i < B.size(); ++i) B.data()[i] = static_cast<int32_t>(rng() % 31) - 15;
    const double t_eig = best_per_call(
        [&] {
          Y.noalias() = A * B;
          sink += static_cast<uint64_t>(Y(0, 0));
        },
        reps, min_s);
    const double macs = static_cast<double>(s.m * s.k * s.n);
    std::printf("%6lu %6lu %6lu %6lu %14.4g %14.4g %9.2fx\n", static_cast<unsigned long>(s.m),
                static_cast<unsigned long>(s.k), static_cast<unsigned long>(s.n), static_cast<unsigned long>(tiles),
                macs / t_ref, macs / t_eig, t_eig / t_ref);
    std::printf("RESULT gemm M=%lu K=%lu N=%lu ref_mac_per_s=%.4g eigen_mac_per_s=%.4g ratio=%.3f\n",
                static_cast<unsigned long>(s.m), static_cast<unsigned long>(s.k), static_cast<unsigned long>(s.n),
                macs / t_ref, macs / t_eig, t_eig / t_ref);
    if (sink == 0x5eed) std::printf(" ");  // keeps the results live
  }
  return 0;
}
