#pragma once
// A neural field: a hash-grid encoding followed by a small MLP (Instant-NGP's image task), trained in float on
// the CPU to fit an image: `bitgrid fit`. The encoding is tiny-cuda-nn's (bitgrid/hashgrid.h); the MLP is a chain
// of fully connected layers with biases, ReLU where a layer asks for it, no output activation; the loss is the
// mean squared error against the pixels at their centres; Adam (Instant-NGP's image settings: learning rate
// 1e-2, beta1 0.9, beta2 0.99, epsilon 1e-15) on every parameter, batches of random pixels.
//
// Reproducible from a seed whatever the core count: the batch is cut into a fixed number of slices, each slice's
// gradients computed on its own and added up in slice order; the grid's gradients are scattered level by level,
// each level by one thread in point order. Everything random comes from std::mt19937_64 with explicit conversions.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bitgrid/hashgrid.h"
#include "bitgrid/image.h"

namespace bitgrid {

struct FieldLayer {
  std::string name;
  size_t in = 0, out = 0;
  bool relu = false;
  std::vector<float> w;  // [out][in] (the model workload's <layer>.weight layout)
  std::vector<float> b;  // [out]
};

struct FieldModel {
  std::string grid_name;
  hashgrid::GridConfig grid;
  std::vector<hashgrid::Level> levels;
  std::vector<float> params;  // tiny-cuda-nn's layout
  std::vector<FieldLayer> mlp;

  // The outputs [n][channels] at points [n][dims] (not clamped).
  std::vector<float> forward(const float* points, size_t n) const;
};

// A model with the grid's parameters uniform in [-1e-4, 1e-4] (tiny-cuda-nn's initialisation), Xavier-uniform
// weights and zero biases. `layers` give name, in, out, relu; in of the first must be levels * features and every
// in the previous out, else Error naming the layer.
FieldModel make_field(const std::string& grid_name, const hashgrid::GridConfig& grid,
                      const std::vector<FieldLayer>& layers, uint64_t seed);

// Writes the model's parameters as `bitgrid fit` exports them (.npz, atomically): <grid>.params [entries][F]
// (tiny-cuda-nn's layout), <layer>.weight [out][in], <layer>.bias [out]; the model workload reads them back.
void write_field(const std::string& path, const FieldModel& m);

// The centres of a width x height image's pixels as points [height*width][2]: ((j + 0.5) / width, (i + 0.5) / height).
std::vector<float> pixel_centers(size_t width, size_t height);
// The model's image (outputs clamped to [0, 1]).
Image render(const FieldModel& m, size_t width, size_t height);

// Gradients of the mean squared error (over points and channels) with respect to every parameter.
struct FieldGrads {
  std::vector<float> params;             // as FieldModel::params
  std::vector<std::vector<float>> w, b;  // per layer, as FieldLayer::w / b
};
// The loss at points [n][dims] against targets [n][channels], and its gradients into `g` (the backward pass of
// the fit; the same bytes whatever the core count).
double field_gradients(const FieldModel& m, const float* points, const float* targets, size_t n, FieldGrads& g);

struct FitOptions {
  size_t steps = 0;        // stop after this many steps (0: only the time limit)
  double seconds = 60;     // stop after this much wall time (0: only the step count)
  size_t batch = 1 << 14;  // random pixels per step
  double lr = 1e-2;
  uint64_t seed = 1;
  size_t eval_every = 100;  // steps between PSNR measurements on the whole image
};

struct FitReport {
  size_t steps = 0;
  double seconds = 0;
  double psnr = 0;  // of the final model, on the whole image
  struct Point {
    size_t step;
    double seconds, psnr;
  };
  std::vector<Point> curve;  // measured as it went (seconds: wall time of the fit when measured)
};

// Fits `m` to `img` (the last layer's out must equal its channels, the grid's dims 2). `progress(step, seconds,
// psnr)` is called after every step (psnr: the latest measurement, NaN before the first).
FitReport fit_field(FieldModel& m, const Image& img, const FitOptions& opt,
                    const std::function<void(size_t, double, double)>& progress = {});

}  // namespace bitgrid
