#pragma once
// Helpers shared by the Verilator unit tests of rtl/: the hardware parameters this test binary was
// verilated with (compile definitions set by tests/rtl/CMakeLists.txt, the same values as the -G
// arguments), bit access to Verilator ports of any width, instructions built with the generated encoders
// (bitgrid/gen/isa.h), and a clocked wrapper around a model that turns a failing SVA assertion into a
// test failure.
#include <gtest/gtest.h>
#include <verilated.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "bitgrid/gen/isa.h"
#include "vl_capture.h"

namespace bgtest {

constexpr unsigned kHamLanes = BG_HAM_LANES;
constexpr unsigned kHamQueries = BG_HAM_QUERIES;
constexpr unsigned kHamBitsPerLane = BG_HAM_BITS_PER_LANE;
constexpr unsigned kTopkMax = BG_TOPK_MAX;
constexpr unsigned kMaxCodeBits = BG_MAX_CODE_BITS;
constexpr unsigned kM = kHamBitsPerLane / 64;          // words per lane per step
constexpr unsigned kMaxCodeWords = kMaxCodeBits / 64;  // longest code in words

constexpr unsigned clog2(unsigned long v) {
  unsigned r = 0;
  while ((1ul << r) < v) ++r;
  return r;
}
// Width of a distance in hamming_unit.dist_o (same expression as the RTL's DistW).
constexpr unsigned kDistW = clog2((kMaxCodeBits > kHamBitsPerLane ? kMaxCodeBits : kHamBitsPerLane) + 1ul);

constexpr uint64_t mask64(unsigned w) { return w >= 64 ? ~uint64_t{0} : ((uint64_t{1} << w) - 1); }
constexpr unsigned ceil_div(unsigned a, unsigned b) { return (a + b - 1) / b; }

// ---- bit access: ports up to 64 bits are C++ integers, wider ones VlWide<N> (32-bit words) ----
template <typename T, std::enable_if_t<std::is_integral_v<T>, int> = 0>
uint64_t get_bits(const T& port, unsigned lsb, unsigned width) {
  return (static_cast<uint64_t>(port) >> lsb) & mask64(width);
}
template <std::size_t N>
uint64_t get_bits(const VlWide<N>& port, unsigned lsb, unsigned width) {
  uint64_t r = 0;
  for (unsigned b = 0; b < width;) {
    const unsigned bit = lsb + b, off = bit % 32;
    const unsigned take = (32 - off < width - b) ? 32 - off : width - b;
    r |= ((static_cast<uint64_t>(port.at(bit / 32)) >> off) & mask64(take)) << b;
    b += take;
  }
  return r;
}
template <typename T, std::enable_if_t<std::is_integral_v<T>, int> = 0>
void set_bits(T& port, unsigned lsb, unsigned width, uint64_t v) {
  const uint64_t m = mask64(width) << lsb;
  port = static_cast<T>((static_cast<uint64_t>(port) & ~m) | ((v << lsb) & m));
}
template <std::size_t N>
void set_bits(VlWide<N>& port, unsigned lsb, unsigned width, uint64_t v) {
  for (unsigned b = 0; b < width;) {
    const unsigned bit = lsb + b, off = bit % 32;
    const unsigned take = (32 - off < width - b) ? 32 - off : width - b;
    const uint64_t m = mask64(take) << off;
    uint64_t w = port.at(bit / 32);
    w = (w & ~m) | (((v >> b) << off) & m);
    port.at(bit / 32) = static_cast<EData>(w);
    b += take;
  }
}
// 64-bit word w of a port (bits 64w+63 .. 64w).
template <typename T>
uint64_t get_word(const T& port, unsigned w) {
  return get_bits(port, 64 * w, 64);
}
template <typename T>
void set_word(T& port, unsigned w, uint64_t v) {
  set_bits(port, 64 * w, 64, v);
}

// ---- instructions: 128 bits as uint64_t[2] (w[0] = bits 63:0), built with the generated encoders ----
using Insn = std::array<uint64_t, 2>;

// The encoding of a generated instruction struct (bitgrid::isa::LoadInsn, HamtopkInsn, ...).
template <class T>
Insn encode(const T& x) {
  Insn w{0, 0};
  x.encode(w.data());
  return w;
}
// Writes value v into field f of an instruction (e.g. isa::kOpcodeField for an undefined opcode).
inline void put_field(Insn& w, const bitgrid::isa::FieldDef& f, uint64_t v) {
  for (int b = 0; b < f.width; ++b) {
    const int bit = f.lsb + b;
    const uint64_t m = uint64_t{1} << (bit % 64);
    w[bit / 64] = ((v >> b) & 1) ? (w[bit / 64] | m) : (w[bit / 64] & ~m);
  }
}
// An instruction of `T` (a generated struct) with random values in every field of its opcode (the
// generated field table) and the given token flags, for tests that look at the opcode and flags only.
template <class T, class Rng>
Insn random_fields(bitgrid::isa::Deps deps, Rng& rng) {
  T x;
  x.deps = deps;
  Insn w = encode(x);
  const bitgrid::isa::OpDef* d = bitgrid::isa::op_def(static_cast<uint64_t>(T::kOp));
  for (int f = 0; f < d->num_fields; ++f) put_field(w, d->fields[f], rng());
  return w;
}
inline uint64_t get_field(const Insn& w, const bitgrid::isa::FieldDef& f) {
  uint64_t v = 0;
  for (int b = 0; b < f.width; ++b) v |= ((w[(f.lsb + b) / 64] >> ((f.lsb + b) % 64)) & 1) << b;
  return v;
}
template <class Port>
void set_insn(Port& port, const Insn& w) {
  set_word(port, 0, w[0]);
  set_word(port, 1, w[1]);
}
template <class Port>
Insn get_insn(const Port& port, unsigned index = 0) {
  return {get_word(port, 2 * index), get_word(port, 2 * index + 1)};
}
// The opcode values no instruction has (for the unknown-opcode fault): how many, and the nth (wrapping around).
inline unsigned undefined_opcodes() {
  unsigned n = 0;
  for (uint64_t v = 0; v < (uint64_t{1} << bitgrid::isa::kOpcodeField.width); ++v)
    n += bitgrid::isa::op_def(v) == nullptr;
  return n;
}
inline uint64_t undefined_opcode(unsigned nth = 0) {
  if (undefined_opcodes() == 0) return ~uint64_t{0};
  nth %= undefined_opcodes();
  for (uint64_t v = 0; v < (uint64_t{1} << bitgrid::isa::kOpcodeField.width); ++v)
    if (bitgrid::isa::op_def(v) == nullptr && nth-- == 0) return v;
  return ~uint64_t{0};
}

// A scratchpad request port (bitgrid_pkg::spm_req_t, a packed struct {req, we, addr}: addr in the low bits,
// as wide as the DMA instructions' spm_addr field, then we, then req).
struct SpmReq {
  bool req = false, we = false;
  uint32_t addr = 0;
};
constexpr unsigned kSpmAddrW = static_cast<unsigned>(bitgrid::isa::kLOAD_SPM_ADDR.width);
template <class Port>
SpmReq get_spm_req(const Port& port) {
  SpmReq r;
  r.addr = static_cast<uint32_t>(get_bits(port, 0, kSpmAddrW));
  r.we = get_bits(port, kSpmAddrW, 1) != 0;
  r.req = get_bits(port, kSpmAddrW + 1, 1) != 0;
  return r;
}

// ---- a clocked model: tick() = one cycle (inputs already set; falling eval, then rising edge) ----
template <class Dut, class = void>
struct HasReset : std::false_type {};
template <class Dut>
struct HasReset<Dut, std::void_t<decltype(std::declval<Dut&>().rst_ni)>> : std::true_type {};

// The model runs with the SVA assertions on (verilator --assert) and fatalOnError off: after every
// evaluation the wrapper looks at the context's error flag. A failing assertion fails the current test
// with the assertion's message (ADD_FAILURE), unless the test expects assertions (expect_assertions(true),
// for the tests that violate an invariant on purpose); then the messages are collected in fired().
template <class Dut>
class Clocked {
 public:
  Clocked() : ctx_(std::make_unique<VerilatedContext>()) {
    ctx_->fatalOnError(false);
    dut_ = std::make_unique<Dut>(ctx_.get());
    dut_->clk_i = 0;
    if constexpr (HasReset<Dut>::value) {
      dut_->rst_ni = 0;
      eval();
      dut_->clk_i = 1;  // a clock edge inside reset
      eval();
      dut_->clk_i = 0;
      eval();
      dut_->rst_ni = 1;
    }
    eval();
  }
  ~Clocked() { dut_->final(); }
  Clocked(const Clocked&) = delete;
  Clocked& operator=(const Clocked&) = delete;
  Dut* operator->() { return dut_.get(); }
  Dut& dut() { return *dut_; }
  // Settles the combinational outputs of the current cycle (clock low).
  void settle() {
    dut_->clk_i = 0;
    eval();
  }
  // Rising edge at the end of the current cycle; registered outputs then show the next cycle.
  void edge() {
    ctx_->time(cycle_);  // assertion messages show "[cycle]"
    dut_->clk_i = 1;
    eval();
    dut_->clk_i = 0;
    eval();
    ++cycle_;
  }
  void tick() {
    settle();
    edge();
  }
  uint64_t cycle() const { return cycle_; }

