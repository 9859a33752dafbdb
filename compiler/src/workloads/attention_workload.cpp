// The `attention` workload: one head of EcoFormer's hashed linear attention (bitgrid/workloads/attention.h), or with
// `form: softmax` the softmax attention baseline on the MAC array (compile_softmax_attention), over
// float tokens x [tokens][dim] (a float32 .npy, or seeded Gaussian ones) with float projections Wq, Wk, Wv
// [head_dim][dim] and Wo [dim][head_dim] (an .npz with members wq, wk, wv, wo, or seeded Gaussian ones scaled by
// 1/sqrt(fan-in)) and a seeded Gaussian hash projection H [bits][head_dim] (SimHash: h = sign(H q), bit 1 iff >= 0).
// Quantization: x to INT8 (per tensor), Wv, H Wk, H Wq and Wo row by row to INT8, V and the output requantized to
// INT8 with scales calibrated on the float model. finish() checks the accelerator's output byte for byte against
// attention_reference and reports its error against the float hashed attention and the float softmax attention
// softmax(Q K^T / sqrt(head_dim)) V Wo^T, and the bits of the on-chip codes that differ from the float hash's.
// Softmax form: Q, K, V requantized to INT8 with scales from the float model, the logits to INT8 over their largest
// magnitude, the exp table P(l) = 127 exp(s_l l - offset), offset = the mean of the float rows' largest logits (the
// chip has no row maximum: rows whose maximum is above it saturate P at 127, rows far below lose resolution).
#include <Eigen/Dense>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "bitgrid/datafile.h"
#include "bitgrid/error.h"
#include "bitgrid/floatknn.h"
#include "bitgrid/progress.h"
#include "bitgrid/workload_util.h"
#include "bitgrid/workloads/attention.h"
#include "bitgrid/workloads/float_model.h"
#include "bitgrid/workloads/layer_build.h"

namespace bitgrid {

namespace {

using Mat = RowMat;

Mat gaussian(size_t rows, size_t cols, uint64_t seed, double scale) {
  const FloatMatrix g = random_gaussian(rows, cols, seed);
  return from_floats(g.data, rows, cols) * scale;
}
Mat checked(const Array2D& a, const std::string& what, size_t rows, size_t cols) {
  return from_floats(checked_floats(a, what, rows, cols, "the head"), rows, cols);
}

class Attention final : public Workload {
 public:
  const char* type() const override { return "attention"; }

  void load(const YAML::Node& s, const std::string& where, const WorkloadContext& ctx) override {
    check_keys(s, where, {"type", "tokens", "dim", "head_dim", "bits", "form", "seed", "input", "weights"});
    const bool softmax = s["form"] && s["form"].IsScalar() && s["form"].Scalar() == "softmax";
    for (const char* k : {"tokens", "dim", "bits"})
      if (!s[k] && !(softmax && std::string(k) == "bits"))  // softmax: bits only for the float hashed comparison
        throw Error(where + "." + k + ": missing");
    // (the float and integer references are pairwise, O(tokens^2 * head_dim): ~20 s at 16384 tokens; the
    // accumulator's own limit, N <= 2^31 / (128 (2b+1)), is above that for every b <= 64: compile_attention checks it)
    a_.n = get_count(s["tokens"], where + ".tokens", 1, 16384);
    a_.dim = get_count(s["dim"], where + ".dim", 1, 4096);
    a_.d = s["head_dim"] ? get_count(s["head_dim"], where + ".head_dim", 1, 4096) : a_.dim;
    a_.bits = s["bits"] ? get_count(s["bits"], where + ".bits", 1, 64) : 16;
    if (s["form"]) {
      const std::string f = get_string(s["form"], where + ".form");
      if (f != "ecoformer" && f != "kernel" && f != "softmax")
        throw Error(where + ".form: '" + f +
                    "' is not ecoformer (c v_n, as EcoFormer's code), kernel (c sum v) or softmax (the baseline)");
      a_.form = f == "kernel";
      softmax_ = f == "softmax";
    }
    const uint64_t seed = s["seed"] ? get_u64(s["seed"], where + ".seed") : 1;
    const size_t N = a_.n, D = a_.dim, d = a_.d, b = a_.bits;
    Mat x;
    HeadWeights w;
    if (s["input"]) {
      const std::string p = resolve_path(get_string(s["input"], where + ".input"), ctx.config_path);
      x = checked(read_npy(p), p, N, D);
    } else {
      x = gaussian(N, D, seed, 1.0);
    }
    if (s["weights"]) {
      const std::string p = resolve_path(get_string(s["weights"], where + ".weights"), ctx.config_path);
      const std::vector<NamedArray> m = read_npz(p);
      auto member = [&](const char* name, size_t r, size_t c) {
        for (const auto& e : m)
          if (e.name == name) return checked(e.array, p + ": " + name, r, c);
        throw Error(p + ": no member '" + name +
                    "' (the head needs wq, wk, wv [head_dim][dim] and wo [dim][head_dim])");
      };
      w.wq = member("wq", d, D), w.wk = member("wk", d, D), w.wv = member("wv", d, D), w.wo = member("wo", D, d);
      w.h = gaussian(b, d, seed + 5, 1.0);
    } else {
      w = seeded_head(D, d, b, seed);
    }
    // the float models and the INT8 operands (bitgrid/workloads/layer_build.h); x quantized per tensor
    double sx = 1;
    const std::vector<int8_t> x8 = quantize_tensor(x, sx);
    HeadBuild hb = build_head(x, x8, sx, w, b, a_.form, softmax_);
    a_ = std::move(hb.eco);
    s_ = std::move(hb.softmax);
    y_eco_ = std::move(hb.y_eco);
    y_softmax_ = std::move(hb.y_softmax);
    fq_codes_ = std::move(hb.fq_codes);
    fk_codes_ = std::move(hb.fk_codes);
    sy_ = hb.sy;
    exp_offset_ = hb.exp_offset;
  }

