#pragma once
// The float side of the workloads that compare the accelerator with a float model (attention, memoryformer):
// row-major double matrices and the relative L2 error.
#include <Eigen/Dense>
#include <cstddef>
#include <vector>

namespace bitgrid {

using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

inline RowMat from_floats(const std::vector<float>& v, size_t rows, size_t cols) {
  RowMat m(rows, cols);
  for (size_t i = 0; i < rows * cols; ++i) m.data()[i] = v[i];
  return m;
}
// ||got - want|| / ||want|| (the absolute norm when want is zero).
inline double rel_l2(const RowMat& got, const RowMat& want) {
  const double n = want.norm();
  return n > 0 ? (got - want).norm() / n : (got - want).norm();
}

}  // namespace bitgrid
