#pragma once
// The reference model's engine contract (docs/ARCHITECTURE.md §6). A compute engine is the behaviour of
// its opcodes (configs/isa/engines/<name>.yaml) on the machine's scratchpads: legality, execution time,
// the regions it touches, the actions it spends energy on, and the function itself. The program checker,
// the functional executor, the SystemC model and the energy/roofline report all go through this
// interface, so a new engine adds a source file and one line in model/src/engine_registry.cpp.
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bitgrid/gen/isa.h"
#include "bitgrid/hwconfig.h"
#include "bitgrid/insn.h"

namespace bitgrid {

// The machine's scratchpads: one array of 64-bit words per buffer, sized by the hardware config, zero
// at the start of every job.
class Scratchpads {
 public:
  explicit Scratchpads(const HwConfig& hw);
  uint64_t* data(isa::Buf b, uint64_t addr = 0) { return bufs_[static_cast<size_t>(b)].data() + addr; }
  const uint64_t* data(isa::Buf b, uint64_t addr = 0) const { return bufs_[static_cast<size_t>(b)].data() + addr; }
  uint64_t words(isa::Buf b) const { return bufs_[static_cast<size_t>(b)].size(); }

 private:
  std::array<std::vector<uint64_t>, isa::kNumBufs> bufs_;
};

// Words an instruction writes to a buffer. The executor applies them at once; the SystemC model when
// the instruction completes (rule R2), which is when the hardware's last write lands.
struct SpmWrite {
  isa::Buf buf = isa::Buf{};
  uint64_t addr = 0;
  std::vector<uint64_t> words;
};

// A region an instruction reads or writes: words of a buffer, or bytes of DRAM. The program checker
// uses them to find data races (two units touching one word, one of them writing, with no chain of
// dependency tokens between them).
struct Access {
  static constexpr int kDram = isa::kNumBufs;  // `space` of DRAM; buffers are their isa::Buf number
  int space = 0;
  uint64_t lo = 0, hi = 0;  // [lo, hi): words of a buffer, bytes of DRAM
  bool write = false;
};

// Named action counts of a program (identical on every backend: they follow from the program alone).
// Keys: "<engine>.<action>" (configs/isa/engines/*.yaml actions), "sram.<buffer>.read_words",
// "sram.<buffer>.write_words", "dram.read_bytes", "dram.write_bytes". `useful` holds, per engine, the
// work done in the unit of its peak rate (isa::EngineDef::peak_unit), for the roofline.
struct ActionCounts {
  std::map<std::string, uint64_t> count;
  std::map<std::string, double> useful;
  std::array<uint64_t, isa::kNumQueues> insns{};  // instructions per queue
  uint64_t get(const std::string& key) const {
    const auto it = count.find(key);
    return it == count.end() ? 0 : it->second;
  }
};

// The key of a buffer's word reads or writes in ActionCounts.
inline std::string sram_key(isa::Buf b, bool write) {
  return std::string("sram.") + isa::kBufNames[static_cast<size_t>(b)] + (write ? ".write_words" : ".read_words");
}

// The physical arrays behind a buffer an engine owns (isa::BufDef::owned, ARCHITECTURE.md §6): the KiB of the
// array one access touches (a bank of one copy) and how many arrays each DMA word is written into.
struct OwnedArrays {
  double access_kib = 0;
  uint64_t write_copies = 1;
};

class Engine {
 public:
  virtual ~Engine() = default;
  // The engine's generated definition (name, energy actions, peak unit); its index in isa::kEngines.
  virtual int index() const = 0;
  const isa::EngineDef& def() const { return isa::kEngines[static_cast<size_t>(index())]; }
  const char* name() const { return def().name; }

  // Hardware-config checks of the engine's own parameters (e.g. that a buffer holds one operand).
  // Throws Error("<where>.<param>: ...").
  virtual void validate(const HwConfig& hw, const std::string& where) const = 0;
  // Static legality of one of its instructions on this machine: field ranges, alignment, buffer bounds.
  // Returns "" when legal, else why (the checker names the instruction).
  virtual std::string check(const Insn& in, const HwConfig& hw) const = 0;
  // Execution time E (cycles from issue to completion, rule R2) of a legal instruction; the one
  // implementation the reference model and the SystemC model use.
  virtual uint64_t cycles(const Insn& in, const HwConfig& hw) const = 0;
  // Regions the instruction reads and writes.
  virtual void accesses(const Insn& in, const HwConfig& hw, std::vector<Access>& out) const = 0;
  // Adds the instruction's energy actions, its scratchpad word reads/writes and its useful work.
  virtual void count(const Insn& in, const HwConfig& hw, ActionCounts& a) const = 0;
  // The function: reads `spm` (as it is at issue) and returns the words the instruction writes.
  virtual void execute(const Insn& in, const HwConfig& hw, const Scratchpads& spm,
                       std::vector<SpmWrite>& writes) const = 0;
  // For a buffer this engine owns: its physical arrays, by which the energy model prices the buffer's accesses
  // (reads at access_kib, DMA writes write_copies times at access_kib). Other engines and buffers: none.
  virtual bool owned_arrays(isa::Buf, const HwConfig&, OwnedArrays&) const { return false; }
};

// The registry (model/src/engine_registry.cpp): every engine, in isa::kEngines order.
const std::vector<const Engine*>& engines();
// The engine of an opcode; nullptr for spine instructions and unknown opcodes.
const Engine* engine_of(uint64_t opcode);
inline const Engine* engine_of(const Insn& in) { return engine_of(in.opcode()); }

}  // namespace bitgrid
