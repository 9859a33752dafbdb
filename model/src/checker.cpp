#include "bitgrid/checker.h"

#include <algorithm>
#include <array>
#include <deque>
#include <map>
#include <sstream>

namespace bitgrid {

namespace {

constexpr int kNumQ = isa::kNumQueues;

std::string token_desc(int t) {
  return std::string(isa::kTokenNames[static_cast<size_t>(t)]) + " (" + isa::kTokenDirections[static_cast<size_t>(t)] +
         ")";
}

// The token counter instruction `in` pops (dir 0: prev, 1: next), -1 if none.
int pops(const Insn& in, int q, int dir) {
  const bool flag = dir == 0 ? in.pop_prev() : in.pop_next();
  return flag ? isa::kPopToken[q][dir] : -1;
}
int pushes(const Insn& in, int q, int dir) {
  const bool flag = dir == 0 ? in.push_prev() : in.push_next();
  return flag ? isa::kPushToken[q][dir] : -1;
}

bool is_dma(const Insn& in) { return in.op() == isa::Op::kLoad || in.op() == isa::Op::kStore; }

// The fields of a load or store (the spine defines both with the same fields).
isa::LoadInsn dma_fields(const Insn& in) { return decode<isa::LoadInsn>(in); }

}  // namespace

uint32_t issue_faults(const Insn& in, const HwConfig& hw) {
  uint32_t f = 0;
  const isa::OpDef* d = in.def();
  if (!d || (d->engine >= 0 && !isa::engine_present(d->engine, hw)))
    f |= 1u << static_cast<int>(isa::Fault::kUnknownOpcode);
  const int q = static_cast<int>(in.queue());
  if (((in.pop_prev() || in.push_prev()) && isa::kPopToken[q][0] < 0) ||
      ((in.pop_next() || in.push_next()) && isa::kPopToken[q][1] < 0))
    f |= 1u << static_cast<int>(isa::Fault::kBadTokenFlag);
  if (is_dma(in)) {
    const isa::LoadInsn x = dma_fields(in);
    const bool moves = x.nwords / static_cast<uint64_t>(hw.beat_words()) != 0;
    const bool ok = (in.op() == isa::Op::kLoad ? isa::buf_loadable(x.buf) : isa::buf_storable(x.buf)) &&
                    isa::buf_present(x.buf, hw);
    if (moves && !ok) f |= 1u << static_cast<int>(isa::Fault::kBadBuffer);
  }
  return f;
}

std::string fault_names(uint32_t bits) {
  std::string s;
  for (int i = 0; i < isa::kNumFaults; ++i)
    if (bits & (1u << i)) s += (s.empty() ? "" : ", ") + std::string(isa::kFaultNames[static_cast<size_t>(i)]);
  return s;
}

std::string MachineFault::describe(const Program& p) const {
  std::ostringstream os;
  os << "machine fault";
  if (timed) os << " in cycle " << cycle;
  os << ": ";
  bool first = true;
  for (int i = 0; i < isa::kNumFaults; ++i)
    if (causes & (1u << i)) {
      os << (first ? "" : "; ") << isa::kFaultNames[static_cast<size_t>(i)] << " ("
         << isa::kFaultDocs[static_cast<size_t>(i)] << ")";
      first = false;
    }
  if (insn >= 0 && static_cast<size_t>(insn) < p.insns.size())
    os << " at instruction " << insn << " (" << disassemble(p.insns[static_cast<size_t>(insn)]) << ")";
  return os.str();
}

void spine_accesses(const Insn& in, const HwConfig& hw, uint64_t dram_bytes, std::vector<Access>& out) {
  if (in.op() == isa::Op::kFinish) {
    out.push_back({Access::kDram, 0, dram_bytes, false});
    return;
  }
  if (!is_dma(in)) return;
  const isa::LoadInsn x = dma_fields(in);
  const uint64_t wb = static_cast<uint64_t>(hw.beat_words());
  const uint64_t nw = x.nwords / wb * wb;
  if (nw == 0) return;
  const bool ld = in.op() == isa::Op::kLoad;
  out.push_back({static_cast<int>(x.buf), x.spm_addr, x.spm_addr + nw, ld});
  out.push_back({Access::kDram, x.dram_addr, x.dram_addr + nw * 8, !ld});
}

std::string check_insn(const Insn& in, const HwConfig& hw, uint64_t dram_bytes) {
  if (const uint32_t f = issue_faults(in, hw)) {
    if (f & (1u << static_cast<int>(isa::Fault::kUnknownOpcode))) {
      const isa::OpDef* d = in.def();
      if (!d) return "unknown opcode " + std::to_string(in.opcode());
      const char* e = isa::kEngines[static_cast<size_t>(d->engine)].name;
      return std::string(d->name) + " needs the " + e + " engine, which this machine leaves out (has_" + e + ": 0)";
    }
    if (f & (1u << static_cast<int>(isa::Fault::kBadTokenFlag))) {
      const int q = static_cast<int>(in.queue());
      return std::string("the ") + isa::kQueueNames[static_cast<size_t>(q)] + " queue has no " +
             (isa::kPopToken[q][0] < 0 ? "previous queue (pop_prev/push_prev must be 0)"
                                       : "next queue (pop_next/push_next must be 0)");
    }
    const isa::LoadInsn x = dma_fields(in);
    std::string allowed;
    for (int b = 0; b < isa::kNumBufs; ++b)
      if ((in.op() == isa::Op::kLoad ? isa::buf_loadable(static_cast<uint64_t>(b))
                                     : isa::buf_storable(static_cast<uint64_t>(b))) &&
          isa::buf_present(static_cast<uint64_t>(b), hw))
        allowed += (allowed.empty() ? "" : ", ") + std::string(isa::kBufNames[static_cast<size_t>(b)]);
    return std::string(in.op() == isa::Op::kLoad ? "load can only fill " : "store can only drain ") + allowed +
           " on this machine (buf = " + std::to_string(x.buf) +
           (x.buf < static_cast<uint64_t>(isa::kNumBufs) && !isa::buf_present(x.buf, hw)
                ? ": " + std::string(isa::kBufNames[x.buf]) + " is left out with its engines"
                : std::string()) +
           ")";
  }
  const isa::OpDef* d = in.def();
  // Bits outside every field must be zero (catches corrupt binaries).
  Insn known;
  auto mark = [&](const isa::FieldDef& f) {
    known.set(f, f.width >= 64 ? ~uint64_t{0} : (uint64_t{1} << f.width) - 1);
  };
  for (const auto* f :
       {&isa::kOpcodeField, &isa::kPopPrevField, &isa::kPopNextField, &isa::kPushPrevField, &isa::kPushNextField})
    mark(*f);
  for (int f = 0; f < d->num_fields; ++f) mark(d->fields[f]);
  if ((in.w[0] & ~known.w[0]) || (in.w[1] & ~known.w[1])) return "reserved bits are set";
  if (const Engine* e = engine_of(in)) return e->check(in, hw);
  if (!is_dma(in)) return "";
  const isa::LoadInsn x = dma_fields(in);
  const uint64_t wb = static_cast<uint64_t>(hw.beat_words());
  if (x.nwords == 0) return "";
  if (x.buf >= static_cast<uint64_t>(isa::kNumBufs)) return "buf = " + std::to_string(x.buf) + " names no buffer";
  const auto b = static_cast<isa::Buf>(x.buf);
  if (x.spm_addr % wb || x.nwords % wb)
    return "spm_addr and nwords must be multiples of the DRAM beat (" + std::to_string(wb) + " words)";
  if (x.spm_addr + x.nwords > static_cast<uint64_t>(hw.buf_words(b)))
    return "words " + std::to_string(x.spm_addr) + ".." + std::to_string(x.spm_addr + x.nwords) + " exceed " +
           isa::kBufNames[x.buf] + " (" + std::to_string(hw.buf_words(b)) + " words)";
  if (x.dram_addr % static_cast<uint64_t>(hw.dram_bytes_per_cycle))
    return "dram_addr is not aligned to the DRAM beat (" + std::to_string(hw.dram_bytes_per_cycle) + " bytes)";
  if (x.dram_addr + x.nwords * 8 > dram_bytes)
    return "DRAM bytes " + std::to_string(x.dram_addr) + ".." + std::to_string(x.dram_addr + x.nwords * 8) +
           " exceed the memory image (" + std::to_string(dram_bytes) + " bytes)";
  return "";
}

void walk_queues(const Program& p, const HwConfig& hw, const std::function<bool(size_t)>& on_issue) {
  std::array<std::deque<size_t>, kNumQ> q;
  std::array<long, isa::kNumTokens> tok{};
  size_t fetched = 0;
  bool finished = false;
  const size_t depth = static_cast<size_t>(hw.queue_depth);
  auto waits = [&](const Insn& in, int u, int dir) {
    const int t = pops(in, u, dir);
    return t >= 0 && tok[static_cast<size_t>(t)] == 0;
  };
  while (!finished) {
    bool progress = false;
    while (fetched < p.insns.size()) {
      auto& qq = q[static_cast<size_t>(p.insns[fetched].queue())];
      if (qq.size() >= depth) break;
      qq.push_back(fetched++);
      progress = true;
    }
    for (int u = 0; u < kNumQ && !finished; ++u) {
      auto& qu = q[static_cast<size_t>(u)];
      while (!qu.empty()) {
        const size_t idx = qu.front();
        const Insn& in = p.insns[idx];
        if (waits(in, u, 0) || waits(in, u, 1)) break;
        // finish has the lowest priority: it issues only when nothing else can move.
        if (in.op() == isa::Op::kFinish) {
          bool others = fetched < p.insns.size();
          for (int o = 0; o < kNumQ; ++o)
            if (o != u && !q[static_cast<size_t>(o)].empty()) others = true;
          if (others) break;
        }
        qu.pop_front();
        for (int dir = 0; dir < 2; ++dir)
          if (const int t = pops(in, u, dir); t >= 0) --tok[static_cast<size_t>(t)];
        if (!on_issue(idx)) return;
        for (int dir = 0; dir < 2; ++dir) {
          const int t = pushes(in, u, dir);
          if (t < 0) continue;
          if (tok[static_cast<size_t>(t)] >= hw.token_max)
            throw TokenOverflow("program instruction " + std::to_string(idx) + " (" + disassemble(in) +
                                    "): token counter " + token_desc(t) +
                                    " would exceed token_max = " + std::to_string(hw.token_max),
                                idx);
          ++tok[static_cast<size_t>(t)];
        }
        progress = true;
        if (in.op() == isa::Op::kFinish) {
          finished = true;
          break;
        }
      }
    }
    if (finished) break;
    if (!progress) {
      std::ostringstream os;
      bool all_empty = fetched == p.insns.size();
      for (const auto& qq : q) all_empty = all_empty && qq.empty();
      if (all_empty) throw Error("program ends without a finish instruction");
      os << "program deadlocks:";
      for (int u = 0; u < kNumQ; ++u) {
        const auto& qu = q[static_cast<size_t>(u)];
        os << " " << isa::kQueueNames[static_cast<size_t>(u)] << " queue ";
        if (qu.empty()) {
          os << "empty;";
          continue;
        }
        const Insn& in = p.insns[qu.front()];
        os << "stuck at instruction " << qu.front() << " (" << disassemble(in) << ")";
        for (int dir = 0; dir < 2; ++dir)
          if (waits(in, u, dir)) os << " waiting for a " << token_desc(pops(in, u, dir)) << " token";
        if (in.op() == isa::Op::kFinish) os << " behind unfinished work";
        os << ";";
      }
      if (fetched < p.insns.size())
        os << " dispatch blocked at instruction " << fetched << " (its "
           << isa::kQueueNames[static_cast<size_t>(p.insns[fetched].queue())] << " queue is full)";
      throw Error(os.str());
    }
  }
  bool rest = fetched < p.insns.size();
  for (const auto& qq : q) rest = rest || !qq.empty();
  if (rest) throw Error("program has instructions after finish (instruction " + std::to_string(fetched) + ")");
}

// ---------------------------------------------------------------------------------------------------
// Data races. Happens-before: an instruction completes before the next one of its queue issues, and the
// k-th push of a token counter completes before its k-th pop issues (each counter has one pushing and
// one popping queue, both in program order). Vector clocks over the queues capture it; the accesses are
// checked in the abstract machine's execution order against, per word range, the last writer and the
// last reader of every queue since that write (the FastTrack argument: a later access ordered after
// the last write is ordered after every earlier one).

namespace {

struct Clock {
  std::array<uint32_t, kNumQ> c{};  // per queue: instructions of that queue known to have completed
  void join(const Clock& o) {
    for (int q = 0; q < kNumQ; ++q)
      c[static_cast<size_t>(q)] = std::max(c[static_cast<size_t>(q)], o.c[static_cast<size_t>(q)]);
  }
};

struct Epoch {
  int64_t insn = -1;  // -1: none
  uint32_t seq = 0;   // 1-based position within its queue
  int queue = 0;
};

struct Segment {
  uint64_t hi = 0;
  Epoch writer;
  std::array<Epoch, kNumQ> readers;
};

class RaceDetector {
 public:
  RaceDetector(const Program& p, const HwConfig& hw, uint64_t dram_bytes) : p_(p), hw_(hw), dram_bytes_(dram_bytes) {}

