#include "systemc_unit.h"

#include "bitgrid/checker.h"
#include "bitgrid/error.h"

namespace bitgrid::scsim {

const char* queue_name(int q) { return q >= 0 && q < isa::kNumQueues ? isa::kQueueNames[static_cast<size_t>(q)] : "?"; }

DecodedInsn decode_insn(const Insn& in, uint32_t index, const HwConfig& hw) {
  DecodedInsn d;
  d.raw = in;
  d.index = index;
  d.op = in.op();
  d.queue = static_cast<int8_t>(in.queue());
  const isa::OpDef* def = in.def();
  d.engine = static_cast<int8_t>(def ? def->engine : -1);
  const bool pop[2] = {in.pop_prev(), in.pop_next()}, push[2] = {in.push_prev(), in.push_next()};
  for (int dir = 0; dir < 2; ++dir) {
    if (pop[dir]) d.pop[dir] = isa::kPopToken[d.queue][dir];
    if (push[dir]) d.push[dir] = isa::kPushToken[d.queue][dir];
  }
  d.faults = issue_faults(in, hw);
  return d;
}

void Trace::open(const std::string& path) {
  close();
  if (path.empty()) return;
  f_ = std::fopen(path.c_str(), "w");
  if (!f_) throw Error("cannot write the trace file " + path);
}

void Trace::close() {
  if (f_) std::fclose(f_);
  f_ = nullptr;
}

void Trace::line(uint64_t cycle, const std::string& what) {
  if (f_) std::fprintf(f_, "%llu %s\n", static_cast<unsigned long long>(cycle), what.c_str());
}

}  // namespace bitgrid::scsim
