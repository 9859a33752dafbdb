// bitgrid-board-sim: the Verilated board (rtl/board/bg_board.sv, verilator --cc) behind a pseudo-terminal,
// so the fpga backend (sim/fpga_backend.cpp) runs the whole path -- host protocol, UART, board, accelerator
// -- without hardware. Built per hardware config by scripts/build_board_sim.sh, with ClksPerBit
// BG_CLKS_PER_BIT and ConfigHash = bitgrid::config_hash(config).
//
//   bitgrid-board-sim [--link PATH]
//
// Prints the pty's slave path (the "serial port") on stdout, and with --link makes PATH a symlink to it.
// Bytes the host writes to the port are shifted into the board's uart_rx_i pin (8N1, ClksPerBit clocks a
// bit, back to back); the board's uart_tx_o pin is decoded into bytes written back. The clock runs only
// while something happens: with no byte pending, the line idle for a while and no run in progress, the
// process blocks in ppoll() on the pty. SIGTERM / SIGINT end it cleanly (the symlink is removed).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <string>

#include "Vbg_board.h"
#include "verilated.h"

#ifndef BG_CLKS_PER_BIT
#error "BG_CLKS_PER_BIT (bg_board's ClksPerBit) must be defined"
#endif

namespace {

constexpr unsigned kClksPerBit = BG_CLKS_PER_BIT;
// Clock cycles the board keeps running after the last sign of activity before the process sleeps: long
// enough for a command's reply to start (a few cycles), the DRAM to drain after a run and the gaps of an
// 'R' reply.
constexpr unsigned kIdleCycles = 4096 + 40 * kClksPerBit;

volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "error: bitgrid-board-sim: %s\n", msg.c_str());
  std::exit(1);
}

// The host -> board direction: bytes shifted onto the rx pin, start bit, 8 data bits LSB first, stop bit.
struct RxShifter {
  std::deque<uint8_t> pending;
  int bit = -1;  // bit of the current frame (0 = start .. 9 = stop), -1 = idle
  unsigned clk = 0;
  uint8_t byte = 0;

  bool busy() const { return bit >= 0 || !pending.empty(); }
  // The pin's value for the coming clock cycle.
  bool step() {
    if (bit < 0) {
      if (pending.empty()) return true;
      byte = pending.front();
      pending.pop_front();
      bit = 0;
      clk = 0;
    }
    const bool v = bit == 0 ? false : bit == 9 ? true : ((byte >> (bit - 1)) & 1);
    if (++clk == kClksPerBit) {
      clk = 0;
      if (++bit == 10) bit = -1;
    }
    return v;
  }
};

// The board -> host direction: the tx pin sampled once a clock cycle, decoded in the middle of each bit.
struct TxDecoder {
  int bit = -1;  // -1 idle; 0 start .. 9 stop
  unsigned clk = 0;
  uint8_t byte = 0;

  bool busy() const { return bit >= 0; }
  // Returns true with `out` set when a frame's stop bit has been sampled.
  bool step(bool pin, uint8_t& out, bool& framing_error) {
    if (bit < 0) {
      if (pin) return false;
      bit = 0;
      clk = 0;
      byte = 0;
    }
    if (++clk != (bit == 0 ? kClksPerBit / 2 : kClksPerBit)) return false;
    clk = 0;
    if (bit == 0) {
      if (pin)
        bit = -1;  // a glitch, not a start bit
      else
        bit = 1;
      return false;
    }
    if (bit <= 8) {
      byte = static_cast<uint8_t>(byte | (static_cast<unsigned>(pin) << (bit - 1)));
      ++bit;
      return false;
    }
    bit = -1;  // the stop bit
    framing_error = !pin;
    out = byte;
    return true;
  }
};

}  // namespace

