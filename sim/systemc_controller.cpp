#include "systemc_controller.h"

#include <fmt/format.h>

#include "bitgrid/error.h"

namespace bitgrid::scsim {

void Controller::configure(const HwConfig& hw, const Program* program, std::array<ExecUnit*, isa::kNumQueues> units,
                           Trace* trace) {
  prog_ = program;
  hw_ = hw;
  units_ = units;
  trace_ = trace;
  depth_ = static_cast<size_t>(hw.queue_depth);
  token_max_ = hw.token_max;
}

void Controller::reset() {
  for (auto& q : queues_) q.reset(depth_);
  tokens_.fill(0);
  next_ = 0;
  present();
  ready_at_ = presented_valid_ ? 0 : kNever;  // R1: instruction 0 is presented in cycle 0
  done_ = false;
  done_cycle_ = last_progress_ = 0;
  fault_ = {};
  log_.clear();
  dispatched_ = token_pushes_ = token_pops_ = 0;
}

void Controller::present() {
  presented_valid_ = next_ < prog_->insns.size();
  if (presented_valid_) presented_ = decode_insn(prog_->insns[next_], static_cast<uint32_t>(next_), hw_);
}

bool Controller::can_dispatch() const {
  return presented_valid_ && queues_[static_cast<size_t>(presented_.queue)].size() < depth_;
}

bool Controller::can_issue(int u) const {
  if (!units_[u]->idle() || queues_[u].size() == 0) return false;
  const DecodedInsn& in = queues_[u].front();
  for (int dir = 0; dir < 2; ++dir)
    if (in.pop[dir] >= 0 && tokens_[in.pop[dir]] == 0) return false;
  return true;
}

void Controller::step(uint64_t t) {
  constexpr int kQ = isa::kNumQueues;
  // --- decisions, on the state at the start of cycle t ---
  const bool dispatch = can_dispatch();
  bool issue[kQ];
  uint32_t faults = 0;
  int64_t fault_insn = -1;
  for (int u = 0; u < kQ; ++u) {
    issue[u] = can_issue(u);
    if (issue[u] && queues_[static_cast<size_t>(u)].front().faults) {  // an illegal head does not issue
      faults |= queues_[static_cast<size_t>(u)].front().faults;
      if (fault_insn < 0) fault_insn = queues_[static_cast<size_t>(u)].front().index;
      issue[u] = false;
    }
  }

  // --- updates at the end of cycle t ---
  bool progress = dispatch;
  std::array<long, isa::kNumTokens> delta{};
  std::array<uint32_t, isa::kNumTokens> pusher{};
  for (int u = 0; u < kQ; ++u) {
    ExecUnit& unit = *units_[static_cast<size_t>(u)];
    if (unit.idle()) continue;
    progress = true;  // busy in c0+1 .. c0+E, and t is one of them
    if (unit.end_cycle() != t) continue;
    const DecodedInsn& in = *unit.current();
    for (int dir = 0; dir < 2; ++dir)
      if (in.push[dir] >= 0) {
        ++delta[static_cast<size_t>(in.push[dir])];
        pusher[static_cast<size_t>(in.push[dir])] = in.index;
        ++token_pushes_;
      }
    if (trace_->on()) trace_->line(t, fmt::format("{} complete #{}", queue_name(u), in.index));
    log_[log_inflight_[static_cast<size_t>(u)]][2] = t;
    unit.retire();
  }
  for (int u = 0; u < kQ; ++u) {
    if (!issue[u]) continue;
    progress = true;
    const DecodedInsn in = queues_[static_cast<size_t>(u)].front();
    queues_[static_cast<size_t>(u)].pop();
    for (int dir = 0; dir < 2; ++dir)
      if (in.pop[dir] >= 0) {
        --delta[static_cast<size_t>(in.pop[dir])];
        ++token_pops_;
      }
    if (trace_->on())
      trace_->line(t, fmt::format("{} issue #{} {}", queue_name(u), in.index, disassemble(prog_->insns[in.index])));
    log_inflight_[static_cast<size_t>(u)] = log_.size();
    log_.push_back({in.index, t, in.op == isa::Op::kFinish ? t : 0});
    if (in.op == isa::Op::kFinish) {  // R4: done from cycle t+1
      units_[static_cast<size_t>(u)]->count_instant_issue();
      done_ = true;
      done_cycle_ = t + 1;
    } else {
      units_[static_cast<size_t>(u)]->issue(in, t);
    }
  }
  if (dispatch) {
    queues_[static_cast<size_t>(presented_.queue)].push(presented_);
    if (trace_->on())
      trace_->line(t, fmt::format("dispatch #{} to the {} queue", presented_.index, queue_name(presented_.queue)));
    ++next_;
    ++dispatched_;
    present();
  }
  for (int c = 0; c < isa::kNumTokens; ++c) {
    tokens_[static_cast<size_t>(c)] += delta[static_cast<size_t>(c)];  // pushes and pops of one cycle net out (R3)
    if (tokens_[static_cast<size_t>(c)] > token_max_) {
      faults |= 1u << static_cast<int>(isa::Fault::kTokenOverflow);
      if (fault_insn < 0) fault_insn = pusher[static_cast<size_t>(c)];
    }
  }
  if (counters_) {  // the state the next cycle starts with
    for (int u = 0; u < kQ; ++u)
      counters_->set(t + 1, timeline::queue_counter(u), static_cast<int64_t>(queues_[static_cast<size_t>(u)].size()));
    for (int c = 0; c < isa::kNumTokens; ++c)
      counters_->set(t + 1, timeline::token_counter(c), tokens_[static_cast<size_t>(c)]);
  }
  if (faults) {  // the machine stops: error_o is 1 from cycle t+1 on
    fault_.causes = faults;
    fault_.insn = fault_insn;
    fault_.cycle = t;
    fault_.timed = true;
    if (trace_->on()) trace_->line(t, "fault: " + fault_names(faults));
  }
  if (progress) last_progress_ = t;
  bool ready = can_dispatch();
  for (int u = 0; u < kQ && !ready; ++u) ready = can_issue(u);
  ready_at_ = ready && !done_ && !faults ? t + 1 : kNever;
}

std::string Controller::describe_stall() const {
  std::string s;
  for (int u = 0; u < isa::kNumQueues; ++u) {
    if (queues_[static_cast<size_t>(u)].size() == 0) continue;
    const DecodedInsn& in = queues_[static_cast<size_t>(u)].front();
    s += fmt::format("; {} queue ({} queued): head instruction {} ({})", queue_name(u),
                     queues_[static_cast<size_t>(u)].size(), in.index, disassemble(prog_->insns[in.index]));
    bool waits = false;
    for (int dir = 0; dir < 2; ++dir)
      if (in.pop[dir] >= 0 && tokens_[static_cast<size_t>(in.pop[dir])] == 0) {
        s += fmt::format(" waits for a token on counter {} (0)", isa::kTokenNames[static_cast<size_t>(in.pop[dir])]);
        waits = true;
      }
    if (!waits) s += units_[static_cast<size_t>(u)]->idle() ? " is ready" : " waits for its unit";
  }
  if (presented_valid_) {
    const DecodedInsn& in = presented_;
    s += fmt::format("; dispatcher: instruction {} ({}) waits for room in the full {} queue (queue_depth {})", in.index,
                     disassemble(prog_->insns[in.index]), queue_name(in.queue), depth_);
  } else if (drained()) {
    s += "; every instruction has issued but none was a finish";
  }
  s += "; token counters";
  for (int c = 0; c < isa::kNumTokens; ++c)
    s += fmt::format(" {}={}", isa::kTokenNames[static_cast<size_t>(c)], tokens_[static_cast<size_t>(c)]);
  return s;
}

std::vector<ActionCount> Controller::counters() const {
  return {{"insns_dispatched", dispatched_}, {"token_pushes", token_pushes_}, {"token_pops", token_pops_}};
}

}  // namespace bitgrid::scsim
