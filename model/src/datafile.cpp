#include "bitgrid/datafile.h"

#include <zip.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

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

namespace {

// Parses the bytes of one .npy (a file or an .npz member); `where` names it in errors.
Array2D parse_npy(const std::string& where, const uint8_t* b, size_t size) {
  if (size < 10 || std::memcmp(b, "\x93NUMPY", 6) != 0) throw Error(where + ": not a .npy file (bad magic)");
  const int major = b[6];
  size_t hlen = 0, hoff = 0;
  if (major == 1) {
    hlen = b[8] | (b[9] << 8);
    hoff = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) throw Error(where + ": truncated .npy header");
    hlen = b[8] | (b[9] << 8) | (b[10] << 16) | (static_cast<size_t>(b[11]) << 24);
    hoff = 12;
  } else {
    throw Error(where + ": unsupported .npy version " + std::to_string(major));
  }
  if (size < hoff + hlen) throw Error(where + ": truncated .npy header");
  const std::string h(reinterpret_cast<const char*>(b + hoff), hlen);
  std::smatch mt;
  if (!std::regex_search(h, mt, std::regex("'descr'\\s*:\\s*'([<>|=])([a-z])(\\d+)'")))
    throw Error(where + ": .npy header has no dtype");
  const std::string order = mt[1], kind = mt[2], bytes = mt[3];
  Array2D a;
  a.dtype = kind + bytes;
  if (a.itemsize() == 0)
    throw Error(where + ": dtype " + kind + bytes + " is not supported (use uint8, int32, int64 or float32)");
  if (order == ">" && a.itemsize() > 1) throw Error(where + ": big-endian .npy data is not supported");
  if (std::regex_search(h, std::regex("'fortran_order'\\s*:\\s*True")))
    throw Error(where + ": Fortran-ordered .npy arrays are not supported (save with C order)");
  if (!std::regex_search(h, mt, std::regex("'shape'\\s*:\\s*\\(([^)]*)\\)")))
    throw Error(where + ": .npy header has no shape");
  std::vector<size_t> shape;
  const std::string dims = mt[1];
  std::regex num("(\\d+)");
  for (auto it = std::sregex_iterator(dims.begin(), dims.end(), num); it != std::sregex_iterator(); ++it) {
    const std::string d = (*it)[1];
    if (d.size() > 15) throw Error(where + ": .npy shape dimension " + d + " is too large");
    shape.push_back(std::stoull(d));
  }
  a.ndim = static_cast<int>(shape.size());
  if (shape.size() == 1) shape.push_back(1);
  if (shape.size() != 2)
    throw Error(where + ": expected a 1-D or 2-D array, got " + std::to_string(a.ndim) + " dimensions");
  a.rows = shape[0];
  a.cols = shape[1];
  const size_t have = size - hoff - hlen;
  if (a.cols != 0 && a.rows > have / a.cols / a.itemsize() + 1)
    throw Error(where + ": truncated: shape (" + std::to_string(a.rows) + ", " + std::to_string(a.cols) +
                ") needs more data bytes than the file's " + std::to_string(have));
  const size_t need = a.rows * a.cols * a.itemsize();
  if (have < need)
    throw Error(where + ": truncated: shape (" + std::to_string(a.rows) + ", " + std::to_string(a.cols) + ") needs " +
                std::to_string(need) + " data bytes, file has " + std::to_string(have));
  if (have > need) throw Error(where + ": " + std::to_string(have - need) + " bytes beyond the declared shape");
  a.bytes.assign(b + hoff + hlen, b + size);
  return a;
}

// The bytes of a .npy file holding `a` (format version 1.0, header padded to 64 bytes).
std::string encode_npy(const Array2D& a) {
  if (a.itemsize() == 0) throw Error("cannot write dtype '" + a.dtype + "' to .npy (use u1, i4, i8 or f4)");
  const std::string descr = a.dtype == "u1" ? "|u1" : "<" + a.dtype;
  const std::string shape =
      a.ndim == 1 ? std::to_string(a.rows) + "," : std::to_string(a.rows) + ", " + std::to_string(a.cols);
  std::string h = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + shape + "), }";
  while ((10 + h.size() + 1) % 64 != 0) h += ' ';
  h += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(h.size() & 0xFF);
  out += static_cast<char>(h.size() >> 8);
  out += h;
  out.append(reinterpret_cast<const char*>(a.bytes.data()), a.bytes.size());
  return out;
}

}  // namespace

Array2D Array2D::make(const std::string& dtype, size_t rows, size_t cols, const void* data, int ndim) {
  Array2D a;
  a.dtype = dtype;
  a.rows = rows;
  a.cols = ndim == 1 ? 1 : cols;
  a.ndim = ndim;
  const auto* p = static_cast<const uint8_t*>(data);
  a.bytes.assign(p, p + a.rows * a.cols * a.itemsize());
  return a;
}