int main(int argc, char** argv) {
  std::string link;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--link" && i + 1 < argc) {
      link = argv[++i];
    } else if (a == "-h" || a == "--help") {
      std::printf("usage: %s [--link PATH]\n  prints the board's serial port (a pty) and serves it until SIGTERM\n",
                  argv[0]);
      return 0;
    } else {
      die("unknown argument '" + a + "' (usage: bitgrid-board-sim [--link PATH])");
    }
  }

  // The pty. The process keeps a slave descriptor of its own open, so the master never sees a hang-up
  // between hosts, and puts the line in raw mode before any host opens it.
  const int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) die(std::string("no pty: ") + std::strerror(errno));
  const char* sname = ptsname(master);
  if (!sname) die("ptsname failed");
  const std::string slave_path = sname;
  const int slave = ::open(slave_path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) die(slave_path + ": " + std::strerror(errno));
  termios t{};
  if (tcgetattr(slave, &t) == 0) {
    cfmakeraw(&t);
    tcsetattr(slave, TCSANOW, &t);
  }
  ::fcntl(master, F_SETFL, ::fcntl(master, F_GETFL) | O_NONBLOCK);

  if (!link.empty()) {
    ::unlink(link.c_str());
    if (::symlink(slave_path.c_str(), link.c_str()) != 0) die("--link " + link + ": " + std::strerror(errno));
  }
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: poll() returns EINTR
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::printf("%s\n", slave_path.c_str());
  std::fflush(stdout);

  auto ctx = std::make_unique<VerilatedContext>();
  ctx->commandArgs(argc, argv);
  auto top = std::make_unique<Vbg_board>(ctx.get(), "board");
  RxShifter rx;
  TxDecoder txd;
  std::string out;  // decoded bytes not yet written to the master
  unsigned long framing_errors = 0;

  top->clk_i = 0;
  top->rst_ni = 0;
  top->uart_rx_i = 1;
  top->eval();
  auto tick = [&] {
    top->clk_i = 1;
    top->eval();
    top->clk_i = 0;
    top->eval();
  };
  for (int i = 0; i < 4; ++i) tick();
  top->rst_ni = 1;

  uint64_t idle = 0;  // cycles without activity
  uint8_t buf[4096];
  while (!g_stop) {
    // Take the host's bytes when the shifter has run dry (one read per byte time at most).
    if (rx.pending.empty()) {
      const ssize_t n = ::read(master, buf, sizeof buf);
      if (n > 0) rx.pending.insert(rx.pending.end(), buf, buf + n);
    }
    if (!out.empty()) {
      const ssize_t n = ::write(master, out.data(), out.size());
      if (n > 0) out.erase(0, static_cast<size_t>(n));
    }
    // Sleep when nothing has happened for a while.
    if (rx.busy() || !out.empty()) idle = 0;
    if (idle > kIdleCycles) {
      // SIGTERM/SIGINT are blocked from the g_stop check until ppoll() waits: a signal in between would
      // otherwise be handled before poll() and leave it blocked for good (seen under load).
      sigset_t block, orig;
      sigemptyset(&block);
      sigaddset(&block, SIGTERM);
      sigaddset(&block, SIGINT);
      sigprocmask(SIG_BLOCK, &block, &orig);
      if (!g_stop) {
        pollfd pf{master, POLLIN, 0};
        const int rc = ::ppoll(&pf, 1, nullptr, &orig);
        if (rc < 0 && errno != EINTR) die(std::string("poll: ") + std::strerror(errno));
      }
      sigprocmask(SIG_SETMASK, &orig, nullptr);
      idle = 0;
      continue;
    }
    // Run a byte time (a run: 4096 cycles; a reply: until its next byte) between system calls.
    const unsigned chunk = top->running_o ? 4096 : 10 * kClksPerBit;
    for (unsigned c = 0; c < chunk && !g_stop; ++c) {
      top->uart_rx_i = rx.step();
      tick();
      // Activity, every cycle: a bit on either line, a byte being decoded, a run in progress.
      if (rx.bit >= 0 || txd.busy() || !top->uart_tx_o || top->running_o)
        idle = 0;
      else
        ++idle;
      uint8_t b;
      bool ferr = false;
      if (txd.step(top->uart_tx_o, b, ferr)) {
        out.push_back(static_cast<char>(b));
        if (ferr) ++framing_errors;
      }
      if (rx.pending.empty() && rx.bit < 0 && !out.empty()) break;
    }
  }

  top->final();
  if (!link.empty()) {
    char target[4096];
    const ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
    if (n > 0 && std::string(target, static_cast<size_t>(n)) == slave_path) ::unlink(link.c_str());
  }
  if (framing_errors) std::fprintf(stderr, "bitgrid-board-sim: %lu framing errors on the tx line\n", framing_errors);
  ::close(slave);
  ::close(master);
  return 0;
}
