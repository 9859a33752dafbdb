// `bitgrid encode`: the reference hash-grid encoder on the user's points and parameters, in tiny-cuda-nn's float
// arithmetic or the hardware's fixed point, so that users can check it against their own frameworks.
#include <fmt/format.h>

#include <cmath>
#include <vector>

#include "bitgrid/datafile.h"
#include "bitgrid/error.h"
#include "bitgrid/hashgrid_layer.h"
#include "bitgrid/job.h"
#include "cli.h"

namespace bitgrid::cli {

namespace {

std::string grid_text(const hashgrid::GridConfig& g) {
  return fmt::format("{}-D, {} levels x {} features, 2^{} entries per hashed level, N_min {}, b {:.6g}, {}", g.dims,
                     g.levels, g.features, g.log2_table, g.base_res, g.per_level_scale,
                     g.interp == hashgrid::Interp::linear ? "linear" : "smoothstep");
}

}  // namespace

int cmd_encode(const std::string& config, const std::vector<std::string>& sets, const std::string& layer,
               const std::string& points_file, const std::string& params_file, const std::string& out,
               const std::string& numerics, bool quiet) {
  const YAML::Node root = load_root(config, sets);
  const HashgridLayer h = find_hashgrid_layer(root, config, layer);
  const auto& g = h.grid;
  const auto levels = hashgrid::level_table(g);
  const uint64_t np = hashgrid::n_params(g, levels);

  const Array2D pts = read_npy(points_file);
  if (pts.dtype != "f4" || pts.ndim != 2 || pts.cols != g.dims)
    throw Error(points_file + ": expected float32 points [n, " + std::to_string(g.dims) +
                "] (dims of the layer), got " + pts.dtype +
                (pts.ndim == 2 ? " [" + std::to_string(pts.rows) + ", " + std::to_string(pts.cols) + "]"
                               : " [" + std::to_string(pts.rows) + "]"));
  if (pts.rows == 0) throw Error(points_file + ": no points");
  const float* x = pts.as<float>();
  // Points outside [0, 1] are rejected, not clamped: a clamp would hide a wrong normalisation.
  for (size_t i = 0; i < pts.rows * pts.cols; ++i)
    if (!(x[i] >= 0.0f && x[i] <= 1.0f))
      throw Error(points_file + ": point " + std::to_string(i / pts.cols) + ", coordinate " +
                  std::to_string(i % pts.cols) + " is " + fmt::format("{}", x[i]) +
                  ", outside [0, 1] (points are rejected, not clamped)");

  const Array2D prm = read_npy(params_file);
  if (prm.dtype != "f4") throw Error(params_file + ": expected float32 parameters, got " + prm.dtype);
  if (uint64_t{prm.rows} * prm.cols != np)
    throw Error(params_file + ": " + std::to_string(uint64_t{prm.rows} * prm.cols) + " parameters, the layer needs " +
                std::to_string(np) + " (" + grid_text(g) + "; tiny-cuda-nn's layout, flat or [entries, features])");

  const size_t n = pts.rows, lf = g.out_features();
  std::vector<float> feats(n * lf);
  hashgrid::encode_float_mt(g, levels, x, n, prm.as<float>(), feats.data());
  std::string extra;
  if (numerics == "fixed") {
    const auto table = hashgrid::quantize_table(g, levels, prm.as<float>());
    std::vector<uint32_t> xq(n * g.dims);
    for (size_t i = 0; i < xq.size(); ++i) xq[i] = hashgrid::quantize_coord(x[i]);
    std::vector<int32_t> acc(n * lf);
    hashgrid::encode_fixed(g, levels, xq.data(), n, table, acc.data());
    double max_err = 0, sq = 0;
    for (size_t i = 0; i < n; ++i)
      for (size_t k = 0; k < lf; ++k) {
        const double v = hashgrid::acc_value(acc[i * lf + k], table.frac[k / g.features]);
        const double e = v - double(feats[i * lf + k]);
        max_err = std::max(max_err, std::fabs(e));
        sq += e * e;
        feats[i * lf + k] = static_cast<float>(v);
      }
    extra = fmt::format("; against float: max |error| {:.3e}, RMS {:.3e}", max_err, std::sqrt(sq / double(n * lf)));
  } else if (numerics != "float") {
    throw Error("--numerics: '" + numerics + "' (float or fixed)");
  }
  write_npy(out, "f4", n, lf, feats.data());
  if (!quiet)
    fmt::print("encoded {} points with layer '{}' ({}; {} parameters), {} -> {} [{} x {}]{}\n", n, h.name, grid_text(g),
               np, numerics, out, n, lf, extra);
  return 0;
}

}  // namespace bitgrid::cli
