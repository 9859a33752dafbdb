#include "systemc_top.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>

#include "bitgrid/checker.h"
#include "bitgrid/error.h"
#include "bitgrid/progress.h"

namespace bitgrid::scsim {

const sc_core::sc_time& ScTop::clock_period() {
  static const sc_core::sc_time period(1, sc_core::SC_NS);
  return period;
}

ScTop::ScTop(sc_core::sc_module_name name)
    : sc_core::sc_module(name),
      controller_("controller"),
      load_("load_unit"),
      compute_("compute_unit"),
      store_("store_unit") {}

ScTop& ScTop::instance() {
  static ScTop* top = [] {
    auto* t = new ScTop("bitgrid");
    sc_core::sc_start(sc_core::SC_ZERO_TIME);  // end of elaboration
    return t;
  }();
  return *top;
}

SimResult ScTop::run_job(const HwConfig& hw, const Program& program, std::vector<uint8_t> memory,
                         const SimOptions& opt) {
  const auto wall0 = std::chrono::steady_clock::now();
  hw.validate("hardware");
  hw_ = hw;
  opt_ = opt;
  if (program.insns.empty()) throw Error("systemc: the program is empty");
  if (program.insns.size() > 0xFFFFFFFFull) throw Error("systemc: more than 2^32-1 instructions");
  // An unchecked program (bitgrid-sim --no-check) still may not make the model touch memory outside its
  // buffers or its DRAM image: legality beyond the issue faults is checked before the job starts.
  if (!opt.program_checked)
    for (size_t i = 0; i < program.insns.size(); ++i)
      if (!issue_faults(program.insns[i], hw)) {
        const std::string why = check_insn(program.insns[i], hw, memory.size());
        if (!why.empty())
          throw Error(fmt::format("systemc: program instruction {} ({}): {}", i, disassemble(program.insns[i]), why));
      }
  trace_.open(opt.trace_path);
  bufs_.configure(hw);
  dram_.reset(hw, std::move(memory), &trace_);
  load_.configure(hw, &dram_, &bufs_, &trace_);
  compute_.configure(hw, &bufs_, &trace_);
  store_.configure(hw, &dram_, &bufs_, &trace_);
  std::array<ExecUnit*, isa::kNumQueues> units{};
  units[static_cast<size_t>(isa::Queue::kLoad)] = &load_;
  units[static_cast<size_t>(isa::Queue::kCompute)] = &compute_;
  units[static_cast<size_t>(isa::Queue::kStore)] = &store_;
  controller_.configure(hw, &program, units, &trace_);
  CounterRecorder counters;
  std::vector<DramRequest> dram_log;
  controller_.record_counters(opt.timeline ? &counters : nullptr);
  dram_.model().log_requests(opt.timeline ? &dram_log : nullptr);
  for (Unit* u : std::initializer_list<Unit*>{&controller_, &load_, &compute_, &store_}) u->reset();
  // The scheduler runs on the caller's stack and advances SystemC time with sc_start() (sync_time), so
  // no SystemC coroutine is involved: errors are ordinary exceptions, and the sanitizer build can follow
  // the stack.
  try {
    simulate();
  } catch (...) {
    trace_.close();
    controller_.record_counters(nullptr);
    dram_.model().log_requests(nullptr);
    throw;
  }
  trace_.close();
  controller_.record_counters(nullptr);
  dram_.model().log_requests(nullptr);

  SimResult r;
  r.backend = "systemc";
  r.cycles = cycles_;
  r.units[static_cast<int>(isa::Queue::kLoad)] = load_.stats();
  r.units[static_cast<int>(isa::Queue::kCompute)] = compute_.stats();
  r.units[static_cast<int>(isa::Queue::kStore)] = store_.stats();
  r.dram = dram_.model().stats();
  r.profile = dram_.model().profile();
  r.memory = std::move(dram_.model().memory());
  r.insn_log = controller_.insn_log();
  r.fault = controller_.fault();
  r.counter_log = std::move(counters.log());
  r.dram_log = std::move(dram_log);
  r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  return r;
}

std::vector<ActionCount> ScTop::counters() const {
  std::vector<ActionCount> all;
  const std::pair<const char*, const Unit*> units[] = {
      {"controller", &controller_}, {"load_unit", &load_}, {"compute_unit", &compute_}, {"store_unit", &store_}};
  for (const auto& [name, u] : units)
    for (const ActionCount& c : u->counters()) all.push_back({std::string(name) + "." + c.name, c.value});
  // Buffer words: the DMA units' (counted by the buffers) plus the engines' (their action counts).
  const std::vector<ActionCount> engine_counts = compute_.counters();
  for (int b = 0; b < isa::kNumBufs; ++b) {
    const std::string name = isa::kBufNames[static_cast<size_t>(b)];
    uint64_t reads = bufs_.read_words(b), writes = bufs_.write_words(b);
    for (const ActionCount& c : engine_counts) {
      if (c.name == sram_key(static_cast<isa::Buf>(b), false)) reads += c.value;
      if (c.name == sram_key(static_cast<isa::Buf>(b), true)) writes += c.value;
    }
    all.push_back({name + ".read_words", reads});
    all.push_back({name + ".write_words", writes});
  }
  return all;
}

void ScTop::sync_time(uint64_t cycle, bool force) {
  if (cycle > synced_cycle_ && (force || cycle - synced_cycle_ >= quantum_)) {
    sc_core::sc_start(clock_period() * static_cast<double>(cycle - synced_cycle_));
    synced_cycle_ = cycle;
  }
}

void ScTop::simulate() {
  job_start_ = sc_core::sc_time_stamp();
  synced_cycle_ = 0;
  cycles_ = 0;
  std::unique_ptr<Progress> bar;
  if (opt_.progress)
    bar = std::make_unique<Progress>("systemc", static_cast<double>(opt_.expect_cycles), false, true, " cycles");
  uint64_t events = 0;
  for (;;) {
    // The next cycle in which any block has work. In the cycles skipped, no block changes state another
    // block observes: queue, token and idle state change only in controller steps and retirements.
    const uint64_t t = std::min({controller_.next_event(), load_.next_event(), store_.next_event(),
                                 compute_.next_event(), load_.end_cycle(), compute_.end_cycle(), store_.end_cycle()});
    if (t == kNever) {
      // Nothing can ever move again: every unit is idle and no queue head can issue.
      const uint64_t quiet = controller_.last_progress() + 1;
      if (controller_.drained())
        throw Error(
            fmt::format("systemc: the program has no finish: all instructions completed by cycle {} and done "
                        "never rose",
                        quiet - 1));
      const uint64_t fires = quiet + (opt_.stall_cycles ? opt_.stall_cycles - 1 : 0);
      if (opt_.max_cycles && fires >= opt_.max_cycles)
        throw Error(fmt::format("systemc: max_cycles = {} reached without finish (deadlocked since cycle {}{})",
                                opt_.max_cycles, quiet, controller_.describe_stall()));
      throw Error(fmt::format("systemc: deadlock: no instruction issued or executing for {} cycles since cycle {}{}",
                              opt_.stall_cycles, quiet, controller_.describe_stall()));
    }
    if (opt_.max_cycles && t >= opt_.max_cycles)
      throw Error(fmt::format("systemc: max_cycles = {} reached without finish", opt_.max_cycles));
    sync_time(t, false);
    // DRAM order within a cycle (R6): the store's write beat, then the load's read.
    if (store_.next_event() == t) store_.step(t);
    if (load_.next_event() == t) load_.step(t);
    controller_.step(t);
    if (controller_.fault()) break;  // the machine stopped (a fault wins over a finish of the same cycle)
    if (controller_.done()) break;
    if (bar && (++events & 0xFFF) == 0) bar->update(static_cast<double>(t));
  }
  // A fault in cycle t: error_o is 1 from t+1 on, where the run ends.
  cycles_ = controller_.fault() ? controller_.fault().cycle + 1 : controller_.done_cycle();
  // The job's cycles are 0 .. cycles-1: DRAM requests and busy cycles up to the finish cycle count.
  const uint64_t last = cycles_ - 1;
  dram_.flush_writes(last);
  load_.truncate(last);
  compute_.truncate(last);
  store_.truncate(last);
  sync_time(cycles_, true);
}

}  // namespace bitgrid::scsim
