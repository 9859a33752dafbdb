#include "bitgrid/datafile.h"

#include <cstring>
#include <fstream>
#include <iterator>
#include <regex>

#include "bitgrid/error.h"

namespace bitgrid {

size_t Array2D::itemsize() const {
  if (dtype == "u1") return 1;
  if (dtype == "i4" || dtype == "f4") return 4;
  if (dtype == "i8") return 8;
  return 0;
}

namespace {

std::vector<uint8_t> slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(path + ": cannot open data file");
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

std::string ext_of(const std::string& path) {
  const auto dot = path.rfind('.');
  return dot == std::string::npos ? "" : path.substr(dot);
}

}  // namespace

Array2D read_npy(const std::string& path) {
  const auto b = slurp(path);
  if (b.size() < 10 || std::memcmp(b.data(), "\x93NUMPY", 6) != 0) throw Error(path + ": not a .npy file (bad magic)");
  const int major = b[6];
  size_t hlen = 0, hoff = 0;
  if (major == 1) {
    hlen = b[8] | (b[9] << 8);
    hoff = 10;
  } else if (major == 2 || major == 3) {
    if (b.size() < 12) throw Error(path + ": truncated .npy header");
    hlen = b[8] | (b[9] << 8) | (b[10] << 16) | (static_cast<size_t>(b[11]) << 24);
    hoff = 12;
  } else {
    throw Error(path + ": unsupported .npy version " + std::to_string(major));
  }
  if (b.size() < hoff + hlen) throw Error(path + ": truncated .npy header");
  const std::string h(reinterpret_cast<const char*>(b.data() + hoff), hlen);
  std::smatch mt;
  if (!std::regex_search(h, mt, std::regex("'descr'\\s*:\\s*'([<>|=])([a-z])(\\d+)'")))
    throw Error(path + ": .npy header has no dtype");
  const std::string order = mt[1], kind = mt[2], size = mt[3];
  Array2D a;
  a.dtype = kind + size;
  if (a.itemsize() == 0)
    throw Error(path + ": dtype " + kind + size + " is not supported (use uint8, int32, int64 or float32)");
  if (order == ">" && a.itemsize() > 1) throw Error(path + ": big-endian .npy data is not supported");
  if (std::regex_search(h, std::regex("'fortran_order'\\s*:\\s*True")))
    throw Error(path + ": Fortran-ordered .npy arrays are not supported (save with C order)");
  if (!std::regex_search(h, mt, std::regex("'shape'\\s*:\\s*\\(([^)]*)\\)")))
    throw Error(path + ": .npy header has no shape");
  std::vector<size_t> shape;
  const std::string dims = mt[1];
  std::regex num("(\\d+)");
  for (auto it = std::sregex_iterator(dims.begin(), dims.end(), num); it != std::sregex_iterator(); ++it)
    shape.push_back(std::stoull((*it)[1]));
  if (shape.size() == 1) shape.push_back(1);
  if (shape.size() != 2)
    throw Error(path + ": expected a 2-D array, got " + std::to_string(shape.size()) + " dimensions");
  a.rows = shape[0];
  a.cols = shape[1];
  const size_t need = a.rows * a.cols * a.itemsize();
  const size_t have = b.size() - hoff - hlen;
  if (have < need)
    throw Error(path + ": truncated: shape (" + std::to_string(a.rows) + ", " + std::to_string(a.cols) + ") needs " +
                std::to_string(need) + " data bytes, file has " + std::to_string(have));
  if (have > need) throw Error(path + ": " + std::to_string(have - need) + " bytes beyond the declared shape");
  a.bytes.assign(b.begin() + static_cast<std::ptrdiff_t>(hoff + hlen), b.end());
  return a;
}

void write_npy(const std::string& path, const std::string& dtype, size_t rows, size_t cols, const void* data) {
  const std::string descr = dtype == "u1" ? "|u1" : "<" + dtype;
  std::string h = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + std::to_string(rows) + ", " +
                  std::to_string(cols) + "), }";
  while ((10 + h.size() + 1) % 64 != 0) h += ' ';
  h += '\n';
  Array2D tmp;
  tmp.dtype = dtype;
  const size_t n = rows * cols * tmp.itemsize();
  const std::string tmpname = path + ".tmp";
  {
    std::ofstream f(tmpname, std::ios::binary);
    f.write("\x93NUMPY\x01\x00", 8);
    const char len[2] = {static_cast<char>(h.size() & 0xFF), static_cast<char>(h.size() >> 8)};
    f.write(len, 2);
    f.write(h.data(), static_cast<std::streamsize>(h.size()));
    f.write(static_cast<const char*>(data), static_cast<std::streamsize>(n));
    if (!f) throw Error(path + ": cannot write");
  }
  if (std::rename(tmpname.c_str(), path.c_str()) != 0) throw Error(path + ": cannot write");
}

Array2D read_vecs(const std::string& path) {
  const std::string ext = ext_of(path);
  Array2D a;
  a.dtype = ext == ".bvecs" ? "u1" : ext == ".fvecs" ? "f4" : ext == ".ivecs" ? "i4" : "";
  if (a.dtype.empty()) throw Error(path + ": unknown vector file extension (expected .bvecs, .fvecs or .ivecs)");
  const auto b = slurp(path);
  if (b.empty()) throw Error(path + ": empty file");
  size_t off = 0, dim = 0;
  while (off < b.size()) {
    if (b.size() - off < 4)
      throw Error(path + ": truncated at vector " + std::to_string(a.rows) + " (dimension field)");
    int32_t d;
    std::memcpy(&d, b.data() + off, 4);
    if (d <= 0) throw Error(path + ": vector " + std::to_string(a.rows) + " has dimension " + std::to_string(d));
    if (a.rows == 0) dim = static_cast<size_t>(d);
    if (static_cast<size_t>(d) != dim)
      throw Error(path + ": vector " + std::to_string(a.rows) + " has dimension " + std::to_string(d) +
                  ", the first has " + std::to_string(dim));
    off += 4;
    const size_t n = dim * a.itemsize();
    if (b.size() - off < n) throw Error(path + ": truncated in vector " + std::to_string(a.rows));
    a.bytes.insert(a.bytes.end(), b.begin() + static_cast<std::ptrdiff_t>(off),
                   b.begin() + static_cast<std::ptrdiff_t>(off + n));
    off += n;
    ++a.rows;
  }
  a.cols = dim;
  return a;
}

Array2D read_array(const std::string& path) {
  const std::string ext = ext_of(path);
  if (ext == ".npy") return read_npy(path);
  if (ext == ".bvecs" || ext == ".fvecs" || ext == ".ivecs") return read_vecs(path);
  throw Error(path + ": unknown data file type '" + ext + "' (expected .npy, .bvecs, .fvecs or .ivecs)");
}

}  // namespace bitgrid
