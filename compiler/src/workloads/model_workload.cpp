// The `model` workload: a list of quantized linear layers (a model graph of `linear` layers, chained or
// fed with their own inputs) on the MAC array. Float weights (an .npz/.safetensors file with
// <layer>.weight [out][in] and optional <layer>.bias [out], or seeded heavy-tailed synthetic ones) are
// quantized to each layer's datatype (bitgrid::quantize), activations to INT8 (symmetric, per tensor),
// and every layer's output scale is calibrated on the float model. finish() checks the accelerator's
// integers against linear_reference (computed from the unpacked operands, layer by layer) and reports
// each layer's error against the float model, its cycles, utilization and energy.
//
// With `train:` the layers (a chain x -> ReLU hidden layers -> logits) are first trained in float on a labelled
// dataset (bitgrid/mlp_train.h: the UCI digits, a seeded stratified split); the trained weights are the float
// weights, the test split is x, the activation and output scales are calibrated on the TRAIN split, and
// finish() reports the test accuracy of the accelerator's integer logits next to the float model's.
#include <Eigen/Dense>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <random>

#include "bitgrid/checker.h"
#include "bitgrid/datafile.h"
#include "bitgrid/engine.h"
#include "bitgrid/error.h"
#include "bitgrid/field_fit.h"
#include "bitgrid/floatknn.h"
#include "bitgrid/hashgrid_layer.h"
#include "bitgrid/image.h"
#include "bitgrid/mlp_train.h"
#include "bitgrid/parallel.h"
#include "bitgrid/progress.h"
#include "bitgrid/quant.h"
#include "bitgrid/workload_util.h"
#include "bitgrid/workloads/hashgrid_input.h"
#include "bitgrid/workloads/layer_build.h"
#include "bitgrid/workloads/model.h"
#include "bitgrid/workloads/program_parts.h"

namespace bitgrid {

namespace {

// The INT8 scale that maps the largest magnitude of a set of values to 127 (1 for an all-zero set): the scale of a
// linear layer's x.
double max_scale(const std::vector<float>& v) {
  float vmax = 0;
  for (float x : v) vmax = std::max(vmax, std::fabs(x));
  return vmax > 0 ? vmax / 127.0 : 1.0;
}

// The INT8 scale of a set of values that minimises the mean squared error of round(v / s) clamped to +-127 (s =
// clip / 127, the clip searched over 1, 0.95, ..., 0.3 of the largest magnitude): a few outliers then cost less
// than the coarser step they would force on every value.
double mse_scale(const std::vector<float>& v) {
  double vmax = 0;
  for (float x : v) vmax = std::max(vmax, double(std::fabs(x)));
  if (vmax <= 0) return 1.0 / 127.0;
  double best = vmax / 127.0, best_err = -1;
  for (int i = 0; i <= 14; ++i) {
    const double sc = vmax * (1.0 - 0.05 * i) / 127.0;
    double err = 0;
    for (float x : v) {
      const double q = std::clamp(std::round(x / sc), -127.0, 127.0) * sc - x;
      err += q * q;
    }
    if (best_err < 0 || err < best_err) {
      best_err = err;
      best = sc;
    }
  }
  return best;
}

// Seeded Student-t(4) weights (x 0.02), generated in fixed blocks, each from its own generator, on several
// threads: the values depend on the seed only, not on the thread count.
void synthetic_weights(std::vector<float>& w, uint64_t seed) {
  constexpr size_t kBlock = 1 << 16;
  const size_t blocks = (w.size() + kBlock - 1) / kBlock;
  auto fill = [&](size_t b0, size_t b1) {
    for (size_t b = b0; b < b1; ++b) {
      std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + b);
      std::student_t_distribution<double> student(4.0);
      for (size_t i = b * kBlock; i < std::min(w.size(), (b + 1) * kBlock); ++i)
        w[i] = static_cast<float>(0.02 * student(rng));
    }
  };
  parallel_for(blocks, blocks, fill);  // whole blocks per chunk
}

// Named float tensors of a weight file (.npz or .safetensors), or of a folder of .npy files (tensor NAME in
// NAME.npy, as numpy.save writes one array per file).
class WeightFile {
 public:
  explicit WeightFile(const std::string& path) : path_(path) {
    if (std::filesystem::is_directory(path)) {
      dir_ = true;
    } else if (path.size() > 12 && path.substr(path.size() - 12) == ".safetensors") {
      st_.emplace(path);
    } else {
      for (auto& m : read_npz(path)) npz_.emplace(m.name, std::move(m.array));
    }
  }
  std::optional<Array2D> get(const std::string& name) const {
    if (dir_) {
      const std::string f = path_ + "/" + name + ".npy";
      if (!std::filesystem::exists(f)) return std::nullopt;
      return read_array(f);
    }
    if (st_) {
      if (!st_->find(name)) return std::nullopt;
      return st_->read_f32(name);
    }
    const auto it = npz_.find(name);
    if (it == npz_.end()) return std::nullopt;
    return it->second;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool dir_ = false;
  std::optional<SafetensorsFile> st_;
  std::map<std::string, Array2D> npz_;
};

// The layer types beside `linear` (bitgrid/workloads/layer_build.h; each lowers through its own code, a part of the
// program of its own: bitgrid/workloads/program_parts.h).
enum class Kind { kLinear, kEcoformer, kSoftmax, kMemory };
const char* kind_name(Kind k) {
  switch (k) {
    case Kind::kEcoformer:
      return "ecoformer_attention";
    case Kind::kSoftmax:
      return "attention";
    case Kind::kMemory:
      return "memoryformer_linear";
    default:
      return "linear";
  }
}

struct LayerSpec {
  std::string name, input = "x";
  uint64_t in = 0, out = 0, dtype = 0, group = 128;
  bool bias = true, relu = false, out32 = false;
  Kind kind = Kind::kLinear;
  uint64_t head_dim = 0, bits = 16, form = 0, tau = 8;  // attention: head width, code bits, sqry form; memory: tau
};

// The integer operands of a layer of another kind (the one of its kind's).
struct SpecialLayer {
  AttentionQ eco;
  SoftmaxQ softmax;
  MemoryQ memory;
};

class Model final : public Workload {
 public:
  const char* type() const override { return "model"; }