  // Assertions that fail from now on are expected: collected, not test failures.
  void expect_assertions(bool on) { expect_ = on; }
  // Messages of the expected assertions that failed so far (one per evaluation that failed), and forgets them.
  std::vector<std::string> take_fired() { return std::exchange(fired_, {}); }

 private:
  void eval() {
    dut_->eval();
    if (!ctx_->gotError()) {
      bgtest::take_vl_output();
      return;
    }
    std::string msg;
    const std::string out = bgtest::take_vl_output();
    for (size_t pos = 0; pos < out.size();) {
      size_t end = out.find('\n', pos);
      if (end == std::string::npos) end = out.size();
      const std::string line = out.substr(pos, end - pos);
      if (line.find("Error") != std::string::npos) msg += (msg.empty() ? "" : " | ") + line;
      pos = end + 1;
    }
    if (msg.empty()) msg = "(no message)";
    ctx_->gotError(false);
    ctx_->gotFinish(false);
    ctx_->errorCount(0);
    if (expect_) {
      fired_.push_back(msg);
    } else {
      ADD_FAILURE() << "SVA assertion failed in cycle " << cycle_ << ": " << msg;
    }
  }

  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Dut> dut_;
  uint64_t cycle_ = 0;
  bool expect_ = false;
  std::vector<std::string> fired_;
};

// Whether one of `fired` contains `text`.
inline bool fired_with(const std::vector<std::string>& fired, const std::string& text) {
  for (const auto& m : fired)
    if (m.find(text) != std::string::npos) return true;
  return false;
}

}  // namespace bgtest
