// The bitgrid command line on good and bad input: every bad input gives a one-line error naming the
// file/key/limit, a non-zero exit, and leaves no output files behind.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>

#include "bitgrid/datafile.h"
#include "bitgrid/gen/isa.h"
#include "bitgrid/hashgrid.h"
#include "bitgrid/image.h"
#include "bitgrid/insn.h"
#include "bitgrid/quant.h"
#include "exe_test.h"

namespace fs = std::filesystem;

namespace {

using bgtest::Result;
using bgtest::slurp;

class Cli : public bgtest::ExeTest {
 protected:
  void SetUp() override { make_dir("bitgrid_cli_"); }
  // A config with a small random workload; `extra` replaces parts via --set.
  fs::path config(const std::string& workload_tail = "") {
    return write("cfg.yaml",
                 "hardware: {ham_lanes: 4, topk_max: 16}\n"
                 "workload:\n  type: hamming_topk\n  k: 5\n  bits: 128\n  seed: 3\n"
                 "  database: {random_codes: 300}\n  queries: {random_codes: 4}\n" +
                     workload_tail);
  }
  // Runs `cfg` on the reference and the systemc backend: each must succeed and verify, and both must write the same
  // bytes into `outputs`. `extra`: more options (--set ...). Returns each run's stdout and report (reference first;
  // empty when a run failed).
  struct BackendRun {
    std::string backend, out;
    nlohmann::json rep;
  };
  std::vector<BackendRun> run_both_backends(const fs::path& cfg, const std::vector<std::string>& outputs,
                                            const std::string& extra = "") {
    std::vector<BackendRun> runs;
    std::string first;
    for (const std::string be : {"reference", "systemc"}) {
      const fs::path out = dir / be;
      const Result r = run("run " + cfg.string() + extra + " --backend " + be + " --no-html --out " + out.string());
      EXPECT_EQ(r.rc, 0) << be << ": " << r.err;
      if (r.rc != 0) return {};
      EXPECT_NE(r.out.find("verified: yes"), std::string::npos) << be << ": " << r.out;
      std::string bytes;
      for (const auto& f : outputs) bytes += slurp(out / f);
      if (first.empty()) first = bytes;
      EXPECT_EQ(bytes, first) << be << ": outputs differ from the reference backend's";
      runs.push_back({be, r.out, nlohmann::json::parse(slurp(out / "report.json"))});
    }
    return runs;
  }
  // `bitgrid quantize ARGS -o q.npz` expected to fail: non-zero exit, one line on stderr containing
  // `needle`, no output file (nor its temporary) left behind.
  void expect_quantize_error(const std::string& args, const std::string& needle) {
    const fs::path out = dir / "q.npz";
    fs::remove(out);
    const Result r = run("quantize " + args + " -o " + out.string());
    EXPECT_NE(r.rc, 0) << args;
    EXPECT_NE(r.err.find(needle), std::string::npos) << "stderr: " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "stderr: " << r.err;
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
    EXPECT_FALSE(fs::exists(out)) << args;
    EXPECT_FALSE(fs::exists(out.string() + ".tmp")) << args;
  }
  // Seeded heavy-tailed (Laplace) weights [rows][cols].
  static std::vector<float> weights(size_t rows, size_t cols, unsigned seed = 5) {
    std::mt19937 rng(seed);
    std::exponential_distribution<float> ex(1.0f);
    std::vector<float> w(rows * cols);
    for (auto& x : w) x = 0.05f * (ex(rng) - ex(rng));
    return w;
  }
  // A safetensors file with one [rows][cols] F16 tensor "layer.0.weight" and an I64 "steps".
  fs::path safetensors_file(const std::string& name, size_t rows, size_t cols) {
    const std::string header = "{\"layer.0.weight\": {\"dtype\": \"F16\", \"shape\": [" + std::to_string(rows) + ", " +
                               std::to_string(cols) + "], \"data_offsets\": [0, " + std::to_string(2 * rows * cols) +
                               "]}, \"steps\": {\"dtype\": \"I64\", " + "\"shape\": [1], \"data_offsets\": [" +
                               std::to_string(2 * rows * cols) + ", " + std::to_string(2 * rows * cols + 8) + "]}}";
    std::string b;
    for (int i = 0; i < 8; ++i) b += static_cast<char>((header.size() >> (8 * i)) & 0xFF);
    b += header;
    std::mt19937 rng(9);
    for (size_t i = 0; i < rows * cols; ++i) {
      // float16 with exponent 10..17 (|x| in [2^-5, 2^3)), random sign and mantissa
      const uint16_t h = static_cast<uint16_t>(((rng() & 1) << 15) | ((10 + rng() % 8) << 10) | (rng() & 0x3FF));
      b += static_cast<char>(h & 0xFF);
      b += static_cast<char>(h >> 8);
    }
    b += std::string(8, '\0');
    const fs::path p = dir / name;
    std::ofstream(p, std::ios::binary) << b;
    return p;
  }
};

}  // namespace

TEST_F(Cli, ReferenceRunWritesVerifiedOutputs) {
  const fs::path out = dir / "out";
  const Result r = run("run --no-html " + config().string() + " --out " + out.string());
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("verified: yes"), std::string::npos) << r.out;
  const auto nb = bitgrid::read_npy((out / "neighbors.npy").string());
  EXPECT_EQ(nb.dtype, "i8");
  EXPECT_EQ(nb.rows, 4u);
  EXPECT_EQ(nb.cols, 5u);
  const auto d = bitgrid::read_npy((out / "distances.npy").string());
  EXPECT_EQ(d.dtype, "i4");
  const std::string rep = slurp(out / "report.json");
  for (const char* key : {"\"verified\": true", "\"energy_pj\"", "\"roofline\"", "\"backend\": \"reference\""})
    EXPECT_NE(rep.find(key), std::string::npos) << key;
}

// report.html (scripts/report_html.py; tests/cli/test_report_html.py checks its numbers): every run writes it
// beside report.json, one offline file with the report embedded; `bitgrid report DIR` writes the same bytes again;
// --no-html skips it; a folder without a report gets a one-line error.
TEST_F(Cli, ReportHtml) {
  const fs::path out = dir / "out";
  const Result r = run("run " + config().string() + " --backend systemc --out " + out.string());
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find("report.json, report.html"), std::string::npos) << r.out;
  const std::string page = slurp(out / "report.html");
  for (const char* part :
       {"<h2>Roofline</h2>", "<h2>Energy</h2>", "Busy fraction per unit", "DRAM bandwidth", "id=\"bitgrid-report\""})
    EXPECT_NE(page.find(part), std::string::npos) << part;
  size_t svgs = 0;
  for (size_t p = page.find("<svg"); p != std::string::npos; p = page.find("<svg", p + 1)) ++svgs;
  EXPECT_EQ(svgs, 4u);  // roofline, energy, busy over time, DRAM over time
  // the embedded report is report.json
  const size_t b = page.find('>', page.find("id=\"bitgrid-report\"")) + 1;
  EXPECT_EQ(nlohmann::json::parse(page.substr(b, page.find("</script>", b) - b)),
            nlohmann::json::parse(slurp(out / "report.json")));

  const Result again = run("report " + out.string() + " --out " + (dir / "again.html").string());
  ASSERT_EQ(again.rc, 0) << again.err;
  EXPECT_EQ(slurp(dir / "again.html"), page);

  const Result no = run("run " + config().string() + " --no-html --out " + (dir / "no").string());
  ASSERT_EQ(no.rc, 0) << no.err;
  EXPECT_FALSE(fs::exists(dir / "no" / "report.html"));
  EXPECT_TRUE(fs::exists(dir / "no" / "report.json"));

  expect_error("report " + (dir / "nowhere").string(), "nowhere: no such folder");
  expect_error("report " + dir.string(), "report.json: no such file");
  std::ofstream(dir / "no" / "report.json") << "{\"cycles\": 3";
  expect_error("report " + (dir / "no").string(), "report.json: not valid JSON");
  // Without Debian's Python the run keeps its results and says, in one line, why there is no page.
  const Result nopy =
      run("run " + config().string() + " --out " + (dir / "np").string(), "BITGRID_PYTHON=/nonexistent");
  EXPECT_EQ(nopy.rc, 0);
  EXPECT_EQ(nopy.err,
            "warning: report.html not written: /nonexistent not found (the plots need Debian's python3 "
            "and python3-matplotlib: `make deps`)\n");
  EXPECT_TRUE(fs::exists(dir / "np" / "report.json"));
}

// `bitgrid sweep` (README "Sweeps"): a 2 x 2 grid on systemc, two points at a time. results.csv has a row per
// point whose cycles and energy are that point's own report.json's and whose pareto flags are the front worked
// out here; a second run skips every point and writes the same bytes; a failing point is reported without
// stopping the others; bad sweeps get one-line errors and leave nothing behind.
namespace {
std::vector<std::vector<std::string>> read_csv(const fs::path& p) {  // plain fields (no quotes) suffice here
  std::vector<std::vector<std::string>> rows;
  std::ifstream f(p);
  for (std::string line; std::getline(f, line);) {
    std::vector<std::string> r;
    std::stringstream ss(line);
    for (std::string x; std::getline(ss, x, ',');) r.push_back(x);
    if (!line.empty() && line.back() == ',') r.push_back("");
    rows.push_back(r);
  }
  return rows;
}
}  // namespace

