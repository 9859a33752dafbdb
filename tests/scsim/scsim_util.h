#pragma once
// Helpers for the SystemC model tests: configurations, program building, kNN programs laid out per
// docs/ARCHITECTURE.md §2.
#include <cstdint>
#include <random>
#include <vector>

#include "backend.h"
#include "bitgrid/hamming.h"
#include "bitgrid/insn.h"
#include "rule_oracle.h"

namespace bitgrid::scsim_test {

// A small machine with short latency (tests stay fast); every parameter can be overridden.
HwConfig small_hw();

Deps deps(bool pop_prev, bool pop_next, bool push_prev, bool push_next);
using bgtest::hamtopk;

SimResult run(const HwConfig& hw, const Program& p, uint64_t dram_bytes, SimOptions opt = {});
SimResult run(const HwConfig& hw, const Program& p, std::vector<uint8_t> mem, SimOptions opt = {});

CodeSet random_codes(std::mt19937_64& rng, size_t n, size_t words, int density_bits = 64);

// A kNN job: queries against a database in tiles of tile_codes codes, double buffered in dbuf with
// tokens, results stored to DRAM. dram holds the inputs; result_addr is where query q's k entries
// (k words, {index, dist}) start at result_addr + q*result_stride bytes.
struct KnnJob {
  Program program;
  std::vector<uint8_t> dram;
  uint64_t result_addr = 0, result_stride = 0;
};
KnnJob make_knn_job(const HwConfig& hw, const CodeSet& db, const CodeSet& queries, size_t k, size_t tile_codes);

}  // namespace bitgrid::scsim_test
