// Weight files: .npz (zip of .npy) written and read back, compressed members, corrupt and truncated archives;
// safetensors files built byte by byte (float32 / float16 / bfloat16), and every header check.
#include <gtest/gtest.h>
#include <zip.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>

#include "bitgrid/datafile.h"
#include "bitgrid/error.h"
#include "unit_util.h"

using namespace bitgrid;
namespace fs = std::filesystem;

namespace {
using bgtest::error_of;
using bgtest::has;

std::string tmp(const std::string& name) { return ::testing::TempDir() + "bitgrid_wf_" + name; }

std::string slurp(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}
void spit(const std::string& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A safetensors file: the 8-byte little-endian header length, the header, the data.
std::string safetensors(const std::string& header, const std::string& data) {
  std::string out;
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out += static_cast<char>((n >> (8 * i)) & 0xFF);
  return out + header + data;
}
template <class T>
std::string bytes_of(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

}  // namespace

TEST(Npz, RoundTrip) {
  const std::string p = tmp("rt.npz");
  std::vector<uint8_t> u(3 * 5);
  for (size_t i = 0; i < u.size(); ++i) u[i] = static_cast<uint8_t>(i * 17);
  const std::vector<float> f = {1.5f, -2.25f, 3e-8f, 1e30f};
  const std::vector<int32_t> i4 = {-1, 2, -3, 4, 5, 6};
  const std::vector<int64_t> i8 = {int64_t{1} << 40, -7};
  write_npz(p, {{"layer.0/codes", Array2D::make("u1", 3, 5, u.data())},
                {"cscale", Array2D::make("f4", 4, 1, f.data(), 1)},
                {"ints", Array2D::make("i4", 2, 3, i4.data())},
                {"longs", Array2D::make("i8", 1, 2, i8.data())}});
  EXPECT_FALSE(fs::exists(p + ".tmp"));
  const auto m = read_npz(p);
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0].name, "layer.0/codes");
  EXPECT_EQ(m[0].array.dtype, "u1");
  EXPECT_EQ(m[0].array.rows, 3u);
  EXPECT_EQ(m[0].array.cols, 5u);
  EXPECT_EQ(m[0].array.ndim, 2);
  EXPECT_EQ(m[0].array.bytes, u);
  EXPECT_EQ(m[1].name, "cscale");
  EXPECT_EQ(m[1].array.ndim, 1);
  EXPECT_EQ(m[1].array.rows, 4u);
  EXPECT_EQ(std::vector<float>(m[1].array.as<float>(), m[1].array.as<float>() + 4), f);
  EXPECT_EQ(m[2].array.dtype, "i4");
  EXPECT_EQ(m[2].array.as<int32_t>()[2], -3);
  EXPECT_EQ(m[3].array.dtype, "i8");
  EXPECT_EQ(m[3].array.as<int64_t>()[0], int64_t{1} << 40);
  // A 1-D array written as .npy keeps its shape (n,).
  write_npy(tmp("one.npy"), Array2D::make("f4", 4, 1, f.data(), 1));
  EXPECT_TRUE(has(slurp(tmp("one.npy")), "'shape': (4,)"));
  EXPECT_EQ(read_npy(tmp("one.npy")).ndim, 1);
}

