// Tests that run the bitgrid executable (BITGRID_EXE, defined by the test target): a folder per test,
// files written into it, a run that captures stdout and stderr, and the check every bad input gets (a
// non-zero exit, one line on stderr starting "error: " and naming the problem, no outputs left behind).
// Used by tests/cli and tests/fpga_host.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace bgtest {

namespace fs = std::filesystem;

struct Result {
  int rc;
  std::string out, err;
};

inline std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

class ExeTest : public ::testing::Test {
 protected:
  fs::path dir;

  // A fresh folder named `prefix` + the test's name + this process's id (two runs of the suite on one machine,
  // e.g. a build's and a clean clone's, must not share it); removed after a test that passed.
  void make_dir(const std::string& prefix) {
    dir = fs::path(::testing::TempDir()) /
          (prefix + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "." +
           std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override {
    if (!dir.empty() && !HasFailure()) {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  }
  fs::path write(const std::string& name, const std::string& text) {
    const fs::path p = dir / name;
    std::ofstream(p) << text;
    return p;
  }
  // `bitgrid ARGS`; `env` (e.g. "PATH=/x") is put before the command.
  Result run(const std::string& args, const std::string& env = "") {
    const std::string cmd = (env.empty() ? "" : "env " + env + " ") + std::string(BITGRID_EXE) + " " + args + " >" +
                            (dir / "stdout").string() + " 2>" + (dir / "stderr").string();
    const int st = std::system(cmd.c_str());
    return {WEXITSTATUS(st), slurp(dir / "stdout"), slurp(dir / "stderr")};
  }
  // `bitgrid ARGS --out DIR/out` expected to fail: non-zero exit (`rc` if >= 0), one line on stderr starting
  // "error: " and containing `needle`, nothing written to the output folder.
  void expect_error(const std::string& args, const std::string& needle, const std::string& env = "", int rc = -1) {
    const fs::path out = dir / "out";
    fs::remove_all(out);
    const Result r = run(args + " --out " + out.string(), env);
    EXPECT_NE(r.rc, 0) << args;
    if (rc >= 0) {
      EXPECT_EQ(r.rc, rc) << args;
    }
    EXPECT_NE(r.err.find(needle), std::string::npos) << "stderr: " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "stderr: " << r.err;
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
    if (fs::exists(out)) {
      EXPECT_TRUE(fs::is_empty(out)) << "half-written outputs left in " << out;
    }
  }
  void expect_error(const std::string& args, const std::string& needle, int rc) { expect_error(args, needle, "", rc); }
};

}  // namespace bgtest
