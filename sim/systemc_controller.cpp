#include "systemc_controller.h"

#include <fmt/format.h>

#include "bitgrid/error.h"

namespace bitgrid::scsim {

void Controller::configure(const HwConfig& hw, const Program* program, const InsnDecoder* decoder,
                           std::array<ExecUnit*, 3> units, Trace* trace) {
  prog_ = program;
  decoder_ = decoder;
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
  log_.clear();
  dispatched_ = token_pushes_ = token_pops_ = 0;
}

void Controller::present() {
  presented_valid_ = next_ < prog_->insns.size();
  if (presented_valid_) presented_ = decoder_->decode(prog_->insns[next_], static_cast<uint32_t>(next_));
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
  // --- decisions, on the state at the start of cycle t ---
  const bool dispatch = can_dispatch();
  bool issue[3];
  for (int u = 0; u < 3; ++u) issue[u] = can_issue(u);

  // --- updates at the end of cycle t ---
  bool progress = dispatch;
  std::array<long, kNumTokens> delta{};
  std::array<uint32_t, kNumTokens> pusher{};
  for (int u = 0; u < 3; ++u) {
    ExecUnit& unit = *units_[u];
    if (unit.idle()) continue;
    progress = true;  // busy in c0+1 .. c0+E, and t is one of them
    if (unit.end_cycle() != t) continue;
    const DecodedInsn& in = *unit.current();
    for (int dir = 0; dir < 2; ++dir)
      if (in.push[dir] >= 0) {
        ++delta[in.push[dir]];
        pusher[in.push[dir]] = in.index;
        ++token_pushes_;
      }
    if (trace_->on()) trace_->line(t, fmt::format("{} complete #{}", queue_name(u), in.index));
    log_[log_inflight_[u]][2] = t;
    unit.retire();
  }
  for (int u = 0; u < 3; ++u) {
    if (!issue[u]) continue;
    progress = true;
    const DecodedInsn in = queues_[u].front();
    queues_[u].pop();
    for (int dir = 0; dir < 2; ++dir)
      if (in.pop[dir] >= 0) {
        --delta[in.pop[dir]];
        ++token_pops_;
      }
    if (trace_->on())
      trace_->line(t, fmt::format("{} issue #{} {}", queue_name(u), in.index, disassemble(prog_->insns[in.index])));
    log_inflight_[u] = log_.size();
    log_.push_back({in.index, t, in.op == isa::Op::kFinish ? t : 0});
    if (in.op == isa::Op::kFinish) {  // R4: done from cycle t+1
      units_[u]->count_instant_issue();
      done_ = true;
      done_cycle_ = t + 1;
    } else {
      units_[u]->issue(in, t);
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
  for (int c = 0; c < kNumTokens; ++c) {
    tokens_[c] += delta[c];  // pushes and pops of one cycle net out (R3)
    if (tokens_[c] > token_max_)
      throw Error(fmt::format("cycle {}: instruction {} ({}) pushes token counter {} above token_max = {}", t,
                              pusher[c], disassemble(prog_->insns[pusher[c]]), token_name(c), token_max_));
  }
  if (progress) last_progress_ = t;
  bool ready = can_dispatch();
  for (int u = 0; u < 3 && !ready; ++u) ready = can_issue(u);
  ready_at_ = ready && !done_ ? t + 1 : kNever;
}

std::string Controller::describe_stall() const {
  std::string s;
  for (int u = 0; u < 3; ++u) {
    if (queues_[u].size() == 0) continue;
    const DecodedInsn& in = queues_[u].front();
    s += fmt::format("; {} queue ({} queued): head instruction {} ({})", queue_name(u), queues_[u].size(), in.index,
                     disassemble(prog_->insns[in.index]));
    bool waits = false;
    for (int dir = 0; dir < 2; ++dir)
      if (in.pop[dir] >= 0 && tokens_[in.pop[dir]] == 0) {
        s += fmt::format(" waits for a token on counter {} (0)", token_name(in.pop[dir]));
        waits = true;
      }
    if (!waits) s += units_[u]->idle() ? " is ready" : " waits for its unit";
  }
  if (presented_valid_) {
    const DecodedInsn& in = presented_;
    s += fmt::format("; dispatcher: instruction {} ({}) waits for room in the full {} queue (queue_depth {})", in.index,
                     disassemble(prog_->insns[in.index]), queue_name(in.queue), depth_);
  } else if (queues_[0].size() + queues_[1].size() + queues_[2].size() == 0) {
    s += "; every instruction has issued but none was a finish";
  }
  s += fmt::format("; token counters l2c={} c2l={} c2s={} s2c={}", tokens_[kL2C], tokens_[kC2L], tokens_[kC2S],
                   tokens_[kS2C]);
  return s;
}

std::vector<ActionCount> Controller::counters() const {
  return {{"insns_dispatched", dispatched_}, {"token_pushes", token_pushes_}, {"token_pops", token_pops_}};
}

}  // namespace bitgrid::scsim