// Members compressed with deflate (as numpy.savez_compressed writes them) read the same.
TEST(Npz, ReadsCompressedMembers) {
  const std::string plain = tmp("plain.npz"), comp = tmp("comp.npz");
  std::vector<float> f(1000);
  for (size_t i = 0; i < f.size(); ++i) f[i] = static_cast<float>(i % 7);
  write_npz(plain, {{"w", Array2D::make("f4", 10, 100, f.data())}});
  const auto npy = read_npz(plain);
  // Re-pack the member with deflate.
  std::string member;
  {
    int err = 0;
    zip_t* z = zip_open(plain.c_str(), ZIP_RDONLY, &err);
    ASSERT_NE(z, nullptr);
    zip_stat_t st;
    ASSERT_EQ(zip_stat_index(z, 0, 0, &st), 0);
    member.resize(st.size);
    zip_file_t* zf = zip_fopen_index(z, 0, 0);
    ASSERT_EQ(zip_fread(zf, member.data(), st.size), static_cast<zip_int64_t>(st.size));
    zip_fclose(zf);
    zip_discard(z);
  }
  {
    int err = 0;
    fs::remove(comp);
    zip_t* z = zip_open(comp.c_str(), ZIP_CREATE, &err);
    ASSERT_NE(z, nullptr);
    zip_source_t* src = zip_source_buffer(z, member.data(), member.size(), 0);
    const zip_int64_t idx = zip_file_add(z, "w.npy", src, 0);
    ASSERT_GE(idx, 0);
    ASSERT_EQ(zip_set_file_compression(z, static_cast<zip_uint64_t>(idx), ZIP_CM_DEFLATE, 9), 0);
    ASSERT_EQ(zip_close(z), 0);
  }
  EXPECT_LT(fs::file_size(comp), fs::file_size(plain) / 2);
  const auto c = read_npz(comp);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].name, "w");
  EXPECT_EQ(c[0].array.bytes, npy[0].array.bytes);
}

TEST(Npz, CorruptAndTruncatedArchives) {
  const std::string p = tmp("good.npz");
  std::vector<float> f(64, 0.5f);
  write_npz(p, {{"w", Array2D::make("f4", 8, 8, f.data())}});
  const std::string good = slurp(p);
  EXPECT_TRUE(has(error_of([&] { read_npz(tmp("absent.npz")); }), "absent.npz: cannot open")) << "missing";
  // truncated: the central directory is gone
  spit(tmp("trunc.npz"), good.substr(0, good.size() - 30));
  std::string e = error_of([&] { read_npz(tmp("trunc.npz")); });
  EXPECT_TRUE(has(e, "trunc.npz: not a readable .npz")) << e;
  spit(tmp("empty.npz"), "");
  EXPECT_TRUE(has(error_of([&] { read_npz(tmp("empty.npz")); }), "empty.npz")) << "empty";
  // a data byte flipped: the member's CRC fails
  std::string bad = good;
  const size_t at = bad.find("\x93NUMPY") + 200;
  bad[at] = static_cast<char>(bad[at] ^ 0x40);
  spit(tmp("crc.npz"), bad);
  e = error_of([&] { read_npz(tmp("crc.npz")); });
  EXPECT_TRUE(has(e, "crc.npz: member 'w.npy'")) << e;
  // a member that is not .npy, and one whose .npy is unsupported
  {
    int err = 0;
    fs::remove(tmp("other.npz"));
    zip_t* z = zip_open(tmp("other.npz").c_str(), ZIP_CREATE, &err);
    static const char text[] = "hello";
    zip_file_add(z, "notes.txt", zip_source_buffer(z, text, 5, 0), 0);
    ASSERT_EQ(zip_close(z), 0);
  }
  e = error_of([&] { read_npz(tmp("other.npz")); });
  EXPECT_TRUE(has(e, "member 'notes.txt' is not a .npy")) << e;
  {
    std::string h = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }";
    while ((10 + h.size() + 1) % 64) h += ' ';
    h += '\n';
    static std::string npy;
    npy = std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(h.size()) + '\0' + h + std::string(16, '\0');
    int err = 0;
    fs::remove(tmp("f8.npz"));
    zip_t* z = zip_open(tmp("f8.npz").c_str(), ZIP_CREATE, &err);
    zip_file_add(z, "d.npy", zip_source_buffer(z, npy.data(), npy.size(), 0), 0);
    ASSERT_EQ(zip_close(z), 0);
  }
  e = error_of([&] { read_npz(tmp("f8.npz")); });
  EXPECT_TRUE(has(e, "f8.npz: member 'd.npy': dtype f8 is not supported")) << e;
  // writing: nothing to write, duplicate names, an unwritable place (no file left behind)
  EXPECT_TRUE(has(error_of([&] { write_npz(tmp("none.npz"), {}); }), "at least one array"));
  EXPECT_TRUE(has(error_of([&] {
                    write_npz(tmp("dup.npz"),
                              {{"a", Array2D::make("f4", 8, 8, f.data())}, {"a", Array2D::make("f4", 8, 8, f.data())}});
                  }),
                  "not unique"));
  const std::string nodir = tmp("no_such_dir") + "/x.npz";
  EXPECT_TRUE(has(error_of([&] { write_npz(nodir, {{"a", Array2D::make("f4", 8, 8, f.data())}}); }), "cannot write"));
  EXPECT_FALSE(fs::exists(nodir));
  EXPECT_FALSE(fs::exists(tmp("none.npz")));
  EXPECT_FALSE(fs::exists(tmp("dup.npz")));
}

