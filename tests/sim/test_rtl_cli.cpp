// End-to-end tests of the default-config rtl executable (rtl/default/bitgrid-sim-rtl, built by
// scripts/build_rtl_sim.sh through sim/rtl.cmake) and of the shared driver sim/sim_main.cpp: output memory
// against the functional executor, cycle count and unit statistics against the rule transcription
// (tests/oracle/rule_oracle.h), --jobs, and the error contract (one "error: ..." line, exit 1, no output files).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "bitgrid/executor.h"
#include "bitgrid/hwconfig.h"
#include "bitgrid/insn.h"
#include "bitgrid/memimage.h"
#include "rule_oracle.h"
#include "workloads.h"

namespace {

namespace fs = std::filesystem;

const std::string kExe = BITGRID_RTL_DEFAULT_EXE;
const std::string kSrc = BITGRID_SOURCE_DIR;

struct Cmd {
  int rc = -1;
  std::string out, err;
};

Cmd run(const std::string& args, const fs::path& dir) {
  const fs::path out = dir / "cmd.out", err = dir / "cmd.err";
  const std::string cmd = kExe + " " + args + " >" + out.string() + " 2>" + err.string();
  const int st = std::system(cmd.c_str());
  Cmd c;
  c.rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  std::ifstream o(out), e(err);
  c.out.assign(std::istreambuf_iterator<char>(o), {});
  c.err.assign(std::istreambuf_iterator<char>(e), {});
  return c;
}

fs::path fresh_dir(const std::string& name) {
  const fs::path d = fs::path(::testing::TempDir()) / ("bitgrid_rtl_cli_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

bitgrid::HwConfig default_hw() {
  const std::string path = kSrc + "/configs/hw/default.yaml";
  return bitgrid::HwConfig::from_yaml(YAML::LoadFile(path), path);
}

nlohmann::json read_json(const fs::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

void expect_matches(const bitgrid::HwConfig& hw, const bgtest::Workload& w, const fs::path& out_mem,
                    const fs::path& stats) {
  EXPECT_EQ(bitgrid::load_memimage(out_mem.string()), bitgrid::execute(w.prog, hw, w.mem));
  const nlohmann::json s = read_json(stats);
  const bgtest::OracleResult want = bgtest::rule_oracle(hw, w.prog, w.mem.size());
  EXPECT_EQ(s["backend"], "rtl");
  EXPECT_EQ(s["cycles"].get<uint64_t>(), want.cycles);
  const char* names[3] = {"load", "compute", "store"};
  for (int u = 0; u < 3; ++u) {
    EXPECT_EQ(s["units"][names[u]]["busy_cycles"].get<uint64_t>(), want.units[u].busy_cycles) << names[u];
    EXPECT_EQ(s["units"][names[u]]["insns"].get<uint64_t>(), want.units[u].insns) << names[u];
  }
  EXPECT_EQ(s["dram"]["read_requests"].get<uint64_t>(), want.dram.read_requests);
  EXPECT_EQ(s["dram"]["write_beats"].get<uint64_t>(), want.dram.write_beats);
  EXPECT_TRUE(s.contains("wall_seconds"));
}

TEST(RtlCli, SingleJobMatchesExecutorAndRules) {
  const bitgrid::HwConfig hw = default_hw();
  const fs::path d = fresh_dir("single");
  const bgtest::Workload w = bgtest::legal_workload(hw, 3, 5, 100);
  bitgrid::save_program((d / "p.bgp").string(), w.prog);
  bitgrid::save_memimage((d / "m.bgm").string(), w.mem);
  const Cmd c = run("--hw " + kSrc + "/configs/hw/default.yaml --program " + (d / "p.bgp").string() + " --mem " +
                        (d / "m.bgm").string() + " --out-mem " + (d / "o.bgm").string() + " --stats " +
                        (d / "s.json").string() + " --trace " + (d / "t.fst").string(),
                    d);
  ASSERT_EQ(c.rc, 0) << c.err;
  expect_matches(hw, w, d / "o.bgm", d / "s.json");
  EXPECT_TRUE(fs::file_size(d / "t.fst") > 1000);
}

TEST(RtlCli, JobListRunsEveryJob) {
  const bitgrid::HwConfig hw = default_hw();
  const fs::path d = fresh_dir("jobs");
  std::ofstream list(d / "jobs.txt");
  list << "# program memory out stats\n\n";
  std::vector<bgtest::Workload> ws;
  for (int i = 0; i < 3; ++i) {
    ws.push_back(bgtest::legal_workload(hw, 10 + static_cast<uint32_t>(i), 1 + i, 60));
    const std::string n = std::to_string(i);
    bitgrid::save_program((d / ("p" + n + ".bgp")).string(), ws.back().prog);
    bitgrid::save_memimage((d / ("m" + n + ".bgm")).string(), ws.back().mem);
    list << (d / ("p" + n + ".bgp")).string() << " " << (d / ("m" + n + ".bgm")).string() << " "
         << (d / ("o" + n + ".bgm")).string() << " " << (d / ("s" + n + ".json")).string() << "\n";
  }
  list.close();
  const Cmd c = run("--hw " + kSrc + "/configs/hw/default.yaml --jobs " + (d / "jobs.txt").string(), d);
  ASSERT_EQ(c.rc, 0) << c.err;
  for (int i = 0; i < 3; ++i) {
    const std::string n = std::to_string(i);
    expect_matches(hw, ws[static_cast<size_t>(i)], d / ("o" + n + ".bgm"), d / ("s" + n + ".json"));
  }
}

void expect_one_line_error(const Cmd& c) {
  EXPECT_EQ(c.rc, 1);
  EXPECT_EQ(c.err.rfind("error: ", 0), 0u) << c.err;
  EXPECT_EQ(std::count(c.err.begin(), c.err.end(), '\n'), 1) << c.err;
}

TEST(RtlCli, RefusesAnotherConfigWithoutWritingOutputs) {
  const bitgrid::HwConfig tiny =
      bitgrid::HwConfig::from_yaml(YAML::LoadFile(kSrc + "/configs/hw/tiny.yaml"), "tiny.yaml");
  const fs::path d = fresh_dir("refuse");
  const bgtest::Workload w = bgtest::legal_workload(tiny, 1, 2, 8);
  bitgrid::save_program((d / "p.bgp").string(), w.prog);
  bitgrid::save_memimage((d / "m.bgm").string(), w.mem);
  const Cmd c =
      run("--hw " + kSrc + "/configs/hw/tiny.yaml --program " + (d / "p.bgp").string() + " --mem " +
              (d / "m.bgm").string() + " --out-mem " + (d / "o.bgm").string() + " --stats " + (d / "s.json").string(),
          d);
  expect_one_line_error(c);
  EXPECT_NE(c.err.find("built for another hardware config"), std::string::npos) << c.err;
  EXPECT_FALSE(fs::exists(d / "o.bgm"));
  EXPECT_FALSE(fs::exists(d / "s.json"));
}

TEST(RtlCli, BadInputsAreOneLineErrors) {
  const fs::path d = fresh_dir("bad");
  const std::string hw = " --hw " + kSrc + "/configs/hw/default.yaml";
  const std::string outs = " --out-mem " + (d / "o.bgm").string() + " --stats " + (d / "s.json").string();
  expect_one_line_error(run(hw + " --program " + (d / "missing.bgp").string() + " --mem x.bgm" + outs, d));
  expect_one_line_error(run("--hw " + (d / "nope.yaml").string() + " --program a --mem b" + outs, d));
  expect_one_line_error(run(hw + " --bogus", d));
  // a program the checker rejects (deadlock: nothing pushes l2c)
  bitgrid::Program p;
  bitgrid::Deps nop;
  nop.pop_prev = true;
  p.insns.push_back(bitgrid::make_nop(nop));
  p.insns.push_back(bitgrid::make_finish());
  bitgrid::save_program((d / "p.bgp").string(), p);
  bitgrid::save_memimage((d / "m.bgm").string(), std::vector<uint8_t>(64));
  const std::string ins = " --program " + (d / "p.bgp").string() + " --mem " + (d / "m.bgm").string();
  expect_one_line_error(run(hw + ins + outs, d));
  // the same with --no-check reaches the RTL watchdog
  const Cmd c = run(hw + ins + outs + " --no-check --stall-cycles 300", d);
  expect_one_line_error(c);
  EXPECT_NE(c.err.find("deadlock"), std::string::npos) << c.err;
  EXPECT_FALSE(fs::exists(d / "o.bgm"));
  EXPECT_FALSE(fs::exists(d / "s.json"));
}

}  // namespace
