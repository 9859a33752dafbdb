#include "bitgrid/hwconfig.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <sstream>

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

std::string camel(const std::string& s) {
  std::string r;
  bool up = true;
  for (char c : s) {
    if (c == '_') {
      up = true;
      continue;
    }
    r += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    up = false;
  }
  return r;
}

}  // namespace

long HwConfig::row_words(isa::Buf b) const {
  switch (b) {
    case isa::Buf::kQbuf:
      return std::max(lane_words(), beat_words());
    case isa::Buf::kDbuf:
      return std::max(ham_lanes * lane_words(), beat_words());
    case isa::Buf::kRbuf:
      return beat_words();
  }
  return 1;
}

long HwConfig::buf_kib(isa::Buf b) const {
  switch (b) {
    case isa::Buf::kQbuf:
      return qbuf_kib;
    case isa::Buf::kDbuf:
      return dbuf_kib;
    case isa::Buf::kRbuf:
      return rbuf_kib;
  }
  return 0;
}

long HwConfig::buf_words(isa::Buf b) const { return buf_kib(b) * 1024 / 8; }

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
  for (isa::Buf b : {isa::Buf::kQbuf, isa::Buf::kDbuf, isa::Buf::kRbuf}) {
    const std::string nm = isa::kBufNames[static_cast<int>(b)];
    if (buf_words(b) < row_words(b))
      throw Error(where + "." + nm + "_kib: " + std::to_string(buf_kib(b)) + " KiB holds less than one row of " +
                  std::to_string(row_words(b) * 8) + " bytes");
    if (buf_words(b) % row_words(b) != 0)
      throw Error(where + "." + nm + "_kib: not a whole number of " + std::to_string(row_words(b) * 8) + "-byte rows");
  }
  if (steps(max_code_words()) * lane_words() > buf_words(isa::Buf::kQbuf))
    throw Error(where + ".qbuf_kib: " + std::to_string(qbuf_kib) +
                " KiB cannot hold one query of max_code_bits = " + std::to_string(max_code_bits));
  if (topk_max > buf_words(isa::Buf::kRbuf))
    throw Error(where + ".rbuf_kib: cannot hold one top-k state of topk_max = " + std::to_string(topk_max));
}

std::string HwConfig::to_yaml() const {
  std::ostringstream os;
  for_each([&](const char* n, long v) { os << n << ": " << v << "\n"; });
  return os.str();
}

std::vector<std::string> HwConfig::rtl_overrides() const {
  std::vector<std::string> r;
  for_each([&](const char* n, long v) { r.push_back("-G" + camel(n) + "=" + std::to_string(v)); });
  return r;
}

}  // namespace bitgrid
