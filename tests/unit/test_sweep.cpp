// Sweep files (bitgrid/sweep.h): the points a grid or a seeded random sample gives, ranges, the Pareto front and
// results.csv, against points and fronts worked out by hand; every bad sweep file gets an error naming the key.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "bitgrid/error.h"
#include "bitgrid/sweep.h"

namespace fs = std::filesystem;
using bitgrid::Error;
using bitgrid::load_sweep;
using bitgrid::SweepPlan;

namespace {

class Sweep : public ::testing::Test {
 protected:
  fs::path dir;
  void SetUp() override {
    // a folder of this test's own: ctest runs the Sweep tests as parallel processes, and a shared s.yaml was
    // rewritten by one while another read it (a CI failure of Sweep.BadFiles)
    dir = fs::path(::testing::TempDir()) / ("bitgrid_sweep_unit_" + std::to_string(::getpid()) + "_" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::ofstream(dir / "base.yaml") << "workload: {type: hamming_topk}\n";
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir);
  }
  SweepPlan load(const std::string& text) {
    std::ofstream(dir / "s.yaml") << "base: base.yaml\n" << text;
    return load_sweep((dir / "s.yaml").string());
  }
  void expect_error(const std::string& text, const std::string& needle) {
    try {
      load(text);
      ADD_FAILURE() << "no error for:\n" << text;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    }
  }
};

}  // namespace

TEST_F(Sweep, GridOrderFirstAxisSlowest) {
  const SweepPlan p = load("axes:\n  hardware.ham_lanes: [2, 4]\n  workload.k: {from: 5, to: 15, step: 5}\n");
  EXPECT_EQ(p.base, (dir / "base.yaml").string());
  EXPECT_EQ(p.backend, "systemc");
  ASSERT_EQ(p.points.size(), 6u);
  const std::vector<std::vector<std::string>> want{{"2", "5"}, {"2", "10"}, {"2", "15"},
                                                   {"4", "5"}, {"4", "10"}, {"4", "15"}};
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(p.points[i].values, want[i]) << i;
    EXPECT_EQ(p.points[i].grid_index, i);
  }
  EXPECT_EQ(p.sets(4), (std::vector<std::string>{"hardware.ham_lanes=4", "workload.k=10"}));
  EXPECT_EQ(p.point_name(4), "p0004");
  // the plan survives its JSON form (OUT/sweep.json)
  EXPECT_EQ(SweepPlan::from_json(p.to_json(), "x").to_json(), p.to_json());
}

// The `fpga` section: kept as written, in the plan and its JSON form; a sweep without one has no "fpga" key in
// sweep.json (sweeps stored before the section existed still resume).
TEST_F(Sweep, FpgaSection) {
  const SweepPlan p =
      load("axes: {workload.k: [2]}\nfpga: {target: ice40-up5k, seed: 7, freq_mhz: 24.5, top: bg_core_shell}\n");
  EXPECT_EQ(p.fpga.target, "ice40-up5k");
  EXPECT_EQ(p.fpga.seed, 7u);
  EXPECT_EQ(p.fpga.freq_mhz, "24.5");
  EXPECT_EQ(p.fpga.top, "bg_core_shell");
  EXPECT_EQ(p.fpga.fmax_mhz, "");
  EXPECT_TRUE(SweepPlan::from_json(p.to_json(), "x").fpga == p.fpga);
  const SweepPlan q = load("axes: {workload.k: [2]}\n");
  EXPECT_EQ(q.fpga.target, "");
  EXPECT_FALSE(q.to_json().contains("fpga"));
  EXPECT_EQ(load("axes: {workload.k: [2]}\nfpga: {target: xilinx-7, fmax_mhz: 100}\n").fpga.fmax_mhz, "100");
  expect_error("axes: {workload.k: [2]}\nfpga: {target: ice40-up3k}\n", "fpga.target: unknown target 'ice40-up3k'");
  expect_error("axes: {workload.k: [2]}\nfpga: ice40-up5k\n", "fpga: expected a map");
  expect_error("axes: {workload.k: [2]}\nfpga: {target: gowin, freq_mhz: -1}\n", "fpga.freq_mhz: must be in (0, 2000]");
  expect_error("axes: {workload.k: [2]}\nfpga: {target: gowin, seed: x}\n", "fpga.seed");
}

TEST_F(Sweep, Ranges) {
  EXPECT_EQ(load("axes: {hardware.dram_bytes_per_cycle: {from: 8, to: 64, times: 2}}\n").axes[0].values,
            (std::vector<std::string>{"8", "16", "32", "64"}));
  EXPECT_EQ(load("axes: {hardware.dram_bytes_per_cycle: {from: 8, to: 63, times: 2}}\n").axes[0].values,
            (std::vector<std::string>{"8", "16", "32"}));
  EXPECT_EQ(load("axes: {energy.x: {from: 0.5, to: 1.5, step: 0.25}}\n").axes[0].values,
            (std::vector<std::string>{"0.5", "0.75", "1", "1.25", "1.5"}));
  EXPECT_EQ(load("axes: {workload.k: {from: 3, to: 3, step: 1}}\n").axes[0].values, (std::vector<std::string>{"3"}));
}

