#pragma once
// Images as float arrays: PNG in and out (libpng's simplified API) and PSNR.
#include <cstddef>
#include <string>
#include <vector>

namespace bitgrid {

struct Image {
  size_t width = 0, height = 0, channels = 0;  // channels 1 (gray) or 3 (RGB)
  std::vector<float> px;                       // [height][width][channels], 0..1 (8-bit v / 255, 16-bit v / 65535)
};

// Reads any PNG (gray, gray+alpha, RGB, RGBA, palette; 1 to 16 bits): gray images stay gray, the others become
// RGB; an alpha channel is dropped (libpng composites the image onto black). Throws Error naming the file: missing,
// not a PNG, truncated or corrupt.
Image read_png(const std::string& path);
// Writes 8 bits per channel (values clamped to [0, 1], rounded to the nearest of 0..255), atomically.
void write_png(const std::string& path, const Image& img);

// Peak signal-to-noise ratio in dB of `a` against the reference `ref` (same size; peak 1): 10 log10(1 / MSE),
// with `a` clamped to [0, 1] first (as a rendered image is); infinity when they are equal.
double psnr(const std::vector<float>& a, const std::vector<float>& ref);

}  // namespace bitgrid
