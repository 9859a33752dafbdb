// Peer test: bitgrid's reference top-k Hamming scan (bitgrid::knn_hamming, every kernel this CPU runs)
// against its software peer, faiss IndexBinaryFlat (faiss 1.7.3 as packaged by Debian, libfaiss-dev:
// faiss/IndexBinaryFlat.h; exhaustive search, IndexBinaryFlat::search -> hammings_knn_hc with a max-heap
// per query). DESIGN.md 5.4: same distances, same neighbour sets up to ties.
//
// faiss breaks ties at equal distance by heap order, bitgrid by lower database index, so per query:
//   - the distance lists are identical (faiss returns them ascending);
//   - the neighbour sets below the k-th distance are identical;
//   - every neighbour either side returns is a distinct database code at exactly the distance reported
//     (which settles the neighbours at the k-th distance up to the choice among ties).
// bitgrid's own order is also checked exactly against a full sort by (distance, index).
//
// Fewer than k database codes (N < k): faiss 1.7.3 fills the missing entries with label -1 and distance
// INT32_MAX (std::numeric_limits<int32_t>::max(), the neutral value of its int max-heap). bitgrid's
// empty entry (all ones) decodes on the host (bitgrid::decode_hamming_topk) to neighbour -1 and distance
// INT32_MAX: the same convention, checked below through the real decoder.
#include <faiss/IndexBinaryFlat.h>
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "bitgrid/floatknn.h"
#include "bitgrid/hamming.h"
#include "bitgrid/topk.h"
#include "bitgrid/workloads/hamming_topk.h"

using namespace bitgrid;

