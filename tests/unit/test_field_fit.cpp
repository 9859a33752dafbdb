// Images (PNG through libpng, PSNR) and the neural-field trainer of `bitgrid fit` (bitgrid/field_fit.h): the
// backward pass against central differences, reproducibility, a fit that converges, and bad input.
#include <gtest/gtest.h>
#include <png.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "bitgrid/field_fit.h"
#include "bitgrid/image.h"
#include "unit_util.h"

using namespace bitgrid;
namespace fs = std::filesystem;

namespace {

using bgtest::error_of;
using bgtest::has;

std::string tmp(const std::string& name) { return ::testing::TempDir() + "bitgrid_field_" + name; }

Image pattern(size_t w, size_t h, size_t c) {
  Image im;
  im.width = w;
  im.height = h;
  im.channels = c;
  im.px.resize(w * h * c);
  for (size_t i = 0; i < im.px.size(); ++i) im.px[i] = float((i * 37) % 256) / 255.0f;
  return im;
}

FieldModel small_model(uint64_t seed, size_t channels = 3) {
  hashgrid::GridConfig g;
  g.dims = 2;
  g.levels = 3;
  g.features = 2;
  g.log2_table = 6;
  g.base_res = 4;
  g.per_level_scale = 2.0f;  // res 4, 8, 16: the last hashed (256 > 64)
  std::vector<FieldLayer> l(2);
  l[0].name = "fc1";
  l[0].in = 6;
  l[0].out = 8;
  l[0].relu = true;
  l[1].name = "fc2";
  l[1].in = 8;
  l[1].out = channels;
  return make_field("enc", g, l, seed);
}

}  // namespace

TEST(Image, PngRoundTrip) {
  for (size_t c : {size_t{1}, size_t{3}}) {
    const Image a = pattern(7, 5, c);
    write_png(tmp("rt.png"), a);
    const Image b = read_png(tmp("rt.png"));
    EXPECT_EQ(b.width, 7u);
    EXPECT_EQ(b.height, 5u);
    EXPECT_EQ(b.channels, c);
    EXPECT_EQ(b.px, a.px);  // multiples of 1/255 come back exactly
  }
}

