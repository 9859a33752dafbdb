// The fpga backend end to end without hardware: each test starts bitgrid-board-sim (the Verilated board
// behind a pseudo-terminal, built for BITGRID_BOARD_HW) and runs `bitgrid run --backend fpga --port <pty>`.
// A job verifies with the cycle count, busy cycles and DRAM figures of the rtl and systemc backends; a
// machine fault names the cycle, causes and instruction the rtl backend names; bad input is a one-line
// error with a non-zero exit.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "../cli/exe_test.h"
#include "bitgrid/insn.h"
#include "bitgrid/memimage.h"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

using bgtest::Result;
using bgtest::slurp;

// bitgrid-board-sim as a child process; its pty path is the first line of its stdout.
class BoardSim {
 public:
  explicit BoardSim(const std::string& link = "") {
    int fds[2];
    if (pipe(fds) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], 1);
      close(fds[0]);
      close(fds[1]);
      if (link.empty())
        execl(BITGRID_BOARD_SIM, BITGRID_BOARD_SIM, static_cast<char*>(nullptr));
      else
        execl(BITGRID_BOARD_SIM, BITGRID_BOARD_SIM, "--link", link.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fds[1]);
    FILE* f = fdopen(fds[0], "r");
    char line[512] = {};
    if (f && fgets(line, sizeof line, f)) port_ = line;
    if (f) fclose(f);
    while (!port_.empty() && (port_.back() == '\n' || port_.back() == '\r')) port_.pop_back();
  }
  ~BoardSim() { stop(); }
  // SIGTERM; returns the exit status (0 = clean).
  int stop() {
    if (pid_ <= 0) return -1;
    kill(pid_, SIGTERM);
    int st = 0;
    waitpid(pid_, &st, 0);
    pid_ = -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
  const std::string& port() const { return port_; }
  // CPU time (user + system, clock ticks) the process has used so far.
  long cpu_ticks() const {
    std::ifstream f("/proc/" + std::to_string(pid_) + "/stat");
    std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    std::istringstream rest(all.substr(all.rfind(')') + 2));  // fields from 3 (state) on
    std::string x;
    long ut = 0, st = 0;
    for (int i = 3; i <= 13; ++i) rest >> x;
    rest >> ut >> st;
    return ut + st;
  }

 private:
  pid_t pid_ = -1;
  std::string port_;
};

class Fpga : public bgtest::ExeTest {
 protected:
  std::unique_ptr<BoardSim> board;

  void SetUp() override {
    make_dir("bitgrid_fpga_");
    board = std::make_unique<BoardSim>();
    ASSERT_EQ(board->port().rfind("/dev/", 0), 0u) << "bitgrid-board-sim printed no pty path";
  }
  void TearDown() override {
    if (board) {
      EXPECT_EQ(board->stop(), 0) << "bitgrid-board-sim did not exit cleanly on SIGTERM";
    }
    bgtest::ExeTest::TearDown();
  }
  std::string fpga() const { return " --backend fpga --port " + board->port(); }
  // A small Hamming top-k job on the board's config: 300 database codes of 128 bits, 4 queries, top-2.
  fs::path config(const std::string& extra = "") {
    return write("cfg.yaml", std::string("hardware: ") + BITGRID_BOARD_HW +
                                 "\nworkload:\n  type: hamming_topk\n  k: 2\n  bits: 128\n  seed: 3\n"
                                 "  database: {random_codes: 300}\n  queries: {random_codes: 4}\n" +
                                 extra);
  }
  json report(const std::string& args, const std::string& name) {
    const fs::path out = dir / name;
    const Result r = run(args + " --out " + out.string() + " --quiet");
    EXPECT_EQ(r.rc, 0) << args << ": " << r.err;
    if (r.rc != 0) return json::object();
    std::ifstream f(out / "report.json");
    return json::parse(f);
  }
};

