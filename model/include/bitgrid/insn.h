#pragma once
// One 128-bit instruction and the program container. Field positions come from the generated
// bitgrid/gen/isa.h, never from literals here.
#include <cstdint>
#include <string>
#include <vector>

#include "bitgrid/gen/isa.h"
#include "bitgrid/hwconfig.h"

namespace bitgrid {

struct Insn {
  uint64_t w[2] = {0, 0};  // w[0] = bits 63:0, w[1] = bits 127:64

  uint64_t get(const isa::FieldDef& f) const;
  void set(const isa::FieldDef& f, uint64_t v);  // throws Error if v does not fit the field

  isa::Op op() const { return static_cast<isa::Op>(get(isa::kOpcodeField)); }
  const isa::OpDef* def() const;  // nullptr for an unknown opcode
  isa::Queue queue() const;
  bool pop_prev() const { return get(isa::kPopPrevField); }
  bool pop_next() const { return get(isa::kPopNextField); }
  bool push_prev() const { return get(isa::kPushPrevField); }
  bool push_next() const { return get(isa::kPushNextField); }
  bool operator==(const Insn& o) const { return w[0] == o.w[0] && w[1] == o.w[1]; }
};

struct Deps {
  bool pop_prev = false, pop_next = false, push_prev = false, push_next = false;
};

// Builders (throw Error when a value does not fit its field).
Insn make_nop(Deps d = {});
Insn make_finish(Deps d = {});
Insn make_load(isa::Buf buf, uint64_t spm_addr, uint64_t nwords, uint64_t dram_addr, Deps d = {});
Insn make_store(isa::Buf buf, uint64_t spm_addr, uint64_t nwords, uint64_t dram_addr, Deps d = {});
struct HamTopk {
  bool init = true;
  uint64_t k = 1, code_words = 1, q_addr = 0, db_addr = 0, base_index = 0, r_addr = 0, n_codes = 1;
};
Insn make_hamtopk(const HamTopk& h, Deps d = {});
HamTopk decode_hamtopk(const Insn& i);

// One line of assembly, e.g. "hamtopk init=1 k=10 code_words=4 ... [pop_prev push_next]".
std::string disassemble(const Insn& i);
// Parses one line of that assembly back (the inverse of disassemble); throws Error naming the token.
Insn assemble(const std::string& line);

struct Program {
  std::vector<Insn> insns;
};

// Program binary (.bgp): "BGPROG01" magic, uint32 version, uint32 count, uint32 CRC-32 of the
// instruction bytes, uint32 reserved, then count * 16 bytes (w[0], w[1] little-endian).
void save_program(const std::string& path, const Program& p);
Program load_program(const std::string& path);  // throws Error: missing, truncated, bad magic/CRC

// Static checks of a program against a hardware config: every field in range, addresses aligned and
// inside their buffers and inside a DRAM of dram_bytes, token flags legal for the queue, and no
// deadlock or token overflow when the queues run (with the configured queue depth). Throws Error
// naming the instruction number and the limit, or, for a deadlock, the stuck head of every queue.
void check_program(const Program& p, const HwConfig& hw, uint64_t dram_bytes);

uint32_t crc32(const uint8_t* data, size_t n, uint32_t crc = 0);

}  // namespace bitgrid
