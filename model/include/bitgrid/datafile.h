#pragma once
// Data files users bring: NumPy .npy (uint8, int32, int64, float32; C order) and the ANN-benchmark
// .bvecs / .fvecs / .ivecs formats. Readers validate everything and throw bitgrid::Error naming the
// file and what is wrong (missing, truncated, wrong dtype or shape).
#include <cstdint>
#include <string>
#include <vector>

namespace bitgrid {

struct Array2D {
  std::string dtype;  // "u1", "i4", "i8", "f4"
  size_t rows = 0, cols = 0;
  std::vector<uint8_t> bytes;  // rows * cols * itemsize, little-endian
  size_t itemsize() const;
  template <class T>
  const T* as() const {
    return reinterpret_cast<const T*>(bytes.data());
  }
};

Array2D read_npy(const std::string& path);
// Writes atomically (temporary file + rename).
void write_npy(const std::string& path, const std::string& dtype, size_t rows, size_t cols, const void* data);

// .bvecs: per vector int32 dim then dim uint8; .fvecs: int32 dim then dim float32; .ivecs: int32.
Array2D read_vecs(const std::string& path);  // dtype from the extension

// Dispatches on the extension: .npy, .bvecs, .fvecs, .ivecs.
Array2D read_array(const std::string& path);

}  // namespace bitgrid
