// The `hashgrid` layer's YAML form (bitgrid/hashgrid_layer.h).
#include "bitgrid/hashgrid_layer.h"

#include "bitgrid/error.h"

namespace bitgrid {

HashgridLayer parse_hashgrid_layer(const YAML::Node& n, const std::string& where) {
  check_keys(n, where,
             {"name", "type", "dims", "levels", "features", "log2_table", "base_res", "per_level_scale", "max_res",
              "interpolation"});
  HashgridLayer h;
  if (n["name"]) h.name = get_string(n["name"], where + ".name");
  auto& g = h.grid;
  if (!n["dims"]) throw Error(where + ".dims: missing (2 or 3)");
  // Wide ranges here; hashgrid::validate names the real limits.
  g.dims = static_cast<uint32_t>(get_count(n["dims"], where + ".dims", 0, 1u << 20));
  if (n["levels"]) g.levels = static_cast<uint32_t>(get_count(n["levels"], where + ".levels", 0, 1u << 20));
  if (n["features"]) g.features = static_cast<uint32_t>(get_count(n["features"], where + ".features", 0, 1u << 20));
  if (n["log2_table"])
    g.log2_table = static_cast<uint32_t>(get_count(n["log2_table"], where + ".log2_table", 0, 1u << 20));
  if (n["base_res"]) g.base_res = static_cast<uint32_t>(get_count(n["base_res"], where + ".base_res", 0, 1u << 30));
  if (n["per_level_scale"] && n["max_res"])
    throw Error(where + ": per_level_scale and max_res both given (one sets the other)");
  if (n["per_level_scale"]) {
    const double b = get_number(n["per_level_scale"], where + ".per_level_scale");
    g.per_level_scale = static_cast<float>(b);
    if (!(b >= 1.0 && b <= 16.0))
      throw Error(where + ".per_level_scale: " + n["per_level_scale"].Scalar() + " is outside 1..16");
  }
  if (n["interpolation"]) {
    const std::string s = get_string(n["interpolation"], where + ".interpolation");
    if (s == "linear")
      g.interp = hashgrid::Interp::linear;
    else if (s == "smoothstep")
      g.interp = hashgrid::Interp::smoothstep;
    else
      throw Error(where + ".interpolation: '" + s + "' (linear or smoothstep)");
  }
  hashgrid::validate(g, where);
  if (n["max_res"]) {
    const auto m = static_cast<uint32_t>(get_count(n["max_res"], where + ".max_res", g.base_res, hashgrid::kMaxRes));
    g.per_level_scale = hashgrid::per_level_scale_for(g.base_res, m, g.levels);
  }
  return h;
}

HashgridLayer find_hashgrid_layer(const YAML::Node& root, const std::string& path, const std::string& name) {
  const YAML::Node layers = root["workload"] ? root["workload"]["layers"] : YAML::Node();
  if (!layers || !layers.IsSequence())
    throw Error(path + ": workload.layers: missing (a model graph with a hashgrid layer)");
  for (size_t i = 0; i < layers.size(); ++i) {
    const YAML::Node n = layers[i];
    if (!n.IsMap() || !n["type"] || !n["type"].IsScalar() || n["type"].Scalar() != "hashgrid") continue;
    const std::string where = path + ": workload.layers[" + std::to_string(i) + "]";
    HashgridLayer h = parse_hashgrid_layer(n, where);
    h.index = i;
    if (name.empty() || h.name == name) return h;
  }
  throw Error(path + ": workload.layers: no hashgrid layer" + (name.empty() ? "" : " named '" + name + "'"));
}

}  // namespace bitgrid
