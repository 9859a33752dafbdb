// isagen: generates every file that follows from the ISA definition (configs/isa/spine.yaml and the
// engine fragments it lists): the C++ header, the SystemVerilog package, the RTL top, the RTL manifest,
// the parameter table of the scripts and the ISA reference page.
//
//   isagen SPINE_YAML --write ROOT   write the generated files to their places under ROOT
//   isagen SPINE_YAML --check ROOT   fail (exit 1, naming the files) when a committed file is stale
//   isagen SPINE_YAML --print NAME   print one generated file (e.g. isa.h) to stdout
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "isa_def.h"

namespace {

struct Output {
  const char* name;  // for --print
  const char* path;  // relative to the repository
  std::function<std::string(const isagen::Isa&)> emit;
};

const std::vector<Output>& outputs() {
  static const std::vector<Output> o = {
      {"isa.h", "model/include/bitgrid/gen/isa.h", isagen::emit_cpp_header},
      {"bitgrid_pkg.sv", "rtl/gen/bitgrid_pkg.sv", isagen::emit_sv_package},
      {"bitgrid_top.sv", "rtl/gen/bitgrid_top.sv", isagen::emit_sv_top},
      {"manifest.f", "rtl/gen/manifest.f", isagen::emit_manifest},
      {"params.tsv", "rtl/gen/params.tsv", isagen::emit_params_tsv},
      {"ISA.md", "docs/ISA.md", isagen::emit_isa_md},
  };
  return o;
}

std::string read_file(const std::string& path, bool& ok) {
  std::ifstream f(path, std::ios::binary);
  ok = static_cast<bool>(f);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4 ||
      (std::strcmp(argv[2], "--write") && std::strcmp(argv[2], "--check") && std::strcmp(argv[2], "--print"))) {
    std::cerr << "usage: isagen SPINE_YAML (--write ROOT | --check ROOT | --print NAME)\n";
    return 2;
  }
  const std::string mode = argv[2], arg = argv[3];
  isagen::Isa isa;
  try {
    // The repository root is two levels above configs/isa/spine.yaml.
    const std::string spine = argv[1];
    const std::string root = mode == "--print" ? spine + "/../../.." : arg;
    isa = isagen::load_isa(spine, root);
  } catch (const std::exception& e) {
    std::cerr << "isagen: " << e.what() << "\n";
    return 1;
  }
  try {
    if (mode == "--print") {
      for (const auto& o : outputs())
        if (arg == o.name) {
          std::cout << o.emit(isa);
          return 0;
        }
      std::cerr << "isagen: no generated file named " << arg << "\n";
      return 2;
    }
    std::vector<std::string> stale;
    for (const auto& o : outputs()) {
      const std::string text = o.emit(isa);
      const std::string path = arg + "/" + o.path;
      if (mode == "--write") {
        bool ok = false;
        if (read_file(path, ok) == text && ok) continue;
        std::ofstream f(path, std::ios::binary);
        f << text;
        if (!f) {
          std::cerr << "isagen: cannot write " << path << "\n";
          return 1;
        }
        std::cout << "isagen: wrote " << o.path << "\n";
      } else {
        bool ok = false;
        if (read_file(path, ok) != text || !ok) stale.push_back(o.path);
      }
    }
    if (!stale.empty()) {
      std::cerr << "isagen: stale generated files (they differ from what configs/isa/ generates; run `make gen`):";
      for (const auto& s : stale) std::cerr << " " << s;
      std::cerr << "\n";
      return 1;
    }
  } catch (const std::exception& e) {
    std::cerr << "isagen: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
