// Hardware config validation, data files and the energy table.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>

#include "bitgrid/datafile.h"
#include "bitgrid/energy.h"
#include "bitgrid/error.h"
#include "bitgrid/hwconfig.h"
#include "unit_util.h"

using namespace bitgrid;

namespace {
using bgtest::error_of;
using bgtest::has;
std::string hw_error(const std::string& yaml) {
  try {
    HwConfig::from_yaml(YAML::Load(yaml), "hw.yaml");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(HwConfig, DefaultsComeFromTheIsaFile) {
  const HwConfig hw;
  EXPECT_EQ(hw.ham_lanes, 8);  // configs/isa/engines/hamtopk.yaml default
  EXPECT_EQ(hw.topk_max, 64);
  EXPECT_EQ(hw.row_words(isa::Buf::kDbuf), 8);
  EXPECT_EQ(hw.buf_words(isa::Buf::kDbuf), 256 * 128);
}

TEST(HwConfig, BadValuesNameKeyAndLimit) {
  EXPECT_TRUE(has(hw_error("ham_lanes: 0"), "hw.yaml.ham_lanes: 0 is below the minimum 1"));
  EXPECT_TRUE(has(hw_error("ham_lanes: 6"), "not a power of two"));
  EXPECT_TRUE(has(hw_error("topk_max: 500"), "above the maximum 127"));
  EXPECT_TRUE(has(hw_error("lanes: 4"), "hw.yaml.lanes: unknown hardware parameter"));
  EXPECT_TRUE(has(hw_error("ham_lanes: four"), "not an integer"));
  EXPECT_TRUE(has(hw_error("ham_lanes: [1, 2]"), "expected an integer"));
  EXPECT_TRUE(has(hw_error("max_code_bits: 100"), "not a multiple of 64"));
  EXPECT_TRUE(has(hw_error("dram_burst_bytes: 16"), "smaller than one beat"));
  EXPECT_EQ(hw_error("ham_lanes: 4\ntopk_max: 10"), "");
  EXPECT_TRUE(has(hw_error("has_bitmac: 2"), "hw.yaml.has_bitmac: 2 is above the maximum 1"));
  EXPECT_TRUE(has(hw_error("has_bitmac: 0\nhas_hamtopk: 0\nhas_hashgrid: 0\nhas_binenc: 0\nhas_lut: 0\nhas_signacc: 0\n"
                           "has_wpack: 0\nhas_tabacc: 0"),
                  "the machine needs an engine"));
  // the binary encoder links the MAC array and the Hamming engine: without either it must be left out too
  EXPECT_TRUE(has(hw_error("has_bitmac: 0"),
                  "hw.yaml.has_binenc: the binary encoder feeds the Hamming engine from the "
                  "MAC array; with has_bitmac: 0 set has_binenc: 0"));
  EXPECT_TRUE(has(hw_error("has_hamtopk: 0"), "with has_hamtopk: 0 set has_binenc: 0"));
  EXPECT_TRUE(has(hw_error("has_bitmac: 0\nhas_binenc: 0\nhas_signacc: 0"),
                  "hw.yaml.has_lut: the table unit maps the MAC array's"));
  // the sign-select accumulator reads obuf (values) and qbuf/dbuf (codes): it needs both engines too
  EXPECT_TRUE(has(hw_error("has_bitmac: 0\nhas_binenc: 0\nhas_lut: 0"),
                  "hw.yaml.has_signacc: the sign-select accumulator reads values from the MAC array's obuf"));
  EXPECT_TRUE(
      has(hw_error("has_hamtopk: 0\nhas_binenc: 0"), "with has_bitmac: 0 or has_hamtopk: 0 set has_signacc: 0"));
  // the weight packer turns obuf rows into wbuf tiles: the MAC array's buffers
  EXPECT_TRUE(has(hw_error("has_bitmac: 0\nhas_binenc: 0\nhas_lut: 0\nhas_signacc: 0"),
                  "hw.yaml.has_wpack: the weight packer turns the MAC array's outputs into its weights; with "
                  "has_bitmac: 0 set has_wpack: 0"));
  EXPECT_TRUE(has(hw_error("has_bitmac: 0\nhas_binenc: 0\nhas_lut: 0\nhas_signacc: 0\nhas_wpack: 0"),
                  "hw.yaml.has_tabacc: the table accumulator reads the MAC array's abuf, wbuf and sbuf"));
  // An absent engine's parameters are not its checks' business any more: a MAC array too large for its
  // buffers is fine when the machine leaves the array out.
  EXPECT_TRUE(has(hw_error("mac_rows: 64\nmac_cols: 64\nwbuf_kib: 1"), "wbuf_kib"));
  EXPECT_EQ(
      hw_error("has_bitmac: 0\nhas_binenc: 0\nhas_lut: 0\nhas_signacc: 0\nhas_wpack: 0\nhas_tabacc: 0\nmac_rows: 64\n"
               "mac_cols: 64\nwbuf_kib: 1"),
      "");
}

TEST(HwConfig, RtlOverridesCoverEveryParameter) {
  const auto o = HwConfig{}.rtl_overrides();
  EXPECT_EQ(o.size(), isa::kParams.size());
  EXPECT_NE(std::find(o.begin(), o.end(), "-GHamLanes=8"), o.end());
}

TEST(DataFile, NpyRoundTripAndErrors) {
  const std::string p = ::testing::TempDir() + "codes.npy";
  std::vector<uint8_t> v(6 * 32);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<uint8_t>(i * 7);
  write_npy(p, "u1", 6, 32, v.data());
  const Array2D a = read_npy(p);
  EXPECT_EQ(a.dtype, "u1");
  EXPECT_EQ(a.rows, 6u);
  EXPECT_EQ(a.cols, 32u);
  EXPECT_EQ(a.bytes, v);
  // truncate
  std::ifstream in(p, std::ios::binary);
  std::vector<char> b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  {
    std::ofstream out(p, std::ios::binary);
    out.write(b.data(), static_cast<std::streamsize>(b.size() - 3));
  }
  try {
    read_npy(p);
    FAIL();
  } catch (const Error& e) {
    EXPECT_TRUE(has(e.what(), "truncated")) << e.what();
  }
  std::vector<double> dbl(4);
  // unsupported dtype: write by hand a float64 header
  {
    std::string h = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }";
    while ((10 + h.size() + 1) % 64) h += ' ';
    h += '\n';
    std::ofstream out(p, std::ios::binary);
    out.write("\x93NUMPY\x01\x00", 8);
    const char len[2] = {static_cast<char>(h.size()), 0};
    out.write(len, 2);
    out << h;
    out.write(reinterpret_cast<const char*>(dbl.data()), 32);
  }
  try {
    read_npy(p);
    FAIL();
  } catch (const Error& e) {
    EXPECT_TRUE(has(e.what(), "dtype f8")) << e.what();
  }
  EXPECT_THROW(read_array(p + ".nothere.npy"), Error);
  EXPECT_THROW(read_array(p + ".csv"), Error);
}

TEST(DataFile, VecsFormats) {
  const std::string p = ::testing::TempDir() + "x.bvecs";
  {
    std::ofstream out(p, std::ios::binary);
    for (int r = 0; r < 3; ++r) {
      const int32_t d = 16;
      out.write(reinterpret_cast<const char*>(&d), 4);
      for (int i = 0; i < 16; ++i) out.put(static_cast<char>(r * 16 + i));
    }
  }
  const Array2D a = read_array(p);
  EXPECT_EQ(a.rows, 3u);
  EXPECT_EQ(a.cols, 16u);
  EXPECT_EQ(a.bytes[17], 17);
  {
    std::ofstream out(p, std::ios::binary | std::ios::app);
    const int32_t d = 16;
    out.write(reinterpret_cast<const char*>(&d), 4);
    out.put(1);  // truncated vector
  }
  EXPECT_THROW(read_array(p), Error);
}

TEST(Energy, TableUnitsAndInterpolation) {
  const YAML::Node n = YAML::Load(
      "name: t\nunits: {energy: pJ}\nenergy_pj: {dram_byte: 2, sram_64b_by_kib: {8: 10, 32: 20}, hamtopk: {word_op: "
      "1, topk_compare: 0.5}, bitmac: {pe_term: 1, pe_mul: 1, col_add: 1, rescale: 1, requant: 1}, hashgrid: {lookup: "
      "1, requant: 1}, binenc: {code_word: 1}, lut: {lookup: 1}, signacc: {sel_add: 1, div_step: 1, out_mul: 1}, "
      "wpack: {byte_in: 1}, tabacc: {tab_add: 1, requant: 1}}");
  const EnergyTable t = EnergyTable::from_yaml(n, "e.yaml");
  EXPECT_DOUBLE_EQ(t.sram_pj(8), 10);
  EXPECT_DOUBLE_EQ(t.sram_pj(16), 15);  // halfway in log2 between 8 and 32
  EXPECT_DOUBLE_EQ(t.sram_pj(1), 10);
  EXPECT_THROW(EnergyTable::from_yaml(YAML::Load("name: t\nunits: {energy: nJ}\nenergy_pj: {}"), "e.yaml"), Error);
  ActionCounts a;
  a.count["hamtopk.word_op"] = 10;
  a.count["hamtopk.topk_compare"] = 4;
  a.count["dram.read_bytes"] = 3;
  a.count["sram.qbuf.read_words"] = 7;
  const auto e = energy_pj(a, HwConfig{}, t);
  EXPECT_DOUBLE_EQ(e.at("hamtopk.word_op"), 10);
  EXPECT_DOUBLE_EQ(e.at("hamtopk.topk_compare"), 2);
  EXPECT_DOUBLE_EQ(e.at("dram"), 6);
  EXPECT_DOUBLE_EQ(e.at("sram.qbuf"), 7 * 15.0);  // qbuf_kib = 16: halfway (in log) between 8 and 32 KiB
  EXPECT_DOUBLE_EQ(e.at("total"), 10 + 2 + 6 + e.at("sram.qbuf"));
}

// A buffer an engine holds itself is priced by its physical arrays (ARCHITECTURE.md §3.4, §6): gbuf's default
// 1024 KiB is 4 segments (hg_engines) of 4 copies (hg_max_dims 3) of two banks, so a read touches a 128 KiB
// bank and each DMA word is written 4 times.
TEST(Energy, OwnedBufferPricedByItsBanksAndCopies) {
  const YAML::Node n = YAML::Load(
      "name: t\nunits: {energy: pJ}\nenergy_pj: {dram_byte: 2, sram_64b_by_kib: {8: 10, 32: 20, 512: 40}, hamtopk: "
      "{word_op: 1, topk_compare: 0.5}, bitmac: {pe_term: 1, pe_mul: 1, col_add: 1, rescale: 1, requant: 1}, "
      "hashgrid: {lookup: 1, requant: 1}, binenc: {code_word: 1}, lut: {lookup: 1}, signacc: {sel_add: 1, div_step: 1, "
      "out_mul: 1}, wpack: {byte_in: 1}, tabacc: {tab_add: 1, requant: 1}}");
  const EnergyTable t = EnergyTable::from_yaml(n, "e.yaml");
  ActionCounts a;
  a.count["sram.gbuf.read_words"] = 5;
  a.count["sram.gbuf.write_words"] = 3;
  a.count["sram.xbuf.read_words"] = 2;
  HwConfig hw;
  ASSERT_EQ(hw.gbuf_kib, 1024);
  ASSERT_EQ(hw.hg_engines, 4);
  ASSERT_EQ(hw.hg_max_dims, 3);
  // 128 KiB: halfway in log2 between 32 (20 pJ) and 512 KiB (40 pJ)
  EXPECT_DOUBLE_EQ(energy_pj(a, hw, t).at("sram.gbuf"), (5 + 3 * 4) * 30.0);
  // xbuf is a plain scratchpad: its logical 256 KiB (log2 8 of 5..9: 35 pJ)
  EXPECT_DOUBLE_EQ(energy_pj(a, hw, t).at("sram.xbuf"), 2 * 35.0);
  hw.hg_max_dims = 2;  // two copies
  hw.hg_engines = 1;   // one 512 KiB bank per copy
  EXPECT_DOUBLE_EQ(energy_pj(a, hw, t).at("sram.gbuf"), (5 + 3 * 2) * 40.0);
}

// Every engine prices its own actions in a section named after it: a table must price every action of
// every engine (configs/isa/engines/*.yaml) and nothing else.
TEST(Energy, EngineSectionsAreCheckedAgainstTheIsa) {
  // The other engines' sections, complete, so that the errors below are hamtopk's.
  const std::string bitmac =
      ", bitmac: {pe_term: 1, pe_mul: 1, col_add: 1, rescale: 1, requant: 1}, hashgrid: {lookup: 1, requant: 1}, "
      "binenc: {code_word: 1}, lut: {lookup: 1}, signacc: {sel_add: 1, div_step: 1, out_mul: 1}, wpack: {byte_in: 1}, "
      "tabacc: {tab_add: 1, requant: 1}";
  auto err = [&](const std::string& body) {
    try {
      EnergyTable::from_yaml(YAML::Load("name: t\nunits: {energy: pJ}\nenergy_pj: {dram_byte: 1, sram_64b_by_kib: "
                                        "{8: 1}" +
                                        bitmac + body + "}"),
                             "e.yaml");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_TRUE(has(err(""), "e.yaml.energy_pj.hamtopk: missing")) << err("");
  EXPECT_TRUE(has(err(", hamtopk: {word_op: 1}"), "e.yaml.energy_pj.hamtopk.topk_compare: missing"));
  EXPECT_TRUE(has(err(", hamtopk: {word_op: 1, topk_compare: 1, flux: 2}"), "hamtopk.flux: unknown action"));
  EXPECT_TRUE(
      has(err(", hamtopk: {word_op: 1, topk_compare: 1}, ham_word_op: 2"), "ham_word_op: unknown action or engine"));
  EXPECT_TRUE(has(err(", hamtopk: {word_op: -1, topk_compare: 1}"), "word_op: must be >= 0"));
  EXPECT_EQ(err(", hamtopk: {word_op: 1, topk_compare: 1}"), "");
  // The shipped tables load.
  for (const char* f : {"horowitz45", "bitmod28"})
    EXPECT_NO_THROW(
        EnergyTable::from_yaml(YAML::LoadFile(std::string(BITGRID_SOURCE_DIR) + "/configs/energy/" + f + ".yaml"), f));
}
