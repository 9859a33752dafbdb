// Helpers every workload uses to read its YAML section, the assembly listing, and round_up.
#include "bitgrid/workload_util.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "bitgrid/error.h"
#include "bitgrid/workload.h"

#ifndef BITGRID_SOURCE_DIR
#define BITGRID_SOURCE_DIR "."
#endif

namespace bitgrid {

namespace fs = std::filesystem;

namespace {

template <class T>
T get(const YAML::Node& n, const std::string& where, const char* what) {
  try {
    return n.as<T>();
  } catch (const YAML::Exception&) {
    throw Error(where + ": expected " + what + ", got '" + (n.IsScalar() ? n.Scalar() : std::string("a map or list")) +
                "'");
  }
}

}  // namespace

void check_keys(const YAML::Node& n, const std::string& where, const std::vector<std::string>& allowed) {
  if (!n.IsMap()) throw Error(where + ": expected a map");
  for (const auto& kv : n) {
    const auto key = kv.first.as<std::string>();
    bool ok = false;
    for (const auto& a : allowed) ok = ok || a == key;
    if (!ok) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      throw Error(where + "." + key + ": unknown key (allowed: " + list + ")");
    }
  }
}

size_t get_count(const YAML::Node& n, const std::string& where, size_t lo, size_t hi) {
  const long long v = get<long long>(n, where, "an integer");
  if (v < static_cast<long long>(lo) || static_cast<unsigned long long>(v) > hi)
    throw Error(where + ": " + std::to_string(v) + " is outside " + std::to_string(lo) + ".." + std::to_string(hi));
  return static_cast<size_t>(v);
}

uint64_t get_u64(const YAML::Node& n, const std::string& where) {
  return get<uint64_t>(n, where, "an unsigned integer");
}
double get_number(const YAML::Node& n, const std::string& where) { return get<double>(n, where, "a number"); }
std::string get_string(const YAML::Node& n, const std::string& where) {
  if (!n.IsScalar()) throw Error(where + ": expected a string, got a map or list");
  return n.Scalar();
}
bool get_bool(const YAML::Node& n, const std::string& where) { return get<bool>(n, where, "true or false"); }

std::string resolve_path(const std::string& p, const std::string& config_path) {
  if (fs::path(p).is_absolute()) return p;
  const fs::path a = fs::path(config_path).parent_path() / p;
  if (fs::exists(a)) return a.string();
  const fs::path b = fs::path(BITGRID_SOURCE_DIR) / "configs" / p;
  if (fs::exists(b)) return b.string();
  return a.string();
}

std::string listing(const Lowered& l) {
  std::string s;
  for (size_t i = 0; i < l.program.insns.size(); ++i) {
    std::string line = disassemble(l.program.insns[i]);
    s += line;
    if (i < l.comments.size() && !l.comments[i].empty()) {
      s += std::string(line.size() < 100 ? 100 - line.size() : 1, ' ');
      s += "# " + std::to_string(i) + ": " + l.comments[i];
    }
    s += "\n";
  }
  return s;
}

uint64_t round_up(uint64_t v, uint64_t m) { return (v + m - 1) / m * m; }

Multiplier requant_multiplier(double r) {
  Multiplier m;
  if (!(r > 0)) return m;
  int shift = 0;
  while (shift < 63 && std::llround(r * std::ldexp(1.0, shift + 1)) <= 0xFFFF) ++shift;
  m.mult = static_cast<uint32_t>(std::min<long long>(std::llround(r * std::ldexp(1.0, shift)), 0xFFFF));
  m.shift = static_cast<uint32_t>(shift);
  return m;
}

std::vector<float> checked_floats(const Array2D& a, const std::string& what, uint64_t rows, uint64_t cols,
                                  const std::string& who) {
  if (a.dtype != "f4") throw Error(what + ": must be float32, not " + a.dtype);
  if (a.rows * a.cols != rows * cols || (cols > 1 && (a.rows != rows || a.cols != cols)))
    throw Error(what + ": has shape [" + std::to_string(a.rows) + ", " + std::to_string(a.cols) + "], " + who +
                " needs [" + std::to_string(rows) + ", " + std::to_string(cols) + "]");
  std::vector<float> v(rows * cols);
  std::memcpy(v.data(), a.bytes.data(), v.size() * 4);
  for (size_t i = 0; i < v.size(); ++i)
    if (!std::isfinite(v[i]))
      throw Error(what + ": element [" + std::to_string(i / cols) + ", " + std::to_string(i % cols) +
                  "] is not finite");
  return v;
}

}  // namespace bitgrid
