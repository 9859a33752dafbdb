#include "bitgrid/job.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "bitgrid/error.h"

namespace bitgrid {

namespace fs = std::filesystem;

std::vector<std::string> fpga_targets() {
  std::vector<std::string> v;
  std::istringstream in(BITGRID_FPGA_TARGETS);
  for (std::string t; in >> t;) v.push_back(t);
  return v;
}

namespace {

YAML::Node load_yaml(const std::string& path) {
  if (!fs::exists(path)) throw Error(path + ": file not found");
  try {
    return YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    throw Error(path + ": malformed YAML at line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
}

void apply_set(YAML::Node& root, const std::string& assignment, const std::string& config_path) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) throw Error("--set " + assignment + ": expected key.path=value");
  const std::string key = assignment.substr(0, eq), value = assignment.substr(eq + 1);
  std::vector<std::string> parts;
  size_t s = 0;
  while (true) {
    const auto d = key.find('.', s);
    parts.push_back(key.substr(s, d - s));
    if (d == std::string::npos) break;
    s = d + 1;
  }
  // A hardware or energy section given as a file name is loaded first, so its keys can be set.
  if ((parts[0] == "hardware" || parts[0] == "energy") && parts.size() > 1 && root[parts[0]] &&
      root[parts[0]].IsScalar())
    root[parts[0]] = load_yaml(resolve_path(root[parts[0]].as<std::string>(), config_path));
  std::vector<YAML::Node> chain{root};
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    YAML::Node next = chain.back()[parts[i]];
    if (!next.IsDefined() || next.IsNull()) {
      chain.back()[parts[i]] = YAML::Node(YAML::NodeType::Map);
      next = chain.back()[parts[i]];
    }
    if (!next.IsMap()) throw Error("--set " + key + ": '" + parts[i] + "' is not a section");
    chain.push_back(next);
  }
  chain.back()[parts.back()] = YAML::Load(value);
}

// The `fpga` section: {target, fmax_mhz, report}. A report (a fpga.json of `bitgrid fpga`) gives the target,
// Fmax and LUTs, and must have been made for the job's hardware (its hw.yaml beside it); fmax_mhz overrides
// its Fmax; without a report, target and fmax_mhz are both needed. A report of a target without place-and-route
// (no Fmax) and no fmax_mhz gives the LUTs without a clock (the run's report then has no seconds).
std::optional<FpgaClock> fpga_of(const YAML::Node& root, const std::string& path, const HwConfig& hw) {
  const YAML::Node f = root["fpga"];
  if (!f || f.IsNull()) return std::nullopt;
  const std::string w = path + ": fpga";
  if (!f.IsMap()) throw Error(w + ": expected a map (target, fmax_mhz, report)");
  check_keys(f, w, {"target", "fmax_mhz", "report"});
  FpgaClock c;
  if (f["report"]) {
    const std::string rp = resolve_path(get_string(f["report"], w + ".report"), path);
    std::ifstream in(rp);
    if (!in) throw Error(w + ".report: " + rp + ": cannot open (a fpga.json written by `bitgrid fpga`)");
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(in);
      c.target = j.at("target").get<std::string>();
      c.stage = j.value("stage", "");
      if (j.contains("resources") && j["resources"].contains("luts")) c.luts = j["resources"]["luts"].get<long>();
      if (j.contains("timing") && j["timing"].contains("fmax_mhz") && j["timing"]["fmax_mhz"].is_number())
        c.fmax_mhz = j["timing"]["fmax_mhz"].get<double>();
    } catch (const std::exception& e) {
      throw Error(w + ".report: " + rp + ": not a fpga.json of `bitgrid fpga` (" + e.what() + ")");
    }
    const fs::path hwf = fs::path(rp).parent_path() / "hw.yaml";
    if (!fs::exists(hwf))
      throw Error(w + ".report: " + hwf.string() + " is missing (the hardware the report was made for)");
    if (!(HwConfig::from_yaml(load_yaml(hwf.string()), hwf.string()) == hw))
      throw Error(w + ".report: " + rp + " was made for other hardware (" + hwf.string() + ") than this run's");
    c.source = rp;
  }
  if (f["target"]) {
    const std::string t = get_string(f["target"], w + ".target");
    bool known = false;
    std::string list;
    for (const std::string& k : fpga_targets()) {
      known = known || t == k;
      list += (list.empty() ? "" : ", ") + k;
    }
    if (!known) throw Error(w + ".target: unknown target '" + t + "' (known: " + list + ")");
    if (!c.target.empty() && c.target != t) throw Error(w + ".target: " + t + ", but the report is for " + c.target);
    c.target = t;
  }
  if (f["fmax_mhz"]) {
    c.fmax_mhz = get_number(f["fmax_mhz"], w + ".fmax_mhz");
    if (!(c.fmax_mhz > 0 && c.fmax_mhz <= 2000)) throw Error(w + ".fmax_mhz: must be in (0, 2000] MHz");
    c.source = c.source.empty() ? "fpga.fmax_mhz" : c.source + " (fmax_mhz from the config)";
  }
  if (c.target.empty()) throw Error(w + ": needs a target (or a report)");
  if (c.fmax_mhz <= 0 && c.source.empty())
    throw Error(w +
                ": no clock: give fmax_mhz, or a report of a placed and routed design (`bitgrid fpga` on an "
                "iCE40 target)");
  return c;
}