TEST_F(Sweep, RandomSamplingIsSeededDistinctAndInGridOrder) {
  const std::string axes = "axes:\n  a.x: [1, 2, 3, 4, 5, 6, 7, 8]\n  a.y: [1, 2, 3, 4]\n";
  const SweepPlan p = load("sampling: random\nsamples: 10\nseed: 7\n" + axes);
  ASSERT_EQ(p.points.size(), 10u);
  std::set<size_t> idx;
  for (size_t i = 0; i < p.points.size(); ++i) {
    const auto& pt = p.points[i];
    idx.insert(pt.grid_index);
    if (i > 0) {
      EXPECT_LT(p.points[i - 1].grid_index, pt.grid_index);
    }
    // the values are those of its grid index (first axis slowest, 4 values of y)
    EXPECT_EQ(pt.values[0], std::to_string(pt.grid_index / 4 + 1));
    EXPECT_EQ(pt.values[1], std::to_string(pt.grid_index % 4 + 1));
  }
  EXPECT_EQ(idx.size(), 10u);
  EXPECT_EQ(load("sampling: random\nsamples: 10\nseed: 7\n" + axes).to_json(), p.to_json());  // reproducible
  EXPECT_NE(load("sampling: random\nsamples: 10\nseed: 8\n" + axes).to_json(), p.to_json());
  EXPECT_EQ(load("sampling: random\nsamples: 32\n" + axes).points.size(), 32u);  // the whole grid
}

TEST_F(Sweep, BadFiles) {
  expect_error("axes: {}\n", "axes: empty");
  expect_error("", "axes: empty");
  expect_error("axes: {hardware.ham_lanes: []}\n", "axes.hardware.ham_lanes: empty");
  expect_error("axes: {ham_lanes: [1]}\n", "axes.ham_lanes: not a --set path");
  expect_error("axes: {hardware.ham_lanes: [1, 1]}\n", "listed twice");
  expect_error("axes: {hardware.ham_lanes: [[1]]}\n", "hardware.ham_lanes[0]: expected a number");
  expect_error("axes: {a.b: {from: 4, to: 2, step: 1}}\n", "to (2) is below from (4)");
  expect_error("axes: {a.b: {from: 1, to: 2}}\n", "one of step");
  expect_error("axes: {a.b: {from: 1, to: 2, step: 0}}\n", "step: must be above 0");
  expect_error("axes: {a.b: {from: 1, to: 8, times: 1}}\n", "times: must be above 1");
  expect_error("axes: {a.b: {from: 1, to: 200000, step: 1}}\n", "more than 10000 values");
  expect_error("axes: {a.b: {from: 1, to: 1000, step: 1}, a.c: {from: 1, to: 1000, step: 1}}\n",
               "more than 100000 grid points");
  expect_error("sampling: random\naxes: {a.b: [1, 2]}\n", "samples: missing");
  expect_error("sampling: random\nsamples: 3\naxes: {a.b: [1, 2]}\n", "samples");
  expect_error("samples: 3\naxes: {a.b: [1, 2]}\n", "samples and seed are for sampling: random");
  expect_error("sampling: sobol\naxes: {a.b: [1]}\n", "'sobol' is not grid or random");
  expect_error("backend: fpga\naxes: {a.b: [1]}\n", "'fpga' is not one of reference, systemc, rtl");
  expect_error("axis: {a.b: [1]}\n", "axis: unknown key");
  std::ofstream(dir / "nobase.yaml") << "axes: {a.b: [1]}\n";
  EXPECT_THROW(load_sweep((dir / "nobase.yaml").string()), Error);
  std::ofstream(dir / "far.yaml") << "base: nowhere.yaml\naxes: {a.b: [1]}\n";
  EXPECT_THROW(load_sweep((dir / "far.yaml").string()), Error);
}

// Fronts worked out by hand: (cycles, energy), fewer of both is better.
TEST(SweepPareto, ByHand) {
  using P = std::pair<double, double>;
  EXPECT_EQ(bitgrid::pareto_front({P{10, 5}, P{8, 7}, P{12, 4}, P{11, 6}, P{8, 8}}),
            (std::vector<bool>{true, true, true, false, false}));
  // equal points do not dominate each other; NaN (a failed point) is never on it and dominates nothing
  EXPECT_EQ(bitgrid::pareto_front({P{1, 1}, P{1, 1}, P{NAN, 0}, P{0.5, NAN}}),
            (std::vector<bool>{true, true, false, false}));
  EXPECT_EQ(bitgrid::pareto_front({}), std::vector<bool>{});
}

TEST_F(Sweep, ResultsCsv) {
  const SweepPlan p = load("axes: {hardware.ham_lanes: [2, 4, 8]}\n");
  auto rep = [](double cycles, double pj, bool verified) {
    return nlohmann::json{{"cycles", cycles},
                          {"verified", verified},
                          {"energy_pj", {{"total", pj}}},
                          {"dram_bytes", {{"read", 100}, {"write", 2}}},
                          {"units", {{"compute", {{"utilization", 0.5}}}}},
                          {"roofline", {{"fraction_of_bound", 0.25}, {"bound_by", "dram"}}},
                          {"recall_at_k", 0.75},
                          {"wall_seconds", 1.5}};
  };
  const std::vector<bitgrid::SweepResult> r{{"ok", rep(100, 50, true), ""},
                                            {"failed", nullptr, "hardware.ham_lanes: 4, the \"limit\", 2"},
                                            {"unverified", rep(10, 5, false), "differs"}};
  EXPECT_EQ(bitgrid::sweep_results_csv(p, r),
            "point,hardware.ham_lanes,status,verified,cycles,energy_pj,dram_read_bytes,dram_write_bytes,"
            "compute_utilization,fraction_of_bound,bound_by,recall_at_k,pareto,error\n"
            "p0000,2,ok,1,100,50,100,2,0.5,0.25,dram,0.75,1,\n"
            "p0001,4,failed,,,,,,,,,,0,\"hardware.ham_lanes: 4, the \"\"limit\"\", 2\"\n"
            "p0002,8,unverified,0,10,5,100,2,0.5,0.25,dram,0.75,0,differs\n");
}
