#include "bitgrid/hamming.h"

#include <algorithm>
#include <cstring>
#include <string>

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
// GCC 12 reports -Wmaybe-uninitialized inside its own AVX-512 headers (the _mm512_undefined_* idiom,
// GCC bug 105593); the warning's location is the header, so it is silenced around the include.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#endif

#include "bitgrid/error.h"
#include "bitgrid/topk.h"

namespace bitgrid {

CodeSet codes_from_bytes(const uint8_t* bytes, size_t n, size_t bytes_per_code) {
  if (bytes_per_code == 0 || bytes_per_code % 8 != 0)
    throw Error("codes of " + std::to_string(bytes_per_code * 8) + " bits: must be a positive multiple of 64 bits");
  CodeSet c;
  c.n = n;
  c.words = bytes_per_code / 8;
  c.data.resize(n * c.words);
  // Little-endian host: the faiss byte order is the word order (checked at compile time below).
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "bitgrid assumes a little-endian host");
  if (n) std::memcpy(c.data.data(), bytes, n * bytes_per_code);
  return c;
}

std::vector<uint8_t> codes_to_bytes(const CodeSet& c) {
  std::vector<uint8_t> out(c.n * c.words * 8);
  if (!out.empty()) std::memcpy(out.data(), c.data.data(), out.size());
  return out;
}

void TopK::push(Neighbor c) {
  if (c.key() >= threshold()) return;
  // insertion into the sorted list
  size_t pos = list_.size();
  list_.push_back(c);
  while (pos > 0 && c.key() < list_[pos - 1].key()) {
    list_[pos] = list_[pos - 1];
    --pos;
  }
  list_[pos] = c;
  if (list_.size() > k_) list_.pop_back();
}

std::vector<Neighbor> TopK::result() const {
  std::vector<Neighbor> r(list_);
  r.resize(k_);  // pads with empty entries
  return r;
}

