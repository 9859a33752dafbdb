// The hamming_topk workload behind `workload.type: hamming_topk`: reading its section and data, and
// what a finished run gives (neighbors.npy, distances.npy, verification against a brute-force top-k,
// recall against exact float kNN when the codes come from float vectors).
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>
#include <random>

#include "bitgrid/bebr.h"
#include "bitgrid/datafile.h"
#include "bitgrid/error.h"
#include "bitgrid/floatknn.h"
#include "bitgrid/ksh.h"
#include "bitgrid/workloads/hamming_topk.h"

namespace bitgrid {

namespace {

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
      const double spread = r["spread"] ? get_number(r["spread"], where + ".random_float.spread") : 0.25;
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
    const std::string file = resolve_path(get_string(n["file"], where + ".file"), config_path);
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

class HammingTopk final : public Workload {
 public:
  const char* type() const override { return "hamming_topk"; }

  void load(const YAML::Node& w, const std::string& ww, const WorkloadContext& ctx) override {
    check_keys(w, ww,
               {"type", "k", "bits", "seed", "database", "queries", "query_batch", "tile_codes", "encode", "hash",
                "anchors", "planes"});
    const std::string encode = w["encode"] ? get_string(w["encode"], ww + ".encode") : "host";
    if (encode != "host" && encode != "chip") throw Error(ww + ".encode: '" + encode + "' is neither host nor chip");
    hash_ = w["hash"] ? get_string(w["hash"], ww + ".hash") : "simhash";
    if (hash_ != "simhash" && hash_ != "ksh" && hash_ != "bebr")
      throw Error(ww + ".hash: '" + hash_ + "' is not simhash, ksh or bebr");
    if (w["anchors"] && hash_ != "ksh") throw Error(ww + ".anchors: only with hash: ksh");
    if (w["planes"] && hash_ != "bebr") throw Error(ww + ".planes: only with hash: bebr");
    planes_ = w["planes"] ? get_count(w["planes"], ww + ".planes", 1, kBebrMaxPlanes) : 2;
    where_ = ww;
    anchors_ = w["anchors"] ? get_count(w["anchors"], ww + ".anchors", 1, 1024) : 25;
    const uint64_t seed = w["seed"] ? get_u64(w["seed"], ww + ".seed") : 1;
    if (!w["k"]) throw Error(ww + ".k: missing");
    w_.k = get_count(w["k"], ww + ".k", 1, 1000000);
    const size_t bits = w["bits"] ? get_count(w["bits"], ww + ".bits", 1, 1u << 20) : 0;
    if (bits && bits % 64 != 0)
      throw Error(ww + ".bits: " + std::to_string(bits) +
                  " is not a multiple of 64 (the hardware compares 64-bit words)");
    if (w["query_batch"]) w_.query_batch = get_count(w["query_batch"], ww + ".query_batch", 1, 1u << 20);
    if (w["tile_codes"]) w_.tile_codes = get_count(w["tile_codes"], ww + ".tile_codes", 1, 65535);
    if (!w["database"]) throw Error(ww + ".database: missing");
    if (!w["queries"]) throw Error(ww + ".queries: missing");
    Source db = load_source(w["database"], ww + ".database", ctx.config_path, bits, seed * 2 + 1, seed * 7 + 5);
    Source qs = load_source(w["queries"], ww + ".queries", ctx.config_path, bits, seed * 2 + 2, seed * 7 + 5);
    if (db.floats.has_value() != qs.floats.has_value())
      throw Error(ww + ": database and queries must both be codes or both be float vectors");
    if (db.floats) {
      if (bits == 0) throw Error(ww + ".bits: needed to binarize float vectors (the projections)");
      if (db.floats->cols != qs.floats->cols)
        throw Error(ww + ": database vectors have dimension " + std::to_string(db.floats->cols) + ", queries " +
                    std::to_string(qs.floats->cols));
      const uint64_t hseed = seed * 2 + 3;  // one projection for both sides
      std::optional<KshFloat> ksh;
      std::optional<BebrFloat> bebr;
      if (hash_ == "ksh") {
        if (anchors_ > db.floats->rows)
          throw Error(ww + ".anchors: " + std::to_string(anchors_) + " anchors from " +
                      std::to_string(db.floats->rows) + " database vectors");
        ksh = ksh_fit(*db.floats, anchors_, bits, hseed);
        sigma_ = ksh->sigma;
        w_.database = ksh_codes(*ksh, *db.floats);
        w_.queries = ksh_codes(*ksh, *qs.floats);
      } else if (hash_ == "bebr") {
        // `bits` projections, each binarized `planes` times (bitgrid/bebr.h): codes of (2^planes - 1) * bits bits
        bebr = bebr_fit(*db.floats, bits, planes_, hseed);
        w_.database = bebr_codes(*bebr, *db.floats);
        w_.queries = bebr_codes(*bebr, *qs.floats);
      } else {
        w_.database = simhash(*db.floats, bits, hseed);
        w_.queries = simhash(*qs.floats, bits, hseed);
      }
      if (encode == "chip") {
        // The INT8 path: SimHash's rows and projection quantized row by row, or KSH's rows normalised to 127 and
        // its anchors, table and A (bitgrid::ksh_int8), or BEBR's rows normalised and the projection stacked once
        // per threshold with the thresholds as channel biases (bitgrid::bebr_int8); the reference codes replace
        // the float ones, and the bits
        // they flip against the float encoder are counted.
        const size_t dim = db.floats->cols;
        ChipEncode ce;
        ce.dim = dim;
        CodeSet dbc, qc;
        if (ksh) {
          ce.database = normalize_rows_int8(*db.floats);
          ce.queries = normalize_rows_int8(*qs.floats);
          ce.ksh = ksh_int8(*ksh);
          dbc = ksh_codes_int8(*ce.ksh, ce.database, w_.database.n);
          qc = ksh_codes_int8(*ce.ksh, ce.queries, w_.queries.n);
        } else if (bebr) {
          ce.database = normalize_rows_int8(*db.floats);
          ce.queries = normalize_rows_int8(*qs.floats);
          const BebrInt8 q = bebr_int8(*bebr);
          ce.projection = q.proj;
          ce.bias = q.bias;
          dbc = bebr_codes_int8(q, ce.database, w_.database.n);
          qc = bebr_codes_int8(q, ce.queries, w_.queries.n);
          // levels (of 2^planes) the INT8 path moves, against the float encoder's
          const auto count_moved = [&](const CodeSet& a, const CodeSet& b) {
            const auto la = bebr_levels(a, bits, planes_), lb = bebr_levels(b, bits, planes_);
            uint64_t n = 0;
            for (size_t i = 0; i < la.size(); ++i) n += la[i] != lb[i];
            return n;
          };
          level_change_rate_ = static_cast<double>(count_moved(dbc, w_.database) + count_moved(qc, w_.queries)) /
                               static_cast<double>((w_.database.n + w_.queries.n) * bits);
        } else {
          ce.database = quantize_rows_int8(*db.floats);
          ce.queries = quantize_rows_int8(*qs.floats);
          ce.projection = quantize_rows_int8(random_gaussian(bits, dim, hseed));
          dbc = sign_codes_int8(ce.database, w_.database.n, dim, ce.projection, bits);
          qc = sign_codes_int8(ce.queries, w_.queries.n, dim, ce.projection, bits);
        }
        uint64_t flips = 0;
        for (size_t i = 0; i < dbc.data.size(); ++i)
          flips += static_cast<uint64_t>(__builtin_popcountll(dbc.data[i] ^ w_.database.data[i]));
        for (size_t i = 0; i < qc.data.size(); ++i)
          flips += static_cast<uint64_t>(__builtin_popcountll(qc.data[i] ^ w_.queries.data[i]));
        flip_rate_ = static_cast<double>(flips) / static_cast<double>((dbc.data.size() + qc.data.size()) * 64);
        w_.database = std::move(dbc);
        w_.queries = std::move(qc);
        w_.chip = std::move(ce);
      }
      float_db_ = std::move(db.floats);
      float_queries_ = std::move(qs.floats);
    } else {
      if (encode == "chip")
        throw Error(ww + ".encode: chip needs float vectors (random_float or a float32 file) to encode");
      if (hash_ != "simhash") throw Error(ww + ".hash: " + hash_ + " needs float vectors to hash");
      if (w["planes"]) throw Error(ww + ".planes: needs float vectors to binarize");
      w_.database = std::move(*db.codes);
      w_.queries = std::move(*qs.codes);
      if (bits && w_.database.bits() != bits)
        throw Error(ww + ".bits: " + std::to_string(bits) + " but the database codes have " +
                    std::to_string(w_.database.bits()) + " bits");
      if (w_.database.words != w_.queries.words)
        throw Error(ww + ": database codes have " + std::to_string(w_.database.bits()) + " bits, queries " +
                    std::to_string(w_.queries.bits()));
    }
  }