// The job verifies on the board, with the cycle count, the units' busy cycles and instructions and the
// DRAM bytes the rtl and systemc backends report; a second job on the same board (fresh state) too.
TEST_F(Fpga, HammingTopkMatchesRtlAndSystemc) {
  const std::string cfg = config().string();
  const json f = report("run " + cfg + fpga(), "o_fpga");
  const json r = report("run " + cfg + " --backend rtl", "o_rtl");
  const json s = report("run " + cfg + " --backend systemc", "o_systemc");
  ASSERT_TRUE(f.contains("cycles") && r.contains("cycles") && s.contains("cycles"));
  EXPECT_EQ(f["verified"], true);
  EXPECT_EQ(f["backend"], "fpga");
  EXPECT_EQ(f["cycles"], r["cycles"]);
  EXPECT_EQ(f["cycles"], s["cycles"]);
  EXPECT_EQ(f["units"], r["units"]);
  EXPECT_EQ(f["dram_bytes"], r["dram_bytes"]);
  std::printf("cycles: fpga %s, rtl %s, systemc %s\n", f["cycles"].dump().c_str(), r["cycles"].dump().c_str(),
              s["cycles"].dump().c_str());
  // Another job (other data, another k) on the same board.
  const std::string cfg2 = config().string();
  const std::string set = " --set workload.seed=8 --set workload.k=2";
  const json f2 = report("run " + cfg2 + set + fpga(), "o_fpga2");
  const json s2 = report("run " + cfg2 + set + " --backend systemc", "o_systemc2");
  EXPECT_EQ(f2["verified"], true);
  EXPECT_EQ(f2["cycles"], s2["cycles"]);
}

// The demo scaled to the board (configs/demo_up5k.yaml, its hardware the board's): verified on the board
// with the systemc backend's cycles, and the report turns them into seconds at the configured Fmax.
TEST_F(Fpga, DemoUp5kRunsOnTheBoard) {
  const std::string cfg = BITGRID_DEMO_UP5K;
  const json f = report("run " + cfg + fpga(), "o_demo_fpga");
  const json s = report("run " + cfg + " --backend systemc", "o_demo_systemc");
  ASSERT_TRUE(f.contains("cycles") && s.contains("cycles") && f.contains("fpga"));
  EXPECT_EQ(f["verified"], true);
  EXPECT_EQ(f["cycles"], s["cycles"]);
  EXPECT_EQ(f["units"], s["units"]);
  const double fmax = f["fpga"]["fmax_mhz"].get<double>();
  EXPECT_GT(fmax, 0.0);
  EXPECT_NEAR(f["fpga"]["seconds"].get<double>(), f["cycles"].get<double>() / (fmax * 1e6), 1e-12);
}

// A machine fault: the board stops in the cycle the rtl backend does, with its causes, and the host names
// the same instruction. Two faults: a load into rbuf (bad_buffer, any config) and, on a machine without
// the MAC array (up5k: has_bitmac 0), a gemm (unknown_opcode).
TEST_F(Fpga, MachineFaultMatchesRtl) {
  const fs::path c = dir / "c";
  ASSERT_EQ(run("compile " + config().string() + " --out " + c.string()).rc, 0);
  const bitgrid::Program good = bitgrid::load_program((c / "program.bgp").string());
  std::vector<std::pair<size_t, bitgrid::Insn>> faults = {{1, bitgrid::make_load(bitgrid::isa::Buf::kRbuf, 0, 8, 0)}};
  if (std::string(BITGRID_BOARD_HW).find("up5k") != std::string::npos) {
    bitgrid::isa::GemmInsn g;
    g.m_rows = 1;
    g.group_pairs = 1;
    g.n_groups = 1;
    faults.push_back({2, bitgrid::encode(g)});
  }
  for (const auto& [at, insn] : faults) {
    bitgrid::Program p = good;
    p.insns.insert(p.insns.begin() + static_cast<long>(at), insn);
    bitgrid::save_program((dir / "bad.bgp").string(), p);
    const fs::path y = write("bad.yaml", std::string("hardware: ") + BITGRID_BOARD_HW +
                                             "\nworkload: {type: program, program: bad.bgp, memory: c/memory.bgm, "
                                             "check: false}\n");
    expect_error("run " + y.string() + fpga(), "machine fault in cycle", 4);
    const std::string ef = slurp(dir / "stderr");
    expect_error("run " + y.string() + " --backend rtl", "machine fault in cycle", 4);
    const std::string er = slurp(dir / "stderr");
    // "error: fpga: machine fault in cycle N: ..." vs "error: rtl: machine fault in cycle N: ..."
    ASSERT_EQ(ef.rfind("error: fpga: ", 0), 0u) << ef;
    ASSERT_EQ(er.rfind("error: rtl: ", 0), 0u) << er;
    EXPECT_EQ(ef.substr(13), er.substr(12));
    EXPECT_NE(ef.find("at instruction " + std::to_string(at) + " "), std::string::npos) << ef;
    std::printf("fpga: %srtl:  %s", ef.c_str(), er.c_str());
  }
}