TEST_F(Cli, Sweep) {
  config();
  const fs::path sw = write("s.yaml", "base: cfg.yaml\naxes:\n  hardware.ham_lanes: [2, 4]\n  workload.k: [3, 5]\n");
  const fs::path out = dir / "sw";
  const Result r = run("sweep " + sw.string() + " -j 2 --out " + out.string());
  ASSERT_EQ(r.rc, 0) << r.err << r.out;
  EXPECT_EQ(r.err, "");  // no progress bar when stderr is not a terminal
  const auto rows = read_csv(out / "results.csv");
  ASSERT_EQ(rows.size(), 5u);
  const auto& h = rows[0];
  auto col = [&](const std::string& name) {
    return static_cast<size_t>(std::find(h.begin(), h.end(), name) - h.begin());
  };
  ASSERT_LT(col("pareto"), h.size());
  EXPECT_EQ(h[1], "hardware.ham_lanes");
  EXPECT_EQ(h[2], "workload.k");
  std::vector<std::pair<double, double>> ce;
  for (size_t i = 1; i < rows.size(); ++i) {
    const auto& row = rows[i];
    EXPECT_EQ(row[1], i <= 2 ? "2" : "4");  // first axis slowest
    EXPECT_EQ(row[2], i % 2 ? "3" : "5");
    EXPECT_EQ(row[col("status")], "ok");
    const auto rep = nlohmann::json::parse(slurp(out / "points" / row[0] / "report.json"));
    EXPECT_EQ(rep.at("workload").at("k"), std::stoi(row[2]));
    EXPECT_EQ(std::stod(row[col("cycles")]), rep.at("cycles").get<double>());
    EXPECT_EQ(std::stod(row[col("energy_pj")]), rep.at("energy_pj").at("total").get<double>());
    ce.emplace_back(rep.at("cycles").get<double>(), rep.at("energy_pj").at("total").get<double>());
  }
  for (size_t i = 0; i < ce.size(); ++i) {
    bool dominated = false;
    for (size_t j = 0; j < ce.size(); ++j)
      dominated |= ce[j].first <= ce[i].first && ce[j].second <= ce[i].second && ce[j] != ce[i];
    EXPECT_EQ(rows[i + 1][col("pareto")], dominated ? "0" : "1") << rows[i + 1][0];
  }
  EXPECT_TRUE(fs::exists(out / "pareto.svg"));
  const std::string csv = slurp(out / "results.csv");
  const Result again = run("sweep " + sw.string() + " -j 2 --out " + out.string());
  ASSERT_EQ(again.rc, 0) << again.err;
  EXPECT_NE(again.out.find("ran 0 in"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("4 done before"), std::string::npos) << again.out;
  EXPECT_EQ(slurp(out / "results.csv"), csv);
  // a changed sweep does not mix with the old one's points
  const fs::path sw2 = write("s2.yaml", "base: cfg.yaml\naxes:\n  hardware.ham_lanes: [4, 3]\n");
  const Result other = run("sweep " + sw2.string() + " --out " + out.string());
  EXPECT_EQ(other.rc, 1);
  EXPECT_NE(other.err.find("holds another sweep"), std::string::npos) << other.err;
  EXPECT_EQ(slurp(out / "results.csv"), csv);

  // a failing point: reported, the others run, exit 3
  const Result f = run("sweep " + sw2.string() + " --out " + (dir / "f").string());
  EXPECT_EQ(f.rc, 3) << f.err;
  const auto frows = read_csv(dir / "f" / "results.csv");
  ASSERT_EQ(frows.size(), 3u);
  EXPECT_EQ(frows[1][2], "ok");
  EXPECT_EQ(frows[2][2], "failed");
  EXPECT_NE(frows[2].back().find("hardware.ham_lanes: 3 is not a power of two"), std::string::npos) << frows[2].back();
  EXPECT_NE(f.out.find("failed p0001: hardware.ham_lanes=3:"), std::string::npos) << f.out;

  // bad sweeps
  expect_error("sweep " + write("a.yaml", "base: cfg.yaml\naxes:\n  workload.k: [100, 200]\n").string(),
               "every point of the sweep failed (p0000: ");
  expect_error("sweep " + write("b.yaml", "base: cfg.yaml\naxes:\n  hardware.lanes: [2]\n").string(),
               "hardware.lanes: unknown hardware parameter");
  expect_error("sweep " + write("c.yaml", "base: cfg.yaml\naxes:\n  workload.k: []\n").string(),
               "axes.workload.k: empty");
  expect_error("sweep " + write("d.yaml", "base: cfg.yaml\naxes: {}\n").string(), "axes: empty");
  // a Slurm that is not there, and one that does not answer
  expect_error("sweep " + sw.string() + " --slurm", "--slurm: sbatch/squeue not found on PATH", "PATH=/nonexistent");
  fs::create_directories(dir / "fakebin");
  for (const char* tool : {"sbatch", "squeue"}) {
    write(std::string("fakebin/") + tool,
          "#!/bin/sh\necho 'sbatch: error: Batch job submission failed: Unable to contact slurm controller' >&2\n"
          "exit 1\n");
    fs::permissions(dir / "fakebin" / tool, fs::perms::owner_all);
  }
  expect_error("sweep " + sw.string() + " --slurm",
               "--slurm: sbatch failed (exit 1: sbatch: error: Batch job "
               "submission failed: Unable to contact slurm controller)",
               "PATH=" + (dir / "fakebin").string());
}

// A sweep with the FPGA flow (the sweep's `fpga` section, issue #9 item 3's area/Fmax columns): the points' one
// hardware (configs/hw/up5k.yaml, ~40 s of Yosys on gowin) synthesized once for both (gowin: no place-and-route,
// so the clock comes from fmax_mhz), its LUTs and the seconds at that clock in results.csv; a flow that fails
// fails its points with the flow's error.
TEST_F(Cli, SweepFpga) {
  const std::string hw = std::string(BITGRID_SOURCE_DIR) + "/configs/hw/up5k.yaml";
  write("cfg.yaml", "hardware: " + hw +
                        "\nworkload:\n  type: hamming_topk\n  k: 2\n  bits: 128\n  seed: 3\n"
                        "  database: {random_codes: 100}\n  queries: {random_codes: 2}\n");
  const fs::path sw =
      write("s.yaml", "base: cfg.yaml\naxes:\n  workload.k: [1, 2]\nfpga: {target: gowin, fmax_mhz: 50}\n");
  const fs::path out = dir / "sw";
  const std::string times = "BITGRID_FPGA_TIMES=" + (dir / "times.tsv").string();  // not the user's cache
  const Result r = run("sweep " + sw.string() + " -j 2 --out " + out.string(), times);
  ASSERT_EQ(r.rc, 0) << r.err << r.out;
  EXPECT_EQ(r.err, "");
  const auto rows = read_csv(out / "results.csv");
  ASSERT_EQ(rows.size(), 3u);
  const auto& h = rows[0];
  auto col = [&](const std::string& name) {
    const size_t c = static_cast<size_t>(std::find(h.begin(), h.end(), name) - h.begin());
    EXPECT_LT(c, h.size()) << name;
    return c;
  };
  // the flow ran once, its report beside the hardware it was made for
  std::vector<fs::path> builds;
  for (const auto& e : fs::directory_iterator(out / "fpga"))
    if (e.is_directory()) builds.push_back(e.path());
  ASSERT_EQ(builds.size(), 1u);
  EXPECT_EQ(builds[0].filename().string().rfind("gowin-", 0), 0u) << builds[0];
  const auto fj = nlohmann::json::parse(slurp(builds[0] / "fpga.json"));
  EXPECT_EQ(fj.at("target"), "gowin");
  EXPECT_NE(slurp(builds[0] / "hw.yaml").find("ham_lanes: 1\n"), std::string::npos);
  for (size_t i = 1; i < rows.size(); ++i) {
    const auto& row = rows[i];
    ASSERT_EQ(row[col("status")], "ok") << row.back();
    const auto rep = nlohmann::json::parse(slurp(out / "points" / row[0] / "report.json"));
    EXPECT_EQ(rep.at("fpga").at("source"), (builds[0] / "fpga.json").string() + " (fmax_mhz from the config)");
    EXPECT_EQ(std::stol(row[col("fpga_luts")]), fj.at("resources").at("luts").get<long>());
    EXPECT_EQ(std::stod(row[col("fpga_fmax_mhz")]), 50.0);
    EXPECT_NEAR(std::stod(row[col("fpga_seconds")]), std::stod(row[col("cycles")]) / 50e6, 1e-12);
  }

  // a flow that fails: every point fails with its error (the second point of the hardware from the first's
  // failure, without a second synthesis), nothing is left
  const fs::path bad =
      write("bad.yaml", "base: cfg.yaml\naxes:\n  workload.k: [1, 2]\nfpga: {target: gowin, top: bg_nope}\n");
  expect_error("sweep " + bad.string(), "every point of the sweep failed (p0000: fpga flow (gowin): ", times);
  EXPECT_FALSE(fs::exists(dir / "out"));  // expect_error's --out
  // bad sections
  expect_error(
      "sweep " + write("t.yaml", "base: cfg.yaml\naxes:\n  workload.k: [2]\nfpga: {target: virtex}\n").string(),
      "fpga.target: unknown target 'virtex' (known: ice40-up5k");
  expect_error(
      "sweep " +
          write("m.yaml", "base: cfg.yaml\naxes:\n  workload.k: [2]\nfpga: {target: gowin, fmax_mhz: 0}\n").string(),
      "fpga.fmax_mhz: must be in (0, 2000] MHz");
  expect_error(
      "sweep " + write("k.yaml", "base: cfg.yaml\naxes:\n  workload.k: [2]\nfpga: {target: gowin, clk: 3}\n").string(),
      "fpga.clk: unknown key");
  expect_error("sweep " + write("n.yaml", "base: cfg.yaml\naxes:\n  workload.k: [2]\nfpga: {seed: 3}\n").string(),
               "fpga.target: missing");
}

// --timeline (docs/TIMELINE.md): the systemc run writes a trace-event file whose instruction slices are the
// program's instructions, and report.json's activity profile adds up to the run's totals; the backends without
// cycles refuse the option. (tests/cosim compares the systemc and rtl files of random programs byte for byte.)
TEST_F(Cli, TimelineAndProfile) {
  const fs::path out = dir / "out", tl = dir / "t" / "run.json";
  const Result r = run("run --no-html " + config().string() + " --backend systemc --timeline " + tl.string() +
                       " --out " + out.string());
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("timeline: " + tl.string()), std::string::npos) << r.out;
  const nlohmann::json t = nlohmann::json::parse(slurp(tl));
  const nlohmann::json rep = nlohmann::json::parse(slurp(out / "report.json"));
  const uint64_t cycles = rep.at("cycles").get<uint64_t>();
  EXPECT_EQ(t.at("otherData").at("cycles").get<uint64_t>(), cycles);
  size_t slices = 0;
  std::set<std::string> counters;
  for (const auto& e : t.at("traceEvents")) {
    if (e.at("ph") == "X" && e.at("args").contains("insn")) ++slices;
    if (e.at("ph") == "C") counters.insert(e.at("name").get<std::string>());
  }
  EXPECT_EQ(slices, rep.at("workload").at("instructions").get<size_t>());  // every instruction issues once
  for (const char* c : {"queue.load", "queue.compute", "queue.store", "tokens.l2c", "tokens.c2l", "tokens.c2s",
                        "tokens.s2c", "dram.read_bytes_in_flight", "dram.write_bytes_in_flight"})
    EXPECT_EQ(counters.count(c), 1u) << c;
  const auto& p = rep.at("profile");
  uint64_t busy = 0, rd = 0;
  for (const auto& v : p.at("busy_cycles").at("compute")) busy += v.get<uint64_t>();
  for (const auto& v : p.at("dram_read_bytes")) rd += v.get<uint64_t>();
  EXPECT_EQ(busy, rep.at("units").at("compute").at("busy_cycles").get<uint64_t>());
  EXPECT_EQ(rd, rep.at("dram_bytes").at("read").get<uint64_t>());
  EXPECT_GE(p.at("bin_cycles").get<uint64_t>() * p.at("dram_read_bytes").size(), cycles);

  expect_error("run " + config().string() + " --timeline " + (dir / "r.json").string(),
               "--timeline: timelines come from the systemc and rtl backends");
  EXPECT_FALSE(fs::exists(dir / "r.json"));
}

TEST_F(Cli, FloatInputGivesRecall) {
  const fs::path cfg =
      write("f.yaml",
            "workload:\n  type: hamming_topk\n  k: 10\n  bits: 256\n"
            "  database: {random_float: {n: 2000, dim: 16}}\n  queries: {random_float: {n: 8, dim: 16}}\n");
  const Result r = run("run --no-html " + cfg.string() + " --out " + (dir / "o").string());
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(slurp(dir / "o" / "report.json").find("recall_at_k"), std::string::npos);
}

// Float vectors binarized on the accelerator (workload.encode: chip, ARCHITECTURE.md §3.5): the MAC array projects
// the INT8 rows, the binary encoder packs the signs into qbuf and dbuf, the Hamming engine searches them. Verified
// against a brute-force top-k over the reference model's INT8 codes (bitgrid::sign_codes_int8), the same outputs on
// both backends, one code word per code word of the 507 codes, and a small flip rate against the float encoder.
TEST_F(Cli, HammingEncodedOnChip) {
  const fs::path cfg = write("c.yaml",
                             "workload:\n  type: hamming_topk\n  k: 5\n  bits: 128\n  seed: 4\n  encode: chip\n"
                             "  database: {random_float: {n: 500, dim: 40, clusters: 30}}\n"
                             "  queries: {random_float: {n: 7, dim: 40, clusters: 30}}\n");
  const auto runs = run_both_backends(cfg, {"neighbors.npy", "distances.npy"});
  ASSERT_EQ(runs.size(), 2u);
  for (const auto& [be, out, rep] : runs) {
    EXPECT_NE(out.find("encoded on chip"), std::string::npos) << out;
    EXPECT_EQ(rep["actions"]["binenc.code_word"].get<double>(), 507.0 * 2);
    EXPECT_GT(rep["actions"]["bitmac.pe_term"].get<double>(), 0.0);
    const double flips = rep["encode"]["flip_rate_vs_float"].get<double>();
    EXPECT_GT(flips, 0.0);
    EXPECT_LT(flips, 0.05);
  }
  expect_error("run " + cfg.string() + " --set hardware.wbuf_kib=1", "exceed wbuf (wbuf_kib = 1)");
  expect_error("run " + cfg.string() + " --set hardware.has_binenc=0", "has_binenc: 0");
  expect_error("run " + cfg.string() + " --set workload.encode=gpu", "workload.encode: 'gpu' is neither host nor chip");
  expect_error("run " + config("  encode: chip\n").string(), "encode: chip needs float vectors");
}

// Kernelized hashing on chip (hash: ksh, ARCHITECTURE.md §3.6): gemm 1 against the anchors, the table unit's exp,
// gemm 2 with A and the bias -A mu, the binary encoder. Verified against a brute force over the INT8 twin's codes
// (bitgrid::ksh_codes_int8), the same outputs on both backends, the table unit's lookups (a row of 32 features per
// vector: 25 anchors padded to the array's K tile), and the bad inputs.
TEST_F(Cli, KernelizedHashingOnChip) {
  const fs::path cfg = write("k.yaml",
                             "workload:\n  type: hamming_topk\n  k: 5\n  bits: 64\n  seed: 2\n  encode: chip\n"
                             "  hash: ksh\n  anchors: 25\n"
                             "  database: {random_float: {n: 300, dim: 24, clusters: 20}}\n"
                             "  queries: {random_float: {n: 6, dim: 24, clusters: 20}}\n");
  const auto runs = run_both_backends(cfg, {"neighbors.npy", "distances.npy"});
  ASSERT_EQ(runs.size(), 2u);
  for (const auto& [be, out, rep] : runs) {
    EXPECT_EQ(rep["encode"]["hash"], "ksh");
    EXPECT_EQ(rep["encode"]["anchors"].get<int>(), 25);
    EXPECT_EQ(rep["actions"]["lut.lookup"].get<double>(), 306.0 * 32);
    EXPECT_EQ(rep["actions"]["binenc.code_word"].get<double>(), 306.0);
    const double flips = rep["encode"]["flip_rate_vs_float"].get<double>();
    EXPECT_GT(flips, 0.0);
    EXPECT_LT(flips, 0.1);
  }
  // the float KSH on the host (no encoder) gives recall too
  const Result h = run("run " + cfg.string() + " --set workload.encode=host --no-html --out " + (dir / "h").string());
  ASSERT_EQ(h.rc, 0) << h.err;
  expect_error("run " + cfg.string() + " --set hardware.has_lut=0", "kernelized hashing needs the table unit");
  // anchors and A beyond wbuf: 1 KiB holds the 32 x 32 anchor matrix, not A's 64 x 32 after it
  expect_error("run " + cfg.string() + " --set hardware.wbuf_kib=1",
               "the hash projection A's 64 x 32 INT8 weights (2048 bytes) exceed wbuf (wbuf_kib = 1)");
  expect_error("run " + cfg.string() + " --set workload.hash=lsh", "workload.hash: 'lsh' is not simhash, ksh or bebr");
  expect_error("run " + cfg.string() + " --set workload.anchors=301", "workload.anchors: 301 anchors from 300");
  expect_error("run " + cfg.string() + " --set workload.hash=simhash", "workload.anchors: only with hash: ksh");
  expect_error("run " + config("  hash: ksh\n").string(), "workload.hash: ksh needs float vectors");
}

