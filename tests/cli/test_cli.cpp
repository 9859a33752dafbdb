// The bitgrid command line on good and bad input: every bad input gives a one-line error naming the
// file/key/limit, a non-zero exit, and leaves no output files behind.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "bitgrid/datafile.h"
#include "bitgrid/insn.h"

namespace fs = std::filesystem;

namespace {

struct Result {
  int rc;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

class Cli : public ::testing::Test {
 protected:
  fs::path dir;
  void SetUp() override {
    dir = fs::path(::testing::TempDir()) /
          ("bitgrid_cli_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  fs::path write(const std::string& name, const std::string& text) {
    const fs::path p = dir / name;
    std::ofstream(p) << text;
    return p;
  }
  Result run(const std::string& args) {
    const std::string cmd =
        std::string(BITGRID_EXE) + " " + args + " >" + (dir / "stdout").string() + " 2>" + (dir / "stderr").string();
    const int st = std::system(cmd.c_str());
    return {WEXITSTATUS(st), slurp(dir / "stdout"), slurp(dir / "stderr")};
  }
  // A config with a small random workload; `extra` replaces parts via --set.
  fs::path config(const std::string& workload_tail = "") {
    return write("cfg.yaml",
                 "hardware: {ham_lanes: 4, topk_max: 16}\n"
                 "workload:\n  type: hamming_topk\n  k: 5\n  bits: 128\n  seed: 3\n"
                 "  database: {random_codes: 300}\n  queries: {random_codes: 4}\n" +
                     workload_tail);
  }
  // Runs a config expected to fail: non-zero exit, one line on stderr containing `needle`, no outputs.
  void expect_error(const std::string& args, const std::string& needle) {
    const fs::path out = dir / "out";
    fs::remove_all(out);
    const Result r = run(args + " --out " + out.string());
    EXPECT_NE(r.rc, 0) << args;
    EXPECT_NE(r.err.find(needle), std::string::npos) << "stderr: " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "stderr: " << r.err;
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
    if (fs::exists(out)) {
      EXPECT_TRUE(fs::is_empty(out)) << "half-written outputs left in " << out;
    }
  }
};

}  // namespace

TEST_F(Cli, ReferenceRunWritesVerifiedOutputs) {
  const fs::path out = dir / "out";
  const Result r = run("run " + config().string() + " --out " + out.string());
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

TEST_F(Cli, FloatInputGivesRecall) {
  const fs::path cfg =
      write("f.yaml",
            "workload:\n  type: hamming_topk\n  k: 10\n  bits: 256\n"
            "  database: {random_float: {n: 2000, dim: 16}}\n  queries: {random_float: {n: 8, dim: 16}}\n");
  const Result r = run("run " + cfg.string() + " --out " + (dir / "o").string());
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(slurp(dir / "o" / "report.json").find("recall_at_k"), std::string::npos);
}

TEST_F(Cli, SetOverridesHardwareAndWorkload) {
  const Result r =
      run("run " + config().string() + " --set workload.k=7 --set hardware.ham_lanes=2 --out " + (dir / "o").string());
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
    const Result r = run("run " + (dir / "run.yaml").string() + " --backend " + be + " --out " + out.string());
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
    EXPECT_EQ(run("run " + (dir / "bad.yaml").string() + " --backend " + be + " --out " + (dir / "x").string()).rc, 4);
  }
  EXPECT_NE(slurp(dir / "stderr").find("in cycle"), std::string::npos);  // the timed backend names the cycle
}
