// The digits reader and the float MLP trainer (model/include/bitgrid/mlp_train.h).
#include "bitgrid/mlp_train.h"

#include <zlib.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "bitgrid/error.h"

namespace bitgrid {

namespace {

using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Row = Eigen::Matrix<float, 1, Eigen::Dynamic>;

// The whole file, gunzipped (zlib reads plain files as they are).
std::string gunzip(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw Error(path + ": file not found");
  if (std::filesystem::is_directory(path, ec)) throw Error(path + ": is a directory, not a data file");
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw Error(path + ": cannot open data file");
  std::string text;
  char buf[1 << 16];
  for (;;) {
    const int got = gzread(f, buf, sizeof buf);
    int err = Z_OK;
    const char* msg = gzerror(f, &err);
    if (got < 0 || (err != Z_OK && err != Z_STREAM_END)) {
      const std::string why = err == Z_BUF_ERROR ? "truncated gzip data (unexpected end of file)"
                                                 : std::string("corrupt gzip data (") + (msg ? msg : "?") + ")";
      gzclose(f);
      throw Error(path + ": " + why);
    }
    if (got == 0) break;
    text.append(buf, static_cast<size_t>(got));
  }
  gzclose(f);
  return text;
}

// A uniform double in [0, 1) from 53 random bits (the same on every standard library).
double uniform(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

// Fisher-Yates with rng() % (i + 1): deterministic across standard libraries (std::shuffle is not).
void shuffle(std::vector<size_t>& v, std::mt19937_64& rng) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng() % i]);
}

std::string number(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", v);
  return b;
}

Dataset subset(const Dataset& d, const std::vector<size_t>& idx) {
  Dataset s;
  s.n = idx.size();
  s.dim = d.dim;
  s.classes = d.classes;
  s.x.resize(s.n * s.dim);
  s.y.resize(s.n);
  for (size_t i = 0; i < idx.size(); ++i) {
    std::copy_n(d.x.begin() + static_cast<std::ptrdiff_t>(idx[i] * d.dim), d.dim,
                s.x.begin() + static_cast<std::ptrdiff_t>(i * d.dim));
    s.y[i] = d.y[idx[i]];
  }
  return s;
}

}  // namespace

Dataset read_digits(const std::string& path) {
  constexpr size_t kPixels = 64;
  const std::string text = gunzip(path);
  Dataset d;
  d.dim = kPixels;
  d.classes = 10;
  size_t pos = 0, line_no = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    std::string line = text.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::string where = path + ": line " + std::to_string(line_no);
    if (line.find_first_not_of(" \t") == std::string::npos) {
      if (pos >= text.size()) break;  // the final newline
      throw Error(where + ": empty line");
    }
    std::vector<double> v;
    size_t start = 0;
    for (;;) {
      const size_t comma = std::min(line.find(',', start), line.size());
      const std::string tok = line.substr(start, comma - start);
      char* end = nullptr;
      errno = 0;
      const double val = std::strtod(tok.c_str(), &end);
      const bool blank_tail = end && std::string(end).find_first_not_of(" \t") == std::string::npos;
      if (tok.find_first_not_of(" \t") == std::string::npos || end == tok.c_str() || !blank_tail || errno ||
          !std::isfinite(val))
        throw Error(where + ": column " + std::to_string(v.size() + 1) + ": '" + tok + "' is not a number");
      v.push_back(val);
      if (comma == line.size()) break;
      start = comma + 1;
    }
    if (v.size() != kPixels + 1)
      throw Error(where + ": " + std::to_string(v.size()) + " columns, expected 65 (64 pixels, then the label)");
    for (size_t j = 0; j < kPixels; ++j)
      if (v[j] < 0 || v[j] > 16)
        throw Error(where + ": column " + std::to_string(j + 1) + ": pixel " + number(v[j]) + " outside 0..16");
    const double label = v[kPixels];
    if (label != std::floor(label) || label < 0 || label > 9)
      throw Error(where + ": label " + number(label) + " is not an integer in 0..9");
    for (size_t j = 0; j < kPixels; ++j) d.x.push_back(static_cast<float>(v[j] / 16.0));
    d.y.push_back(static_cast<int>(label));
    ++d.n;
  }
  if (d.n == 0) throw Error(path + ": no samples");
  return d;
}