// BEBR multi-bit codes on chip (hash: bebr, ARCHITECTURE.md §3.10): 64 projections binarized against 3 thresholds
// (planes: 2) by one gemm of 192 output channels with the thresholds as channel biases, the binary encoder packs the
// 192-bit thermometer codes, the Hamming engine searches them (distance = L1 of the levels). Verified against a brute
// force over the INT8 twin's codes (bitgrid::bebr_codes_int8), the same outputs on both backends, the encoder's code
// words (3 per vector: 257 vectors), the report's BEBR section, and the bad inputs.
TEST_F(Cli, BebrMultiBitCodesOnChip) {
  const fs::path cfg = write("b.yaml",
                             "workload:\n  type: hamming_topk\n  k: 5\n  bits: 64\n  seed: 3\n  encode: chip\n"
                             "  hash: bebr\n  planes: 2\n"
                             "  database: {random_float: {n: 250, dim: 20, clusters: 20}}\n"
                             "  queries: {random_float: {n: 7, dim: 20, clusters: 20}}\n");
  const auto runs = run_both_backends(cfg, {"neighbors.npy", "distances.npy"});
  ASSERT_EQ(runs.size(), 2u);
  for (const auto& [be, out, rep] : runs) {
    EXPECT_NE(out.find("64 projections x 2 planes, compared as 192-bit thermometer codes"), std::string::npos) << out;
    EXPECT_EQ(rep["workload"]["bits"].get<int>(), 192);
    EXPECT_EQ(rep["bebr"]["planes"].get<int>(), 2);
    EXPECT_EQ(rep["bebr"]["projections"].get<int>(), 64);
    EXPECT_EQ(rep["encode"]["hash"], "bebr");
    EXPECT_EQ(rep["actions"]["binenc.code_word"].get<double>(), 257.0 * 3);
    const double flips = rep["encode"]["flip_rate_vs_float"].get<double>();
    EXPECT_GT(flips, 0.0);
    EXPECT_LT(flips, 0.05);
    const double moved = rep["encode"]["level_change_rate_vs_float"].get<double>();
    EXPECT_GE(moved, flips);  // a level that moves flips at least one of its 3 bits, and 3 bits per level
    EXPECT_LE(moved, 3 * flips);
  }
  // the float encoder on the host gives the same kind of codes
  const Result h = run("run " + cfg.string() + " --set workload.encode=host --no-html --out " + (dir / "h").string());
  ASSERT_EQ(h.rc, 0) << h.err;
  EXPECT_NE(h.out.find("192-bit thermometer codes"), std::string::npos);
  expect_error("run " + cfg.string() + " --set workload.planes=5", "workload.planes");
  expect_error("run " + cfg.string() + " --set workload.planes=0", "workload.planes");
  expect_error("run " + cfg.string() + " --set workload.hash=simhash", "workload.planes: only with hash: bebr");
  expect_error("run " + cfg.string() + " --set workload.planes=4 --set workload.bits=128",
               "128 bits x 15 thresholds of planes: 4 = 1920-bit codes exceed max_code_bits = 1024");
  expect_error("run " + config("  hash: bebr\n").string(), "workload.hash: bebr needs float vectors");
}

// EcoFormer's hashed attention (ARCHITECTURE.md §3.7) end to end: the same output bytes on both backends, verified
// against the integer reference, the sign-select accumulator's actions as R15/R16's loops count them, and the
// errors against the float hashed and softmax attention in the report. 200 tokens of width 24, a 16-wide head on
// mac_cols 16 (one 32-value segment pair: d_pad = 32, G = 2), 13-bit codes (not a multiple of 64).
TEST_F(Cli, EcoformerAttentionOnChip) {
  const fs::path cfg = write("a.yaml",
                             "workload:\n  type: attention\n  tokens: 200\n  dim: 24\n  head_dim: 16\n  bits: 13\n"
                             "  seed: 4\n");
  for (const std::string form : {"ecoformer", "kernel"}) {
    const auto runs = run_both_backends(cfg, {"output.npy", "output_int8.npy"}, " --set workload.form=" + form);
    ASSERT_EQ(runs.size(), 2u);
    for (const auto& [be, out, rep] : runs) {
      EXPECT_EQ(rep["workload"]["form"], form);
      EXPECT_EQ(rep["actions"]["signacc.div_step"].get<double>(), 200.0 * 2 * 17) << be;
      EXPECT_EQ(rep["actions"]["signacc.out_mul"].get<double>(), 200.0 * 32) << be;
      // sacc: per key 2 segments x 14 rows x 16 lanes + 13 z counters; sqry: per query and segment 13 x 16 + 13
      EXPECT_EQ(rep["actions"]["signacc.sel_add"].get<double>(),
                200.0 * (2 * 14 * 16 + 13) + 200.0 * 2 * (13 * 16 + 13))
          << be;
      EXPECT_EQ(rep["actions"]["binenc.code_word"].get<double>(), 400.0) << be;
      const auto& at = rep["attention"];
      EXPECT_LT(at["rel_l2_vs_float_hashed"].get<double>(), 0.5) << be;
      EXPECT_GT(at["rel_l2_vs_float_softmax"].get<double>(), 0.0) << be;
      EXPECT_LT(at["key_code_flip_rate_vs_float"].get<double>(), 0.05) << be;
      EXPECT_GT(at["energy_pj_per_token"].get<double>(), 0.0) << be;
    }
  }
  // what the machine cannot hold, and bad parameters and files
  expect_error("run " + cfg.string() + " --set workload.bits=32",
               "workload (attention).bits: 32 exceeds the accumulator bank's sacc_bits = 16");
  expect_error("run " + cfg.string() + " --set hardware.has_signacc=0", "the machine has no signacc (has_signacc: 0)");
  expect_error("run " + cfg.string() + " --set hardware.pbuf_kib=1 --set workload.bits=16 --set workload.head_dim=64",
               "the state of a head of 64 values and 16-bit codes (8960 bytes) exceeds pbuf (pbuf_kib = 1)");
  expect_error("run " + cfg.string() + " --set workload.tokens=70000", "workload.tokens: 70000 is outside 1..16384");
  expect_error("run " + cfg.string() + " --set workload.bits=65", "workload.bits: 65 is outside 1..64");
  expect_error("run " + cfg.string() + " --set workload.form=linear", "workload.form: 'linear' is not ecoformer");
  expect_error("run " + cfg.string() + " --set workload.heads=2", "workload.heads: unknown key");
  std::vector<float> w(16 * 24, 0.01f);
  bitgrid::write_npz((dir / "w.npz").string(), {{"wq", bitgrid::Array2D::make("f4", 16, 24, w.data())},
                                                {"wk", bitgrid::Array2D::make("f4", 16, 24, w.data())},
                                                {"wv", bitgrid::Array2D::make("f4", 16, 24, w.data())},
                                                {"wo", bitgrid::Array2D::make("f4", 16, 24, w.data())}});
  expect_error("run " + cfg.string() + " --set workload.weights=" + (dir / "w.npz").string(),
               "w.npz: wo: has shape [16, 24], the head needs [24, 16]");
  bitgrid::write_npz((dir / "w3.npz").string(), {{"wq", bitgrid::Array2D::make("f4", 16, 24, w.data())}});
  expect_error("run " + cfg.string() + " --set workload.weights=" + (dir / "w3.npz").string(),
               "w3.npz: no member 'wk'");
  expect_error("run " + cfg.string() + " --set workload.input=" + (dir / "none.npy").string(), "none.npy");
}

// The softmax baseline (ARCHITECTURE.md §3.8): identical bytes on both backends, and the packer's, the table unit's
// and the divider's work as worked out here for 200 tokens, a 16-wide head (32 on chip: one pair per logit, two V
// tiles) on the default machine: key chunks of 192 and 8 tokens (the token rows' abuf half no larger than the
// queries'), 13 K tiles of one pair and 2 x 7 V pairs of 32 x 16 weights each.
TEST_F(Cli, SoftmaxAttentionOnChip) {
  const fs::path cfg = write("s.yaml",
                             "workload:\n  type: attention\n  tokens: 200\n  dim: 24\n  head_dim: 16\n  form: softmax\n"
                             "  seed: 4\n");
  const auto runs = run_both_backends(cfg, {"output.npy", "output_int8.npy"});
  ASSERT_EQ(runs.size(), 2u);
  for (const auto& [be, out, rep] : runs) {
    EXPECT_EQ(rep["workload"]["form"], "softmax");
    EXPECT_EQ(rep["actions"]["wpack.byte_in"].get<double>(), (13.0 + 2 * 7) * 32 * 16) << be;
    EXPECT_EQ(rep["actions"]["lut.lookup"].get<double>(), 200.0 * 13 * 16) << be;
    EXPECT_EQ(rep["actions"]["signacc.div_step"].get<double>(), 200.0 * 2 * 17) << be;
    EXPECT_EQ(rep["actions"]["signacc.out_mul"].get<double>(), 200.0 * 2 * 16) << be;
    EXPECT_EQ(rep["actions"]["signacc.sel_add"].get<double>(), 0.0) << be;
    const auto& at = rep["attention"];
    EXPECT_LT(at["rel_l2_vs_float_softmax"].get<double>(), 0.5) << be;
    EXPECT_GT(at["rel_l2_vs_float_softmax"].get<double>(), 0.0) << be;
    EXPECT_FALSE(at.contains("rel_l2_vs_float_hashed")) << be;
  }
  expect_error("run " + cfg.string() + " --set hardware.has_wpack=0", "the machine has no wpack (has_wpack: 0)");
  expect_error("run " + cfg.string() + " --set hardware.wbuf_kib=8",
               "K and V of 200 tokens as weight tiles, the ones tile and the projections need");
  expect_error("run " + cfg.string() + " --set hardware.wbuf_kib=8", "(wbuf_kib = 8)");
  // obuf 2 KiB = 256 words: one query's INT8 logits over 2100 keys take 132 tiles x 2 words
  expect_error("run " + cfg.string() + " --set hardware.obuf_kib=2 --set workload.tokens=2100",
               "one query's logits over 2100 keys do not fit");
}

// MemoryFormer's layer and its linear baseline (ARCHITECTURE.md §3.9): identical bytes on both backends; 300 tokens
// of 64 values in 8 chunks of tau = 8 into 40 outputs (3 segments of 16): the table accumulator's work as worked out
// here, the table bytes, and the memory layer's error against the float layers.
TEST_F(Cli, MemoryFormerLayerOnChip) {
  const fs::path cfg = write("m.yaml",
                             "workload:\n  type: memoryformer\n  tokens: 300\n  dim: 64\n  out_dim: 40\n  tau: 8\n"
                             "  seed: 3\n");
  const auto runs = run_both_backends(cfg, {"output.npy", "output_int8.npy"});
  ASSERT_EQ(runs.size(), 2u);
  for (const auto& [be, out, rep] : runs) {
    EXPECT_EQ(rep["workload"]["form"], "memory");
    EXPECT_EQ(rep["actions"]["tabacc.tab_add"].get<double>(), 300.0 * 3 * 8 * 16) << be;
    EXPECT_EQ(rep["actions"]["tabacc.requant"].get<double>(), 300.0 * 3 * 16) << be;
    EXPECT_EQ(rep["actions"]["bitmac.pe_term"].get<double>(), 0.0) << be;
    const auto& m = rep["memoryformer"];
    EXPECT_EQ(m["table_bytes"].get<double>(), 8.0 * 256 * 40) << be;
    EXPECT_EQ(m["index_flip_rate_vs_float"].get<double>(), 0.0) << be;  // the INT8 inputs keep the float signs
    EXPECT_LT(m["rel_l2_vs_float_memory"].get<double>(), 0.1) << be;
    // 1-bit inputs: sqrt(1 - 2/pi) = 0.60 of a Gaussian input's linear layer is lost (the tables' centroids)
    EXPECT_GT(m["rel_l2_vs_float_linear"].get<double>(), 0.4) << be;
    EXPECT_LT(m["rel_l2_vs_float_linear"].get<double>(), 0.8) << be;
  }
  const auto lin = run_both_backends(cfg, {"output.npy", "output_int8.npy"}, " --set workload.form=linear");
  ASSERT_EQ(lin.size(), 2u);
  for (const auto& [be, out, rep] : lin) {
    EXPECT_GT(rep["actions"]["bitmac.pe_term"].get<double>(), 0.0) << be;
    EXPECT_EQ(rep["actions"]["tabacc.tab_add"].get<double>(), 0.0) << be;
    EXPECT_LT(rep["memoryformer"]["rel_l2_vs_float_linear"].get<double>(), 0.05) << be;
  }
  expect_error("run " + cfg.string() + " --set workload.dim=60", "workload.dim: 60 is not a multiple of tau = 8");
  expect_error("run " + cfg.string() + " --set workload.dim=256 --set workload.out_dim=256",
               "the 32 tables of 256 rows x 256 INT8 values (2097152 bytes) exceed wbuf (wbuf_kib = 512)");
  expect_error("run " + cfg.string() + " --set hardware.has_tabacc=0", "the machine has no tabacc (has_tabacc: 0)");
  expect_error("run " + cfg.string() + " --set workload.form=lookup", "workload.form: 'lookup' is neither memory");
  expect_error("run " + cfg.string() + " --set workload.tau=9", "workload.tau: 9 is outside 1..8");
  std::vector<float> w(40 * 60, 0.01f);
  bitgrid::write_npz((dir / "mw.npz").string(), {{"w", bitgrid::Array2D::make("f4", 40, 60, w.data())}});
  expect_error("run " + cfg.string() + " --set workload.weights=" + (dir / "mw.npz").string(),
               "mw.npz: w: has shape [40, 60], the layer needs [40, 64]");
  bitgrid::write_npz((dir / "mb.npz").string(), {{"b", bitgrid::Array2D::make("f4", 40, 1, w.data())}});
  expect_error("run " + cfg.string() + " --set workload.weights=" + (dir / "mb.npz").string(), "mb.npz: no member 'w'");
}