// ---------------------------------------------------------------------------------------------------
// knn_hamming: blocked brute-force scan.
//
// Semantics (every kernel): for each query, the k smallest keys (distance, index) in ascending order,
// padded with empty entries. Each query scans the database in ascending index order, so a candidate's
// index is above every index in its list and its key is below the list's k-th key exactly when its
// distance is below the k-th distance (or the list is not full yet). The scan therefore only compares
// distances against `thr` = the k-th distance (all ones while the list is not full) and calls
// TopK::push for the rare candidate that passes.
//
// Speed: the database is cut into chunks of ~16 KB that stay in L1 while a block of up to 256 queries
// scans them one after the other, so the database streams from memory once per query block instead of
// once per query. The distance kernels, selected at run time:
//   kAvx512   AVX-512 VPOPCNTDQ, 8 codes per step (64-, 128-, 256-bit codes and multiples of 512 bits;
//             other lengths use the kPopcnt kernel), distances compared 8 at a time against thr;
//   kPopcnt   scalar POPCNT (target attribute; runtime check of the CPU), two codes per iteration;
//   kPortable plain C++ (SWAR popcount on x86 builds without POPCNT, the builtin elsewhere).
// ---------------------------------------------------------------------------------------------------
namespace {

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define BG_KNN_X86 1
#define BG_TARGET_POPCNT __attribute__((target("popcnt")))
#define BG_TARGET_AVX512 __attribute__((target("popcnt,avx2,avx512f,avx512vpopcntdq")))
#else
#define BG_KNN_X86 0
#endif
#define BG_INLINE inline __attribute__((always_inline))
#define BG_UNLIKELY(x) __builtin_expect(!!(x), 0)

constexpr size_t kChunkBytes = 16 * 1024;  // database bytes per chunk (L1-resident while reused)
constexpr size_t kQueryBlock = 256;        // queries sharing one pass over the database

// Candidate i at distance d (the scan is in ascending i).
BG_INLINE void offer(TopK& top, uint32_t& thr, uint32_t d, size_t i) {
  if (BG_UNLIKELY(d < thr)) {
    top.push({d, static_cast<uint32_t>(i)});
    thr = static_cast<uint32_t>(top.threshold() >> 32);  // k-th distance, or all ones while not full
  }
}

// Popcount policies for the scalar kernels.
struct BuiltinPop {  // POPCNT where the enclosing function's target has it
  static BG_INLINE uint32_t pc(uint64_t x) { return static_cast<uint32_t>(__builtin_popcountll(x)); }
};
struct PortablePop {
#if BG_KNN_X86
  // Baseline x86-64 has no POPCNT and the builtin becomes a libgcc call; SWAR is faster.
  static BG_INLINE uint32_t pc(uint64_t x) {
    x = x - ((x >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0Full;
    return static_cast<uint32_t>((x * 0x0101010101010101ull) >> 56);
  }
#else
  static BG_INLINE uint32_t pc(uint64_t x) { return static_cast<uint32_t>(__builtin_popcountll(x)); }
#endif
};

template <class Pop, size_t W>  // W = words per code, 0 = `words` at run time
BG_INLINE uint32_t code_dist(const uint64_t* q, const uint64_t* p, size_t words) {
  uint32_t d = 0;
  for (size_t w = 0; w < (W ? W : words); ++w) d += Pop::pc(q[w] ^ p[w]);
  return d;
}

// Scalar scan of database codes [i0, i1).
template <class Pop, size_t W>
BG_INLINE void scan_scalar(const uint64_t* db, size_t words, size_t i0, size_t i1, const uint64_t* q, TopK& top,
                           uint32_t& thr) {
  const size_t n = W ? W : words;
  uint64_t qcopy[W ? W : 1];  // a local copy the compiler keeps in registers
  const uint64_t* qv = q;
  if (W) {
    for (size_t w = 0; w < W; ++w) qcopy[w] = q[w];
    qv = qcopy;
  }
  const uint64_t* p = db + i0 * n;
  size_t i = i0;
  for (; i + 2 <= i1; i += 2, p += 2 * n) {
    const uint32_t d0 = code_dist<Pop, W>(qv, p, n), d1 = code_dist<Pop, W>(qv, p + n, n);
    offer(top, thr, d0, i);
    offer(top, thr, d1, i + 1);
  }
  if (i < i1) offer(top, thr, code_dist<Pop, W>(qv, p, n), i);
}

template <class Pop>
BG_INLINE void scan_scalar_any(const uint64_t* db, size_t words, size_t i0, size_t i1, const uint64_t* q, TopK& top,
                               uint32_t& thr) {
  switch (words) {
    case 1:
      return scan_scalar<Pop, 1>(db, words, i0, i1, q, top, thr);
    case 2:
      return scan_scalar<Pop, 2>(db, words, i0, i1, q, top, thr);
    case 4:
      return scan_scalar<Pop, 4>(db, words, i0, i1, q, top, thr);
    case 8:
      return scan_scalar<Pop, 8>(db, words, i0, i1, q, top, thr);
    case 16:
      return scan_scalar<Pop, 16>(db, words, i0, i1, q, top, thr);
    default:
      return scan_scalar<Pop, 0>(db, words, i0, i1, q, top, thr);
  }
}

using ScanFn = void (*)(const uint64_t* db, size_t words, size_t i0, size_t i1, const uint64_t* q, TopK& top,
                        uint32_t& thr);

void scan_portable(const uint64_t* db, size_t words, size_t i0, size_t i1, const uint64_t* q, TopK& top,
                   uint32_t& thr) {
  scan_scalar_any<PortablePop>(db, words, i0, i1, q, top, thr);
}

#if BG_KNN_X86
BG_TARGET_POPCNT void scan_popcnt(const uint64_t* db, size_t words, size_t i0, size_t i1, const uint64_t* q, TopK& top,
                                  uint32_t& thr) {
  scan_scalar_any<BuiltinPop>(db, words, i0, i1, q, top, thr);
}

// Offers the 8 distances of `dist` (codes i..i+7) whose lanes are set in `m` (distance below thr when
// the mask was computed; offer() re-checks against the current thr, in index order).
BG_TARGET_AVX512 inline void offer8(TopK& top, uint32_t& thr, __m512i dist, __mmask8 m, size_t i) {
  alignas(64) uint64_t d[8];
  _mm512_store_si512(d, dist);
  unsigned bits = m;
  while (bits) {
    const unsigned j = static_cast<unsigned>(__builtin_ctz(bits));
    bits &= bits - 1;
    offer(top, thr, static_cast<uint32_t>(d[j]), i + j);
  }
}

// Distances of 8 consecutive codes, in order, as 64-bit lanes. W = words per code (1, 2, 4, or a multiple
// of 8: M = W / 8 blocks of 512 bits, 0 = run time).
BG_TARGET_AVX512 inline __m512i dist8_w1(const uint64_t* p, __m512i q) {
  return _mm512_popcnt_epi64(_mm512_xor_si512(q, _mm512_loadu_si512(p)));
}
BG_TARGET_AVX512 inline __m512i dist8_w2(const uint64_t* p, __m512i q) {
  // a: codes 0-3, b: codes 4-7, one code per 128-bit lane. Sum the two words of each code:
  const __m512i a = _mm512_popcnt_epi64(_mm512_xor_si512(q, _mm512_loadu_si512(p)));
  const __m512i b = _mm512_popcnt_epi64(_mm512_xor_si512(q, _mm512_loadu_si512(p + 8)));
  const __m512i s = _mm512_add_epi64(_mm512_unpacklo_epi64(a, b), _mm512_unpackhi_epi64(a, b));  // d0 d4 d1 d5 ..
  return _mm512_permutexvar_epi64(_mm512_set_epi64(7, 5, 3, 1, 6, 4, 2, 0), s);
}
BG_TARGET_AVX512 inline __m512i dist8_w4(const uint64_t* p, __m512i q) {
  // a..d: two codes each (one per 256-bit half).
  const __m512i a = _mm512_popcnt_epi64(_mm512_xor_si512(q, _mm512_loadu_si512(p)));
  const __m512i b = _mm512_popcnt_epi64(_mm512_xor_si512(q, _mm512_loadu_si512(p + 8)));
  const __m512i c = _mm512_popcnt_epi64(_mm512_xor_si512(q, _mm512_loadu_si512(p + 16)));
  const __m512i d = _mm512_popcnt_epi64(_mm512_xor_si512(q, _mm512_loadu_si512(p + 24)));
  // Pairs of words: 128-bit lanes (c0|c2 words 0+1), (c0|c2 words 2+3), (c1|c3 ..), (c1|c3 ..).
  const __m512i ab = _mm512_add_epi64(_mm512_unpacklo_epi64(a, b), _mm512_unpackhi_epi64(a, b));
  const __m512i cd = _mm512_add_epi64(_mm512_unpacklo_epi64(c, d), _mm512_unpackhi_epi64(c, d));
  // Halves: lanes 0,2 + lanes 1,3 of each -> d0 d2 d1 d3 d4 d6 d5 d7.
  const __m512i s = _mm512_add_epi64(_mm512_shuffle_i64x2(ab, cd, 0x88), _mm512_shuffle_i64x2(ab, cd, 0xDD));
  return _mm512_permutexvar_epi64(_mm512_set_epi64(7, 5, 6, 4, 3, 1, 2, 0), s);
}
template <size_t M>
BG_TARGET_AVX512 inline __m512i dist8_w8m(const uint64_t* p, const uint64_t* q, size_t words) {
  const size_t m = M ? M : words / 8;
  __m512i v[8];
  for (size_t j = 0; j < 8; ++j) {
    const uint64_t* c = p + j * m * 8;
    __m512i acc = _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_loadu_si512(q), _mm512_loadu_si512(c)));
    for (size_t b = 1; b < m; ++b)
      acc = _mm512_add_epi64(
          acc, _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_loadu_si512(q + 8 * b), _mm512_loadu_si512(c + 8 * b))));
    v[j] = acc;  // 8 partial sums of code j
  }
  // Transpose-and-add: pairs of lanes, then quarters, then halves; ends in code order.
  const __m512i s01 = _mm512_add_epi64(_mm512_unpacklo_epi64(v[0], v[1]), _mm512_unpackhi_epi64(v[0], v[1]));
  const __m512i s23 = _mm512_add_epi64(_mm512_unpacklo_epi64(v[2], v[3]), _mm512_unpackhi_epi64(v[2], v[3]));
  const __m512i s45 = _mm512_add_epi64(_mm512_unpacklo_epi64(v[4], v[5]), _mm512_unpackhi_epi64(v[4], v[5]));
  const __m512i s67 = _mm512_add_epi64(_mm512_unpacklo_epi64(v[6], v[7]), _mm512_unpackhi_epi64(v[6], v[7]));
  const __m512i u03 = _mm512_add_epi64(_mm512_shuffle_i64x2(s01, s23, 0x88), _mm512_shuffle_i64x2(s01, s23, 0xDD));
  const __m512i u47 = _mm512_add_epi64(_mm512_shuffle_i64x2(s45, s67, 0x88), _mm512_shuffle_i64x2(s45, s67, 0xDD));
  return _mm512_add_epi64(_mm512_shuffle_i64x2(u03, u47, 0x88), _mm512_shuffle_i64x2(u03, u47, 0xDD));
}

