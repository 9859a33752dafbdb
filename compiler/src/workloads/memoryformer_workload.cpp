// The `memoryformer` workload: one MemoryFormer layer (bitgrid/workloads/memoryformer.h) over float tokens x
// [tokens][dim] (a float32 .npy, or seeded Gaussian ones), or with `form: linear` the same-size linear layer on the
// MAC array, its baseline. The layer's float weights W [out_dim][dim] and bias b [out_dim] (an .npz with members w and
// optionally b, or seeded Gaussian ones scaled by 1/sqrt(dim), no bias) define both: the linear layer y = W x + b, and
// the memory layer's tables T_k[r] = sum_i W[:, k tau + i] s_i(r) m_{k tau + i} (s_i(r) = +1 if bit tau-1-i of r is
// set, else -1; m_j the mean |x_j| over the tokens: each sign pattern stands for its centroid - the 1-bit-input
// counterpart of W; MemoryFormer learns its tables instead), y = sum_k T_k[index_k(x)] + b. Quantization: x to INT8
// (per tensor; for the memory layer negative values that round to 0 become -1, so the signs are the float ones), the
// tables per output channel (or W row by row) to INT8, the outputs requantized to INT8 with the bias
// folded in. finish() checks the accelerator's output byte for byte against memory_reference and reports its error
// against the float linear layer and the float memory layer, the table bytes and the chunks whose on-chip index
// differs from the float one.
#include <Eigen/Dense>
#include <cmath>
#include <cstdio>

#include "bitgrid/datafile.h"
#include "bitgrid/error.h"
#include "bitgrid/floatknn.h"
#include "bitgrid/workload_util.h"
#include "bitgrid/workloads/float_model.h"
#include "bitgrid/workloads/layer_build.h"
#include "bitgrid/workloads/memoryformer.h"

namespace bitgrid {

namespace {

using Mat = RowMat;

class MemoryFormer final : public Workload {
 public:
  const char* type() const override { return "memoryformer"; }

  void load(const YAML::Node& s, const std::string& where, const WorkloadContext& ctx) override {
    check_keys(s, where, {"type", "tokens", "dim", "out_dim", "tau", "form", "seed", "input", "weights"});
    for (const char* k : {"tokens", "dim"})
      if (!s[k]) throw Error(where + "." + k + ": missing");
    q_.n = get_count(s["tokens"], where + ".tokens", 1, 1 << 20);
    q_.d_in = get_count(s["dim"], where + ".dim", 1, 4096);
    q_.d_out = s["out_dim"] ? get_count(s["out_dim"], where + ".out_dim", 1, 4096) : q_.d_in;
    q_.tau = s["tau"] ? get_count(s["tau"], where + ".tau", 1, 8) : 8;
    if (s["form"]) {
      const std::string f = get_string(s["form"], where + ".form");
      if (f != "memory" && f != "linear")
        throw Error(where + ".form: '" + f + "' is neither memory (the table layer) nor linear (the baseline)");
      q_.linear = f == "linear";
    }
    if (q_.d_in % q_.tau)
      throw Error(where + ".dim: " + std::to_string(q_.d_in) + " is not a multiple of tau = " + std::to_string(q_.tau) +
                  " (the input is cut into chunks of tau values)");
    const uint64_t seed = s["seed"] ? get_u64(s["seed"], where + ".seed") : 1;
    const size_t N = q_.n, D = q_.d_in, O = q_.d_out;
    Mat x, w;
    Eigen::VectorXd b = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(O));
    if (s["input"]) {
      const std::string p = resolve_path(get_string(s["input"], where + ".input"), ctx.config_path);
      x = from_floats(checked_floats(read_npy(p), p, N, D, "the layer"), N, D);
    } else {
      x = from_floats(random_gaussian(N, D, seed).data, N, D);
    }
    if (s["weights"]) {
      const std::string p = resolve_path(get_string(s["weights"], where + ".weights"), ctx.config_path);
      const std::vector<NamedArray> m = read_npz(p);
      bool have_w = false;
      for (const auto& e : m) {
        if (e.name == "w") {
          w = from_floats(checked_floats(e.array, p + ": w", O, D, "the layer"), O, D);
          have_w = true;
        } else if (e.name == "b") {
          const std::vector<float> bv = checked_floats(e.array, p + ": b", O, 1, "the layer");
          for (size_t o = 0; o < O; ++o) b(static_cast<Eigen::Index>(o)) = bv[o];
        } else {
          throw Error(p + ": unknown member '" + e.name + "' (the layer takes w [out_dim][dim] and b [out_dim])");
        }
      }
      if (!have_w) throw Error(p + ": no member 'w' (the layer needs w [out_dim][dim])");
    } else {
      w = from_floats(random_gaussian(O, D, seed + 1).data, O, D) / std::sqrt(double(D));
    }