// The attention heads and the memory layer as layers of the model graph (ARCHITECTURE.md §3.11): x -> EcoFormer's
// hashed attention -> a memory layer -> a linear layer -> softmax attention -> a linear layer, one program of parts
// joined by barriers, every layer read from where the one before stored it. Verified layer by layer against the
// integer references chained the same way, the same bytes on both backends, each kind's engine work (the table
// accumulator's adds: rows x segments x chunks x mac_cols, as R19 counts them), a report row per layer, and the
// bad inputs.
TEST_F(Cli, ModelGraphWithAttentionAndMemoryLayers) {
  auto graph = [&](const std::string& name, const std::string& layers) {
    return write(name,
                 "workload:\n  type: model\n  m: 100\n  dtype: int8\n  group: 64\n  seed: 2\n  layers:\n" + layers);
  };
  const std::string att = "    - {name: att, type: ecoformer_attention, in: 64, bits: 16}\n";
  const std::string rest =
      "    - {name: mem, type: memoryformer_linear, in: 64, out: 64, tau: 8, input: att}\n"
      "    - {name: fc1, in: 64, out: 128, relu: true, input: mem}\n"
      "    - {name: sm, type: attention, in: 128, head_dim: 32, input: fc1}\n"
      "    - {name: fc2, in: 128, out: 64, input: sm}\n";
  const fs::path cfg = graph("g.yaml", att + rest);
  const auto runs = run_both_backends(cfg, {"att.npy", "mem.npy", "fc1.npy", "sm.npy", "fc2.npy"});
  ASSERT_EQ(runs.size(), 2u);
  for (const auto& [be, out, rep] : runs) {
    ASSERT_EQ(rep["layers"].size(), 5u) << be;
    const char* types[] = {"ecoformer_attention", "memoryformer_linear", nullptr, "attention", nullptr};
    for (size_t i = 0; i < 5; ++i) {
      const auto& row = rep["layers"][i];
      if (types[i]) {
        EXPECT_EQ(row["type"], types[i]) << be << " layer " << i;
      }
      EXPECT_GT(row["energy_pj"].get<double>(), 0.0) << be << " layer " << i;
      if (be == "systemc") {
        EXPECT_GT(row["cycles"].get<double>(), 0.0) << " layer " << i;
      }
    }
    EXPECT_EQ(rep["sections"].size(), 5u) << be;
    // mem: 100 rows x 4 segments of 16 outputs x 8 chunks x 16 lanes
    EXPECT_EQ(rep["actions"]["tabacc.tab_add"].get<double>(), 100.0 * 4 * 8 * 16) << be;
    EXPECT_GT(rep["actions"]["signacc.sel_add"].get<double>(), 0.0) << be;
    EXPECT_GT(rep["actions"]["wpack.byte_in"].get<double>(), 0.0) << be;
    EXPECT_GT(rep["actions"]["lut.lookup"].get<double>(), 0.0) << be;
    EXPECT_EQ(rep["layers"][1]["table_bytes"].get<double>(), 8.0 * 256 * 64) << be;
  }
  expect_error("run " + graph("e1.yaml", "    - {name: att, type: transformer, in: 64}\n").string(),
               "workload.layers[0].type: 'transformer' is not linear, ecoformer_attention");
  expect_error("run " + graph("e2.yaml", "    - {name: att, type: ecoformer_attention, in: 64, out: 32}\n").string(),
               "an attention layer gives its input's width 64 (layer att)");
  expect_error("run " + graph("e3.yaml", "    - {name: m, type: memoryformer_linear, in: 64, tau: 7}\n").string(),
               "workload.layers[0].in: 64 is not a multiple of tau = 7");
  expect_error("run " + graph("e4.yaml", "    - {name: att, type: attention, in: 64, input: random}\n").string(),
               "workload.layers[0].input: random is for linear layers (layer att)");
  expect_error("run " + graph("e5.yaml", "    - {name: att, type: attention, in: 64, tau: 4}\n").string(),
               "workload.layers[0].tau: unknown key (allowed: name, type, in, out, head_dim, input)");
  // fc1 with 40 outputs: its rows in DRAM are padded to 48 bytes (mac_cols 16), sm's projections read 64
  expect_error("run " + graph("e6.yaml",
                              "    - {name: fc1, in: 64, out: 40, group: 64}\n"
                              "    - {name: sm, type: attention, in: 40, head_dim: 32, input: fc1}\n")
                            .string(),
               "layer sm (attention): workload (attention, form softmax): the input rows in DRAM are 100 x 48 bytes; "
               "the layer reads 100 x 64");
}

TEST_F(Cli, SetOverridesHardwareAndWorkload) {
  const Result r = run("run --no-html " + config().string() + " --set workload.k=7 --set hardware.ham_lanes=2 --out " +
                       (dir / "o").string());
  ASSERT_EQ(r.rc, 0) << r.err;
  const std::string rep = slurp(dir / "o" / "report.json");
  EXPECT_NE(rep.find("\"k\": 7"), std::string::npos);
  EXPECT_NE(rep.find("\"ham_lanes\": 2"), std::string::npos);
}

TEST_F(Cli, MalformedYaml) {
  expect_error("run " + write("bad.yaml", "workload: [unclosed\n").string(), "malformed YAML at line");
}
TEST_F(Cli, MissingConfig) { expect_error("run " + (dir / "nope.yaml").string(), "nope.yaml: file not found"); }
TEST_F(Cli, UnknownTopLevelKey) {
  expect_error("run " + write("u.yaml", "hardwar: {}\n").string(), "hardwar: unknown key");
}
TEST_F(Cli, UnknownWorkloadKey) { expect_error("run " + config("  kk: 3\n").string(), "workload.kk: unknown key"); }
TEST_F(Cli, UnknownHardwareKey) {
  expect_error("run " + config().string() + " --set hardware.lanes=3", "hardware.lanes: unknown hardware parameter");
}
TEST_F(Cli, WrongType) {
  expect_error("run " + config().string() + " --set workload.k=ten", "workload.k: expected an integer");
}
TEST_F(Cli, KAboveHardwareMaximum) {
  expect_error("run " + config().string() + " --set workload.k=17", "topk_max = 16");
}
TEST_F(Cli, BitsNotMultipleOf64) {
  expect_error("run " + config().string() + " --set workload.bits=100", "multiple of 64");
}
// The `fpga` section (issue #8 item 4): the clock turns the run's cycles into seconds on the part, and the
// engines' useful work into a rate (per LUT when a fpga.json gives the LUTs).
TEST_F(Cli, FpgaClockGivesSeconds) {
  const fs::path out = dir / "o";
  Result r = run("run --no-html " + config("fpga: {target: ice40-up5k, fmax_mhz: 25}\n").string() +
                 " --backend systemc --out " + out.string());
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("on ice40-up5k at 25.00 MHz"), std::string::npos) << r.out;
  nlohmann::json rep = nlohmann::json::parse(slurp(out / "report.json"));
  const double cycles = rep.at("cycles").get<double>();
  ASSERT_GT(cycles, 0);
  const auto& f = rep.at("fpga");
  EXPECT_EQ(f.at("target"), "ice40-up5k");
  EXPECT_DOUBLE_EQ(f.at("seconds").get<double>(), cycles / 25e6);
  const double useful = rep.at("roofline").at("engines").at("hamtopk").at("useful").get<double>();
  EXPECT_DOUBLE_EQ(f.at("throughput").at("hamtopk").at("per_second").get<double>(), useful / (cycles / 25e6));
  EXPECT_FALSE(f.at("throughput").at("hamtopk").contains("per_second_per_lut"));

  // From a fpga.json of `bitgrid fpga` (a fixture here) beside the hw.yaml it was made for.
  fs::create_directories(dir / "fp");
  std::ofstream(dir / "fp" / "fpga.json")
      << R"({"target": "ice40-up5k", "stage": "routed", "resources": {"luts": 4000}, "timing": {"fmax_mhz": 40.0}})";
  std::ofstream(dir / "fp" / "hw.yaml") << "ham_lanes: 4\ntopk_max: 16\n";
  const std::string fj = (dir / "fp" / "fpga.json").string();
  fs::remove_all(out);
  r = run("run --no-html " + config("fpga: {report: " + fj + "}\n").string() + " --backend systemc --out " +
          out.string());
  ASSERT_EQ(r.rc, 0) << r.err;
  rep = nlohmann::json::parse(slurp(out / "report.json"));
  EXPECT_EQ(rep.at("fpga").at("stage"), "routed");
  EXPECT_EQ(rep.at("fpga").at("luts"), 4000);
  EXPECT_DOUBLE_EQ(rep.at("fpga").at("seconds").get<double>(), rep.at("cycles").get<double>() / 40e6);
  EXPECT_DOUBLE_EQ(rep.at("fpga").at("throughput").at("hamtopk").at("per_second_per_lut").get<double>(),
                   rep.at("fpga").at("throughput").at("hamtopk").at("per_second").get<double>() / 4000);

  // a pre-place-and-route report (no Fmax) and no fmax_mhz: the LUTs, no clock, so no seconds
  fs::create_directories(dir / "fx");
  std::ofstream(dir / "fx" / "fpga.json")
      << R"({"target": "xilinx-7", "stage": "pre-place-and-route", "resources": {"luts": 5000}})";
  std::ofstream(dir / "fx" / "hw.yaml") << "ham_lanes: 4\ntopk_max: 16\n";
  fs::remove_all(out);
  r = run("run --no-html " + config("fpga: {report: " + (dir / "fx" / "fpga.json").string() + "}\n").string() +
          " --backend systemc --out " + out.string());
  ASSERT_EQ(r.rc, 0) << r.err;
  rep = nlohmann::json::parse(slurp(out / "report.json"));
  EXPECT_EQ(rep.at("fpga").at("target"), "xilinx-7");
  EXPECT_EQ(rep.at("fpga").at("luts"), 5000);
  EXPECT_FALSE(rep.at("fpga").contains("fmax_mhz"));
  EXPECT_FALSE(rep.at("fpga").contains("seconds"));

  // bad input
  expect_error("run " + config("fpga: {target: ice40-up3k, fmax_mhz: 25}\n").string(),
               "fpga.target: unknown target 'ice40-up3k'");
  expect_error("run " + config("fpga: {target: ice40-up5k}\n").string(), "fpga: no clock");
  expect_error("run " + config("fpga: {target: ice40-up5k, fmax_mhz: 0}\n").string(), "fpga.fmax_mhz: must be");
  expect_error("run " + config("fpga: {target: ice40-up5k, fmax_mhz: 25, clock: 3}\n").string(),
               "fpga.clock: unknown key");
  expect_error("run " + config("fpga: {report: " + fj + ", target: xilinx-7}\n").string(),
               "but the report is for ice40-up5k");
  expect_error("run " + config("fpga: {report: " + fj + "}\n").string() + " --set hardware.ham_lanes=2",
               "was made for other hardware");
  expect_error("run " + config("fpga: {report: " + (dir / "nope.json").string() + "}\n").string(), "cannot open");
}

// A workload on a machine that leaves its engine out is refused before anything runs.
TEST_F(Cli, EngineLeftOut) {
  expect_error("run " + config().string() +
                   " --set hardware.has_hamtopk=0 --set hardware.has_binenc=0 --set hardware.has_signacc=0",
               "needs the hamtopk engine (hamtopk at instruction");
  expect_error("run " + config().string() +
                   " --set hardware.has_hamtopk=0 --set hardware.has_bitmac=0 --set hardware.has_hashgrid=0"
                   " --set hardware.has_binenc=0 --set hardware.has_lut=0 --set hardware.has_signacc=0"
                   " --set hardware.has_wpack=0 --set hardware.has_tabacc=0",
               "every has_<engine> parameter is 0");
}
TEST_F(Cli, ZeroLanes) {
  expect_error("run " + config().string() + " --set hardware.ham_lanes=0", "ham_lanes: 0 is below the minimum 1");
}
TEST_F(Cli, UnknownWorkloadType) {
  expect_error("run " + config().string() + " --set workload.type=gemm", "unknown workload 'gemm'");
}