// A 16-bit gray PNG written with libpng's low-level API (no gamma handling): values come back as v / 65535.
TEST(Image, Reads16BitPng) {
  const std::string p = tmp("g16.png");
  FILE* f = std::fopen(p.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  png_structp w = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(w);
  png_init_io(w, f);
  png_set_IHDR(w, info, 3, 1, 16, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(w, info);
  png_byte row[6] = {0x00, 0x00, 0x80, 0x00, 0xff, 0xff};  // 0, 32768, 65535 big-endian
  png_write_row(w, row);
  png_write_end(w, nullptr);
  png_destroy_write_struct(&w, &info);
  std::fclose(f);
  const Image im = read_png(p);
  ASSERT_EQ(im.channels, 1u);
  ASSERT_EQ(im.px.size(), 3u);
  EXPECT_FLOAT_EQ(im.px[0], 0.0f);
  EXPECT_NEAR(im.px[1], 32768.0 / 65535.0, 1e-6);
  EXPECT_FLOAT_EQ(im.px[2], 1.0f);
}

TEST(Image, BadPngFiles) {
  EXPECT_TRUE(has(error_of([] { read_png(tmp("none.png")); }), "none.png: cannot open"));
  std::ofstream(tmp("text.png")) << "hello, not an image\n";
  EXPECT_TRUE(has(error_of([] { read_png(tmp("text.png")); }), "text.png: not a readable PNG image"));
  write_png(tmp("whole.png"), pattern(64, 64, 3));
  std::ifstream in(tmp("whole.png"), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(tmp("cut.png"), std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  EXPECT_TRUE(has(error_of([] { read_png(tmp("cut.png")); }), "cut.png: truncated or corrupt PNG"));
}

TEST(Image, PsnrByHand) {
  const std::vector<float> ref = {0.2f, 0.4f, 0.6f, 1.0f};
  // every value 0.1 off: MSE 0.01, 20 dB
  EXPECT_NEAR(psnr({0.3f, 0.3f, 0.7f, 0.9f}, ref), 20.0, 1e-5);
  // clamped first: 1.5 counts as 1.0
  EXPECT_NEAR(psnr({0.3f, 0.3f, 0.7f, 1.5f}, ref), 10 * std::log10(4.0 / 0.03), 1e-5);
  EXPECT_TRUE(std::isinf(psnr(ref, ref)));
  EXPECT_TRUE(has(error_of([&] { psnr({0.1f}, ref); }), "different sizes"));
}

// The backward pass against central differences of the loss, on every MLP weight and bias and on the grid entries
// the points touch.
TEST(FieldFit, GradientsMatchCentralDifferences) {
  FieldModel m = small_model(3);
  std::mt19937_64 rng(5);
  // grid values large enough to move the MLP's ReLUs
  for (auto& p : m.params) p = float(int(rng() % 2001) - 1000) / 1000.0f;
  const size_t n = 40;
  std::vector<float> pts(2 * n), tgt(3 * n);
  for (auto& v : pts) v = float(rng() % 10000) / 10000.0f;
  for (auto& v : tgt) v = float(rng() % 1000) / 1000.0f;
  FieldGrads g;
  const double loss = field_gradients(m, pts.data(), tgt.data(), n, g);
  EXPECT_GT(loss, 0.0);
  auto numeric = [&](float& p) {
    const float keep = p, h = 1e-3f;
    FieldGrads tmpg;
    p = keep + h;
    const double up = field_gradients(m, pts.data(), tgt.data(), n, tmpg);
    p = keep - h;
    const double down = field_gradients(m, pts.data(), tgt.data(), n, tmpg);
    p = keep;
    return (up - down) / (2.0 * double(h));
  };
  double gmax = 0;
  for (const auto& w : g.w)
    for (float v : w) gmax = std::max(gmax, double(std::fabs(v)));
  const double tol = 2e-3 * gmax + 2e-4;
  size_t checked = 0;
  for (size_t k = 0; k < m.mlp.size(); ++k) {
    for (size_t i = 0; i < m.mlp[k].w.size(); ++i, ++checked)
      ASSERT_NEAR(numeric(m.mlp[k].w[i]), g.w[k][i], tol) << "layer " << k << " weight " << i;
    for (size_t i = 0; i < m.mlp[k].b.size(); ++i, ++checked)
      ASSERT_NEAR(numeric(m.mlp[k].b[i]), g.b[k][i], tol) << "layer " << k << " bias " << i;
  }
  size_t grid_nonzero = 0;
  for (size_t i = 0; i < m.params.size(); ++i) {
    if (g.params[i] == 0.0f && i % 7) continue;  // every touched entry, and every 7th untouched one
    grid_nonzero += g.params[i] != 0.0f;
    ASSERT_NEAR(numeric(m.params[i]), g.params[i], tol) << "grid parameter " << i;
    ++checked;
  }
  EXPECT_GT(grid_nonzero, 50u);
  EXPECT_GT(checked, 150u);
}

TEST(FieldFit, ReproducibleAndConverges) {
  // a smooth 32 x 24 RGB image: gradients and a disc
  Image img;
  img.width = 32;
  img.height = 24;
  img.channels = 3;
  for (size_t i = 0; i < 24; ++i)
    for (size_t j = 0; j < 32; ++j) {
      const bool disc = (double(j) - 16) * (double(j) - 16) + (double(i) - 12) * (double(i) - 12) < 49;
      img.px.push_back(float(j) / 31.0f);
      img.px.push_back(float(i) / 23.0f);
      img.px.push_back(disc ? 0.9f : 0.1f);
    }
  FitOptions opt;
  opt.steps = 300;
  opt.seconds = 0;
  opt.batch = 256;
  opt.eval_every = 50;
  FieldModel a = small_model(1), b = small_model(1);
  EXPECT_EQ(a.params, b.params);
  const FitReport ra = fit_field(a, img, opt);
  const FitReport rb = fit_field(b, img, opt);
  EXPECT_EQ(a.params, b.params);
  EXPECT_EQ(a.mlp[0].w, b.mlp[0].w);
  EXPECT_EQ(ra.psnr, rb.psnr);
  ASSERT_EQ(ra.curve.size(), 6u);  // steps 50, 100, ..., 300
  EXPECT_EQ(ra.curve.back().step, 300u);
  EXPECT_GT(ra.curve.back().psnr, ra.curve.front().psnr + 3);
  EXPECT_GT(ra.psnr, 22.0);  // 24.4 dB measured: the model is tiny (finest level 16 x 16 for 32 x 24 pixels)
  EXPECT_DOUBLE_EQ(psnr(render(a, 32, 24).px, img.px), ra.psnr);
  // another seed, another model
  FieldModel c = small_model(2);
  EXPECT_NE(c.params, small_model(1).params);
}

TEST(FieldFit, BadInput) {
  hashgrid::GridConfig g;
  g.dims = 2;
  g.levels = 4;
  g.features = 2;
  g.log2_table = 8;
  std::vector<FieldLayer> l(1);
  l[0].name = "fc1";
  l[0].in = 6;
  l[0].out = 3;
  EXPECT_TRUE(has(error_of([&] { make_field("enc", g, l, 1); }),
                  "layer 'fc1' takes 6 inputs, the hashgrid gives levels x features = 8"));
  EXPECT_TRUE(has(error_of([&] { make_field("enc", g, {}, 1); }), "needs linear layers after it"));
  FieldModel m = small_model(1, 1);
  FitOptions opt;
  opt.steps = 1;
  EXPECT_TRUE(has(error_of([&] { fit_field(m, pattern(4, 4, 3), opt); }),
                  "the last layer 'fc2' gives 1 outputs, the image has 3 channels"));
  g.dims = 3;
  l[0].in = 8;
  FieldModel m3 = make_field("enc", g, l, 1);
  EXPECT_TRUE(has(error_of([&] { fit_field(m3, pattern(4, 4, 3), opt); }), "needs a 2-D hashgrid layer"));
}
