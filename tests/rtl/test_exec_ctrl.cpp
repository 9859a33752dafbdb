// rtl/bg_exec_ctrl.sv against rule R2 of docs/ARCHITECTURE.md: an instruction issued in cycle c (issue_i
// while idle_o) with execution time E keeps the unit busy in c+1 .. c+E, complete_o is high exactly in
// c+E (the cycle the unit signals last_i), and the unit is idle again, and may issue, from c+E+1. last_i
// outside a running instruction is ignored. Issuing while busy is illegal: ignored, and the assertion fires.
#include <gtest/gtest.h>

#include <optional>
#include <random>

#include "Vdut.h"
#include "rtl_test_util.h"

namespace {

using namespace bgtest;

class ExecCtrlTest : public ::testing::Test {
 protected:
  Clocked<Vdut> sim;
  std::mt19937_64 rng{31};
  // The running instruction: issue cycle and E.
  std::optional<std::pair<uint64_t, unsigned>> run;
  uint64_t completed = 0, back_to_back = 0, noise = 0;
  std::optional<uint64_t> last_complete;

  bool busy_at(uint64_t t) const { return run && t > run->first && t <= run->first + run->second; }

  // One cycle; `issue` only while idle (the reference decides), `noise`: last_i while nothing is due.
  void step(bool issue, unsigned e, bool last_noise) {
    const uint64_t t = sim.cycle();
    const bool busy = busy_at(t);
    const bool due = busy && t == run->first + run->second;
    sim->issue_i = issue;
    sim->last_i = due || (!busy && last_noise);
    if (!busy && last_noise) ++noise;
    sim.settle();
    ASSERT_EQ(sim->idle_o, !busy) << "idle_o, cycle " << t;
    ASSERT_EQ(sim->busy_o, busy) << "busy_o, cycle " << t;
    ASSERT_EQ(sim->complete_o, due) << "complete_o, cycle " << t;
    if (due) {
      ++completed;
      last_complete = t;
    }
    if (issue && !busy) {
      if (last_complete && *last_complete + 1 == t) ++back_to_back;
      run = std::make_pair(t, e);
    }
    sim.edge();
  }
};

TEST_F(ExecCtrlTest, ResetIdle) {
  sim->issue_i = 0;
  sim->last_i = 0;
  sim.settle();
  EXPECT_TRUE(sim->idle_o);
  EXPECT_FALSE(sim->busy_o);
  EXPECT_FALSE(sim->complete_o);
}

TEST_F(ExecCtrlTest, OneCycleInstructionsBackToBack) {
  // E = 1: issue in c, busy and complete in c+1, the next issue in c+2 (E+1 apart, R2).
  for (int i = 0; i < 20 && !HasFatalFailure(); ++i) {
    const bool idle = !busy_at(sim.cycle());
    step(idle, 1, false);
  }
  EXPECT_EQ(completed, 10u);  // issued in 0, 2, .., 18
  EXPECT_EQ(back_to_back, 9u);
}

TEST_F(ExecCtrlTest, RandomLifeCycles) {
  for (int i = 0; i < 20000 && !HasFatalFailure(); ++i) {
    const bool idle = !busy_at(sim.cycle());
    const bool want = rng() % 3 != 0;  // sometimes idle gaps
    const unsigned e = (rng() % 4 == 0) ? 1 : 1 + static_cast<unsigned>(rng() % 40);
    step(idle && want, e, rng() % 2 == 0);
  }
  EXPECT_GT(completed, 1000u);
  EXPECT_GT(back_to_back, 300u);
  EXPECT_GT(noise, 500u);
}

TEST_F(ExecCtrlTest, IssueWhileBusyIsIgnoredAndAsserted) {
  sim.expect_assertions(true);
  step(false, 1, false);
  step(true, 5, false);  // issue in cycle 1, busy 2..6
  for (int i = 0; i < 3; ++i) {
    sim->issue_i = 1;  // illegal: the unit is busy
    sim->last_i = 0;
    sim.settle();
    ASSERT_FALSE(sim->idle_o);
    sim.edge();
    EXPECT_TRUE(fired_with(sim.take_fired(), "bg_exec_ctrl: issue while an instruction is running"));
  }
  // cycles 5, 6: the running instruction still ends in c+E = 6
  step(false, 1, false);
  step(false, 1, false);
  EXPECT_EQ(completed, 1u);
  step(false, 1, false);
  EXPECT_TRUE(sim.take_fired().empty());
}

}  // namespace