  Lowered lower(const HwConfig& hw) const override {
    RowChunkCompiled c = softmax_ ? compile_softmax_attention(s_, hw) : compile_attention(a_, hw);
    layout_ = c.layout;
    return std::move(static_cast<Lowered&>(c));
  }

  Verdict finish(const Lowered&, const std::vector<uint8_t>& memory, const std::string& dir,
                 nlohmann::json& rep) const override {
    const std::vector<int8_t> y = decode_row_chunks(a_.n, a_.dim, layout_, memory);
    Progress bar("integer reference", double(a_.n), false, false, " queries");
    AttentionRef ref;
    if (softmax_)
      ref.y = softmax_reference(s_, [&](uint64_t done) { bar.update(double(done)); }).y;
    else
      ref = attention_reference(a_, [&](uint64_t done) { bar.update(double(done)); });
    bar.finish();
    Verdict v;
    for (size_t i = 0; i < y.size() && v.verified; ++i)
      if (y[i] != ref.y[i]) {
        v.verified = false;
        v.why = "output [" + std::to_string(i / a_.dim) + "][" + std::to_string(i % a_.dim) + "]: got " +
                std::to_string(y[i]) + ", the integer reference gives " + std::to_string(ref.y[i]);
      }
    const size_t N = a_.n, D = a_.dim;
    Mat yq(N, D);
    std::vector<float> yf(N * D);
    std::vector<int32_t> yi(N * D);
    for (size_t i = 0; i < N * D; ++i) {
      yq.data()[i] = y[i] * sy_;
      yf[i] = static_cast<float>(yq.data()[i]);
      yi[i] = y[i];
    }
    auto flips = [&](const std::vector<uint64_t>& chip, const std::vector<uint64_t>& flt) {
      uint64_t f = 0;
      for (size_t i = 0; i < chip.size(); ++i) f += static_cast<uint64_t>(__builtin_popcountll(chip[i] ^ flt[i]));
      return static_cast<double>(f) / static_cast<double>(chip.size() * a_.bits);
    };
    const double e_eco = rel_l2(yq, y_eco_), e_sm = rel_l2(yq, y_softmax_), e_hash = rel_l2(y_eco_, y_softmax_);
    const double fk = softmax_ ? 0 : flips(ref.key_codes, fk_codes_),
                 fq = softmax_ ? 0 : flips(ref.query_codes, fq_codes_);
    rep["workload"].update({{"tokens", N},
                            {"dim", D},
                            {"head_dim", a_.d},
                            {"bits", a_.bits},
                            {"form", form_name()},
                            {"gain_log2", softmax_ ? s_.gain : a_.gain},
                            {"rows_per_chunk", layout_.rows},
                            {"chunks", layout_.chunks}});
    rep["attention"] = {{"rel_l2_vs_float_softmax", e_sm},
                        {"float_hashed_vs_float_softmax", e_hash},
                        {"energy_pj_per_token", rep["energy_pj"]["total"].get<double>() / double(N)}};
    char line[200];
    if (softmax_) {
      rep["attention"]["exp_offset"] = exp_offset_;
      std::snprintf(line, sizeof line, "output vs float softmax attention: rel. L2 %.4f", e_sm);
      v.notes.push_back(line);
    } else {
      rep["attention"].update({{"rel_l2_vs_float_hashed", e_eco},
                               {"key_code_flip_rate_vs_float", fk},
                               {"query_code_flip_rate_vs_float", fq}});
      std::snprintf(line, sizeof line, "output vs float hashed attention: rel. L2 %.4f; vs float softmax: %.4f", e_eco,
                    e_sm);
      v.notes.push_back(line);
      std::snprintf(line, sizeof line, "code bits differing from the float hash: keys %.3f%%, queries %.3f%%", 100 * fk,
                    100 * fq);
      v.notes.push_back(line);
    }
    write_npy(dir + "/output.npy", "f4", N, D, yf.data());
    write_npy(dir + "/output_int8.npy", "i4", N, D, yi.data());
    return v;
  }

  std::string summary() const override {
    if (softmax_)
      return std::to_string(a_.n) + " tokens x " + std::to_string(a_.dim) + ", head " + std::to_string(a_.d) +
             ", softmax attention on the MAC array (the baseline)";
    return std::to_string(a_.n) + " tokens x " + std::to_string(a_.dim) + ", head " + std::to_string(a_.d) + ", " +
           std::to_string(a_.bits) + "-bit codes (EcoFormer, " + form_name() + " form)";
  }
  std::vector<std::string> outputs() const override { return {"output.npy", "output_int8.npy"}; }

 private:
  const char* form_name() const { return softmax_ ? "softmax" : a_.form ? "kernel" : "ecoformer"; }
  AttentionQ a_;
  SoftmaxQ s_;
  bool softmax_ = false;
  double exp_offset_ = 0;
  Mat y_eco_, y_softmax_;  // float outputs
  std::vector<uint64_t> fq_codes_, fk_codes_;
  double sy_ = 1;
  mutable RowChunkLayout layout_;
};

}  // namespace

std::unique_ptr<Workload> make_attention_workload() { return std::make_unique<Attention>(); }

}  // namespace bitgrid
