#include "bitgrid/memimage.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

#include "bitgrid/error.h"
#include "bitgrid/insn.h"

namespace bitgrid {

namespace {
constexpr char kMagic[8] = {'B', 'G', 'M', 'E', 'M', '0', '0', '1'};
}

void save_memimage(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::vector<uint8_t> hdr(kMagic, kMagic + 8);
  const uint64_t n = bytes.size();
  for (int k = 0; k < 8; ++k) hdr.push_back(static_cast<uint8_t>(n >> (8 * k)));
  const uint32_t crc = crc32(bytes.data(), bytes.size());
  for (int k = 0; k < 4; ++k) hdr.push_back(static_cast<uint8_t>(crc >> (8 * k)));
  for (int k = 0; k < 4; ++k) hdr.push_back(0);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary);
    f.write(reinterpret_cast<const char*>(hdr.data()), static_cast<std::streamsize>(hdr.size()));
    f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!f) throw Error(path + ": cannot write memory image");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw Error(path + ": cannot write memory image");
}

std::vector<uint8_t> load_memimage(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(path + ": cannot open memory image");
  std::vector<uint8_t> b((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (b.size() < 24) throw Error(path + ": truncated memory image header");
  if (std::memcmp(b.data(), kMagic, 8) != 0) throw Error(path + ": not a bitgrid memory image (bad magic)");
  uint64_t n = 0;
  uint32_t crc = 0;
  for (int k = 0; k < 8; ++k) n |= uint64_t{b[8 + k]} << (8 * k);
  for (int k = 0; k < 4; ++k) crc |= uint32_t{b[16 + k]} << (8 * k);
  if (b.size() != 24 + n)
    throw Error(path + ": memory image holds " + std::to_string(b.size() - 24) + " bytes, header says " +
                std::to_string(n));
  std::vector<uint8_t> out(b.begin() + 24, b.end());
  if (crc32(out.data(), out.size()) != crc) throw Error(path + ": memory image CRC mismatch (corrupt file)");
  return out;
}

}  // namespace bitgrid