TEST(Safetensors, ReadsFloatTypes) {
  const std::vector<float> f32 = {1.0f, -2.5f, 3.25f, 0.0f, 1e-3f, -7.0f};  // [2, 3]
  // float16: 1, -2, 65504 (largest), 2^-24 (smallest subnormal), 1/3 (0x3555), -0, inf, 2^-14 (smallest normal)
  const std::vector<uint16_t> f16 = {0x3C00, 0xC000, 0x7BFF, 0x0001, 0x3555, 0x8000, 0x7C00, 0x0400};  // [8]
  // bfloat16: 1, -5, 3.140625, 0x0080 = 2^-126
  const std::vector<uint16_t> bf16 = {0x3F80, 0xC0A0, 0x4049, 0x0080};  // [2, 2]
  const std::vector<int64_t> i64 = {1, 2, 3};
  const std::string data = bytes_of(f32) + bytes_of(f16) + bytes_of(bf16) + bytes_of(i64);
  const std::string header =
      R"({"__metadata__": {"format": "pt"},
          "half": {"dtype": "F16", "shape": [8], "data_offsets": [24, 40]},
          "w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
          "b": {"dtype": "BF16", "shape": [2, 2], "data_offsets": [40, 48]},
          "steps": {"dtype": "I64", "shape": [3], "data_offsets": [48, 72]}})";
  const std::string p = tmp("m.safetensors");
  spit(p, safetensors(header, data));
  const SafetensorsFile st(p);
  ASSERT_EQ(st.tensors().size(), 4u);
  EXPECT_EQ(st.tensors()[0].name, "w");  // in data order
  EXPECT_EQ(st.tensors()[1].name, "half");
  EXPECT_EQ(st.tensors()[3].dtype, "I64");
  EXPECT_FALSE(st.tensors()[3].is_float());
  const Array2D w = st.read_f32("w");
  EXPECT_EQ(w.rows, 2u);
  EXPECT_EQ(w.cols, 3u);
  EXPECT_EQ(std::vector<float>(w.as<float>(), w.as<float>() + 6), f32);
  const Array2D h = st.read_f32("half");
  EXPECT_EQ(h.ndim, 1);
  EXPECT_EQ(h.rows, 8u);
  const float* hv = h.as<float>();
  EXPECT_EQ(hv[0], 1.0f);
  EXPECT_EQ(hv[1], -2.0f);
  EXPECT_EQ(hv[2], 65504.0f);
  EXPECT_EQ(hv[3], std::ldexp(1.0f, -24));
  EXPECT_EQ(hv[4], 0.333251953125f);
  EXPECT_TRUE(hv[5] == 0.0f && std::signbit(hv[5]));
  EXPECT_TRUE(std::isinf(hv[6]));
  EXPECT_EQ(hv[7], std::ldexp(1.0f, -14));
  const Array2D b = st.read_f32("b");
  EXPECT_EQ(b.ndim, 2);
  EXPECT_EQ(std::vector<float>(b.as<float>(), b.as<float>() + 4),
            (std::vector<float>{1.0f, -5.0f, 3.140625f, std::ldexp(1.0f, -126)}));
  std::string e = error_of([&] { st.read_f32("steps"); });
  EXPECT_TRUE(has(e, "m.safetensors: tensor 'steps': dtype I64 is not a float type")) << e;
  e = error_of([&] { st.read_f32("nope"); });
  EXPECT_TRUE(has(e, "no tensor 'nope'")) << e;
}

