// A neural field (hash grid + MLP) trained in float to fit an image (bitgrid/field_fit.h).
#include "bitgrid/field_fit.h"

#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <random>

#include "bitgrid/datafile.h"
#include "bitgrid/error.h"
#include "bitgrid/parallel.h"

namespace bitgrid {

namespace {

using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic>;  // column-major: a column per point
using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
constexpr size_t kSlices = 8;  // the batch's fixed cut (reproducibility whatever the core count)

double uniform(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

Eigen::Map<const RowMat> weights(const FieldLayer& l) {
  return Eigen::Map<const RowMat>(l.w.data(), Eigen::Index(l.out), Eigen::Index(l.in));
}

// The MLP on a block of features [LF x n]; `acts` receives every layer's output when given.
Mat mlp_forward(const std::vector<FieldLayer>& mlp, const Mat& x, std::vector<Mat>* acts) {
  Mat a = x;
  for (const auto& l : mlp) {
    Mat z = weights(l) * a;
    z.colwise() += Eigen::Map<const Eigen::VectorXf>(l.b.data(), Eigen::Index(l.out));
    if (l.relu) z = z.cwiseMax(0.0f);
    if (acts) acts->push_back(z);
    a = std::move(z);
  }
  return a;
}

struct Adam {
  std::vector<float> m, v;
  explicit Adam(size_t n = 0) : m(n, 0.0f), v(n, 0.0f) {}
  // Instant-NGP's image settings (beta1 0.9, beta2 0.99, epsilon 1e-15), bias-corrected, step t >= 1.
  void update(float* p, const float* g, size_t begin, size_t end, double lr, size_t t) {
    const double c1 = 1 - std::pow(0.9, double(t)), c2 = 1 - std::pow(0.99, double(t));
    for (size_t i = begin; i < end; ++i) {
      m[i] = 0.9f * m[i] + 0.1f * g[i];
      v[i] = 0.99f * v[i] + 0.01f * g[i] * g[i];
      p[i] -= static_cast<float>(lr * (double(m[i]) / c1) / (std::sqrt(double(v[i]) / c2) + 1e-15));
    }
  }
};

}  // namespace

FieldModel make_field(const std::string& grid_name, const hashgrid::GridConfig& grid,
                      const std::vector<FieldLayer>& layers, uint64_t seed) {
  FieldModel m;
  m.grid_name = grid_name;
  m.grid = grid;
  m.levels = hashgrid::level_table(grid);
  m.params.resize(hashgrid::n_params(grid, m.levels));
  if (layers.empty()) throw Error("fit: the hashgrid layer needs linear layers after it (the MLP)");
  size_t prev = grid.out_features();
  for (const auto& l : layers) {
    if (l.in != prev)
      throw Error("fit: layer '" + l.name + "' takes " + std::to_string(l.in) + " inputs, " +
                  (&l == &layers.front() ? "the hashgrid gives levels x features = " : "the layer before gives ") +
                  std::to_string(prev));
    if (l.out == 0) throw Error("fit: layer '" + l.name + "' has no outputs");
    prev = l.out;
  }
  std::mt19937_64 rng(seed);
  for (auto& p : m.params) p = static_cast<float>((2 * uniform(rng) - 1) * 1e-4);
  for (const auto& spec : layers) {
    FieldLayer l = spec;
    l.w.resize(l.in * l.out);
    l.b.assign(l.out, 0.0f);
    const double lim = std::sqrt(6.0 / double(l.in + l.out));  // Xavier-uniform
    for (auto& w : l.w) w = static_cast<float>((2 * uniform(rng) - 1) * lim);
    m.mlp.push_back(std::move(l));
  }
  return m;
}

std::vector<float> FieldModel::forward(const float* points, size_t n) const {
  const size_t lf = grid.out_features(), c = mlp.back().out;
  std::vector<float> out(n * c);
  // Blocks of a fixed size, whatever the thread count: Eigen's product may sum in another order for another
  // shape, and the outputs must not depend on the machine.
  constexpr size_t kBlock = 1024;
  parallel_for((n + kBlock - 1) / kBlock, parallel_threads(), [&](size_t bb, size_t be) {
    for (size_t blk = bb; blk < be; ++blk) {
      const size_t b = blk * kBlock, e = std::min(n, b + kBlock);
      Mat x(Eigen::Index(lf), Eigen::Index(e - b));
      hashgrid::encode_float(grid, levels, points + b * grid.dims, e - b, params.data(), x.data());
      const Mat y = mlp_forward(mlp, x, nullptr);
      std::copy(y.data(), y.data() + y.size(), out.begin() + std::ptrdiff_t(b * c));
    }
  });
  return out;
}

std::vector<float> pixel_centers(size_t width, size_t height) {
  std::vector<float> p(width * height * 2);
  for (size_t i = 0; i < height; ++i)
    for (size_t j = 0; j < width; ++j) {
      p[(i * width + j) * 2] = static_cast<float>((double(j) + 0.5) / double(width));
      p[(i * width + j) * 2 + 1] = static_cast<float>((double(i) + 0.5) / double(height));
    }
  return p;
}

Image render(const FieldModel& m, size_t width, size_t height) {
  Image img;
  img.width = width;
  img.height = height;
  img.channels = m.mlp.back().out;
  const auto p = pixel_centers(width, height);
  img.px = m.forward(p.data(), width * height);
  for (auto& v : img.px) v = std::clamp(v, 0.0f, 1.0f);
  return img;
}

namespace {

struct Slice {
  size_t begin = 0, n = 0;
  std::vector<uint32_t> ent;
  std::vector<float> wt;
  Mat dx;
  std::vector<Mat> dw;
  std::vector<Eigen::VectorXf> db;
  double se = 0;
};

}  // namespace

double field_gradients(const FieldModel& m, const float* points, const float* targets, size_t n, FieldGrads& g) {
  const size_t C = m.mlp.back().out, lf = m.grid.out_features(), corners = size_t{1} << m.grid.dims;
  const size_t L = m.grid.levels, nl = m.mlp.size(), F = m.grid.features;
  std::vector<Slice> slices(kSlices);
  parallel_for(kSlices, parallel_threads(), [&](size_t sb, size_t se) {
    for (size_t s = sb; s < se; ++s) {
      Slice& sl = slices[s];
      sl.begin = n * s / kSlices;
      sl.n = n * (s + 1) / kSlices - sl.begin;
      const auto cols = Eigen::Index(sl.n);
      const Eigen::Map<const Mat> target(targets + sl.begin * C, Eigen::Index(C), cols);
      sl.ent.resize(sl.n * L * corners);
      sl.wt.resize(sl.ent.size());
      Mat x(Eigen::Index(lf), cols);
      hashgrid::encode_float_record(m.grid, m.levels, points + sl.begin * m.grid.dims, sl.n, m.params.data(), x.data(),
                                    sl.ent.data(), sl.wt.data());
      std::vector<Mat> acts;
      const Mat y = mlp_forward(m.mlp, x, &acts);
      const Mat diff = y - target;
      sl.se = double(diff.squaredNorm());
      // d(mean squared error over the points and channels) / dy
      Mat da = diff * static_cast<float>(2.0 / double(n * C));
      sl.dw.assign(nl, Mat());
      sl.db.assign(nl, Eigen::VectorXf());
      for (size_t k = nl; k-- > 0;) {
        const FieldLayer& l = m.mlp[k];
        if (l.relu) da = da.cwiseProduct((acts[k].array() > 0.0f).cast<float>().matrix());
        const Mat& in = k == 0 ? x : acts[k - 1];
        sl.dw[k] = da * in.transpose();
        sl.db[k] = da.rowwise().sum();
        da = weights(l).transpose() * da;
      }
      sl.dx = std::move(da);
    }
  });
  // The grid's gradient: each level by one thread, slices and points in order.
  g.params.assign(m.params.size(), 0.0f);
  parallel_for(L, parallel_threads(), [&](size_t lb, size_t le) {
    for (size_t l = lb; l < le; ++l)
      for (const Slice& sl : slices)
        for (size_t i = 0; i < sl.n; ++i)
          for (size_t c = 0; c < corners; ++c) {
            const size_t r = (i * L + l) * corners + c;
            float* gp = g.params.data() + size_t{sl.ent[r]} * F;
            for (size_t f = 0; f < F; ++f) gp[f] += sl.wt[r] * sl.dx(Eigen::Index(l * F + f), Eigen::Index(i));
          }
  });
  g.w.assign(nl, {});
  g.b.assign(nl, {});
  for (size_t k = 0; k < nl; ++k) {
    Mat dw = slices[0].dw[k];
    Eigen::VectorXf db = slices[0].db[k];
    for (size_t s = 1; s < kSlices; ++s) {
      dw += slices[s].dw[k];
      db += slices[s].db[k];
    }
    const RowMat dwr = dw;  // [out][in], as the layer's w
    g.w[k].assign(dwr.data(), dwr.data() + dwr.size());
    g.b[k].assign(db.data(), db.data() + db.size());
  }
  double se = 0;
  for (const Slice& sl : slices) se += sl.se;
  return se / double(n * C);
}

FitReport fit_field(FieldModel& m, const Image& img, const FitOptions& opt,
                    const std::function<void(size_t, double, double)>& progress) {
  if (m.grid.dims != 2)
    throw Error("fit: an image needs a 2-D hashgrid layer (dims: 2), got " + std::to_string(m.grid.dims));
  if (m.mlp.back().out != img.channels)
    throw Error("fit: the last layer '" + m.mlp.back().name + "' gives " + std::to_string(m.mlp.back().out) +
                " outputs, the image has " + std::to_string(img.channels) + " channels");
  if (opt.batch < kSlices)
    throw Error("fit: batch " + std::to_string(opt.batch) + " is below " + std::to_string(kSlices));
  if (opt.steps == 0 && opt.seconds <= 0) throw Error("fit: give a step count or a time limit");
  const size_t C = img.channels, npx = img.width * img.height, nl = m.mlp.size();
  const auto centers = pixel_centers(img.width, img.height);

  Adam grid_adam(m.params.size());
  std::vector<Adam> w_adam, b_adam;
  for (const auto& l : m.mlp) {
    w_adam.emplace_back(l.w.size());
    b_adam.emplace_back(l.b.size());
  }
  FieldGrads g;
  std::vector<float> pts(opt.batch * 2), targets(opt.batch * C);
  std::mt19937_64 rng(opt.seed ^ 0x4649'5421ull);

  FitReport rep;
  double last_psnr = std::numeric_limits<double>::quiet_NaN();
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  for (size_t step = 1;; ++step) {
    for (size_t i = 0; i < opt.batch; ++i) {
      const size_t p = static_cast<size_t>(rng() % npx);
      pts[2 * i] = centers[2 * p];
      pts[2 * i + 1] = centers[2 * p + 1];
      for (size_t c = 0; c < C; ++c) targets[i * C + c] = img.px[p * C + c];
    }
    field_gradients(m, pts.data(), targets.data(), opt.batch, g);
    parallel_for(m.params.size(), parallel_threads(),
                 [&](size_t b, size_t e) { grid_adam.update(m.params.data(), g.params.data(), b, e, opt.lr, step); });
    for (size_t k = 0; k < nl; ++k) {
      w_adam[k].update(m.mlp[k].w.data(), g.w[k].data(), 0, g.w[k].size(), opt.lr, step);
      b_adam[k].update(m.mlp[k].b.data(), g.b[k].data(), 0, g.b[k].size(), opt.lr, step);
    }
    rep.steps = step;
    const double t = elapsed();
    const bool last = (opt.steps && step >= opt.steps) || (opt.seconds > 0 && t >= opt.seconds);
    if (last || (opt.eval_every && step % opt.eval_every == 0)) {
      last_psnr = psnr(m.forward(centers.data(), npx), img.px);
      rep.curve.push_back({step, t, last_psnr});
    }
    if (progress) progress(step, t, last_psnr);
    if (last) break;
  }
  rep.seconds = elapsed();
  rep.psnr = last_psnr;
  return rep;
}

void write_field(const std::string& path, const FieldModel& m) {
  std::vector<NamedArray> members;
  const size_t entries = m.params.size() / m.grid.features;
  members.push_back({m.grid_name + ".params", Array2D::make("f4", entries, m.grid.features, m.params.data())});
  for (const auto& l : m.mlp) {
    members.push_back({l.name + ".weight", Array2D::make("f4", l.out, l.in, l.w.data())});
    members.push_back({l.name + ".bias", Array2D::make("f4", l.out, 1, l.b.data(), 1)});
  }
  write_npz(path, members);
}

}  // namespace bitgrid
