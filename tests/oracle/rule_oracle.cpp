#include "rule_oracle.h"

#include <algorithm>
#include <deque>
#include <stdexcept>

namespace bgtest {

using bitgrid::Insn;
namespace isa = bitgrid::isa;

OracleResult rule_oracle(const bitgrid::HwConfig& hw, const bitgrid::Program& p, uint64_t dram_bytes,
                         uint64_t max_cycles) {
  constexpr int kQ = isa::kNumQueues;
  const int LD = static_cast<int>(isa::Queue::kLoad), ST = static_cast<int>(isa::Queue::kStore);
  const uint64_t BW = static_cast<uint64_t>(hw.dram_bytes_per_cycle);
  const uint64_t Wb = BW / 8, BB = static_cast<uint64_t>(hw.dram_burst_bytes) / BW;
  bitgrid::DramModel dram(static_cast<long>(BW), hw.dram_latency, std::vector<uint8_t>(dram_bytes, 0));
  const std::vector<uint8_t> zeros(BW, 0);

  struct Unit {
    bool active = false;  // an instruction has issued and not yet completed (its c0 < current cycle)
    size_t rec = 0;
    uint64_t c0 = 0;
    bool end_known = false;
    uint64_t end = 0;                                        // c0 + E
    uint64_t nb = 0, addr = 0, next_burst = 0, nbursts = 0;  // DMA
    std::vector<uint64_t> burst_last;                        // cycle of each requested burst's last beat
  };
  std::array<Unit, kQ> unit;
  std::array<std::deque<size_t>, kQ> q;
  std::array<uint64_t, isa::kNumTokens> tok{};
  OracleResult r;
  std::vector<uint64_t> accept_cycle(p.insns.size(), 0);
  size_t next = 0;
  uint64_t done_at = UINT64_MAX;
  const uint64_t depth = static_cast<uint64_t>(hw.queue_depth);
  auto pop_of = [](const Insn& in, int u, int dir) {
    return (dir == 0 ? in.pop_prev() : in.pop_next()) ? isa::kPopToken[u][dir] : -1;
  };
  auto push_of = [](const Insn& in, int u, int dir) {
    return (dir == 0 ? in.push_prev() : in.push_next()) ? isa::kPushToken[u][dir] : -1;
  };

  for (uint64_t c = 0;; ++c) {
    if (c == done_at) {
      r.cycles = c;
      r.dram = dram.stats();
      return r;
    }
    if (c > max_cycles) throw std::runtime_error("rule oracle: no finish within max_cycles");
    // busy in c: issued in c0 < c, c <= c0+E
    for (int u = 0; u < kQ; ++u)
      if (unit[u].active && (!unit[u].end_known || c <= unit[u].end)) ++r.units[u].busy_cycles;

    // Start-of-cycle state (registers).
    std::array<uint64_t, kQ> occ{};
    for (int u = 0; u < kQ; ++u) occ[u] = q[u].size();
    const auto tok0 = tok;

    // R1: accept the presented instruction iff its queue's occupancy is below queue_depth.
    bool accept = false;
    int accept_q = 0;
    if (next < p.insns.size()) {
      accept_q = static_cast<int>(p.insns[next].queue());
      accept = occ[accept_q] < depth;
    }

    // R2: issue by idle units (idle = nothing executing in c) whose head's tokens are there; a head that
    // could issue but is illegal does not, and stops the machine.
    std::array<bool, kQ> issue{};
    uint32_t faults = 0;
    for (int u = 0; u < kQ; ++u) {
      if (unit[u].active || occ[u] == 0) continue;
      const Insn& h = p.insns[q[u].front()];
      bool ok = true;
      for (int dir = 0; dir < 2; ++dir)
        if (const int t = pop_of(h, u, dir); t >= 0 && tok0[t] == 0) ok = false;
      if (!ok) continue;
      if (const uint32_t f = bitgrid::issue_faults(h, hw)) {
        faults |= f;
        if (r.fault.insn < 0) r.fault.insn = static_cast<int64_t>(q[u].front());
        continue;
      }
      issue[u] = true;
    }

    // R6-R8: DRAM requests of cycle c, the store's write beat first, then the load's read burst.
    {
      Unit& s = unit[ST];
      if (s.active && s.nb > 0 && c >= s.c0 + 2 && c < s.c0 + 2 + s.nb) {
        const uint64_t b = c - (s.c0 + 2);
        const uint64_t ack = dram.write(c, static_cast<uint32_t>(s.addr + b * BW), zeros.data());
        if (b == s.nb - 1) {
          s.end = ack;
          s.end_known = true;
        }
      }
      Unit& l = unit[LD];
      if (l.active && l.nb > 0 && c >= l.c0 + 1 && l.next_burst < l.nbursts) {
        uint64_t outstanding = 0;
        for (uint64_t last : l.burst_last) outstanding += last >= c ? 1 : 0;
        if (outstanding < static_cast<uint64_t>(hw.dma_max_outstanding)) {
          const uint64_t j = l.next_burst++;
          const uint64_t beats = std::min(BB, l.nb - j * BB);
          const uint64_t start =
              dram.read(c, static_cast<uint32_t>(l.addr + j * BB * BW), static_cast<uint32_t>(beats));
          l.burst_last.push_back(start + beats - 1);
          if (l.next_burst == l.nbursts) {
            l.end = start + beats - 1;
            l.end_known = true;
          }
        }
      }
    }

    // Completions in c push their tokens at the end of c (idle from c+1); pops and pushes net out.
    std::array<long, isa::kNumTokens> delta{};
    std::array<size_t, isa::kNumTokens> pusher{};
    for (int u = 0; u < kQ; ++u) {
      Unit& x = unit[u];
      if (!x.active || !x.end_known || x.end != c) continue;
      r.recs[x.rec].complete = c;
      x.active = false;
      const Insn& h = p.insns[r.recs[x.rec].index];
      for (int dir = 0; dir < 2; ++dir)
        if (const int t = push_of(h, u, dir); t >= 0) {
          ++delta[t];
          pusher[t] = r.recs[x.rec].index;
        }
    }
    for (int u = 0; u < kQ; ++u) {
      if (!issue[u]) continue;
      const Insn& h = p.insns[q[u].front()];
      for (int dir = 0; dir < 2; ++dir)
        if (const int t = pop_of(h, u, dir); t >= 0) --delta[t];
    }
    for (int t = 0; t < isa::kNumTokens; ++t) {
      const long v = static_cast<long>(tok[t]) + delta[t];
      if (v > hw.token_max) {
        faults |= 1u << static_cast<int>(isa::Fault::kTokenOverflow);
        if (r.fault.insn < 0) r.fault.insn = static_cast<int64_t>(pusher[t]);
      }
      tok[t] = static_cast<uint64_t>(v);
    }

    // Issue effects.
    for (int u = 0; u < kQ; ++u) {
      if (!issue[u]) continue;
      const size_t idx = q[u].front();
      q[u].pop_front();
      const Insn& h = p.insns[idx];
      r.recs.push_back({idx, u, accept_cycle[idx], c, 0});
      ++r.units[u].insns;
      Unit& x = unit[u];
      x = Unit{};
      x.rec = r.recs.size() - 1;
      x.c0 = c;
      if (h.op() == isa::Op::kFinish) {  // R4
        r.recs.back().complete = c;
        done_at = c + 1;
        continue;
      }
      x.active = true;
      if (h.op() == isa::Op::kLoad || h.op() == isa::Op::kStore) {  // R5, R7, R8
        const bool ld = h.op() == isa::Op::kLoad;
        x.nb = h.get(ld ? isa::kLOAD_NWORDS : isa::kSTORE_NWORDS) / Wb;
        x.addr = h.get(ld ? isa::kLOAD_DRAM_ADDR : isa::kSTORE_DRAM_ADDR);
        x.nbursts = (x.nb + BB - 1) / BB;
        if (x.nb == 0) {
          x.end = c + 1;
          x.end_known = true;
        }
      } else if (h.op() == isa::Op::kNop) {  // R5
        x.end = c + 1;
        x.end_known = true;
      } else {
        x.end = c + oracle_engine_cycles(hw, h);
        x.end_known = true;
      }
    }
    if (faults) {  // error_o is 1 from c+1 on, where the run ends
      r.fault.causes = faults;
      r.fault.cycle = c;
      r.fault.timed = true;
      r.cycles = c + 1;
      r.dram = dram.stats();
      return r;
    }
    if (accept) {
      q[accept_q].push_back(next);
      accept_cycle[next] = c;
      ++next;
    }
  }
}

}  // namespace bgtest
