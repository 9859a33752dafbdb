#pragma once
// A one-line progress bar on stderr with the time left, redrawn at most 5 times a second; shown only when stderr
// is a terminal and the user did not ask for --quiet, and cleared when done (so logs hold only the summary).
// The total may be an estimate (a simulator's cycles: the roofline bound): the bar then stops at 99% until
// finish(). Used by sweeps and by the simulators (bitgrid run's long runs).
#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

namespace bitgrid {

class Progress {
 public:
  // `estimate`: the total is a guess (see above); `unit` follows the counts ("" or e.g. " cycles").
  Progress(std::string what, double total, bool quiet, bool estimate = false, std::string unit = "")
      : what_(std::move(what)),
        unit_(std::move(unit)),
        total_(total),
        on_(!quiet && isatty(STDERR_FILENO)),
        estimate_(estimate),
        t0_(std::chrono::steady_clock::now()) {}
  ~Progress() { finish(); }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  bool enabled() const { return on_; }

  // `done` of the total so far; `note` is appended (e.g. "2 failed").
  void update(double done, const std::string& note = "") {
    if (!on_) return;
    const auto now = std::chrono::steady_clock::now();
    if (drawn_ && now - last_ < std::chrono::milliseconds(200) && done < total_) return;
    last_ = now;
    drawn_ = true;
    const double el = std::chrono::duration<double>(now - t0_).count();
    const double f = total_ > 0 ? std::min(done >= total_ && estimate_ ? 0.99 : 1.0, done / total_) : 0.0;
    const int w = 24, fill = static_cast<int>(f * w);
    std::string left = "?";
    if (done > 0 && f > 0 && f < 1) left = clock(el * (1 - f) / f);
    if (f >= 1) left = "0:00";
    std::fprintf(stderr, "\r%s [%s%s] %.0f/%s%.0f%s  %s elapsed, ~%s left%s%s\x1b[K", what_.c_str(),
                 std::string(static_cast<size_t>(fill), '#').c_str(),
                 std::string(static_cast<size_t>(w - fill), '.').c_str(), done, estimate_ ? "~" : "", total_,
                 unit_.c_str(), clock(el).c_str(), left.c_str(), note.empty() ? "" : ", ", note.c_str());
    std::fflush(stderr);
  }
  void finish() {
    if (on_ && drawn_) {
      std::fprintf(stderr, "\r\x1b[K");
      std::fflush(stderr);
    }
    drawn_ = false;
  }

  static std::string clock(double s) {
    const long t = static_cast<long>(s + 0.5);
    return t >= 3600 ? fmt::format("{}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60)
                     : fmt::format("{}:{:02}", t / 60, t % 60);
  }

 private:
  std::string what_, unit_;
  double total_;
  bool on_, estimate_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point t0_, last_;
};

}  // namespace bitgrid