  // Returns "" or the race.
  std::string run() {
    std::array<Clock, kNumQ> last{};
    std::array<uint32_t, kNumQ> seq{};
    std::array<std::vector<Clock>, isa::kNumTokens> pushed;
    std::array<size_t, isa::kNumTokens> popped{};
    std::vector<Access> acc;
    std::string race;
    walk_queues(p_, hw_, [&](size_t idx) {
      const Insn& in = p_.insns[idx];
      const int u = static_cast<int>(in.queue());
      Clock vc = last[static_cast<size_t>(u)];
      for (int dir = 0; dir < 2; ++dir)
        if (const int t = pops(in, u, dir); t >= 0)
          vc.join(pushed[static_cast<size_t>(t)][popped[static_cast<size_t>(t)]++]);
      const Epoch me{static_cast<int64_t>(idx), ++seq[static_cast<size_t>(u)], u};
      acc.clear();
      if (const Engine* e = engine_of(in))
        e->accesses(in, hw_, acc);
      else
        spine_accesses(in, hw_, dram_bytes_, acc);
      for (const Access& a : acc) {
        race = touch(a, me, vc);
        if (!race.empty()) return false;
      }
      vc.c[static_cast<size_t>(u)] = me.seq;  // completion of this instruction
      last[static_cast<size_t>(u)] = vc;
      for (int dir = 0; dir < 2; ++dir)
        if (const int t = pushes(in, u, dir); t >= 0) pushed[static_cast<size_t>(t)].push_back(vc);
      return true;
    });
    return race;
  }