  void load(const YAML::Node& w, const std::string& ww, const WorkloadContext& ctx) override {
    check_keys(
        w, ww,
        {"type", "m", "dtype", "group", "seed", "weights", "inputs", "layers", "train", "keep_on_chip", "image"});
    keep_on_chip_ = w["keep_on_chip"] ? get_bool(w["keep_on_chip"], ww + ".keep_on_chip") : true;
    m_ = w["m"] ? get_count(w["m"], ww + ".m", 1, 1 << 20) : 1;
    seed_ = w["seed"] ? get_u64(w["seed"], ww + ".seed") : 1;
    const uint64_t dtype = w["dtype"] ? named_dtype(w["dtype"], ww + ".dtype") : isa::kDtypeBitmod4;
    const uint64_t group = w["group"] ? get_count(w["group"], ww + ".group", 1, 1 << 20) : 128;
    if (!w["layers"] || !w["layers"].IsSequence() || w["layers"].size() == 0)
      throw Error(ww + ".layers: missing or empty (a list of linear layers)");
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < w["layers"].size(); ++i) {
      const YAML::Node n = w["layers"][i];
      const std::string lw = ww + ".layers[" + std::to_string(i) + "]";
      if (n.IsMap() && n["type"] && get_string(n["type"], lw + ".type") == "hashgrid") {
        if (i != 0) throw Error(lw + ".type: a hashgrid layer must be the first layer (it encodes the points, x)");
        grid_ = parse_hashgrid_layer(n, lw);
        grid_->index = 0;
        index[grid_->name] = SIZE_MAX;
        continue;
      }
      LayerSpec s;
      s.name = n["name"] ? get_string(n["name"], lw + ".name") : "layer" + std::to_string(i);
      const std::string type = n.IsMap() && n["type"] ? get_string(n["type"], lw + ".type") : "linear";
      if (type != "linear") {
        parse_special(n, lw, type, s);
      } else {
        check_keys(n, lw, {"name", "type", "in", "out", "dtype", "group", "bias", "relu", "out32", "input"});
      }
      if (!n["in"] || (!n["out"] && s.kind == Kind::kLinear)) throw Error(lw + ": needs in and out");
      s.in = get_count(n["in"], lw + ".in", 1, 1 << 20);
      s.out = n["out"] ? get_count(n["out"], lw + ".out", 1, 1 << 20) : s.in;
      if (s.kind == Kind::kEcoformer || s.kind == Kind::kSoftmax) {
        if (s.out != s.in)
          throw Error(lw + ".out: " + std::to_string(s.out) + ", an attention layer gives its input's width " +
                      std::to_string(s.in) + " (layer " + s.name + ")");
        if (!s.head_dim) s.head_dim = s.in;
      }
      if (s.kind == Kind::kMemory && s.in % s.tau)
        throw Error(lw + ".in: " + std::to_string(s.in) + " is not a multiple of tau = " + std::to_string(s.tau) +
                    " (the input is cut into chunks of tau values; layer " + s.name + ")");
      if (s.kind != Kind::kLinear) {
        s.group = s.in;  // not used
        s.input = n["input"] ? get_string(n["input"], lw + ".input") : "x";
        if (s.input == "random") throw Error(lw + ".input: random is for linear layers (layer " + s.name + ")");
        if (index.count(s.name)) throw Error(lw + ".name: layer " + s.name + " is defined twice");
        if (s.input != "x") {
          const auto it = index.find(s.input);
          if (it == index.end())
            throw Error(lw + ".input: '" + s.input + "' is not x or an earlier layer (layer " + s.name + ")");
          if (specs_[it->second].out != s.in)
            throw Error(lw + ".input: layer " + s.input + " gives " + std::to_string(specs_[it->second].out) +
                        " features, layer " + s.name + " takes " + std::to_string(s.in));
          if (specs_[it->second].out32)
            throw Error(lw + ".input: layer " + s.input + " has INT32 outputs (out32); layer " + s.name +
                        " reads INT8");
        }
        index[s.name] = specs_.size();
        specs_.push_back(s);
        continue;
      }
      s.dtype = n["dtype"] ? named_dtype(n["dtype"], lw + ".dtype") : dtype;
      s.group = n["group"] ? get_count(n["group"], lw + ".group", 1, 1 << 20) : group;
      if (s.in % s.group)
        throw Error(lw + ".group: " + std::to_string(s.group) + " does not divide in = " + std::to_string(s.in) +
                    " (layer " + s.name + ")");
      s.bias = n["bias"] ? get_bool(n["bias"], lw + ".bias") : true;
      s.relu = n["relu"] ? get_bool(n["relu"], lw + ".relu") : false;
      s.out32 = n["out32"] ? get_bool(n["out32"], lw + ".out32") : false;
      s.input = n["input"] ? get_string(n["input"], lw + ".input") : "x";
      if (index.count(s.name)) throw Error(lw + ".name: layer " + s.name + " is defined twice");
      if (grid_) {  // after a hash grid: a chain, the first linear layer reads the grid's features
        const std::string prev = specs_.empty() ? grid_->name : specs_.back().name;
        if (!n["input"]) s.input = prev;
        if (s.input != prev)
          throw Error(lw + ".input: '" + s.input + "', after a hashgrid layer the layers form a chain (layer " +
                      s.name + " reads " + prev + ")");
        if (specs_.empty()) {
          const uint64_t nf = grid_->grid.out_features();
          if (s.in != nf)
            throw Error(lw + ".in: " + std::to_string(s.in) + ", the hashgrid layer " + grid_->name +
                        " gives levels * features = " + std::to_string(nf) + " (layer " + s.name + ")");
          s.input = "x";  // the grid's features are the chain's x
        }
      }
      if (s.input != "x" && s.input != "random") {
        const auto it = index.find(s.input);
        if (it == index.end())
          throw Error(lw + ".input: '" + s.input + "' is not x, random or an earlier layer (layer " + s.name + ")");
        if (specs_[it->second].out != s.in)
          throw Error(lw + ".input: layer " + s.input + " gives " + std::to_string(specs_[it->second].out) +
                      " features, layer " + s.name + " takes " + std::to_string(s.in));
      }
      index[s.name] = specs_.size();
      specs_.push_back(s);
    }
    if (grid_ && specs_.empty()) throw Error(ww + ".layers: a hashgrid layer needs linear layers after it (the MLP)");
    for (const auto& s : specs_)
      if (s.kind != Kind::kLinear) {
        if (grid_)
          throw Error(ww + ".layers: a hashgrid layer feeds linear layers only (layer " + s.name + " is a " +
                      kind_name(s.kind) + " layer)");
        if (w["train"])
          throw Error(ww + ".train: not with a " + std::string(kind_name(s.kind)) + " layer (" + s.name + ")");
      }
    uint64_t x_dim = 0;
    for (const auto& s : specs_)
      if (s.input == "x") {
        if (x_dim && x_dim != s.in)
          throw Error(ww + ".layers: layers reading x take " + std::to_string(x_dim) + " and " + std::to_string(s.in) +
                      " features (layer " + s.name + ")");
        x_dim = s.in;
      }
    if (w["image"] && !grid_) throw Error(ww + ".image: needs a hashgrid layer (an image field)");
    if (grid_) {
      if (w["train"]) throw Error(ww + ".train: not with a hashgrid layer (`bitgrid fit` trains hash grids)");
      load_grid(w, ww, ctx);
      return;
    }
    if (w["train"]) {
      if (w["weights"]) throw Error(ww + ".weights: not with train (the trained weights are the model's)");
      if (w["inputs"]) throw Error(ww + ".inputs: not with train (the test split is the model's input)");
      train(w["train"], ww + ".train", ww, w["m"] ? std::optional<uint64_t>(m_) : std::nullopt, ctx);
      build(std::nullopt, test_.x, x_dim);
      return;
    }
    std::optional<WeightFile> wf;
    if (w["weights"]) wf.emplace(resolve_path(get_string(w["weights"], ww + ".weights"), ctx.config_path));
    std::vector<float> xin;
    if (w["inputs"]) {
      const std::string f = resolve_path(get_string(w["inputs"], ww + ".inputs"), ctx.config_path);
      if (!x_dim) throw Error(ww + ".inputs: no layer reads x");
      xin = checked_floats(read_array(f), f, m_, x_dim);
    }
    build(wf, xin, x_dim);
  }

  Lowered lower(const HwConfig& hw) const override {
    mac_parallel_ = hw.mac_parallel != 0;
    hw_ = hw;
    for (const auto& s : specs_)
      if (s.kind != Kind::kLinear) return lower_parts(hw);
    std::optional<OnChipInput> in;
    if (grid_) in = hashgrid_input(gq_, xq_, hw, &placement_);
    ModelCompiled c = compile_model(q_, hw, keep_on_chip_, in ? &*in : nullptr);
    layouts_ = c.layers;
    return std::move(static_cast<Lowered&>(c));
  }

