#include "bitgrid/quant.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <utility>

#include "bitgrid/error.h"
#include "bitgrid/gen/isa.h"
#include "bitgrid/parallel.h"

namespace bitgrid {

int dtype_by_name(const std::string& name) {
  for (size_t i = 0; i < isa::kDtypes.size(); ++i)
    if (name == isa::kDtypes[i].name) return static_cast<int>(i);
  throw Error("unknown datatype '" + name + "' (valid: " + dtype_names() + ")");
}

std::string dtype_names() {
  std::string s;
  for (const auto& d : isa::kDtypes) s += (s.empty() ? "" : ", ") + std::string(d.name);
  return s;
}

int dtype_selectors(int dt) { return isa::kDtypes.at(static_cast<size_t>(dt)).special_code >= 0 ? 4 : 1; }

bool dtype_code_used(int dt, uint32_t code) {
  const auto& d = isa::kDtypes.at(static_cast<size_t>(dt));
  if (code >= (1u << d.bits)) return false;
  if (!d.table) return code != (1u << (d.bits - 1));  // the most negative two's complement code
  if (static_cast<int>(code) == d.special_code) return true;
  // of codes with equal values (FP's +0 and -0) only the lowest is used
  for (uint32_t q = 0; q < code; ++q)
    if (static_cast<int>(q) != d.special_code && d.values[q] == d.values[code]) return false;
  return true;
}

namespace {

// One candidate value set: values ascending, each with its code.
struct Candidate {
  std::vector<int> values;
  std::vector<uint8_t> codes;
  int maxabs = 0;
};

Candidate candidate(int dt, uint32_t sel) {
  const auto& d = isa::kDtypes[static_cast<size_t>(dt)];
  std::vector<std::pair<int, uint8_t>> vc;
  for (uint32_t q = 0; q < (1u << d.bits); ++q)
    if (dtype_code_used(dt, q)) vc.emplace_back(isa::dtype_value(dt, q, sel), static_cast<uint8_t>(q));
  std::sort(vc.begin(), vc.end());
  Candidate c;
  for (const auto& [v, q] : vc) {
    c.values.push_back(v);
    c.codes.push_back(q);
    c.maxabs = std::max(c.maxabs, std::abs(v));
  }
  return c;
}

}  // namespace

Quantized quantize(const float* w, size_t rows, size_t cols, int dt, size_t group, const std::string& tensor) {
  if (dt < 0 || static_cast<size_t>(dt) >= isa::kDtypes.size())
    throw Error(tensor + ": datatype index " + std::to_string(dt) + " is not one of " + dtype_names());
  if (rows == 0 || cols == 0)
    throw Error(tensor + ": empty weight matrix [" + std::to_string(rows) + "][" + std::to_string(cols) + "]");
  if (group == 0 || cols % group != 0)
    throw Error(tensor + ": group size " + std::to_string(group) + " does not divide K = " + std::to_string(cols) +
                " (the number of columns)");
  for (size_t n = 0; n < rows; ++n)
    for (size_t k = 0; k < cols; ++k)
      if (!std::isfinite(w[n * cols + k]))
        throw Error(tensor + ": weight at row " + std::to_string(n) + ", column " + std::to_string(k) + " is " +
                    (std::isnan(w[n * cols + k]) ? "NaN" : "infinite"));

  Quantized r;
  r.dtype = dt;
  r.rows = rows;
  r.cols = cols;
  r.group = group;
  const size_t ng = cols / group;
  r.codes.assign(rows * cols, 0);
  r.sel.assign(rows * ng, 0);
  r.gscale.assign(rows * ng, 0);
  r.cscale.assign(rows, 0.0f);
  r.dequant.assign(rows * cols, 0.0f);

  const int nsel = dtype_selectors(dt);
  std::vector<Candidate> cands;
  for (int s = 0; s < nsel; ++s) cands.push_back(candidate(dt, static_cast<uint32_t>(s)));
  int min_maxabs = cands[0].maxabs;
  for (const auto& c : cands) min_maxabs = std::min(min_maxabs, c.maxabs);
  const uint8_t zero_code = cands[0].codes[static_cast<size_t>(
      std::find(cands[0].values.begin(), cands[0].values.end(), 0) - cands[0].values.begin())];

  // Rows are independent: threads take contiguous row ranges; the error sums are kept per row and added in
  // row order, so the result does not depend on the thread count.
  std::vector<double> row_w2(rows, 0.0), row_e2(rows, 0.0);
  auto work = [&](size_t row_lo, size_t row_hi) {
    std::vector<double> absmax(ng);
    std::vector<float> sv;  // one candidate's values times the actual scale, as stored (float32)
    std::vector<uint8_t> try_codes(group), best_codes(group);
    std::vector<float> try_deq(group), best_deq(group);
    for (size_t n = row_lo; n < row_hi; ++n) {
      const float* wr = w + n * cols;
      double rowmax = 0;
      for (size_t g = 0; g < ng; ++g) {
        absmax[g] = 0;
        for (size_t k = g * group; k < (g + 1) * group; ++k) absmax[g] = std::max(absmax[g], std::fabs(double(wr[k])));
        rowmax = std::max(rowmax, absmax[g]);
      }
      // The largest ideal scale over groups and candidates maps to group scale 255.
      float cs = static_cast<float>(rowmax / min_maxabs / 255.0);
      if (rowmax > 0 && cs == 0.0f) cs = std::numeric_limits<float>::denorm_min();
      r.cscale[n] = cs;
      for (size_t g = 0; g < ng; ++g) {
        const size_t base = n * cols + g * group;
        if (absmax[g] == 0) {
          std::fill(r.codes.begin() + static_cast<std::ptrdiff_t>(base),
                    r.codes.begin() + static_cast<std::ptrdiff_t>(base + group), zero_code);
          continue;  // gs = 0, sel = 0, dequant 0
        }
        double best_err = std::numeric_limits<double>::infinity();
        int best_sel = 0, best_gs = 0;
        for (int s = 0; s < nsel; ++s) {
          const Candidate& c = cands[static_cast<size_t>(s)];
          const double f = absmax[g] / c.maxabs;
          const int gs = static_cast<int>(std::clamp(std::floor(f / double(cs) + 0.5), 1.0, 255.0));
          const double scale = double(gs) * double(cs);
          sv.resize(c.values.size());
          for (size_t i = 0; i < sv.size(); ++i) sv[i] = static_cast<float>(c.values[i] * scale);
          double err = 0;
          for (size_t j = 0; j < group; ++j) {
            const float x = wr[g * group + j];
            size_t i = static_cast<size_t>(std::upper_bound(sv.begin(), sv.end(), x) - sv.begin());  // sv[i-1] <= x
            if (i == sv.size()) {
              i = sv.size() - 1;
            } else if (i > 0) {
              // nearer of sv[i-1] <= x < sv[i]; an exact tie takes the lower value
              if (!(double(sv[i]) - x < double(x) - sv[i - 1])) --i;
            }
            try_codes[j] = c.codes[i];
            try_deq[j] = sv[i];
            const double e = double(x) - sv[i];
            err += e * e;
          }
          if (err < best_err) {
            best_err = err;
            best_sel = s;
            best_gs = gs;
            best_codes.swap(try_codes);
            best_deq.swap(try_deq);
          }
        }
        std::copy(best_codes.begin(), best_codes.end(), r.codes.begin() + static_cast<std::ptrdiff_t>(base));
        std::copy(best_deq.begin(), best_deq.end(), r.dequant.begin() + static_cast<std::ptrdiff_t>(base));
        r.sel[n * ng + g] = static_cast<uint8_t>(best_sel);
        r.gscale[n * ng + g] = static_cast<uint8_t>(best_gs);
      }
      for (size_t k = 0; k < cols; ++k) {
        const double e = double(wr[k]) - r.dequant[n * cols + k];
        row_w2[n] += double(wr[k]) * wr[k];
        row_e2[n] += e * e;
      }
    }
  };
  parallel_for(rows, rows * cols / 65536, work);  // at most one chunk per 64 Ki weights
  double sum_w2 = 0, sum_e2 = 0;
  for (size_t n = 0; n < rows; ++n) {
    sum_w2 += row_w2[n];
    sum_e2 += row_e2[n];
  }
  r.mse = sum_e2 / static_cast<double>(rows * cols);
  r.sqnr_db = sum_e2 == 0 ? std::numeric_limits<double>::infinity() : 10.0 * std::log10(sum_w2 / sum_e2);
  return r;
}

}  // namespace bitgrid