namespace {

using FaissIdx = faiss::IndexBinary::idx_t;

struct Result {  // [nq * k], faiss convention
  std::vector<int64_t> labels;
  std::vector<int32_t> dists;
};

Result faiss_knn(const CodeSet& db, const CodeSet& qs, size_t k) {
  omp_set_num_threads(1);
  faiss::IndexBinaryFlat index(static_cast<FaissIdx>(db.bits()));
  const std::vector<uint8_t> db_bytes = codes_to_bytes(db), q_bytes = codes_to_bytes(qs);
  if (db.n) index.add(static_cast<FaissIdx>(db.n), db_bytes.data());
  Result r;
  r.labels.assign(qs.n * k, 12345);  // sentinels: faiss must overwrite every entry
  r.dists.assign(qs.n * k, 12345);
  std::vector<FaissIdx> labels(qs.n * k, 12345);
  index.search(static_cast<FaissIdx>(qs.n), q_bytes.data(), static_cast<FaissIdx>(k), r.dists.data(), labels.data());
  r.labels.assign(labels.begin(), labels.end());
  return r;
}

// bitgrid's results as the host reads them back: through decode_hamming_topk on a DRAM image holding
// the result words ({index[63:32], distance[31:0]}), one batch of all queries.
Result bitgrid_decoded(const std::vector<Neighbor>& nb, size_t nq, size_t k) {
  HammingTopkLayout l;
  l.nq = nq;
  l.k = k;
  l.batch = std::max<size_t>(nq, 1);
  l.batches = 1;
  l.result_addr = 0;
  l.result_batch_stride = nq * k * 8;
  l.dram_bytes = nq * k * 8;
  std::vector<uint8_t> mem(l.dram_bytes);
  for (size_t i = 0; i < nb.size(); ++i) {
    const uint64_t w = nb[i].word();
    std::memcpy(mem.data() + i * 8, &w, 8);
  }
  Result r;
  decode_hamming_topk(l, mem, r.labels, r.dists);
  return r;
}

// Exact bitgrid order: full sort by (distance, index), padded with empty entries.
std::vector<Neighbor> brute_force(const CodeSet& db, const CodeSet& qs, size_t k) {
  std::vector<Neighbor> out(qs.n * k);
  std::vector<Neighbor> all(db.n);
  for (size_t q = 0; q < qs.n; ++q) {
    for (size_t i = 0; i < db.n; ++i) all[i] = {hamming(qs.code(q), db.code(i), db.words), static_cast<uint32_t>(i)};
    std::sort(all.begin(), all.end());
    for (size_t i = 0; i < std::min(k, db.n); ++i) out[q * k + i] = all[i];
  }
  return out;
}

// The DESIGN.md 5.4 comparison, with a readable failure message.
void expect_peer_match(const CodeSet& db, const CodeSet& qs, size_t k, const Result& ours, const Result& faiss,
                       const std::string& what) {
  ASSERT_EQ(ours.dists.size(), qs.n * k);
  ASSERT_EQ(faiss.dists.size(), qs.n * k);
  for (size_t q = 0; q < qs.n; ++q) {
    const std::string where = what + ", query " + std::to_string(q);
    const auto* od = &ours.dists[q * k];
    const auto* fdist = &faiss.dists[q * k];
    const auto* ol = &ours.labels[q * k];
    const auto* fl = &faiss.labels[q * k];
    // Identical distance lists (hence identical multisets); faiss's is ascending.
    for (size_t i = 0; i < k; ++i) ASSERT_EQ(od[i], fdist[i]) << where << ", entry " << i;
    ASSERT_TRUE(std::is_sorted(fdist, fdist + k)) << where;
    // Both sides: valid, distinct labels at the distance reported; missing entries as (-1, INT32_MAX).
    for (const auto* side : {ol, fl}) {
      const auto* dd = side == ol ? od : fdist;
      std::set<int64_t> seen;
      for (size_t i = 0; i < k; ++i) {
        if (i >= db.n) {
          EXPECT_EQ(side[i], -1) << where << ", entry " << i << (side == ol ? " (bitgrid)" : " (faiss)");
          EXPECT_EQ(dd[i], std::numeric_limits<int32_t>::max()) << where << ", entry " << i;
          continue;
        }
        ASSERT_GE(side[i], 0) << where << ", entry " << i << (side == ol ? " (bitgrid)" : " (faiss)");
        ASSERT_LT(side[i], static_cast<int64_t>(db.n)) << where;
        EXPECT_TRUE(seen.insert(side[i]).second) << where << ": label " << side[i] << " twice";
        EXPECT_EQ(static_cast<int32_t>(hamming(qs.code(q), db.code(static_cast<size_t>(side[i])), db.words)), dd[i])
            << where << ", entry " << i << (side == ol ? " (bitgrid)" : " (faiss)");
      }
    }
    // Identical neighbour sets strictly below the k-th distance.
    const int32_t kth = fdist[k - 1];
    std::set<int64_t> ob, fb;
    for (size_t i = 0; i < k; ++i) {
      if (od[i] < kth) ob.insert(ol[i]);
      if (fdist[i] < kth) fb.insert(fl[i]);
    }
    EXPECT_EQ(ob, fb) << where << ": neighbour sets below the k-th distance " << kth;
  }
}

std::vector<KnnKernel> kernels() {
  std::vector<KnnKernel> ks;
  for (KnnKernel k : {KnnKernel::kPortable, KnnKernel::kPopcnt, KnnKernel::kAvx512})
    if (knn_kernel_supported(k)) ks.push_back(k);
  return ks;
}

// Runs every kernel on (db, qs, k): exact against the full sort, peer-equal to faiss; and the plain
// knn_hamming(db, qs, k) (kernel chosen at run time) equal to them.
void check_case(const CodeSet& db, const CodeSet& qs, size_t k, const std::string& what) {
  const Result faiss = faiss_knn(db, qs, k);
  const std::vector<Neighbor> exact = brute_force(db, qs, k);
  EXPECT_EQ(knn_hamming(db, qs, k), exact) << what << " [auto]";
  for (KnnKernel kernel : kernels()) {
    const std::string w = what + " [" + knn_kernel_name(kernel) + "]";
    const std::vector<Neighbor> ours = knn_hamming(db, qs, k, kernel);
    ASSERT_EQ(ours.size(), qs.n * k) << w;
    for (size_t i = 0; i < ours.size(); ++i)
      ASSERT_EQ(ours[i], exact[i]) << w << ": entry " << i << " differs from the full sort by (distance, index)";
    expect_peer_match(db, qs, k, bitgrid_decoded(ours, qs.n, k), faiss, w);
  }
}

// n codes drawn from `pool` distinct random codes (many exact duplicates).
CodeSet with_duplicates(size_t n, size_t bits, size_t pool, uint64_t seed) {
  const CodeSet distinct = random_codes(pool, bits, seed);
  std::mt19937_64 rng(seed + 1);
  CodeSet c;
  c.n = n;
  c.words = distinct.words;
  for (size_t i = 0; i < n; ++i) {
    const uint64_t* src = distinct.code(rng() % pool);
    c.data.insert(c.data.end(), src, src + c.words);
  }
  return c;
}

// Sparse codes (each bit set with probability 1/16): small, heavily tied distances.
CodeSet sparse_codes(size_t n, size_t bits, uint64_t seed) {
  CodeSet c = random_codes(n, bits, seed);
  std::mt19937_64 rng(seed + 7);
  for (auto& w : c.data) w &= rng() & rng() & rng();  // a random word AND three more: p = 1/16
  return c;
}

}  // namespace

TEST(FaissPeer, KernelsAvailable) {
  // Not an assertion on the CPU: documents which kernels this run compared (the portable one always).
  std::string names;
  for (KnnKernel k : kernels()) names += std::string(names.empty() ? "" : ", ") + knn_kernel_name(k);
  RecordProperty("kernels", names);
  std::printf("knn_hamming kernels compared with faiss: %s (knn_hamming(db, queries, k) uses %s)\n", names.c_str(),
              knn_kernel_name(KnnKernel::kAuto));
  EXPECT_TRUE(knn_kernel_supported(KnnKernel::kPortable));
}

