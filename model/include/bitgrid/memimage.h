#pragma once
// DRAM memory image (.bgm): "BGMEM001" magic, uint64 size, uint32 CRC-32 of the bytes, uint32
// reserved, then the bytes.
#include <cstdint>
#include <string>
#include <vector>

namespace bitgrid {

void save_memimage(const std::string& path, const std::vector<uint8_t>& bytes);
std::vector<uint8_t> load_memimage(const std::string& path);  // throws Error on missing/truncated/corrupt

}  // namespace bitgrid
