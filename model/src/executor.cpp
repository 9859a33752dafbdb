#include "bitgrid/executor.h"

#include <cstring>

#include "bitgrid/error.h"

namespace bitgrid {

ActionCounts count_actions(const Program& p, const HwConfig& hw) {
  ActionCounts a;
  for (int b = 0; b < isa::kNumBufs; ++b) {
    a.count[sram_key(static_cast<isa::Buf>(b), false)] = 0;
    a.count[sram_key(static_cast<isa::Buf>(b), true)] = 0;
  }
  a.count["dram.read_bytes"] = 0;
  a.count["dram.write_bytes"] = 0;
  for (const auto& e : engines()) {
    for (int i = 0; i < e->def().num_actions; ++i) a.count[std::string(e->name()) + "." + e->def().actions[i].name] = 0;
    a.useful[e->name()] = 0;
  }
  const uint64_t wb = static_cast<uint64_t>(hw.beat_words());
  for (const auto& in : p.insns) {
    if (!in.def()) continue;
    ++a.insns[static_cast<size_t>(in.queue())];
    if (in.op() == isa::Op::kLoad || in.op() == isa::Op::kStore) {
      const auto x = decode<isa::LoadInsn>(in);  // load and store share their fields
      const uint64_t nw = x.nwords / wb * wb;
      const bool ld = in.op() == isa::Op::kLoad;
      a.count[ld ? "dram.read_bytes" : "dram.write_bytes"] += nw * 8;
      if (nw && x.buf < static_cast<uint64_t>(isa::kNumBufs)) a.count[sram_key(static_cast<isa::Buf>(x.buf), ld)] += nw;
    } else if (const Engine* e = engine_of(in)) {
      e->count(in, hw, a);
    }
  }
  return a;
}

ExecResult execute_program(const Program& p, const HwConfig& hw, std::vector<uint8_t> dram) {
  ExecResult r;
  Scratchpads spm(hw);
  std::vector<SpmWrite> writes;
  try {
    walk_queues(p, hw, [&](size_t idx) {
      const Insn& in = p.insns[idx];
      if (const uint32_t f = issue_faults(in, hw)) {
        r.fault.causes = f;
        r.fault.insn = static_cast<int64_t>(idx);
        return false;
      }
      // An unchecked program may hold anything: the checker's rule keeps the executor inside its memory.
      if (const std::string why = check_insn(in, hw, dram.size()); !why.empty())
        throw Error("program instruction " + std::to_string(idx) + " (" + disassemble(in) + "): " + why);
      if (in.op() == isa::Op::kLoad || in.op() == isa::Op::kStore) {
        const auto x = decode<isa::LoadInsn>(in);
        const uint64_t nw = x.nwords;
        if (nw == 0) return true;
        const auto b = static_cast<isa::Buf>(x.buf);
        if (in.op() == isa::Op::kLoad)
          std::memcpy(spm.data(b, x.spm_addr), dram.data() + x.dram_addr, nw * 8);
        else
          std::memcpy(dram.data() + x.dram_addr, spm.data(b, x.spm_addr), nw * 8);
      } else if (const Engine* e = engine_of(in)) {
        writes.clear();
        e->execute(in, hw, spm, writes);
        for (const SpmWrite& w : writes) std::copy(w.words.begin(), w.words.end(), spm.data(w.buf, w.addr));
      }
      return true;
    });
  } catch (const TokenOverflow& t) {
    r.fault.causes = 1u << static_cast<int>(isa::Fault::kTokenOverflow);
    r.fault.insn = static_cast<int64_t>(t.insn());
  }
  r.memory = std::move(dram);
  return r;
}

std::vector<uint8_t> execute(const Program& p, const HwConfig& hw, std::vector<uint8_t> dram) {
  ExecResult r = execute_program(p, hw, std::move(dram));
  if (r.fault) throw Error("reference: " + r.fault.describe(p));
  return std::move(r.memory);
}

}  // namespace bitgrid