// The 8-codes-per-step loop over [i0, i1); returns where it stopped (fewer than 8 codes left).
// KIND: 1, 2, 4 = words per code; 8 = a multiple of 8 words (M = words / 8, 0 = run time).
template <int KIND, size_t M>
BG_TARGET_AVX512 size_t scan_avx512_loop(const uint64_t* db, size_t words, size_t i0, size_t i1, const uint64_t* q,
                                         TopK& top, uint32_t& thr) {
  __m512i qv = _mm512_setzero_si512();
  if (KIND == 1) qv = _mm512_set1_epi64(static_cast<long long>(q[0]));
  if (KIND == 2) qv = _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q)));
  if (KIND == 4) qv = _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(q)));
  __m512i tv = _mm512_set1_epi64(static_cast<long long>(thr));
  const uint64_t* p = db + i0 * words;
  size_t i = i0;
  for (; i + 8 <= i1; i += 8, p += 8 * words) {
    __m512i d;
    if (KIND == 1)
      d = dist8_w1(p, qv);
    else if (KIND == 2)
      d = dist8_w2(p, qv);
    else if (KIND == 4)
      d = dist8_w4(p, qv);
    else
      d = dist8_w8m<M>(p, q, words);
    const __mmask8 m = _mm512_cmplt_epu64_mask(d, tv);
    if (BG_UNLIKELY(m)) {
      offer8(top, thr, d, m, i);
      tv = _mm512_set1_epi64(static_cast<long long>(thr));
    }
  }
  return i;
}