  Lowered lower(const HwConfig& hw) const override {
    if (hash_ == "bebr" && w_.database.bits() > static_cast<size_t>(hw.max_code_bits))
      throw Error(where_ + ": " + std::to_string(w_.database.bits() / ((size_t{1} << planes_) - 1)) + " bits x " +
                  std::to_string((size_t{1} << planes_) - 1) + " thresholds of planes: " + std::to_string(planes_) +
                  " = " + std::to_string(w_.database.bits()) +
                  "-bit codes exceed max_code_bits = " + std::to_string(hw.max_code_bits));
    HammingTopkCompiled c = compile_hamming_topk(w_, hw);
    layout_ = c.layout;
    return std::move(static_cast<Lowered&>(c));
  }

  Verdict finish(const Lowered& l, const std::vector<uint8_t>& memory, const std::string& dir,
                 nlohmann::json& rep) const override {
    (void)l;
    std::vector<int64_t> nb;
    std::vector<int32_t> dist;
    decode_hamming_topk(layout_, memory, nb, dist);
    Verdict v;
    // Independent check: a brute-force top-k over the codes (bitgrid::knn_hamming).
    const auto brute = knn_hamming(w_.database, w_.queries, w_.k);
    for (size_t i = 0; i < brute.size() && v.verified; ++i) {
      const int64_t bi = brute[i].empty() ? -1 : brute[i].index;
      if (bi != nb[i] || (bi >= 0 && static_cast<int32_t>(brute[i].dist) != dist[i])) {
        v.verified = false;
        v.why = "query " + std::to_string(i / w_.k) + " rank " + std::to_string(i % w_.k) + ": got (" +
                std::to_string(nb[i]) + ", " + std::to_string(dist[i]) + "), brute force gives (" + std::to_string(bi) +
                ", " + std::to_string(brute[i].dist) + ")";
      }
    }
    rep["workload"].update({{"database_codes", w_.database.n},
                            {"queries", w_.queries.n},
                            {"bits", w_.database.bits()},
                            {"k", w_.k},
                            {"query_batch", layout_.batch},
                            {"tile_codes", layout_.tile_codes},
                            {"tiles", layout_.tiles}});
    const double compares = static_cast<double>(w_.database.n) * static_cast<double>(w_.queries.n);
    rep["code_compares"] = compares;
    const double per_compare = rep["energy_pj"]["total"].get<double>() / compares;
    rep["energy_pj_per_code_compare"] = per_compare;
    char line[160];
    std::snprintf(line, sizeof line, "%.1f pJ per code compare", per_compare);
    v.notes.push_back(line);
    if (w_.chip) {
      // Bits of the on-chip (INT8) codes that differ from the float encoder's.
      rep["encode"] = {{"on", "chip"}, {"hash", hash_}, {"flip_rate_vs_float", flip_rate_}};
      if (hash_ == "ksh") rep["encode"].update({{"anchors", anchors_}, {"sigma", sigma_}});
      if (hash_ == "bebr") rep["encode"]["level_change_rate_vs_float"] = level_change_rate_;
      std::snprintf(line, sizeof line, "encoded on chip: %.4f%% of the bits differ from the float encoder",
                    100 * flip_rate_);
      v.notes.push_back(line);
    }
    if (hash_ == "bebr") {
      const size_t nk = (size_t{1} << planes_) - 1;
      rep["bebr"] = {{"planes", planes_},
                     {"projections", w_.database.bits() / nk},
                     {"thresholds", nk},
                     {"code_bits", w_.database.bits()},
                     {"distance", "L1 of the levels (Hamming of the thermometer codes)"}};
      std::snprintf(line, sizeof line,
                    "BEBR codes: %zu projections x %zu planes, compared as %zu-bit thermometer codes",
                    w_.database.bits() / nk, planes_, w_.database.bits());
      v.notes.push_back(line);
    }
    if (float_db_) {
      const auto exact = exact_knn_l2(*float_db_, *float_queries_, w_.k);
      const double recall = recall_at_k(nb, exact, w_.queries.n, w_.k);
      rep["recall_at_k"] = recall;
      std::snprintf(line, sizeof line, "recall@%zu vs exact float kNN: %.4f", w_.k, recall);
      v.notes.push_back(line);
    }
    write_npy(dir + "/neighbors.npy", "i8", w_.queries.n, w_.k, nb.data());
    write_npy(dir + "/distances.npy", "i4", w_.queries.n, w_.k, dist.data());
    return v;
  }

  std::string summary() const override {
    return std::to_string(w_.database.n) + " codes x " + std::to_string(w_.database.bits()) + " bits, " +
           std::to_string(w_.queries.n) + " queries, k=" + std::to_string(w_.k);
  }
  std::vector<std::string> outputs() const override { return {"neighbors.npy", "distances.npy"}; }

 private:
  HammingTopkWorkload w_;
  std::optional<FloatMatrix> float_db_, float_queries_;
  double flip_rate_ = 0;  // encode: chip, against the float SimHash
  std::string hash_ = "simhash";
  size_t anchors_ = 25;           // hash: ksh
  size_t planes_ = 2;             // hash: bebr
  double level_change_rate_ = 0;  // hash: bebr, encode: chip
  std::string where_ = "workload";
  double sigma_ = 0;                  // hash: ksh, from the database
  mutable HammingTopkLayout layout_;  // of the last lower()
};

}  // namespace

std::unique_ptr<Workload> make_hamming_topk_workload() { return std::make_unique<HammingTopk>(); }

}  // namespace bitgrid