Array2D read_npy(const std::string& path) {
  const auto b = slurp(path);
  return parse_npy(path, b.data(), b.size());
}

void write_npy(const std::string& path, const Array2D& a) {
  const std::string bytes = encode_npy(a);
  const std::string tmpname = path + ".tmp";
  {
    std::ofstream f(tmpname, std::ios::binary);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!f) {
      std::remove(tmpname.c_str());
      throw Error(path + ": cannot write");
    }
  }
  if (std::rename(tmpname.c_str(), path.c_str()) != 0) {
    std::remove(tmpname.c_str());
    throw Error(path + ": cannot write");
  }
}

void write_npy(const std::string& path, const std::string& dtype, size_t rows, size_t cols, const void* data) {
  write_npy(path, Array2D::make(dtype, rows, cols, data));
}

// ---- .npz ----

namespace {

std::string zip_message(zip_error_t* e) {
  std::string m = zip_error_strerror(e);
  zip_error_fini(e);
  return m;
}

}  // namespace

std::vector<NamedArray> read_npz(const std::string& path) {
  {
    std::ifstream probe(path, std::ios::binary);
    if (!probe) throw Error(path + ": cannot open data file");
  }
  int err = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &err);
  if (!z) {
    zip_error_t e;
    zip_error_init_with_code(&e, err);
    throw Error(path + ": not a readable .npz (zip) archive: " + zip_message(&e));
  }
  std::unique_ptr<zip_t, void (*)(zip_t*)> guard(z, [](zip_t* p) { zip_discard(p); });
  const zip_int64_t n = zip_get_num_entries(z, 0);
  std::vector<NamedArray> out;
  std::set<std::string> seen;
  for (zip_int64_t i = 0; i < n; ++i) {
    zip_stat_t st;
    if (zip_stat_index(z, static_cast<zip_uint64_t>(i), 0, &st) != 0 || !(st.valid & ZIP_STAT_NAME) ||
        !(st.valid & ZIP_STAT_SIZE))
      throw Error(path + ": member " + std::to_string(i) + ": cannot read its zip entry (" + zip_strerror(z) + ")");
    const std::string member = st.name;
    const std::string where = path + ": member '" + member + "'";
    if (member.size() < 5 || member.compare(member.size() - 4, 4, ".npy") != 0)
      throw Error(where + " is not a .npy array (an .npz holds only NAME.npy members)");
    // deflate expands at most ~1032x: a larger claimed size is a corrupt entry, not a reason to allocate it
    if ((st.valid & ZIP_STAT_COMP_SIZE) && st.size / 1100 > st.comp_size + 1024)
      throw Error(where + ": corrupt zip entry (claims " + std::to_string(st.size) + " bytes from " +
                  std::to_string(st.comp_size) + " compressed)");
    std::vector<uint8_t> buf(static_cast<size_t>(st.size));
    zip_file_t* f = zip_fopen_index(z, static_cast<zip_uint64_t>(i), 0);
    if (!f) throw Error(where + ": cannot open (" + std::string(zip_strerror(z)) + ")");
    const zip_int64_t got = buf.empty() ? 0 : zip_fread(f, buf.data(), buf.size());
    // Reading past the end checks the CRC of the whole member.
    char extra;
    const zip_int64_t more = zip_fread(f, &extra, 1);
    std::string ferr = got < 0 || more < 0 ? zip_file_strerror(f) : "";
    zip_fclose(f);
    if (!ferr.empty()) throw Error(where + ": corrupt or truncated (" + ferr + ")");
    if (static_cast<zip_uint64_t>(got) != st.size || more != 0)
      throw Error(where + ": truncated (" + std::to_string(got) + " of " + std::to_string(st.size) + " bytes)");
    NamedArray na;
    na.name = member.substr(0, member.size() - 4);
    if (!seen.insert(na.name).second) throw Error(where + ": appears twice");
    na.array = parse_npy(where, buf.data(), buf.size());
    out.push_back(std::move(na));
  }
  return out;
}

