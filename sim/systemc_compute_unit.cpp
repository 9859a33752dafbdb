#include "systemc_compute_unit.h"

#include <fmt/format.h>

namespace bitgrid::scsim {

void ComputeUnit::configure(const HwConfig& hw, Buffers* bufs, Trace* trace) {
  bufs_ = bufs;
  trace_ = trace;
  for (auto& e : engines_) e->configure(hw);
}

void ComputeUnit::reset() {
  ExecUnit::reset();
  for (auto& e : engines_) e->reset();
  n_nops_ = 0;
}

void ComputeUnit::start(const DecodedInsn& in, uint64_t c0) {
  if (in.engine < 0) {  // nop (R5); finish never reaches the unit, faulty instructions never issue
    ++n_nops_;
    set_end(c0 + 1);
    return;
  }
  set_end(c0 + engines_[static_cast<size_t>(in.engine)]->start(in, c0, *bufs_));
}

void ComputeUnit::complete(const DecodedInsn& in) {
  if (in.engine >= 0) engines_[static_cast<size_t>(in.engine)]->complete(in, *bufs_);
}

std::vector<ActionCount> ComputeUnit::counters() const {
  std::vector<ActionCount> c{{"nops", n_nops_}};
  for (const auto& e : engines_)
    for (const ActionCount& a : e->counters()) c.push_back(a);
  return c;
}

}  // namespace bitgrid::scsim