  Verdict finish(const Lowered& l, const std::vector<uint8_t>& memory, const std::string& dir,
                 nlohmann::json& rep) const override {
    Verdict v;
    nlohmann::json rows = nlohmann::json::array();
    double total_macs = 0;
    std::vector<int32_t> last;  // the last layer's integer outputs (the logits, when trained)
    std::string csv =
        "layer,m,k,n,dtype,group,bits_per_weight,macs,weight_bytes,dram_bytes,cycles,pe_utilization,energy_pj,"
        "pj_per_mac,weight_sqnr_db,output_sqnr_db,outputs_on_chip,k_chunks\n";
    for (size_t i = 0; i < q_.size(); ++i) {
      const LinearQ& L = q_[i];
      if (specs_[i].kind != Kind::kLinear) {
        last = finish_special(i, memory, dir, rep, rows, csv, v);
        continue;
      }
      // A layer whose outputs stayed on chip (abuf, read by the next layers) has none in DRAM: it is checked
      // through the layers that read them, and its figures below come from the integer reference.
      const bool on_chip = layouts_[i].on_chip;
      const std::vector<int32_t>& ref = reference(i);
      const std::vector<int32_t> y = on_chip ? ref : decode_layer(L, layouts_[i], memory);
      if (!on_chip) check_outputs(i, y, v);
      const double sqnr = output_sqnr(i, y);
      const double macs = static_cast<double>(L.m * L.k * L.n);
      total_macs += macs;
      const double bits = isa::kDtypes[L.dtype].bits + 16.0 / static_cast<double>(L.group);
      nlohmann::json row = {{"name", L.name},
                            {"m", L.m},
                            {"k", L.k},
                            {"n", L.n},
                            {"dtype", isa::kDtypes[L.dtype].name},
                            {"group", L.group},
                            {"bits_per_weight", bits},
                            {"macs", macs},
                            {"weight_bytes", layouts_[i].weight_dram_bytes},
                            {"weight_mse", wq_[i].mse},
                            {"weight_sqnr_db", wq_[i].sqnr_db},
                            {"output_sqnr_db", sqnr},
                            {"outputs_on_chip", on_chip},
                            {"k_chunks", layouts_[i].k_chunks},
                            {"m_tile", layouts_[i].m_tile}};
      double cycles = 0, energy = 0, dram = 0;
      if (section_figures(rep, i, row, cycles, energy, dram)) {
        row["pj_per_mac"] = energy / macs;
        if (row.contains("cycles")) {
          const double terms = mac_parallel_ ? 1.0 : isa::kDtypes[L.dtype].terms;
          row["pe_utilization"] =
              macs * terms / (cycles * rep["roofline"]["engines"]["bitmac"]["peak_per_cycle"].get<double>());
        }
      }
      char line[400];
      std::snprintf(line, sizeof line,
                    "%s,%lu,%lu,%lu,%s,%lu,%.4f,%.0f,%lu,%.0f,%.0f,%.4f,%.1f,%.4f,%.3f,%.3f,%d,%lu\n", L.name.c_str(),
                    static_cast<unsigned long>(L.m), static_cast<unsigned long>(L.k), static_cast<unsigned long>(L.n),
                    isa::kDtypes[L.dtype].name, static_cast<unsigned long>(L.group), bits, macs,
                    static_cast<unsigned long>(layouts_[i].weight_dram_bytes), dram, cycles,
                    row.value("pe_utilization", 0.0), energy, energy / macs, wq_[i].sqnr_db, sqnr, on_chip ? 1 : 0,
                    static_cast<unsigned long>(layouts_[i].k_chunks));
      csv += line;
      char timing[64] = "";
      if (row.contains("cycles"))
        std::snprintf(timing, sizeof timing, "%9.0f cycles  PE %5.1f%%  ", cycles,
                      100 * row.value("pe_utilization", 0.0));
      std::snprintf(line, sizeof line,
                    "%-10s %5lu x %5lu -> %5lu %-7s %s%8.3f pJ/MAC  weights %6.2f dB  out %6.2f dB%s", L.name.c_str(),
                    static_cast<unsigned long>(L.m), static_cast<unsigned long>(L.k), static_cast<unsigned long>(L.n),
                    isa::kDtypes[L.dtype].name, timing, energy / macs, wq_[i].sqnr_db, sqnr,
                    on_chip ? "  (kept on chip)" : "");
      v.notes.push_back(line);
      rows.push_back(row);
      const std::string stem = dir + "/" + L.name;
      if (!on_chip) write_npy(stem + ".npy", "i4", L.m, L.n, y.data());
      if (i + 1 == q_.size()) last = y;
    }
    if (trained_) {
      const LinearQ& L = q_.back();
      size_t hit = 0, fhit = 0;
      for (uint64_t r = 0; r < L.m; ++r) {
        size_t a = 0, f = 0;
        for (uint64_t c = 1; c < L.n; ++c) {
          if (last[r * L.n + c] > last[r * L.n + a]) a = c;
          if (yf_.back()[r * L.n + c] > yf_.back()[r * L.n + f]) f = c;
        }
        hit += a == static_cast<size_t>(test_.y[r]);
        fhit += f == static_cast<size_t>(test_.y[r]);
      }
      const double acc = static_cast<double>(hit) / static_cast<double>(L.m);
      const double facc = static_cast<double>(fhit) / static_cast<double>(L.m);
      rep["accuracy"] = acc;
      rep["float_accuracy"] = facc;
      rep["train"] = {{"dataset", "digits"},      {"file", train_file_},         {"train_samples", train_n_},
                      {"test_samples", L.m},      {"epochs", train_opt_.epochs}, {"batch", train_opt_.batch},
                      {"lr", train_opt_.lr},      {"seed", train_opt_.seed},     {"test_fraction", test_fraction_},
                      {"seconds", train_seconds_}};
      char line[200];
      std::snprintf(line, sizeof line,
                    "accuracy: %.4f (%zu/%lu test digits, integer logits), float model %.4f; trained on %zu in %.2f s",
                    acc, hit, static_cast<unsigned long>(L.m), facc, train_n_, train_seconds_);
      v.notes.push_back(line);
      std::vector<int32_t> labels(test_.y.begin(), test_.y.end());
      write_npy(dir + "/labels.npy", "i4", L.m, 1, labels.data());
    }
    if (grid_) grid_report(l, rep, v);
    if (image_) image_report(last, dir, rep, v);
    rep["layers"] = rows;
    rep["macs"] = total_macs;
    if (total_macs > 0) rep["energy_pj_per_mac"] = rep["energy_pj"]["total"].get<double>() / total_macs;
    std::ofstream(dir + "/layers.csv") << csv;
    return v;
  }

  std::string summary() const override {
    size_t n_linear = 0;
    std::string others;
    for (const auto& sp : specs_)
      if (sp.kind == Kind::kLinear)
        ++n_linear;
      else
        others += std::string(others.empty() ? "" : ", ") + sp.name + " (" + kind_name(sp.kind) + ")";
    std::string s = std::to_string(n_linear) + " linear layer" + (n_linear == 1 ? "" : "s") +
                    (others.empty() ? "" : " and " + others) + ", M = " + std::to_string(m_);
    if (grid_) {
      const hashgrid::GridConfig& c = grid_->grid;
      s = "hash grid " + grid_->name + " (" + std::to_string(c.dims) + "-D, " + std::to_string(c.levels) +
          " levels x " + std::to_string(c.features) + " features, 2^" + std::to_string(c.log2_table) + " entries) -> " +
          s + " points";
    }
    std::map<std::string, int> dts;
    for (size_t i = 0; i < q_.size(); ++i)
      if (specs_[i].kind == Kind::kLinear) ++dts[isa::kDtypes[q_[i].dtype].name];
    for (const auto& [n, c] : dts) s += ", " + std::to_string(c) + " " + n;
    if (trained_)
      s += "; trained on " + std::to_string(train_n_) + " digits, run on " + std::to_string(m_) + " test digits";
    return s;
  }
  std::vector<std::string> outputs() const override {
    std::vector<std::string> o;
    for (size_t i = 0; i < q_.size(); ++i)
      if (i >= layouts_.size() || !layouts_[i].on_chip) o.push_back(q_[i].name + ".npy");
    o.push_back("layers.csv");
    if (image_) {
      o.push_back("image.png");
      o.push_back("float.png");
    }
    if (trained_) o.push_back("labels.npy");
    return o;
  }

 private:
  static uint64_t named_dtype(const YAML::Node& n, const std::string& where) {
    try {
      return static_cast<uint64_t>(dtype_by_name(get_string(n, where)));
    } catch (const Error& e) {
      throw Error(where + ": " + e.what());
    }
  }