void write_npz(const std::string& path, const std::vector<NamedArray>& members) {
  if (members.empty()) throw Error(path + ": an .npz needs at least one array");
  std::set<std::string> seen;
  std::vector<std::string> blobs;  // libzip reads the buffers at zip_close
  blobs.reserve(members.size());
  for (const auto& m : members) {
    if (m.name.empty() || !seen.insert(m.name).second)
      throw Error(path + ": member name '" + m.name + "' is empty or not unique");
    blobs.push_back(encode_npy(m.array));
  }
  const std::string tmpname = path + ".tmp";
  int err = 0;
  zip_t* z = zip_open(tmpname.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  if (!z) {
    zip_error_t e;
    zip_error_init_with_code(&e, err);
    throw Error(path + ": cannot write (" + zip_message(&e) + ")");
  }
  auto fail = [&](const std::string& what) {
    const std::string m = path + ": cannot write " + what + " (" + zip_strerror(z) + ")";
    zip_discard(z);
    std::remove(tmpname.c_str());
    throw Error(m);
  };
  for (size_t i = 0; i < members.size(); ++i) {
    zip_source_t* src = zip_source_buffer(z, blobs[i].data(), blobs[i].size(), 0);
    if (!src) fail("member '" + members[i].name + "'");
    const zip_int64_t idx = zip_file_add(z, (members[i].name + ".npy").c_str(), src, ZIP_FL_ENC_UTF_8);
    if (idx < 0) {
      zip_source_free(src);
      fail("member '" + members[i].name + "'");
    }
    if (zip_set_file_compression(z, static_cast<zip_uint64_t>(idx), ZIP_CM_STORE, 0) != 0)
      fail("member '" + members[i].name + "'");
    // A fixed date (1980-01-01 00:00, DOS time's first day): the same arrays give the same archive bytes.
    if (zip_file_set_dostime(z, static_cast<zip_uint64_t>(idx), 0, (0 << 9) | (1 << 5) | 1, 0) != 0)
      fail("member '" + members[i].name + "'");
  }
  if (zip_close(z) != 0) fail("the archive");
  if (std::rename(tmpname.c_str(), path.c_str()) != 0) {
    std::remove(tmpname.c_str());
    throw Error(path + ": cannot write");
  }
}

// ---- safetensors ----

namespace {

size_t safetensors_itemsize(const std::string& dt) {
  static const std::map<std::string, size_t> sizes = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1}, {"I16", 2}, {"U16", 2}, {"F16", 2},
      {"BF16", 2}, {"I32", 4}, {"U32", 4}, {"F32", 4},     {"I64", 8},     {"U64", 8}, {"F64", 8}};
  const auto it = sizes.find(dt);
  return it == sizes.end() ? 0 : it->second;
}

float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h >> 15) << 31;
  const uint32_t exp = (h >> 10) & 0x1F, man = h & 0x3FF;
  uint32_t bits;
  if (exp == 0x1F) {
    bits = sign | 0x7F800000u | (man << 13);  // inf / nan
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (man << 13);
  } else if (man == 0) {
    bits = sign;
  } else {  // subnormal: man * 2^-24
    const float v = std::ldexp(static_cast<float>(man), -24);
    std::memcpy(&bits, &v, 4);
    bits |= sign;
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

size_t json_size(const nlohmann::json& j, const std::string& where) {
  if (!j.is_number_unsigned()) throw Error(where + ": expected a non-negative integer, got " + j.dump());
  return j.get<size_t>();
}

}  // namespace

bool SafetensorsFile::Tensor::is_float() const { return dtype == "F32" || dtype == "F16" || dtype == "BF16"; }