TEST_F(Fpga, BadInput) {
  const std::string cfg = config().string();
  expect_error("run " + cfg + " --backend fpga", "--backend fpga needs --port DEVICE");
  expect_error("run " + cfg + " --backend systemc --port " + board->port(), "--port and --baud are for --backend fpga");
  expect_error("run " + cfg + " --backend fpga --port /dev/bitgrid-no-such-port",
               "cannot open the board's port /dev/bitgrid-no-such-port");
  expect_error("run " + cfg + " --backend fpga --port " + (dir / "cfg.yaml").string(), "is not a serial port");
  expect_error("run " + cfg + fpga() + " --baud 12345", "not a supported rate");
  // A job for another hardware config: the board's ConfigHash differs.
  expect_error("run " + cfg + fpga() + " --set hardware.queue_depth=4", "was built for another hardware config");

  // A program larger than the board's program memory, and an image larger than its memory.
  const fs::path c = dir / "c";
  ASSERT_EQ(run("compile " + cfg + " --out " + c.string()).rc, 0);
  bitgrid::Program p = bitgrid::load_program((c / "program.bgp").string());
  bitgrid::Program big = p;
  while (big.insns.size() < 5000) big.insns.insert(big.insns.begin(), bitgrid::make_nop());
  bitgrid::save_program((dir / "big.bgp").string(), big);
  const std::string hw = std::string("hardware: ") + BITGRID_BOARD_HW + "\n";
  const fs::path yp =
      write("big_prog.yaml", hw + "workload: {type: program, program: big.bgp, memory: c/memory.bgm, check: false}\n");
  expect_error("run " + yp.string() + fpga(), "does not fit the program memory of the board");
  std::vector<uint8_t> mem = bitgrid::load_memimage((c / "memory.bgm").string());
  mem.resize(4 << 20, 0);
  bitgrid::save_memimage((dir / "big.bgm").string(), mem);
  const fs::path ym =
      write("big_mem.yaml", hw + "workload: {type: program, program: c/program.bgp, memory: big.bgm, check: false}\n");
  expect_error("run " + ym.string() + fpga(), "does not fit the memory of the board");

  // The board is still in step after all that.
  const json f = report("run " + cfg + fpga(), "o_after");
  EXPECT_EQ(f["verified"], true);
}

// --link makes a symlink to the pty; the board sim uses no CPU while idle (after a job); SIGTERM ends it
// and removes the link.
TEST_F(Fpga, BoardSimLinkIdleAndSigterm) {
  board.reset();
  const fs::path link = dir / "tty";
  board = std::make_unique<BoardSim>(link.string());
  ASSERT_TRUE(fs::is_symlink(link));
  EXPECT_EQ(fs::read_symlink(link).string(), board->port());
  const Result r = run("run --no-html " + config().string() + " --backend fpga --port " + link.string() + " --out " +
                       (dir / "o").string() + " --quiet");
  ASSERT_EQ(r.rc, 0) << r.err;
  usleep(200000);
  const long t0 = board->cpu_ticks();
  usleep(1000000);
  EXPECT_LE(board->cpu_ticks() - t0, 2) << "bitgrid-board-sim burns CPU while idle";
  EXPECT_EQ(board->stop(), 0);
  EXPECT_FALSE(fs::exists(link) || fs::is_symlink(link));
  board.reset();
}

// No board answering on a tty: a pty whose other end nobody serves.
TEST_F(Fpga, SilentBoardTimesOut) {
  board->stop();
  const int m = posix_openpt(O_RDWR | O_NOCTTY);
  ASSERT_GE(m, 0);
  ASSERT_EQ(grantpt(m), 0);
  ASSERT_EQ(unlockpt(m), 0);
  const std::string pty = ptsname(m);
  expect_error("run " + config().string() + " --backend fpga --port " + pty,
               "board on " + pty + " did not answer 'I' within 2 s");
  close(m);
  board.reset();
}

}  // namespace