TEST_F(Cli, MissingTruncatedAndMisshapenDataFiles) {
  const std::string base =
      "workload:\n  type: hamming_topk\n  k: 3\n  queries: {random_codes: 2}\n  bits: 128\n  database: {file: ";
  expect_error("run " + write("m.yaml", base + "missing.npy}\n").string(), "missing.npy: cannot open");
  std::vector<uint8_t> codes(10 * 16, 1);
  bitgrid::write_npy((dir / "db.npy").string(), "u1", 10, 16, codes.data());
  const std::string full = slurp(dir / "db.npy");
  std::ofstream(dir / "trunc.npy", std::ios::binary) << full.substr(0, full.size() - 7);
  expect_error("run " + write("t.yaml", base + "trunc.npy}\n").string(), "trunc.npy: truncated");
  bitgrid::write_npy((dir / "shape.npy").string(), "u1", 10, 12, codes.data());  // 96-bit codes
  expect_error("run " + write("s.yaml", base + "shape.npy}\n").string(), "multiple of 8 bytes");
  std::ofstream(dir / "t.bvecs", std::ios::binary) << std::string("\x10\x00\x00\x00\x01\x02", 6);
  expect_error("run " + write("b.yaml", base + "t.bvecs}\n").string(), "t.bvecs: truncated");
  // 128-bit database codes where the workload says 256 bits
  std::string b256 = base;
  b256.replace(b256.find("bits: 128"), 9, "bits: 256");
  expect_error("run " + write("l.yaml", b256 + "db.npy}\n").string(),
               "workload.bits: 256 but the database codes have 128 bits");
}

TEST_F(Cli, CompileAndDisassemble) {
  const fs::path out = dir / "c";
  ASSERT_EQ(run("compile " + config().string() + " --out " + out.string()).rc, 0);
  for (const char* f : {"program.bgp", "program.s", "memory.bgm", "layout.json", "hw.yaml"})
    EXPECT_TRUE(fs::exists(out / f)) << f;
  const Result r = run("disasm " + (out / "program.bgp").string());
  ASSERT_EQ(r.rc, 0);
  EXPECT_NE(r.out.find("hamtopk init=1 k=5 code_words=2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("finish [pop_next]"), std::string::npos);
  // every listed line assembles back to the same instruction
  const bitgrid::Program p = bitgrid::load_program((out / "program.bgp").string());
  std::istringstream lines(r.out);
  std::string line;
  size_t i = 0;
  while (std::getline(lines, line)) EXPECT_EQ(bitgrid::assemble(line), p.insns.at(i++)) << line;
  EXPECT_EQ(i, p.insns.size());
}

TEST_F(Cli, CorruptProgramBinary) {
  const fs::path out = dir / "c";
  ASSERT_EQ(run("compile " + config().string() + " --out " + out.string()).rc, 0);
  std::string b = slurp(out / "program.bgp");
  std::ofstream(dir / "trunc.bgp", std::ios::binary) << b.substr(0, b.size() - 9);
  Result r = run("disasm " + (dir / "trunc.bgp").string());
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.err.find("truncated program"), std::string::npos) << r.err;
  b[40] = static_cast<char>(b[40] ^ 0x10);
  std::ofstream(dir / "bad.bgp", std::ios::binary) << b;
  r = run("disasm " + (dir / "bad.bgp").string());
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.err.find("CRC mismatch"), std::string::npos) << r.err;
}

// The `program` workload runs a program binary as it is. An illegal instruction the checker would refuse
// reaches the machine with check: false, and every backend stops on the same machine fault: a one-line
// error naming the cause and the instruction, exit status 4, no outputs.
TEST_F(Cli, ProgramWorkloadAndMachineFaults) {
  const fs::path c = dir / "c";
  ASSERT_EQ(run("compile " + config().string() + " --out " + c.string()).rc, 0);
  write("run.yaml",
        "hardware: {ham_lanes: 4, topk_max: 16}\nworkload: {type: program, program: c/program.bgp, "
        "memory: c/memory.bgm}\n");
  for (const char* be : {"reference", "systemc"}) {
    const fs::path out = dir / (std::string("o_") + be);
    const Result r =
        run("run --no-html " + (dir / "run.yaml").string() + " --backend " + be + " --out " + out.string());
    EXPECT_EQ(r.rc, 0) << be << ": " << r.err;
    EXPECT_TRUE(fs::exists(out / "memory.bgm")) << be;
    EXPECT_NE(slurp(out / "report.json").find("\"verified\": true"), std::string::npos) << be;
  }
  // A load into rbuf (which only the store DMA may use) as instruction 1.
  bitgrid::Program p = bitgrid::load_program((c / "program.bgp").string());
  p.insns.insert(p.insns.begin() + 1, bitgrid::make_load(bitgrid::isa::Buf::kRbuf, 0, 8, 0));
  bitgrid::save_program((dir / "bad.bgp").string(), p);
  write("bad.yaml",
        "hardware: {ham_lanes: 4, topk_max: 16}\nworkload: {type: program, program: bad.bgp, "
        "memory: c/memory.bgm}\n");
  expect_error("run " + (dir / "bad.yaml").string(), "bad.bgp: program instruction 1 (load buf=rbuf");
  write("bad.yaml",
        "hardware: {ham_lanes: 4, topk_max: 16}\nworkload: {type: program, program: bad.bgp, "
        "memory: c/memory.bgm, check: false}\n");
  for (const char* be : {"reference", "systemc"}) {
    expect_error("run " + (dir / "bad.yaml").string() + " --backend " + be, "machine fault");
    const std::string err = slurp(dir / "stderr");
    EXPECT_NE(err.find("bad_buffer"), std::string::npos) << be << ": " << err;
    EXPECT_NE(err.find("instruction 1 (load buf=rbuf"), std::string::npos) << be << ": " << err;
    EXPECT_EQ(
        run("run --no-html " + (dir / "bad.yaml").string() + " --backend " + be + " --out " + (dir / "x").string()).rc,
        4);
  }
  EXPECT_NE(slurp(dir / "stderr").find("in cycle"), std::string::npos);  // the timed backend names the cycle
}

// ---- bitgrid quantize ----

TEST_F(Cli, QuantizeNpyWritesCodesAndScales) {
  const size_t N = 8, K = 256, G = 64;
  const auto w = weights(N, K);
  bitgrid::write_npy((dir / "W.npy").string(), "f4", N, K, w.data());
  const fs::path out = dir / "q.npz";
  const Result r = run("quantize " + (dir / "W.npy").string() + " --dtype bitmod4 --group 64 -o " + out.string());
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("W [8 x 256] bitmod4 group 64: MSE "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" dB"), std::string::npos) << r.out;
  const auto m = bitgrid::read_npz(out.string());
  ASSERT_EQ(m.size(), 5u);
  const std::vector<std::string> names = {"W/codes", "W/sel", "W/gscale", "W/cscale", "W/dequant"};
  for (size_t i = 0; i < names.size(); ++i) EXPECT_EQ(m[i].name, names[i]);
  const auto &codes = m[0].array, &sel = m[1].array, &gs = m[2].array, &cs = m[3].array, &deq = m[4].array;
  EXPECT_EQ(codes.dtype, "u1");
  EXPECT_EQ(codes.rows, N);
  EXPECT_EQ(codes.cols, K);
  EXPECT_EQ(sel.dtype, "u1");
  EXPECT_EQ(sel.cols, K / G);
  EXPECT_EQ(gs.dtype, "u1");
  EXPECT_EQ(gs.cols, K / G);
  EXPECT_EQ(cs.dtype, "f4");
  EXPECT_EQ(cs.ndim, 1);
  EXPECT_EQ(cs.rows, N);
  EXPECT_EQ(deq.dtype, "f4");
  // dequant = value(code, sel) * gscale * cscale, and the same result as the library's quantizer
  for (size_t n = 0; n < N; ++n)
    for (size_t k = 0; k < K; ++k) {
      const size_t g = n * (K / G) + k / G;
      const double v = bitgrid::isa::dtype_value(bitgrid::isa::kDtypeBitmod4, codes.bytes[n * K + k], sel.bytes[g]);
      ASSERT_EQ(deq.as<float>()[n * K + k], static_cast<float>(v * gs.bytes[g] * cs.as<float>()[n]));
    }
  const auto q = bitgrid::quantize(w.data(), N, K, bitgrid::isa::kDtypeBitmod4, G);
  EXPECT_EQ(codes.bytes, q.codes);
  EXPECT_EQ(sel.bytes, q.sel);
}

TEST_F(Cli, QuantizeNpzAndSafetensorsTensors) {
  const auto a = weights(4, 256, 1), b = weights(2, 128, 2);
  const std::vector<int64_t> ids = {1, 2, 3};
  bitgrid::write_npz((dir / "m.npz").string(), {{"a", bitgrid::Array2D::make("f4", 4, 256, a.data())},
                                                {"b", bitgrid::Array2D::make("f4", 2, 128, b.data())},
                                                {"ids", bitgrid::Array2D::make("i8", 3, 1, ids.data(), 1)}});
  const fs::path out = dir / "q.npz";
  Result r = run("quantize " + (dir / "m.npz").string() + " --dtype int4 -o " + out.string());
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("a [4 x 256] int4 group 128"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("b [2 x 128] int4 group 128"), std::string::npos) << r.out;
  EXPECT_EQ(bitgrid::read_npz(out.string()).size(), 10u);
  r = run("quantize " + (dir / "m.npz").string() + " --dtype fp3 --group 32 --tensor b -o " + out.string());
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out.find("a ["), std::string::npos) << r.out;
  const auto m = bitgrid::read_npz(out.string());
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m[1].name, "b/sel");
  EXPECT_EQ(m[1].array.cols, 4u);
  // safetensors (float16): every 2-D float tensor
  r = run("quantize " + safetensors_file("m.safetensors", 16, 256).string() + " --dtype bitmod3 -o " + out.string());
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("layer.0.weight [16 x 256] bitmod3 group 128"), std::string::npos) << r.out;
  EXPECT_EQ(bitgrid::read_npz(out.string())[0].name, "layer.0.weight/codes");
}

TEST_F(Cli, QuantizeComparesAllDatatypes) {
  const auto w = weights(16, 512);
  bitgrid::write_npy((dir / "W.npy").string(), "f4", 16, 512, w.data());
  Result r = run("quantize " + (dir / "W.npy").string() + " --dtype all");
  ASSERT_EQ(r.rc, 0) << r.err;
  for (const auto& d : bitgrid::isa::kDtypes) EXPECT_NE(r.out.find(std::string("  ") + d.name), std::string::npos);
  EXPECT_NE(r.out.find("SQNR dB"), std::string::npos) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 2 + 8) << r.out;
  EXPECT_FALSE(fs::exists(dir / "q.npz"));
  r = run("quantize " + (dir / "W.npy").string() + " --dtype all -o " + (dir / "q.npz").string());
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto m = bitgrid::read_npz((dir / "q.npz").string());
  EXPECT_EQ(m.size(), 8u * 5u);
  EXPECT_EQ(m[5].name, "W/int6/codes");
}

TEST_F(Cli, QuantizeBadInput) {
  const auto w = weights(4, 256);
  const std::string W = (dir / "W.npy").string();
  bitgrid::write_npy(W, "f4", 4, 256, w.data());
  expect_quantize_error(W + " --dtype int5", "--dtype: unknown datatype 'int5' (valid: int8, int6");
  expect_quantize_error(W + " --dtype int4 --group 100", "W.npy: tensor 'W': group size 100 does not divide K = 256");
  expect_quantize_error(W + " --dtype int4 --group 0", "group size 0 does not divide");
  auto nan = w;
  nan[2 * 256 + 5] = std::nanf("");
  bitgrid::write_npy((dir / "nan.npy").string(), "f4", 4, 256, nan.data());
  expect_quantize_error((dir / "nan.npy").string() + " --dtype fp4",
                        "nan.npy: tensor 'nan': weight at row 2, column 5 is NaN");
  nan[2 * 256 + 5] = INFINITY;
  bitgrid::write_npy((dir / "inf.npy").string(), "f4", 4, 256, nan.data());
  expect_quantize_error((dir / "inf.npy").string() + " --dtype fp4", "row 2, column 5 is infinite");
  bitgrid::write_npy((dir / "v.npy").string(), bitgrid::Array2D::make("f4", 256, 1, w.data(), 1));
  expect_quantize_error((dir / "v.npy").string() + " --dtype int8",
                        "v.npy: tensor 'v': expected a 2-D [N][K] weight matrix, got 1 dimension(s)");
  std::vector<uint8_t> u(16);
  bitgrid::write_npy((dir / "u.npy").string(), "u1", 4, 4, u.data());
  expect_quantize_error((dir / "u.npy").string() + " --dtype int8", "u.npy: tensor 'u': dtype u1 is not float32");
  expect_quantize_error((dir / "nope.npy").string() + " --dtype int8", "nope.npy: cannot open");
  expect_quantize_error((dir / "W.csv").string() + " --dtype int8", "W.csv: unknown weight file type '.csv'");
  const std::string npy = slurp(W);
  std::ofstream(dir / "t.npy", std::ios::binary) << npy.substr(0, npy.size() - 5);
  expect_quantize_error((dir / "t.npy").string() + " --dtype int8", "t.npy: truncated");
  // .npz: truncated archive, unknown --tensor
  bitgrid::write_npz((dir / "m.npz").string(), {{"a", bitgrid::Array2D::make("f4", 4, 256, w.data())}});
  const std::string z = slurp(dir / "m.npz");
  std::ofstream(dir / "t.npz", std::ios::binary) << z.substr(0, z.size() / 2);
  expect_quantize_error((dir / "t.npz").string() + " --dtype int8", "t.npz: not a readable .npz");
  expect_quantize_error((dir / "m.npz").string() + " --dtype int8 --tensor zz",
                        "m.npz: no tensor 'zz' (the file has: a)");
  expect_quantize_error(W + " --dtype int8 --tensor W", "--tensor selects tensors of .npz and .safetensors");
  // .safetensors: truncated data, a non-float tensor named
  const std::string st = slurp(safetensors_file("m.safetensors", 4, 256));
  std::ofstream(dir / "t.safetensors", std::ios::binary) << st.substr(0, st.size() - 100);
  expect_quantize_error((dir / "t.safetensors").string() + " --dtype int8", "t.safetensors: tensor");
  expect_quantize_error((dir / "t.safetensors").string() + " --dtype int8", "beyond the data section");
  expect_quantize_error((dir / "m.safetensors").string() + " --dtype int8 --tensor steps",
                        "m.safetensors: tensor 'steps': dtype I64 is not a float type");
  // A failing second tensor leaves no output from the first.
  auto bad = w;
  bad[7] = -INFINITY;
  bitgrid::write_npz((dir / "two.npz").string(), {{"a", bitgrid::Array2D::make("f4", 4, 256, w.data())},
                                                  {"b", bitgrid::Array2D::make("f4", 4, 256, bad.data())}});
  expect_quantize_error((dir / "two.npz").string() + " --dtype int8", "two.npz: tensor 'b': weight at row 0, column 7");
}

