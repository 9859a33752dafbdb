#pragma once
// The merged ISA definition isagen reads from configs/isa/spine.yaml and the engine fragments it lists,
// and the helpers the emitters share. See configs/isa/spine.yaml for the schema.
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace isagen {

struct Field {
  std::string name, doc;
  int lsb = 0, width = 0;
  uint64_t def = 0;  // the generated C++ struct's initial value (`default:`, 0 unless given)
};

struct Opcode {
  std::string name, queue, doc;
  int value = 0;
  int engine = -1;  // index into Isa::engines; -1 for spine instructions
  std::vector<Field> fields;
};

struct Param {
  std::string name, doc, owner;  // owner: "spine" or an engine name
  long def = 0, min = 0, max = 0, multiple_of = 0;
  bool pow2 = false;
};

// An engine's port into a buffer.
struct BufUse {
  int engine = 0;
  bool read = false, write = false;
  std::string words;        // expression over parameter names
  std::string write_words;  // narrower or wider writes than `words` ("" = words): the buffer's write width
};

struct Buffer {
  std::string name, role, size_param, dma;  // dma: load | store | none
  int id = 0;
  std::string defined_by;  // engine (fragment) that defined it
  // Owned by the engine that defines it (`owned: true`): no scratchpad in the top; the load DMA's writes go to
  // the engine (ports <buf>_dma_we_i/_addr_i/_wdata_i), which keeps the storage and reads it itself.
  bool owned = false;
  std::vector<BufUse> uses;
  bool engine_reads() const;
  bool engine_writes() const;
};

struct Action {
  std::string name, doc;
};

// A weight datatype of an engine's value tables (configs/isa/engines/bitmac.yaml `datatypes:`).
struct Dtype {
  std::string name, kind;  // kind: int | table
  int id = 0, bits = 0, terms = 0;
  std::vector<int> values;    // table: value of each code (2^bits entries)
  int special_code = -1;      // table: code replaced by specials[selector], -1 if none
  std::vector<int> specials;  // 4 entries when special_code >= 0
};

struct Engine {
  std::string name, doc, fragment;
  std::vector<Dtype> dtypes;         // value tables (at most one engine defines them)
  std::vector<std::string> params;   // parameters the fragment declares
  std::vector<int> opcodes;          // indexes into Isa::opcodes
  std::vector<std::string> buffers;  // names of the buffers it uses, in fragment order
  std::vector<Action> actions;
  std::string peak_unit, peak_expr;
  std::string rtl_module;
  std::vector<std::string> rtl_params;  // parameter names passed to the module
  std::vector<std::string> rtl_files;
  std::string has_param() const { return "has_" + name; }  // its presence parameter (0 or 1)
};

struct Fault {
  std::string name, doc;
};

struct Token {
  std::string name, doc;
  int pusher = 0, push_dir = 0;  // queue that pushes it, towards prev (0) or next (1)
  int popper = 0, pop_dir = 0;   // queue that pops it, from prev (0) or next (1)
};

struct Isa {
  int insn_bits = 0;
  std::vector<std::string> queues;
  std::vector<Token> tokens;
  std::vector<Field> common;
  std::vector<Opcode> opcodes;
  std::vector<Param> params;
  std::vector<Buffer> buffers;  // index == id
  std::vector<Engine> engines;
  std::vector<Fault> faults;
  std::vector<std::string> spine_rtl_files;
  std::vector<std::string> sources;  // YAML files read (relative to the repository)

  const Param* param(const std::string& name) const;
  const Buffer* buffer(const std::string& name) const;
  int queue_index(const std::string& q) const;
  // popper/pusher token index of queue q towards dir (0 prev, 1 next); -1 if none
  int pop_token(int q, int dir) const;
  int push_token(int q, int dir) const;
  // Width of a token counter register: enough for token_max's largest value.
  int token_bits() const;
};

// Reads and checks the whole definition; throws std::runtime_error naming the file and key.
Isa load_isa(const std::string& spine_path, const std::string& repo_root);

// ---- naming and expressions ----
std::string camel(const std::string& snake);  // ham_lanes -> HamLanes (also the RTL parameter name)
std::string upper(const std::string& s);
// Translates an expression over parameter names into C++ (`p.name`) or SystemVerilog (`CamelName`).
std::string expr_cpp(const std::string& expr, const std::string& prefix);
std::string expr_sv(const std::string& expr);
// Evaluates an expression with the parameters' defaults (throws on a bad expression or unknown name).
long expr_eval(const std::string& expr, const std::map<std::string, long>& values, const std::string& where);
std::set<std::string> expr_names(const std::string& expr, const std::string& where);

// ---- emitters (one per generated file) ----
std::string emit_cpp_header(const Isa& isa);
std::string emit_sv_package(const Isa& isa);
std::string emit_sv_top(const Isa& isa);
std::string emit_manifest(const Isa& isa);
std::string emit_params_tsv(const Isa& isa);
std::string emit_isa_md(const Isa& isa);

extern const char* const kBanner;

}  // namespace isagen
