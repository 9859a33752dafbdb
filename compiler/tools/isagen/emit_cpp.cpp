// model/include/bitgrid/gen/isa.h: the ISA, the hardware parameters, buffers, engines, tokens and
// faults for C++, with one encoder/decoder struct per instruction.
#include <sstream>

#include "isa_def.h"

namespace isagen {

namespace {

std::string quote(const std::string& s) {
  std::string r = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') r += '\\';
    r += c;
  }
  return r + "\"";
}

std::string k(const std::string& snake) { return "k" + camel(snake); }

// C++ statements extracting / inserting a field of a 128-bit instruction held as uint64_t w[2].
std::string get_expr(const Field& f) {
  const int lo = f.lsb, w = f.width, word = lo / 64, off = lo % 64;
  const std::string mask = w >= 64 ? "~uint64_t{0}" : "((uint64_t{1} << " + std::to_string(w) + ") - 1)";
  if (off + w <= 64) return "((w[" + std::to_string(word) + "] >> " + std::to_string(off) + ") & " + mask + ")";
  return "(((w[0] >> " + std::to_string(off) + ") | (w[1] << " + std::to_string(64 - off) + ")) & " + mask + ")";
}

std::string set_stmt(const Field& f, const std::string& v) {
  const int lo = f.lsb, w = f.width, word = lo / 64, off = lo % 64;
  const std::string mask = w >= 64 ? "~uint64_t{0}" : "((uint64_t{1} << " + std::to_string(w) + ") - 1)";
  std::ostringstream s;
  if (off + w <= 64) {
    s << "w[" << word << "] |= (" << v << " & " << mask << ") << " << off << ";";
  } else {
    s << "w[0] |= (" << v << " & " << mask << ") << " << off << "; w[1] |= (" << v << " & " << mask << ") >> "
      << 64 - off << ";";
  }
  return s.str();
}

}  // namespace

