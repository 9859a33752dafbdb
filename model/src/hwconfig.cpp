#include "bitgrid/hwconfig.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <sstream>

#include "bitgrid/engine.h"
#include "bitgrid/error.h"

namespace bitgrid {

namespace {

const isa::ParamDef* find_param(const std::string& name) {
  for (const auto& p : isa::kParams)
    if (name == p.name) return &p;
  return nullptr;
}

long parse_long(const std::string& text, const std::string& what) {
  try {
    size_t used = 0;
    long v = std::stol(text, &used, 0);
    if (used != text.size()) throw std::invalid_argument("trailing");
    return v;
  } catch (const std::exception&) {
    throw Error(what + ": '" + text + "' is not an integer");
  }
}

}  // namespace

HwConfig HwConfig::from_yaml(const YAML::Node& node, const std::string& where) {
  HwConfig c;
  if (!node || node.IsNull()) return c;
  if (!node.IsMap()) throw Error(where + ": expected a map of hardware parameters");
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (!find_param(key)) throw Error(where + "." + key + ": unknown hardware parameter");
    if (!kv.second.IsScalar()) throw Error(where + "." + key + ": expected an integer");
    c.set(key, kv.second.as<std::string>(), where);
  }
  c.validate(where);
  return c;
}

void HwConfig::set(const std::string& name, const std::string& value, const std::string& where) {
  const isa::ParamDef* p = find_param(name);
  if (!p) throw Error(where + "." + name + ": unknown hardware parameter");
  const long v = parse_long(value, where + "." + name);
  bool found = false;
  for_each([&](const char* n, long& ref) {
    if (name == n) {
      ref = v;
      found = true;
    }
  });
  (void)found;
}

void HwConfig::validate(const std::string& where) const {
  for_each([&](const char* name, long v) {
    const isa::ParamDef* p = find_param(name);
    const std::string at = where + "." + name + ": " + std::to_string(v);
    if (v < p->min) throw Error(at + " is below the minimum " + std::to_string(p->min));
    if (v > p->max) throw Error(at + " is above the maximum " + std::to_string(p->max));
    if (p->pow2 && (v & (v - 1)) != 0) throw Error(at + " is not a power of two");
    if (p->multiple_of && v % p->multiple_of != 0)
      throw Error(at + " is not a multiple of " + std::to_string(p->multiple_of));
  });
  if (dram_burst_bytes < dram_bytes_per_cycle)
    throw Error(where + ".dram_burst_bytes: " + std::to_string(dram_burst_bytes) +
                " is smaller than one beat (dram_bytes_per_cycle = " + std::to_string(dram_bytes_per_cycle) + ")");
  bool any_engine = false;
  for (int e = 0; e < isa::kNumEngines; ++e) any_engine = any_engine || isa::engine_present(e, *this);
  if (!any_engine) throw Error(where + ": every has_<engine> parameter is 0; the machine needs an engine");
  for (int i = 0; i < isa::kNumBufs; ++i) {
    const auto b = static_cast<isa::Buf>(i);
    if (!isa::buf_present(static_cast<uint64_t>(i), *this)) continue;  // left out with its engines
    const std::string at = where + "." + isa::kBufs[i].size_param + ": " + std::to_string(buf_kib(b)) + " KiB";
    const long pw = port_words(b);
    if (pw > 0 && (pw & (pw - 1)) != 0)
      throw Error(where + ": the compute port of " + isa::kBufNames[i] + " would be " + std::to_string(pw) +
                  " words, not a power of two");
    if (buf_words(b) < row_words(b))
      throw Error(at + " holds less than one row of " + std::to_string(row_words(b) * 8) + " bytes (" +
                  isa::kBufNames[i] + ")");
    if (buf_words(b) % row_words(b) != 0)
      throw Error(at + " is not a whole number of " + std::to_string(row_words(b) * 8) + "-byte rows (" +
                  isa::kBufNames[i] + ")");
    const long max_words = 1L << isa::kLOAD_SPM_ADDR.width;
    if (buf_words(b) > max_words)
      throw Error(at + " is more than the " + std::to_string(max_words * 8 / 1024) + " KiB a spm_addr can address (" +
                  isa::kBufNames[i] + ")");
  }
  for (const Engine* e : engines())
    if (isa::engine_present(e->index(), *this)) e->validate(*this, where);
}

std::string HwConfig::to_yaml() const {
  std::ostringstream os;
  for_each([&](const char* n, long v) { os << n << ": " << v << "\n"; });
  return os.str();
}

std::vector<std::string> HwConfig::rtl_overrides() const {
  std::vector<std::string> r;
  for (const auto& p : isa::kParams) {
    for_each([&](const char* n, long v) {
      if (std::string(n) == p.name) r.push_back(std::string("-G") + p.rtl_name + "=" + std::to_string(v));
    });
  }
  return r;
}

}  // namespace bitgrid
