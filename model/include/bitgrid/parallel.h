#pragma once
// A fixed split of an index range over threads, for work whose results must not depend on the thread count:
// each call of the worker writes only the results of its own indices.
#include <algorithm>
#include <cstddef>
#include <thread>
#include <vector>

namespace bitgrid {

// The threads parallel_for uses at most: the hardware's, 1..16.
inline size_t parallel_threads() { return std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 16); }

// Calls fn(begin, end) on chunks = min(max_chunks, parallel_threads(), n) contiguous slices of [0, n) (at least
// one), slice t = [n*t/chunks, n*(t+1)/chunks): slice 0 on the calling thread, each other one on a thread of its
// own. Returns when all are done; n = 0 calls nothing.
template <class F>
void parallel_for(size_t n, size_t max_chunks, F&& fn) {
  if (n == 0) return;
  const size_t chunks = std::clamp<size_t>(std::min(max_chunks, parallel_threads()), 1, n);
  std::vector<std::thread> pool;
  for (size_t t = 1; t < chunks; ++t)
    pool.emplace_back([&fn, n, t, chunks] { fn(n * t / chunks, n * (t + 1) / chunks); });
  fn(0, n / chunks);
  for (auto& th : pool) th.join();
}

}  // namespace bitgrid