// workload.type of a config's root (the workload section must be a map that names it).
std::string workload_type_of(const YAML::Node& root, const std::string& path) {
  const YAML::Node w = root["workload"];
  const std::string ww = path + ": workload";
  if (!w) throw Error(ww + ": missing");
  if (!w.IsMap()) throw Error(ww + ": expected a map");
  if (!w["type"]) {
    std::string known;
    for (const auto& t : workload_types()) known += (known.empty() ? "" : ", ") + t;
    throw Error(ww + ".type: missing (known: " + known + ")");
  }
  return get_string(w["type"], ww + ".type");
}

// The hardware section of a config's root: a file name or an inline map; absent = defaults.
HwConfig hardware_of(const YAML::Node& root, const std::string& path) {
  YAML::Node hw = root["hardware"];
  std::string hw_where = path + ": hardware";
  if (hw && hw.IsScalar()) {
    const std::string f = resolve_path(hw.as<std::string>(), path);
    hw = load_yaml(f);
    hw_where = f;
  }
  return HwConfig::from_yaml(hw, hw_where);
}

}  // namespace

// The config with the overrides applied and its sections' names checked.
YAML::Node load_root(const std::string& path, const std::vector<std::string>& sets) {
  YAML::Node root = load_yaml(path);
  if (!root.IsMap()) throw Error(path + ": expected a map with hardware, energy and workload sections");
  for (const auto& s : sets) apply_set(root, s, path);
  check_keys(root, path, {"hardware", "energy", "workload", "fpga"});
  return root;
}

std::string load_workload_type(const std::string& path, const std::vector<std::string>& sets) {
  return workload_type_of(load_root(path, sets), path);
}

HwConfig load_hardware(const std::string& path, const std::vector<std::string>& sets) {
  YAML::Node root = load_yaml(path);
  if (!root.IsMap()) throw Error(path + ": expected a map (a hardware config or a run config)");
  if (root["hardware"] || root["energy"] || root["workload"]) return hardware_of(load_root(path, sets), path);
  // a hardware config: the overrides name its parameters, with or without the "hardware." prefix
  for (const auto& s : sets) {
    const auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0) throw Error("--set " + s + ": expected key.path=value");
    std::string key = s.substr(0, eq);
    if (key.rfind("hardware.", 0) == 0) key = key.substr(9);
    if (key.find('.') != std::string::npos)
      throw Error("--set " + s + ": " + path + " is a hardware config; set its parameters as name=value");
    root[key] = YAML::Load(s.substr(eq + 1));
  }
  return HwConfig::from_yaml(root, path + ": hardware");
}

Job load_job(const std::string& path, const std::vector<std::string>& sets) {
  Job job;
  job.config_path = path;
  YAML::Node root = load_root(path, sets);
  job.hw = hardware_of(root, path);

  YAML::Node en = root["energy"];
  std::string en_where = path + ": energy";
  if (!en) en = YAML::Node(std::string("energy/horowitz45.yaml"));
  if (en.IsScalar()) {
    const std::string f = resolve_path(en.as<std::string>(), path);
    en = load_yaml(f);
    en_where = f;
  }
  job.energy = EnergyTable::from_yaml(en, en_where);

  const std::string ww = path + ": workload";
  job.workload_type = workload_type_of(root, path);
  job.workload = make_workload(job.workload_type, ww + ".type");
  job.workload->load(root["workload"], ww, WorkloadContext{path});
  job.fpga = fpga_of(root, path, job.hw);
  return job;
}

}  // namespace bitgrid
