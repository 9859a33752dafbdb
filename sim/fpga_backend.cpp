// bitgrid::run_backend() for the fpga backend: a board (rtl/board/bg_board.sv, docs/BOARD.md) on a serial
// port runs the job. The host identifies the board and checks it against the job (beat bytes, memory,
// program capacity, the config hash of bitgrid/config_hash.h), writes the DRAM image and the program,
// starts the run, reads the run report and the DRAM image back. Every read has a deadline; every failure
// is one line naming the port.
//
// What the board cannot report, and how the result is filled instead:
// - units[q].insns: the program's instructions of queue q (a run that ended with done has issued them all;
//   after a machine fault the count is not known and is the same number);
// - fault.insn: the board reports the causes and the cycle, not the instruction; the host names the
//   first instruction, in program order, whose issue_faults() shares a bit with the reported causes (the
//   earliest such instruction of its queue is the only one of that queue that can have reached the head).
//   The rtl harness names the faulty head of the lowest queue in the fault cycle; the two differ only
//   when faulty instructions of two queues could both have been at their heads;
// - insn_log: none.
#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "backend.h"
#include "bitgrid/checker.h"
#include "bitgrid/config_hash.h"
#include "bitgrid/error.h"
#include "board_protocol.h"

namespace bitgrid {

namespace {

using Clock = std::chrono::steady_clock;

using board::kProtocolVersion;
constexpr double kIdentifyTimeout = 2.0;            // seconds for the 'I' reply
constexpr uint64_t kDefaultMaxCycles = 1000000000;  // 'S' without --max-cycles (83 s at 12 MHz)

std::string hex32(uint32_t v) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%08x", v);
  return b;
}

std::string seconds(double s) {
  char b[32];
  std::snprintf(b, sizeof b, s == std::floor(s) ? "%.0f s" : "%.1f s", s);
  return b;
}

std::string byte_text(uint8_t c) {
  char b[32];
  if (c >= 0x20 && c < 0x7f)
    std::snprintf(b, sizeof b, "'%c'", c);
  else
    std::snprintf(b, sizeof b, "0x%02x", c);
  return b;
}

const char* board_error(uint8_t code) {
  switch (code) {
    case 1:
      return "unknown command";
    case 2:
      return "bad address or count";
    case 3:
      return "program too long";
    case 4:
      return "no program loaded";
    default:
      return "unknown error code";
  }
}

speed_t baud_constant(unsigned baud) {
  switch (baud) {
    case 9600:
      return B9600;
    case 19200:
      return B19200;
    case 38400:
      return B38400;
    case 57600:
      return B57600;
    case 115200:
      return B115200;
    case 230400:
      return B230400;
    case 460800:
      return B460800;
    case 500000:
      return B500000;
    case 921600:
      return B921600;
    case 1000000:
      return B1000000;
    case 2000000:
      return B2000000;
    case 3000000:
      return B3000000;
    default:
      throw Error("--baud " + std::to_string(baud) +
                  ": not a supported rate (9600, 19200, 38400, 57600, 115200, 230400, 460800, 500000, 921600, "
                  "1000000, 2000000, 3000000)");
  }
}

// The serial link: raw 8N1, no flow control, non-blocking I/O with poll() deadlines.
class Serial {
 public:
  Serial(const std::string& path, unsigned baud) : path_(path), baud_(baud ? baud : 115200) {
    const speed_t speed = baud_constant(baud_);
    fd_ = ::open(path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd_ < 0) throw Error("cannot open the board's port " + path + ": " + std::strerror(errno));
    termios t{};
    if (!::isatty(fd_) || ::tcgetattr(fd_, &t) != 0) {
      ::close(fd_);
      throw Error(path + " is not a serial port (a tty)");
    }
    ::cfmakeraw(&t);
    t.c_cflag &= ~static_cast<tcflag_t>(CSTOPB | PARENB | CSIZE | CRTSCTS);
    t.c_cflag |= CS8 | CLOCAL | CREAD;
    t.c_iflag &= ~static_cast<tcflag_t>(IXON | IXOFF | IXANY);
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    ::cfsetispeed(&t, speed);
    ::cfsetospeed(&t, speed);
    if (::tcsetattr(fd_, TCSANOW, &t) != 0) {
      const int e = errno;
      ::close(fd_);
      throw Error("cannot configure " + path + " (8N1, " + std::to_string(baud_) + " baud): " + std::strerror(e));
    }
    ::tcflush(fd_, TCIOFLUSH);  // stale bytes of an earlier session
  }
  ~Serial() {
    if (fd_ >= 0) ::close(fd_);
  }
  Serial(const Serial&) = delete;
  Serial& operator=(const Serial&) = delete;