 private:
  static bool ordered(const Epoch& before, const Clock& now) {
    return before.insn < 0 || now.c[static_cast<size_t>(before.queue)] >= before.seq;
  }

  std::string describe(const Epoch& a, const Epoch& b, const Access& acc, uint64_t lo, uint64_t hi) const {
    std::ostringstream os;
    const bool dram = acc.space == Access::kDram;
    os << "program instructions " << a.insn << " (" << disassemble(p_.insns[static_cast<size_t>(a.insn)]) << ") and "
       << b.insn << " (" << disassemble(p_.insns[static_cast<size_t>(b.insn)]) << ") race on "
       << (dram ? "DRAM bytes " : std::string(isa::kBufNames[static_cast<size_t>(acc.space)]) + " words ") << lo << ".."
       << hi - 1 << ": the " << isa::kQueueNames[static_cast<size_t>(a.queue)] << " and "
       << isa::kQueueNames[static_cast<size_t>(b.queue)]
       << " queues touch them, one writing, and no chain of dependency tokens orders the two";
    return os.str();
  }

  // Splits the segment map of `space` so that `at` is a boundary.
  void split(std::map<uint64_t, Segment>& m, uint64_t at) {
    auto it = m.upper_bound(at);
    if (it == m.begin()) return;
    --it;
    if (it->first < at && at < it->second.hi) {
      Segment right = it->second;
      it->second.hi = at;
      m.emplace(at, right);
    }
  }