  // A layer of another kind than linear (`type:` ecoformer_attention, attention, memoryformer_linear).
  static void parse_special(const YAML::Node& n, const std::string& lw, const std::string& type, LayerSpec& s) {
    if (type == "ecoformer_attention")
      s.kind = Kind::kEcoformer;
    else if (type == "attention")
      s.kind = Kind::kSoftmax;
    else if (type == "memoryformer_linear")
      s.kind = Kind::kMemory;
    else
      throw Error(lw + ".type: '" + type +
                  "' is not linear, ecoformer_attention, attention (softmax, the baseline), memoryformer_linear or "
                  "hashgrid (first)");
    if (s.kind == Kind::kMemory) {
      check_keys(n, lw, {"name", "type", "in", "out", "tau", "input"});
      s.tau = n["tau"] ? get_count(n["tau"], lw + ".tau", 1, 8) : 8;
      return;
    }
    if (s.kind == Kind::kEcoformer)
      check_keys(n, lw, {"name", "type", "in", "out", "head_dim", "bits", "form", "input"});
    else
      check_keys(n, lw, {"name", "type", "in", "out", "head_dim", "input"});
    s.head_dim = n["head_dim"] ? get_count(n["head_dim"], lw + ".head_dim", 1, 4096) : 0;
    s.bits = n["bits"] ? get_count(n["bits"], lw + ".bits", 1, 64) : 16;
    if (n["form"]) {
      const std::string f = get_string(n["form"], lw + ".form");
      if (f != "ecoformer" && f != "kernel")
        throw Error(lw + ".form: '" + f + "' is neither ecoformer (c v_n, as EcoFormer's code) nor kernel (c sum v)");
      s.form = f == "kernel";
    }
  }

  // The float model and the INT8 operands of layer i of another kind (bitgrid/workloads/layer_build.h): its input is
  // x (quantized per tensor, as a linear layer's) or an earlier layer's INT8 reference outputs at that layer's scale.
  void build_special(size_t i, const std::optional<WeightFile>& wf, const std::vector<float>& x,
                     std::map<std::string, size_t>& index, std::vector<std::vector<float>>& yfloat) {
    const LayerSpec& s = specs_[i];
    const size_t N = m_, D = s.in;
    RowMat xf;
    std::vector<int8_t> x8;
    double sx = 1;
    if (s.input == "x") {
      xf = from_floats(x, N, D);
      sx = max_scale(x);
      x8.resize(x.size());
      for (size_t j = 0; j < x.size(); ++j)
        x8[j] = static_cast<int8_t>(std::clamp<long>(std::lround(x[j] / sx), -127, 127));
    } else {
      const size_t p = index.at(s.input);
      xf = from_floats(yfloat[p], N, D);
      sx = sy_[p];
      const std::vector<int32_t>& yp = reference(p);
      x8.assign(yp.begin(), yp.end());
    }
    auto tensor = [&](const std::string& name, size_t rows, size_t cols) {
      const std::optional<Array2D> a = wf->get(s.name + "." + name);
      if (!a) throw Error(wf->path() + ": no tensor " + s.name + "." + name + " for layer " + s.name);
      return from_floats(checked_floats(*a, wf->path() + ": " + s.name + "." + name, rows, cols), rows, cols);
    };
    const uint64_t seed = seed_ * 1000003 + i;
    SpecialLayer sp;
    RowMat y;
    double sy = 1;
    if (s.kind == Kind::kMemory) {
      RowMat w;
      Eigen::VectorXd b = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(s.out));
      if (wf) {
        w = tensor("weight", s.out, D);
        if (wf->get(s.name + ".bias")) b = tensor("bias", s.out, 1).col(0);
      } else {
        w = from_floats(random_gaussian(s.out, D, seed).data, s.out, D) / std::sqrt(double(D));
      }
      // reading x, the layer places x itself (the float signs kept); reading a layer, it reads that layer's outputs
      MemoryBuild mb = build_memory(xf, std::move(x8), sx, w, b, s.tau, false, s.input == "x");
      sp.memory = std::move(mb.q);
      y = std::move(mb.y_mem);
      sy = mb.sy;
    } else {
      HeadWeights hw = seeded_head(D, s.head_dim, s.bits, seed);
      if (wf) {
        hw.wq = tensor("wq", s.head_dim, D), hw.wk = tensor("wk", s.head_dim, D);
        hw.wv = tensor("wv", s.head_dim, D), hw.wo = tensor("wo", D, s.head_dim);
      }
      HeadBuild hb = build_head(xf, x8, sx, hw, s.bits, s.form, s.kind == Kind::kSoftmax);
      sp.eco = std::move(hb.eco);
      sp.softmax = std::move(hb.softmax);
      y = s.kind == Kind::kSoftmax ? std::move(hb.y_softmax) : std::move(hb.y_eco);
      sy = hb.sy;
    }
    LinearQ L;  // the layer's shape and input, for the bookkeeping the linear layers share
    L.name = s.name;
    L.m = m_;
    L.k = D;
    L.n = s.out;
    if (s.input != "x") L.input = s.input;
    std::vector<float> yf(static_cast<size_t>(y.size()));
    for (size_t j = 0; j < yf.size(); ++j) yf[j] = static_cast<float>(y.data()[j]);
    if (specials_.size() <= i) specials_.resize(i + 1);
    specials_[i] = std::move(sp);
    index[s.name] = i;
    sy_.push_back(sy);
    ych_.emplace_back();
    yf_.emplace_back(yf.begin(), yf.end());
    yfloat.push_back(std::move(yf));
    wq_.emplace_back();
    q_.push_back(std::move(L));
  }