std::string emit_cpp_header(const Isa& isa) {
  std::ostringstream h;
  h << "// " << kBanner << "\n#pragma once\n#include <algorithm>\n#include <array>\n#include <cstdint>\n\n"
    << "namespace bitgrid::isa {\n\n";
  h << "constexpr int kInsnBits = " << isa.insn_bits << ";\nconstexpr int kInsnBytes = " << isa.insn_bits / 8
    << ";\n\n";

  // ---------------------------------------------------------------- queues and tokens
  h << "// ---- queues and dependency tokens (docs/ARCHITECTURE.md R2, R3) ----\n";
  h << "enum class Queue : uint8_t {";
  for (size_t i = 0; i < isa.queues.size(); ++i) h << (i ? ", " : " ") << k(isa.queues[i]) << " = " << i;
  h << " };\nconstexpr int kNumQueues = " << isa.queues.size() << ";\n";
  h << "constexpr std::array<const char*, " << isa.queues.size() << "> kQueueNames = {";
  for (size_t i = 0; i < isa.queues.size(); ++i) h << (i ? ", " : "") << quote(isa.queues[i]);
  h << "};\n";
  h << "constexpr int kNumTokens = " << isa.tokens.size() << ";\n";
  h << "constexpr int kTokenBits = " << isa.token_bits() << ";  // token counter width (RTL TokenW)\n";
  h << "constexpr std::array<const char*, " << isa.tokens.size() << "> kTokenNames = {";
  for (size_t i = 0; i < isa.tokens.size(); ++i) h << (i ? ", " : "") << quote(isa.tokens[i].name);
  h << "};\nconstexpr std::array<const char*, " << isa.tokens.size() << "> kTokenDirections = {";
  for (size_t i = 0; i < isa.tokens.size(); ++i) h << (i ? ", " : "") << quote(isa.tokens[i].doc);
  h << "};\n";
  h << "// Token counter a queue pops at issue (kPopToken) / pushes at completion (kPushToken) for its\n"
       "// prev (index 0) and next (index 1) flag; -1 where the queue has no such neighbour.\n";
  auto table = [&](const char* name, bool pop) {
    h << "constexpr int8_t " << name << "[" << isa.queues.size() << "][2] = {";
    for (size_t q = 0; q < isa.queues.size(); ++q) {
      h << (q ? ", " : "") << "{";
      for (int d = 0; d < 2; ++d)
        h << (d ? ", " : "") << (pop ? isa.pop_token(static_cast<int>(q), d) : isa.push_token(static_cast<int>(q), d));
      h << "}";
    }
    h << "};\n";
  };
  table("kPopToken", true);
  table("kPushToken", false);
  h << "\n";

  // ---------------------------------------------------------------- faults
  h << "// ---- machine faults: illegal instructions the hardware detects at issue ----\n";
  h << "enum class Fault : uint8_t {";
  for (size_t i = 0; i < isa.faults.size(); ++i) h << (i ? ", " : " ") << k(isa.faults[i].name) << " = " << i;
  h << " };\nconstexpr int kNumFaults = " << isa.faults.size() << ";\n";
  h << "constexpr std::array<const char*, " << isa.faults.size() << "> kFaultNames = {";
  for (size_t i = 0; i < isa.faults.size(); ++i) h << (i ? ", " : "") << quote(isa.faults[i].name);
  h << "};\nconstexpr std::array<const char*, " << isa.faults.size() << "> kFaultDocs = {";
  for (size_t i = 0; i < isa.faults.size(); ++i) h << (i ? ",\n    " : "\n    ") << quote(isa.faults[i].doc);
  h << "};\n\n";

  // ---------------------------------------------------------------- parameters
  h << "// ---- hardware parameters: defaults and legal ranges (checked by bitgrid::HwConfig) ----\n";
  h << "struct ParamDef {\n  const char* name;\n  const char* rtl_name;  // the RTL top's parameter (and -G) name\n"
       "  long def;\n  long min;\n  long max;\n  bool pow2;\n  long multiple_of;\n  const char* owner;  // \"spine\" "
       "or the engine that declares it\n  const char* doc;\n};\n";
  h << "constexpr std::array<ParamDef, " << isa.params.size() << "> kParams = {{\n";
  for (const auto& p : isa.params)
    h << "    {" << quote(p.name) << ", " << quote(camel(p.name)) << ", " << p.def << ", " << p.min << ", " << p.max
      << ", " << (p.pow2 ? "true" : "false") << ", " << p.multiple_of << ", " << quote(p.owner) << ", " << quote(p.doc)
      << "},\n";
  h << "}};\n\n";
  h << "struct HwParams {\n";
  for (const auto& p : isa.params) h << "  long " << p.name << " = " << p.def << ";\n";
  h << "  // Visits every parameter as (name, reference); keeps parsers and printers in step with the list.\n";
  for (const char* cst : {"", " const"}) {
    h << "  template <class F>\n  void for_each(F&& f)" << cst << " {\n";
    for (const auto& p : isa.params) h << "    f(" << quote(p.name) << ", " << p.name << ");\n";
    h << "  }\n";
  }
  h << "};\n\n";

  // ---------------------------------------------------------------- buffers
  h << "// ---- on-chip buffers (scratchpads of 64-bit words; docs/ARCHITECTURE.md §2) ----\n";
  h << "enum class Buf : uint8_t {";
  for (size_t i = 0; i < isa.buffers.size(); ++i) h << (i ? ", " : " ") << k(isa.buffers[i].name) << " = " << i;
  h << " };\nconstexpr int kNumBufs = " << isa.buffers.size() << ";\n";
  h << "constexpr std::array<const char*, " << isa.buffers.size() << "> kBufNames = {";
  for (size_t i = 0; i < isa.buffers.size(); ++i) h << (i ? ", " : "") << quote(isa.buffers[i].name);
  h << "};\n";
  h << "enum class Dma : uint8_t { kNone, kLoad, kStore };\n";
  h << "struct BufDef {\n  const char* name;\n  Dma dma;                 // which DMA unit may move its words\n"
       "  const char* size_param;  // its size in KiB\n  bool engine_read, engine_write;  // some engine reads / "
       "writes it through its compute port\n  bool owned;  // held inside the engine that defines it (no scratchpad; "
       "the load DMA writes into the engine)\n  const char* role;\n};\n";
  h << "constexpr std::array<BufDef, " << isa.buffers.size() << "> kBufs = {{\n";
  for (const auto& b : isa.buffers)
    h << "    {" << quote(b.name) << ", Dma::k" << camel(b.dma) << ", " << quote(b.size_param) << ", "
      << (b.engine_reads() ? "true" : "false") << ", " << (b.engine_writes() ? "true" : "false") << ", "
      << (b.owned ? "true" : "false") << ", " << quote(b.role) << "},\n";
  h << "}};\n";
  h << "constexpr bool buf_loadable(uint64_t b) { return b < kBufs.size() && kBufs[b].dma == Dma::kLoad; }\n";
  h << "constexpr bool buf_storable(uint64_t b) { return b < kBufs.size() && kBufs[b].dma == Dma::kStore; }\n";
  h << "// Size of a buffer in KiB.\ninline long buf_kib(Buf b, const HwParams& p) {\n  switch (b) {\n";
  for (const auto& b : isa.buffers) h << "    case Buf::" << k(b.name) << ":\n      return p." << b.size_param << ";\n";
  h << "  }\n  return 0;\n}\n";
  h << "// Width in words of a buffer's compute port: its widest engine port (0 if no engine uses it).\n"
       "inline long buf_port_words(Buf b, const HwParams& p) {\n  switch (b) {\n";
  for (const auto& b : isa.buffers) {
    h << "    case Buf::" << k(b.name) << ":\n      return std::max<long>({0";
    for (const auto& u : b.uses) h << ", " << expr_cpp(u.words, "p.");
    h << "});\n";
  }
  h << "  }\n  return 0;\n}\n";
  h << "// Width in words of the compute port's writes: the engines' write width (write_words, else words; 0 if\n"
       "// no engine writes the buffer).\n"
       "inline long buf_write_words(Buf b, const HwParams& p) {\n  switch (b) {\n";
  for (const auto& b : isa.buffers) {
    h << "    case Buf::" << k(b.name) << ":\n      return std::max<long>({0";
    for (const auto& u : b.uses)
      if (u.write) h << ", " << expr_cpp(u.write_words.empty() ? u.words : u.write_words, "p.");
    h << "});\n";
  }
  h << "  }\n  return 0;\n}\n";
  h << "// Words of one row (read or written in one cycle): the compute port, its writes or the DRAM beat, whichever\n"
       "// is widest.\n"
       "inline long buf_row_words(Buf b, const HwParams& p) {\n  return std::max<long>({buf_port_words(b, p), "
       "buf_write_words(b, p), p.dram_bytes_per_cycle / 8});\n}\n\n";

  // ---------------------------------------------------------------- engines
  h << "// ---- compute engines ----\n";
  h << "constexpr int kNumEngines = " << isa.engines.size() << ";\n";
  for (size_t i = 0; i < isa.engines.size(); ++i)
    h << "constexpr int kEngine" << camel(isa.engines[i].name) << " = " << i << ";\n";
  h << "struct ActionDef {\n  const char* name;\n  const char* doc;\n};\n";
  h << "struct EngineDef {\n  const char* name;\n  int num_actions;\n  const ActionDef* actions;  // energy actions, "
       "priced as energy_pj.<engine>.<action>\n  const char* peak_unit;\n  const char* doc;\n};\n";
  for (const auto& e : isa.engines) {
    h << "constexpr std::array<ActionDef, " << e.actions.size() << "> k" << upper(e.name) << "_ACTIONS = {{";
    for (size_t i = 0; i < e.actions.size(); ++i)
      h << (i ? ", " : "") << "{" << quote(e.actions[i].name) << ", " << quote(e.actions[i].doc) << "}";
    h << "}};\n";
  }
  h << "constexpr std::array<EngineDef, " << isa.engines.size() << "> kEngines = {{\n";
  for (const auto& e : isa.engines)
    h << "    {" << quote(e.name) << ", " << e.actions.size() << ", k" << upper(e.name) << "_ACTIONS.data(), "
      << quote(e.peak_unit) << ", " << quote(e.doc) << "},\n";
  h << "}};\n";
  h << "// Useful work per cycle at the engine's peak, in its peak_unit (for the roofline).\n"
       "inline double engine_peak_per_cycle(int engine, const HwParams& p) {\n  switch (engine) {\n";
  for (size_t i = 0; i < isa.engines.size(); ++i)
    h << "    case " << i << ":\n      return static_cast<double>(" << expr_cpp(isa.engines[i].peak_expr, "p.")
      << ");\n";
  h << "  }\n  return 0;\n}\n";
  h << "// Whether the machine has an engine (its has_<engine> parameter).\n"
       "inline bool engine_present(int engine, const HwParams& p) {\n  switch (engine) {\n";
  for (size_t i = 0; i < isa.engines.size(); ++i)
    h << "    case " << i << ":\n      return p." << isa.engines[i].has_param() << " != 0;\n";
  h << "  }\n  return false;\n}\n";
  h << "// Whether the machine has a buffer: some engine that uses it is present.\n"
       "inline bool buf_present(uint64_t b, const HwParams& p) {\n  switch (b) {\n";
  for (const auto& b : isa.buffers) {
    h << "    case " << b.id << ":\n      return false";
    for (const auto& u : b.uses) h << " || p." << isa.engines[static_cast<size_t>(u.engine)].has_param() << " != 0";
    h << ";\n";
  }
  h << "  }\n  return false;\n}\n\n";

  // ---------------------------------------------------------------- weight datatypes
  {
    const Engine* de = nullptr;
    int dei = -1;
    for (size_t i = 0; i < isa.engines.size(); ++i)
      if (!isa.engines[i].dtypes.empty()) de = &isa.engines[i], dei = static_cast<int>(i);
    const size_t n = de ? de->dtypes.size() : 0;
    h << "// ---- weight datatypes" << (de ? " (engine " + de->name + ", " + de->fragment + ")" : std::string())
      << " ----\n";
    h << "// int: the value of a code is the code in two's complement; table: values[code], with special_code\n"
         "// replaced by specials[selector] (BitMoD). terms: weight terms per weight on the bit-serial PE.\n";
    h << "struct DtypeDef {\n  const char* name;\n  int bits, terms;\n  bool table;\n"
         "  std::array<int8_t, 256> values;  // table types: value of each code (2^bits used)\n"
         "  int special_code;                 // -1: none\n  std::array<int8_t, 4> specials;\n};\n";
    h << "constexpr int kDtypeEngine = " << dei << ";\n";
    h << "constexpr std::array<DtypeDef, " << n << "> kDtypes = {{\n";
    if (de)
      for (const auto& d : de->dtypes) {
        h << "    {" << quote(d.name) << ", " << d.bits << ", " << d.terms << ", "
          << (d.kind == "table" ? "true" : "false") << ", {{";
        for (size_t i = 0; i < d.values.size(); ++i) h << (i ? ", " : "") << d.values[i];
        h << "}}, " << d.special_code << ", {{";
        for (size_t i = 0; i < d.specials.size(); ++i) h << (i ? ", " : "") << d.specials[i];
        h << "}}},\n";
      }
    h << "}};\n";
    if (de)
      for (const auto& d : de->dtypes) h << "constexpr int kDtype" << camel(d.name) << " = " << d.id << ";\n";
    h << "// Value of code q (its low `bits` bits) of datatype dt in a group with selector sel.\n"
         "constexpr int dtype_value(int dt, uint32_t q, uint32_t sel) {\n"
         "  const DtypeDef& d = kDtypes[static_cast<size_t>(dt)];\n"
         "  q &= (1u << d.bits) - 1;\n"
         "  if (!d.table) return (q >> (d.bits - 1)) ? static_cast<int>(q) - (1 << d.bits) : static_cast<int>(q);\n"
         "  if (d.special_code >= 0 && q == static_cast<uint32_t>(d.special_code)) return d.specials[sel & 3];\n"
         "  return d.values[q];\n}\n\n";
  }

  // ---------------------------------------------------------------- opcodes and fields
  h << "// ---- instructions ----\n";
  h << "enum class Op : uint8_t {";
  for (size_t i = 0; i < isa.opcodes.size(); ++i)
    h << (i ? ", " : " ") << k(isa.opcodes[i].name) << " = " << isa.opcodes[i].value;
  h << " };\n\n";
  h << "struct FieldDef {\n  const char* name;\n  int lsb;\n  int width;\n};\n";
  h << "struct OpDef {\n  const char* name;\n  uint8_t value;\n  Queue queue;\n  int engine;  // index into kEngines, "
       "-1 for spine instructions\n  int num_fields;\n  const FieldDef* fields;\n};\n\n";
  for (const auto& f : isa.common)
    h << "constexpr FieldDef " << k(f.name) << "Field = {" << quote(f.name) << ", " << f.lsb << ", " << f.width
      << "};\n";
  for (const auto& o : isa.opcodes) {
    const std::string on = upper(o.name);
    for (const auto& f : o.fields)
      h << "constexpr FieldDef k" << on << "_" << upper(f.name) << " = {" << quote(f.name) << ", " << f.lsb << ", "
        << f.width << "};\n";
    h << "constexpr std::array<FieldDef, " << o.fields.size() << "> k" << on << "_FIELDS = {{";
    for (size_t i = 0; i < o.fields.size(); ++i) h << (i ? ", " : "") << "k" << on << "_" << upper(o.fields[i].name);
    h << "}};\n";
  }
  h << "\nconstexpr std::array<OpDef, " << isa.opcodes.size() << "> kOps = {{\n";
  for (const auto& o : isa.opcodes)
    h << "    {" << quote(o.name) << ", " << o.value << ", Queue::" << k(o.queue) << ", " << o.engine << ", "
      << o.fields.size() << ", k" << upper(o.name) << "_FIELDS.data()},\n";
  h << "}};\n";
  h << "// The definition of an opcode value, nullptr if no instruction has it.\n"
       "constexpr const OpDef* op_def(uint64_t opcode) {\n  for (const auto& d : kOps)\n    if (d.value == opcode) "
       "return &d;\n  return nullptr;\n}\n\n";

  h << "// Token flags of every instruction (the common fields besides the opcode).\nstruct Deps {\n"
       "  bool pop_prev = false, pop_next = false, push_prev = false, push_next = false;\n};\n\n";
  h << "// One struct per instruction: its fields (declaration order = configs/isa order), then the token\n"
       "// flags. decode() reads a 128-bit instruction held as uint64_t w[2] (w[0] = bits 63:0); encode()\n"
       "// writes one (opcode included); overflow() names the first field whose value does not fit, or nullptr.\n";
  const Field* common_flags[4] = {&isa.common[1], &isa.common[2], &isa.common[3], &isa.common[4]};
  const Field& opf = isa.common[0];
  for (const auto& o : isa.opcodes) {
    const std::string sn = camel(o.name) + "Insn";
    h << "struct " << sn << " {\n  static constexpr Op kOp = Op::" << k(o.name) << ";\n";
    for (const auto& f : o.fields) h << "  uint64_t " << f.name << " = " << f.def << ";  // " << f.doc << "\n";
    h << "  Deps deps{};\n\n";
    h << "  static " << sn << " decode(const uint64_t* w) {\n    " << sn << " x;\n";
    for (const auto& f : o.fields) h << "    x." << f.name << " = " << get_expr(f) << ";\n";
    const char* dn[4] = {"pop_prev", "pop_next", "push_prev", "push_next"};
    for (int i = 0; i < 4; ++i) h << "    x.deps." << dn[i] << " = " << get_expr(*common_flags[i]) << " != 0;\n";
    h << "    return x;\n  }\n";
    h << "  void encode(uint64_t* w) const {\n    w[0] = w[1] = 0;\n    "
      << set_stmt(opf, "uint64_t{" + std::to_string(o.value) + "}") << "\n";
    for (int i = 0; i < 4; ++i)
      h << "    " << set_stmt(*common_flags[i], "uint64_t{deps." + std::string(dn[i]) + "}") << "\n";
    for (const auto& f : o.fields) h << "    " << set_stmt(f, f.name) << "\n";
    h << "  }\n";
    h << "  const char* overflow() const {\n";
    for (const auto& f : o.fields)
      if (f.width < 64) h << "    if (" << f.name << " >> " << f.width << ") return " << quote(f.name) << ";\n";
    h << "    return nullptr;\n  }\n};\n";
  }
  h << "\n}  // namespace bitgrid::isa\n";
  return h.str();
}

}  // namespace isagen