// The model workload: a chained two-layer model and a side layer, weights from an .npz, run and verified.
TEST_F(Cli, ModelWorkloadFromWeightFile) {
  const auto w1 = weights(32, 64, 1), w2 = weights(10, 32, 2);
  std::vector<float> b1(32, 0.25f);
  bitgrid::write_npz((dir / "w.npz").string(), {{"fc1.weight", bitgrid::Array2D::make("f4", 32, 64, w1.data())},
                                                {"fc1.bias", bitgrid::Array2D::make("f4", 32, 1, b1.data(), 1)},
                                                {"fc2.weight", bitgrid::Array2D::make("f4", 10, 32, w2.data())}});
  const fs::path cfg = write("m.yaml",
                             "hardware: hw/tiny.yaml\nworkload:\n  type: model\n  m: 3\n  group: 32\n"
                             "  weights: w.npz\n  layers:\n"
                             "    - {name: fc1, in: 64, out: 32, relu: true, dtype: bitmod4}\n"
                             "    - {name: fc2, in: 32, out: 10, input: fc1, dtype: int8, out32: true, bias: false}\n");
  const fs::path out = dir / "out";
  const Result r = run("run --no-html " + cfg.string() + " --out " + out.string());
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("verified: yes"), std::string::npos) << r.out;
  const auto y = bitgrid::read_npy((out / "fc2.npy").string());
  EXPECT_EQ(y.rows, 3u);
  EXPECT_EQ(y.cols, 10u);
  EXPECT_NE(slurp(out / "layers.csv").find("fc2,3,32,10,int8,32,"), std::string::npos) << slurp(out / "layers.csv");
  const std::string rep = slurp(out / "report.json");
  EXPECT_NE(rep.find("\"sections\""), std::string::npos);
  EXPECT_NE(rep.find("\"output_sqnr_db\""), std::string::npos);
  EXPECT_NE(rep.find("\"energy_pj_by_component\""), std::string::npos);
  EXPECT_NE(slurp(out / "layers.csv").find(",weight_bytes,dram_bytes,cycles,"), std::string::npos);
  // fc1's outputs stay on chip (fc2 reads them from abuf): no fc1.npy
  EXPECT_FALSE(fs::exists(out / "fc1.npy"));
  EXPECT_NE(r.out.find("(kept on chip)"), std::string::npos) << r.out;

  // The same tensors as a folder of .npy files (numpy.save, one per tensor): the same outputs. Through DRAM
  // (keep_on_chip: false), fc1's outputs are written too.
  fs::create_directories(dir / "wdir");
  bitgrid::write_npy((dir / "wdir/fc1.weight.npy").string(), "f4", 32, 64, w1.data());
  bitgrid::write_npy((dir / "wdir/fc1.bias.npy").string(), "f4", 32, 1, b1.data());
  bitgrid::write_npy((dir / "wdir/fc2.weight.npy").string(), "f4", 10, 32, w2.data());
  std::string text = slurp(cfg);
  text.replace(text.find("weights: w.npz"), 14, "weights: wdir\n  keep_on_chip: false");
  const fs::path cfg2 = write("m2.yaml", text);
  const fs::path out2 = dir / "out2";
  const Result r2 = run("run --no-html " + cfg2.string() + " --out " + out2.string());
  ASSERT_EQ(r2.rc, 0) << r2.err;
  EXPECT_NE(r2.out.find("verified: yes"), std::string::npos) << r2.out;
  EXPECT_EQ(slurp(out2 / "fc2.npy"), slurp(out / "fc2.npy"));
  EXPECT_TRUE(fs::exists(out2 / "fc1.npy"));
  expect_error("run " + write("m3.yaml",
                              "hardware: hw/tiny.yaml\nworkload:\n  type: model\n  group: 32\n"
                              "  weights: wdir\n  layers: [{name: fc9, in: 64, out: 8}]\n")
                            .string(),
               "wdir: no tensor fc9.weight for layer fc9");
}

// Every datatype runs on the systemc-free path (reference) with a synthetic layer.
TEST_F(Cli, ModelWorkloadEveryDatatype) {
  for (int dt = 0; dt < static_cast<int>(bitgrid::isa::kDtypes.size()); ++dt) {
    const fs::path cfg = write("d.yaml", std::string("hardware: hw/tiny.yaml\nworkload:\n  type: model\n  m: 2\n") +
                                             "  group: 32\n  dtype: " + bitgrid::isa::kDtypes[dt].name +
                                             "\n  layers: [{name: a, in: 64, out: 12}]\n");
    const Result r = run("run --no-html " + cfg.string() + " --out " + (dir / "o").string());
    ASSERT_EQ(r.rc, 0) << bitgrid::isa::kDtypes[dt].name << ": " << r.err;
    EXPECT_NE(r.out.find("verified: yes"), std::string::npos) << r.out;
  }
}

TEST_F(Cli, ModelWorkloadBadInput) {
  auto cfg = [&](const std::string& tail, const std::string& hw = "hw/tiny.yaml") {
    return "run " + write("b.yaml", "hardware: " + hw + "\nworkload:\n  type: model\n  m: 2\n" + tail).string();
  };
  expect_error(cfg("  dtype: int5\n  layers: [{name: a, in: 64, out: 8}]\n"),
               "workload.dtype: unknown datatype 'int5' (valid: int8");
  expect_error(cfg("  layers: [{name: a, in: 64, out: 8, group: 48}]\n"),
               "workload.layers[0].group: 48 does not divide in = 64 (layer a)");
  expect_error(cfg("  layers: [{name: a, in: 64, out: 8, group: 32, flux: 1}]\n"),
               "workload.layers[0].flux: unknown key");
  expect_error(cfg("  layers: []\n"), "workload.layers: missing or empty");
  expect_error(cfg("  group: 32\n  layers: [{name: a, in: 64, out: 8}, {name: b, in: 32, out: 8, input: a}]\n"),
               "workload.layers[1].input: layer a gives 8 features, layer b takes 32");
  expect_error(cfg("  group: 32\n  layers: [{name: a, in: 64, out: 8, input: zz}]\n"),
               "'zz' is not x, random or an earlier layer (layer a)");
  // Limits of the machine, named with the layer: a group whose weights exceed half of wbuf (K is split
  // into chunks of whole groups), a K above the 48-bit accumulator's exact range.
  expect_error(cfg("  group: 128\n  dtype: int8\n  layers: [{name: big, in: 1024, out: 8}]\n"),
               "layer big: one group of 8 output channels x 128 weights (1024 bytes) or its parameters exceed half "
               "of wbuf (512 bytes; wbuf_kib = 1)");
  expect_error(cfg("  group: 128\n  layers: [{name: wide, in: 1024, out: 8}]\n"),
               "layer wide: one activation row (1024 bytes) or output row (8 bytes) exceeds half of abuf (512 bytes)");
  expect_error(cfg("  group: 16\n  dtype: int3\n  layers: [{name: long, in: 65536, out: 8}]\n"),
               "layer long: K = 65536 is 4096 groups of 16, above the 4095 the 48-bit accumulator holds exactly");
  // Weight files: missing tensor, wrong shape, NaN.
  const auto w = weights(8, 64);
  bitgrid::write_npz((dir / "w.npz").string(), {{"a.weight", bitgrid::Array2D::make("f4", 8, 64, w.data())}});
  expect_error(cfg("  group: 32\n  weights: w.npz\n  layers: [{name: b, in: 64, out: 8}]\n"),
               "w.npz: no tensor b.weight for layer b");
  expect_error(cfg("  group: 32\n  weights: w.npz\n  layers: [{name: a, in: 32, out: 16}]\n"),
               "w.npz: a.weight: has shape [8, 64], the graph needs [16, 32]");
  auto nan = w;
  nan[70] = std::nanf("");
  bitgrid::write_npz((dir / "n.npz").string(), {{"a.weight", bitgrid::Array2D::make("f4", 8, 64, nan.data())}});
  expect_error(cfg("  group: 32\n  weights: n.npz\n  layers: [{name: a, in: 64, out: 8}]\n"),
               "n.npz: a.weight: element [1, 6] is not finite");
  expect_error(cfg("  group: 32\n  weights: none.npz\n  layers: [{name: a, in: 64, out: 8}]\n"), "none.npz");
}

// ---- configs/mlp_digits.yaml: an MLP trained on the UCI digits (python3-sklearn's digits.csv.gz, a declared
// dependency: no skipping), run on the reference backend in every datatype: verified, with accuracy reported.
namespace {
// The number after "KEY": in a report.json (NaN when absent).
double json_number(const std::string& rep, const std::string& key) {
  const size_t at = rep.find("\"" + key + "\": ");
  return at == std::string::npos ? std::nan("") : std::strtod(rep.c_str() + at + key.size() + 4, nullptr);
}
}  // namespace

