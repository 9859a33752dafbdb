#include "bitgrid/sweep.h"

#include <fmt/core.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <random>
#include <set>

#include "bitgrid/error.h"
#include "bitgrid/job.h"
#include "bitgrid/workload.h"

namespace bitgrid {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// A range's values: from, from + step, ... <= to, or from, from * times, ... <= to. Integers stay integers when
// every bound is one.
std::vector<std::string> range_values(const YAML::Node& n, const std::string& where) {
  check_keys(n, where, {"from", "to", "step", "times"});
  if (!n["from"] || !n["to"]) throw Error(where + ": a range needs from and to (and step or times)");
  if (static_cast<bool>(n["step"]) == static_cast<bool>(n["times"]))
    throw Error(where + ": a range needs one of step (from, from+step, ...) and times (from, from*times, ...)");
  const double from = get_number(n["from"], where + ".from"), to = get_number(n["to"], where + ".to");
  const bool geometric = static_cast<bool>(n["times"]);
  const double by = geometric ? get_number(n["times"], where + ".times") : get_number(n["step"], where + ".step");
  if (!std::isfinite(from) || !std::isfinite(to) || !std::isfinite(by))
    throw Error(where + ": from, to and step/times must be finite numbers");
  if (to < from)
    throw Error(where + ": to (" + fmt::format("{}", to) + ") is below from (" + fmt::format("{}", from) + ")");
  if (geometric && (by <= 1 || from <= 0))
    throw Error(where + ".times: must be above 1, with from above 0 (a geometric range)");
  if (!geometric && by <= 0) throw Error(where + ".step: must be above 0");
  const bool ints = from == std::floor(from) && to == std::floor(to) && by == std::floor(by);
  std::vector<std::string> v;
  const double eps = 1e-9 * std::max(1.0, std::abs(to));
  for (double x = from; x <= to + eps; x = geometric ? x * by : x + by) {
    if (v.size() >= kSweepMaxAxisValues)
      throw Error(where + ": more than " + std::to_string(kSweepMaxAxisValues) + " values");
    v.push_back(ints ? fmt::format("{}", static_cast<long long>(std::llround(x))) : fmt::format("{}", x));
  }
  return v;
}

// The sweep's `fpga` section (SweepFpga). Numbers are kept as written: they become `bitgrid fpga` options.
SweepFpga sweep_fpga(const YAML::Node& n, const std::string& w) {
  if (!n.IsMap()) throw Error(w + ": expected a map (target, seed, freq_mhz, top, fmax_mhz)");
  check_keys(n, w, {"target", "seed", "freq_mhz", "top", "fmax_mhz"});
  SweepFpga f;
  if (!n["target"]) throw Error(w + ".target: missing (the FPGA each point's hardware is built for)");
  f.target = get_string(n["target"], w + ".target");
  const auto known = fpga_targets();
  if (std::find(known.begin(), known.end(), f.target) == known.end()) {
    std::string list;
    for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
    throw Error(w + ".target: unknown target '" + f.target + "' (known: " + list + ")");
  }
  if (n["seed"]) f.seed = get_u64(n["seed"], w + ".seed");
  auto mhz = [&](const char* key) -> std::string {
    if (!n[key]) return "";
    const double v = get_number(n[key], w + "." + key);
    if (!(v > 0 && v <= 2000)) throw Error(w + "." + key + ": must be in (0, 2000] MHz");
    return n[key].Scalar();
  };
  f.freq_mhz = mhz("freq_mhz");
  f.fmax_mhz = mhz("fmax_mhz");
  if (n["top"]) f.top = get_string(n["top"], w + ".top");
  return f;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : c == '\n' ? std::string(" ") : std::string(1, c);
  return q + "\"";
}

std::string csv_number(const json& v) {
  if (v.is_null()) return "";
  if (v.is_boolean()) return v.get<bool>() ? "1" : "0";
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  if (v.is_number_unsigned()) return std::to_string(v.get<unsigned long long>());
  if (v.is_number()) return fmt::format("{}", v.get<double>());
  return csv_field(v.is_string() ? v.get<std::string>() : v.dump());
}

}  // namespace