Split split_dataset(const Dataset& d, double test_fraction, uint64_t seed) {
  if (!(test_fraction > 0 && test_fraction < 1))
    throw Error("test_fraction " + number(test_fraction) + " is not in (0, 1)");
  std::mt19937_64 rng(seed ^ 0x5350'4C49'5421ull);
  std::vector<bool> in_test(d.n, false);
  for (size_t c = 0; c < d.classes; ++c) {
    std::vector<size_t> idx;
    for (size_t i = 0; i < d.n; ++i)
      if (d.y[i] == static_cast<int>(c)) idx.push_back(i);
    shuffle(idx, rng);
    const size_t take = static_cast<size_t>(std::llround(static_cast<double>(idx.size()) * test_fraction));
    for (size_t i = 0; i < take; ++i) in_test[idx[i]] = true;
  }
  std::vector<size_t> tr, te;
  for (size_t i = 0; i < d.n; ++i) (in_test[i] ? te : tr).push_back(i);
  if (tr.empty() || te.empty())
    throw Error("test_fraction " + number(test_fraction) + " leaves an empty train or test set (" +
                std::to_string(d.n) + " samples)");
  return {subset(d, tr), subset(d, te)};
}

std::vector<float> Mlp::forward(const std::vector<float>& x, size_t n) const {
  if (layers.empty() || x.size() != n * layers.front().in) throw Error("mlp forward: input has the wrong size");
  Mat a = Eigen::Map<const Mat>(x.data(), static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(layers[0].in));
  for (size_t l = 0; l < layers.size(); ++l) {
    const MlpLayer& L = layers[l];
    const Eigen::Map<const Mat> w(L.w.data(), static_cast<Eigen::Index>(L.out), static_cast<Eigen::Index>(L.in));
    const Eigen::Map<const Row> b(L.b.data(), static_cast<Eigen::Index>(L.out));
    Mat z = a * w.transpose();
    z.rowwise() += b;
    a = l + 1 < layers.size() ? Mat(z.cwiseMax(0.0f)) : z;
  }
  return std::vector<float>(a.data(), a.data() + a.size());
}

