#pragma once
// Timing shared by the C++ benchmarks: thread CPU time, best time per call.
#include <time.h>

#include <algorithm>
#include <cstdint>

namespace bgbench {

inline double thread_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Runs f() repeatedly until at least min_s seconds pass; best seconds per call over `reps` such rounds.
template <class F>
double best_per_call(F&& f, int reps, double min_s) {
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    uint64_t calls = 0;
    const double t0 = thread_seconds();
    double t = 0;
    do {
      f();
      ++calls;
      t = thread_seconds() - t0;
    } while (t < min_s);
    best = std::min(best, t / static_cast<double>(calls));
  }
  return best;
}

}  // namespace bgbench