BG_TARGET_AVX512 void scan_avx512(const uint64_t* db, size_t words, size_t i0, size_t i1, const uint64_t* q, TopK& top,
                                  uint32_t& thr) {
  size_t i = i0;
  switch (words) {
    case 1:
      i = scan_avx512_loop<1, 0>(db, words, i0, i1, q, top, thr);
      break;
    case 2:
      i = scan_avx512_loop<2, 0>(db, words, i0, i1, q, top, thr);
      break;
    case 4:
      i = scan_avx512_loop<4, 0>(db, words, i0, i1, q, top, thr);
      break;
    case 8:
      i = scan_avx512_loop<8, 1>(db, words, i0, i1, q, top, thr);
      break;
    case 16:
      i = scan_avx512_loop<8, 2>(db, words, i0, i1, q, top, thr);
      break;
    default:
      if (words % 8 == 0 && words > 0) i = scan_avx512_loop<8, 0>(db, words, i0, i1, q, top, thr);
      break;  // other lengths: every code by the scalar kernel below
  }
  if (i < i1) scan_scalar_any<BuiltinPop>(db, words, i, i1, q, top, thr);  // the tail (< 8 codes), other lengths
}
#endif  // BG_KNN_X86

bool cpu_has_popcnt() {
#if BG_KNN_X86
  __builtin_cpu_init();  // needed if called before constructors ran (e.g. from a static initializer)
  return __builtin_cpu_supports("popcnt");
#else
  return false;
#endif
}
bool cpu_has_avx512() {
#if BG_KNN_X86
  __builtin_cpu_init();
  return __builtin_cpu_supports("popcnt") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("avx512f") &&
         __builtin_cpu_supports("avx512vpopcntdq");
#else
  return false;
#endif
}

