// PNG images through libpng's simplified API (png_image), and PSNR (bitgrid/image.h).
#include "bitgrid/image.h"

#include <png.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>

#include "bitgrid/error.h"

namespace bitgrid {

namespace {

// Reads the image's n samples of type T (8- or 16-bit) and scales them to 0..1.
template <class T>
void finish_read(png_image& im, const std::string& path, size_t n, float peak, std::vector<float>& px) {
  std::vector<T> buf(n);
  if (!png_image_finish_read(&im, nullptr, buf.data(), 0, nullptr)) {
    const std::string msg = im.message;
    png_image_free(&im);
    throw Error(path + ": truncated or corrupt PNG (libpng: " + msg + ")");
  }
  px.resize(n);
  for (size_t i = 0; i < n; ++i) px[i] = float(buf[i]) / peak;
}

}  // namespace

Image read_png(const std::string& path) {
  if (!std::filesystem::exists(path)) throw Error(path + ": cannot open (no such file)");
  png_image im{};
  im.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&im, path.c_str())) {
    const std::string msg = im.message;
    png_image_free(&im);
    throw Error(path + ": not a readable PNG image (libpng: " + msg + ")");
  }
  const bool color = (im.format & PNG_FORMAT_FLAG_COLOR) != 0;
  const bool wide = (im.format & PNG_FORMAT_FLAG_LINEAR) != 0;  // 16-bit samples
  im.format = color ? (wide ? PNG_FORMAT_LINEAR_RGB : PNG_FORMAT_RGB) : (wide ? PNG_FORMAT_LINEAR_Y : PNG_FORMAT_GRAY);
  Image out;
  out.width = im.width;
  out.height = im.height;
  out.channels = color ? 3 : 1;
  const size_t n = out.width * out.height * out.channels;
  if (wide)
    finish_read<png_uint_16>(im, path, n, 65535.0f, out.px);
  else
    finish_read<png_byte>(im, path, n, 255.0f, out.px);
  if (out.width == 0 || out.height == 0) throw Error(path + ": an empty image");
  return out;
}

void write_png(const std::string& path, const Image& img) {
  if (img.channels != 1 && img.channels != 3) throw Error(path + ": images have 1 or 3 channels");
  std::vector<png_byte> buf(img.px.size());
  for (size_t i = 0; i < buf.size(); ++i)
    buf[i] = static_cast<png_byte>(std::lround(std::clamp(img.px[i], 0.0f, 1.0f) * 255.0f));
  png_image im{};
  im.version = PNG_IMAGE_VERSION;
  im.width = static_cast<png_uint_32>(img.width);
  im.height = static_cast<png_uint_32>(img.height);
  im.format = img.channels == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  const std::string tmp = path + ".tmp";
  if (!png_image_write_to_file(&im, tmp.c_str(), 0, buf.data(), 0, nullptr)) {
    const std::string msg = im.message;
    std::remove(tmp.c_str());
    throw Error(path + ": cannot write the PNG (libpng: " + msg + ")");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    throw Error(path + ": cannot write (" + ec.message() + ")");
  }
}

double psnr(const std::vector<float>& a, const std::vector<float>& ref) {
  if (a.size() != ref.size() || a.empty()) throw Error("psnr: images of different sizes");
  double se = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = double(std::clamp(a[i], 0.0f, 1.0f)) - double(ref[i]);
    se += d * d;
  }
  if (se == 0) return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(double(a.size()) / se);
}

}  // namespace bitgrid
