#pragma once
// Data files users bring: NumPy .npy / .npz (uint8, int32, int64, float32; C order; 1-D or 2-D), safetensors
// (float32 / float16 / bfloat16 tensors read as float32) and the ANN-benchmark .bvecs / .fvecs / .ivecs
// formats. Readers validate everything and throw bitgrid::Error naming the file (and the member or tensor)
// and what is wrong (missing, truncated, wrong dtype or shape, offsets out of range).
#include <cstdint>
#include <string>
#include <vector>

namespace bitgrid {

struct Array2D {
  std::string dtype;  // "u1", "i4", "i8", "f4"
  size_t rows = 0, cols = 0;
  int ndim = 2;                // 1: a 1-D array of `rows` elements (cols = 1)
  std::vector<uint8_t> bytes;  // rows * cols * itemsize, little-endian
  size_t itemsize() const;
  template <class T>
  const T* as() const {
    return reinterpret_cast<const T*>(bytes.data());
  }
  static Array2D make(const std::string& dtype, size_t rows, size_t cols, const void* data, int ndim = 2);
};

Array2D read_npy(const std::string& path);
// Writes atomically (temporary file + rename).
void write_npy(const std::string& path, const std::string& dtype, size_t rows, size_t cols, const void* data);
void write_npy(const std::string& path, const Array2D& a);

// .npz: a zip archive of .npy members (compressed or stored). Names are the member names without ".npy"
// (they may contain '/'). Read in archive order; every member must be a .npy this reader accepts.
struct NamedArray {
  std::string name;
  Array2D array;
};
std::vector<NamedArray> read_npz(const std::string& path);
// Writes uncompressed (ZIP_CM_STORE) members NAME.npy, atomically (temporary file + rename). At least one
// member; names must be unique.
void write_npz(const std::string& path, const std::vector<NamedArray>& members);

// safetensors: 8-byte little-endian header length N, N bytes of JSON header {name: {dtype, shape,
// data_offsets: [begin, end]}, "__metadata__": {...}}, then the data (offsets relative to its start).
// Opening reads and validates the whole header (known dtypes, offsets inside the data, byte counts matching
// the shapes, tensors neither overlapping nor leaving holes); read() reads one tensor's bytes.
class SafetensorsFile {
 public:
  struct Tensor {
    std::string name, dtype;  // dtype as in the file: F32, F16, BF16, I64, ...
    std::vector<size_t> shape;
    size_t begin = 0, end = 0;  // byte offsets in the data section
    bool is_float() const;      // F32, F16 or BF16: readable as float32
  };
  explicit SafetensorsFile(const std::string& path);
  const std::string& path() const { return path_; }
  const std::vector<Tensor>& tensors() const { return tensors_; }  // in data-offset order
  const Tensor* find(const std::string& name) const;               // nullptr when absent
  // One 1-D or 2-D float tensor converted to float32 (dtype "f4"); throws naming the file and tensor.
  Array2D read_f32(const std::string& name) const;

 private:
  std::string path_;
  size_t data_start_ = 0;
  std::vector<Tensor> tensors_;
};

// .bvecs: per vector int32 dim then dim uint8; .fvecs: int32 dim then dim float32; .ivecs: int32.
Array2D read_vecs(const std::string& path);  // dtype from the extension

// Dispatches on the extension: .npy, .bvecs, .fvecs, .ivecs.
Array2D read_array(const std::string& path);

}  // namespace bitgrid