SafetensorsFile::SafetensorsFile(const std::string& path) : path_(path) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) throw Error(path + ": cannot open data file");
  const auto fsize = static_cast<size_t>(f.tellg());
  f.seekg(0);
  if (fsize < 8)
    throw Error(path + ": truncated safetensors file (" + std::to_string(fsize) + " bytes, no header length)");
  uint8_t len[8];
  f.read(reinterpret_cast<char*>(len), 8);
  uint64_t hlen = 0;
  for (int i = 7; i >= 0; --i) hlen = (hlen << 8) | len[i];
  if (hlen > fsize - 8)
    throw Error(path + ": truncated safetensors file: header of " + std::to_string(hlen) + " bytes, file has " +
                std::to_string(fsize - 8) + " after the length");
  std::string h(static_cast<size_t>(hlen), '\0');
  f.read(h.data(), static_cast<std::streamsize>(hlen));
  if (!f) throw Error(path + ": cannot read the safetensors header");
  data_start_ = 8 + static_cast<size_t>(hlen);
  const size_t dsize = fsize - data_start_;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(h);
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": safetensors header is not valid JSON (" + std::string(e.what()) + ")");
  }
  if (!j.is_object()) throw Error(path + ": safetensors header is not a JSON object");
  for (const auto& [name, t] : j.items()) {
    if (name == "__metadata__") {
      if (!t.is_object()) throw Error(path + ": __metadata__ is not an object");
      continue;
    }
    const std::string where = path + ": tensor '" + name + "'";
    if (!t.is_object()) throw Error(where + ": expected an object {dtype, shape, data_offsets}");
    for (const auto& [k, v] : t.items()) {
      (void)v;
      if (k != "dtype" && k != "shape" && k != "data_offsets") throw Error(where + ": unknown key '" + k + "'");
    }
    if (!t.contains("dtype") || !t["dtype"].is_string()) throw Error(where + ": no dtype");
    if (!t.contains("shape") || !t["shape"].is_array()) throw Error(where + ": no shape");
    if (!t.contains("data_offsets") || !t["data_offsets"].is_array() || t["data_offsets"].size() != 2)
      throw Error(where + ": data_offsets must be [begin, end]");
    Tensor x;
    x.name = name;
    x.dtype = t["dtype"].get<std::string>();
    const size_t isz = safetensors_itemsize(x.dtype);
    if (isz == 0) throw Error(where + ": unknown dtype '" + x.dtype + "'");
    size_t numel = 1;
    for (const auto& d : t["shape"]) {
      x.shape.push_back(json_size(d, where + ": shape"));
      if (x.shape.back() != 0 && numel > dsize / x.shape.back())
        throw Error(where + ": shape " + t["shape"].dump() + " needs more bytes than the file's data section (" +
                    std::to_string(dsize) + ")");
      numel *= x.shape.back();
    }
    x.begin = json_size(t["data_offsets"][0], where + ": data_offsets");
    x.end = json_size(t["data_offsets"][1], where + ": data_offsets");
    if (x.begin > x.end) throw Error(where + ": data_offsets begin " + std::to_string(x.begin) + " > end");
    if (x.end > dsize)
      throw Error(where + ": data_offsets end " + std::to_string(x.end) + " is beyond the data section (" +
                  std::to_string(dsize) + " bytes; truncated file?)");
    if (x.end - x.begin != numel * isz)
      throw Error(where + ": data_offsets span " + std::to_string(x.end - x.begin) + " bytes, shape " +
                  t["shape"].dump() + " of " + x.dtype + " needs " + std::to_string(numel * isz));
    tensors_.push_back(std::move(x));
  }
  std::sort(tensors_.begin(), tensors_.end(),
            [](const Tensor& a, const Tensor& b) { return a.begin != b.begin ? a.begin < b.begin : a.end < b.end; });
  size_t pos = 0;
  for (const auto& x : tensors_) {
    if (x.begin < pos) throw Error(path + ": tensor '" + x.name + "' overlaps the previous tensor's bytes");
    if (x.begin > pos)
      throw Error(path + ": data bytes " + std::to_string(pos) + ".." + std::to_string(x.begin) +
                  " belong to no tensor (before '" + x.name + "')");
    pos = x.end;
  }
  if (pos != dsize)
    throw Error(path + ": " + std::to_string(dsize - pos) + " data bytes after the last tensor belong to no tensor");
}

const SafetensorsFile::Tensor* SafetensorsFile::find(const std::string& name) const {
  for (const auto& t : tensors_)
    if (t.name == name) return &t;
  return nullptr;
}

Array2D SafetensorsFile::read_f32(const std::string& name) const {
  const Tensor* t = find(name);
  if (!t) throw Error(path_ + ": no tensor '" + name + "'");
  const std::string where = path_ + ": tensor '" + name + "'";
  if (!t->is_float()) throw Error(where + ": dtype " + t->dtype + " is not a float type (F32, F16 or BF16)");
  if (t->shape.size() != 1 && t->shape.size() != 2)
    throw Error(where + ": expected a 1-D or 2-D tensor, got " + std::to_string(t->shape.size()) + " dimensions");
  std::ifstream f(path_, std::ios::binary);
  if (!f) throw Error(path_ + ": cannot open data file");
  std::vector<uint8_t> raw(t->end - t->begin);
  f.seekg(static_cast<std::streamoff>(data_start_ + t->begin));
  f.read(reinterpret_cast<char*>(raw.data()), static_cast<std::streamsize>(raw.size()));
  if (!f) throw Error(where + ": truncated (cannot read its " + std::to_string(raw.size()) + " bytes)");
  Array2D a;
  a.dtype = "f4";
  a.ndim = static_cast<int>(t->shape.size());
  a.rows = t->shape[0];
  a.cols = a.ndim == 2 ? t->shape[1] : 1;
  const size_t n = a.rows * a.cols;
  a.bytes.resize(n * 4);
  float* out = reinterpret_cast<float*>(a.bytes.data());
  if (t->dtype == "F32") {
    std::memcpy(out, raw.data(), n * 4);
  } else {
    for (size_t i = 0; i < n; ++i) {
      const uint16_t h = static_cast<uint16_t>(raw[2 * i] | (raw[2 * i + 1] << 8));
      if (t->dtype == "F16") {
        out[i] = half_to_float(h);
      } else {
        const uint32_t bits = static_cast<uint32_t>(h) << 16;
        std::memcpy(&out[i], &bits, 4);
      }
    }
  }
  return a;
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