  // A graph with layers of other kinds: one program of parts (bitgrid/workloads/program_parts.h), each run of
  // consecutive linear layers lowered by compile_model, each other layer by its own lowering, every part's DRAM image
  // after the earlier ones'; a layer reading an earlier part's outputs reads them where that part stored them (every
  // linear layer's outputs go through DRAM here).
  Lowered lower_parts(const HwConfig& hw) const {
    const uint64_t wb = static_cast<uint64_t>(hw.beat_words());
    layouts_.assign(q_.size(), LayerLayout{});
    special_layouts_.assign(q_.size(), RowChunkLayout{});
    std::vector<DramRows> rows_of(q_.size());
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < q_.size(); ++i) index[q_[i].name] = i;
    Lowered all;
    for (size_t i = 0; i < q_.size();) {
      const LayerSpec& s = specs_[i];
      if (s.kind != Kind::kLinear) {
        RowChunkIO io;
        io.dram_base = all.memory.size();
        if (s.input != "x") io.input = rows_of[index.at(s.input)];
        const SpecialLayer& sp = *specials_[i];
        try {
          RowChunkCompiled c = s.kind == Kind::kEcoformer ? compile_attention(sp.eco, hw, io)
                               : s.kind == Kind::kSoftmax ? compile_softmax_attention(sp.softmax, hw, io)
                                                          : compile_memory_layer(sp.memory, hw, io);
          rows_of[i] = c.layout.y;
          special_layouts_[i] = c.layout;
          append_part(all, std::move(c), s.name);
        } catch (const Error& e) {
          throw Error("layer " + s.name + " (" + kind_name(s.kind) + "): " + e.what());
        }
        ++i;
        continue;
      }
      size_t j = i;
      while (j < q_.size() && specs_[j].kind == Kind::kLinear) ++j;
      std::vector<LinearQ> run;
      for (size_t li = i; li < j; ++li) {
        LinearQ L = q_[li];
        if (!L.input.empty() && index.at(L.input) < i) {  // an earlier part's outputs, in DRAM
          const size_t p = index.at(L.input);
          const DramRows& r = rows_of[p];
          if (r.row_words * 8 != L.k)
            throw Error("layer " + L.name + ": reads layer " + L.input + "'s outputs as rows of " +
                        std::to_string(r.row_words * 8) + " bytes in DRAM (" + std::to_string(q_[p].n) +
                        " values padded to the array's tiles) but takes " + std::to_string(L.k) +
                        " inputs: make the width a multiple of mac_cols = " + std::to_string(bitmac::cols(hw)) +
                        " and of 2*mac_rows = " + std::to_string(2 * bitmac::rows(hw)));
          L.input.clear();
          L.x_dram = r.addr;
        }
        run.push_back(std::move(L));
      }
      ModelCompiled c = compile_model(run, hw, false, nullptr, all.memory.size());
      for (size_t li = i; li < j; ++li) {
        const LayerLayout& lay = c.layers[li - i];
        layouts_[li] = lay;
        rows_of[li] = DramRows{lay.y_addr, q_[li].m, lay.n_pad * lay.out_bytes / 8, wb};
      }
      append_part(all, std::move(c), "");
      i = j;
    }
    check_program(all.program, hw, all.memory.size());
    return all;
  }

  // Layer i's outputs against its integer reference (the first difference fails the verdict).
  void check_outputs(size_t i, const std::vector<int32_t>& y, Verdict& v) const {
    const std::vector<int32_t>& ref = reference(i);
    const LinearQ& L = q_[i];
    for (size_t j = 0; j < y.size() && v.verified; ++j)
      if (y[j] != ref[j]) {
        v.verified = false;
        v.why = "layer " + L.name + ": Y[" + std::to_string(j / L.n) + "][" + std::to_string(j % L.n) +
                "] = " + std::to_string(y[j]) + ", the integer reference gives " + std::to_string(ref[j]);
      }
  }
  // SQNR (dB) of layer i's integer outputs at their scales against its float model.
  double output_sqnr(size_t i, const std::vector<int32_t>& y) const {
    double sig = 0, err = 0;
    const uint64_t n = q_[i].n;
    for (size_t j = 0; j < y.size(); ++j) {
      const double f = yf_[i][j], a = y[j] * (ych_[i].empty() ? sy_[i] : ych_[i][j % n]);
      sig += f * f;
      err += (f - a) * (f - a);
    }
    return err > 0 ? 10 * std::log10(sig / err) : 999.0;
  }
  // Layer i's report section (one per layer) into its row: energy, its parts, DRAM bytes, cycles on the timed
  // backends. False when the run has no such section.
  static bool section_figures(const nlohmann::json& rep, size_t i, nlohmann::json& row, double& cycles, double& energy,
                              double& dram) {
    if (!rep.contains("sections") || i >= rep["sections"].size()) return false;
    const auto& sec = rep["sections"][i];
    energy = sec["energy_pj"].get<double>();
    dram = sec["dram_bytes"]["read"].get<double>() + sec["dram_bytes"]["write"].get<double>();
    row["energy_pj"] = energy;
    row["energy_pj_by_component"] = sec["energy_pj_by_component"];
    row["dram_bytes"] = dram;
    if (sec.contains("cycles")) row["cycles"] = cycles = sec["cycles"].get<double>();
    return true;
  }

  // Layer i of another kind: its outputs from DRAM against its integer reference, its report row and file.
  std::vector<int32_t> finish_special(size_t i, const std::vector<uint8_t>& memory, const std::string& dir,
                                      nlohmann::json& rep, nlohmann::json& rows, std::string& csv, Verdict& v) const {
    const LayerSpec& s = specs_[i];
    const LinearQ& L = q_[i];
    const std::vector<int8_t> y8 = decode_row_chunks(L.m, L.n, special_layouts_[i], memory);
    const std::vector<int32_t> y(y8.begin(), y8.end());
    check_outputs(i, y, v);
    const double sqnr = output_sqnr(i, y);
    nlohmann::json row = {{"name", L.name},
                          {"type", kind_name(s.kind)},
                          {"m", L.m},
                          {"k", L.k},
                          {"n", L.n},
                          {"output_sqnr_db", sqnr},
                          {"outputs_on_chip", false},
                          {"rows_per_chunk", special_layouts_[i].rows}};
    if (s.kind == Kind::kMemory) {
      row["tau"] = s.tau;
      row["table_bytes"] = specials_[i]->memory.tables.size();
    } else {
      row["head_dim"] = s.head_dim;
      if (s.kind == Kind::kEcoformer) row["bits"] = s.bits;
    }
    double cycles = 0, energy = 0, dram = 0;
    section_figures(rep, i, row, cycles, energy, dram);
    char line[400];
    std::snprintf(line, sizeof line, "%s,%lu,%lu,%lu,%s,,,,,%.0f,%.0f,,%.1f,,,%.3f,0,\n", L.name.c_str(),
                  static_cast<unsigned long>(L.m), static_cast<unsigned long>(L.k), static_cast<unsigned long>(L.n),
                  kind_name(s.kind), dram, cycles, energy, sqnr);
    csv += line;
    char timing[64] = "";
    if (row.contains("cycles")) std::snprintf(timing, sizeof timing, "%9.0f cycles  ", cycles);
    std::snprintf(line, sizeof line, "%-10s %5lu x %5lu -> %5lu %s  %s%.1f nJ  out %6.2f dB", L.name.c_str(),
                  static_cast<unsigned long>(L.m), static_cast<unsigned long>(L.k), static_cast<unsigned long>(L.n),
                  kind_name(s.kind), timing, energy / 1000, sqnr);
    v.notes.push_back(line);
    rows.push_back(row);
    write_npy(dir + "/" + L.name + ".npy", "i4", L.m, L.n, y.data());
    return y;
  }

  // Layer i's integer reference outputs (linear_reference), computed once: a chained layer's input in build()
  // and the check in finish() share them.
  const std::vector<int32_t>& reference(size_t i) const {
    if (ref_.size() < q_.size()) ref_.resize(q_.size());
    if (ref_[i].empty()) {
      if (specs_[i].kind == Kind::kLinear) {
        ref_[i] = linear_reference(q_[i]);
      } else {
        const SpecialLayer& sp = *specials_[i];
        const std::vector<int8_t> y = specs_[i].kind == Kind::kEcoformer ? attention_reference(sp.eco).y
                                      : specs_[i].kind == Kind::kSoftmax ? softmax_reference(sp.softmax).y
                                                                         : memory_reference(sp.memory);
        ref_[i].assign(y.begin(), y.end());
      }
    }
    return ref_[i];
  }

  // `train:`: checks that the layers are a chain x -> ReLU hidden layers -> logits, reads and splits the
  // dataset, trains the float MLP and keeps its weights, the test split (x, the labels) and the train split
  // (for calibration). An explicit `m` runs the first m test samples.
  void train(const YAML::Node& t, const std::string& tw, const std::string& ww, std::optional<uint64_t> m,
             const WorkloadContext& ctx) {
    if (!t.IsMap()) throw Error(tw + ": expected a map {dataset, file, epochs, seed, test_fraction, batch, lr}");
    check_keys(t, tw, {"dataset", "file", "epochs", "seed", "test_fraction", "batch", "lr"});
    const std::string ds = t["dataset"] ? get_string(t["dataset"], tw + ".dataset") : "digits";
    if (ds != "digits") throw Error(tw + ".dataset: '" + ds + "' (known: digits)");
    train_file_ = t["file"] ? resolve_path(get_string(t["file"], tw + ".file"), ctx.config_path) : kDigitsPath;
    std::error_code ec;
    if (!std::filesystem::exists(train_file_, ec))
      throw Error(tw + ".file: " + train_file_ +
                  ": file not found (the UCI digits come with Debian's python3-sklearn: apt-get install "
                  "python3-sklearn)");
    train_opt_.epochs = t["epochs"] ? get_count(t["epochs"], tw + ".epochs", 1, 100000) : 60;
    train_opt_.batch = t["batch"] ? get_count(t["batch"], tw + ".batch", 1, 1 << 20) : 32;
    train_opt_.seed = t["seed"] ? get_u64(t["seed"], tw + ".seed") : seed_;
    train_opt_.lr = t["lr"] ? get_number(t["lr"], tw + ".lr") : 1e-3;
    if (!(train_opt_.lr > 0 && train_opt_.lr < 1)) throw Error(tw + ".lr: must be in (0, 1)");
    test_fraction_ = t["test_fraction"] ? get_number(t["test_fraction"], tw + ".test_fraction") : 0.2;
    if (!(test_fraction_ > 0 && test_fraction_ < 1)) throw Error(tw + ".test_fraction: must be in (0, 1)");
    // The graph: a chain from x, ReLU on every layer but the last (the logits), biases trained.
    std::vector<size_t> dims;
    for (size_t i = 0; i < specs_.size(); ++i) {
      const LayerSpec& s = specs_[i];
      const std::string lw = ww + ".layers[" + std::to_string(i) + "]";
      const std::string want = i == 0 ? "x" : specs_[i - 1].name;
      if (s.input != want)
        throw Error(lw + ".input: '" + s.input + "', train needs a chain (layer " + s.name + " must read " + want +
                    ")");
      const bool last = i + 1 == specs_.size();
      if (s.relu == last)
        throw Error(lw + ".relu: train needs ReLU on every layer but the last (the logits) (layer " + s.name + ")");
      if (!s.bias) throw Error(lw + ".bias: train trains biases (layer " + s.name + ")");
      if (i == 0) dims.push_back(s.in);
      dims.push_back(s.out);
    }
    if (dims.front() != 64)
      throw Error(ww + ".layers[0].in: " + std::to_string(dims.front()) + ", the digits have 64 pixels (layer " +
                  specs_.front().name + ")");
    if (dims.back() != 10)
      throw Error(ww + ".layers[" + std::to_string(specs_.size() - 1) + "].out: " + std::to_string(dims.back()) +
                  ", the digits have 10 classes (layer " + specs_.back().name + ")");
    const Dataset data = read_digits(train_file_);
    Split split = split_dataset(data, test_fraction_, train_opt_.seed);
    const auto t0 = std::chrono::steady_clock::now();
    mlp_ = train_mlp(split.train, dims, train_opt_);
    train_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    train_n_ = split.train.n;
    xcal_ = std::move(split.train.x);
    test_ = std::move(split.test);
    if (m) {
      if (*m > test_.n)
        throw Error(ww + ".m: " + std::to_string(*m) + ", the test split has " + std::to_string(test_.n) +
                    " samples (leave m out to run all of them)");
      test_.n = *m;
      test_.x.resize(*m * test_.dim);
      test_.y.resize(*m);
    }
    m_ = test_.n;
    trained_ = true;
  }

  // The hash grid's part of the report: its layout, its energy (the program's encoder section), the busy cycles of
  // the encoder, the MAC array and the DRAM bus, and the INT8 features' error against the float encoding.
  void grid_report(const Lowered& l, nlohmann::json& rep, Verdict& v) const {
    const hashgrid::GridConfig& c = grid_->grid;
    const double point_levels = double(m_) * c.levels;
    nlohmann::json g = {{"name", grid_->name},
                        {"dims", c.dims},
                        {"levels", c.levels},
                        {"features", c.features},
                        {"log2_table", c.log2_table},
                        {"points", m_},
                        {"point_levels", point_levels},
                        {"table_frac_bits", gq_.table.frac},
                        {"table_dram_bytes", placement_.table_bytes},
                        {"gbuf_lines_per_engine", placement_.seg_lines},
                        {"passes", placement_.passes.size()},
                        {"pass_levels", placement_.passes},
                        {"feature_sqnr_db", feature_sqnr_db_}};
    if (rep.contains("sections") && q_.size() < rep["sections"].size() &&
        rep["sections"][q_.size()]["energy_pj"].is_number()) {
      const auto& sec = rep["sections"][q_.size()];
      g["energy_pj"] = sec["energy_pj"];
      g["energy_pj_per_point"] = sec["energy_pj"].get<double>() / double(m_);
    }
    if (rep.contains("cycles") && rep["cycles"].is_number()) {
      const double cyc = rep["cycles"].get<double>();
      g["points_per_cycle"] = double(m_) / cyc;
      if (rep.contains("roofline") && rep["roofline"]["engines"].contains("hashgrid"))
        g["point_levels_per_cycle_vs_peak"] =
            point_levels / cyc / rep["roofline"]["engines"]["hashgrid"]["peak_per_cycle"].get<double>();
    }
    // Busy cycles of the encoder and of the MAC array (the sum of their instructions' execution times, R11/R12),
    // and the DRAM bus's: which of the three limits the frame.
    double enc_cycles = 0, mac_cycles = 0;
    for (const Insn& in : l.program.insns)
      if (const Engine* e = engine_of(in)) {
        if (in.op() == isa::Op::kHgenc) enc_cycles += double(e->cycles(in, hw_));
        if (in.op() == isa::Op::kGemm) mac_cycles += double(e->cycles(in, hw_));
      }
    const double bus_cycles = (rep["dram_bytes"]["read"].get<double>() + rep["dram_bytes"]["write"].get<double>()) /
                              double(hw_.dram_bytes_per_cycle);
    g["encoder_busy_cycles"] = enc_cycles;
    g["mac_busy_cycles"] = mac_cycles;
    g["dram_bus_cycles"] = bus_cycles;
    // the engines' use while encoding: point-levels over hg_engines per busy cycle (tables on chip)
    g["encoder_utilization"] = enc_cycles > 0 ? point_levels / (enc_cycles * double(hw_.hg_engines)) : 0.0;
    g["limit"] = enc_cycles >= std::max(mac_cycles, bus_cycles) ? "encoder"
                 : mac_cycles >= bus_cycles                     ? "mac_array"
                                                                : "dram";
    rep["hashgrid"] = g;
    char line[300];
    std::snprintf(line, sizeof line,
                  "%-10s %lu points x %u levels x %u features, tables %lu bytes, INT8 features %6.2f dB",
                  grid_->name.c_str(), static_cast<unsigned long>(m_), c.levels, c.features,
                  static_cast<unsigned long>(placement_.table_bytes), feature_sqnr_db_);
    v.notes.insert(v.notes.begin(), line);
  }

  // workload.image {png, clock_mhz, fit_steps, fit_seed}: the points are the image's pixel centres and the last
  // layer's outputs its pixels. With fit_steps, a weights file that does not exist yet is made first: the field
  // fitted in float (bitgrid fit's trainer, seeded, reproducible) and written there, so later runs reuse it.
  void load_image(const YAML::Node& w, const std::string& ww, const WorkloadContext& ctx) {
    const YAML::Node im = w["image"];
    const std::string iw = ww + ".image";
    if (!im.IsMap()) throw Error(iw + ": expected a map {png, clock_mhz, fit_steps, fit_seed}");
    check_keys(im, iw, {"png", "clock_mhz", "fit_steps", "fit_seed"});
    if (!im["png"]) throw Error(iw + ".png: missing (the image the field renders)");
    if (w["inputs"]) throw Error(ww + ".inputs: not with image (the points are its pixel centres)");
    if (w["m"]) throw Error(ww + ".m: not with image (one point per pixel)");
    image_path_ = resolve_path(get_string(im["png"], iw + ".png"), ctx.config_path);
    image_ = read_png(image_path_);
    clock_mhz_ = im["clock_mhz"] ? get_number(im["clock_mhz"], iw + ".clock_mhz") : 1000.0;
    if (!(clock_mhz_ > 0 && clock_mhz_ <= 100000)) throw Error(iw + ".clock_mhz: must be in (0, 100000]");
    const hashgrid::GridConfig& c = grid_->grid;
    if (c.dims != 2)
      throw Error(iw + ": the hashgrid layer " + grid_->name + " has dims " + std::to_string(c.dims) +
                  ", an image needs 2");
    if (specs_.back().out != image_->channels)
      throw Error(iw + ": the last layer " + specs_.back().name + " has out " + std::to_string(specs_.back().out) +
                  ", " + image_path_ + " has " + std::to_string(image_->channels) + " channels");
    m_ = image_->width * image_->height;
    if (!im["fit_steps"]) return;
    FitOptions opt;
    opt.steps = get_count(im["fit_steps"], iw + ".fit_steps", 1, 10000000);
    opt.seconds = 0;
    opt.seed = im["fit_seed"] ? get_u64(im["fit_seed"], iw + ".fit_seed") : seed_;
    if (!w["weights"]) throw Error(iw + ".fit_steps: needs workload.weights (where the fitted parameters are kept)");
    const std::string path = resolve_path(get_string(w["weights"], ww + ".weights"), ctx.config_path);
    fit_ = {{"steps", opt.steps}, {"seed", opt.seed}, {"params", path}};
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) {
      fit_["reused"] = true;
      return;
    }
    std::vector<FieldLayer> mlp;
    for (const auto& sp : specs_) mlp.push_back({sp.name, sp.in, sp.out, sp.relu, {}, {}});
    FieldModel fm = make_field(grid_->name, c, mlp, opt.seed);
    Progress bar("fit", double(opt.steps), false, false, " steps");
    const FitReport fr = fit_field(fm, *image_, opt, [&](size_t step, double, double p) {
      bar.update(double(step),
                 "step " + std::to_string(step) +
                     (std::isnan(p) ? "" : ", PSNR " + std::to_string(std::lround(p * 100) / 100.0) + " dB"));
    });
    bar.finish();
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    write_field(path, fm);
    fit_["reused"] = false;
    fit_["seconds"] = fr.seconds;
    fit_["float_psnr_db"] = fr.psnr;
  }

  // The image's part of the report: the accelerator's pixels (the last layer's INT8 outputs times their scale) and
  // the float model's, each against the original; frames per second at clock_mhz; energy per pixel.
  void image_report(const std::vector<int32_t>& y, const std::string& dir, nlohmann::json& rep, Verdict& v) const {
    Image acc = *image_, flt = *image_;
    const double sy = sy_.back();
    for (size_t i = 0; i < acc.px.size(); ++i) {
      acc.px[i] = static_cast<float>(y[i] * sy);
      flt.px[i] = static_cast<float>(yf_.back()[i]);
    }
    write_png(dir + "/image.png", acc);
    write_png(dir + "/float.png", flt);
    const double pa = psnr(acc.px, image_->px), pf = psnr(flt.px, image_->px);
    nlohmann::json j = {{"png", image_path_},  {"width", image_->width},  {"height", image_->height}, {"psnr_db", pa},
                        {"float_psnr_db", pf}, {"psnr_loss_db", pf - pa}, {"clock_mhz", clock_mhz_}};
    char line[300];
    std::snprintf(line, sizeof line,
                  "image      %zu x %zu: PSNR %.2f dB on the accelerator, %.2f dB float model (%.2f dB apart)",
                  image_->width, image_->height, pa, pf, pf - pa);
    v.notes.push_back(line);
    if (rep.contains("cycles") && rep["cycles"].is_number()) {
      const double cyc = rep["cycles"].get<double>();
      j["cycles_per_frame"] = cyc;
      j["frames_per_second"] = clock_mhz_ * 1e6 / cyc;
      std::snprintf(line, sizeof line, "           %.0f cycles a frame: %.1f frames/s at %.0f MHz", cyc,
                    clock_mhz_ * 1e6 / cyc, clock_mhz_);
      v.notes.push_back(line);
    }
    if (rep.contains("energy_pj") && rep["energy_pj"]["total"].is_number()) {
      j["energy_pj_per_pixel"] = rep["energy_pj"]["total"].get<double>() / double(m_);
      rep["energy_pj_per_pixel"] = j["energy_pj_per_pixel"];
    }
    if (!fit_.is_null()) j["fit"] = fit_;
    rep["image"] = j;
    rep["image_psnr_db"] = pa;
  }

  // A graph hashgrid -> linear chain: the points (workload.inputs [m][D] in [0, 1], or m seeded uniform ones), the
  // grid's parameters (<grid>.params in workload.weights, or seeded uniform in [-0.5, 0.5]), the float features
  // (tiny-cuda-nn semantics), their INT8 scale, the quantized grid, and the INT8 features the accelerator must
  // produce (the fixed-point encoder and the requantization, written apart from the engine).
  void load_grid(const YAML::Node& w, const std::string& ww, const WorkloadContext& ctx) {
    const hashgrid::GridConfig& c = grid_->grid;
    const std::vector<hashgrid::Level> levels = hashgrid::level_table(c);
    const uint64_t np = hashgrid::n_params(c, levels), D = c.dims;
    if (w["image"]) load_image(w, ww, ctx);
    std::optional<WeightFile> wf;
    if (w["weights"]) wf.emplace(resolve_path(get_string(w["weights"], ww + ".weights"), ctx.config_path));
    std::vector<float> params;
    if (wf) {
      const auto a = wf->get(grid_->name + ".params");
      if (!a) throw Error(wf->path() + ": no tensor " + grid_->name + ".params for hashgrid layer " + grid_->name);
      params = checked_floats(*a, wf->path() + ": " + grid_->name + ".params", np, 1);
    } else {
      std::mt19937_64 rng(seed_ * 7919 + 1);
      std::uniform_real_distribution<float> uni(-0.5f, 0.5f);
      params.resize(np);
      for (float& v : params) v = uni(rng);
    }
    std::vector<float> pts;
    if (image_) {
      pts = pixel_centers(image_->width, image_->height);
    } else if (w["inputs"]) {
      const std::string f = resolve_path(get_string(w["inputs"], ww + ".inputs"), ctx.config_path);
      const Array2D a = read_array(f);
      if (!w["m"]) m_ = a.rows;
      pts = checked_floats(a, f, m_, D);
      for (size_t i = 0; i < pts.size(); ++i)
        if (!(pts[i] >= 0.0f && pts[i] <= 1.0f))
          throw Error(f + ": point [" + std::to_string(i / D) + ", " + std::to_string(i % D) +
                      "] = " + std::to_string(pts[i]) + " is outside [0, 1] (points are rejected, not clamped)");
    } else {
      std::mt19937_64 rng(seed_ * 104729 + 3);
      std::uniform_real_distribution<float> uni(0.0f, 1.0f);
      pts.resize(m_ * D);
      for (float& v : pts) v = uni(rng);
    }
    if (m_ > (uint64_t{1} << 20)) throw Error(ww + ".m: " + std::to_string(m_) + " points, above 2^20");
    std::vector<float> feat(m_ * c.out_features());
    hashgrid::encode_float_mt(c, levels, pts.data(), m_, params.data(), feat.data());
    // INT8 scale per level (levels differ in magnitude); build()'s scale for x is the largest, and the first
    // layer's weights take the ratio (x_fold_: feature k = q_k * scale_l = q_k * fold_k * sx).
    const uint64_t nf = c.out_features();
    std::vector<std::vector<float>> per_level(c.levels);
    for (size_t i = 0; i < feat.size(); ++i) per_level[(i % nf) / c.features].push_back(feat[i]);
    std::vector<double> scale(c.levels);
    for (uint32_t l = 0; l < c.levels; ++l) scale[l] = mse_scale(per_level[l]);
    const double sx = max_scale(feat);  // build()'s scale of x: every fold_k <= 1
    x_fold_.resize(nf);
    for (uint64_t k = 0; k < nf; ++k) x_fold_[k] = static_cast<float>(scale[k / c.features] / sx);
    gq_ = quantize_hashgrid(grid_->name, c, params.data(), scale);
    xq_.resize(pts.size());
    for (size_t i = 0; i < pts.size(); ++i) xq_[i] = hashgrid::quantize_coord(pts[i]);
    build(wf, feat, c.out_features());
    q_[0].x = hashgrid_features_int8(gq_, xq_);
    ref_.clear();  // build() chained the layers on the rounded float features: again on the grid's INT8 ones
    for (size_t i = 1; i < q_.size(); ++i) {
      const std::vector<int32_t>& yp = reference(i - 1);
      q_[i].x.assign(yp.begin(), yp.end());
    }
    double sig = 0, err = 0;
    for (size_t i = 0; i < feat.size(); ++i) {
      const double e = feat[i] - q_[0].x[i] * scale[(i % nf) / c.features];
      sig += double(feat[i]) * feat[i];
      err += e * e;
    }
    feature_sqnr_db_ = err > 0 ? 10 * std::log10(sig / err) : 999.0;
  }

  // Float operands (file or seeded synthetic: Gaussian activations, Student-t(4) weights, the heavy tails of
  // LLM weight matrices that make per-group datatypes pay off), quantization and calibration.
  void build(const std::optional<WeightFile>& wf, const std::vector<float>& xin, uint64_t x_dim) {
    std::mt19937_64 rng(seed_);
    std::normal_distribution<double> gauss(0.0, 1.0);
    std::vector<float> x = xin;
    if (x.empty() && x_dim) {
      x.resize(m_ * x_dim);
      for (auto& v : x) v = static_cast<float>(gauss(rng));
    }
    std::map<std::string, size_t> index;
    std::vector<std::vector<float>> yfloat;
    // Calibration inputs: the run's own (yfloat), or, when trained, the float layers' outputs on the train
    // split (ycal), so that no scale is fitted to the test samples.
    const bool cal = !xcal_.empty();
    std::vector<std::vector<float>> ycal;
    for (size_t i = 0; i < specs_.size(); ++i) {
      const LayerSpec& s = specs_[i];
      if (s.kind != Kind::kLinear) {
        build_special(i, wf, x, index, yfloat);
        continue;
      }
      std::vector<float> wts, bias(s.out, 0.0f);
      std::optional<Array2D> wa, ba;
      if (trained_) {
        wts = mlp_.layers[i].w;
        bias = mlp_.layers[i].b;
      } else if (wf) {
        wa = wf->get(s.name + ".weight");
        if (!wa) throw Error(wf->path() + ": no tensor " + s.name + ".weight for layer " + s.name);
        wts = checked_floats(*wa, wf->path() + ": " + s.name + ".weight", s.out, s.in);
        ba = wf->get(s.name + ".bias");
        if (ba && s.bias) bias = checked_floats(*ba, wf->path() + ": " + s.name + ".bias", s.out, 1);
      } else {
        wts.resize(s.out * s.in);
        synthetic_weights(wts, seed_ * 1000003 + i);
        if (s.bias)
          for (auto& v : bias) v = static_cast<float>(0.1 * gauss(rng));
      }
      // The layer's float input and its INT8 scale.
      std::vector<float> xf;
      double sx = 1;
      LinearQ L;
      L.name = s.name;
      L.m = m_;
      L.k = s.in;
      L.n = s.out;
      L.dtype = s.dtype;
      L.group = s.group;
      L.relu = s.relu;
      L.out32 = s.out32;
      if (s.input == "x" || s.input == "random") {
        if (s.input == "x") {
          xf = x;
        } else {
          xf.resize(m_ * s.in);
          for (auto& v : xf) v = static_cast<float>(gauss(rng));
        }
        sx = max_scale(cal ? xcal_ : xf);
        L.x.resize(xf.size());
        for (size_t j = 0; j < xf.size(); ++j)
          L.x[j] = static_cast<int8_t>(std::clamp<long>(std::lround(xf[j] / sx), -127, 127));
      } else {
        const size_t p = index.at(s.input);
        L.input = s.input;
        xf = yfloat[p];
        sx = sy_[p];
        const std::vector<int32_t>& yp = reference(p);  // the producer's integer outputs
        L.x.assign(yp.begin(), yp.end());
      }
      // Inputs with scales of their own (a hash grid's levels, a producer's channels, each k at scale fold_k * sx):
      // the ratios fold into this layer's weights.
      std::vector<float> fold = i == 0 ? x_fold_ : std::vector<float>{};
      if (s.input != "x" && s.input != "random") {
        const size_t p = index.at(s.input);
        for (double c : ych_[p]) fold.push_back(static_cast<float>(c / sy_[p]));
      }
      std::vector<float> wfold;
      if (!fold.empty()) {
        wfold = wts;
        for (uint64_t n = 0; n < s.out; ++n)
          for (uint64_t k = 0; k < s.in; ++k) wfold[n * s.in + k] *= fold[k];
      }
      Quantized wq = quantize(wfold.empty() ? wts.data() : wfold.data(), s.out, s.in, static_cast<int>(s.dtype),
                              s.group, s.name + ".weight");
      L.codes = wq.codes;
      L.sel = wq.sel;
      L.scale = wq.gscale;
      // The float layer (Eigen, float32).
      const Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> xm(xf.data(), m_,
                                                                                                       s.in);
      const Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> wm(wts.data(),
                                                                                                       s.out, s.in);
      Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> ym = xm * wm.transpose();
      std::vector<float> yf(m_ * s.out);
      double ymax = 0;
      if (cal) {  // only chains from x are trained (train() checks): the calibration input is x's or a layer's
        const std::vector<float>& xc = s.input == "x" ? xcal_ : ycal[index.at(s.input)];
        const size_t mc = xc.size() / s.in;
        const Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> cm(
            xc.data(), static_cast<Eigen::Index>(mc), static_cast<Eigen::Index>(s.in));
        Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> yc = cm * wm.transpose();
        std::vector<float> yv(mc * s.out);
        for (size_t m = 0; m < mc; ++m)
          for (uint64_t n = 0; n < s.out; ++n) {
            double acc = double(yc(static_cast<Eigen::Index>(m), static_cast<Eigen::Index>(n))) + bias[n];
            if (s.relu) acc = std::max(acc, 0.0);
            yv[m * s.out + n] = static_cast<float>(acc);
            ymax = std::max(ymax, std::fabs(acc));
          }
        ycal.push_back(std::move(yv));
      }
      for (uint64_t m = 0; m < m_; ++m)
        for (uint64_t n = 0; n < s.out; ++n) {
          double acc = double(ym(m, n)) + bias[n];
          if (s.relu) acc = std::max(acc, 0.0);
          yf[m * s.out + n] = static_cast<float>(acc);
          if (!cal) ymax = std::max(ymax, std::fabs(acc));
        }
      const double sy = (ymax > 0 ? ymax : 1.0) / (s.out32 ? 16777216.0 : 127.0);
      // After a hash grid, a layer read by the next one gets a scale per output channel (its requantizer is per
      // channel; the reader folds the ratios into its weights): hidden activations differ a lot between channels.
      std::vector<double> ych;
      if (grid_ && i + 1 < specs_.size() && !s.out32) {
        std::vector<double> cmax(s.out, 0.0);
        for (size_t j = 0; j < yf.size(); ++j) cmax[j % s.out] = std::max(cmax[j % s.out], double(std::fabs(yf[j])));
        for (uint64_t n = 0; n < s.out; ++n) ych.push_back(cmax[n] > 0 ? cmax[n] / 127.0 : sy);
      }
      L.channels.resize(s.out);
      for (uint64_t n = 0; n < s.out; ++n) {
        const double unit = sx * wq.cscale[n];  // one step of the accumulator
        const Multiplier mq = requant_multiplier(unit / (ych.empty() ? sy : ych[n]));
        bitmac::Channel ch{0, static_cast<uint16_t>(mq.mult), static_cast<uint8_t>(mq.shift)};
        ch.bias =
            unit > 0 ? static_cast<int32_t>(std::clamp<double>(std::round(bias[n] / unit), INT32_MIN, INT32_MAX)) : 0;
        L.channels[n] = ch;
      }
      index[s.name] = i;
      sy_.push_back(sy);
      ych_.push_back(std::move(ych));
      yf_.emplace_back(yf.begin(), yf.end());
      yfloat.push_back(std::move(yf));
      wq_.push_back(std::move(wq));
      q_.push_back(std::move(L));
    }
  }

  uint64_t m_ = 1, seed_ = 1;
  // A hashgrid first layer (its features are layer 0's x): the quantized grid and the points (UQ1.23).
  std::optional<HashgridLayer> grid_;
  std::optional<Image> image_;  // workload.image
  std::string image_path_;
  double clock_mhz_ = 1000;
  nlohmann::json fit_;  // how the parameters were fitted (image.fit_steps)
  HashgridQ gq_;
  std::vector<uint32_t> xq_;
  double feature_sqnr_db_ = 0;
  std::vector<float> x_fold_;             // per input of the first layer: its level's scale over x's
  std::vector<std::vector<double>> ych_;  // per layer: a scale per output channel (empty: sy_ for all)
  mutable HashgridPlacement placement_;
  mutable HwConfig hw_;  // the machine lower() mapped onto
  // `train:` (trained_): the trained float model, the test split (x, labels), the train split's x.
  bool trained_ = false;
  bool keep_on_chip_ = true;  // workload.keep_on_chip: chained outputs stay in abuf when they fit
  Mlp mlp_;
  Dataset test_;
  std::vector<float> xcal_;
  TrainOptions train_opt_;
  std::string train_file_;
  size_t train_n_ = 0;
  double test_fraction_ = 0.2, train_seconds_ = 0;
  std::vector<LayerSpec> specs_;
  std::vector<std::optional<SpecialLayer>> specials_;  // per layer: the operands of a layer of another kind
  mutable std::vector<RowChunkLayout> special_layouts_;
  std::vector<LinearQ> q_;
  std::vector<Quantized> wq_;
  std::vector<std::vector<double>> yf_;
  std::vector<double> sy_;
  mutable std::vector<LayerLayout> layouts_;
  mutable std::vector<std::vector<int32_t>> ref_;  // reference(i), [m][n] per layer, empty until asked for
  mutable bool mac_parallel_ = false;
};

}  // namespace

std::unique_ptr<Workload> make_model_workload() { return std::make_unique<Model>(); }

}  // namespace bitgrid