  std::string touch(const Access& a, const Epoch& me, const Clock& vc) {
    if (a.hi <= a.lo) return "";
    auto& m = spaces_[a.space];
    split(m, a.lo);
    split(m, a.hi);
    // Fill the gaps with empty segments, then check and update every segment in [lo, hi).
    uint64_t pos = a.lo;
    for (auto it = m.lower_bound(a.lo); pos < a.hi;) {
      if (it == m.end() || it->first > pos) {
        const uint64_t end = (it == m.end()) ? a.hi : std::min(a.hi, it->first);
        it = m.emplace(pos, Segment{end, {}, {}}).first;
      }
      Segment& s = it->second;
      if (s.writer.queue != me.queue && !ordered(s.writer, vc)) return describe(s.writer, me, a, it->first, s.hi);
      if (a.write)
        for (int q = 0; q < kNumQ; ++q)
          if (q != me.queue && !ordered(s.readers[static_cast<size_t>(q)], vc))
            return describe(s.readers[static_cast<size_t>(q)], me, a, it->first, s.hi);
      if (a.write) {
        s.writer = me;
        s.readers = {};
      } else {
        s.readers[static_cast<size_t>(me.queue)] = me;
      }
      pos = s.hi;
      ++it;
    }
    if (a.write) {  // coalesce the written range into one segment
      auto first = m.find(a.lo);
      auto it = std::next(first);
      while (it != m.end() && it->first < a.hi) it = m.erase(it);
      first->second.hi = a.hi;
    }
    return "";
  }

