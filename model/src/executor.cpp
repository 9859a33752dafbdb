#include "bitgrid/executor.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <deque>
#include <sstream>

#include "bitgrid/error.h"
#include "bitgrid/hamming.h"
#include "bitgrid/topk.h"

namespace bitgrid {

namespace {

const char* kQueueNames[3] = {"load", "compute", "store"};
// Token counters: 0 = l2c, 1 = c2l, 2 = c2s, 3 = s2c.
const char* kTokenNames[4] = {"l2c (load->compute)", "c2l (compute->load)", "c2s (compute->store)",
                              "s2c (store->compute)"};

// Counter that a queue pops for prev/next and pushes for prev/next; -1 where the direction does not exist.
int pop_counter(isa::Queue q, bool prev) {
  switch (q) {
    case isa::Queue::kLoad:
      return prev ? -1 : 1;  // load pops c2l as "next"
    case isa::Queue::kCompute:
      return prev ? 0 : 3;  // compute pops l2c (prev), s2c (next)
    case isa::Queue::kStore:
      return prev ? 2 : -1;  // store pops c2s (prev)
  }
  return -1;
}
int push_counter(isa::Queue q, bool prev) {
  switch (q) {
    case isa::Queue::kLoad:
      return prev ? -1 : 0;  // load pushes l2c
    case isa::Queue::kCompute:
      return prev ? 1 : 2;  // compute pushes c2l (prev), c2s (next)
    case isa::Queue::kStore:
      return prev ? 3 : -1;  // store pushes s2c (prev)
  }
  return -1;
}

}  // namespace

void walk_queues_impl(const Program& p, const HwConfig& hw, const std::function<void(size_t)>& on_issue) {
  std::array<std::deque<size_t>, 3> q;
  std::array<long, 4> tok{};
  size_t fetched = 0;
  bool finished = false;
  const size_t depth = static_cast<size_t>(hw.queue_depth);
  while (!finished) {
    bool progress = false;
    while (fetched < p.insns.size()) {
      auto& qq = q[static_cast<int>(p.insns[fetched].queue())];
      if (qq.size() >= depth) break;
      qq.push_back(fetched++);
      progress = true;
    }
    for (int u = 0; u < 3 && !finished; ++u) {
      while (!q[u].empty()) {
        const size_t idx = q[u].front();
        const Insn& in = p.insns[idx];
        const auto qu = static_cast<isa::Queue>(u);
        const int pp = in.pop_prev() ? pop_counter(qu, true) : -1;
        const int pn = in.pop_next() ? pop_counter(qu, false) : -1;
        if ((pp >= 0 && tok[pp] == 0) || (pn >= 0 && tok[pn] == 0)) break;
        // finish has the lowest priority: it issues only when nothing else can move.
        if (in.op() == isa::Op::kFinish) {
          bool others = fetched < p.insns.size();
          for (int o = 0; o < 3; ++o)
            if (o != u && !q[o].empty()) others = true;
          if (others) break;
        }
        q[u].pop_front();
        if (pp >= 0) --tok[pp];
        if (pn >= 0) --tok[pn];
        on_issue(idx);
        for (int k = 0; k < 2; ++k) {
          const bool want = k == 0 ? in.push_prev() : in.push_next();
          const int c = push_counter(qu, k == 0);
          if (!want || c < 0) continue;
          if (tok[c] >= hw.token_max)
            throw Error("program instruction " + std::to_string(idx) + " (" + disassemble(in) + "): token counter " +
                        kTokenNames[c] + " would exceed token_max = " + std::to_string(hw.token_max));
          ++tok[c];
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
      if (fetched == p.insns.size() && q[0].empty() && q[1].empty() && q[2].empty()) {
        os << "program ends without a finish instruction";
        throw Error(os.str());
      }
      os << "program deadlocks:";
      for (int u = 0; u < 3; ++u) {
        os << " " << kQueueNames[u] << " queue ";
        if (q[u].empty()) {
          os << "empty;";
          continue;
        }
        const Insn& in = p.insns[q[u].front()];
        os << "stuck at instruction " << q[u].front() << " (" << disassemble(in) << ")";
        const auto qu = static_cast<isa::Queue>(u);
        const int pp = in.pop_prev() ? pop_counter(qu, true) : -1;
        const int pn = in.pop_next() ? pop_counter(qu, false) : -1;
        if (pp >= 0 && tok[pp] == 0) os << " waiting for a " << kTokenNames[pp] << " token";
        if (pn >= 0 && tok[pn] == 0) os << " waiting for a " << kTokenNames[pn] << " token";
        if (in.op() == isa::Op::kFinish) os << " behind unfinished work";
        os << ";";
      }
      if (fetched < p.insns.size())
        os << " dispatch blocked at instruction " << fetched << " (its "
           << kQueueNames[static_cast<int>(p.insns[fetched].queue())] << " queue is full)";
      throw Error(os.str());
    }
  }
  if (fetched < p.insns.size() || !q[0].empty() || !q[2].empty())
    throw Error("program has instructions after finish (instruction " + std::to_string(fetched) + ")");
}

void check_program(const Program& p, const HwConfig& hw, uint64_t dram_bytes) {
  const long wb = hw.beat_words();
  auto fail = [&](size_t idx, const std::string& why) {
    throw Error("program instruction " + std::to_string(idx) + " (" + disassemble(p.insns[idx]) + "): " + why);
  };
  if (p.insns.empty()) throw Error("program is empty");
  for (size_t idx = 0; idx < p.insns.size(); ++idx) {
    const Insn& in = p.insns[idx];
    const isa::OpDef* d = in.def();
    if (!d) fail(idx, "unknown opcode " + std::to_string(in.get(isa::kOpcodeField)));
    // bits outside every field must be zero (catches corrupt binaries)
    Insn known;
    auto mark = [&](const isa::FieldDef& f) {
      known.set(f, f.width >= 64 ? ~uint64_t{0} : (uint64_t{1} << f.width) - 1);
    };
    mark(isa::kOpcodeField);
    mark(isa::kPopPrevField);
    mark(isa::kPopNextField);
    mark(isa::kPushPrevField);
    mark(isa::kPushNextField);
    for (int f = 0; f < d->num_fields; ++f) mark(d->fields[f]);
    if ((in.w[0] & ~known.w[0]) || (in.w[1] & ~known.w[1])) fail(idx, "reserved bits are set");
    const auto q = d->queue;
    if (q == isa::Queue::kLoad && (in.pop_prev() || in.push_prev()))
      fail(idx, "the load queue has no previous queue (pop_prev/push_prev must be 0)");
    if (q == isa::Queue::kStore && (in.pop_next() || in.push_next()))
      fail(idx, "the store queue has no next queue (pop_next/push_next must be 0)");
    switch (in.op()) {
      case isa::Op::kLoad:
      case isa::Op::kStore: {
        const bool ld = in.op() == isa::Op::kLoad;
        const auto& F = ld ? isa::kLOAD_FIELDS : isa::kSTORE_FIELDS;
        const uint64_t buf = in.get(F[0]), spm = in.get(F[1]), nw = in.get(F[2]), dram = in.get(F[3]);
        if (nw == 0) break;
        if (ld && buf != static_cast<uint64_t>(isa::Buf::kQbuf) && buf != static_cast<uint64_t>(isa::Buf::kDbuf))
          fail(idx, "load can only fill qbuf or dbuf");
        if (!ld && buf != static_cast<uint64_t>(isa::Buf::kRbuf)) fail(idx, "store can only drain rbuf");
        const auto b = static_cast<isa::Buf>(buf);
        if (spm % static_cast<uint64_t>(wb) || nw % static_cast<uint64_t>(wb))
          fail(idx, "spm_addr and nwords must be multiples of the DRAM beat (" + std::to_string(wb) + " words)");
        if (spm + nw > static_cast<uint64_t>(hw.buf_words(b)))
          fail(idx, "words " + std::to_string(spm) + ".." + std::to_string(spm + nw) + " exceed " +
                        isa::kBufNames[buf] + " (" + std::to_string(hw.buf_words(b)) + " words)");
        if (dram % static_cast<uint64_t>(hw.dram_bytes_per_cycle))
          fail(idx,
               "dram_addr is not aligned to the DRAM beat (" + std::to_string(hw.dram_bytes_per_cycle) + " bytes)");
        if (dram + nw * 8 > dram_bytes)
          fail(idx, "DRAM bytes " + std::to_string(dram) + ".." + std::to_string(dram + nw * 8) +
                        " exceed the memory image (" + std::to_string(dram_bytes) + " bytes)");
        break;
      }
      case isa::Op::kHamtopk: {
        const HamTopk h = decode_hamtopk(in);
        const long m = hw.lane_words(), L = hw.ham_lanes;
        if (h.k < 1 || h.k > static_cast<uint64_t>(hw.topk_max))
          fail(idx, "k = " + std::to_string(h.k) + " is outside 1..topk_max = " + std::to_string(hw.topk_max));
        if (h.code_words < 1 || h.code_words > static_cast<uint64_t>(hw.max_code_words()))
          fail(idx, "code_words = " + std::to_string(h.code_words) + " is outside 1.." +
                        std::to_string(hw.max_code_words()) + " (max_code_bits = " + std::to_string(hw.max_code_bits) +
                        ")");
        if (h.n_codes < 1) fail(idx, "n_codes must be at least 1");
        const uint64_t S = static_cast<uint64_t>(hw.steps(static_cast<long>(h.code_words)));
        const uint64_t G = (h.n_codes + static_cast<uint64_t>(L) - 1) / static_cast<uint64_t>(L);
        if (h.q_addr % static_cast<uint64_t>(m)) fail(idx, "q_addr must be a multiple of " + std::to_string(m));
        if (h.q_addr + S * static_cast<uint64_t>(m) > static_cast<uint64_t>(hw.buf_words(isa::Buf::kQbuf)))
          fail(idx, "query exceeds qbuf");
        if (h.db_addr % static_cast<uint64_t>(L * m))
          fail(idx, "db_addr must be a multiple of " + std::to_string(L * m));
        if (h.db_addr + G * S * static_cast<uint64_t>(L * m) > static_cast<uint64_t>(hw.buf_words(isa::Buf::kDbuf)))
          fail(idx, "tile exceeds dbuf (" + std::to_string(hw.buf_words(isa::Buf::kDbuf)) + " words)");
        if (h.r_addr + h.k > static_cast<uint64_t>(hw.buf_words(isa::Buf::kRbuf)))
          fail(idx, "top-k state exceeds rbuf");
        if (h.base_index + h.n_codes > 0xFFFFFFFFull) fail(idx, "base_index + n_codes exceeds 2^32-1");
        break;
      }
      case isa::Op::kNop:
      case isa::Op::kFinish:
        break;
    }
  }
  walk_queues(p, hw, [](size_t) {});
}

ActionCounts count_actions(const Program& p, const HwConfig& hw) {
  ActionCounts a;
  for (int b = 0; b < isa::kNumBufs; ++b) {
    a.sram_read_words[isa::kBufNames[b]] = 0;
    a.sram_write_words[isa::kBufNames[b]] = 0;
  }
  const uint64_t m = static_cast<uint64_t>(hw.lane_words()), L = static_cast<uint64_t>(hw.ham_lanes);
  for (const auto& in : p.insns) {
    if (in.def()) ++a.insns[static_cast<int>(in.queue())];
    switch (in.op()) {
      case isa::Op::kLoad: {
        const uint64_t nw = in.get(isa::kLOAD_NWORDS);
        a.dram_read_bytes += nw * 8;
        a.sram_write_words[isa::kBufNames[in.get(isa::kLOAD_BUF) % isa::kNumBufs]] += nw;
        break;
      }
      case isa::Op::kStore: {
        const uint64_t nw = in.get(isa::kSTORE_NWORDS);
        a.dram_write_bytes += nw * 8;
        a.sram_read_words[isa::kBufNames[in.get(isa::kSTORE_BUF) % isa::kNumBufs]] += nw;
        break;
      }
      case isa::Op::kHamtopk: {
        const HamTopk h = decode_hamtopk(in);
        const uint64_t S = static_cast<uint64_t>(hw.steps(static_cast<long>(h.code_words)));
        const uint64_t G = (h.n_codes + L - 1) / L;
        a.ham_word_ops += G * S * L * m;
        a.topk_merges += G;
        a.useful_code_compares += h.n_codes;
        a.useful_bits += h.n_codes * h.code_words * 64;
        a.sram_read_words["qbuf"] += G * S * m;
        a.sram_read_words["dbuf"] += G * S * L * m;
        a.sram_read_words["rbuf"] += h.init ? 0 : h.k;
        a.sram_write_words["rbuf"] += h.k;
        a.ideal_compute_cycles += G * S;
        break;
      }
      default:
        break;
    }
  }
  return a;
}

std::vector<uint8_t> execute(const Program& p, const HwConfig& hw, std::vector<uint8_t> dram) {
  std::array<std::vector<uint64_t>, isa::kNumBufs> spm;
  for (int b = 0; b < isa::kNumBufs; ++b) spm[b].assign(static_cast<size_t>(hw.buf_words(static_cast<isa::Buf>(b))), 0);
  const uint64_t m = static_cast<uint64_t>(hw.lane_words()), L = static_cast<uint64_t>(hw.ham_lanes);
  std::vector<uint64_t> qcode, dcode;
  walk_queues(p, hw, [&](size_t idx) {
    const Insn& in = p.insns[idx];
    switch (in.op()) {
      case isa::Op::kLoad: {
        const uint64_t nw = in.get(isa::kLOAD_NWORDS);
        if (nw)
          std::memcpy(spm[in.get(isa::kLOAD_BUF)].data() + in.get(isa::kLOAD_SPM_ADDR),
                      dram.data() + in.get(isa::kLOAD_DRAM_ADDR), nw * 8);
        break;
      }
      case isa::Op::kStore: {
        const uint64_t nw = in.get(isa::kSTORE_NWORDS);
        if (nw)
          std::memcpy(dram.data() + in.get(isa::kSTORE_DRAM_ADDR),
                      spm[in.get(isa::kSTORE_BUF)].data() + in.get(isa::kSTORE_SPM_ADDR), nw * 8);
        break;
      }
      case isa::Op::kHamtopk: {
        const HamTopk h = decode_hamtopk(in);
        const uint64_t S = static_cast<uint64_t>(hw.steps(static_cast<long>(h.code_words)));
        const uint64_t W = S * m;  // padded words per code (padding is zero in both operands)
        auto& rb = spm[static_cast<int>(isa::Buf::kRbuf)];
        const auto& qb = spm[static_cast<int>(isa::Buf::kQbuf)];
        const auto& db = spm[static_cast<int>(isa::Buf::kDbuf)];
        TopK top(h.k);
        if (!h.init)
          for (uint64_t i = 0; i < h.k; ++i) {
            const Neighbor nb = Neighbor::from_word(rb[h.r_addr + i]);
            if (!nb.empty()) top.push(nb);
          }
        qcode.assign(qb.begin() + static_cast<std::ptrdiff_t>(h.q_addr),
                     qb.begin() + static_cast<std::ptrdiff_t>(h.q_addr + W));
        dcode.resize(W);
        for (uint64_t c = 0; c < h.n_codes; ++c) {
          const uint64_t g = c / L, l = c % L;
          for (uint64_t s = 0; s < S; ++s)
            for (uint64_t j = 0; j < m; ++j) dcode[s * m + j] = db[h.db_addr + ((g * S + s) * L + l) * m + j];
          top.push({hamming(qcode.data(), dcode.data(), W), static_cast<uint32_t>(h.base_index + c)});
        }
        const auto res = top.result();
        for (uint64_t i = 0; i < h.k; ++i) rb[h.r_addr + i] = res[i].word();
        break;
      }
      default:
        break;
    }
  });
  return dram;
}

}  // namespace bitgrid
