#pragma once
// An independent, direct transcription of the timing rules R1-R9 of docs/ARCHITECTURE.md §4, used by the
// RTL timing tests to compute expected cycle counts. It shares nothing with the RTL or its harness except
// the DramModel (which the rules name as the DRAM timing). Timing only: no data is moved.
#include <algorithm>
#include <array>
#include <cstdint>
#include <deque>
#include <stdexcept>
#include <string>
#include <vector>

#include "bitgrid/hwconfig.h"
#include "bitgrid/insn.h"
#include "dram_model.h"

namespace bgtest {

struct RuleRecord {
  size_t index = 0;
  int unit = 0;
  uint64_t accept = 0, issue = 0, complete = 0;
};

struct RuleResult {
  uint64_t cycles = 0;
  std::vector<RuleRecord> recs;  // in issue order (ties: load, compute, store)
  std::array<uint64_t, 3> busy{}, insns{};
  bitgrid::DramModel::Stats dram;
};

// R9
inline uint64_t hamtopk_cycles(const bitgrid::HwConfig& hw, const bitgrid::Insn& in) {
  const bitgrid::HamTopk h = bitgrid::decode_hamtopk(in);
  const uint64_t L = static_cast<uint64_t>(hw.ham_lanes), m = static_cast<uint64_t>(hw.lane_words());
  const uint64_t G = (h.n_codes + L - 1) / L, S = (h.code_words + m - 1) / m;
  return (h.init ? 0 : h.k) + G * S + h.k + 3;
}

inline RuleResult rule_timing(const bitgrid::HwConfig& hw, const bitgrid::Program& p, size_t dram_bytes,
                              uint64_t max_cycles = 10000000) {
  using bitgrid::isa::Op;
  const uint64_t BW = static_cast<uint64_t>(hw.dram_bytes_per_cycle);
  const uint64_t Wb = BW / 8, BB = static_cast<uint64_t>(hw.dram_burst_bytes) / BW;
  bitgrid::DramModel dram(static_cast<long>(BW), hw.dram_latency, std::vector<uint8_t>(dram_bytes, 0));
  const std::vector<uint8_t> zeros(BW, 0);

  struct Unit {
    bool active = false;  // an instruction has issued and not yet completed (its c0 < current cycle)
    size_t rec = 0;
    uint64_t c0 = 0;
    bool end_known = false;
    uint64_t end = 0;  // c0 + E
    // DMA
    uint64_t nb = 0, addr = 0, next_burst = 0, nbursts = 0;
    std::vector<uint64_t> burst_last;  // cycle of each requested burst's last beat
  };
  std::array<Unit, 3> unit;
  std::array<std::deque<size_t>, 3> q;
  uint64_t l2c = 0, c2l = 0, c2s = 0, s2c = 0;
  RuleResult r;
  std::vector<uint64_t> accept_cycle(p.insns.size(), 0);
  size_t next = 0;
  uint64_t done_at = UINT64_MAX;
  const uint64_t depth = static_cast<uint64_t>(hw.queue_depth);

  for (uint64_t c = 0;; ++c) {
    if (c == done_at) {
      r.cycles = c;
      r.dram = dram.stats();
      return r;
    }
    if (c > max_cycles) throw std::runtime_error("rule_timing: no finish within max_cycles");
    // busy in c: issued in c0 < c, c <= c0+E
    for (int u = 0; u < 3; ++u)
      if (unit[u].active && (!unit[u].end_known || c <= unit[u].end)) ++r.busy[u];

    // Start-of-cycle state (registers).
    std::array<uint64_t, 3> occ{q[0].size(), q[1].size(), q[2].size()};
    const uint64_t t_l2c = l2c, t_c2l = c2l, t_c2s = c2s, t_s2c = s2c;

    // R1: accept the presented instruction iff its queue's occupancy is below queue_depth.
    bool accept = false;
    int accept_q = 0;
    if (next < p.insns.size()) {
      accept_q = static_cast<int>(p.insns[next].queue());
      accept = occ[accept_q] < depth;
    }

    // R2: issue by idle units (idle = nothing executing in c).
    std::array<bool, 3> issue{};
    for (int u = 0; u < 3; ++u) {
      if (unit[u].active || occ[u] == 0) continue;
      const bitgrid::Insn& h = p.insns[q[u].front()];
      bool ok = true;
      if (u == 0 && h.pop_next() && t_c2l == 0) ok = false;
      if (u == 1 && h.pop_prev() && t_l2c == 0) ok = false;
      if (u == 1 && h.pop_next() && t_s2c == 0) ok = false;
      if (u == 2 && h.pop_prev() && t_c2s == 0) ok = false;
      issue[u] = ok;
    }

    // R6-R8: DRAM requests of cycle c, the store's write beat first, then the load's read burst.
    {
      Unit& s = unit[2];
      if (s.active && s.nb > 0 && c >= s.c0 + 2 && c < s.c0 + 2 + s.nb) {
        const uint64_t b = c - (s.c0 + 2);
        const uint64_t ack = dram.write(c, static_cast<uint32_t>(s.addr + b * BW), zeros.data());
        if (b == s.nb - 1) {
          s.end = ack;
          s.end_known = true;
        }
      }
      Unit& l = unit[0];
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

    // Completions in c: tokens pushed at the end of c, idle from c+1.
    auto push = [&](uint64_t& t) {
      if (++t > static_cast<uint64_t>(hw.token_max)) throw std::runtime_error("rule_timing: token overflow");
    };
    std::array<bool, 3> completes{};
    for (int u = 0; u < 3; ++u) {
      Unit& x = unit[u];
      if (!x.active || !x.end_known || x.end != c) continue;
      completes[u] = true;
      r.recs[x.rec].complete = c;
      x.active = false;
    }
    // Pops (end of c) and pushes net out; apply pops first so a counter at token_max with a pop and a
    // push in one cycle does not overflow.
    for (int u = 0; u < 3; ++u) {
      if (!issue[u]) continue;
      const bitgrid::Insn& h = p.insns[q[u].front()];
      if (u == 0 && h.pop_next()) --c2l;
      if (u == 1 && h.pop_prev()) --l2c;
      if (u == 1 && h.pop_next()) --s2c;
      if (u == 2 && h.pop_prev()) --c2s;
    }
    for (int u = 0; u < 3; ++u) {
      if (!completes[u]) continue;
      const bitgrid::Insn& h = p.insns[r.recs[unit[u].rec].index];
      if (u == 0 && h.push_next()) push(l2c);
      if (u == 1 && h.push_prev()) push(c2l);
      if (u == 1 && h.push_next()) push(c2s);
      if (u == 2 && h.push_prev()) push(s2c);
    }

    // Issue effects.
    for (int u = 0; u < 3; ++u) {
      if (!issue[u]) continue;
      const size_t idx = q[u].front();
      q[u].pop_front();
      const bitgrid::Insn& h = p.insns[idx];
      r.recs.push_back({idx, u, accept_cycle[idx], c, 0});
      ++r.insns[u];
      Unit& x = unit[u];
      x = Unit{};
      x.rec = r.recs.size() - 1;
      x.c0 = c;
      if (h.op() == Op::kFinish) {
        r.recs.back().complete = c;
        done_at = c + 1;  // R4
        continue;
      }
      x.active = true;
      if (h.op() == Op::kLoad || h.op() == Op::kStore) {
        const bool ld = h.op() == Op::kLoad;
        x.nb = h.get(ld ? bitgrid::isa::kLOAD_NWORDS : bitgrid::isa::kSTORE_NWORDS) / Wb;
        x.addr = h.get(ld ? bitgrid::isa::kLOAD_DRAM_ADDR : bitgrid::isa::kSTORE_DRAM_ADDR);
        x.nbursts = (x.nb + BB - 1) / BB;
        if (x.nb == 0) {  // R5
          x.end = c + 1;
          x.end_known = true;
        }
      } else if (h.op() == Op::kHamtopk) {
        x.end = c + hamtopk_cycles(hw, h);
        x.end_known = true;
      } else {  // nop (R5)
        x.end = c + 1;
        x.end_known = true;
      }
    }
    if (accept) {
      q[accept_q].push_back(next);
      accept_cycle[next] = c;
      ++next;
    }
  }
}

}  // namespace bgtest