  const Program& p_;
  const HwConfig& hw_;
  uint64_t dram_bytes_;
  std::map<int, std::map<uint64_t, Segment>> spaces_;
};

}  // namespace

std::string find_race(const Program& p, const HwConfig& hw, uint64_t dram_bytes) {
  return RaceDetector(p, hw, dram_bytes).run();
}

void check_program(const Program& p, const HwConfig& hw, uint64_t dram_bytes) {
  if (p.insns.empty()) throw Error("program is empty");
  // An engine the machine leaves out is named first: it explains every later instruction that needs it.
  for (size_t idx = 0; idx < p.insns.size(); ++idx) {
    const isa::OpDef* d = p.insns[idx].def();
    if (d && d->engine >= 0 && !isa::engine_present(d->engine, hw)) {
      const std::string e = isa::kEngines[static_cast<size_t>(d->engine)].name;
      throw Error("the program needs the " + e + " engine (" + d->name + " at instruction " + std::to_string(idx) +
                  "), which this machine leaves out (has_" + e + ": 0)");
    }
  }
  for (size_t idx = 0; idx < p.insns.size(); ++idx) {
    const std::string why = check_insn(p.insns[idx], hw, dram_bytes);
    if (!why.empty())
      throw Error("program instruction " + std::to_string(idx) + " (" + disassemble(p.insns[idx]) + "): " + why);
  }
  walk_queues(p, hw, [](size_t) { return true; });
  const std::string race = find_race(p, hw, dram_bytes);
  if (!race.empty()) throw Error(race);
}

}  // namespace bitgrid
