// bitgrid-config-hash HW.yaml: prints the 32-bit config hash of a hardware config (bitgrid/config_hash.h)
// in decimal, the value a board build passes as bg_board's ConfigHash parameter (docs/BOARD.md). HW.yaml is
// a flat map of hardware parameters, or a map with one under `hardware:`; absent parameters take their
// defaults, so two files that describe the same machine have the same hash.
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <exception>
#include <string>

#include "bitgrid/config_hash.h"
#include "bitgrid/hwconfig.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s HW.yaml\n", argv[0]);
    return 2;
  }
  const std::string path = argv[1];
  try {
    YAML::Node node = YAML::LoadFile(path);
    if (node.IsMap() && node["hardware"] && node["hardware"].IsMap()) node = node["hardware"];
    const bitgrid::HwConfig hw = bitgrid::HwConfig::from_yaml(node, path + ": hardware");
    std::printf("%u\n", bitgrid::config_hash(hw));
  } catch (const YAML::BadFile&) {
    std::fprintf(stderr, "error: %s: cannot open the hardware config\n", path.c_str());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