TEST(FaissPeer, RandomCodesAllLengths) {
  uint64_t seed = 100;
  // 64..1024-bit codes, including lengths without a specialised kernel (192, 320, 768) and 1536 bits
  // (the AVX-512 kernel's generic multiple-of-512 path); sizes around the 8-code steps and the chunks.
  for (size_t bits : {64u, 128u, 192u, 256u, 320u, 512u, 768u, 1024u, 1536u})
    for (size_t n : {1u, 9u, 100u, 2500u})
      for (size_t k : {1u, 10u, 64u}) {
        const CodeSet db = random_codes(n, bits, ++seed), qs = random_codes(5, bits, ++seed);
        check_case(db, qs, k, std::to_string(bits) + " bits, N=" + std::to_string(n) + ", k=" + std::to_string(k));
      }
}

TEST(FaissPeer, LargerDatabaseAcrossChunks) {
  // Several 16 KB chunks and query blocks of the blocked scan.
  const CodeSet db = random_codes(20011, 256, 7), qs = random_codes(40, 256, 8);
  check_case(db, qs, 10, "256 bits, N=20011, k=10");
  const CodeSet db64 = random_codes(9000, 64, 9), qs64 = random_codes(20, 64, 10);
  check_case(db64, qs64, 64, "64 bits, N=9000, k=64");
}

TEST(FaissPeer, DuplicateCodesAndTies) {
  uint64_t seed = 500;
  for (size_t bits : {64u, 128u, 256u, 512u, 1024u})
    for (size_t k : {1u, 10u, 64u}) {
      // 3000 codes from 20 distinct ones: every distance is shared by ~150 codes.
      const CodeSet db = with_duplicates(3000, bits, 20, ++seed);
      CodeSet qs = random_codes(4, bits, ++seed);
      // and queries equal to database codes (distance 0, ~150-fold ties)
      qs.data.insert(qs.data.end(), db.code(17), db.code(17) + db.words);
      qs.data.insert(qs.data.end(), db.code(2999), db.code(2999) + db.words);
      qs.n += 2;
      check_case(db, qs, k, std::to_string(bits) + " bits, 20 distinct codes, k=" + std::to_string(k));
      const CodeSet sp = sparse_codes(2000, bits, ++seed), sq = sparse_codes(6, bits, ++seed);
      check_case(sp, sq, k, std::to_string(bits) + " bits, sparse codes, k=" + std::to_string(k));
    }
}

TEST(FaissPeer, FewerCodesThanKPadsLikeFaiss) {
  // faiss 1.7.3 IndexBinaryFlat: label -1, distance INT32_MAX for every missing entry.
  const CodeSet db = random_codes(5, 256, 31), qs = random_codes(3, 256, 32);
  const Result f = faiss_knn(db, qs, 10);
  for (size_t q = 0; q < qs.n; ++q)
    for (size_t i = 5; i < 10; ++i) {
      EXPECT_EQ(f.labels[q * 10 + i], -1) << "faiss, query " << q << ", entry " << i;
      EXPECT_EQ(f.dists[q * 10 + i], std::numeric_limits<int32_t>::max()) << "faiss, query " << q << ", entry " << i;
    }
  // bitgrid: empty entries (all ones) decode to the same (-1, INT32_MAX); entry by entry equal to faiss.
  for (KnnKernel kernel : kernels()) {
    const std::vector<Neighbor> nb = knn_hamming(db, qs, 10, kernel);
    for (size_t q = 0; q < qs.n; ++q)
      for (size_t i = 5; i < 10; ++i) EXPECT_TRUE(nb[q * 10 + i].empty());
    const Result ours = bitgrid_decoded(nb, qs.n, 10);
    for (size_t e = 0; e < ours.labels.size(); ++e)
      if (e % 10 >= 5) {
        EXPECT_EQ(ours.labels[e], f.labels[e]);
        EXPECT_EQ(ours.dists[e], f.dists[e]);
      }
  }
  // More N < k shapes, through the full comparison (which checks the padding on both sides).
  uint64_t seed = 40;
  for (size_t bits : {64u, 256u, 1024u}) {
    const std::string b = std::to_string(bits) + " bits, ";
    const CodeSet q3 = random_codes(3, bits, ++seed);
    check_case(random_codes(1, bits, ++seed), q3, 64, b + "N=1, k=64");
    check_case(random_codes(63, bits, ++seed), q3, 64, b + "N=63, k=64");
    check_case(random_codes(7, bits, ++seed), q3, 10, b + "N=7, k=10");
    check_case(with_duplicates(9, bits, 2, ++seed), q3, 10, b + "N=9 (2 distinct codes), k=10");
  }
}

TEST(FaissPeer, EmptyDatabase) {
  // N = 0: every entry missing on both sides.
  CodeSet db;
  db.words = 4;
  const CodeSet qs = random_codes(2, 256, 77);
  check_case(db, qs, 10, "256 bits, N=0, k=10");
}