TEST_F(Cli, MlpDigitsEveryDatatype) {
  const std::string cfg = std::string(BITGRID_SOURCE_DIR) + "/configs/mlp_digits.yaml";
  for (const char* dt : {"int8", "int6", "int4", "int3", "fp4", "fp3", "bitmod4", "bitmod3"}) {
    const fs::path out = dir / dt;
    const Result r =
        run("run --no-html " + cfg + " --backend reference --set workload.dtype=" + dt + " --out " + out.string());
    ASSERT_EQ(r.rc, 0) << dt << ": " << r.err;
    EXPECT_NE(r.out.find("verified: yes"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("accuracy: "), std::string::npos) << r.out;
    const std::string rep = slurp(out / "report.json");
    const double acc = json_number(rep, "accuracy"), facc = json_number(rep, "float_accuracy");
    ASSERT_FALSE(std::isnan(acc) || std::isnan(facc)) << dt << ": " << rep;
    EXPECT_GE(facc, 0.95) << dt;
    EXPECT_EQ(json_number(rep, "test_samples"), 359) << dt;
    EXPECT_EQ(bitgrid::read_npy((out / "fc2.npy").string()).rows, 359u);
    EXPECT_EQ(bitgrid::read_npy((out / "labels.npy").string()).rows, 359u);
    if (std::string(dt) == "int8") {
      EXPECT_NEAR(acc, facc, 0.02) << "INT8 accuracy " << acc << ", float " << facc;
    }
    if (std::string(dt) == "bitmod4") {
      EXPECT_GE(acc, facc - 0.05) << "BitMoD-4 accuracy " << acc;
    }
  }
}

TEST_F(Cli, MlpDigitsBadInput) {
  const std::string hdr = "hardware: hw/default.yaml\nworkload:\n  type: model\n  group: 64\n";
  const std::string chain =
      "  layers:\n    - {name: fc1, in: 64, out: 64, relu: true}\n"
      "    - {name: fc2, in: 64, out: 10, input: fc1, out32: true}\n";
  expect_error(
      "run " + write("b.yaml", hdr + "  train: {file: " + (dir / "nope.csv.gz").string() + "}\n" + chain).string(),
      "nope.csv.gz: file not found (the UCI digits come with Debian's python3-sklearn");
  expect_error("run " + write("b.yaml", hdr + "  train: {dataset: mnist}\n" + chain).string(),
               "workload.train.dataset: 'mnist' (known: digits)");
  expect_error("run " + write("b.yaml", hdr + "  train: {epochs: 0}\n" + chain).string(), "workload.train.epochs");
  expect_error("run " + write("b.yaml", hdr + "  train: {}\n  layers:\n    - {name: fc1, in: 64, out: 64, relu: true}\n"
                                              "    - {name: fc2, in: 64, out: 10, input: x}\n")
                            .string(),
               "workload.layers[1].input: 'x', train needs a chain (layer fc2 must read fc1)");
  expect_error("run " + write("b.yaml", hdr + "  train: {}\n  layers:\n    - {name: fc1, in: 64, out: 64}\n"
                                              "    - {name: fc2, in: 64, out: 10, input: fc1}\n")
                            .string(),
               "workload.layers[0].relu: train needs ReLU on every layer but the last");
  expect_error("run " + write("b.yaml", hdr + "  train: {}\n  layers: [{name: fc1, in: 64, out: 12}]\n").string(),
               "workload.layers[0].out: 12, the digits have 10 classes (layer fc1)");
  expect_error("run " + write("b.yaml", hdr + "  m: 400\n  train: {}\n" + chain).string(),
               "workload.m: 400, the test split has 359 samples");
}

// bitgrid compare: one run per datatype and the bit-parallel baseline, compare.csv; bad datatype names and
// non-model workloads are refused before anything runs.
TEST_F(Cli, CompareDatatypes) {
  const fs::path cfg = write("c.yaml",
                             "hardware: hw/tiny.yaml\nworkload:\n  type: model\n  m: 2\n  group: 64\n"
                             "  layers: [{name: a, in: 64, out: 16}]\n");
  const fs::path out = dir / "cmp";
  const Result r = run("compare " + cfg.string() + " --dtypes int8,bitmod3 --out " + out.string());
  ASSERT_EQ(r.rc, 0) << r.err;
  const std::string csv = slurp(out / "compare.csv");
  std::vector<std::string> lines;
  std::stringstream ss(csv);
  for (std::string l; std::getline(ss, l);) lines.push_back(l);
  ASSERT_EQ(lines.size(), 4u) << csv;  // header, baseline, int8, bitmod3
  EXPECT_EQ(lines[1].rfind("int8_bit_parallel,", 0), 0u);
  auto cycles = [](const std::string& l) { return std::stod(l.substr(l.find(',') + 1)); };
  // INT8 takes 4 terms per weight on the serial array, BitMoD-3 two: fewer cycles (tiny: compute-bound).
  EXPECT_LT(cycles(lines[3]), cycles(lines[2])) << csv;
  EXPECT_TRUE(fs::exists(out / "bitmod3" / "report.json"));
  expect_error("compare " + cfg.string() + " --dtypes int8,int5", "--dtypes: unknown datatype 'int5'");
  expect_error("compare " + config().string(), "compare needs a model workload, not hamming_topk");
}

// `bitgrid fpga` on bad input (scripts/fpga.sh's own cases are tests/fpga/): one-line errors, nothing written.
TEST_F(Cli, FpgaBadInput) {
  const std::string hw = std::string(BITGRID_SOURCE_DIR) + "/configs/hw/tiny.yaml";
  expect_error("fpga " + hw + " --target foo",
               "unknown target 'foo' (valid: ice40-up5k, ice40-hx8k, xilinx-7, ecp5, gowin)");
  expect_error("fpga " + (dir / "nope.yaml").string() + " --target ice40-up5k", "nope.yaml: file not found");
  expect_error("fpga " + hw + " --target ecp5 --set ham_lanes=3", "tiny.yaml: hardware.ham_lanes: 3 is not a power");
  expect_error("fpga " + hw + " --target ecp5 --set hardware.nope=1", "hardware.nope: unknown hardware parameter");
  expect_error("fpga " + hw + " --target ecp5 --set workload.k=1", "is a hardware config; set its parameters");
  expect_error("fpga " + config().string() + " --target ecp5 --set hardware.ham_lanes=0",
               "cfg.yaml: hardware.ham_lanes: 0 is below the minimum 1");
  // missing tools, simulated through PATH: none at all, then yosys and python3 only
  expect_error("fpga " + hw + " --target ice40-up5k", "yosys not found: install the Debian package yosys",
               "PATH=" + (dir / "nobin").string());
  const fs::path bin = dir / "bin";
  fs::create_directories(bin);
  for (const char* t : {"yosys", "python3"}) {
    for (const char* d : {"/usr/local/bin", "/usr/bin", "/bin"}) {
      if (fs::exists(fs::path(d) / t)) {
        fs::create_symlink(fs::path(d) / t, bin / t);
        break;
      }
    }
  }
  expect_error("fpga " + hw + " --target ice40-up5k",
               "nextpnr-ice40 not found: install the Debian package nextpnr-ice40", "PATH=" + bin.string());
}

namespace {

// A run config whose model graph starts with a hashgrid layer (`layer` is its map's inside).
std::string hashgrid_config(const std::string& layer) {
  return "workload:\n  type: model\n  layers:\n    - {name: enc, type: hashgrid, " + layer +
         "}\n    - {name: fc1, in: 32, out: 16}\n";
}

}  // namespace

// `bitgrid encode` writes what the reference encoder computes (its numerics are tested in unit_tests
// Hashgrid.* and against an independent NumPy peer in hashgrid_numpy_peer): float32 [n, L*F], float or fixed.
TEST_F(Cli, EncodeFloatAndFixed) {
  using namespace bitgrid::hashgrid;
  const fs::path cfg =
      write("e.yaml", hashgrid_config("dims: 2, levels: 8, features: 4, log2_table: 10, max_res: 256"));
  GridConfig g;
  g.dims = 2;
  g.levels = 8;
  g.features = 4;
  g.log2_table = 10;
  g.per_level_scale = per_level_scale_for(16, 256, 8);
  const auto lv = level_table(g);
  std::mt19937 rng(3);
  std::vector<float> pts(2 * 100), prm(n_params(g, lv));
  for (auto& v : pts) v = float(rng() % 10001) / 10000.0f;
  for (auto& v : prm) v = float(int(rng() % 2001) - 1000) / 4000.0f;
  bitgrid::write_npy((dir / "p.npy").string(), "f4", 100, 2, pts.data());
  bitgrid::write_npy((dir / "g.npy").string(), "f4", prm.size(), 1, prm.data());
  Result r = run("encode " + cfg.string() + " --points " + (dir / "p.npy").string() + " --params " +
                 (dir / "g.npy").string() + " -o " + (dir / "f.npy").string());
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("encoded 100 points with layer 'enc' (2-D, 8 levels x 4 features"), std::string::npos) << r.out;
  std::vector<float> want(100 * 32);
  encode_float(g, lv, pts.data(), 100, prm.data(), want.data());
  const auto f = bitgrid::read_npy((dir / "f.npy").string());
  ASSERT_EQ(f.rows, 100u);
  ASSERT_EQ(f.cols, 32u);
  EXPECT_TRUE(std::equal(want.begin(), want.end(), f.as<float>()));
  r = run("encode " + cfg.string() + " --points " + (dir / "p.npy").string() + " --params " + (dir / "g.npy").string() +
          " -o " + (dir / "x.npy").string() + " --numerics fixed --quiet");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "");
  const auto q = quantize_table(g, lv, prm.data());
  std::vector<uint32_t> xq(pts.size());
  for (size_t i = 0; i < pts.size(); ++i) xq[i] = quantize_coord(pts[i]);
  std::vector<int32_t> acc(want.size());
  encode_fixed(g, lv, xq.data(), 100, q, acc.data());
  const auto x = bitgrid::read_npy((dir / "x.npy").string());
  for (size_t i = 0; i < acc.size(); ++i)
    ASSERT_EQ(x.as<float>()[i], float(acc_value(acc[i], q.frac[(i % 32) / 4]))) << i;
}

TEST_F(Cli, EncodeBadInput) {
  const std::string good = "dims: 2, levels: 2, features: 2, log2_table: 6, base_res: 4";
  const fs::path cfg = write("e.yaml", hashgrid_config(good));
  std::vector<float> pts = {0.5f, 0.5f, 0.0f, 1.0f}, prm(2 * (16 + 56));  // res 4, 8: 16 and 64 -> 64 entries
  bitgrid::write_npy((dir / "p.npy").string(), "f4", 2, 2, pts.data());
  bitgrid::write_npy((dir / "g.npy").string(), "f4", prm.size(), 1, prm.data());
  const std::string P = " --points " + (dir / "p.npy").string(), G = " --params " + (dir / "g.npy").string();
  auto enc = [&](const fs::path& c, const std::string& args) { return "encode " + c.string() + args; };
  expect_error(enc(cfg, P + G), "g.npy: 144 parameters, the layer needs 160");
  prm.resize(160);
  bitgrid::write_npy((dir / "g.npy").string(), "f4", 80, 2, prm.data());
  // good now: then each bad input alone
  ASSERT_EQ(run(enc(cfg, P + G + " -o " + (dir / "ok.npy").string())).rc, 0);
  const std::vector<std::pair<std::vector<float>, std::string>> bad_points = {
      {{0.5f, 1.5f}, "point 0, coordinate 1 is 1.5, outside [0, 1] (points are rejected, not clamped)"},
      {{-0.1f, 0.5f}, "point 0, coordinate 0 is -0.1, outside [0, 1]"},
      {{0.5f, std::nanf("")}, "coordinate 1 is nan, outside [0, 1]"}};
  for (const auto& [v, msg] : bad_points) {
    bitgrid::write_npy((dir / "b.npy").string(), "f4", 1, 2, v.data());
    expect_error(enc(cfg, " --points " + (dir / "b.npy").string() + G), msg);
  }
  bitgrid::write_npy((dir / "b.npy").string(), "f4", 1, 3, prm.data());
  expect_error(enc(cfg, " --points " + (dir / "b.npy").string() + G),
               "b.npy: expected float32 points [n, 2] (dims of the layer), got f4 [1, 3]");
  const std::vector<int32_t> ints(4, 0);
  bitgrid::write_npy((dir / "i.npy").string(), "i4", 2, 2, ints.data());
  expect_error(enc(cfg, " --points " + (dir / "i.npy").string() + G), "expected float32 points");
  expect_error(enc(cfg, P + " --params " + (dir / "i.npy").string()), "i.npy: expected float32 parameters, got i4");
  expect_error(enc(cfg, " --points " + (dir / "nope.npy").string() + G), "nope.npy: cannot open");
  const std::string full = slurp(dir / "g.npy");
  std::ofstream(dir / "t.npy", std::ios::binary) << full.substr(0, full.size() - 5);
  expect_error(enc(cfg, P + " --params " + (dir / "t.npy").string()), "t.npy: truncated");
  prm[7] = 70000.0f;
  bitgrid::write_npy((dir / "big.npy").string(), "f4", 160, 1, prm.data());
  expect_error(enc(cfg, P + " --params " + (dir / "big.npy").string() + " --numerics fixed"),
               "level 0 holds a parameter of magnitude 70000, beyond the int16 table format");
  // the config
  expect_error(enc(write("n.yaml", "workload:\n  type: model\n  layers:\n    - {name: fc1, in: 4, out: 4}\n"), P + G),
               "n.yaml: workload.layers: no hashgrid layer");
  expect_error(enc(cfg, P + G + " --layer other"), "no hashgrid layer named 'other'");
  expect_error(enc(write("k.yaml", hashgrid_config(good + ", colour: red")), P + G),
               "workload.layers[0].colour: unknown key");
  expect_error(enc(write("d.yaml", hashgrid_config("levels: 2")), P + G), "workload.layers[0].dims: missing (2 or 3)");
  expect_error(enc(write("f.yaml", hashgrid_config("dims: 2, features: 3")), P + G),
               "workload.layers[0].features: 3 is not 1, 2, 4 or 8");
  expect_error(enc(write("r.yaml", hashgrid_config("dims: 3, base_res: 20000, per_level_scale: 2, levels: 2")), P + G),
               "level 1 has resolution 40000, above 32768");
  expect_error(enc(write("b.yaml", hashgrid_config("dims: 2, per_level_scale: 2, max_res: 64")), P + G),
               "per_level_scale and max_res both given");
  expect_error(enc(write("i.yaml", hashgrid_config("dims: 2, interpolation: cubic")), P + G),
               "workload.layers[0].interpolation: 'cubic' (linear or smoothstep)");
  expect_error(enc(cfg, P + G + " --set workload.layers=3"), "workload.layers: missing");
}

namespace {

// A small RGB PNG (a gradient and a bright square) written through bitgrid's own writer.
void small_png(const fs::path& p, size_t w, size_t h, size_t channels = 3) {
  bitgrid::Image im;
  im.width = w;
  im.height = h;
  im.channels = channels;
  for (size_t i = 0; i < h; ++i)
    for (size_t j = 0; j < w; ++j)
      for (size_t c = 0; c < channels; ++c)
        im.px.push_back(i > h / 3 && i < h / 2 && j > w / 3 && j < w / 2 ? 1.0f : float((i + j + 5 * c) % 64) / 80.0f);
  bitgrid::write_png(p.string(), im);
}

const char* kFitGrid =
    "workload:\n  type: model\n  layers:\n"
    "    - {name: enc, type: hashgrid, dims: 2, levels: 4, features: 2, log2_table: 8, base_res: 4}\n";
const char* kFitLayers =
    "    - {name: fc1, in: 8, out: 16, relu: true}\n"
    "    - {name: fc2, in: 16, out: 3}\n";

}  // namespace

