// rtl/gen/bitgrid_pkg.sv (the ISA for SystemVerilog), rtl/gen/manifest.f (the RTL file list) and
// rtl/gen/params.tsv (the parameter table the shell scripts read).
//
// Yosys 0.23 reads this package too: package items are referenced as bitgrid_pkg::X (no import), enum
// names are not used inside package functions, and functions assign to their name (no return).
#include <sstream>

#include "isa_def.h"

namespace isagen {

std::string emit_sv_package(const Isa& isa) {
  std::ostringstream sv;
  sv << "// " << kBanner
     << "\n\n// Not every constant is used by every build of the design.\n/* verilator lint_off UNUSEDPARAM "
        "*/\npackage bitgrid_pkg;\n\n";
  sv << "  localparam int unsigned InsnBits = " << isa.insn_bits << ";\n\n";

  // ---- opcodes, queues, buffers
  sv << "  typedef enum logic [3:0] {\n";
  for (size_t i = 0; i < isa.opcodes.size(); ++i)
    sv << "    Op" << camel(isa.opcodes[i].name) << " = 4'd" << isa.opcodes[i].value
       << (i + 1 < isa.opcodes.size() ? "," : "") << "\n";
  sv << "  } opcode_e;\n\n";
  sv << "  localparam int unsigned NumQueues = " << isa.queues.size() << ";\n";
  sv << "  typedef enum logic [1:0] {\n";
  for (size_t i = 0; i < isa.queues.size(); ++i)
    sv << "    Queue" << camel(isa.queues[i]) << " = 2'd" << i << (i + 1 < isa.queues.size() ? "," : "") << "\n";
  sv << "  } queue_e;\n";
  for (size_t i = 0; i < isa.queues.size(); ++i)
    sv << "  localparam int unsigned " << camel(isa.queues[i]) << "Queue = " << i << ";\n";
  sv << "\n";
  sv << "  localparam int unsigned NumBufs = " << isa.buffers.size() << ";\n";
  sv << "  typedef enum logic [3:0] {\n";
  for (size_t i = 0; i < isa.buffers.size(); ++i)
    sv << "    Buf" << camel(isa.buffers[i].name) << " = 4'd" << i << (i + 1 < isa.buffers.size() ? "," : "") << "\n";
  sv << "  } buf_e;\n\n";

  // ---- fields
  sv << "  // Instruction fields: <Op><Field>Lsb / <Op><Field>W.\n";
  for (const auto& f : isa.common)
    sv << "  localparam int unsigned " << camel(f.name) << "Lsb = " << f.lsb << ";\n  localparam int unsigned "
       << camel(f.name) << "W = " << f.width << ";\n";
  for (const auto& o : isa.opcodes)
    for (const auto& f : o.fields)
      sv << "  localparam int unsigned " << camel(o.name) << camel(f.name) << "Lsb = " << f.lsb
         << ";\n  localparam int unsigned " << camel(o.name) << camel(f.name) << "W = " << f.width << ";\n";
  int spm_w = 0, buf_w = 0;
  for (const auto& o : isa.opcodes)
    if (o.name == "load") {
      buf_w = o.fields[0].width;
      spm_w = o.fields[1].width;
    }
  sv << "\n  // Scratchpad word addresses (the DMA instructions' spm_addr width) and buffer ids.\n";
  sv << "  localparam int unsigned SpmAddrW = " << spm_w << ";\n  localparam int unsigned BufIdW = " << buf_w << ";\n";
  sv << "  // One request on a buffer's compute port (an engine's read or write of one port-wide segment).\n";
  sv << "  typedef struct packed {\n    logic                req;\n    logic                we;\n"
        "    logic [SpmAddrW-1:0] addr;\n  } spm_req_t;\n\n";

  // ---- defaults
  sv << "  // Hardware-parameter defaults (a config overrides them with -G at Verilator/Yosys time).\n";
  for (const auto& p : isa.params)
    sv << "  localparam int unsigned Default" << camel(p.name) << " = " << p.def << ";\n";

  // ---- tokens
  sv << "\n  // Dependency tokens (docs/ARCHITECTURE.md R3): counter t is pushed by queue token_pusher(t) towards\n"
        "  // its next (dir 1) or previous (dir 0) neighbour and popped by queue token_popper(t).\n";
  sv << "  localparam int unsigned NumTokens = " << isa.tokens.size() << ";\n";
  sv << "  localparam int unsigned TokenW = " << isa.token_bits()
     << ";  // a counter holds token_max's largest value\n";
  for (size_t t = 0; t < isa.tokens.size(); ++t)
    sv << "  localparam int unsigned Token" << camel(isa.tokens[t].name) << " = " << t << ";  // " << isa.tokens[t].doc
       << "\n";
  auto tfun = [&](const char* name, auto get) {
    sv << "  function automatic int unsigned " << name << "(int unsigned t);\n    " << name << " = 0;\n";
    for (size_t t = 0; t < isa.tokens.size(); ++t)
      sv << "    if (t == " << t << ") " << name << " = " << get(isa.tokens[t]) << ";\n";
    sv << "  endfunction\n";
  };
  tfun("token_pusher", [](const Token& t) { return t.pusher; });
  tfun("token_push_dir", [](const Token& t) { return t.push_dir; });
  tfun("token_popper", [](const Token& t) { return t.popper; });
  tfun("token_pop_dir", [](const Token& t) { return t.pop_dir; });
  sv << "  // Whether queue q has a neighbour in direction dir (0 previous, 1 next), i.e. token flags towards it.\n";
  sv << "  function automatic logic queue_has(int unsigned q, int unsigned dir);\n    queue_has = 1'b0;\n";
  for (size_t q = 0; q < isa.queues.size(); ++q)
    for (int d = 0; d < 2; ++d)
      if (isa.pop_token(static_cast<int>(q), d) >= 0)
        sv << "    if (q == " << q << " && dir == " << d << ") queue_has = 1'b1;\n";
  sv << "  endfunction\n\n";

  // ---- faults
  sv << "  // Machine faults: bit positions in the fault cause vectors.\n";
  sv << "  localparam int unsigned NumFaults = " << isa.faults.size() << ";\n";
  for (size_t i = 0; i < isa.faults.size(); ++i)
    sv << "  localparam int unsigned Fault" << camel(isa.faults[i].name) << " = " << i << ";  // " << isa.faults[i].doc
       << "\n";

  // ---- engines
  sv << "\n  // Compute engines; engine_of() gives an opcode's engine, NoEngine for spine and unknown opcodes.\n";
  sv << "  localparam int unsigned NumEngines = " << isa.engines.size() << ";\n";
  sv << "  localparam int unsigned NoEngine = " << isa.engines.size() << ";\n";
  for (size_t e = 0; e < isa.engines.size(); ++e)
    sv << "  localparam int unsigned Engine" << camel(isa.engines[e].name) << " = " << e << ";\n";
  sv << "  function automatic int unsigned engine_of(logic [3:0] op);\n    engine_of = NoEngine;\n";
  for (const auto& o : isa.opcodes)
    if (o.engine >= 0)
      sv << "    if (op == 4'd" << o.value << ") engine_of = " << o.engine << ";  // " << o.name << "\n";
  sv << "  endfunction\n";

  // ---- opcode and buffer predicates (plain numbers: Yosys 0.23 leaves enum names undefined in package functions)
  sv << "  // Whether an opcode is defined at all.\n  function automatic logic op_known(logic [3:0] op);\n"
        "    op_known = 1'b0;\n";
  for (const auto& o : isa.opcodes) sv << "    if (op == 4'd" << o.value << ") op_known = 1'b1;  // " << o.name << "\n";
  sv << "  endfunction\n";
  sv << "  // Queue of an opcode: load/store go to their own queues, everything else (unknown opcodes too) to "
        "compute.\n";
  sv << "  function automatic logic [1:0] queue_of(logic [3:0] op);\n    queue_of = 2'd" << isa.queue_index("compute")
     << ";\n";
  for (const auto& o : isa.opcodes)
    if (o.queue != "compute")
      sv << "    if (op == 4'd" << o.value << ") queue_of = 2'd" << isa.queue_index(o.queue) << ";  // " << o.name
         << "\n";
  sv << "  endfunction\n";
  sv << "  // Buffers the load DMA may fill / the store DMA may drain.\n";
  for (const char* dir : {"load", "store"}) {
    const std::string fn = std::string("buf_") + (std::string(dir) == "load" ? "loadable" : "storable");
    sv << "  function automatic logic " << fn << "(logic [BufIdW-1:0] b);\n    " << fn << " = 1'b0;\n";
    for (const auto& b : isa.buffers)
      if (b.dma == dir)
        sv << "    if (b == " << buf_w << "'d" << b.id << ") " << fn << " = 1'b1;  // " << b.name << "\n";
    sv << "  endfunction\n";
  }
  // ---- weight datatypes (value tables of configs/isa/engines/*.yaml `datatypes:`)
  for (const auto& e : isa.engines) {
    if (e.dtypes.empty()) continue;
    sv << "\n  // Weight datatypes of engine " << e.name << " (" << e.fragment << ").\n";
    sv << "  localparam int unsigned NumDtypes = " << e.dtypes.size() << ";\n";
    for (const auto& d : e.dtypes) sv << "  localparam int unsigned Dtype" << camel(d.name) << " = " << d.id << ";\n";
    sv << "  // Code bits of a datatype.\n  function automatic logic [3:0] dtype_bits(logic [2:0] dt);\n"
          "    dtype_bits = 4'd0;\n";
    for (const auto& d : e.dtypes) sv << "    if (dt == 3'd" << d.id << ") dtype_bits = 4'd" << d.bits << ";\n";
    sv << "  endfunction\n";
    sv << "  // Weight terms per weight on the bit-serial PE.\n  function automatic logic [2:0] dtype_terms(logic "
          "[2:0] dt);\n"
          "    dtype_terms = 3'd1;\n";
    for (const auto& d : e.dtypes) sv << "    if (dt == 3'd" << d.id << ") dtype_terms = 3'd" << d.terms << ";\n";
    sv << "  endfunction\n";
    sv << "  // Whether a datatype's values come from a table (else the code is a two's-complement integer).\n"
          "  function automatic logic dtype_is_table(logic [2:0] dt);\n    dtype_is_table = 1'b0;\n";
    for (const auto& d : e.dtypes)
      if (d.kind == "table") sv << "    if (dt == 3'd" << d.id << ") dtype_is_table = 1'b1;\n";
    sv << "  endfunction\n";
    sv << "  // Value of code q (its low dtype_bits bits) in a group with selector sel.\n"
          "  function automatic logic signed [7:0] dtype_value(logic [2:0] dt, logic [7:0] q, logic [1:0] sel);\n"
          "    dtype_value = 8'sd0;\n    unique case (dt)\n";
    auto lit = [](int v) { return v < 0 ? "-8'sd" + std::to_string(-v) : "8'sd" + std::to_string(v); };
    for (const auto& d : e.dtypes) {
      sv << "      3'd" << d.id << ": begin  // " << d.name << "\n";
      if (d.kind == "int") {
        if (d.bits == 8)
          sv << "        dtype_value = $signed(q);\n";
        else
          sv << "        dtype_value = $signed({{" << (8 - d.bits) << "{q[" << d.bits - 1 << "]}}, q[" << d.bits - 1
             << ":0]});\n";
      } else {
        sv << "        unique case (q[" << d.bits - 1 << ":0])\n";
        for (size_t c = 0; c < d.values.size(); ++c) {
          sv << "          " << d.bits << "'d" << c << ": dtype_value = ";
          if (static_cast<int>(c) == d.special_code) {
            sv << "(sel == 2'd0) ? " << lit(d.specials[0]) << " : (sel == 2'd1) ? " << lit(d.specials[1])
               << " : (sel == 2'd2) ? " << lit(d.specials[2]) << " : " << lit(d.specials[3]) << ";\n";
          } else {
            sv << lit(d.values[c]) << ";\n";
          }
        }
        sv << "          default: dtype_value = 8'sd0;\n        endcase\n";
      }
      sv << "      end\n";
    }
    sv << "      default: dtype_value = 8'sd0;\n    endcase\n  endfunction\n";
  }
  sv << "  function automatic int unsigned max2(int unsigned a, int unsigned b);\n    max2 = (a > b) ? a : b;\n"
        "  endfunction\n";
  sv << "\nendpackage\n/* verilator lint_on UNUSEDPARAM */\n";
  return sv.str();
}

std::string emit_manifest(const Isa& isa) {
  std::ostringstream m;
  m << "// " << kBanner
    << "\n// The RTL of bitgrid_top, in compile order (package, spine, engines, top); paths are "
       "relative to the\n// repository. Read by CMake (sim/rtl.cmake, tests/), scripts/build_rtl_sim.sh, "
       "scripts/lint_rtl.sh and\n// scripts/synth.sh; Verilator takes it as is (-f) from the repository root.\n";
  m << "rtl/gen/bitgrid_pkg.sv\n";
  for (const auto& f : isa.spine_rtl_files) m << f << "\n";
  for (const auto& e : isa.engines)
    for (const auto& f : e.rtl_files) m << f << "\n";
  m << "rtl/gen/bitgrid_top.sv\n";
  return m.str();
}

std::string emit_params_tsv(const Isa& isa) {
  std::ostringstream t;
  t << "# " << kBanner << "\n# name\trtl_name\tdefault\tmin\tmax\tpow2\tmultiple_of\towner\n";
  for (const auto& p : isa.params)
    t << p.name << "\t" << camel(p.name) << "\t" << p.def << "\t" << p.min << "\t" << p.max << "\t" << (p.pow2 ? 1 : 0)
      << "\t" << p.multiple_of << "\t" << p.owner << "\n";
  return t.str();
}

}  // namespace isagen