TEST(Safetensors, HeaderChecks) {
  const std::string data(24, '\0');
  auto err = [&](const std::string& header, const std::string& d) {
    const std::string p = tmp("bad.safetensors");
    spit(p, safetensors(header, d));
    return error_of([&] { SafetensorsFile{p}; });
  };
  const std::string ok = R"({"w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}})";
  EXPECT_EQ(err(ok, data), "");
  std::string e = err(ok, data.substr(0, 20));  // truncated data
  EXPECT_TRUE(has(e, "bad.safetensors: tensor 'w': data_offsets end 24 is beyond the data section (20 bytes")) << e;
  e = err(R"({"w": {"dtype": "F12", "shape": [2, 3], "data_offsets": [0, 24]}})", data);
  EXPECT_TRUE(has(e, "tensor 'w': unknown dtype 'F12'")) << e;
  e = err(R"({"w": {"dtype": "F32", "shape": [2, 4], "data_offsets": [0, 24]}})", data);
  EXPECT_TRUE(has(e, "tensor 'w': data_offsets span 24 bytes, shape [2,4] of F32 needs 32")) << e;
  e = err(R"({"w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [8, 4]}})", data);
  EXPECT_TRUE(has(e, "begin 8 > end")) << e;
  e = err(R"({"w": {"dtype": "F32", "shape": [2, -3], "data_offsets": [0, 24]}})", data);
  EXPECT_TRUE(has(e, "tensor 'w': shape: expected a non-negative integer")) << e;
  e = err(R"({"w": {"dtype": "F32", "shape": [2, 3]}})", data);
  EXPECT_TRUE(has(e, "data_offsets must be [begin, end]")) << e;
  e = err(R"({"w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
              "v": {"dtype": "F32", "shape": [1], "data_offsets": [20, 24]}})",
          data);
  EXPECT_TRUE(has(e, "overlaps")) << e;
  e = err(R"({"w": {"dtype": "F32", "shape": [1, 3], "data_offsets": [12, 24]}})", data);
  EXPECT_TRUE(has(e, "data bytes 0..12 belong to no tensor")) << e;
  e = err(R"({"w": {"dtype": "F32", "shape": [1, 3], "data_offsets": [0, 12]}})", data);
  EXPECT_TRUE(has(e, "12 data bytes after the last tensor")) << e;
  e = err(R"({"w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]})", data);
  EXPECT_TRUE(has(e, "not valid JSON")) << e;
  e = err("[1, 2]", data);
  EXPECT_TRUE(has(e, "not a JSON object")) << e;
  // header length beyond the file, and a file shorter than the length field
  const std::string p = tmp("short.safetensors");
  spit(p, safetensors(ok, data).substr(0, 40));
  e = error_of([&] { SafetensorsFile{p}; });
  EXPECT_TRUE(has(e, "short.safetensors: truncated safetensors file: header of")) << e;
  spit(p, std::string("\x05\x00\x00", 3));
  e = error_of([&] { SafetensorsFile{p}; });
  EXPECT_TRUE(has(e, "short.safetensors: truncated safetensors file (3 bytes")) << e;
  e = error_of([&] { SafetensorsFile{tmp("absent.safetensors")}; });
  EXPECT_TRUE(has(e, "absent.safetensors: cannot open")) << e;
  // a 3-D tensor lists, but does not read as a matrix
  spit(p, safetensors(R"({"t": {"dtype": "F32", "shape": [1, 2, 3], "data_offsets": [0, 24]}})", data));
  const SafetensorsFile st(p);
  e = error_of([&] { st.read_f32("t"); });
  EXPECT_TRUE(has(e, "tensor 't': expected a 1-D or 2-D tensor, got 3 dimensions")) << e;
}