  const std::string& path() const { return path_; }
  unsigned baud() const { return baud_; }
  // Seconds the line needs for n bytes (10 bits each), doubled, plus `base`.
  double budget(size_t n, double base) const { return base + 2.0 * 10.0 * static_cast<double>(n) / baud_; }

  void write_all(const uint8_t* p, size_t n, Clock::time_point deadline, const std::string& what) {
    size_t done = 0;
    while (done < n) {
      const ssize_t w = ::write(fd_, p + done, n - done);
      if (w > 0) {
        done += static_cast<size_t>(w);
        continue;
      }
      if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        throw Error("board on " + path_ + ": writing " + what + " failed: " + std::strerror(errno));
      wait(POLLOUT, deadline, [&] {
        return "board on " + path_ + " did not take " + what + " (" + std::to_string(done) + " of " +
               std::to_string(n) + " bytes sent)";
      });
    }
  }

  // Reads exactly n bytes before the deadline; `what` names the reply for the timeout message.
  void read_exact(uint8_t* p, size_t n, Clock::time_point deadline, double timeout_s, const std::string& what) {
    size_t got = 0;
    while (got < n) {
      const ssize_t r = ::read(fd_, p + got, n - got);
      if (r > 0) {
        got += static_cast<size_t>(r);
        continue;
      }
      if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        throw Error("board on " + path_ + ": reading " + what + " failed: " + std::strerror(errno));
      wait(POLLIN, deadline, [&] {
        if (got == 0) return "board on " + path_ + " did not answer " + what + " within " + seconds(timeout_s);
        return "board on " + path_ + ": " + what + " stopped after " + std::to_string(got) + " of " +
               std::to_string(n) + " bytes (timeout " + seconds(timeout_s) + ")";
      });
    }
  }

 private:
  template <class Msg>
  void wait(short events, Clock::time_point deadline, Msg msg) {
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) throw Error(msg());
      pollfd pf{fd_, events, 0};
      const int rc = ::poll(&pf, 1, static_cast<int>(std::min<long long>(left, 1000)));
      if (rc < 0 && errno == EINTR) continue;
      if (rc < 0) throw Error("board on " + path_ + ": poll failed: " + std::strerror(errno));
      if (rc > 0) {
        if (pf.revents & (POLLERR | POLLNVAL)) throw Error("board on " + path_ + ": the port failed (" + msg() + ")");
        if (pf.revents & POLLHUP) throw Error("board on " + path_ + ": the port hung up (" + msg() + ")");
        return;
      }
    }
  }

  std::string path_;
  unsigned baud_;
  int fd_ = -1;
};