KnnKernel resolve(KnnKernel kernel) {
  if (kernel != KnnKernel::kAuto) return kernel;
  static const KnnKernel best = cpu_has_avx512()   ? KnnKernel::kAvx512
                                : cpu_has_popcnt() ? KnnKernel::kPopcnt
                                                   : KnnKernel::kPortable;
  return best;
}

ScanFn scan_function(KnnKernel kernel) {
  switch (resolve(kernel)) {
#if BG_KNN_X86
    case KnnKernel::kAvx512:
      return scan_avx512;
    case KnnKernel::kPopcnt:
      return scan_popcnt;
#endif
    default:
      return scan_portable;
  }
}

}  // namespace

bool knn_kernel_supported(KnnKernel kernel) {
  switch (kernel) {
    case KnnKernel::kAuto:
    case KnnKernel::kPortable:
      return true;
    case KnnKernel::kPopcnt:
      return cpu_has_popcnt();
    case KnnKernel::kAvx512:
      return cpu_has_avx512();
  }
  return false;
}

const char* knn_kernel_name(KnnKernel kernel) {
  switch (resolve(kernel)) {
    case KnnKernel::kPortable:
      return "portable";
    case KnnKernel::kPopcnt:
      return "popcnt";
    case KnnKernel::kAvx512:
      return "avx512-vpopcntdq";
    default:
      return "?";
  }
}

std::vector<Neighbor> knn_hamming(const CodeSet& db, const CodeSet& queries, size_t k, KnnKernel kernel) {
  if (db.words != queries.words) throw Error("database and query codes differ in length");
  if (!knn_kernel_supported(kernel))
    throw Error(std::string("knn_hamming: kernel ") + knn_kernel_name(kernel) + " is not supported by this CPU");
  // Index 0xFFFFFFFF is the empty entry's; neighbours are 32-bit indices.
  if (db.n > 0xFFFFFFFFull) throw Error("knn_hamming: database of " + std::to_string(db.n) + " codes exceeds 2^32 - 1");
  std::vector<Neighbor> out(queries.n * k);  // empty entries
  if (k == 0 || queries.n == 0) return out;
  const ScanFn scan = scan_function(kernel);
  const size_t words = db.words;
  const size_t chunk = std::max<size_t>(8, kChunkBytes / (std::max<size_t>(words, 1) * 8) / 8 * 8);
  const size_t qblock = std::min(queries.n, kQueryBlock);
  std::vector<TopK> tops(qblock, TopK(k));
  std::vector<uint32_t> thr(qblock);
  for (size_t q0 = 0; q0 < queries.n; q0 += qblock) {
    const size_t nb = std::min(qblock, queries.n - q0);
    for (size_t j = 0; j < nb; ++j) {
      tops[j].reset();
      thr[j] = 0xFFFFFFFFu;
    }
    for (size_t c0 = 0; c0 < db.n; c0 += chunk) {
      const size_t c1 = std::min(db.n, c0 + chunk);
      for (size_t j = 0; j < nb; ++j) scan(db.data.data(), words, c0, c1, queries.code(q0 + j), tops[j], thr[j]);
    }
    for (size_t j = 0; j < nb; ++j) {
      const std::vector<Neighbor> r = tops[j].result();
      std::copy(r.begin(), r.end(), out.begin() + static_cast<std::ptrdiff_t>((q0 + j) * k));
    }
  }
  return out;
}

std::vector<Neighbor> knn_hamming(const CodeSet& db, const CodeSet& queries, size_t k) {
  return knn_hamming(db, queries, k, KnnKernel::kAuto);
}

}  // namespace bitgrid
