// Reference Hamming distance and top-k, checked against bit-by-bit and full-sort computations.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "bitgrid/floatknn.h"
#include "bitgrid/hamming.h"
#include "bitgrid/topk.h"

using namespace bitgrid;

namespace {
uint32_t naive_distance(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  uint32_t d = 0;
  for (size_t i = 0; i < a.size() * 8; ++i) d += ((a[i / 8] >> (i % 8)) & 1) != ((b[i / 8] >> (i % 8)) & 1);
  return d;
}
}  // namespace

TEST(Hamming, MatchesBitByBitCountOnFaissLayoutBytes) {
  std::mt19937 rng(3);
  for (size_t bytes : {8u, 16u, 32u, 128u, 256u}) {
    for (int t = 0; t < 20; ++t) {
      std::vector<uint8_t> a(bytes), b(bytes);
      for (auto& x : a) x = static_cast<uint8_t>(rng());
      for (auto& x : b) x = static_cast<uint8_t>(rng());
      const CodeSet ca = codes_from_bytes(a.data(), 1, bytes), cb = codes_from_bytes(b.data(), 1, bytes);
      EXPECT_EQ(hamming(ca.code(0), cb.code(0), ca.words), naive_distance(a, b));
      EXPECT_EQ(codes_to_bytes(ca), a);
    }
  }
}

TEST(Hamming, BitOrderIsLsbFirst) {
  // Bit i of a code lives in byte i/8 at position i%8 (faiss binary layout): bit 9 -> byte 1, value 2.
  std::vector<uint8_t> a(8, 0);
  a[1] = 2;
  const CodeSet c = codes_from_bytes(a.data(), 1, 8);
  EXPECT_EQ(c.code(0)[0], uint64_t{1} << 9);
}

TEST(TopK, MatchesFullSortIncludingTies) {
  std::mt19937 rng(11);
  for (size_t k : {1u, 5u, 64u}) {
    for (size_t n : {0u, 3u, 64u, 500u}) {
      std::vector<Neighbor> all;
      TopK top(k);
      for (size_t i = 0; i < n; ++i) {
        const Neighbor nb{static_cast<uint32_t>(rng() % 8), static_cast<uint32_t>(rng() % 100000)};
        all.push_back(nb);
        top.push(nb);
      }
      std::sort(all.begin(), all.end(), [](const Neighbor& a, const Neighbor& b) {
        return a.dist != b.dist ? a.dist < b.dist : a.index < b.index;
      });
      const auto r = top.result();
      ASSERT_EQ(r.size(), k);
      for (size_t i = 0; i < k; ++i) {
        if (i < all.size()) {
          EXPECT_EQ(r[i].dist, all[i].dist);
          EXPECT_EQ(r[i].index, all[i].index);
        } else {
          EXPECT_TRUE(r[i].empty());
        }
      }
    }
  }
}

TEST(KnnHamming, AllEqualDistancesKeepLowestIndices) {
  const CodeSet db = random_codes(1, 128, 5);
  CodeSet many;
  many.n = 100;
  many.words = db.words;
  for (size_t i = 0; i < 100; ++i) many.data.insert(many.data.end(), db.data.begin(), db.data.end());
  const auto r = knn_hamming(many, random_codes(2, 128, 9), 10);
  for (size_t q = 0; q < 2; ++q)
    for (size_t i = 0; i < 10; ++i) EXPECT_EQ(r[q * 10 + i].index, i);
}

TEST(KnnHamming, MatchesBruteForceSort) {
  const CodeSet db = random_codes(3000, 192, 21), qs = random_codes(7, 192, 22);
  const size_t k = 17;
  const auto r = knn_hamming(db, qs, k);
  for (size_t q = 0; q < qs.n; ++q) {
    std::vector<std::pair<uint32_t, uint32_t>> all;
    for (size_t i = 0; i < db.n; ++i)
      all.push_back({hamming(qs.code(q), db.code(i), db.words), static_cast<uint32_t>(i)});
    std::sort(all.begin(), all.end());
    for (size_t i = 0; i < k; ++i) {
      EXPECT_EQ(r[q * k + i].dist, all[i].first);
      EXPECT_EQ(r[q * k + i].index, all[i].second);
    }
  }
}

TEST(FloatKnn, SimHashIsSignOfProjectionAndRecallIsSane) {
  // Identical vectors hash identically; a query equal to a database row finds it at distance 0.
  const FloatMatrix db = random_gaussian(500, 32, 1);
  FloatMatrix q{1, 32, std::vector<float>(db.data.begin() + 32 * 42, db.data.begin() + 32 * 43)};
  const CodeSet hd = simhash(db, 128, 9), hq = simhash(q, 128, 9);
  const auto r = knn_hamming(hd, hq, 1);
  EXPECT_EQ(r[0].dist, 0u);
  const auto exact = exact_knn_l2(db, q, 1);
  EXPECT_EQ(exact[0], 42);
  EXPECT_DOUBLE_EQ(recall_at_k({42}, exact, 1, 1), 1.0);
  EXPECT_DOUBLE_EQ(recall_at_k({7}, exact, 1, 1), 0.0);
}