Mlp train_mlp(const Dataset& d, const std::vector<size_t>& dims, const TrainOptions& opt) {
  if (dims.size() < 2) throw Error("mlp: needs at least one layer");
  if (dims.front() != d.dim)
    throw Error("mlp: the first layer takes " + std::to_string(dims.front()) + " features, the dataset has " +
                std::to_string(d.dim));
  if (dims.back() != d.classes)
    throw Error("mlp: the last layer gives " + std::to_string(dims.back()) + " outputs, the dataset has " +
                std::to_string(d.classes) + " classes");
  if (d.n == 0 || opt.batch == 0 || opt.epochs == 0 || !(opt.lr > 0)) throw Error("mlp: nothing to train");
  const size_t L = dims.size() - 1;
  std::mt19937_64 rng(opt.seed);
  std::vector<Mat> W(L), mW(L), vW(L);
  std::vector<Row> B(L), mB(L), vB(L);
  for (size_t l = 0; l < L; ++l) {
    const auto out = static_cast<Eigen::Index>(dims[l + 1]), in = static_cast<Eigen::Index>(dims[l]);
    W[l].resize(out, in);
    const double limit = std::sqrt(6.0 / static_cast<double>(dims[l]));  // He-uniform
    for (Eigen::Index i = 0; i < W[l].size(); ++i) W[l].data()[i] = static_cast<float>((2 * uniform(rng) - 1) * limit);
    B[l] = Row::Zero(out);
    mW[l] = vW[l] = Mat::Zero(out, in);
    mB[l] = vB[l] = Row::Zero(out);
  }
  const float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
  double b1t = 1, b2t = 1;
  std::vector<size_t> order(d.n);
  for (size_t i = 0; i < d.n; ++i) order[i] = i;
  std::vector<Mat> A(L + 1), Z(L);
  for (size_t epoch = 0; epoch < opt.epochs; ++epoch) {
    shuffle(order, rng);
    for (size_t s = 0; s < d.n; s += opt.batch) {
      const size_t nb = std::min(opt.batch, d.n - s);
      A[0].resize(static_cast<Eigen::Index>(nb), static_cast<Eigen::Index>(d.dim));
      for (size_t r = 0; r < nb; ++r)
        for (size_t j = 0; j < d.dim; ++j)
          A[0](static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(j)) = d.x[order[s + r] * d.dim + j];
      for (size_t l = 0; l < L; ++l) {
        Z[l] = A[l] * W[l].transpose();
        Z[l].rowwise() += B[l];
        A[l + 1] = l + 1 < L ? Mat(Z[l].cwiseMax(0.0f)) : Z[l];
      }
      // Softmax cross-entropy: dLoss/dlogits = (softmax - onehot) / batch.
      Mat g = A[L];
      for (Eigen::Index r = 0; r < g.rows(); ++r) {
        g.row(r).array() -= g.row(r).maxCoeff();
        g.row(r) = g.row(r).array().exp().matrix();
        g.row(r) /= g.row(r).sum();
        g(r, d.y[order[s + static_cast<size_t>(r)]]) -= 1.0f;
      }
      g /= static_cast<float>(nb);
      b1t *= b1;
      b2t *= b2;
      const float lr_t = static_cast<float>(opt.lr * std::sqrt(1 - b2t) / (1 - b1t));
      for (size_t l = L; l-- > 0;) {
        const Mat gw = g.transpose() * A[l];
        const Row gb = g.colwise().sum();
        if (l > 0) g = (g * W[l]).cwiseProduct(Mat((Z[l - 1].array() > 0.0f).cast<float>()));
        mW[l] = b1 * mW[l] + (1 - b1) * gw;
        vW[l] = b2 * vW[l] + (1 - b2) * gw.cwiseProduct(gw);
        mB[l] = b1 * mB[l] + (1 - b1) * gb;
        vB[l] = b2 * vB[l] + (1 - b2) * gb.cwiseProduct(gb);
        W[l].array() -= lr_t * mW[l].array() / (vW[l].array().sqrt() + eps);
        B[l].array() -= lr_t * mB[l].array() / (vB[l].array().sqrt() + eps);
      }
    }
  }
  Mlp m;
  for (size_t l = 0; l < L; ++l) {
    MlpLayer layer;
    layer.in = dims[l];
    layer.out = dims[l + 1];
    layer.w.assign(W[l].data(), W[l].data() + W[l].size());
    layer.b.assign(B[l].data(), B[l].data() + B[l].size());
    m.layers.push_back(std::move(layer));
  }
  return m;
}

size_t argmax_row(const float* row, size_t n) {
  size_t best = 0;
  for (size_t j = 1; j < n; ++j)
    if (row[j] > row[best]) best = j;
  return best;
}

double accuracy(const std::vector<float>& scores, size_t classes, const std::vector<int>& labels) {
  if (labels.empty() || scores.size() != labels.size() * classes) throw Error("accuracy: scores and labels differ");
  size_t hit = 0;
  for (size_t i = 0; i < labels.size(); ++i)
    hit += argmax_row(scores.data() + i * classes, classes) == static_cast<size_t>(labels[i]);
  return static_cast<double>(hit) / static_cast<double>(labels.size());
}

}  // namespace bitgrid
