#pragma once
// Functional executor of the ISA (the `reference` backend): runs a program on a DRAM image with the
// queue/token semantics but no timing, and counts the actions the energy model prices.
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "bitgrid/hwconfig.h"
#include "bitgrid/insn.h"

namespace bitgrid {

// Action counts of a program; identical on every backend because they follow from the program alone.
struct ActionCounts {
  uint64_t ham_word_ops = 0;          // 64-bit XOR+popcount lane operations (padding lanes included)
  uint64_t topk_merges = 0;           // group merges of ham_lanes candidates into the top-k list
  uint64_t useful_code_compares = 0;  // (query, database code) pairs
  uint64_t useful_bits = 0;           // code bits compared in those pairs
  std::map<std::string, uint64_t> sram_read_words, sram_write_words;  // per buffer name
  uint64_t dram_read_bytes = 0, dram_write_bytes = 0;
  std::array<uint64_t, 3> insns{};    // per queue
  uint64_t ideal_compute_cycles = 0;  // sum over hamtopk of G*S (the lanes' minimum)
};

ActionCounts count_actions(const Program& p, const HwConfig& hw);

// Executes the program (check_program must have passed). Returns the final DRAM image.
std::vector<uint8_t> execute(const Program& p, const HwConfig& hw, std::vector<uint8_t> dram);

// Runs the abstract queue machine (dispatch in order into queues of queue_depth, issue by tokens)
// and calls on_issue(index) for every instruction in a legal execution order. Throws Error on a
// deadlock (naming each queue's stuck head and the token it waits for) or a token overflow.
template <class F>
void walk_queues(const Program& p, const HwConfig& hw, F&& on_issue);
void walk_queues_impl(const Program& p, const HwConfig& hw, const std::function<void(size_t)>& on_issue);
template <class F>
void walk_queues(const Program& p, const HwConfig& hw, F&& on_issue) {
  walk_queues_impl(p, hw, std::function<void(size_t)>(on_issue));
}

}  // namespace bitgrid
