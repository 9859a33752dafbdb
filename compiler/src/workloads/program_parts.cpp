// One program out of several lowerings, joined by barriers (bitgrid/workloads/program_parts.h).
#include "bitgrid/workloads/program_parts.h"

#include <array>

#include "bitgrid/error.h"
#include "bitgrid/insn.h"

namespace bitgrid {

namespace {

// Net tokens each counter holds after the program (pushes minus pops, in program order per counter).
std::array<long, isa::kNumTokens> net_tokens(const Program& p) {
  std::array<long, isa::kNumTokens> t{};
  for (const Insn& in : p.insns) {
    const int q = static_cast<int>(in.queue());
    const bool pop[2] = {in.pop_prev(), in.pop_next()}, push[2] = {in.push_prev(), in.push_next()};
    for (int dir = 0; dir < 2; ++dir) {
      if (pop[dir] && isa::kPopToken[q][dir] >= 0) --t[static_cast<size_t>(isa::kPopToken[q][dir])];
      if (push[dir] && isa::kPushToken[q][dir] >= 0) ++t[static_cast<size_t>(isa::kPushToken[q][dir])];
    }
  }
  return t;
}

}  // namespace

void append_part(Lowered& all, Lowered&& part, const std::string& section) {
  const size_t base = all.memory.size();
  if (part.memory.size() < base)
    throw Error("program part " + section + ": its memory image (" + std::to_string(part.memory.size()) +
                " bytes) ends below the earlier parts' (" + std::to_string(base) + " bytes)");
  const bool first = all.program.insns.empty();
  if (!first) {
    if (all.program.insns.back().op() != isa::Op::kFinish)
      throw Error("program part before " + section + " does not end with finish");
    all.program.insns.pop_back();
    all.comments.pop_back();
    all.insn_section.pop_back();
    const uint32_t sec = all.insn_section.empty() ? 0 : all.insn_section.back();
    auto emit = [&](const Insn& in, const std::string& why) {
      all.program.insns.push_back(in);
      all.comments.push_back("barrier: " + why);
      all.insn_section.push_back(sec);
    };
    const std::array<long, isa::kNumTokens> t = net_tokens(all.program);
    for (long i = 0; i < t[0]; ++i) emit(make_nop(Deps{true, false, false, false}), "consume a l2c token");
    for (long i = 0; i < t[3]; ++i) emit(make_nop(Deps{false, true, false, false}), "consume a s2c token (a store)");
    for (long i = 0; i < t[2]; ++i)
      emit(make_store(isa::Buf::kObuf, 0, 0, 0, Deps{true, false, false, false}), "consume a c2s token");
    for (long i = 0; i < t[1]; ++i)
      emit(make_load(isa::Buf::kAbuf, 0, 0, 0, Deps{false, true, false, false}), "consume a c2l token");
    emit(make_nop(Deps{false, false, true, false}), "the earlier part is done");
    emit(make_load(isa::Buf::kAbuf, 0, 0, 0, Deps{false, true, false, false}), "the next part's loads follow");
  }
  // memory: the part's bytes from the earlier parts' end (below it, the part saw zeros where they have their data)
  all.memory.resize(part.memory.size());
  std::copy(part.memory.begin() + static_cast<std::ptrdiff_t>(base), part.memory.end(),
            all.memory.begin() + static_cast<std::ptrdiff_t>(base));
  const uint32_t offset = static_cast<uint32_t>(all.sections.size());
  if (!section.empty()) {
    all.sections.push_back(section);
    all.insn_section.insert(all.insn_section.end(), part.program.insns.size(), offset);
  } else {
    all.sections.insert(all.sections.end(), part.sections.begin(), part.sections.end());
    for (size_t i = 0; i < part.program.insns.size(); ++i)
      all.insn_section.push_back(offset + (i < part.insn_section.size() ? part.insn_section[i] : 0));
  }
  all.program.insns.insert(all.program.insns.end(), part.program.insns.begin(), part.program.insns.end());
  part.comments.resize(part.program.insns.size());
  all.comments.insert(all.comments.end(), part.comments.begin(), part.comments.end());
  all.checked = all.checked && part.checked;
  if (!all.layout_json.is_array()) all.layout_json = nlohmann::json::array();
  all.layout_json.push_back({{"part", section}, {"layout", part.layout_json}});
}

}  // namespace bitgrid