void put_le(std::vector<uint8_t>& b, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
uint64_t get_le(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

struct BoardInfo {
  unsigned beat_bytes = 0, insn_bytes = 0, num_queues = 0;
  uint32_t mem_bytes = 0, prog_capacity = 0, config_hash = 0;
};

// The protocol (docs/BOARD.md) over a Serial.
class Board {
 public:
  explicit Board(Serial& s) : s_(s) {}

  BoardInfo identify() {
    const auto deadline = Clock::now() + to_duration(kIdentifyTimeout);
    send({'I'}, deadline, "'I'");
    uint8_t r[18];
    try {
      head(r[0], 'I', "'I'", deadline, kIdentifyTimeout);
      s_.read_exact(r + 1, sizeof r - 1, deadline, kIdentifyTimeout, "'I'");
    } catch (const Error& e) {
      const std::string m = e.what();
      if (m.find("did not answer") == std::string::npos && m.find("stopped after") == std::string::npos) throw;
      throw Error(m + " (a board with its bitstream, at " + std::to_string(s_.baud()) +
                  " baud? one left in the middle of a command needs a reset)");
    }
    if (r[17] != 'K')
      throw Error("board on " + s_.path() + ": the 'I' reply does not end with 'K' (" + byte_text(r[17]) + ")");
    if (r[1] != kProtocolVersion)
      throw Error("board on " + s_.path() + " speaks protocol version " + std::to_string(r[1]) + ", this host " +
                  std::to_string(kProtocolVersion));
    BoardInfo b;
    b.beat_bytes = r[2] ? r[2] : 256;
    b.insn_bytes = r[3];
    b.num_queues = r[4];
    b.mem_bytes = static_cast<uint32_t>(get_le(r + 5, 4));
    b.prog_capacity = static_cast<uint32_t>(get_le(r + 9, 4));
    b.config_hash = static_cast<uint32_t>(get_le(r + 13, 4));
    return b;
  }

  void write_memory(uint32_t addr, const std::vector<uint8_t>& data) {
    const double t = s_.budget(data.size() + 9, 2.0);
    const auto deadline = Clock::now() + to_duration(t);
    std::vector<uint8_t> cmd{'W'};
    put_le(cmd, addr, 4);
    put_le(cmd, data.size(), 4);
    send(cmd, deadline, "'W'");
    s_.write_all(data.data(), data.size(), deadline, "the DRAM image");
    ok("'W'", deadline, t);
  }

  std::vector<uint8_t> read_memory(uint32_t addr, uint32_t count) {
    const double t = s_.budget(count + 11, 2.0);
    const auto deadline = Clock::now() + to_duration(t);
    std::vector<uint8_t> cmd{'R'};
    put_le(cmd, addr, 4);
    put_le(cmd, count, 4);
    send(cmd, deadline, "'R'");
    uint8_t d;
    head(d, 'D', "'R'", deadline, t);
    std::vector<uint8_t> data(count);
    s_.read_exact(data.data(), count, deadline, t, "'R' (the DRAM image)");
    ok("'R'", deadline, t);
    return data;
  }

  void program(const Program& p) {
    std::vector<uint8_t> cmd{'P'};
    put_le(cmd, p.insns.size(), 4);
    for (const Insn& in : p.insns) {
      put_le(cmd, in.w[0], 8);
      put_le(cmd, in.w[1], 8);
    }
    const double t = s_.budget(cmd.size() + 2, 2.0);
    const auto deadline = Clock::now() + to_duration(t);
    send(cmd, deadline, "'P'");
    ok("'P'", deadline, t);
  }

  // 'S': returns the report after 'F' (without the final 'K').
  std::vector<uint8_t> start(uint64_t max_cycles, size_t report_bytes, double timeout_s) {
    const auto deadline = Clock::now() + to_duration(timeout_s);
    std::vector<uint8_t> cmd{'S'};
    put_le(cmd, max_cycles, 8);
    send(cmd, deadline, "'S'");
    uint8_t f;
    head(f, 'F', "'S'", deadline, timeout_s);
    std::vector<uint8_t> rep(report_bytes);
    s_.read_exact(rep.data(), rep.size(), deadline, timeout_s, "'S' (the run report)");
    ok("'S'", deadline, timeout_s);
    return rep;
  }

 private:
  static Clock::duration to_duration(double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  }
  void send(const std::vector<uint8_t>& b, Clock::time_point deadline, const std::string& what) {
    s_.write_all(b.data(), b.size(), deadline, what);
  }
  // The first byte of a reply: `want`, or 'E' + code (an error), else a protocol error.
  void head(uint8_t& c, uint8_t want, const std::string& what, Clock::time_point deadline, double t) {
    s_.read_exact(&c, 1, deadline, t, what);
    if (c == want) return;
    if (c == 'E') {
      uint8_t code = 0;
      s_.read_exact(&code, 1, deadline, t, what + " (its error code)");
      throw Error("board on " + s_.path() + " refused " + what + ": error " + std::to_string(code) + " (" +
                  board_error(code) + ")");
    }
    throw Error("board on " + s_.path() + " answered " + byte_text(c) + " to " + what + ", expected " +
                byte_text(want) + " (out of step? reset the board)");
  }
  void ok(const std::string& what, Clock::time_point deadline, double t) {
    uint8_t c;
    head(c, 'K', what, deadline, t);
  }

  Serial& s_;
};

// See the header comment: the instruction the rtl harness would most likely name for these causes.
int64_t fault_insn(const Program& p, const HwConfig& hw, uint32_t causes) {
  bool seen[isa::kNumQueues] = {};
  for (size_t i = 0; i < p.insns.size(); ++i) {
    const uint32_t f = issue_faults(p.insns[i], hw);
    if (!f) continue;
    const auto q = static_cast<size_t>(p.insns[i].queue());
    if (seen[q]) continue;  // a later faulty instruction of a queue never reaches its head
    seen[q] = true;
    if (f & causes) return static_cast<int64_t>(i);
  }
  return -1;
}

}  // namespace

const char* backend_name() { return "fpga"; }

SimResult run_backend(const HwConfig& hw, const Program& program, std::vector<uint8_t> memory, const SimOptions& opt) {
  if (opt.port.empty()) throw Error("fpga: no serial port given (--port DEVICE)");
  Serial serial(opt.port, opt.baud);
  Board board(serial);
  const BoardInfo b = board.identify();
  const std::string on = " on " + serial.path();

  if (b.insn_bytes != 16 || b.num_queues != isa::kNumQueues)
    throw Error("board" + on + " has " + std::to_string(b.insn_bytes) + "-byte instructions and " +
                std::to_string(b.num_queues) + " queues, this host " + std::to_string(16) + " and " +
                std::to_string(isa::kNumQueues));
  if (static_cast<long>(b.beat_bytes) != hw.dram_bytes_per_cycle)
    throw Error("board" + on + " has " + std::to_string(b.beat_bytes) + "-byte DRAM beats, the job's config " +
                std::to_string(hw.dram_bytes_per_cycle) + " (dram_bytes_per_cycle)");
  const uint32_t want_hash = config_hash(hw);
  if (b.config_hash != want_hash)
    throw Error("board" + on + " was built for another hardware config (ConfigHash " + hex32(b.config_hash) +
                ", the job's " + hex32(want_hash) + "): build the board for this config");
  const size_t beat = b.beat_bytes;
  const size_t padded = (memory.size() + beat - 1) / beat * beat;
  if (padded > b.mem_bytes)
    throw Error("the job's DRAM image (" + std::to_string(memory.size()) +
                " bytes) does not fit the memory of the board" + on + " (" + std::to_string(b.mem_bytes) + " bytes)");
  if (program.insns.size() > b.prog_capacity)
    throw Error("the job's program (" + std::to_string(program.insns.size()) +
                " instructions) does not fit the program memory of the board" + on + " (" +
                std::to_string(b.prog_capacity) + " instructions)");

  std::vector<uint8_t> image = memory;
  image.resize(padded, 0);
  board.write_memory(0, image);
  board.program(program);

  const uint64_t max_cycles = opt.max_cycles ? opt.max_cycles : kDefaultMaxCycles;
  // A real board runs at >= 12 MHz, the simulated one (bitgrid-board-sim) at >= ~100 k cycles/s.
  const double run_timeout = 10.0 + static_cast<double>(max_cycles) / 1e5;
  const size_t nq = b.num_queues;
  const size_t report_bytes = board::run_report_bytes(nq);  // after 'F', before 'K'
  const auto t_run = Clock::now();
  const std::vector<uint8_t> rep = board.start(max_cycles, report_bytes, run_timeout);
  const double run_wall = std::chrono::duration<double>(Clock::now() - t_run).count();

  SimResult res;
  res.backend = "fpga";
  const board::RunReport report = board::decode_run_report(rep.data(), nq, b.beat_bytes);
  const uint8_t status = report.status, causes = report.causes, flags = report.flags;
  res.cycles = report.cycles;
  for (size_t q = 0; q < nq; ++q) res.units[q].busy_cycles = report.busy[q];
  res.dram = report.dram;
  if (flags & 1)
    throw Error("board" + on + ": the DRAM stand-in's request FIFO overflowed in the run (its timing and data cannot " +
                "be trusted)");
  if (flags & 2)
    throw Error("board" + on + ": the run made a DRAM request outside the board's memory or not beat-aligned");
  if (status == 2)
    throw Error("fpga: cycle limit: done not raised within " + std::to_string(max_cycles) + " cycles" +
                (opt.max_cycles ? " (--max-cycles)" : " (the default limit; raise it with --max-cycles)"));
  if (status > 2) throw Error("board" + on + " reported an unknown run status " + std::to_string(status));

  for (const Insn& in : program.insns) ++res.units[static_cast<size_t>(in.queue())].insns;
  if (status == 1) {
    if (causes == 0) throw Error("board" + on + " reported a machine fault with no cause");
    if (res.cycles == 0) throw Error("board" + on + " reported a machine fault in cycle 0");
    res.fault.causes = causes;
    res.fault.cycle = res.cycles - 1;
    res.fault.timed = true;
    res.fault.insn = fault_insn(program, hw, causes);
  }

  std::vector<uint8_t> out = board.read_memory(0, static_cast<uint32_t>(padded));
  out.resize(memory.size());
  res.memory = std::move(out);
  res.wall_seconds = run_wall;
  return res;
}

}  // namespace bitgrid
