#include "bitgrid/job.h"

#include <yaml-cpp/yaml.h>

#include <cstring>
#include <filesystem>
#include <random>
#include <set>

#include "bitgrid/datafile.h"
#include "bitgrid/error.h"

#ifndef BITGRID_SOURCE_DIR
#define BITGRID_SOURCE_DIR "."
#endif

namespace bitgrid {

namespace fs = std::filesystem;

namespace {

YAML::Node load_yaml(const std::string& path) {
  if (!fs::exists(path)) throw Error(path + ": file not found");
  try {
    return YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    throw Error(path + ": malformed YAML at line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
}

// A path in a config is relative to the config's folder, then to configs/ of the source tree.
std::string resolve(const std::string& p, const std::string& config_path) {
  if (fs::path(p).is_absolute()) return p;
  const fs::path a = fs::path(config_path).parent_path() / p;
  if (fs::exists(a)) return a.string();
  const fs::path b = fs::path(BITGRID_SOURCE_DIR) / "configs" / p;
  if (fs::exists(b)) return b.string();
  return a.string();
}

void check_keys(const YAML::Node& n, const std::string& where, const std::set<std::string>& allowed) {
  if (!n.IsMap()) throw Error(where + ": expected a map");
  for (const auto& kv : n) {
    const auto key = kv.first.as<std::string>();
    if (!allowed.count(key)) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      throw Error(where + "." + key + ": unknown key (allowed: " + list + ")");
    }
  }
}

template <class T>
T get(const YAML::Node& n, const std::string& where, const char* what) {
  try {
    return n.as<T>();
  } catch (const YAML::Exception&) {
    throw Error(where + ": expected " + what + ", got '" + (n.IsScalar() ? n.Scalar() : std::string("a map or list")) +
                "'");
  }
}

size_t get_count(const YAML::Node& n, const std::string& where, size_t lo, size_t hi) {
  const long long v = get<long long>(n, where, "an integer");
  if (v < static_cast<long long>(lo) || static_cast<unsigned long long>(v) > hi)
    throw Error(where + ": " + std::to_string(v) + " is outside " + std::to_string(lo) + ".." + std::to_string(hi));
  return static_cast<size_t>(v);
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
    root[parts[0]] = load_yaml(resolve(root[parts[0]].as<std::string>(), config_path));
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

struct Source {
  std::optional<CodeSet> codes;
  std::optional<FloatMatrix> floats;
};

Source load_source(const YAML::Node& n, const std::string& where, const std::string& config_path, size_t bits,
                   uint64_t seed, uint64_t centre_seed) {
  if (!n || !n.IsMap() || n.size() != 1)
    throw Error(where + ": expected exactly one of random_codes, random_float, file");
  check_keys(n, where, {"random_codes", "random_float", "file"});
  Source s;
  if (n["random_codes"]) {
    const size_t cnt = get_count(n["random_codes"], where + ".random_codes", 1, 100000000);
    if (bits == 0) throw Error(where + ".random_codes: needs workload.bits");
    s.codes = random_codes(cnt, bits, seed);
  } else if (n["random_float"]) {
    const YAML::Node r = n["random_float"];
    check_keys(r, where + ".random_float", {"n", "dim", "clusters", "spread"});
    if (!r["n"] || !r["dim"]) throw Error(where + ".random_float: needs n and dim");
    const size_t rows = get_count(r["n"], where + ".random_float.n", 1, 100000000);
    const size_t dim = get_count(r["dim"], where + ".random_float.dim", 1, 65536);
    s.floats = random_gaussian(rows, dim, seed);
    if (r["clusters"]) {
      // Points around shared cluster centres (the same centres for database and queries), so that
      // neighbours are meaningful: x = centre[c] + spread * noise.
      const size_t nc = get_count(r["clusters"], where + ".random_float.clusters", 1, 1000000);
      const double spread = r["spread"] ? get<double>(r["spread"], where + ".random_float.spread", "a number") : 0.25;
      if (!(spread > 0 && spread < 100)) throw Error(where + ".random_float.spread: must be in (0, 100)");
      const FloatMatrix centres = random_gaussian(nc, dim, centre_seed);
      std::mt19937_64 pick(seed ^ 0x9E3779B97F4A7C15ull);
      for (size_t i = 0; i < rows; ++i) {
        const size_t c = pick() % nc;
        for (size_t d = 0; d < dim; ++d)
          s.floats->data[i * dim + d] =
              centres.data[c * dim + d] + static_cast<float>(spread) * s.floats->data[i * dim + d];
      }
    }
  } else {
    const std::string file = resolve(get<std::string>(n["file"], where + ".file", "a file name"), config_path);
    const Array2D a = read_array(file);
    if (a.dtype == "u1") {
      if (a.cols % 8 != 0)
        throw Error(file + ": codes of " + std::to_string(a.cols) +
                    " bytes: the hardware needs a multiple of 8 bytes (64 bits)");
      s.codes = codes_from_bytes(a.bytes.data(), a.rows, a.cols);
    } else if (a.dtype == "f4") {
      FloatMatrix f{a.rows, a.cols, std::vector<float>(a.rows * a.cols)};
      std::memcpy(f.data.data(), a.bytes.data(), a.bytes.size());
      s.floats = std::move(f);
    } else {
      throw Error(file + ": dtype " + a.dtype +
                  " is not usable as data (uint8 codes [N, B/8] or float32 vectors [N, D])");
    }
    if (a.rows == 0) throw Error(file + ": no rows");
  }
  return s;
}

}  // namespace

Job load_job(const std::string& path, const std::vector<std::string>& sets) {
  Job job;
  job.config_path = path;
  YAML::Node root = load_yaml(path);
  if (!root.IsMap()) throw Error(path + ": expected a map with hardware, energy and workload sections");
  for (const auto& s : sets) apply_set(root, s, path);
  check_keys(root, path, {"hardware", "energy", "workload"});

  // hardware: a file name or an inline map; absent = defaults
  YAML::Node hw = root["hardware"];
  std::string hw_where = path + ": hardware";
  if (hw && hw.IsScalar()) {
    const std::string f = resolve(hw.as<std::string>(), path);
    hw = load_yaml(f);
    hw_where = f;
  }
  job.hw = HwConfig::from_yaml(hw, hw_where);

  YAML::Node en = root["energy"];
  std::string en_where = path + ": energy";
  if (!en) en = YAML::Node(std::string("energy/horowitz45.yaml"));
  if (en.IsScalar()) {
    const std::string f = resolve(en.as<std::string>(), path);
    en = load_yaml(f);
    en_where = f;
  }
  job.energy = EnergyTable::from_yaml(en, en_where);

  const YAML::Node w = root["workload"];
  const std::string ww = path + ": workload";
  if (!w) throw Error(ww + ": missing");
  check_keys(w, ww, {"type", "k", "bits", "seed", "database", "queries", "query_batch", "tile_codes"});
  if (!w["type"]) throw Error(ww + ".type: missing (known: hamming_topk)");
  job.workload_type = get<std::string>(w["type"], ww + ".type", "a workload type");
  if (job.workload_type != "hamming_topk")
    throw Error(ww + ".type: unknown workload '" + job.workload_type + "' (known: hamming_topk)");
  job.seed = w["seed"] ? get<uint64_t>(w["seed"], ww + ".seed", "an unsigned integer") : 1;
  if (!w["k"]) throw Error(ww + ".k: missing");
  job.workload.k = get_count(w["k"], ww + ".k", 1, 1000000);
  const size_t bits = w["bits"] ? get_count(w["bits"], ww + ".bits", 1, 1u << 20) : 0;
  if (bits && bits % 64 != 0)
    throw Error(ww + ".bits: " + std::to_string(bits) +
                " is not a multiple of 64 (the hardware compares 64-bit words)");
  if (w["query_batch"]) job.workload.query_batch = get_count(w["query_batch"], ww + ".query_batch", 1, 1u << 20);
  if (w["tile_codes"]) job.workload.tile_codes = get_count(w["tile_codes"], ww + ".tile_codes", 1, 65535);
  if (!w["database"]) throw Error(ww + ".database: missing");
  if (!w["queries"]) throw Error(ww + ".queries: missing");
  Source db = load_source(w["database"], ww + ".database", path, bits, job.seed * 2 + 1, job.seed * 7 + 5);
  Source qs = load_source(w["queries"], ww + ".queries", path, bits, job.seed * 2 + 2, job.seed * 7 + 5);
  if (db.floats.has_value() != qs.floats.has_value())
    throw Error(ww + ": database and queries must both be codes or both be float vectors");
  if (db.floats) {
    if (bits == 0) throw Error(ww + ".bits: needed to binarize float vectors with SimHash");
    if (db.floats->cols != qs.floats->cols)
      throw Error(ww + ": database vectors have dimension " + std::to_string(db.floats->cols) + ", queries " +
                  std::to_string(qs.floats->cols));
    const uint64_t hseed = job.seed * 2 + 3;  // one projection for both sides
    job.workload.database = simhash(*db.floats, bits, hseed);
    job.workload.queries = simhash(*qs.floats, bits, hseed);
    job.float_db = std::move(db.floats);
    job.float_queries = std::move(qs.floats);
  } else {
    job.workload.database = std::move(*db.codes);
    job.workload.queries = std::move(*qs.codes);
    if (bits && job.workload.database.bits() != bits)
      throw Error(ww + ".bits: " + std::to_string(bits) + " but the database codes have " +
                  std::to_string(job.workload.database.bits()) + " bits");
    if (job.workload.database.words != job.workload.queries.words)
      throw Error(ww + ": database codes have " + std::to_string(job.workload.database.bits()) + " bits, queries " +
                  std::to_string(job.workload.queries.bits()));
  }
  return job;
}

}  // namespace bitgrid
