#include "systemc_unit.h"

#include <fmt/format.h>

#include "bitgrid/error.h"

namespace bitgrid::scsim {

const char* token_name(int t) {
  static const char* const kNames[kNumTokens] = {"l2c", "c2l", "c2s", "s2c"};
  return t >= 0 && t < kNumTokens ? kNames[t] : "?";
}

const char* queue_name(int q) {
  static const char* const kNames[3] = {"load", "compute", "store"};
  return q >= 0 && q < 3 ? kNames[q] : "?";
}

namespace {

// Counter popped / pushed by queue q towards its previous (dir 0) or next (dir 1) queue; -1 if none.
int pop_counter(int q, int dir) {
  static const int kPop[3][2] = {{-1, kC2L}, {kL2C, kS2C}, {kC2S, -1}};
  return kPop[q][dir];
}
int push_counter(int q, int dir) {
  static const int kPush[3][2] = {{-1, kL2C}, {kC2L, kC2S}, {kS2C, -1}};
  return kPush[q][dir];
}

}  // namespace

namespace {

// Field extraction by shifts (Insn::get walks the bits one by one).
inline uint64_t field(const Insn& in, const isa::FieldDef& f) {
  const int lo = f.lsb, w = f.width;
  const uint64_t mask = w >= 64 ? ~uint64_t{0} : (uint64_t{1} << w) - 1;
  uint64_t v;
  if (lo >= 64) {
    v = in.w[1] >> (lo - 64);
  } else {
    v = in.w[0] >> lo;
    if (lo + w > 64 && lo > 0) v |= in.w[1] << (64 - lo);
  }
  return v & mask;
}

isa::Queue queue_of(uint64_t opcode, bool& known) {
  for (const auto& d : isa::kOps)
    if (d.value == opcode) {
      known = true;
      return d.queue;
    }
  known = false;
  return isa::Queue::kCompute;
}

}  // namespace

InsnDecoder::InsnDecoder(const HwConfig& hw, uint64_t dram_bytes)
    : wb_(static_cast<uint64_t>(hw.beat_words())),
      bw_(static_cast<uint64_t>(hw.dram_bytes_per_cycle)),
      m_(static_cast<uint64_t>(hw.lane_words())),
      lanes_(static_cast<uint64_t>(hw.ham_lanes)),
      topk_max_(static_cast<uint64_t>(hw.topk_max)),
      max_code_words_(static_cast<uint64_t>(hw.max_code_words())),
      dram_bytes_(dram_bytes),
      words_{static_cast<uint64_t>(hw.buf_words(isa::Buf::kQbuf)), static_cast<uint64_t>(hw.buf_words(isa::Buf::kDbuf)),
             static_cast<uint64_t>(hw.buf_words(isa::Buf::kRbuf))} {}

void InsnDecoder::check(const Program& p) const {
  for (size_t i = 0; i < p.insns.size(); ++i) decode(p.insns[i], static_cast<uint32_t>(i));
}

DecodedInsn InsnDecoder::decode(const Insn& in, uint32_t i) const {
  auto fail = [&](const std::string& why) {
    throw Error(fmt::format("program instruction {} ({}): {}", i, disassemble(in), why));
  };
  const uint64_t opcode = field(in, isa::kOpcodeField);
  bool known = false;
  const isa::Queue queue = queue_of(opcode, known);
  if (!known) throw Error(fmt::format("program instruction {}: unknown opcode {}", i, opcode));
  DecodedInsn d;
  d.index = i;
  d.op = static_cast<isa::Op>(opcode);
  d.queue = static_cast<int8_t>(queue);
  const bool flags[2][2] = {{field(in, isa::kPopPrevField) != 0, field(in, isa::kPopNextField) != 0},
                            {field(in, isa::kPushPrevField) != 0, field(in, isa::kPushNextField) != 0}};
  for (int dir = 0; dir < 2; ++dir) {
    if (flags[0][dir]) {
      d.pop[dir] = static_cast<int8_t>(pop_counter(d.queue, dir));
      if (d.pop[dir] < 0)
        fail(fmt::format("the {} queue has no {} queue to pop a token from", queue_name(d.queue),
                         dir ? "next" : "previous"));
    }
    if (flags[1][dir]) {
      d.push[dir] = static_cast<int8_t>(push_counter(d.queue, dir));
      if (d.push[dir] < 0)
        fail(fmt::format("the {} queue has no {} queue to push a token to", queue_name(d.queue),
                         dir ? "next" : "previous"));
    }
  }
  switch (d.op) {
    case isa::Op::kLoad:
    case isa::Op::kStore: {
      const bool ld = d.op == isa::Op::kLoad;
      const auto& F = ld ? isa::kLOAD_FIELDS : isa::kSTORE_FIELDS;
      const uint64_t buf = field(in, F[0]), spm = field(in, F[1]), nw = field(in, F[2]), dram = field(in, F[3]);
      d.buf = static_cast<uint8_t>(buf);
      d.spm_addr = static_cast<uint32_t>(spm);
      d.nwords = static_cast<uint32_t>(nw);
      d.dram_addr = static_cast<uint32_t>(dram);
      if (nw == 0) break;
      if (ld && buf != static_cast<uint64_t>(isa::Buf::kQbuf) && buf != static_cast<uint64_t>(isa::Buf::kDbuf))
        fail("load can only fill qbuf or dbuf");
      if (!ld && buf != static_cast<uint64_t>(isa::Buf::kRbuf)) fail("store can only drain rbuf");
      if (spm % wb_ || nw % wb_)
        fail(fmt::format("spm_addr and nwords must be multiples of the DRAM beat ({} words)", wb_));
      if (spm + nw > words_[buf])
        fail(fmt::format("words {}..{} exceed {} ({} words)", spm, spm + nw, isa::kBufNames[buf], words_[buf]));
      if (dram % bw_) fail(fmt::format("dram_addr is not aligned to the DRAM beat ({} bytes)", bw_));
      if (dram + nw * 8 > dram_bytes_)
        fail(fmt::format("DRAM bytes {}..{} exceed the memory image ({} bytes)", dram, dram + nw * 8, dram_bytes_));
      break;
    }
    case isa::Op::kHamtopk: {
      const uint64_t k = field(in, isa::kHAMTOPK_K), cw = field(in, isa::kHAMTOPK_CODE_WORDS);
      const uint64_t q = field(in, isa::kHAMTOPK_Q_ADDR), db = field(in, isa::kHAMTOPK_DB_ADDR);
      const uint64_t r = field(in, isa::kHAMTOPK_R_ADDR), n = field(in, isa::kHAMTOPK_N_CODES);
      d.init = field(in, isa::kHAMTOPK_INIT) != 0;
      d.k = static_cast<uint8_t>(k);
      d.code_words = static_cast<uint8_t>(cw);
      d.q_addr = static_cast<uint32_t>(q);
      d.db_addr = static_cast<uint32_t>(db);
      d.base_index = static_cast<uint32_t>(field(in, isa::kHAMTOPK_BASE_INDEX));
      d.r_addr = static_cast<uint16_t>(r);
      d.n_codes = static_cast<uint16_t>(n);
      if (k > topk_max_) fail(fmt::format("k = {} exceeds topk_max = {}", k, topk_max_));
      if (cw > max_code_words_) fail(fmt::format("code_words = {} exceeds max_code_bits/64 = {}", cw, max_code_words_));
      const uint64_t S = (cw + m_ - 1) / m_, G = (n + lanes_ - 1) / lanes_;
      if (q % m_) fail(fmt::format("q_addr must be a multiple of {}", m_));
      if (db % (lanes_ * m_)) fail(fmt::format("db_addr must be a multiple of {}", lanes_ * m_));
      if (q + S * m_ > words_[0]) fail("query exceeds qbuf");
      if (db + G * S * lanes_ * m_ > words_[1]) fail("tile exceeds dbuf");
      if (r + k > words_[2]) fail("top-k state exceeds rbuf");
      break;
    }
    case isa::Op::kNop:
    case isa::Op::kFinish:
      break;
  }
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
