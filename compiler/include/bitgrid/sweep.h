#pragma once
// A design-space sweep (SWEEP.yaml, `bitgrid sweep`): a base run config, axes over `--set` paths, grid or seeded
// random sampling; the plan of points, and the results table of the points' reports.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace bitgrid {

struct SweepAxis {
  std::string path;                 // a --set path, e.g. hardware.ham_lanes
  std::vector<std::string> values;  // each as the --set value text (YAML scalar)
};

struct SweepPoint {
  size_t grid_index = 0;            // its place in the full grid (first axis slowest)
  std::vector<std::string> values;  // one per axis
};

// The FPGA flow each point's hardware goes through (the sweep's `fpga` section; no target: none): `bitgrid fpga`
// once per distinct hardware, its fpga.json then the point's clock and LUTs (results.csv's fpga_* columns).
struct SweepFpga {
  std::string target;    // one of scripts/fpga.sh's targets ("": no FPGA flow)
  uint64_t seed = 1;     // nextpnr's placer seed (iCE40)
  std::string freq_mhz;  // the clock requested from nextpnr ("": fpga.sh's default)
  std::string top;       // "": the target's default top
  std::string fmax_mhz;  // the clock of a target without place-and-route ("": none, the LUTs only)
  bool operator==(const SweepFpga& o) const {
    return target == o.target && seed == o.seed && freq_mhz == o.freq_mhz && top == o.top && fmax_mhz == o.fmax_mhz;
  }
};

struct SweepPlan {
  std::string sweep_file;  // as given
  std::string base;        // the run config, resolved (relative to the sweep file's folder)
  std::string backend = "systemc";
  std::string sampling = "grid";  // grid | random
  uint64_t seed = 1;
  size_t samples = 0;  // random: how many points
  std::vector<SweepAxis> axes;
  std::vector<SweepPoint> points;
  SweepFpga fpga;

  // "path=value" for each axis of point i.
  std::vector<std::string> sets(size_t i) const;
  // The point's folder name under OUT/points/: p0000, p0001, ... (4 digits, more when needed).
  std::string point_name(size_t i) const;
  // The plan as stored in OUT/sweep.json (what a resumed sweep must match), and back.
  nlohmann::json to_json() const;
  static SweepPlan from_json(const nlohmann::json& j, const std::string& where);
};

// Limits of a sweep file.
constexpr size_t kSweepMaxPoints = 100000;
constexpr size_t kSweepMaxAxisValues = 10000;

// Reads SWEEP.yaml: `base` (required), `backend` (reference | systemc | rtl; default systemc), `axes` (a map of
// --set path -> a list of values, or {from, to, step} or {from, to, times}), `sampling` (grid | random),
// `samples` and `seed` (random), `fpga` ({target, seed, freq_mhz, top, fmax_mhz}: the FPGA flow per point's
// hardware). Throws Error naming the file and key for every problem (empty axes, bad ranges,
// too many points). The axes' paths are checked by loading the base config with a point's values (the caller).
SweepPlan load_sweep(const std::string& path);

// Minimising both coordinates: true for each point no other point dominates (<= in both, < in one). Points with
// a NaN coordinate are never on the front.
std::vector<bool> pareto_front(const std::vector<std::pair<double, double>>& pts);

// One point's outcome for the results table.
struct SweepResult {
  std::string status;     // ok | unverified | failed | not run
  nlohmann::json report;  // its report.json (ok, unverified)
  std::string error;      // failed: the one-line error
};

// The points on the cycles-energy Pareto front among the verified ones with cycles.
std::vector<bool> sweep_pareto(const std::vector<SweepResult>& results);

// results.csv: one row per point: point, the axes, status, verified, cycles, energy_pj, dram bytes, compute
// utilization, fraction of the bound, bound_by, each other top-level number of the reports (workload figures,
// e.g. energy_pj_per_code_compare, recall_at_k), the fpga section's numbers when a report has them, pareto (1 on
// the cycles-energy front of the verified points) and the error. No wall times: the same sweep gives the same
// bytes wherever its points ran (each point's report.json keeps its wall time).
std::string sweep_results_csv(const SweepPlan& plan, const std::vector<SweepResult>& results);

}  // namespace bitgrid
