// bitgrid::run_backend() for the rtl backend: the Verilated bitgrid_top in the SystemC harness
// (rtl_harness.cpp). The executable is built for one hardware config (scripts/build_rtl_sim.sh embeds it
// as kRtlBuildHwYaml) and refuses jobs for any other.
#include <yaml-cpp/yaml.h>

#include <array>
#include <string>
#include <vector>

#include "backend.h"
#include "bitgrid/error.h"
#include "rtl_harness.h"

namespace bitgrid {

extern const char* const kRtlBuildHwYaml;  // generated per build (rtl_build_config.cpp)
extern const char* const kRtlBuildHwPath;

namespace {

// The config this executable was built for; checked once against the model's own parameters.
const HwConfig& build_config() {
  static const HwConfig cfg = [] {
    HwConfig c = HwConfig::from_yaml(YAML::Load(kRtlBuildHwYaml), std::string(kRtlBuildHwPath) + " (built in)");
    if (!(c == rtl::model_config()))
      throw Error(std::string("rtl: build inconsistency: the verilated parameters differ from ") + kRtlBuildHwPath +
                  "; rebuild with scripts/build_rtl_sim.sh");
    return c;
  }();
  return cfg;
}

std::string config_diff(const HwConfig& want, const HwConfig& have) {
  std::string diff;
  want.for_each([&](const char* name, long v) {
    have.for_each([&](const char* n2, long hv) {
      if (std::string(name) == n2 && hv != v)
        diff += std::string(diff.empty() ? "" : ", ") + name + " " + std::to_string(v) +
                " (built: " + std::to_string(hv) + ")";
    });
  });
  return diff;
}

}  // namespace

const char* backend_name() { return "rtl"; }

SimResult run_backend(const HwConfig& hw, const Program& program, std::vector<uint8_t> memory, const SimOptions& opt) {
  const HwConfig& built = build_config();
  if (!(hw == built))
    throw Error("rtl: this simulator was built for another hardware config (" + std::string(kRtlBuildHwPath) +
                "); the job differs in " + config_diff(hw, built) + "; build one with scripts/build_rtl_sim.sh");
  rtl::RunInfo info;
  SimResult res = rtl::run(hw, program, std::move(memory), opt, &info);
  res.insn_log.reserve(info.insns.size());
  for (const auto& r : info.insns) res.insn_log.push_back({r.index, r.issue_cycle, r.complete_cycle});
  return res;
}

}  // namespace bitgrid