TEST_F(Cli, FitWritesParametersRenderAndCurve) {
  small_png(dir / "img.png", 24, 20);
  const fs::path cfg = write("f.yaml", std::string(kFitGrid) + kFitLayers);
  const Result r = run("fit " + (dir / "img.png").string() + " " + cfg.string() + " -o " + (dir / "p.npz").string() +
                       " --steps 40 --batch 64 --eval-every 10 --png " + (dir / "r.png").string() + " --log " +
                       (dir / "c.csv").string());
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("(24 x 20, 3 channels): 40 steps of 64 pixels in"), std::string::npos) << r.out;
  const auto members = bitgrid::read_npz((dir / "p.npz").string());
  ASSERT_EQ(members.size(), 5u);
  using bitgrid::hashgrid::GridConfig;
  GridConfig g;
  g.dims = 2;
  g.levels = 4;
  g.log2_table = 8;
  g.base_res = 4;
  const auto lv = bitgrid::hashgrid::level_table(g);
  EXPECT_EQ(members[0].name, "enc.params");
  EXPECT_EQ(members[0].array.rows * members[0].array.cols, bitgrid::hashgrid::n_params(g, lv));
  EXPECT_EQ(members[1].name, "fc1.weight");
  EXPECT_EQ(members[1].array.rows, 16u);
  EXPECT_EQ(members[1].array.cols, 8u);
  EXPECT_EQ(members[4].name, "fc2.bias");
  const auto img = bitgrid::read_png((dir / "r.png").string());
  EXPECT_EQ(img.width, 24u);
  EXPECT_EQ(img.height, 20u);
  const std::string csv = slurp(dir / "c.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 5);  // header + steps 10, 20, 30, 40
  EXPECT_EQ(csv.rfind("step,seconds,psnr_db\n10,", 0), 0u) << csv;
  // the same seed, the same bytes
  ASSERT_EQ(run("fit " + (dir / "img.png").string() + " " + cfg.string() + " -o " + (dir / "q.npz").string() +
                " --steps 40 --batch 64 --quiet")
                .rc,
            0);
  EXPECT_EQ(slurp(dir / "p.npz"), slurp(dir / "q.npz"));
}

TEST_F(Cli, FitBadInput) {
  small_png(dir / "img.png", 16, 16);
  small_png(dir / "gray.png", 16, 16, 1);
  const std::string enc = kFitGrid;
  const fs::path good = write("g.yaml", enc + kFitLayers);
  const std::string img = (dir / "img.png").string();
  auto fit = [&](const std::string& image, const fs::path& cfg) {
    return "fit " + image + " " + cfg.string() + " --steps 2 --batch 16";  // expect_error adds --out DIR/out
  };
  expect_error(fit((dir / "none.png").string(), good), "none.png: cannot open");
  std::ofstream(dir / "text.png") << "not a png\n";
  expect_error(fit((dir / "text.png").string(), good), "text.png: not a readable PNG image");
  const std::string full = slurp(dir / "img.png");
  std::ofstream(dir / "cut.png", std::ios::binary) << full.substr(0, full.size() / 2);
  expect_error(fit((dir / "cut.png").string(), good), "cut.png: truncated or corrupt PNG");
  expect_error(fit((dir / "gray.png").string(), good), "the last layer 'fc2' has out 3, the image");
  expect_error(fit(img, write("w.yaml", enc + "    - {name: fc1, in: 16, out: 3}\n")),
               "workload.layers[1].in: 16, but the hashgrid layer 'enc' gives levels x features = 8");
  expect_error(fit(img, write("c.yaml", enc + "    - {name: fc1, in: 8, out: 4}\n    - {name: fc2, in: 5, out: 3}\n")),
               "workload.layers[2].in: 5, but layer 'fc1' gives 4");
  expect_error(fit(img, write("n.yaml", enc)), "no linear layers after the hashgrid layer");
  std::string d3 = enc;
  d3.replace(d3.find("dims: 2"), 7, "dims: 3");
  expect_error(fit(img, write("d.yaml", d3 + kFitLayers)), "the hashgrid layer 'enc' has dims 3, an image needs 2");
  expect_error(fit(img, write("z.yaml", "workload:\n  type: model\n  layers:\n    - {name: fc1, in: 8, out: 3}\n")),
               "no hashgrid layer");
}

namespace {

// A hash grid -> MLP graph on the tiny machine (one encoder, D <= 2, mac_rows 8: K = L*F = 16, groups of 16).
std::string grid_model(const std::string& extra, const std::string& grid = "levels: 4, features: 4, log2_table: 6",
                       const std::string& hw = "hw/tiny.yaml") {
  return "hardware: " + hw + "\nworkload:\n  type: model\n  dtype: int8\n  group: 16\n  seed: 3\n" + extra +
         "  layers:\n    - {name: enc, type: hashgrid, dims: 2, base_res: 4, " + grid +
         "}\n    - {name: fc1, in: 16, out: 16, relu: true}\n    - {name: fc2, in: 16, out: 3}\n";
}

}  // namespace

// A hash grid feeding an MLP on chip (hgenc into abuf, gemms): the same outputs on the reference model and the
// SystemC model (and the RTL: rtl_cli), verified against the integer computation from encode_fixed's features.
TEST_F(Cli, HashgridModelRunsOnChip) {
  const fs::path cfg = write("g.yaml", grid_model("  m: 100\n"));
  const auto runs = run_both_backends(cfg, {"fc2.npy"});
  ASSERT_EQ(runs.size(), 2u);
  for (const auto& [be, out, rep] : runs) {
    EXPECT_NE(out.find("enc        100 points x 4 levels x 4 features"), std::string::npos) << out;
    EXPECT_EQ(rep["hashgrid"]["point_levels"].get<double>(), 400.0);
    EXPECT_EQ(rep["actions"]["hashgrid.lookup"].get<double>(), 400.0) << rep["actions"].dump();
  }
}

// Tables beyond gbuf (tiny: 8 KiB; eight levels of up to 2^9 entries x 2 features, 9.7 KB with the descriptors)
// are encoded level by level: passes of whole groups of mac_cols / F = 4 levels, each m tile loading each pass's
// tables and writing its columns of the rows. Same outputs on both backends, verified against encode_fixed's
// features; the tables cross the DRAM bus once per pass and m tile.
TEST_F(Cli, HashgridTablesBeyondGbufRunInPasses) {
  const fs::path cfg =
      write("g.yaml", grid_model("  m: 100\n", "levels: 8, features: 2, log2_table: 9, per_level_scale: 1.5"));
  const auto runs = run_both_backends(cfg, {"fc2.npy"});
  ASSERT_EQ(runs.size(), 2u);
  for (const auto& [be, out, rep] : runs) {
    const auto& h = rep["hashgrid"];
    ASSERT_EQ(h["passes"].get<int>(), 2) << h.dump();
    EXPECT_EQ(h["pass_levels"], nlohmann::json::parse("[[0, 4], [4, 8]]"));
    EXPECT_GT(h["table_dram_bytes"].get<double>(), 8192.0);  // does not fit at once
    EXPECT_EQ(rep["actions"]["hashgrid.lookup"].get<double>(), 800.0);
    // every m tile loads every pass's tables
    const auto& l0 = rep["layers"][0];
    const double tiles = std::ceil(100.0 / l0["m_tile"].get<double>());
    EXPECT_GT(tiles, 1.0);
    EXPECT_GE(rep["dram_bytes"]["read"].get<double>(), tiles * h["table_dram_bytes"].get<double>());
  }
}

// The image workload end to end on a small photograph-like PNG: the field is fitted once (fit_steps) into the
// weights file and reused by the next run (same bytes), the accelerator's pixels go to image.png and are compared
// with the original; frames per second follow the cycles and clock_mhz.
TEST_F(Cli, HashgridImageFitsOnceAndRenders) {
  small_png(dir / "img.png", 20, 16);
  const fs::path cfg = write("i.yaml", grid_model("  image: {png: " + (dir / "img.png").string() +
                                                  ", clock_mhz: 200, fit_steps: 60, fit_seed: 2}\n  weights: " +
                                                  (dir / "fit" / "p.npz").string() + "\n"));
  const Result r = run("run " + cfg.string() + " --backend systemc --no-html --out " + (dir / "a").string());
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("verified: yes"), std::string::npos) << r.out;
  ASSERT_TRUE(fs::exists(dir / "fit" / "p.npz"));
  const auto rep = nlohmann::json::parse(slurp(dir / "a" / "report.json"));
  const auto& im = rep["image"];
  EXPECT_EQ(im["width"].get<int>(), 20);
  EXPECT_FALSE(im["fit"]["reused"].get<bool>());
  EXPECT_GT(im["float_psnr_db"].get<double>(), 12.0);  // 60 steps fit the gradient roughly
  EXPECT_NEAR(im["frames_per_second"].get<double>(), 200e6 / rep["cycles"].get<double>(), 1e-6);
  EXPECT_NEAR(im["energy_pj_per_pixel"].get<double>(), rep["energy_pj"]["total"].get<double>() / 320.0, 1e-3);
  // the PSNR of the written image (8-bit) against the original, computed here
  const bitgrid::Image orig = bitgrid::read_png((dir / "img.png").string());
  const bitgrid::Image acc = bitgrid::read_png((dir / "a" / "image.png").string());
  ASSERT_EQ(acc.px.size(), orig.px.size());
  EXPECT_NEAR(bitgrid::psnr(acc.px, orig.px), im["psnr_db"].get<double>(), 0.3);
  const Result r2 = run("run " + cfg.string() + " --backend reference --no-html --out " + (dir / "b").string());
  ASSERT_EQ(r2.rc, 0) << r2.err;
  EXPECT_TRUE(nlohmann::json::parse(slurp(dir / "b" / "report.json"))["image"]["fit"]["reused"].get<bool>());
  EXPECT_EQ(slurp(dir / "a" / "image.png"), slurp(dir / "b" / "image.png"));
}

TEST_F(Cli, HashgridModelBadInput) {
  auto run_cfg = [&](const std::string& name, const std::string& text) { return "run " + write(name, text).string(); };
  const std::string layers_tail = "    - {name: fc1, in: 16, out: 16, relu: true}\n    - {name: fc2, in: 16, out: 3}\n";
  expect_error(run_cfg("a.yaml",
                       "hardware: hw/tiny.yaml\nworkload:\n  type: model\n  group: 16\n  layers:\n"
                       "    - {name: fc0, in: 16, out: 16}\n"
                       "    - {name: enc, type: hashgrid, dims: 2, levels: 4, features: 4}\n"),
               "workload.layers[1].type: a hashgrid layer must be the first layer");
  expect_error(run_cfg("b.yaml", grid_model("", "levels: 2, features: 4, log2_table: 6")),
               "workload.layers[1].in: 16, the hashgrid layer enc gives levels * features = 8 (layer fc1)");
  std::string chain = grid_model("");
  chain.replace(chain.find("{name: fc2, in: 16"), 18, "{name: fc2, input: enc, in: 16");
  expect_error(run_cfg("c.yaml", chain), "after a hashgrid layer the layers form a chain (layer fc2 reads fc1)");
  const std::vector<float> pts = {0.25f, 0.5f, 1.25f, 0.0f};
  bitgrid::write_npy((dir / "p.npy").string(), "f4", 2, 2, pts.data());
  expect_error(run_cfg("d.yaml", grid_model("  inputs: " + (dir / "p.npy").string() + "\n")),
               "p.npy: point [1, 0] = 1.250000 is outside [0, 1] (points are rejected, not clamped)");
  const std::vector<float> prm(10, 0.0f);
  bitgrid::write_npz((dir / "w.npz").string(), {{"enc.params", bitgrid::Array2D::make("f4", 10, 1, prm.data(), 1)}});
  expect_error(run_cfg("e.yaml", grid_model("  weights: " + (dir / "w.npz").string() + "\n")),
               "w.npz: enc.params: has shape [10, 1], the graph needs");
  expect_error(run_cfg("f.yaml", grid_model("", "levels: 4, features: 4, log2_table: 12")),
               "tables beyond the hardware");
  expect_error(run_cfg("g.yaml", grid_model("", "levels: 4, features: 4, log2_table: 6", "hw/up5k.yaml")),
               "has_hashgrid");
  expect_error(run_cfg("h.yaml",
                       "hardware: hw/default.yaml\nworkload:\n  type: model\n  group: 8\n  layers:\n"
                       "    - {name: enc, type: hashgrid, dims: 2, levels: 1, features: 8}\n"
                       "    - {name: fc1, in: 8, out: 3}\n"),
               "levels * features = 8 INT8 features per point must be a multiple of 16 (mac_cols)");
  // images
  small_png(dir / "img.png", 8, 8);
  small_png(dir / "gray.png", 8, 8, 1);
  std::ofstream(dir / "text.png") << "not a png\n";
  expect_error(run_cfg("i.yaml", grid_model("  image: {png: " + (dir / "text.png").string() + "}\n")),
               "text.png: not a readable PNG image");
  expect_error(run_cfg("j.yaml", grid_model("  image: {png: " + (dir / "gray.png").string() + "}\n")),
               "workload.image: the last layer fc2 has out 3");
  expect_error(run_cfg("k.yaml", grid_model("  image: {png: " + (dir / "img.png").string() + ", fit_steps: 5}\n")),
               "workload.image.fit_steps: needs workload.weights");
  expect_error(run_cfg("l.yaml", grid_model("  m: 4\n  image: {png: " + (dir / "img.png").string() + "}\n")),
               "workload.m: not with image");
  expect_error(run_cfg("m.yaml", grid_model("  image: {png: " + (dir / "img.png").string() + ", size: 3}\n")),
               "workload.image.size: unknown key");
  expect_error(run_cfg("n.yaml",
                       "hardware: hw/tiny.yaml\nworkload:\n  type: model\n  group: 16\n  image: {png: x.png}\n"
                       "  layers:\n" +
                           layers_tail),
               "workload.image: needs a hashgrid layer");
}
