#include "bitgrid/energy.h"

#include <yaml-cpp/yaml.h>

#include <cmath>

#include "bitgrid/error.h"

namespace bitgrid {

EnergyTable EnergyTable::from_yaml(const YAML::Node& n, const std::string& where) {
  EnergyTable t;
  if (!n.IsMap()) throw Error(where + ": expected a map with name, units and energy_pj");
  for (const auto& kv : n) {
    const auto key = kv.first.as<std::string>();
    if (key != "name" && key != "units" && key != "energy_pj") throw Error(where + "." + key + ": unknown key");
  }
  t.name = n["name"] ? n["name"].as<std::string>() : "unnamed";
  if (!n["units"] || !n["units"]["energy"] || n["units"]["energy"].as<std::string>() != "pJ")
    throw Error(where + ".units.energy: must be stated and be 'pJ'");
  const YAML::Node e = n["energy_pj"];
  if (!e || !e.IsMap()) throw Error(where + ".energy_pj: missing");
  auto num = [&](const std::string& k) {
    if (!e[k]) throw Error(where + ".energy_pj." + k + ": missing");
    try {
      const double v = e[k].as<double>();
      if (!(v >= 0)) throw Error(where + ".energy_pj." + k + ": must be >= 0");
      return v;
    } catch (const YAML::Exception&) {
      throw Error(where + ".energy_pj." + k + ": expected a number");
    }
  };
  for (const auto& kv : e) {
    const auto key = kv.first.as<std::string>();
    if (key != "ham_word_op" && key != "topk_compare" && key != "dram_byte" && key != "sram_64b_by_kib")
      throw Error(where + ".energy_pj." + key + ": unknown action");
  }
  t.ham_word_op = num("ham_word_op");
  t.topk_compare = num("topk_compare");
  t.dram_byte = num("dram_byte");
  const YAML::Node s = e["sram_64b_by_kib"];
  if (!s || !s.IsMap() || s.size() == 0) throw Error(where + ".energy_pj.sram_64b_by_kib: missing");
  for (const auto& kv : s) {
    try {
      t.sram_64b_by_kib[kv.first.as<double>()] = kv.second.as<double>();
    } catch (const YAML::Exception&) {
      throw Error(where + ".energy_pj.sram_64b_by_kib: expected KiB: pJ pairs of numbers");
    }
  }
  return t;
}

double EnergyTable::sram_pj(double kib) const {
  if (sram_64b_by_kib.size() == 1 || kib <= sram_64b_by_kib.begin()->first) return sram_64b_by_kib.begin()->second;
  if (kib >= sram_64b_by_kib.rbegin()->first) return sram_64b_by_kib.rbegin()->second;
  auto hi = sram_64b_by_kib.lower_bound(kib);
  auto lo = std::prev(hi);
  const double f = (std::log(kib) - std::log(lo->first)) / (std::log(hi->first) - std::log(lo->first));
  return lo->second + f * (hi->second - lo->second);
}

std::map<std::string, double> energy_pj(const ActionCounts& a, const HwConfig& hw, const EnergyTable& t) {
  std::map<std::string, double> e;
  e["hamming_lanes"] = static_cast<double>(a.ham_word_ops) * t.ham_word_op;
  // Each group merge compares every candidate with every list slot and with the other candidates.
  const double cmp_per_merge = static_cast<double>(hw.ham_lanes) * static_cast<double>(hw.topk_max + hw.ham_lanes);
  e["topk"] = static_cast<double>(a.topk_merges) * cmp_per_merge * t.topk_compare;
  for (int b = 0; b < isa::kNumBufs; ++b) {
    const std::string nm = isa::kBufNames[b];
    const double words = static_cast<double>(a.sram_read_words.at(nm) + a.sram_write_words.at(nm));
    e["sram_" + nm] = words * t.sram_pj(static_cast<double>(hw.buf_kib(static_cast<isa::Buf>(b))));
  }
  e["dram"] = static_cast<double>(a.dram_read_bytes + a.dram_write_bytes) * t.dram_byte;
  double total = 0;
  for (const auto& kv : e) total += kv.second;
  e["total"] = total;
  return e;
}

}  // namespace bitgrid