    // the float layers and the INT8 operands (bitgrid/workloads/layer_build.h); x quantized per tensor
    double sx = 1;
    std::vector<int8_t> x8 = quantize_tensor(x, sx);
    MemoryBuild mb = build_memory(x, std::move(x8), sx, w, b, q_.tau, q_.linear);
    q_ = std::move(mb.q);
    y_lin_ = std::move(mb.y_lin);
    y_mem_ = std::move(mb.y_mem);
    float_index_ = std::move(mb.float_index);
    sy_ = mb.sy;
  }

  Lowered lower(const HwConfig& hw) const override {
    RowChunkCompiled c = compile_memory_layer(q_, hw);
    layout_ = c.layout;
    return std::move(static_cast<Lowered&>(c));
  }

  Verdict finish(const Lowered&, const std::vector<uint8_t>& memory, const std::string& dir,
                 nlohmann::json& rep) const override {
    const std::vector<int8_t> y = decode_row_chunks(q_.n, q_.d_out, layout_, memory);
    const std::vector<int8_t> ref = memory_reference(q_);
    Verdict v;
    for (size_t i = 0; i < y.size() && v.verified; ++i)
      if (y[i] != ref[i]) {
        v.verified = false;
        v.why = "output [" + std::to_string(i / q_.d_out) + "][" + std::to_string(i % q_.d_out) + "]: got " +
                std::to_string(y[i]) + ", the integer reference gives " + std::to_string(ref[i]);
      }
    const size_t N = q_.n, O = q_.d_out, K = q_.d_in / q_.tau;
    Mat yq(static_cast<Eigen::Index>(N), static_cast<Eigen::Index>(O));
    std::vector<float> yf(N * O);
    std::vector<int32_t> yi(N * O);
    for (size_t i = 0; i < N * O; ++i) {
      yq.data()[i] = y[i] * sy_;
      yf[i] = static_cast<float>(yq.data()[i]);
      yi[i] = y[i];
    }
    uint64_t flips = 0;  // chunks whose INT8 signs index another row than the float input's
    for (size_t t = 0; t < N; ++t)
      for (size_t k = 0; k < K; ++k) {
        uint64_t idx = 0;
        for (size_t i = 0; i < q_.tau; ++i) idx = 2 * idx + (q_.x[t * q_.d_in + k * q_.tau + i] >= 0 ? 1 : 0);
        flips += idx != float_index_[t * K + k];
      }
    const double e_lin = rel_l2(yq, y_lin_), e_mem = rel_l2(yq, y_mem_), e_float = rel_l2(y_mem_, y_lin_);
    const uint64_t table_bytes = K * (uint64_t{1} << q_.tau) * O, linear_bytes = q_.d_in * O;
    rep["workload"].update({{"tokens", N},
                            {"dim", q_.d_in},
                            {"out_dim", O},
                            {"tau", q_.tau},
                            {"form", q_.linear ? "linear" : "memory"},
                            {"rows_per_chunk", layout_.rows},
                            {"chunks", layout_.chunks}});
    rep["memoryformer"] = {{"rel_l2_vs_float_linear", e_lin},
                           {"float_memory_vs_float_linear", e_float},
                           {"table_bytes", table_bytes},
                           {"linear_weight_bytes", linear_bytes},
                           {"energy_pj_per_token", rep["energy_pj"]["total"].get<double>() / double(N)}};
    char line[200];
    if (q_.linear) {
      std::snprintf(line, sizeof line, "output vs float linear layer: rel. L2 %.4f (weights %llu bytes)", e_lin,
                    static_cast<unsigned long long>(linear_bytes));
    } else {
      const double fr = double(flips) / double(N * K);
      rep["memoryformer"].update({{"rel_l2_vs_float_memory", e_mem}, {"index_flip_rate_vs_float", fr}});
      std::snprintf(line, sizeof line,
                    "output vs float memory layer: rel. L2 %.4f; vs float linear: %.4f (tables %llu bytes)", e_mem,
                    e_lin, static_cast<unsigned long long>(table_bytes));
      v.notes.push_back(line);
      std::snprintf(line, sizeof line, "chunks indexing another row than the float input's: %.3f%%", 100 * fr);
    }
    v.notes.push_back(line);
    write_npy(dir + "/output.npy", "f4", N, O, yf.data());
    write_npy(dir + "/output_int8.npy", "i4", N, O, yi.data());
    return v;
  }

  std::string summary() const override {
    return std::to_string(q_.n) + " tokens x " + std::to_string(q_.d_in) + " -> " + std::to_string(q_.d_out) + ", " +
           (q_.linear
                ? "linear layer on the MAC array (the baseline)"
                : std::to_string(q_.d_in / q_.tau) + " tables of 2^" + std::to_string(q_.tau) + " rows (MemoryFormer)");
  }
  std::vector<std::string> outputs() const override { return {"output.npy", "output_int8.npy"}; }

 private:
  MemoryQ q_;
  Mat y_lin_, y_mem_;
  std::vector<uint64_t> float_index_;
  double sy_ = 1;
  mutable RowChunkLayout layout_;
};

}  // namespace

std::unique_ptr<Workload> make_memoryformer_workload() { return std::make_unique<MemoryFormer>(); }

}  // namespace bitgrid