std::vector<std::string> SweepPlan::sets(size_t i) const {
  std::vector<std::string> s;
  for (size_t a = 0; a < axes.size(); ++a) s.push_back(axes[a].path + "=" + points.at(i).values.at(a));
  return s;
}

std::string SweepPlan::point_name(size_t i) const {
  size_t width = 4;
  for (size_t n = points.size(); n >= 10000; n /= 10) ++width;
  return fmt::format("p{:0{}}", i, width);
}

json SweepPlan::to_json() const {
  json ax = json::array();
  for (const auto& a : axes) ax.push_back({{"path", a.path}, {"values", a.values}});
  json pts = json::array();
  for (const auto& p : points) pts.push_back({{"grid_index", p.grid_index}, {"values", p.values}});
  json j = {{"sweep_file", sweep_file}, {"base", base}, {"backend", backend}, {"sampling", sampling}, {"seed", seed},
            {"samples", samples},       {"axes", ax},   {"points", pts}};
  if (!fpga.target.empty())  // only then: plans of sweeps without it stay as they were
    j["fpga"] = {{"target", fpga.target},
                 {"seed", fpga.seed},
                 {"freq_mhz", fpga.freq_mhz},
                 {"top", fpga.top},
                 {"fmax_mhz", fpga.fmax_mhz}};
  return j;
}

SweepPlan SweepPlan::from_json(const json& j, const std::string& where) {
  try {
    SweepPlan p;
    p.sweep_file = j.at("sweep_file").get<std::string>();
    p.base = j.at("base").get<std::string>();
    p.backend = j.at("backend").get<std::string>();
    p.sampling = j.at("sampling").get<std::string>();
    p.seed = j.at("seed").get<uint64_t>();
    p.samples = j.at("samples").get<size_t>();
    for (const auto& a : j.at("axes"))
      p.axes.push_back({a.at("path").get<std::string>(), a.at("values").get<std::vector<std::string>>()});
    for (const auto& x : j.at("points")) {
      SweepPoint pt{x.at("grid_index").get<size_t>(), x.at("values").get<std::vector<std::string>>()};
      if (pt.values.size() != p.axes.size()) throw Error("a point has " + std::to_string(pt.values.size()) + " values");
      p.points.push_back(pt);
    }
    if (j.contains("fpga")) {
      const json& f = j.at("fpga");
      p.fpga = {f.at("target").get<std::string>(), f.at("seed").get<uint64_t>(), f.at("freq_mhz").get<std::string>(),
                f.at("top").get<std::string>(), f.at("fmax_mhz").get<std::string>()};
    }
    return p;
  } catch (const Error& e) {
    throw Error(where + ": not a sweep plan (" + e.what() + ")");
  } catch (const std::exception& e) {
    throw Error(where + ": not a sweep plan (" + e.what() + ")");
  }
}

