#include "bitgrid/energy.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <set>

#include "bitgrid/engine.h"
#include "bitgrid/error.h"

namespace bitgrid {

namespace {

double number(const YAML::Node& n, const std::string& where) {
  try {
    const double v = n.as<double>();
    if (!(v >= 0)) throw Error(where + ": must be >= 0");
    return v;
  } catch (const YAML::Exception&) {
    throw Error(where + ": expected a number");
  }
}

}  // namespace

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
  const std::string ew = where + ".energy_pj";
  if (!e || !e.IsMap()) throw Error(ew + ": missing");
  std::set<std::string> engines_known;
  for (const Engine* eng : engines()) engines_known.insert(eng->name());
  for (const auto& kv : e) {
    const auto key = kv.first.as<std::string>();
    if (key != "dram_byte" && key != "sram_64b_by_kib" && !engines_known.count(key)) {
      std::string list = "dram_byte, sram_64b_by_kib";
      for (const auto& k : engines_known) list += ", " + k;
      throw Error(ew + "." + key + ": unknown action or engine (known: " + list + ")");
    }
  }
  if (!e["dram_byte"]) throw Error(ew + ".dram_byte: missing");
  t.dram_byte = number(e["dram_byte"], ew + ".dram_byte");
  const YAML::Node s = e["sram_64b_by_kib"];
  if (!s || !s.IsMap() || s.size() == 0) throw Error(ew + ".sram_64b_by_kib: missing");
  for (const auto& kv : s) {
    try {
      t.sram_64b_by_kib[kv.first.as<double>()] = kv.second.as<double>();
    } catch (const YAML::Exception&) {
      throw Error(ew + ".sram_64b_by_kib: expected KiB: pJ pairs of numbers");
    }
  }
  // Every engine's actions, each priced once.
  for (const Engine* eng : engines()) {
    const std::string en = eng->name(), w = ew + "." + en;
    const YAML::Node sec = e[en];
    if (!sec || !sec.IsMap()) throw Error(w + ": missing (the " + en + " engine's actions)");
    std::set<std::string> actions;
    for (int i = 0; i < eng->def().num_actions; ++i) actions.insert(eng->def().actions[i].name);
    for (const auto& kv : sec)
      if (!actions.count(kv.first.as<std::string>()))
        throw Error(w + "." + kv.first.as<std::string>() + ": unknown action of engine " + en);
    for (const auto& a : actions) {
      if (!sec[a]) throw Error(w + "." + a + ": missing");
      t.action_pj[en + "." + a] = number(sec[a], w + "." + a);
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
  for (const auto& [key, pj] : t.action_pj) e[key] = static_cast<double>(a.get(key)) * pj;
  for (int b = 0; b < isa::kNumBufs; ++b) {
    const auto buf = static_cast<isa::Buf>(b);
    const auto reads = static_cast<double>(a.get(sram_key(buf, false))),
               writes = static_cast<double>(a.get(sram_key(buf, true)));
    // a buffer an engine holds itself is priced by its physical arrays (a bank; every copy written)
    OwnedArrays arr{static_cast<double>(hw.buf_kib(buf)), 1};
    if (isa::kBufs[static_cast<size_t>(b)].owned)
      for (const Engine* en : engines())
        if (en->owned_arrays(buf, hw, arr)) break;
    e[std::string("sram.") + isa::kBufNames[static_cast<size_t>(b)]] =
        (reads + writes * static_cast<double>(arr.write_copies)) * t.sram_pj(arr.access_kib);
  }
  e["dram"] = static_cast<double>(a.get("dram.read_bytes") + a.get("dram.write_bytes")) * t.dram_byte;
  double total = 0;
  for (const auto& kv : e) total += kv.second;
  e["total"] = total;
  return e;
}

}  // namespace bitgrid
