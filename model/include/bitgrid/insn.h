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

  uint64_t opcode() const { return (w[0] >> isa::kOpcodeField.lsb) & ((uint64_t{1} << isa::kOpcodeField.width) - 1); }
  isa::Op op() const { return static_cast<isa::Op>(opcode()); }
  const isa::OpDef* def() const;  // nullptr for an unknown opcode
  isa::Queue queue() const;       // unknown opcodes go to the compute queue, as in the hardware
  bool pop_prev() const { return (w[0] >> isa::kPopPrevField.lsb) & 1; }
  bool pop_next() const { return (w[0] >> isa::kPopNextField.lsb) & 1; }
  bool push_prev() const { return (w[0] >> isa::kPushPrevField.lsb) & 1; }
  bool push_next() const { return (w[0] >> isa::kPushNextField.lsb) & 1; }
  bool operator==(const Insn& o) const { return w[0] == o.w[0] && w[1] == o.w[1]; }
};

using isa::Deps;  // token flags: pop_prev, pop_next, push_prev, push_next

// Encodes one instruction from its generated field struct (isa::LoadInsn, isa::HamtopkInsn, ...; see
// bitgrid/gen/isa.h); throws Error naming the field when a value does not fit.
[[noreturn]] void throw_field_overflow(isa::Op op, const char* field);
template <class T>
Insn encode(const T& x) {
  if (const char* f = x.overflow()) throw_field_overflow(T::kOp, f);
  Insn i;
  x.encode(i.w);
  return i;
}
// Decodes an instruction into a field struct (the caller knows the opcode; no check).
template <class T>
T decode(const Insn& i) {
  return T::decode(i.w);
}

// Spine instructions.
Insn make_nop(Deps d = {});
Insn make_finish(Deps d = {});
Insn make_load(isa::Buf buf, uint64_t spm_addr, uint64_t nwords, uint64_t dram_addr, Deps d = {});
Insn make_store(isa::Buf buf, uint64_t spm_addr, uint64_t nwords, uint64_t dram_addr, Deps d = {});

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

uint32_t crc32(const uint8_t* data, size_t n, uint32_t crc = 0);

}  // namespace bitgrid
