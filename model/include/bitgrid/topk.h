#pragma once
// Top-k selection with bitgrid's total order: by distance, then by database index (lower first).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "bitgrid/hamming.h"

namespace bitgrid {

struct Neighbor {
  uint32_t dist = 0xFFFFFFFFu;
  uint32_t index = 0xFFFFFFFFu;  // the empty entry is all ones
  uint64_t key() const { return (uint64_t{dist} << 32) | index; }
  bool empty() const { return dist == 0xFFFFFFFFu && index == 0xFFFFFFFFu; }
  // rbuf / DRAM word: {index[63:32], distance[31:0]}
  uint64_t word() const { return (uint64_t{index} << 32) | dist; }
  static Neighbor from_word(uint64_t w) { return {static_cast<uint32_t>(w), static_cast<uint32_t>(w >> 32)}; }
  bool operator<(const Neighbor& o) const { return key() < o.key(); }
  bool operator==(const Neighbor& o) const { return key() == o.key(); }
};

// Keeps the k smallest neighbours seen, ascending. Insertion is O(k) worst case but O(1) for the
// common rejection against the current k-th key, which is what makes the scan fast.
class TopK {
 public:
  explicit TopK(size_t k) : k_(k) { list_.reserve(k + 1); }
  void reset() { list_.clear(); }
  size_t k() const { return k_; }
  // Threshold key: a candidate must be below it to enter (all ones while not full).
  uint64_t threshold() const { return list_.size() < k_ ? ~uint64_t{0} : list_.back().key(); }
  void push(Neighbor c);
  // Exactly k entries, ascending, padded with empty entries.
  std::vector<Neighbor> result() const;

 private:
  size_t k_;
  std::vector<Neighbor> list_;
};

// k nearest database codes to each query (brute force, one thread): result[q*k + i].
std::vector<Neighbor> knn_hamming(const CodeSet& db, const CodeSet& queries, size_t k);

// Scan kernels of knn_hamming. All give identical results; they differ in speed only. kAuto (what the
// 3-argument knn_hamming uses) picks the fastest one this CPU supports: AVX-512 VPOPCNTDQ, else scalar
// POPCNT, else portable C++. Selecting one explicitly is for tests and benchmarks.
enum class KnnKernel { kAuto, kPortable, kPopcnt, kAvx512 };
bool knn_kernel_supported(KnnKernel kernel);
const char* knn_kernel_name(KnnKernel kernel);  // kAuto: the name of the kernel it resolves to
// Throws bitgrid::Error when the kernel is not supported on this CPU.
std::vector<Neighbor> knn_hamming(const CodeSet& db, const CodeSet& queries, size_t k, KnnKernel kernel);

}  // namespace bitgrid
