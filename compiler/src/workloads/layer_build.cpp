// Float models and INT8 operands of the attention heads and the memory layer (bitgrid/workloads/layer_build.h).
#include "bitgrid/workloads/layer_build.h"

#include <algorithm>
#include <cmath>

#include "bitgrid/error.h"
#include "bitgrid/floatknn.h"
#include "bitgrid/progress.h"
#include "bitgrid/workload_util.h"

namespace bitgrid {

namespace {

RowMat gaussian(size_t rows, size_t cols, uint64_t seed, double scale) {
  const FloatMatrix g = random_gaussian(rows, cols, seed);
  return from_floats(g.data, rows, cols) * scale;
}
// Rows to INT8, each with its own scale max|row| / 127 (1 for a zero row).
std::vector<int8_t> rows_int8(const RowMat& w, std::vector<double>& scale) {
  std::vector<int8_t> q(static_cast<size_t>(w.size()));
  scale.assign(static_cast<size_t>(w.rows()), 1.0);
  for (Eigen::Index r = 0; r < w.rows(); ++r) {
    const double mx = w.row(r).cwiseAbs().maxCoeff();
    if (mx > 0) scale[static_cast<size_t>(r)] = mx / 127.0;
    for (Eigen::Index c = 0; c < w.cols(); ++c)
      q[static_cast<size_t>(r * w.cols() + c)] =
          static_cast<int8_t>(std::clamp(std::round(w(r, c) / scale[static_cast<size_t>(r)]), -127.0, 127.0));
  }
  return q;
}
double scale_of(const RowMat& m) {
  const double mx = m.size() ? m.cwiseAbs().maxCoeff() : 0;
  return mx > 0 ? mx / 127 : 1.0;
}
int8_t to_int8(double v) { return static_cast<int8_t>(std::clamp(std::round(v), -127.0, 127.0)); }
bitmac::Channel channel(double bias_units, double factor) {
  const Multiplier m = requant_multiplier(factor);
  const double b = std::clamp(std::round(bias_units), -2147483648.0, 2147483647.0);
  return {static_cast<int32_t>(b), static_cast<uint16_t>(m.mult), static_cast<uint8_t>(m.shift)};
}
// Per output: requantizers from an accumulator step (weight scale x input scale) to the output scale.
std::vector<bitmac::Channel> channels(const std::vector<double>& w_scale, double in_scale, double out_scale) {
  std::vector<bitmac::Channel> ch;
  for (double u : w_scale) ch.push_back(channel(0, u * in_scale / out_scale));
  return ch;
}

}  // namespace

std::vector<int8_t> quantize_tensor(const RowMat& x, double& sx) {
  sx = scale_of(x);
  std::vector<int8_t> q(static_cast<size_t>(x.size()));
  for (size_t i = 0; i < q.size(); ++i) q[i] = to_int8(x.data()[i] / sx);
  return q;
}

HeadWeights seeded_head(size_t dim, size_t d, size_t bits, uint64_t seed) {
  HeadWeights w;
  w.wq = gaussian(d, dim, seed + 1, 1 / std::sqrt(double(dim)));
  w.wk = gaussian(d, dim, seed + 2, 1 / std::sqrt(double(dim)));
  w.wv = gaussian(d, dim, seed + 3, 1 / std::sqrt(double(dim)));
  w.wo = gaussian(dim, d, seed + 4, 1 / std::sqrt(double(d)));
  w.h = gaussian(bits, d, seed + 5, 1.0);
  return w;
}

HeadBuild build_head(const RowMat& x, const std::vector<int8_t>& x8, double sx, const HeadWeights& w, uint64_t bits,
                     uint64_t form, bool softmax) {
  const size_t N = static_cast<size_t>(x.rows()), D = static_cast<size_t>(x.cols()),
               d = static_cast<size_t>(w.wq.rows()), b = bits;
  if (x8.size() != N * D) throw Error("attention head: INT8 input of the wrong size");
  HeadBuild hb;
  AttentionQ& a = hb.eco;
  a.n = N, a.dim = D, a.d = d, a.bits = b, a.form = form;

  // ---- the float model: hashed attention (EcoFormer's kernel h_n^T h_j + c) and softmax attention
  const RowMat q = x * w.wq.transpose(), k = x * w.wk.transpose(), v = x * w.wv.transpose();
  auto float_codes = [&](const RowMat& p) {
    const RowMat pre = p * w.h.transpose();
    std::vector<uint64_t> c(N, 0);
    for (size_t r = 0; r < N; ++r)
      for (size_t t = 0; t < b; ++t)
        if (pre(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(t)) >= 0) c[r] |= uint64_t{1} << t;
    return c;
  };
  hb.fq_codes = float_codes(q);
  hb.fk_codes = float_codes(k);
  RowMat hq(N, b), hk(N, b);
  for (size_t r = 0; r < N; ++r)
    for (size_t t = 0; t < b; ++t) {
      hq(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(t)) = ((hb.fq_codes[r] >> t) & 1) ? 1 : -1;
      hk(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(t)) = ((hb.fk_codes[r] >> t) & 1) ? 1 : -1;
    }
  // 256 queries at a time (the pairwise matrices of a block, not of the whole sequence)
  const double c = double(b) + 1;
  const Eigen::RowVectorXd vsum = v.colwise().sum();
  const RowMat kt = k.transpose() / std::sqrt(double(d)), hkt = hk.transpose();
  RowMat att(N, d), att_sm(N, d);
  double lmax = 0, row_max_sum = 0;  // the logits' largest magnitude, the sum of the rows' largest logits
  Progress bar("float attention", double(N), false, false, " queries");
  for (size_t q0 = 0; q0 < N; q0 += 256) {
    const Eigen::Index i0 = static_cast<Eigen::Index>(q0),
                       nq = static_cast<Eigen::Index>(std::min<size_t>(256, N - q0));
    const RowMat dot = hq.middleRows(i0, nq) * hkt;
    att.middleRows(i0, nq) = dot * v;
    for (Eigen::Index r = 0; r < nq; ++r) {
      att.row(i0 + r) += c * (form == 0 ? Eigen::RowVectorXd(v.row(i0 + r)) : vsum);
      att.row(i0 + r) /= dot.row(r).sum() + double(N) * c;
    }
    RowMat logits = q.middleRows(i0, nq) * kt;
    lmax = std::max(lmax, logits.cwiseAbs().maxCoeff());
    for (Eigen::Index r = 0; r < nq; ++r) row_max_sum += logits.row(r).maxCoeff();
    for (Eigen::Index r = 0; r < nq; ++r) {
      logits.row(r) = (logits.row(r).array() - logits.row(r).maxCoeff()).exp().matrix();
      logits.row(r) /= logits.row(r).sum();
    }
    att_sm.middleRows(i0, nq) = logits * v;
    bar.update(double(q0 + static_cast<size_t>(nq)));
  }
  bar.finish();
  hb.y_eco = att * w.wo.transpose();
  hb.y_softmax = att_sm * w.wo.transpose();

  // ---- the hashed head's operands
  a.x = x8;
  std::vector<double> swv, swo, unused;
  a.wv = rows_int8(w.wv, swv);
  a.wo = rows_int8(w.wo, swo);
  a.wkh = rows_int8(w.h * w.wk, unused);  // the hash folded into the projections: only the signs count
  a.wqh = rows_int8(w.h * w.wq, unused);
  const double sv = scale_of(v), att_max = att.size() ? att.cwiseAbs().maxCoeff() : 0;
  hb.sy = scale_of(hb.y_eco);
  // the attention rows' scale: V's divided by the largest power-of-two gain (sqry's gain_log2 <= 7) that keeps the
  // float hashed attention within INT8 (an average of many values is much smaller than the largest value)
  while (a.gain < 7 && att_max / sv * double(2u << a.gain) <= 127) ++a.gain;
  a.cv = channels(swv, sx, sv);
  a.co = channels(swo, sv / double(1u << a.gain), hb.sy);
  if (!softmax) return hb;

  // ---- the baseline's operands: Q, K, V requantized to INT8 with scales from the float model, the logits to INT8
  // over their largest magnitude, the exp table P(l) = 127 exp(s_l l - offset), offset = the mean of the float rows'
  // largest logits (the chip has no row maximum)
  SoftmaxQ& s = hb.softmax;
  s.n = N, s.dim = D, s.d = d;
  s.x = x8;
  std::vector<double> swq, swk, swv2, swo2;
  s.wq = rows_int8(w.wq, swq);
  s.wk = rows_int8(w.wk, swk);
  s.wv = rows_int8(w.wv, swv2);
  s.wo = rows_int8(w.wo, swo2);
  const double sq = scale_of(q), sk = scale_of(k), sl = lmax > 0 ? lmax / 127 : 1.0;
  s.cq = channels(swq, sx, sq);
  s.ck = channels(swk, sx, sk);
  s.cv = channels(swv2, sx, sv);
  s.cl = channel(0, sq * sk / std::sqrt(double(d)) / sl);
  hb.exp_offset = row_max_sum / double(N);
  s.exp_table.resize(256);
  for (int e = 0; e < 256; ++e) {
    const double l = e < 128 ? e : e - 256;
    s.exp_table[static_cast<size_t>(e)] =
        static_cast<int8_t>(std::clamp(std::round(127 * std::exp(sl * l - hb.exp_offset)), 0.0, 127.0));
  }
  const double amax = att_sm.size() ? att_sm.cwiseAbs().maxCoeff() : 0;
  s.gain = 0;
  while (s.gain < 7 && amax / sv * double(2u << s.gain) <= 127) ++s.gain;
  hb.sy = scale_of(hb.y_softmax);
  s.co = channels(swo2, sv / double(1u << s.gain), hb.sy);
  return hb;
}

MemoryBuild build_memory(const RowMat& x, std::vector<int8_t> x8, double sx, const RowMat& w, const Eigen::VectorXd& b,
                         uint64_t tau, bool linear, bool float_signs) {
  const size_t N = static_cast<size_t>(x.rows()), D = static_cast<size_t>(x.cols()), O = static_cast<size_t>(w.rows());
  if (x8.size() != N * D) throw Error("memory layer: INT8 input of the wrong size");
  const size_t K = D / tau, rows = size_t{1} << tau;
  MemoryBuild mb;
  MemoryQ& q = mb.q;
  q.n = N, q.d_in = D, q.d_out = O, q.tau = tau, q.linear = linear;

  // ---- the float layers
  mb.y_lin = (x * w.transpose()).rowwise() + b.transpose();
  const Eigen::RowVectorXd m = x.cwiseAbs().colwise().mean();
  RowMat tables(static_cast<Eigen::Index>(K * rows), static_cast<Eigen::Index>(O));  // row (k << tau) + r
  for (size_t k = 0; k < K; ++k)
    for (size_t r = 0; r < rows; ++r) {
      Eigen::VectorXd c(static_cast<Eigen::Index>(D));
      c.setZero();
      for (size_t i = 0; i < tau; ++i) {
        const auto j = static_cast<Eigen::Index>(k * tau + i);
        c(j) = ((r >> (tau - 1 - i)) & 1 ? 1.0 : -1.0) * m(j);
      }
      tables.row(static_cast<Eigen::Index>((k << tau) + r)) = (w * c).transpose();
    }
  mb.float_index.assign(N * K, 0);
  mb.y_mem.resize(static_cast<Eigen::Index>(N), static_cast<Eigen::Index>(O));
  for (size_t t = 0; t < N; ++t) {
    Eigen::RowVectorXd acc = b.transpose();
    for (size_t k = 0; k < K; ++k) {
      uint64_t idx = 0;
      for (size_t i = 0; i < tau; ++i)
        idx = 2 * idx + (x(static_cast<Eigen::Index>(t), static_cast<Eigen::Index>(k * tau + i)) >= 0 ? 1 : 0);
      mb.float_index[t * K + k] = idx;
      acc += tables.row(static_cast<Eigen::Index>((k << tau) + idx));
    }
    mb.y_mem.row(static_cast<Eigen::Index>(t)) = acc;
  }

  // ---- quantization
  // the memory layer reads only the signs: a negative value that rounds to 0 becomes -1 (its index bit stays 0)
  if (!linear && float_signs)
    for (size_t i = 0; i < N * D; ++i)
      if (x.data()[i] < 0 && x8[i] == 0) x8[i] = -1;
  q.x = std::move(x8);
  mb.sy = scale_of(linear ? mb.y_lin : mb.y_mem);
  q.ch.resize(O);
  if (linear) {
    q.w.resize(O * D);
    for (size_t o = 0; o < O; ++o) {
      const double mx = w.row(static_cast<Eigen::Index>(o)).cwiseAbs().maxCoeff(), sw = mx > 0 ? mx / 127 : 1;
      for (size_t i = 0; i < D; ++i)
        q.w[o * D + i] = to_int8(w(static_cast<Eigen::Index>(o), static_cast<Eigen::Index>(i)) / sw);
      q.ch[o] = channel(b(static_cast<Eigen::Index>(o)) / (sx * sw), sx * sw / mb.sy);
    }
  } else {
    q.tables.resize(K * rows * O);
    for (size_t o = 0; o < O; ++o) {
      const double mx = tables.col(static_cast<Eigen::Index>(o)).cwiseAbs().maxCoeff(), st = mx > 0 ? mx / 127 : 1;
      for (size_t r = 0; r < K * rows; ++r)
        q.tables[r * O + o] = to_int8(tables(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(o)) / st);
      q.ch[o] = channel(b(static_cast<Eigen::Index>(o)) / st, st / mb.sy);
    }
  }
  return mb;
}

}  // namespace bitgrid
