#pragma once
// Helpers shared by the Verilator unit tests of rtl/: the hardware parameters this test binary was
// verilated with (compile definitions set by tests/rtl/CMakeLists.txt, the same values as the -G
// arguments), bit access to Verilator ports of any width, and a clocked wrapper around a model.
#include <verilated.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>

namespace bgtest {

constexpr unsigned kHamLanes = BG_HAM_LANES;
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

// ---- a clocked model: tick() = one cycle (inputs already set; falling eval, then rising edge) ----
template <class Dut>
class Clocked {
 public:
  Clocked() : ctx_(std::make_unique<VerilatedContext>()), dut_(std::make_unique<Dut>(ctx_.get())) {
    dut_->clk_i = 0;
    dut_->rst_ni = 0;
    dut_->eval();
    dut_->clk_i = 1;  // a clock edge inside reset
    dut_->eval();
    dut_->clk_i = 0;
    dut_->eval();
    dut_->rst_ni = 1;
    dut_->eval();
  }
  ~Clocked() { dut_->final(); }
  Dut* operator->() { return dut_.get(); }
  Dut& dut() { return *dut_; }
  // Settles the combinational outputs of the current cycle (clock low).
  void settle() {
    dut_->clk_i = 0;
    dut_->eval();
  }
  // Rising edge at the end of the current cycle; registered outputs then show the next cycle.
  void edge() {
    dut_->clk_i = 1;
    dut_->eval();
    dut_->clk_i = 0;
    dut_->eval();
    ++cycle_;
  }
  void tick() {
    settle();
    edge();
  }
  uint64_t cycle() const { return cycle_; }

 private:
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Dut> dut_;
  uint64_t cycle_ = 0;
};

}  // namespace bgtest
