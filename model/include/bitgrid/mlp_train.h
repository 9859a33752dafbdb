#pragma once
// A labelled dataset reader (the UCI hand-written digits as scikit-learn ships them) and a small float MLP
// trainer (Eigen, float32), so that the `model` workload can run a real, trained model on the accelerator.
//
// Dataset: 1797 8x8 images, 64 pixel counts 0..16 and a label 0..9 per CSV line (65 comma-separated numbers,
// gzip-compressed or plain). Debian's python3-sklearn ships it as kDigitsPath. Features are scaled to
// [0, 1] (pixel / 16) by read_digits; the accelerator's per-tensor INT8 quantization then maps 1.0 to 127.
//
// Trainer: a chain of fully connected layers, ReLU between them, softmax cross-entropy on the last layer's
// outputs (the logits), Adam on mini-batches, He-uniform initial weights and zero biases. Everything random
// (initial weights, the split, the per-epoch shuffles) comes from std::mt19937_64 with explicit integer-to-
// real conversions, no std::*_distribution, so a seed gives the same weights on every standard library.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace bitgrid {

// Where Debian's python3-sklearn installs the digits (the only thing bitgrid uses that package for).
inline constexpr const char* kDigitsPath = "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz";

struct Dataset {
  size_t n = 0, dim = 0, classes = 0;
  std::vector<float> x;  // [n][dim], features (for the digits: pixel / 16, in [0, 1])
  std::vector<int> y;    // [n], labels 0..classes-1
};

// Reads the digits (gzip or plain CSV, 64 pixels 0..16 then the label 0..9 per line). Throws bitgrid::Error
// naming the file (and the line): missing file, truncated or corrupt gzip, a line without 65 numbers, a
// value that is not a number, a pixel outside 0..16, a label outside 0..9, no samples.
Dataset read_digits(const std::string& path);

// A seeded stratified split: per class, round(count * test_fraction) samples (chosen by a seeded shuffle) go
// to the test set. Both sets keep the dataset's order. test_fraction in (0, 1), else Error.
struct Split {
  Dataset train, test;
};
Split split_dataset(const Dataset& d, double test_fraction, uint64_t seed);

struct MlpLayer {
  size_t in = 0, out = 0;
  std::vector<float> w;  // [out][in] (the `model` workload's <layer>.weight layout)
  std::vector<float> b;  // [out]
};

struct Mlp {
  std::vector<MlpLayer> layers;
  // Logits [n][classes] of x [n][in] (ReLU after every layer but the last).
  std::vector<float> forward(const std::vector<float>& x, size_t n) const;
};

struct TrainOptions {
  size_t epochs = 60, batch = 32;
  double lr = 1e-3;  // Adam (beta1 0.9, beta2 0.999, eps 1e-8)
  uint64_t seed = 1;
};

// Trains an MLP with layer widths dims = {in, hidden..., classes} (dims.front() == d.dim, dims.back() ==
// d.classes, else Error) on d. Deterministic for a seed.
Mlp train_mlp(const Dataset& d, const std::vector<size_t>& dims, const TrainOptions& opt);

// The fraction of rows of scores [labels.size()][classes] whose first maximum is at the label.
double accuracy(const std::vector<float>& scores, size_t classes, const std::vector<int>& labels);
size_t argmax_row(const float* row, size_t n);

}  // namespace bitgrid