SweepPlan load_sweep(const std::string& path) {
  if (!fs::exists(path)) throw Error(path + ": file not found");
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    throw Error(path + ": malformed YAML at line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  if (!root.IsMap()) throw Error(path + ": expected a map (base, backend, axes, sampling, samples, seed, fpga)");
  check_keys(root, path, {"base", "backend", "axes", "sampling", "samples", "seed", "fpga"});
  SweepPlan p;
  p.sweep_file = path;
  if (!root["base"]) throw Error(path + ": base: missing (the run config the sweep varies)");
  p.base = resolve_path(get_string(root["base"], path + ": base"), path);
  if (!fs::exists(p.base)) throw Error(path + ": base: " + p.base + ": file not found");
  if (root["backend"]) {
    p.backend = get_string(root["backend"], path + ": backend");
    if (p.backend != "reference" && p.backend != "systemc" && p.backend != "rtl")
      throw Error(path + ": backend: '" + p.backend + "' is not one of reference, systemc, rtl");
  }
  if (root["sampling"]) {
    p.sampling = get_string(root["sampling"], path + ": sampling");
    if (p.sampling != "grid" && p.sampling != "random")
      throw Error(path + ": sampling: '" + p.sampling + "' is not grid or random");
  }
  if (p.sampling == "grid" && (root["samples"] || root["seed"]))
    throw Error(path + ": samples and seed are for sampling: random");
  if (root["fpga"]) p.fpga = sweep_fpga(root["fpga"], path + ": fpga");
  const YAML::Node axes = root["axes"];
  if (!axes || axes.IsNull() || (axes.IsMap() && axes.size() == 0))
    throw Error(path + ": axes: empty (give at least one --set path and its values)");
  if (!axes.IsMap()) throw Error(path + ": axes: expected a map of path: [values] or path: {from, to, step}");
  std::set<std::string> seen;
  long double grid = 1;
  for (const auto& kv : axes) {
    const std::string ap = kv.first.as<std::string>(), w = path + ": axes." + ap;
    if (ap.empty() || ap.front() == '.' || ap.back() == '.' || ap.find("..") != std::string::npos ||
        ap.find('=') != std::string::npos)
      throw Error(w + ": not a --set path (section.key, e.g. hardware.ham_lanes)");
    if (ap.find('.') == std::string::npos)
      throw Error(w + ": not a --set path (section.key, e.g. hardware.ham_lanes or workload.k)");
    SweepAxis a{ap, {}};
    const YAML::Node v = kv.second;
    if (v.IsSequence()) {
      if (v.size() == 0) throw Error(w + ": empty (no values)");
      if (v.size() > kSweepMaxAxisValues)
        throw Error(w + ": more than " + std::to_string(kSweepMaxAxisValues) + " values");
      for (size_t i = 0; i < v.size(); ++i) {
        if (!v[i].IsScalar()) throw Error(w + "[" + std::to_string(i) + "]: expected a number or a word");
        a.values.push_back(v[i].Scalar());
      }
    } else if (v.IsMap()) {
      a.values = range_values(v, w);
    } else {
      throw Error(w + ": expected a list of values or a range {from, to, step}");
    }
    std::set<std::string> uniq(a.values.begin(), a.values.end());
    if (uniq.size() != a.values.size()) throw Error(w + ": a value is listed twice");
    grid *= static_cast<long double>(a.values.size());
    if (grid > kSweepMaxPoints)
      throw Error(path + ": axes: more than " + std::to_string(kSweepMaxPoints) + " grid points");
    p.axes.push_back(a);
  }
  const size_t n = static_cast<size_t>(grid);
  std::vector<size_t> idx;
  if (p.sampling == "grid") {
    for (size_t i = 0; i < n; ++i) idx.push_back(i);
  } else {
    if (!root["samples"]) throw Error(path + ": samples: missing (how many points sampling: random draws)");
    p.samples = get_count(root["samples"], path + ": samples", 1, n);
    p.seed = root["seed"] ? get_u64(root["seed"], path + ": seed") : 1;
    // A seeded partial Fisher-Yates over the grid's indices, then in grid order.
    std::vector<size_t> all(n);
    for (size_t i = 0; i < n; ++i) all[i] = i;
    std::mt19937_64 rng(p.seed);
    for (size_t i = 0; i < p.samples; ++i) {
      std::uniform_int_distribution<size_t> d(i, n - 1);
      std::swap(all[i], all[d(rng)]);
    }
    idx.assign(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(p.samples));
    std::sort(idx.begin(), idx.end());
  }
  for (size_t g : idx) {
    SweepPoint pt{g, std::vector<std::string>(p.axes.size())};
    size_t r = g;
    for (size_t a = p.axes.size(); a-- > 0;) {
      pt.values[a] = p.axes[a].values[r % p.axes[a].values.size()];
      r /= p.axes[a].values.size();
    }
    p.points.push_back(pt);
  }
  return p;
}

std::vector<bool> pareto_front(const std::vector<std::pair<double, double>>& pts) {
  std::vector<bool> f(pts.size(), false);
  for (size_t i = 0; i < pts.size(); ++i) {
    const auto [x, y] = pts[i];
    if (std::isnan(x) || std::isnan(y)) continue;
    bool dominated = false;
    for (size_t j = 0; j < pts.size() && !dominated; ++j) {
      const auto [u, v] = pts[j];
      if (j == i || std::isnan(u) || std::isnan(v)) continue;
      dominated = u <= x && v <= y && (u < x || v < y);
    }
    f[i] = !dominated;
  }
  return f;
}

std::vector<bool> sweep_pareto(const std::vector<SweepResult>& results) {
  std::vector<std::pair<double, double>> xy;
  for (const auto& r : results) {
    const bool ok = r.status == "ok" && r.report.is_object() && r.report.value("cycles", json()).is_number();
    xy.emplace_back(ok ? r.report["cycles"].get<double>() : NAN,
                    ok ? r.report["energy_pj"]["total"].get<double>() : NAN);
  }
  return pareto_front(xy);
}

std::string sweep_results_csv(const SweepPlan& plan, const std::vector<SweepResult>& results) {
  static const std::set<std::string> fixed{"cycles", "wall_seconds", "sim_wall_seconds", "sim_cycles_per_second",
                                           "compute_utilization_of_peak"};
  std::set<std::string> extra, fpga;  // other top-level numbers; the fpga section's numbers
  for (const auto& r : results) {
    if (!r.report.is_object()) continue;
    for (const auto& [k, v] : r.report.items())
      if (v.is_number() && !fixed.count(k)) extra.insert(k);
    if (r.report.contains("fpga") && r.report["fpga"].is_object())
      for (const auto& [k, v] : r.report["fpga"].items())
        if (v.is_number()) fpga.insert(k);
  }
  const std::vector<bool> front = sweep_pareto(results);

  std::string s = "point";
  for (const auto& a : plan.axes) s += "," + csv_field(a.path);
  s += ",status,verified,cycles,energy_pj,dram_read_bytes,dram_write_bytes,compute_utilization,fraction_of_bound,"
       "bound_by";
  for (const auto& k : extra) s += "," + k;
  for (const auto& k : fpga) s += ",fpga_" + k;
  s += ",pareto,error\n";
  for (size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    const json& rep = r.report;
    const bool has = rep.is_object();
    auto at = [&](std::initializer_list<const char*> keys) {
      const json* c = &rep;
      for (const char* k : keys) {
        if (!c->is_object() || !c->contains(k)) return json();
        c = &(*c)[k];
      }
      return *c;
    };
    s += plan.point_name(i);
    for (const auto& v : plan.points[i].values) s += "," + csv_field(v);
    s += "," + r.status + "," + (has ? csv_number(at({"verified"})) : "");
    s += "," + csv_number(at({"cycles"})) + "," + csv_number(at({"energy_pj", "total"})) + "," +
         csv_number(at({"dram_bytes", "read"})) + "," + csv_number(at({"dram_bytes", "write"})) + "," +
         csv_number(at({"units", "compute", "utilization"})) + "," + csv_number(at({"roofline", "fraction_of_bound"})) +
         "," + csv_number(at({"roofline", "bound_by"}));
    for (const auto& k : extra) s += "," + csv_number(at({k.c_str()}));
    for (const auto& k : fpga) s += "," + csv_number(at({"fpga", k.c_str()}));
    s += std::string(",") + (front[i] ? "1" : "0") + "," + csv_field(r.error) + "\n";
  }
  return s;
}

}  // namespace bitgrid
