// docs/ISA.md: the ISA reference page.
#include <sstream>

#include "isa_def.h"

namespace isagen {

std::string emit_isa_md(const Isa& isa) {
  std::ostringstream md;
  md << "<!-- " << kBanner << " -->\n# bitgrid ISA reference\n\n";
  md << "Every instruction is " << isa.insn_bits << " bits, stored little-endian as " << isa.insn_bits / 8
     << " bytes. The opcode selects the queue the controller dispatches it to. Timing rules, token semantics, "
        "data layouts and the engine contract are in [ARCHITECTURE.md](ARCHITECTURE.md). Sources: ";
  for (size_t i = 0; i < isa.sources.size(); ++i) md << (i ? ", " : "") << "`" << isa.sources[i] << "`";
  md << ".\n\n";
  md << "## Fields common to every instruction\n\n| field | bits | meaning |\n|---|---|---|\n";
  for (const auto& f : isa.common)
    md << "| `" << f.name << "` | [" << f.lsb + f.width - 1 << ":" << f.lsb << "] | " << f.doc << " |\n";
  md << "\n## Queues and dependency tokens\n\nQueues, in order: ";
  for (size_t i = 0; i < isa.queues.size(); ++i) md << (i ? " → " : "") << "`" << isa.queues[i] << "`";
  md << ". A queue's `prev` is the one before it, `next` the one after; token flags towards a queue that does "
        "not exist are illegal (fault `bad_token_flag`).\n\n| counter | direction | pushed by | popped by |\n"
        "|---|---|---|---|\n";
  const char* dn[2] = {"prev", "next"};
  for (const auto& t : isa.tokens)
    md << "| `" << t.name << "` | " << t.doc << " | " << isa.queues[t.pusher] << " `push_" << dn[t.push_dir] << "` | "
       << isa.queues[t.popper] << " `pop_" << dn[t.pop_dir] << "` |\n";
  md << "\n## Machine faults\n\nIllegal instructions the hardware detects when they reach issue: the instruction "
        "does not issue and writes nothing, `error_o` rises and the machine stops. Every backend reports the same "
        "fault in the same cycle.\n\n| bit | fault | meaning |\n|---|---|---|\n";
  for (size_t i = 0; i < isa.faults.size(); ++i)
    md << "| " << i << " | `" << isa.faults[i].name << "` | " << isa.faults[i].doc << " |\n";
  md << "\n## Buffers\n\nEvery buffer is an array of 64-bit words in rows; a row is as wide as the buffer's compute "
        "port (its widest engine port) or the DRAM beat, whichever is wider.\n\n"
        "| id | name | size | DMA | compute port (words) | role |\n|---|---|---|---|---|---|\n";
  for (const auto& b : isa.buffers) {
    std::string port;
    for (const auto& u : b.uses)
      port += (port.empty() ? "" : "; ") + isa.engines[u.engine].name + " " +
              (u.read && u.write ? "r/w"
               : u.read          ? "read"
                                 : "write") +
              " `" + u.words + "`";
    if (b.owned) port += " (owned: the engine holds the storage, the load DMA writes into it)";
    md << "| " << b.id << " | `" << b.name << "` | `" << b.size_param << "` KiB | " << b.dma << " | " << port << " | "
       << b.role << " |\n";
  }
  md << "\n## Engines\n\n| engine | opcodes | energy actions | peak per cycle | RTL module |\n|---|---|---|---|---|\n";
  for (const auto& e : isa.engines) {
    std::string ops, acts;
    for (int o : e.opcodes) ops += (ops.empty() ? "`" : ", `") + isa.opcodes[static_cast<size_t>(o)].name + "`";
    for (const auto& a : e.actions) acts += (acts.empty() ? "`" : ", `") + e.name + "." + a.name + "`";
    md << "| `" << e.name << "` | " << ops << " | " << acts << " | `" << e.peak_expr << "` " << e.peak_unit << " | `"
       << e.rtl_module << "` |\n";
  }
  for (const auto& e : isa.engines) {
    if (e.dtypes.empty()) continue;
    md << "\n## Weight datatypes (engine `" << e.name << "`)\n\n"
       << "Values in units of the group scale. `int`: the code in two's complement; table types: the value of each "
          "code 0, 1, 2, ...; the special code is replaced by the special value the group's 2-bit selector picks.\n\n"
       << "| id | name | bits | terms | values | special code → values |\n|---|---|---|---|---|---|\n";
    for (const auto& d : e.dtypes) {
      std::string vals, spec;
      if (d.kind == "int") {
        vals = std::to_string(-(1 << (d.bits - 1))) + " … " + std::to_string((1 << (d.bits - 1)) - 1);
      } else {
        for (int v : d.values) vals += (vals.empty() ? "" : ", ") + std::to_string(v);
      }
      if (d.special_code >= 0) {
        spec = std::to_string(d.special_code) + " →";
        for (size_t i = 0; i < d.specials.size(); ++i) spec += (i ? ", " : " ") + std::to_string(d.specials[i]);
      }
      md << "| " << d.id << " | `" << d.name << "` | " << d.bits << " | " << d.terms << " | " << vals << " | " << spec
         << " |\n";
    }
  }
  md << "\n## Instructions\n";
  for (const auto& o : isa.opcodes) {
    md << "\n### `" << o.name << "` (opcode " << o.value << ", " << o.queue << " queue"
       << (o.engine >= 0 ? ", engine `" + isa.engines[static_cast<size_t>(o.engine)].name + "`" : std::string())
       << ")\n\n"
       << o.doc << "\n\n";
    if (o.fields.empty()) {
      md << "No fields besides the common ones.\n";
      continue;
    }
    md << "| field | bits | meaning |\n|---|---|---|\n";
    for (const auto& f : o.fields)
      md << "| `" << f.name << "` | [" << f.lsb + f.width - 1 << ":" << f.lsb << "] | " << f.doc
         << (f.def ? " (a builder's default: " + std::to_string(f.def) + ")" : std::string()) << " |\n";
  }
  md << "\n## Hardware parameters\n\n| name | RTL | default | range | constraint | owner | meaning |\n"
        "|---|---|---|---|---|---|---|\n";
  for (const auto& p : isa.params)
    md << "| `" << p.name << "` | `" << camel(p.name) << "` | " << p.def << " | " << p.min << "–" << p.max << " | "
       << (p.pow2 ? "power of two" : (p.multiple_of ? "multiple of " + std::to_string(p.multiple_of) : std::string("")))
       << " | " << p.owner << " | " << p.doc << " |\n";
  return md.str();
}

}  // namespace isagen
