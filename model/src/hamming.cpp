#include "bitgrid/hamming.h"

#include <cstring>

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

std::vector<Neighbor> knn_hamming(const CodeSet& db, const CodeSet& queries, size_t k) {
  if (db.words != queries.words) throw Error("database and query codes differ in length");
  std::vector<Neighbor> out(queries.n * k);
  TopK top(k);
  for (size_t q = 0; q < queries.n; ++q) {
    top.reset();
    const uint64_t* qc = queries.code(q);
    uint64_t thr = top.threshold();
    for (size_t i = 0; i < db.n; ++i) {
      const uint32_t d = hamming(qc, db.code(i), db.words);
      // Fast rejection on the distance alone: key = (d << 32 | i) >= thr.
      if ((uint64_t{d} << 32 | i) >= thr) continue;
      top.push({d, static_cast<uint32_t>(i)});
      thr = top.threshold();
    }
    auto r = top.result();
    std::copy(r.begin(), r.end(), out.begin() + static_cast<std::ptrdiff_t>(q * k));
  }
  return out;
}

}  // namespace bitgrid
