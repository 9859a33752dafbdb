#include "cycle_reference.h"

#include <deque>
#include <string>

#include "bitgrid/error.h"

namespace bitgrid::scsim_test {

namespace {

constexpr uint64_t kNone = ~uint64_t{0};

// token counters: 0 l2c, 1 c2l, 2 c2s, 3 s2c
int counter(int queue, bool pop, bool prev) {
  if (queue == 0) return prev ? -1 : (pop ? 1 : 0);
  if (queue == 1) return prev ? (pop ? 0 : 1) : (pop ? 3 : 2);
  return prev ? (pop ? 2 : 3) : -1;
}

struct UnitState {
  bool busy = false;
  uint64_t c0 = 0, end = kNone;
  size_t idx = 0;
  // load
  uint64_t beats = 0;
  std::vector<uint64_t> req, last;  // per requested burst
  // store
  uint64_t addr = 0;
};

}  // namespace

CycleResult cycle_reference(const HwConfig& hw, const Program& p, uint64_t dram_bytes, uint64_t max_cycles) {
  CycleResult r;
  DramModel dram(hw.dram_bytes_per_cycle, hw.dram_latency, std::vector<uint8_t>(dram_bytes, 0));
  const uint64_t BW = static_cast<uint64_t>(hw.dram_bytes_per_cycle);
  const uint64_t Wb = BW / 8;
  const uint64_t BB = static_cast<uint64_t>(hw.dram_burst_bytes) / BW;
  const uint64_t MO = static_cast<uint64_t>(hw.dma_max_outstanding);
  const uint64_t L = static_cast<uint64_t>(hw.ham_lanes), m = static_cast<uint64_t>(hw.ham_bits_per_lane) / 64;
  const size_t depth = static_cast<size_t>(hw.queue_depth);
  std::array<std::deque<size_t>, 3> q;
  std::array<long, 4> tok{};
  std::array<UnitState, 3> u;
  std::vector<uint8_t> zeros(static_cast<size_t>(BW), 0);
  size_t next = 0;

  for (uint64_t t = 0;; ++t) {
    if (t >= max_cycles) throw Error("cycle_reference: max_cycles");
    // busy cycles: c0+1 .. c0+E
    for (int k = 0; k < 3; ++k)
      if (u[k].busy && t > u[k].c0) ++r.units[k].busy_cycles;

    // R6/R8: the store's write beat of this cycle first ...
    UnitState& st = u[2];
    if (st.busy && st.beats > 0 && t >= st.c0 + 2 && t < st.c0 + 2 + st.beats) {
      const uint64_t b = t - (st.c0 + 2);
      const uint64_t ack = dram.write(t, static_cast<uint32_t>(st.addr + b * BW), zeros.data());
      if (b + 1 == st.beats) st.end = ack;
    }
    // ... then R7: the load's read request of this cycle.
    UnitState& ld = u[0];
    if (ld.busy && ld.beats > 0) {
      const uint64_t nbursts = (ld.beats + BB - 1) / BB;
      const uint64_t j = ld.req.size();
      if (j < nbursts) {
        bool request;
        if (j == 0) {
          request = t == ld.c0 + 1;
        } else {
          uint64_t outstanding = 0;
          for (uint64_t i = 0; i < j; ++i)
            if (ld.req[i] <= t && t <= ld.last[i]) ++outstanding;
          request = t > ld.req[j - 1] && outstanding < MO;
        }
        if (request) {
          const uint64_t nb = std::min(BB, ld.beats - j * BB);
          const uint64_t start = dram.read(t, static_cast<uint32_t>(ld.addr + j * BB * BW), static_cast<uint32_t>(nb));
          ld.req.push_back(t);
          ld.last.push_back(start + nb - 1);
          if (j + 1 == nbursts) ld.end = start + nb - 1;
        }
      }
    }

    // Decisions on the state at the start of cycle t.
    const bool dispatch = next < p.insns.size() && q[static_cast<int>(p.insns[next].queue())].size() < depth;
    std::array<bool, 3> issue{};
    for (int k = 0; k < 3; ++k) {
      if (u[k].busy || q[k].empty()) continue;
      const Insn& in = p.insns[q[k].front()];
      bool ok = true;
      for (bool prev : {true, false}) {
        const int c = counter(k, true, prev);
        if ((prev ? in.pop_prev() : in.pop_next()) && c >= 0 && tok[static_cast<size_t>(c)] == 0) ok = false;
      }
      issue[k] = ok;
    }

    // End of cycle t.
    std::array<long, 4> delta{};
    for (int k = 0; k < 3; ++k) {
      if (!u[k].busy || u[k].end != t) continue;
      const Insn& in = p.insns[u[k].idx];
      for (bool prev : {true, false}) {
        const int c = counter(k, false, prev);
        if ((prev ? in.push_prev() : in.push_next()) && c >= 0) ++delta[static_cast<size_t>(c)];
      }
      u[k] = UnitState{};
    }
    for (int k = 0; k < 3; ++k) {
      if (!issue[k]) continue;
      const size_t idx = q[k].front();
      q[k].pop_front();
      const Insn& in = p.insns[idx];
      for (bool prev : {true, false}) {
        const int c = counter(k, true, prev);
        if ((prev ? in.pop_prev() : in.pop_next()) && c >= 0) --delta[static_cast<size_t>(c)];
      }
      ++r.units[k].insns;
      if (in.op() == isa::Op::kFinish) {  // done from t+1; the other units' issues of cycle t still count
        r.cycles = t + 1;
        continue;
      }
      UnitState s;
      s.busy = true;
      s.c0 = t;
      s.idx = idx;
      switch (in.op()) {
        case isa::Op::kLoad:
          s.beats = in.get(isa::kLOAD_NWORDS) / Wb;
          s.addr = in.get(isa::kLOAD_DRAM_ADDR);
          if (s.beats == 0) s.end = t + 1;
          break;
        case isa::Op::kStore:
          s.beats = in.get(isa::kSTORE_NWORDS) / Wb;
          s.addr = in.get(isa::kSTORE_DRAM_ADDR);
          if (s.beats == 0) s.end = t + 1;
          break;
        case isa::Op::kHamtopk: {
          const uint64_t init = in.get(isa::kHAMTOPK_INIT), kk = in.get(isa::kHAMTOPK_K);
          const uint64_t cw = in.get(isa::kHAMTOPK_CODE_WORDS), n = in.get(isa::kHAMTOPK_N_CODES);
          const uint64_t G = (n + L - 1) / L, S = (cw + m - 1) / m;
          s.end = t + (init ? 0 : kk) + G * S + kk + 3;
          break;
        }
        default:  // nop
          s.end = t + 1;
          break;
      }
      u[k] = s;
    }
    if (r.cycles) {
      r.dram = dram.stats();
      return r;
    }
    if (dispatch) {
      q[static_cast<int>(p.insns[next].queue())].push_back(next);
      ++next;
    }
    for (int c = 0; c < 4; ++c) {
      tok[c] += delta[c];
      if (tok[c] > hw.token_max) throw Error("cycle_reference: token overflow on counter " + std::to_string(c));
    }
  }
}

}  // namespace bitgrid::scsim_test
